/* libsamplerate wrapper: see resampler.h. */
#include "resampler.h"

#include <errno.h>
#include <samplerate.h>
#include <string.h>

#include "log.h"

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
	r->src = NULL;
}

int cr_resampler_set_rate(struct cr_resampler *r, unsigned in_rate)
{
	int err = 0;

	if (in_rate == 0)
		return -EINVAL;
	r->in_rate = in_rate;
	r->ratio = (double)r->out_rate / (double)in_rate;
	if (in_rate == r->out_rate) {
		cr_resampler_free(r);
		return 0;
	}
	if (!src_is_valid_ratio(r->ratio))
		return -EINVAL;
	if (r->src)
		return src_reset(r->src) == 0 ? 0 : -EIO;
	r->src = src_new(SRC_SINC_FASTEST, 1, &err);
	if (!r->src) {
		cr_err("libsamplerate: %s", src_strerror(err));
		return -ENOMEM;
	}
	return 0;
}

size_t cr_resampler_max_out(const struct cr_resampler *r, size_t frames)
{
	/* The sinc filter holds back a few hundred frames and releases them on flush. */
	return (size_t)((double)frames * r->ratio) + 1024;
}

int cr_resampler_run(struct cr_resampler *r, const float *in, size_t frames, int last,
		     float *out, size_t cap, size_t *produced)
{
	SRC_DATA d;
	size_t done = 0;

	*produced = 0;
	if (!r->src) {
		size_t n = frames < cap ? frames : cap;
		memcpy(out, in, n * sizeof(*out));
		*produced = n;
		return 0;
	}
	/* src_process may stop early when the output is full or, with end_of_input, need more
	 * calls to drain; loop until input is used and (when flushing) nothing more comes. */
	for (;;) {
		memset(&d, 0, sizeof(d));
		d.data_in = in;
		d.input_frames = (long)frames;
		d.data_out = out + done;
		d.output_frames = (long)(cap - done);
		d.src_ratio = r->ratio;
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
