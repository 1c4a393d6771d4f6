#include "areas.h"

#include <string.h>

unsigned char *areas_interleaved_frame(const snd_pcm_channel_area_t *areas,
				       snd_pcm_uframes_t offset, unsigned int channels,
				       unsigned int sample_bits)
{
	unsigned int frame_bits = channels * sample_bits;
	unsigned int c;

	if (sample_bits % 8 || areas[0].first % 8 || areas[0].step != frame_bits)
		return NULL;
	for (c = 1; c < channels; c++) {
		if (areas[c].addr != areas[0].addr || areas[c].step != frame_bits ||
		    areas[c].first != areas[0].first + c * sample_bits)
			return NULL;
	}
	return (unsigned char *)areas[0].addr + areas[0].first / 8 + offset * (frame_bits / 8);
}

bool areas_copy_fast_interleaved(void *dst, const snd_pcm_channel_area_t *src,
				 snd_pcm_uframes_t src_offset, unsigned int channels,
				 unsigned int sample_bits, snd_pcm_uframes_t frames)
{
	const unsigned char *s = areas_interleaved_frame(src, src_offset, channels, sample_bits);

	if (!s)
		return false;
	memcpy(dst, s, frames * (channels * sample_bits / 8));
	return true;
}

void areas_describe_interleaved(snd_pcm_channel_area_t *areas, void *buf, unsigned int channels,
				unsigned int sample_bits)
{
	unsigned int c;

	for (c = 0; c < channels; c++) {
		areas[c].addr = buf;
		areas[c].first = c * sample_bits;
		areas[c].step = channels * sample_bits;
	}
}

void areas_copy(const snd_pcm_channel_area_t *dst, snd_pcm_uframes_t dst_offset,
		const snd_pcm_channel_area_t *src, snd_pcm_uframes_t src_offset,
		unsigned int channels, snd_pcm_uframes_t frames, snd_pcm_format_t format,
		unsigned int sample_bits)
{
	unsigned char *d = areas_interleaved_frame(dst, dst_offset, channels, sample_bits);

	if (d && areas_copy_fast_interleaved(d, src, src_offset, channels, sample_bits, frames))
		return;
	snd_pcm_areas_copy(dst, dst_offset, src, src_offset, channels, frames, format);
}
