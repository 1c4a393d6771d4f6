/* Mono resampling of one stream to the archive rate.
 *
 * Two stages, for CPU (SPEC 7: under 0.5% of a core per call, both directions, with hashing,
 * spooling and TLS): libsamplerate's cheapest sinc converter costs ~0.38% of a core for one
 * 48 kHz stream to 16 kHz, so it alone would exceed the budget.
 *  1. An input rate that is an integer multiple of the output rate (48k, 32k, 96k, 192k to
 *     16k) goes through a linear-phase FIR decimator here: a Kaiser-windowed sinc of
 *     32*M+1 taps (cut-off 0.44 of the output rate, ~80 dB stop band), computed only at the
 *     output instants. Its output is time-aligned with its input (the filter is centred, the
 *     history starts with zeros), like libsamplerate's.
 *  2. libsamplerate (SRC_SINC_FASTEST) does everything else: non-integer ratios (44.1k,
 *     22.05k, 11.025k ...) end to end, and the clock-drift trim (cr_resampler_set_ratio) at
 *     the output rate once one is needed; until then that stage is a copy.
 * A stream whose rate changes restarts the converter (cr_resampler_set_rate). */
#ifndef CALLREC_AGENT_RESAMPLER_H
#define CALLREC_AGENT_RESAMPLER_H

#include <stddef.h>

#define CR_RS_MAX_DECIM 12
#define CR_RS_TAPS_PER_PHASE 32

struct cr_resampler {
	void *src; /* SRC_STATE *: stage 2 (or the whole conversion when decim == 0); NULL: copy */
	unsigned in_rate, out_rate;
	double ratio;   /* current overall ratio (output per input frame), possibly trimmed */
	double nominal; /* out_rate / in_rate */
	unsigned decim; /* FIR decimation factor (1: none needed), 0: libsamplerate does it all */
	float *taps;
	unsigned ntaps; /* odd */
	float *hist;    /* FIR input not yet fully used: hist[0] is the oldest sample needed */
	size_t hist_len, hist_cap;
	float *mid;     /* stage 1 output */
	size_t mid_cap;
};

/* 0 or -ENOMEM / -EINVAL. */
int cr_resampler_init(struct cr_resampler *r, unsigned in_rate, unsigned out_rate);
void cr_resampler_free(struct cr_resampler *r);
/* Drop the converter's history and use a new input rate. 0 or negative errno. */
int cr_resampler_set_rate(struct cr_resampler *r, unsigned in_rate);

/* Use `ratio` (overall output frames per input frame) from the next run on, without
 * interpolation and without dropping history (src_set_ratio). 0 or negative errno. */
int cr_resampler_set_ratio(struct cr_resampler *r, double ratio);

/* Most output frames cr_resampler_run() can produce for `frames` input frames. */
size_t cr_resampler_max_out(const struct cr_resampler *r, size_t frames);

/* Convert all `frames` input frames; with `last` set, also flush what the filters hold back.
 * Output goes to out[0..cap) (cap >= cr_resampler_max_out()); *produced is set.
 * 0, -ENOMEM or -EIO. */
int cr_resampler_run(struct cr_resampler *r, const float *in, size_t frames, int last,
		     float *out, size_t cap, size_t *produced);

#endif
