/* Writes the audio passing through a stream into the agent's ring (common/ring.h): one record
 * per transfer (split if very large), interleaved frames in the stream's own format, with a
 * frame position that counts dropped frames too. */
#ifndef CALLREC_TAP_H
#define CALLREC_TAP_H

#include <alsa/asoundlib.h>
#include <stdint.h>

#include "ring.h"

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

#define TAP_MAX_CHANNELS 32u /* what a cr_rec may carry */

struct tap {
	const struct cr_ring *ring; /* plugin-private view of the mapped ring (its geometry copied
				     * at attach), NULL when the stream is not recorded */
	unsigned int generation; /* fork generation of the process that attached */
	uint64_t pos;           /* frames that passed since open, tapped or dropped */
	snd_pcm_format_t format;
	unsigned int channels;
	unsigned int rate;
	unsigned int sample_bits;  /* physical bits per sample */
	uint32_t frame_bytes;      /* 0 until configured, or when the format can't be tapped */
	uint32_t max_rec_frames;   /* frames per record, so one record never exceeds the ring's limit */
};

/* Starts tapping into `ring` (attached: cr_ring_attach). */
void tap_attach(struct tap *t, const struct cr_ring *ring);

/* Called when the stream's parameters are known (extplug init, at prepare). Also publishes
 * them in the ring header, so the agent can prepare disclosure audio at the stream's rate. */
void tap_configure(struct tap *t, snd_pcm_format_t format, unsigned int channels,
		   unsigned int rate);

/* Real-time path (no system call): continues tapping into `ring`, another ring of the same
 * stream (the agent came back, plugin/reconnect.h). The position keeps counting. */
void tap_switch(struct tap *t, const struct cr_ring *ring);

/* Real-time path: no allocation, lock, system call or logging. The first `inject_frames`
 * frames carry disclosure audio the plugin mixed in (marked in the records, counted in the
 * ring's injected_frames). */
void tap_write(struct tap *t, const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset,
	       snd_pcm_uframes_t frames, uint32_t inject_frames);

/* Real-time path for the common case where both sides are one interleaved buffer: copies
 * `frames` frames of `frame_bytes` from src to dst and into the ring in a single pass. */
void tap_pass_interleaved(struct tap *t, unsigned char *dst, const unsigned char *src,
			  snd_pcm_uframes_t frames, size_t frame_bytes);

/* Real-time path: counts disclosure frames mixed into audio that is not tapped with them
 * (playback: the ring carries the application's own audio). */
void tap_note_injected(struct tap *t, uint32_t frames);

/* Marks the ring closed by the producer (only in the process that attached). Does not unmap. */
void tap_detach(struct tap *t);

#pragma GCC visibility pop

#endif
