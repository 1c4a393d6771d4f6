/* The loudness outline of a recording for the call page's timeline: per channel, the peak of
 * each of n equal slices of the call, read from the WAV in memory with libsndfile. */
#ifndef CALLREC_CONSOLE_ENVELOPE_H
#define CALLREC_CONSOLE_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ENVELOPE_MAX 4000

/* {"rate": R, "frames": F, "channels": C, "peaks": [[0..1000 per slice] per channel]}, or
 * NULL when the bytes are not audio libsndfile reads. n: 1..CONSOLE_ENVELOPE_MAX. */
json_t *console_envelope(const uint8_t *wav, size_t len, unsigned n);

#endif
