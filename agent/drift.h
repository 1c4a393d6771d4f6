/* A stream's true clock, estimated from its records: least squares of the CLOCK_MONOTONIC
 * stamps against the frame positions over a sliding window, so that a device whose clock runs
 * 0.1% fast (or slow) against the system clock is placed by what it really did, not by its
 * nominal rate.
 *
 * Why a window of block minima: a record's stamp is late by the scheduling delay of the
 * thread that wrote it (milliseconds, at times a hundred), never early: the record in each
 * ~0.5 s block that is earliest against the nominal rate lies on the device's true line
 * (plus a constant). A least-squares fit over ~30 s of such points, refitted once without the
 * points that still stand out, brings the slope error to ~1e-5; the placement loop in feed.c
 * (which compares where audio lands with where the fit says it belongs) removes what
 * remains. The first
 * seconds after an anchor are left out: a playback stream's first records are written in one
 * burst to fill the device buffer, so their stamps say nothing about the rate.
 *
 * Pure code: no I/O, no clock. */
#ifndef CALLREC_AGENT_DRIFT_H
#define CALLREC_AGENT_DRIFT_H

#include <stdint.h>

#define CR_DRIFT_POINTS 64        /* window: this many block means */
#define CR_DRIFT_BLOCK_MS 500     /* one point per this much audio */
#define CR_DRIFT_WARMUP_NS 1500000000ULL /* stamps this soon after the first are ignored */
/* Fewer points: no estimate yet. Eight seconds of baseline bring the slope error under
 * ~50 ppm; a shorter one would trim the ratio by noise, audibly stretching the audio. */
#define CR_DRIFT_MIN_POINTS 16
#define CR_DRIFT_OUTLIER_NS 2000000.0 /* refit without points this far off the first fit */

struct cr_drift {
	unsigned nominal;   /* the stream's nominal rate, Hz */
	int started;
	uint64_t pos0, t0;  /* origin of x and y (numerical range) */
	/* block being accumulated: its earliest point against the nominal rate */
	double bx, by, bdev;
	unsigned bn;
	uint64_t bstart;    /* position where the block began */
	/* window of block means: x = pos - pos0 (frames), y = t - t0 (ns) */
	double x[CR_DRIFT_POINTS], y[CR_DRIFT_POINTS];
	unsigned n, head;
	/* fit y = a + b x, valid when n >= CR_DRIFT_MIN_POINTS */
	double a, b;
};

void cr_drift_reset(struct cr_drift *d, unsigned nominal);
/* One record: its first frame's position and the time that frame was (captured / written). */
void cr_drift_add(struct cr_drift *d, uint64_t pos, uint64_t t_ns);
static inline int cr_drift_valid(const struct cr_drift *d)
{
	return d->n >= CR_DRIFT_MIN_POINTS;
}
/* Time (CLOCK_MONOTONIC ns, as a double) the fit gives for frame pos. Only when valid. */
double cr_drift_time(const struct cr_drift *d, uint64_t pos);
/* The stream's measured rate in frames per second (the nominal rate until valid). */
double cr_drift_rate(const struct cr_drift *d);

#endif
