/* Two-stage resampling: see resampler.h. */
#include "resampler.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define KAISER_BETA 8.0 /* ~80 dB stop band */
#define CUTOFF 0.44     /* of the output rate */

/* Modified Bessel function of order 0 (series), for the Kaiser window. */
static double bessel_i0(double x)
{
	double sum = 1.0, term = 1.0;

	for (int k = 1; k < 50; k++) {
		term *= (x / (2.0 * k)) * (x / (2.0 * k));
		sum += term;
		if (term < sum * 1e-12)
			break;
	}
	return sum;
}

static int design(struct cr_resampler *r, unsigned m)
{
	unsigned n = CR_RS_TAPS_PER_PHASE * m + 1;
	double fc = CUTOFF / m; /* cycles per input sample */
	double sum = 0, half = (n - 1) / 2.0;
	float *t = malloc(n * sizeof(float));

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		double x = i - half;
		double s = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
		double w = x / half;
		double v = s * bessel_i0(KAISER_BETA * sqrt(1 - w * w)) / bessel_i0(KAISER_BETA);
		t[i] = (float)v;
		sum += v;
	}
	for (unsigned i = 0; i < n; i++)
		t[i] = (float)(t[i] / sum); /* unity gain at DC */
	free(r->taps);
	r->taps = t;
	r->ntaps = n;
	return 0;
}

/* The FIR starts from silence: half a filter of zeros before the first sample, so that output
 * k is centred on input k*M. */
static int fir_reset(struct cr_resampler *r)
{
	size_t half = r->ntaps / 2, cap = r->ntaps + half + 4096;

	if (r->hist_cap < cap) {
		float *h = realloc(r->hist, cap * sizeof(float));
		if (!h)
			return -ENOMEM;
		r->hist = h;
		r->hist_cap = cap;
	}
	memset(r->hist, 0, half * sizeof(float));
	r->hist_len = half;
	return 0;
}

int cr_resampler_init(struct cr_resampler *r, unsigned in_rate, unsigned out_rate)
{
	memset(r, 0, sizeof(*r));
	if (in_rate == 0 || out_rate == 0)
		return -EINVAL;
	r->out_rate = out_rate;
	return cr_resampler_set_rate(r, in_rate);
}

void cr_resampler_free(struct cr_resampler *r)
{
	if (r->src)
		src_delete(r->src);
	free(r->taps);
	free(r->hist);
	free(r->mid);
	r->src = NULL;
	r->taps = r->hist = r->mid = NULL;
	r->ntaps = 0;
	r->hist_len = r->hist_cap = r->mid_cap = 0;
}

static int new_src(struct cr_resampler *r)
{
	int err = 0;

	r->src = src_new(SRC_SINC_FASTEST, 1, &err);
	if (!r->src) {
		cr_err("libsamplerate: %s", src_strerror(err));
		return -ENOMEM;
	}
	return 0;
}

int cr_resampler_set_rate(struct cr_resampler *r, unsigned in_rate)
{
	unsigned m;

	if (in_rate == 0)
		return -EINVAL;
	r->in_rate = in_rate;
	r->ratio = r->nominal = (double)r->out_rate / (double)in_rate;
	if (!src_is_valid_ratio(r->ratio))
		return -EINVAL;
	if (r->src) {
		src_delete(r->src);
		r->src = NULL;
	}
	m = in_rate % r->out_rate == 0 ? in_rate / r->out_rate : 0;
	if (m > CR_RS_MAX_DECIM)
		m = 0;
	r->decim = m;
	if (m == 0)
		return new_src(r); /* libsamplerate end to end */
	if (m == 1)
		return 0; /* equal rates: a copy until a trim is needed */
	if (r->ntaps != CR_RS_TAPS_PER_PHASE * m + 1) {
		int err = design(r, m);
		if (err)
			return err;
	}
	return fir_reset(r);
}

int cr_resampler_set_ratio(struct cr_resampler *r, double ratio)
{
	double stage;

	if (ratio == r->ratio)
		return 0;
	if (!src_is_valid_ratio(ratio))
		return -EINVAL;
	/* With the FIR in front, libsamplerate sees the output rate on both sides. */
	stage = r->decim ? ratio * r->decim : ratio;
	if (!r->src) {
		int err = new_src(r);
		if (err)
			return err;
	}
	if (src_set_ratio(r->src, stage))
		return -EINVAL;
	r->ratio = ratio;
	return 0;
}

size_t cr_resampler_max_out(const struct cr_resampler *r, size_t frames)
{
	/* The filters hold back a few hundred frames and release them on flush; a trimmed
	 * ratio is within a percent of the nominal one. */
	return (size_t)((double)frames * r->ratio * 1.01) + 1024 + r->ntaps;
}

/* Stage 1: decimate `frames` input frames (plus, with `last`, the zeros that release the
 * filter's tail) into out; returns the count. */
static size_t fir_run(struct cr_resampler *r, const float *in, size_t frames, int last,
		      float *out)
{
	const unsigned n = r->ntaps, m = r->decim, half = n / 2;
	const float *t = r->taps;
	size_t produced = 0;

	for (;;) {
		/* Top the history up with as much input as fits, keeping room for the tail's
		 * zeros (less than a filter length is left over from the last round). */
		size_t room = r->hist_cap - half - r->hist_len, take = frames < room ? frames : room;
		memcpy(r->hist + r->hist_len, in, take * sizeof(float));
		r->hist_len += take;
		in += take;
		frames -= take;
		if (!frames && last) {
			/* the tail: zeros after the last sample release the filter's delay */
			memset(r->hist + r->hist_len, 0, half * sizeof(float));
			r->hist_len += half;
		}
		size_t pos = 0;
		for (; pos + n <= r->hist_len; pos += m) {
			const float *x = r->hist + pos;
			float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
			unsigned i = 0;
			for (; i + 4 <= n; i += 4) {
				a0 += t[i] * x[i];
				a1 += t[i + 1] * x[i + 1];
				a2 += t[i + 2] * x[i + 2];
				a3 += t[i + 3] * x[i + 3];
			}
			for (; i < n; i++)
				a0 += t[i] * x[i];
			out[produced++] = (a0 + a1) + (a2 + a3);
		}
		memmove(r->hist, r->hist + pos, (r->hist_len - pos) * sizeof(float));
		r->hist_len -= pos;
		if (!frames)
			break;
	}
	if (last)
		fir_reset(r); /* cannot fail: the buffer exists */
	return produced;
}

/* libsamplerate over in[0..frames) into out[0..cap). */
static int src_run(struct cr_resampler *r, const float *in, size_t frames, int last, float *out,
		   size_t cap, size_t *produced)
{
	double stage = r->decim ? r->ratio * r->decim : r->ratio;
	size_t done = 0;
	SRC_DATA d;

	/* src_process may stop early when the output is full or, with end_of_input, need more
	 * calls to drain; loop until input is used and (when flushing) nothing more comes. */
	for (;;) {
		memset(&d, 0, sizeof(d));
		d.data_in = in;
		d.input_frames = (long)frames;
		d.data_out = out + done;
		d.output_frames = (long)(cap - done);
		d.src_ratio = stage;
		d.end_of_input = last;
		int e = src_process(r->src, &d);
		if (e) {
			cr_err("libsamplerate: %s", src_strerror(e));
			return -EIO;
		}
		in += d.input_frames_used;
		frames -= (size_t)d.input_frames_used;
		done += (size_t)d.output_frames_gen;
		if (done >= cap)
			break;
		if (frames == 0 && (!last || d.output_frames_gen == 0))
			break;
		if (d.input_frames_used == 0 && d.output_frames_gen == 0)
			break;
	}
	if (last)
		src_reset(r->src);
	*produced = done;
	return 0;
}

int cr_resampler_run(struct cr_resampler *r, const float *in, size_t frames, int last,
		     float *out, size_t cap, size_t *produced)
{
	*produced = 0;
	if (r->decim > 1) {
		/* Stage 1 into mid (or straight into out when no trim runs). */
		size_t need = frames / r->decim + r->ntaps + 2;
		float *dst = out;
		if (r->src) {
			if (r->mid_cap < need) {
				float *nm = realloc(r->mid, need * sizeof(float));
				if (!nm)
					return -ENOMEM;
				r->mid = nm;
				r->mid_cap = need;
			}
			dst = r->mid;
		} else if (cap < need) {
			return -ENOMEM; /* caller sized out by cr_resampler_max_out: cannot happen */
		}
		size_t n = fir_run(r, in, frames, last, dst);
		if (!r->src) {
			*produced = n;
			return 0;
		}
		return src_run(r, r->mid, n, last, out, cap, produced);
	}
	if (!r->src) {
		size_t n = frames < cap ? frames : cap;
		memcpy(out, in, n * sizeof(*out));
		*produced = n;
		return 0;
	}
	return src_run(r, in, frames, last, out, cap, produced);
}
