/* Sample decoding for the agent: see pcmconv.h. Bytes are assembled explicitly (little or big
 * endian as the format says) so that unaligned and hostile input is read safely. */
#include "pcmconv.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <string.h>

/* Width in bytes of one sample as stored, or 0 when unsupported. */
static unsigned sample_bytes(int format)
{
	switch (format) {
	case SND_PCM_FORMAT_S8:
	case SND_PCM_FORMAT_U8:
		return 1;
	case SND_PCM_FORMAT_S16_LE:
	case SND_PCM_FORMAT_S16_BE:
	case SND_PCM_FORMAT_U16_LE:
		return 2;
	case SND_PCM_FORMAT_S24_3LE:
		return 3;
	case SND_PCM_FORMAT_S24_LE:
	case SND_PCM_FORMAT_S32_LE:
	case SND_PCM_FORMAT_S32_BE:
	case SND_PCM_FORMAT_FLOAT_LE:
		return 4;
	case SND_PCM_FORMAT_FLOAT64_LE:
		return 8;
	default:
		return 0;
	}
}

uint32_t cr_pcm_frame_bytes(int format, unsigned channels)
{
	return sample_bytes(format) * channels;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static float decode_sample(int format, const uint8_t *p)
{
	switch (format) {
	case SND_PCM_FORMAT_S8:
		return (float)(int8_t)p[0] / 128.0f;
	case SND_PCM_FORMAT_U8:
		return ((float)p[0] - 128.0f) / 128.0f;
	case SND_PCM_FORMAT_S16_LE:
		return (float)(int16_t)(uint16_t)(p[0] | (p[1] << 8)) / 32768.0f;
	case SND_PCM_FORMAT_S16_BE:
		return (float)(int16_t)(uint16_t)((p[0] << 8) | p[1]) / 32768.0f;
	case SND_PCM_FORMAT_U16_LE:
		return ((float)(uint16_t)(p[0] | (p[1] << 8)) - 32768.0f) / 32768.0f;
	case SND_PCM_FORMAT_S24_3LE: {
		/* Shift the 24 bits to the top of 32 so the sign comes for free. */
		int32_t v = (int32_t)(((uint32_t)p[0] << 8) | ((uint32_t)p[1] << 16) |
				      ((uint32_t)p[2] << 24));
		return (float)(v / 256) / 8388608.0f;
	}
	case SND_PCM_FORMAT_S24_LE: {
		/* 24 significant bits in the low bytes of a 32-bit container; ignore the top byte. */
		int32_t v = (int32_t)(le32(p) << 8);
		return (float)(v / 256) / 8388608.0f;
	}
	case SND_PCM_FORMAT_S32_LE:
		return (float)((double)(int32_t)le32(p) / 2147483648.0);
	case SND_PCM_FORMAT_S32_BE:
		return (float)((double)(int32_t)be32(p) / 2147483648.0);
	case SND_PCM_FORMAT_FLOAT_LE: {
		uint32_t u = le32(p);
		float f;
		memcpy(&f, &u, sizeof(f));
		/* NaN and infinities from a broken producer would poison the resampler. */
		if (!(f >= -1.0f && f <= 1.0f))
			f = f > 1.0f ? 1.0f : (f < -1.0f ? -1.0f : 0.0f);
		return f;
	}
	case SND_PCM_FORMAT_FLOAT64_LE: {
		uint64_t u = (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
		double d;
		memcpy(&d, &u, sizeof(d));
		if (!(d >= -1.0 && d <= 1.0))
			d = d > 1.0 ? 1.0 : (d < -1.0 ? -1.0 : 0.0);
		return (float)d;
	}
	default:
		return 0.0f;
	}
}

int cr_pcm_to_mono(int format, unsigned channels, uint32_t frame_bytes, const void *in,
		   size_t frames, float *out)
{
	const uint8_t *p = in;
	unsigned sb = sample_bytes(format);
	float scale;

	if (sb == 0)
		return -ENOTSUP;
	if (channels == 0 || frame_bytes != sb * channels)
		return -EPROTO;
	scale = 1.0f / (float)channels;
	for (size_t i = 0; i < frames; i++) {
		float sum = 0.0f;
		for (unsigned c = 0; c < channels; c++, p += sb)
			sum += decode_sample(format, p);
		out[i] = sum * scale;
	}
	return 0;
}
