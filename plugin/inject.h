/* The plugin's side of the disclosure ring (common/ring.h): takes the agent's queued records
 * of 16-bit mono audio and mixes them into the stream, one record after another, keeping the
 * position inside a record across transfers. Real-time safe, and bounded: what the agent writes
 * into the ring can make a record be skipped, never an access outside the ring or a loop. */
#ifndef CALLREC_INJECT_H
#define CALLREC_INJECT_H

#include <alsa/asoundlib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

struct inject {
	const struct cr_ring *ring; /* plugin-private view; NULL: nothing can be injected */
	unsigned int generation; /* fork generation of the process that attached (one consumer) */
	struct cr_inj hdr;       /* validated copy of the record in progress */
	const int16_t *samples;  /* its samples (in the ring, valid until released) */
	uint32_t used;           /* frames of it already mixed */
	bool have;               /* a record is in progress */
};

void inject_attach(struct inject *in, const struct cr_ring *ring);

/* Cheap test for the hot path: a record is in progress or queued. */
bool inject_pending(const struct inject *in);

/* Mixes queued disclosure audio into frames [offset, offset + frames) of `areas`, starting at
 * the first frame and continuing while records last; records at another rate than `rate` are
 * skipped (released unplayed). Returns how many frames, from the first, carry disclosure. */
uint32_t inject_mix(struct inject *in, unsigned int rate, const snd_pcm_channel_area_t *areas,
		    snd_pcm_uframes_t offset, unsigned int channels, snd_pcm_format_t format,
		    snd_pcm_uframes_t frames);

#pragma GCC visibility pop

#endif
