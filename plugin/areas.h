/* Small helpers over snd_pcm_channel_area_t: recognise the common interleaved layout so the
 * hot path is one memcpy instead of a per-channel, per-sample loop. */
#ifndef CALLREC_AREAS_H
#define CALLREC_AREAS_H

#include <alsa/asoundlib.h>
#include <stdbool.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

/* Address of frame `offset` when the areas describe one interleaved buffer with no gaps, else
 * NULL. */
unsigned char *areas_interleaved_frame(const snd_pcm_channel_area_t *areas,
				       snd_pcm_uframes_t offset, unsigned int channels,
				       unsigned int sample_bits);

/* Copies `frames` frames into the interleaved buffer `dst` with one memcpy when the source is
 * interleaved and contiguous; returns false (copying nothing) otherwise. */
bool areas_copy_fast_interleaved(void *dst, const snd_pcm_channel_area_t *src,
				 snd_pcm_uframes_t src_offset, unsigned int channels,
				 unsigned int sample_bits, snd_pcm_uframes_t frames);

/* Describes the interleaved buffer `buf` as per-channel areas. */
void areas_describe_interleaved(snd_pcm_channel_area_t *areas, void *buf, unsigned int channels,
				unsigned int sample_bits);

/* snd_pcm_areas_copy with a memcpy shortcut when both sides are interleaved. */
void areas_copy(const snd_pcm_channel_area_t *dst, snd_pcm_uframes_t dst_offset,
		const snd_pcm_channel_area_t *src, snd_pcm_uframes_t src_offset,
		unsigned int channels, snd_pcm_uframes_t frames, snd_pcm_format_t format,
		unsigned int sample_bits);

#pragma GCC visibility pop

#endif
