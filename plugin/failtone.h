/* The failure tone (on_failure tone, docs/plugin.md): two beeps of 425 Hz, 200 ms each with
 * 200 ms between them, every 5 s, at -20 dBFS, added to what the user hears so that they know
 * the call cannot be recorded. The beep is computed when the stream is prepared; transfer only
 * adds precomputed samples. */
#ifndef CALLREC_FAILTONE_H
#define CALLREC_FAILTONE_H

#include <alsa/asoundlib.h>
#include <stdint.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

#define FAILTONE_HZ 425u
#define FAILTONE_BEEP_MS 200u
#define FAILTONE_EVERY_MS 5000u
#define FAILTONE_PEAK 3277 /* -20 dBFS of 16-bit full scale */

struct failtone {
	int16_t *beep;         /* one beep at `rate`, NULL before failtone_prepare */
	uint32_t beep_frames;
	uint32_t cycle_frames; /* FAILTONE_EVERY_MS at `rate` */
	unsigned int rate;
	uint64_t pos;          /* frames since the stream opened */
};

/* Computes the beep for `rate` (allocates; not on the real-time path). 0 or -ENOMEM. */
int failtone_prepare(struct failtone *ft, unsigned int rate);

/* Real-time path: adds the tone to frames [offset, offset + frames) of `areas`. */
void failtone_mix(struct failtone *ft, const snd_pcm_channel_area_t *areas,
		  snd_pcm_uframes_t offset, unsigned int channels, snd_pcm_format_t format,
		  snd_pcm_uframes_t frames);

void failtone_free(struct failtone *ft);

#pragma GCC visibility pop

#endif
