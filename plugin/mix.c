#include "mix.h"

#include <string.h>

bool mix_format_supported(snd_pcm_format_t format)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	switch (format) {
	case SND_PCM_FORMAT_S16_LE:
	case SND_PCM_FORMAT_S32_LE:
	case SND_PCM_FORMAT_S24_LE:
	case SND_PCM_FORMAT_S24_3LE:
	case SND_PCM_FORMAT_FLOAT_LE:
	case SND_PCM_FORMAT_U8:
		return true;
	default:
		return false;
	}
#else
	(void)format;
	return false; /* the conversions below read and write host-order integers */
#endif
}

static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* One sample: reads the stream's sample at p (for ADD), combines it with the disclosure
 * sample v and writes the result back. Integer formats saturate at their own full scale. */
static inline void mix_one(unsigned char *p, snd_pcm_format_t format, int16_t v, int add)
{
	switch (format) {
	case SND_PCM_FORMAT_S16_LE: {
		int16_t s = v;
		if (add) {
			memcpy(&s, p, 2);
			s = (int16_t)clamp64((int64_t)s + v, INT16_MIN, INT16_MAX);
		}
		memcpy(p, &s, 2);
		break;
	}
	case SND_PCM_FORMAT_S32_LE: {
		int32_t s = (int32_t)((uint32_t)(uint16_t)v << 16);
		if (add) {
			int32_t old;
			memcpy(&old, p, 4);
			s = (int32_t)clamp64((int64_t)old + s, INT32_MIN, INT32_MAX);
		}
		memcpy(p, &s, 4);
		break;
	}
	case SND_PCM_FORMAT_S24_LE: { /* 24 bits in the low three bytes of 32 */
		int32_t s = (int32_t)v * 256;
		if (add) {
			uint32_t raw;
			memcpy(&raw, p, 4);
			int32_t old = (int32_t)(raw << 8) >> 8; /* sign-extend bit 23 */
			s = (int32_t)clamp64((int64_t)old + s, -8388608, 8388607);
		}
		memcpy(p, &s, 4);
		break;
	}
	case SND_PCM_FORMAT_S24_3LE: {
		int32_t s = (int32_t)v * 256;
		if (add) {
			int32_t old = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
						(uint32_t)p[2] << 16);
			old = (int32_t)((uint32_t)old << 8) >> 8;
			s = (int32_t)clamp64((int64_t)old + s, -8388608, 8388607);
		}
		p[0] = (unsigned char)(s & 0xff);
		p[1] = (unsigned char)((s >> 8) & 0xff);
		p[2] = (unsigned char)((s >> 16) & 0xff);
		break;
	}
	case SND_PCM_FORMAT_FLOAT_LE: {
		float s = (float)v / 32768.0f;
		if (add) {
			float old;
			memcpy(&old, p, 4);
			s += old;
			s = s < -1.0f ? -1.0f : s > 1.0f ? 1.0f : s;
		}
		memcpy(p, &s, 4);
		break;
	}
	case SND_PCM_FORMAT_U8: {
		int32_t s = v / 256;
		if (add)
			s = (int32_t)clamp64((int64_t)p[0] - 128 + s, -128, 127);
		p[0] = (unsigned char)(s + 128);
		break;
	}
	default:
		break;
	}
}

void mix_s16_mono(const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset,
		  unsigned int channels, snd_pcm_format_t format, const int16_t *samples,
		  snd_pcm_uframes_t frames, enum mix_kind kind)
{
	const int add = kind == MIX_ADD;
	unsigned int c;

	for (c = 0; c < channels; c++) {
		const snd_pcm_channel_area_t *a = &areas[c];
		unsigned char *p = (unsigned char *)a->addr + (a->first + offset * a->step) / 8;
		const size_t stride = a->step / 8;
		snd_pcm_uframes_t i;

		/* Switching inside the loop keeps one copy of the code; the branch is perfectly
		 * predicted and this only runs while disclosure audio plays. */
		for (i = 0; i < frames; i++, p += stride)
			mix_one(p, format, samples[i], add);
	}
}
