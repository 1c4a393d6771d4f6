/* Mono resampling of one stream to the archive rate with libsamplerate (SINC_FASTEST).
 * A stream whose rate changes restarts the converter (cr_resampler_set_rate). */
#ifndef CALLREC_AGENT_RESAMPLER_H
#define CALLREC_AGENT_RESAMPLER_H

#include <stddef.h>

struct cr_resampler {
	void *src; /* SRC_STATE *, NULL when in_rate == out_rate (plain copy) */
	unsigned in_rate, out_rate;
	double ratio;
};

/* 0 or -ENOMEM / -EINVAL. */
int cr_resampler_init(struct cr_resampler *r, unsigned in_rate, unsigned out_rate);
void cr_resampler_free(struct cr_resampler *r);
/* Drop the converter's history and use a new input rate. 0 or negative errno. */
int cr_resampler_set_rate(struct cr_resampler *r, unsigned in_rate);

/* Most output frames cr_resampler_run() can produce for `frames` input frames. */
size_t cr_resampler_max_out(const struct cr_resampler *r, size_t frames);

/* Convert all `frames` input frames; with `last` set, also flush what the filter holds back.
 * Output goes to out[0..cap) (cap >= cr_resampler_max_out()); *produced is set.
 * 0 or -EIO. */
int cr_resampler_run(struct cr_resampler *r, const float *in, size_t frames, int last,
		     float *out, size_t cap, size_t *produced);

#endif
