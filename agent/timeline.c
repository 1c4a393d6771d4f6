/* Call timeline: see timeline.h. */
#include "timeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static cr_tl_admit_fn admit_fn;
static void *admit_ctx;

void cr_tl_set_admission(cr_tl_admit_fn fn, void *ctx)
{
	admit_fn = fn;
	admit_ctx = ctx;
}

int cr_tl_init(struct cr_timeline *tl, unsigned rate, unsigned chunk_ms)
{
	memset(tl, 0, sizeof(*tl));
	if (rate == 0 || chunk_ms == 0)
		return -EINVAL;
	tl->rate = rate;
	tl->chunk_frames = (unsigned)((uint64_t)rate * chunk_ms / 1000);
	if (tl->chunk_frames == 0)
		return -EINVAL;
	tl->cap = (size_t)tl->chunk_frames * 4;
	tl->buf = calloc(tl->cap * CR_TL_CHANNELS, sizeof(float));
	return tl->buf ? 0 : -ENOMEM;
}

void cr_tl_free(struct cr_timeline *tl)
{
	free(tl->buf);
	free(tl->gaps);
	memset(tl, 0, sizeof(*tl));
}

/* Timeline position of CLOCK_MONOTONIC time t for a call started at start (floor). */
int64_t cr_time_to_pos(uint64_t t, uint64_t start, unsigned rate)
{
	int64_t d = (int64_t)(t - start);
	int64_t sec = d / 1000000000LL, rem = d % 1000000000LL;
	int64_t pos = sec * rate + rem * (int64_t)rate / 1000000000LL;
	if (rem < 0 && (rem * (int64_t)rate) % 1000000000LL)
		pos--;
	return pos;
}

const char *cr_gap_cause_name(enum cr_gap_cause c)
{
	switch (c) {
	case CR_GAP_DROPPED:
		return "dropped";
	case CR_GAP_LAG:
		return "lag";
	case CR_GAP_AGENT:
		return "agent";
	case CR_GAP_PAUSE:
		return "pause";
	case CR_GAP_SPOOL_FULL:
		return "spool_full";
	case CR_GAP_EVICTED:
		return "evicted";
	}
	return "unknown";
}

int cr_tl_gap(struct cr_timeline *tl, unsigned ch, int64_t start, uint64_t length,
	      enum cr_gap_cause cause)
{
	struct cr_gap *g;

	if (start < 0) {
		if ((uint64_t)-start >= length)
			return 0;
		length -= (uint64_t)-start;
		start = 0;
	}
	if (length == 0 || ch >= CR_TL_CHANNELS)
		return 0;
	/* Look a few entries back: gaps of both channels interleave (a chunk refused for lack
	 * of spool room is a gap on each), and a long outage must stay one entry per channel. */
	for (size_t i = tl->ngaps, back = 0; i > 0 && back < 2 * CR_TL_CHANNELS; i--, back++) {
		g = &tl->gaps[i - 1];
		if (g->channel == ch && g->cause == cause && g->start + g->length == (uint64_t)start) {
			g->length += length;
			return 0;
		}
	}
	if (tl->ngaps == tl->gaps_cap) {
		size_t nc = tl->gaps_cap ? tl->gaps_cap * 2 : 8;
		g = realloc(tl->gaps, nc * sizeof(*g));
		if (!g)
			return -ENOMEM;
		tl->gaps = g;
		tl->gaps_cap = nc;
	}
	tl->gaps[tl->ngaps++] = (struct cr_gap){ (uint64_t)start, length, ch, cause };
	return 0;
}

/* Make room for frames up to absolute position `end`; returns the end actually available
 * (smaller when the window limit is reached). */
static uint64_t ensure_window(struct cr_timeline *tl, uint64_t end)
{
	size_t limit = (size_t)tl->rate * CR_TL_MAX_WINDOW_S;
	size_t need = (size_t)(end - tl->base);
	size_t nc;
	float *nb;

	if (need <= tl->cap)
		return end;
	if (need > limit)
		need = limit;
	nc = tl->cap;
	while (nc < need)
		nc *= 2;
	if (nc > limit)
		nc = limit;
	if (nc <= tl->cap)
		return tl->base + tl->cap;
	nb = realloc(tl->buf, nc * CR_TL_CHANNELS * sizeof(float));
	if (!nb)
		return tl->base + tl->cap;
	memset(nb + tl->cap * CR_TL_CHANNELS, 0, (nc - tl->cap) * CR_TL_CHANNELS * sizeof(float));
	tl->buf = nb;
	tl->cap = nc;
	return tl->base + nc;
}

int cr_tl_put(struct cr_timeline *tl, unsigned ch, int64_t pos, const float *s, size_t n)
{
	uint64_t start, end, avail;

	if (ch >= CR_TL_CHANNELS || n == 0)
		return 0;
	/* Cut what lies before the call start or in chunks already emitted. */
	if (pos < (int64_t)tl->base) {
		uint64_t skip = (uint64_t)((int64_t)tl->base - pos);
		if (skip >= n)
			return 0;
		s += skip;
		n -= skip;
		pos = (int64_t)tl->base;
	}
	start = (uint64_t)pos;
	end = start + n;
	avail = ensure_window(tl, end);
	if (avail < end) {
		int err = cr_tl_gap(tl, ch, (int64_t)(avail > start ? avail : start),
				    end - (avail > start ? avail : start), CR_GAP_DROPPED);
		if (err)
			return err;
		if (avail <= start)
			return 0;
		end = avail;
	}
	float *d = tl->buf + (start - tl->base) * CR_TL_CHANNELS + ch;
	for (uint64_t i = start; i < end; i++, d += CR_TL_CHANNELS)
		*d += *s++;
	if (end > tl->high)
		tl->high = end;
	return 0;
}

static int16_t to_s16(float v)
{
	long l = lrintf(v * 32768.0f);
	if (l > 32767)
		l = 32767;
	if (l < -32768)
		l = -32768;
	return (int16_t)l;
}

static int next_chunk(struct cr_timeline *tl, const int64_t progress[CR_TL_CHANNELS],
		      int64_t now_pos, int flush, struct cr_tl_chunk *out);

int cr_tl_next_chunk(struct cr_timeline *tl, const int64_t progress[CR_TL_CHANNELS],
		     int64_t now_pos, int flush, struct cr_tl_chunk *out)
{
	/* Chunks refused for lack of spool room are consumed here (their audio becomes a gap),
	 * so the caller only ever sees chunks to send: the hash chain stays contiguous. */
	for (;;) {
		int r = next_chunk(tl, progress, now_pos, flush, out);
		if (r != 1 || !admit_fn || admit_fn(admit_ctx, out->frames))
			return r;
		for (unsigned c = 0; c < CR_TL_CHANNELS; c++) {
			int err = cr_tl_gap(tl, c, (int64_t)out->start, out->frames,
					    CR_GAP_SPOOL_FULL);
			if (err)
				return err;
		}
	}
}

static int next_chunk(struct cr_timeline *tl, const int64_t progress[CR_TL_CHANNELS],
		      int64_t now_pos, int flush, struct cr_tl_chunk *out)
{
	uint64_t end = tl->base + tl->chunk_frames;
	int64_t lag = (int64_t)((uint64_t)tl->rate * CR_TL_LAG_MS / 1000);
	uint32_t frames = tl->chunk_frames;

	if (flush) {
		if (tl->high <= tl->base)
			return 0;
		if (tl->high < end)
			frames = (uint32_t)(tl->high - tl->base);
	} else {
		int complete = 1;
		for (unsigned c = 0; c < CR_TL_CHANNELS; c++)
			if (progress[c] < (int64_t)end)
				complete = 0;
		if (!complete) {
			if (now_pos < (int64_t)end + lag)
				return 0;
			for (unsigned c = 0; c < CR_TL_CHANNELS; c++) {
				if (progress[c] >= (int64_t)end)
					continue;
				int64_t from = progress[c] > (int64_t)tl->base ? progress[c]
									: (int64_t)tl->base;
				int err = cr_tl_gap(tl, c, from, end - (uint64_t)from, CR_GAP_LAG);
				if (err)
					return err;
			}
		}
	}
	out->start = tl->base;
	out->frames = frames;
	for (size_t i = 0; i < (size_t)frames * CR_TL_CHANNELS; i++)
		out->pcm[i] = to_s16(tl->buf[i]);
	/* Slide the window: keep what was written beyond this chunk. */
	size_t used = tl->high > tl->base ? (size_t)(tl->high - tl->base) : 0;
	size_t keep = used > frames ? used - frames : 0;
	if (used < frames)
		used = frames;
	if (keep)
		memmove(tl->buf, tl->buf + (size_t)frames * CR_TL_CHANNELS,
			keep * CR_TL_CHANNELS * sizeof(float));
	/* Only the frames that held data need clearing; the rest of the window is zero. */
	memset(tl->buf + keep * CR_TL_CHANNELS, 0, (used - keep) * CR_TL_CHANNELS * sizeof(float));
	tl->base += frames;
	if (tl->high < tl->base)
		tl->high = tl->base;
	return 1;
}
