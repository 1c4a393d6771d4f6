/* Stream placement on a call timeline: see feed.h. */
#include "feed.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pcmconv.h"

void cr_feed_init(struct cr_feed *f)
{
	memset(f, 0, sizeof(*f));
}

void cr_feed_free(struct cr_feed *f)
{
	if (f->rs_ready)
		cr_resampler_free(&f->rs);
	free(f->mono);
	free(f->out);
	free(f->held);
	memset(f, 0, sizeof(*f));
}

void cr_feed_reset(struct cr_feed *f)
{
	f->anchored = 0;
	f->tl_next = 0;
	f->have_offset = 0;
	f->settling = 0;
	f->held_len = 0;
	if (f->rs_ready)
		cr_resampler_set_rate(&f->rs, f->rate);
}

static int grow(float **p, size_t *cap, size_t need)
{
	float *n;

	if (need <= *cap)
		return 0;
	n = realloc(*p, need * sizeof(float));
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = need;
	return 0;
}

static int run_resampler(struct cr_feed *f, struct cr_timeline *tl, unsigned ch,
			 const float *in, size_t frames, int last)
{
	size_t produced;
	int err;

	err = grow(&f->out, &f->out_cap, cr_resampler_max_out(&f->rs, frames));
	if (err)
		return err;
	f->place += (double)frames * f->rs.ratio;
	err = cr_resampler_run(&f->rs, in, frames, last, f->out, f->out_cap, &produced);
	if (err)
		return err;
	if (f->settling) {
		err = grow(&f->held, &f->held_cap, f->held_len + produced);
		if (err)
			return err;
		memcpy(f->held + f->held_len, f->out, produced * sizeof(float));
		f->held_len += produced;
	} else {
		err = cr_tl_put(tl, ch, f->tl_next, f->out, produced);
	}
	f->tl_next += (int64_t)produced;
	if (last)
		f->place = (double)f->tl_next; /* everything fed has come out: exact again */
	return err;
}

/* End of capture settling: place the held audio by the earliest record seen (feed.h). */
static int settle(struct cr_feed *f, struct cr_timeline *tl, unsigned ch)
{
	int64_t floor = f->settle_floor > (int64_t)tl->base ? f->settle_floor : (int64_t)tl->base;
	int64_t shift = (int64_t)llround((double)f->settle_early_ns * tl->rate / 1e9);
	int64_t max = (int64_t)tl->rate * CR_FEED_SETTLE_MAX_MS / 1000;
	int err;

	f->settling = 0;
	if (shift > max)
		shift = max;
	if (shift > f->settle_from - floor)
		shift = f->settle_from - floor;
	if (shift < 0)
		shift = 0;
	err = cr_tl_put(tl, ch, f->settle_from - shift, f->held, f->held_len);
	f->held_len = 0;
	if (shift) {
		cr_debug("feed: capture's first record came %.1f ms late; placed %.1f ms earlier",
			 (double)f->settle_early_ns / 1e6, (double)shift * 1000.0 / tl->rate);
		f->tl_next -= shift;
		f->place -= (double)shift;
		f->anchor_tl -= shift;
		f->anchor_t_ns -= (uint64_t)shift * 1000000000ULL / tl->rate;
	}
	return err;
}

int cr_feed_flush(struct cr_feed *f, struct cr_timeline *tl, unsigned ch)
{
	static const float none[1];
	int err;

	if (!f->rs_ready || !f->anchored)
		return 0;
	/* libsamplerate ignores a flush whose input pointer is NULL. */
	err = run_resampler(f, tl, ch, none, 0, 1);
	if (f->settling) {
		int e2 = settle(f, tl, ch);
		if (!err)
			err = e2;
	}
	return err;
}

/* Timeline position (fractional) of CLOCK_MONOTONIC time t (ns, double). */
static double time_pos(double t, uint64_t call_start_ns, unsigned rate)
{
	return (t - (double)call_start_ns) * rate / 1e9;
}

/* Steer the resampler so that input frame `pos` lands where the stream's fitted clock says
 * (feed.h). */
static int trim(struct cr_feed *f, struct cr_timeline *tl, uint64_t call_start_ns, uint64_t pos)
{
	const struct cr_drift *d = &f->drift;
	double target, base, corr, ratio, nominal = f->rs.nominal;

	if (!cr_drift_valid(d))
		return 0;
	if (!f->have_offset) {
		/* The anchor stays where it was put: C is the distance from the fitted line there. */
		f->offset = (double)f->anchor_tl -
			    time_pos(cr_drift_time(d, f->anchor_pos), call_start_ns, tl->rate);
		f->have_offset = 1;
	}
	target = time_pos(cr_drift_time(d, pos), call_start_ns, tl->rate) + f->offset;
	f->last_err = f->place - target;
	if (!f->rs.src && fabs(f->last_err) < CR_FEED_COPY_SLACK)
		return 0; /* equal rates, on time: stay a copy */
	if (f->base_rate == 0 || fabs(cr_drift_rate(d) / f->base_rate - 1.0) > CR_FEED_RATE_HYST)
		f->base_rate = cr_drift_rate(d);
	base = (double)tl->rate / f->base_rate;
	corr = 0;
	if (fabs(f->last_err) > CR_FEED_DEADBAND)
		corr = -(f->last_err - (f->last_err > 0 ? CR_FEED_DEADBAND : -CR_FEED_DEADBAND)) /
		       ((double)tl->rate * CR_FEED_TRIM_TAU_S);
	if (corr > CR_FEED_TRIM_MAX / 2)
		corr = CR_FEED_TRIM_MAX / 2;
	if (corr < -CR_FEED_TRIM_MAX / 2)
		corr = -CR_FEED_TRIM_MAX / 2;
	ratio = base * (1.0 + corr);
	if (ratio > nominal * (1.0 + CR_FEED_TRIM_MAX))
		ratio = nominal * (1.0 + CR_FEED_TRIM_MAX);
	if (ratio < nominal * (1.0 - CR_FEED_TRIM_MAX))
		ratio = nominal * (1.0 - CR_FEED_TRIM_MAX);
	if (pos - f->logged_pos >= (uint64_t)f->rate * 10) {
		f->logged_pos = pos;
		cr_debug("feed: rate %.3f Hz (nominal %u), placement %+.1f ms, ratio %.6f",
			cr_drift_rate(d), f->rate, f->last_err * 1000.0 / tl->rate, ratio);
	}
	return cr_resampler_set_ratio(&f->rs, ratio);
}

static int anchor(struct cr_feed *f, struct cr_timeline *tl, unsigned ch, uint64_t call_start_ns,
		  const struct cr_rec *h, uint64_t t_first)
{
	int64_t at = cr_time_to_pos(t_first, call_start_ns, tl->rate);
	int64_t floor = INT64_MIN;
	int err;

	if (f->anchored) {
		/* Release the old segment's tail before starting the new one; never write over
		 * what this stream already placed. */
		err = cr_feed_flush(f, tl, ch);
		if (err)
			return err;
		if (at < f->tl_next)
			at = f->tl_next;
		floor = f->tl_next;
	}
	if (!f->rs_ready) {
		err = cr_resampler_init(&f->rs, h->rate, tl->rate);
		if (err)
			return err;
		f->rs_ready = 1;
	} else {
		err = cr_resampler_set_rate(&f->rs, h->rate);
		if (err)
			return err;
	}
	f->rate = h->rate;
	f->tl_next = at;
	f->place = (double)at;
	f->have_offset = 0;
	f->base_rate = 0;
	cr_drift_reset(&f->drift, h->rate);
	f->anchored = 1;
	f->anchor_t_ns = t_first;
	f->anchor_pos = h->pos;
	f->anchor_tl = at;
	f->next_pos = h->pos;
	f->settling = f->stamp_at_end;
	f->held_len = 0;
	f->settle_from = at;
	f->settle_floor = floor;
	f->settle_progress = at - (int64_t)tl->rate * CR_FEED_SETTLE_MAX_MS / 1000;
	f->settle_early_ns = 0;
	return 0;
}

int cr_feed_record(struct cr_feed *f, struct cr_timeline *tl, unsigned ch,
		   uint64_t call_start_ns, const struct cr_rec *h, const void *payload)
{
	uint32_t fb = cr_pcm_frame_bytes(h->format, h->channels);
	uint64_t t_first = h->t_ns;
	int err;

	if (h->rate < 1000 || h->rate > 768000 || h->channels == 0 || h->channels > 32 ||
	    h->frames > CR_FEED_MAX_FRAMES)
		return -EPROTO;
	if (fb == 0)
		return -ENOTSUP;
	if (fb != h->frame_bytes)
		return -EPROTO;

	if (f->stamp_at_end) {
		uint64_t dur = (uint64_t)h->frames * 1000000000ULL / h->rate;
		t_first = t_first > dur ? t_first - dur : 0;
	}
	if (!f->anchored || h->rate != f->rate || h->pos < f->next_pos) {
		err = anchor(f, tl, ch, call_start_ns, h, t_first);
		if (err)
			return err;
	} else if (h->pos > f->next_pos) {
		/* Frames the producer could not store: silence of the same duration. */
		uint64_t lost = h->pos - f->next_pos;
		uint64_t sil;
		/* Release what the filter holds of the audio before the hole, so that it lands
		 * before the silence and the audio after it starts exactly after it. */
		err = cr_feed_flush(f, tl, ch);
		if (err)
			return err;
		sil = (uint64_t)llround((double)lost * f->rs.ratio);
		f->dropped += lost;
		err = cr_tl_gap(tl, ch, f->tl_next, sil, CR_GAP_DROPPED);
		if (err)
			return err;
		f->tl_next += (int64_t)sil;
		f->place = (double)f->tl_next;
		f->next_pos = h->pos;
	} else {
		/* Positions continue; a timestamp well beyond where they predict means the stream
		 * stood still (pause, stopped device): keep real time by anchoring again. */
		uint64_t d = h->pos - f->anchor_pos;
		uint64_t expect = f->anchor_t_ns + d / f->rate * 1000000000ULL +
				  d % f->rate * 1000000000ULL / f->rate;
		/* With a fitted clock, compare with it: a fast device's positions run ahead of
		 * the nominal prediction by seconds over an hour without any pause. */
		if (cr_drift_valid(&f->drift))
			expect = (uint64_t)llround(cr_drift_time(&f->drift, h->pos));
		if (t_first > expect && t_first - expect > (uint64_t)CR_FEED_REANCHOR_NS) {
			err = anchor(f, tl, ch, call_start_ns, h, t_first);
			if (err)
				return err;
		} else if (f->settling && t_first < expect &&
			   expect - t_first > f->settle_early_ns) {
			f->settle_early_ns = expect - t_first; /* the anchor came this much late */
		}
	}

	if (h->frames == 0)
		return 0;
	cr_drift_add(&f->drift, h->pos, t_first);
	err = trim(f, tl, call_start_ns, h->pos);
	if (err)
		return err;
	err = grow(&f->mono, &f->mono_cap, h->frames);
	if (err)
		return err;
	err = cr_pcm_to_mono(h->format, h->channels, h->frame_bytes, payload, h->frames, f->mono);
	if (err)
		return err;
	err = run_resampler(f, tl, ch, f->mono, h->frames, 0);
	f->next_pos = h->pos + h->frames;
	if (!err && f->settling &&
	    f->next_pos - f->anchor_pos >= (uint64_t)f->rate * CR_FEED_SETTLE_MS / 1000)
		err = settle(f, tl, ch);
	return err;
}
