/* Disclosure audio and its event log: see disclosure.h. */
#include "disclosure.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define RAMP_MS 5 /* fade in and out: a burst without clicks */

void cr_tonegen_init(struct cr_tonegen *g, unsigned rate, unsigned freq_hz, unsigned length_ms,
		     unsigned every_ms, double level_db)
{
	memset(g, 0, sizeof(*g));
	g->rate = rate;
	g->freq_hz = freq_hz;
	g->burst_frames = (uint64_t)length_ms * rate / 1000u;
	g->every_frames = (uint64_t)every_ms * rate / 1000u;
	if (g->every_frames && g->every_frames < g->burst_frames)
		g->every_frames = g->burst_frames;
	g->ramp_frames = (uint64_t)RAMP_MS * rate / 1000u;
	if (2 * g->ramp_frames > g->burst_frames)
		g->ramp_frames = g->burst_frames / 2;
	g->amp = pow(10.0, level_db / 20.0);
}

static int16_t to_s16(double v)
{
	v *= 32768.0;
	if (v > 32767.0)
		return 32767;
	if (v < -32768.0)
		return -32768;
	return (int16_t)lrint(v);
}

void cr_tonegen_fill(struct cr_tonegen *g, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++, g->pos++) {
		uint64_t k = g->every_frames ? g->pos % g->every_frames : g->pos;
		double env;

		if (k >= g->burst_frames) {
			out[i] = 0;
			continue;
		}
		env = 1.0;
		if (g->ramp_frames && k < g->ramp_frames)
			env = (double)k / (double)g->ramp_frames;
		else if (g->ramp_frames && g->burst_frames - 1 - k < g->ramp_frames)
			env = (double)(g->burst_frames - 1 - k) / (double)g->ramp_frames;
		/* Phase restarts with every burst: each burst is the same waveform. */
		out[i] = to_s16(g->amp * env * sin(2.0 * M_PI * g->freq_hz * (double)k / g->rate));
	}
}

int cr_announce_resample(const float *in, size_t n, unsigned in_rate, unsigned out_rate,
			 int16_t **out, size_t *outn)
{
	size_t want, cap;
	float *tmp = NULL;
	int16_t *o;
	int err = 0;

	*out = NULL;
	*outn = 0;
	if (!n || !in_rate || !out_rate)
		return -EINVAL;
	want = (size_t)(((uint64_t)n * out_rate + in_rate / 2) / in_rate);
	cap = want + 64;
	o = calloc(want ? want : 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (in_rate == out_rate) {
		for (size_t i = 0; i < want; i++)
			o[i] = to_s16(in[i]);
	} else {
		SRC_DATA sd = { 0 };
		int rc;

		tmp = calloc(cap, sizeof(*tmp));
		if (!tmp) {
			err = -ENOMEM;
			goto out;
		}
		sd.data_in = in;
		sd.input_frames = (long)n;
		sd.data_out = tmp;
		sd.output_frames = (long)cap;
		sd.src_ratio = (double)out_rate / in_rate;
		sd.end_of_input = 1;
		rc = src_simple(&sd, SRC_SINC_FASTEST, 1);
		if (rc) {
			cr_err("announcement: resampling: %s", src_strerror(rc));
			err = -EIO;
			goto out;
		}
		/* Exactly `want` frames: the tail libsamplerate holds back is zeros anyway. */
		for (size_t i = 0; i < want && i < (size_t)sd.output_frames_gen; i++)
			o[i] = to_s16(tmp[i]);
	}
	*out = o;
	*outn = want;
	o = NULL;
out:
	free(tmp);
	free(o);
	return err;
}

void cr_injq_free(struct cr_injq *q)
{
	memset(q, 0, sizeof(*q));
}

int cr_injq_pump(struct cr_injq *q, const struct cr_ring *ring)
{
	int16_t piece[CR_DISC_PIECE_FRAMES];

	if (!q->active)
		return 0;
	for (;;) {
		int err;
		size_t m;

		if (q->tone) {
			/* Keep CR_DISC_AHEAD_MS queued: enough to ride out a late tick, little
			 * enough to stop soon when the call ends. */
			uint64_t ahead = (uint64_t)q->rate *
					 (q->ahead_ms ? q->ahead_ms : CR_DISC_AHEAD_MS) / 1000u * 2u;
			struct cr_tonegen saved = q->gen;

			if (cr_inject_pending(ring) >= ahead)
				return 1;
			m = q->rate / 10u; /* 100 ms pieces */
			if (m > CR_DISC_PIECE_FRAMES)
				m = CR_DISC_PIECE_FRAMES;
			cr_tonegen_fill(&q->gen, piece, m);
			err = cr_inject_write(ring, q->kind, q->rate, q->next_id, piece, (uint32_t)m);
			if (err == -ENOSPC) {
				q->gen = saved; /* not queued: the same frames next time */
				return 1;
			}
		} else {
			if (q->off >= q->n) {
				q->active = 0;
				return 0;
			}
			m = q->n - q->off;
			if (m > CR_DISC_PIECE_FRAMES)
				m = CR_DISC_PIECE_FRAMES;
			err = cr_inject_write(ring, q->kind, q->rate, q->next_id, q->pcm + q->off,
					      (uint32_t)m);
			if (err == -ENOSPC)
				return 1;
			if (!err)
				q->off += m;
		}
		if (err) {
			cr_err("disclosure: the stream's ring takes no disclosure audio: %s",
			       strerror(-err));
			q->active = 0;
			return err;
		}
		q->next_id++;
	}
}

void cr_disc_init(struct cr_disclosure *d, const struct cr_purpose *purpose,
		  struct cr_announce *ann)
{
	memset(d, 0, sizeof(*d));
	if (!purpose)
		return;
	d->mode = purpose->mode;
	d->ann = ann && ann->s ? ann : NULL;
	d->also_local = purpose->also_local;
	d->tone = purpose->tone;
	if (!d->tone.frequency_hz)
		d->tone.frequency_hz = 1400;
	if (!d->tone.length_ms)
		d->tone.length_ms = 500;
	if (!d->tone.every_ms)
		d->tone.every_ms = 15000;
	if (d->mode == CR_DISCLOSE_ANNOUNCE && !d->ann)
		cr_err("disclosure: announce without a decoded announcement; nothing is played");
	d->hold_mute = d->mode == CR_DISCLOSE_ANNOUNCE && d->ann;
}

void cr_disc_free(struct cr_disclosure *d)
{
	cr_injq_free(&d->cap);
	cr_injq_free(&d->play);
	cr_injq_free(&d->fail);
	free(d->ev);
	memset(d, 0, sizeof(*d));
}

static unsigned ring_rate(const struct cr_ring *ring)
{
	return ring ? atomic_load_explicit(&cr_ring_hdr(ring)->stream_rate, memory_order_acquire)
		    : 0;
}

static int start_clip(struct cr_injq *q, struct cr_announce *a, unsigned rate, uint16_t kind)
{
	int err = cr_announce_at(a, rate, &q->pcm, &q->n);

	if (err)
		return err;
	q->rate = rate;
	q->kind = kind;
	q->off = 0;
	q->active = 1;
	return 0;
}

void cr_disc_pump(struct cr_disclosure *d, const struct cr_ring *cap_ring,
		  const struct cr_ring *play_ring)
{
	unsigned rate;

	if (cap_ring && !d->cap_started && (rate = ring_rate(cap_ring))) {
		/* The stream's rate is known once the application set hw_params. */
		d->cap_started = 1;
		if (d->mode == CR_DISCLOSE_ANNOUNCE && d->ann) {
			if (start_clip(&d->cap, d->ann, rate, CR_INJ_REPLACE) == 0)
				cr_info("disclosure: announcing %s at %u Hz (%zu frames)",
					d->ann->path, rate, d->cap.n);
			else
				d->hold_mute = 0; /* nothing to wait for */
		} else if (d->mode == CR_DISCLOSE_TONE) {
			cr_tonegen_init(&d->cap.gen, rate, d->tone.frequency_hz, d->tone.length_ms,
					d->tone.every_ms, d->tone.level_db);
			d->cap.rate = rate;
			d->cap.kind = CR_INJ_ADD;
			d->cap.tone = 1;
			d->cap.active = 1;
			cr_info("disclosure: %u Hz tone, %u ms every %u ms at %.0f dBFS",
				d->tone.frequency_hz, d->tone.length_ms, d->tone.every_ms,
				d->tone.level_db);
		}
	}
	if (play_ring && !d->play_started && (rate = ring_rate(play_ring))) {
		d->play_started = 1;
		if (d->mode == CR_DISCLOSE_ANNOUNCE && d->ann && d->also_local)
			start_clip(&d->play, d->ann, rate, CR_INJ_ADD);
	}
	if (cap_ring) {
		cr_injq_pump(&d->cap, cap_ring);
		if (d->cap.off > 0 || !d->cap.active)
			d->hold_mute = 0; /* the announcement is queued: it comes first */
	}
	if (play_ring)
		cr_injq_pump(&d->play, play_ring);
}

void cr_disc_fail_tone(struct cr_disclosure *d, const struct cr_ring *play_ring, int on)
{
	unsigned rate = ring_rate(play_ring);

	if (!on || !rate) {
		d->fail.active = 0;
		return;
	}
	if (!d->fail.active || d->fail.rate != rate) {
		cr_tonegen_init(&d->fail.gen, rate, CR_FAIL_TONE_HZ, CR_FAIL_TONE_MS,
				CR_FAIL_TONE_EVERY_MS, CR_FAIL_TONE_DB);
		d->fail.rate = rate;
		d->fail.kind = CR_INJ_ADD;
		d->fail.tone = 1;
		d->fail.ahead_ms = CR_FAIL_AHEAD_MS;
		d->fail.active = 1;
	}
	if (!d->play.active) /* one thing at a time in a ring: the local announcement first */
		cr_injq_pump(&d->fail, play_ring);
}

static struct cr_disc_event *add_event(struct cr_disclosure *d)
{
	if (d->nev == d->cap_ev) {
		size_t nc = d->cap_ev ? 2 * d->cap_ev : 16;
		struct cr_disc_event *ne;

		if (nc > CR_DISC_MAX_EVENTS)
			return NULL;
		ne = realloc(d->ev, nc * sizeof(*ne));
		if (!ne)
			return NULL;
		d->ev = ne;
		d->cap_ev = nc;
	}
	memset(&d->ev[d->nev], 0, sizeof(d->ev[0]));
	return &d->ev[d->nev++];
}

/* Call-relative ms of frame idx of a capture record (stamped after its last frame). */
static int64_t frame_ms(const struct cr_rec *h, uint64_t idx, uint64_t call_start_ns)
{
	int64_t back = (int64_t)((h->frames - idx) * 1000000000ULL / h->rate);
	int64_t t = (int64_t)h->t_ns - back - (int64_t)call_start_ns;

	return t > 0 ? t / 1000000 : 0;
}

void cr_disc_observe(struct cr_disclosure *d, const struct cr_rec *h, uint64_t call_start_ns)
{
	uint64_t first, n;
	struct cr_disc_event *e;

	if (!h->inject_frames || !h->rate || h->inject_first >= h->frames)
		return;
	first = h->inject_first;
	n = h->inject_frames;
	if (first + n > h->frames)
		n = h->frames - first;
	d->seen_rate = h->rate;
	if (d->mode == CR_DISCLOSE_ANNOUNCE) {
		if (!d->ann_frames && (e = add_event(d))) {
			e->kind = CR_DISC_EV_ANNOUNCE;
			e->start_ms = frame_ms(h, first, call_start_ns);
			e->stream_pos = h->pos + first;
		}
		d->ann_frames += n;
		for (size_t i = d->nev; i-- > 0;)
			if (d->ev[i].kind == CR_DISC_EV_ANNOUNCE) {
				d->ev[i].length_ms = (int64_t)(d->ann_frames * 1000 / h->rate);
				break;
			}
	} else if (d->mode == CR_DISCLOSE_TONE && d->cap.gen.every_frames) {
		/* The queue is contiguous from its first frame: burst k starts at disclosure
		 * frame k * every_frames. */
		uint64_t every = d->cap.gen.every_frames;
		uint64_t k = (d->seen_frames + every - 1) / every;

		for (uint64_t at = k * every; at < d->seen_frames + n; at += every) {
			uint64_t idx = first + (at - d->seen_frames);
			if (!(e = add_event(d)))
				break;
			e->kind = CR_DISC_EV_TONE;
			e->start_ms = frame_ms(h, idx, call_start_ns);
			e->length_ms = d->tone.length_ms;
			e->stream_pos = h->pos + idx;
		}
	}
	d->seen_frames += n;
}

const char *cr_disc_kind_name(enum cr_disc_kind k)
{
	return k == CR_DISC_EV_ANNOUNCE ? "announce" : "tone";
}
