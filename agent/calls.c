/* Streams into calls: see calls.h. */
#include "calls.h"

#include <errno.h>
#include <stdatomic.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static unsigned channel_of(enum cr_dir d)
{
	return d == CR_DIR_CAPTURE ? 0 : 1; /* 1 = local party, 2 = remote party */
}

static const char *dir_name(enum cr_dir d)
{
	return d == CR_DIR_CAPTURE ? "capture" : "playback";
}

void cr_calls_init(struct cr_calls *r, unsigned chunk_ms, cr_emit_fn emit, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->chunk_ms = chunk_ms;
	r->rate = CR_ARCHIVE_RATE;
	r->emit = emit;
	r->emit_ctx = ctx;
	if (gethostname(r->host, sizeof(r->host) - 1))
		strcpy(r->host, "localhost");
}

size_t cr_calls_count(const struct cr_calls *r)
{
	size_t n = 0;
	for (const struct cr_call *c = r->calls; c; c = c->next)
		n++;
	return n;
}

static uint64_t ring_dropped(const struct cr_stream *st)
{
	const struct cr_ring_hdr *h = st->ring;
	return st->ring ? atomic_load_explicit(&h->dropped_frames, memory_order_relaxed) : 0;
}

uint64_t cr_calls_dropped_frames(const struct cr_calls *r)
{
	uint64_t n = r->dropped_closed;
	for (const struct cr_stream *st = r->streams; st; st = st->next)
		n += ring_dropped(st);
	return n;
}

/* --- spooling a call's frames, in order ------------------------------------------------- */

static int retry_held(struct cr_calls *r, struct cr_call *c)
{
	int err;

	if (!c->held)
		return 0;
	err = r->emit(r->emit_ctx, c->id, c->held_seq, c->held_type, c->held, c->held_len);
	if (err)
		return err;
	free(c->held);
	c->held = NULL;
	return 0;
}

/* Hand one frame on; if that fails keep it (owned) and retry it later, before anything
 * newer, so the archive always sees seq order without holes. */
static int emit_frame(struct cr_calls *r, struct cr_call *c, uint64_t seq, uint8_t type,
		      uint8_t *frame, size_t len)
{
	int err = retry_held(r, c);

	if (!err)
		err = r->emit(r->emit_ctx, c->id, seq, type, frame, len);
	if (!err) {
		free(frame);
		return 0;
	}
	if (!c->held) {
		cr_err("call %s: cannot spool frame %llu: %s; retrying", c->hex,
		       (unsigned long long)seq, strerror(-err));
		c->held = frame;
		c->held_len = len;
		c->held_seq = seq;
		c->held_type = type;
	} else {
		/* Only one frame waits. Chunk emission stops while one does, so this happens only
		 * for a CALL_CLOSE at the end of a call on a failing disk: the call is then left
		 * without its close and the next start of the agent closes it (cause "agent"). */
		free(frame);
	}
	return err;
}

/* --- creating and ending calls ---------------------------------------------------------- */

static void attach(struct cr_call *c, struct cr_stream *st, uint64_t now_ns)
{
	st->call = c;
	st->joined_ns = now_ns;
	cr_feed_reset(&st->feed);
	cr_info("stream %u (%s, pid %d) joined call %s", st->serial, dir_name(st->dir),
		(int)st->peer.pid, c->hex);
}

static struct cr_call *find_call(struct cr_calls *r, pid_t pid)
{
	for (struct cr_call *c = r->calls; c; c = c->next)
		if (c->pid == pid)
			return c;
	return NULL;
}

static int stream_live(const struct cr_stream *st)
{
	return !st->abandoned;
}

static int pid_has(struct cr_calls *r, pid_t pid, enum cr_dir d)
{
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->peer.pid == pid && st->dir == d && stream_live(st))
			return 1;
	return 0;
}

static int call_has(struct cr_calls *r, struct cr_call *c, enum cr_dir d)
{
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->call == c && st->dir == d && stream_live(st))
			return 1;
	return 0;
}

static void free_call(struct cr_call *c)
{
	cr_tl_free(&c->tl);
	free(c->pcm);
	free(c->held);
	free(c);
}

static int new_call(struct cr_calls *r, struct cr_stream *first, uint64_t now_ns)
{
	struct cr_call *c = calloc(1, sizeof(*c));
	char *json = NULL;
	uint8_t *frame;
	size_t len;
	int err = -ENOMEM;

	if (!c)
		goto fail;
	if (gnutls_rnd(GNUTLS_RND_NONCE, c->id, sizeof(c->id)) < 0 &&
	    getrandom(c->id, sizeof(c->id), 0) != (ssize_t)sizeof(c->id)) {
		err = -EIO;
		goto fail;
	}
	cr_id_to_hex(c->id, c->hex);
	c->pid = first->peer.pid;
	c->uid = first->peer.uid;
	c->start_ns = now_ns;
	err = cr_tl_init(&c->tl, r->rate, r->chunk_ms);
	if (err)
		goto fail;
	err = -ENOMEM;
	c->pcm = malloc((size_t)c->tl.chunk_frames * CR_TL_CHANNELS * sizeof(int16_t));
	if (!c->pcm)
		goto fail;

	struct cr_call_meta *m = &c->meta;
	snprintf(m->user, sizeof(m->user), "%s", first->peer.user);
	m->uid = first->peer.uid;
	m->gid = first->peer.gid;
	m->pid = first->peer.pid;
	snprintf(m->application, sizeof(m->application), "%s", first->peer.application);
	snprintf(m->exe, sizeof(m->exe), "%s", first->peer.exe);
	snprintf(m->host, sizeof(m->host), "%s", r->host);
	clock_gettime(CLOCK_REALTIME, &m->start);
	m->rate = r->rate;
	m->channels = CR_TL_CHANNELS;
	/* The line is the device's name for the policy: take it from any stream that has one. */
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->peer.pid == c->pid && st->line[0] && !m->line[0])
			snprintf(m->line, sizeof(m->line), "%s", st->line);

	json = cr_meta_open_json(m);
	if (!json)
		goto fail;
	err = cr_chain_open(&c->chain, c->id, json, &frame, &len);
	free(json);
	if (err)
		goto fail;
	c->next = r->calls;
	r->calls = c;
	cr_notice("call %s started: pid %d, %s, user %s", c->hex, (int)c->pid, m->application,
		  m->user);
	emit_frame(r, c, 0, CR_F_CALL_OPEN, frame, len);
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->peer.pid == c->pid && stream_live(st))
			attach(c, st, now_ns);
	return 0;
fail:
	cr_err("cannot start a call for pid %d: %s", (int)first->peer.pid, strerror(-err));
	if (c)
		free_call(c);
	return err;
}

static void channel_progress(struct cr_calls *r, struct cr_call *c, uint64_t now_ns,
			     int64_t progress[CR_TL_CHANNELS])
{
	int64_t now_pos = cr_time_to_pos(now_ns, c->start_ns, c->tl.rate);
	int seen[CR_TL_CHANNELS] = { 0 };

	for (unsigned ch = 0; ch < CR_TL_CHANNELS; ch++)
		progress[ch] = now_pos;
	for (struct cr_stream *st = r->streams; st; st = st->next) {
		if (st->call != c || !stream_live(st))
			continue;
		unsigned ch = channel_of(st->dir);
		/* A stream that has not delivered yet is complete up to when it joined. */
		int64_t p = st->feed.anchored ? cr_feed_progress(&st->feed)
					      : cr_time_to_pos(st->joined_ns, c->start_ns,
							       c->tl.rate);
		if (!seen[ch] || p < progress[ch])
			progress[ch] = p;
		seen[ch] = 1;
	}
}

static void emit_chunks(struct cr_calls *r, struct cr_call *c, uint64_t now_ns, int flush)
{
	int64_t progress[CR_TL_CHANNELS];
	struct cr_tl_chunk ch = { .pcm = c->pcm };

	if (retry_held(r, c))
		return;
	/* Both directions closed (grace period): nothing happens in the call, so nothing is
	 * emitted beyond what was written; a reopened stream or the call's end decides. */
	if (!flush && !call_has(r, c, CR_DIR_CAPTURE) && !call_has(r, c, CR_DIR_PLAYBACK))
		return;
	channel_progress(r, c, now_ns, progress);
	while (cr_tl_next_chunk(&c->tl, progress,
				cr_time_to_pos(now_ns, c->start_ns, c->tl.rate), flush, &ch) == 1) {
		uint8_t *frame;
		size_t len;
		uint64_t seq = c->chain.next_seq;
		int err = cr_chain_chunk(&c->chain, ch.start, ch.frames, c->tl.rate, CR_TL_CHANNELS,
					 c->pcm, &frame, &len);
		if (err) {
			cr_err("call %s: cannot build chunk %llu: %s", c->hex,
			       (unsigned long long)seq, strerror(-err));
			return;
		}
		cr_debug("call %s: chunk %llu at %llu, %u frames", c->hex, (unsigned long long)seq,
			 (unsigned long long)ch.start, ch.frames);
		if (emit_frame(r, c, seq, CR_F_CHUNK, frame, len))
			return;
	}
}

static void end_call(struct cr_calls *r, struct cr_call *c, uint64_t now_ns)
{
	struct timespec end;
	uint8_t *frame;
	size_t len;
	char *json;
	int err;

	for (struct cr_stream *st = r->streams; st; st = st->next) {
		if (st->call != c)
			continue;
		if (!st->abandoned)
			cr_feed_flush(&st->feed, &c->tl, channel_of(st->dir));
		st->call = NULL;
		cr_feed_reset(&st->feed);
	}
	emit_chunks(r, c, now_ns, 1);
	clock_gettime(CLOCK_REALTIME, &end);
	json = cr_meta_close_json(&end, c->tl.base, c->tl.rate, c->tl.gaps, c->tl.ngaps);
	if (!json) {
		err = -ENOMEM;
	} else {
		uint64_t seq = c->chain.next_seq;
		err = cr_chain_close(&c->chain, json, &frame, &len);
		free(json);
		if (!err)
			err = emit_frame(r, c, seq, CR_F_CALL_CLOSE, frame, len);
	}
	if (err)
		cr_err("call %s: could not spool its end (%s); the next start closes it", c->hex,
		       strerror(-err));
	cr_notice("call %s ended: %.1f s, %zu gaps", c->hex,
		  (double)c->tl.base / c->tl.rate, c->tl.ngaps);
	for (struct cr_call **p = &r->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	free_call(c);
}

/* --- streams ----------------------------------------------------------------------------- */

static void abandon(struct cr_stream *st, const char *why)
{
	cr_err("stream %u (pid %d, %s): %s; no longer recorded", st->serial, (int)st->peer.pid,
	       st->peer.application, why);
	st->abandoned = 1;
	st->call = NULL;
}

static void drain(struct cr_stream *st)
{
	while (!st->abandoned) {
		struct cr_rec h; /* validated copy: the producer can change shared memory any time */
		int err;
		const void *payload = cr_ring_peek(st->ring, st->ring_bytes, &h, &err);

		if (!payload) {
			if (err)
				abandon(st, "invalid record in the ring");
			return;
		}
		if (st->call) {
			err = cr_feed_record(&st->feed, &st->call->tl, channel_of(st->dir),
					     st->call->start_ns, &h, payload);
			if (err == -ENOTSUP) {
				char why[64];
				snprintf(why, sizeof(why), "unsupported sample format %d", h.format);
				abandon(st, why);
			} else if (err == -EPROTO) {
				abandon(st, "inconsistent record");
			} else if (err) {
				cr_err("stream %u: %s", st->serial, strerror(-err));
			}
		}
		cr_ring_release(st->ring, &h);
	}
}

static void pair(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns)
{
	struct cr_call *c;

	if (st->call || st->abandoned)
		return;
	c = find_call(r, st->peer.pid);
	if (c) {
		attach(c, st, now_ns);
		return;
	}
	if (pid_has(r, st->peer.pid, CR_DIR_CAPTURE) && pid_has(r, st->peer.pid, CR_DIR_PLAYBACK))
		new_call(r, st, now_ns);
}

void cr_calls_add_stream(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns)
{
	st->serial = ++r->next_serial;
	st->feed.stamp_at_end = st->dir == CR_DIR_CAPTURE;
	st->call = NULL;
	st->next = r->streams;
	r->streams = st;
	cr_info("stream %u opened: %s, pid %d (%s), user %s, line \"%s\", pcm \"%s\"", st->serial,
		dir_name(st->dir), (int)st->peer.pid, st->peer.application, st->peer.user,
		st->line, st->pcm);
	/* What the ring held before the stream joins a call is not part of any call. */
	pair(r, st, now_ns);
}

static void free_stream(struct cr_stream *st)
{
	cr_feed_free(&st->feed);
	if (st->unmap)
		st->unmap(st);
	free(st);
}

void cr_calls_remove_stream(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns)
{
	drain(st);
	if (st->call)
		cr_feed_flush(&st->feed, &st->call->tl, channel_of(st->dir));
	for (struct cr_stream **p = &r->streams; *p; p = &(*p)->next)
		if (*p == st) {
			*p = st->next;
			break;
		}
	r->dropped_closed += ring_dropped(st);
	cr_info("stream %u closed (pid %d, %s), %llu frames dropped by the plugin", st->serial,
		(int)st->peer.pid, dir_name(st->dir), (unsigned long long)ring_dropped(st));
	(void)now_ns; /* the grace period starts at the next tick */
	free_stream(st);
}

void cr_calls_tick(struct cr_calls *r, uint64_t now_ns)
{
	struct cr_call *c, *next;

	for (struct cr_stream *st = r->streams; st; st = st->next) {
		drain(st);
		pair(r, st, now_ns);
	}
	for (c = r->calls; c; c = next) {
		next = c->next;
		if (call_has(r, c, CR_DIR_CAPTURE) && call_has(r, c, CR_DIR_PLAYBACK)) {
			c->grace_until = 0;
		} else if (!c->grace_until) {
			c->grace_until = now_ns + CR_CALL_GRACE_NS;
		} else if (now_ns >= c->grace_until) {
			end_call(r, c, now_ns);
			continue;
		}
		emit_chunks(r, c, now_ns, 0);
	}
}

void cr_calls_shutdown(struct cr_calls *r, uint64_t now_ns)
{
	for (struct cr_stream *st = r->streams; st; st = st->next)
		drain(st);
	while (r->calls)
		end_call(r, r->calls, now_ns);
	while (r->streams) {
		struct cr_stream *st = r->streams;
		r->streams = st->next;
		free_stream(st);
	}
}
