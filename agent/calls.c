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
	return st->ring.base ? atomic_load_explicit(&cr_ring_hdr(&st->ring)->dropped_frames,
						    memory_order_relaxed)
			     : 0;
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
		c->held_err = err;
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
	cr_disc_free(&c->disc);
	cr_pol_unref(c->pol);
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
	/* A capture stream that began disclosing before the call formed: the call starts with
	 * it, so the disclosure and what was held of its audio are part of the recording. */
	struct cr_stream *early = NULL;
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->peer.pid == first->peer.pid && st->early && stream_live(st) &&
		    st->opened_ns < c->start_ns) {
			early = st;
			c->start_ns = st->opened_ns;
		}
	/* The policy of the stream whose decision the call follows (below) sets the rate. */
	const struct cr_stream *decider = early ? early : first;
	unsigned rate = decider->pol && decider->pol->p ? decider->pol->p->rate : r->rate;
	err = cr_tl_init(&c->tl, rate, r->chunk_ms);
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
	if (now_ns > c->start_ns) { /* the wall-clock time of the (earlier) start */
		uint64_t back = now_ns - c->start_ns;
		int64_t ns = (int64_t)m->start.tv_nsec - (int64_t)(back % 1000000000ULL);
		m->start.tv_sec -= (time_t)(back / 1000000000ULL);
		if (ns < 0) {
			ns += 1000000000LL;
			m->start.tv_sec--;
		}
		m->start.tv_nsec = (long)ns;
	}
	m->rate = rate;
	m->channels = CR_TL_CHANNELS;
	/* The decision made when the stream opened, under the policy of that moment (the early
	 * discloser's, whose announcement the call now plays). */
	c->pol = cr_pol_ref(decider->pol);
	m->purpose = cr_pol_purpose(c->pol, decider->purpose);
	m->rule = decider->rule;
	if (m->purpose) {
		m->policy_sha256 = c->pol->sha256;
		m->on_failure = c->pol->p->on_failure;
		m->employees_notice = c->pol->p->employees_notice;
	}
	if (early) {
		c->disc = *early->early; /* takes over its queues and buffers */
		free(early->early);
		early->early = NULL;
	} else {
		cr_disc_init(&c->disc, m->purpose,
			     m->purpose ? &c->pol->ann[decider->purpose] : NULL);
	}
	/* The line is the device's name for the policy: take it from any stream that has one. */
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->peer.pid == c->pid && st->line[0] && !m->line[0])
			snprintf(m->line, sizeof(m->line), "%s", st->line);

	json = cr_meta_open_json(m);
	if (!json)
		goto fail;
	cr_info("call %s metadata: %s", c->hex, json);
	err = cr_chain_open(&c->chain, c->id, json, &frame, &len);
	free(json);
	if (err)
		goto fail;
	c->next = r->calls;
	r->calls = c;
	cr_notice("call %s started: pid %d, %s, user %s", c->hex, (int)c->pid, m->application,
		  m->user);
	if (m->purpose)
		cr_notice("call %s: rule %d, purpose %s, legal basis %s, retention %llu ms, "
			  "disclosure %s, policy %s", c->hex, m->rule, m->purpose->name,
			  cr_legal_basis_name(m->purpose->basis), m->purpose->retention_ms,
			  cr_disclosure_name(m->purpose->mode), m->policy_sha256);
	else
		cr_warn("call %s: recorded under the built-in rule (no policy configured): "
			"for demos only", c->hex);
	emit_frame(r, c, 0, CR_F_CALL_OPEN, frame, len);
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->peer.pid == c->pid && stream_live(st)) {
			attach(c, st, now_ns);
			if (st == early) /* its held audio starts at its open */
				st->joined_ns = st->opened_ns;
		}
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

/* Pauses are silence on both channels, by position on the call's timeline (so playback
 * written before the pause but heard during it is silenced too, and nothing outside the
 * marked span is). Applied to the window not yet emitted, right before emitting: audio placed
 * there later is silenced on the next pass. */
static void silence_pauses(struct cr_call *c)
{
	struct cr_timeline *tl = &c->tl;
	uint64_t lo = tl->base, hi = tl->base + tl->cap;

	for (size_t i = c->npauses; i-- > 0;) {
		const struct cr_span *p = &c->pauses[i];
		uint64_t a = (uint64_t)p->start_ms * tl->rate / 1000u;
		uint64_t b = c->paused && i == c->npauses - 1
				     ? UINT64_MAX
				     : (uint64_t)(p->start_ms + p->length_ms) * tl->rate / 1000u;
		if (b <= lo)
			break; /* this and every earlier pause are emitted already */
		if (a < lo)
			a = lo;
		if (b > hi)
			b = hi;
		if (a < b && tl->buf)
			memset(tl->buf + (a - lo) * CR_TL_CHANNELS, 0,
			       (size_t)(b - a) * CR_TL_CHANNELS * sizeof(float));
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
	silence_pauses(c);
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

static int64_t call_ms(const struct cr_call *c, uint64_t t_ns)
{
	return t_ns > c->start_ns ? (int64_t)((t_ns - c->start_ns) / 1000000ULL) : 0;
}

/* A pause or failure still running when the call ends ends with it. */
static void close_spans(struct cr_call *c, uint64_t now_ns)
{
	if (c->paused)
		cr_call_resume(c, now_ns);
	if (c->failing && c->nfailures) {
		struct cr_span *f = &c->failures[c->nfailures - 1];
		f->length_ms = call_ms(c, now_ns) - f->start_ms;
		c->failing = 0;
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
		if (st->ring.base) /* on_failure: block ends with the call */
			atomic_fetch_and_explicit(&cr_ring_hdr(&st->ring)->control,
						  ~CR_RING_CTL_MUTE, memory_order_release);
		st->call = NULL;
		cr_feed_reset(&st->feed);
	}
	emit_chunks(r, c, now_ns, 1);
	clock_gettime(CLOCK_REALTIME, &end);
	close_spans(c, now_ns);
	struct cr_call_end ce = { .end = end, .frames = c->tl.base, .rate = c->tl.rate,
				  .gaps = c->tl.gaps, .ngaps = c->tl.ngaps, .pauses = c->pauses,
				  .npauses = c->npauses, .tags = c->tags, .ntags = c->ntags,
				  .failures = c->failures, .nfailures = c->nfailures,
				  .meta = &c->meta, .disclosure = &c->disc };
	json = cr_meta_close_json_full(&ce);
	if (json)
		cr_info("call %s close metadata: %s", c->hex, json);
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
		const void *payload = cr_ring_peek(&st->ring, &h, &err);

		if (!payload) {
			if (err)
				abandon(st, "invalid record in the ring");
			return;
		}
		if (st->call) {
			struct cr_call *c = st->call;

			if (st->dir == CR_DIR_CAPTURE)
				cr_disc_observe(&c->disc, &h, c->start_ns);
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
		cr_ring_release(&st->ring, &h);
	}
}

/* --- private calls ------------------------------------------------------------------------ */

static int private_pid(const struct cr_calls *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprivate_pids; i++)
		if (r->private_pids[i].pid == pid)
			return 1;
	return 0;
}

static void add_private_pid(struct cr_calls *r, pid_t pid)
{
	if (private_pid(r, pid))
		return;
	if (r->nprivate_pids == CR_PRIVATE_MAX) {
		/* Full: forget the oldest mark (its process stopped long ago, or lives on with
		 * its streams already marked). */
		memmove(&r->private_pids[0], &r->private_pids[1],
			(CR_PRIVATE_MAX - 1) * sizeof(r->private_pids[0]));
		r->nprivate_pids--;
	}
	r->private_pids[r->nprivate_pids++] = (struct cr_private_pid){ .pid = pid };
}

/* A private process that has had no stream for the grace period starts afresh. */
static void expire_private_pids(struct cr_calls *r, uint64_t now_ns)
{
	for (size_t i = 0; i < r->nprivate_pids;) {
		struct cr_private_pid *p = &r->private_pids[i];
		int live = 0;

		for (struct cr_stream *st = r->streams; st && !live; st = st->next)
			live = st->peer.pid == p->pid;
		if (live) {
			p->until_ns = 0;
		} else if (!p->until_ns) {
			p->until_ns = now_ns + CR_CALL_GRACE_NS;
		} else if (now_ns >= p->until_ns) {
			*p = r->private_pids[--r->nprivate_pids];
			continue;
		}
		i++;
	}
}

static int take_private_next(struct cr_calls *r, uid_t uid)
{
	for (size_t i = 0; i < r->nprivate_next; i++)
		if (r->private_next[i] == uid) {
			r->private_next[i] = r->private_next[--r->nprivate_next];
			return 1;
		}
	return 0;
}

int cr_calls_private_pending(const struct cr_calls *r, uid_t uid)
{
	for (size_t i = 0; i < r->nprivate_next; i++)
		if (r->private_next[i] == uid)
			return 1;
	return 0;
}

int cr_calls_private_next(struct cr_calls *r, uid_t uid)
{
	if (cr_calls_private_pending(r, uid))
		return 0;
	if (r->nprivate_next == CR_PRIVATE_MAX)
		return -ENOSPC;
	r->private_next[r->nprivate_next++] = uid;
	return 0;
}

void cr_calls_make_private(struct cr_calls *r, struct cr_call *c, uint8_t id_out[CR_CALL_ID_BYTES])
{
	memcpy(id_out, c->id, CR_CALL_ID_BYTES);
	add_private_pid(r, c->pid);
	for (struct cr_stream *st = r->streams; st; st = st->next) {
		if (st->peer.pid == c->pid)
			st->priv = 1;
		if (st->call == c) {
			struct cr_ring_hdr *h = st->ring.base ? cr_ring_hdr(&st->ring) : NULL;
			st->call = NULL;
			cr_feed_reset(&st->feed);
			/* Whatever on_failure muted is the user's own business again. */
			if (h)
				atomic_fetch_and_explicit(&h->control, ~CR_RING_CTL_MUTE,
							  memory_order_release);
		}
	}
	for (struct cr_call **p = &r->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	cr_notice("call %s: marked private by the user; no longer recorded, erasing it", c->hex);
	free_call(c);
}

/* --- pause, resume, tags ------------------------------------------------------------------ */

int cr_call_pause(struct cr_call *c, uint64_t now_ns)
{
	if (c->paused)
		return -EALREADY;
	if (c->npauses == CR_PAUSES_MAX)
		return -ENOSPC;
	c->paused = 1;
	c->pause_ns = now_ns;
	c->resume_ns = 0;
	c->pauses[c->npauses++] = (struct cr_span){ .start_ms = call_ms(c, now_ns) };
	cr_notice("call %s paused", c->hex);
	return 0;
}

int cr_call_resume(struct cr_call *c, uint64_t now_ns)
{
	struct cr_span *p;

	if (!c->paused)
		return -EALREADY;
	c->paused = 0;
	c->resume_ns = now_ns;
	p = &c->pauses[c->npauses - 1];
	p->length_ms = call_ms(c, now_ns) - p->start_ms;
	cr_notice("call %s resumed after %lld ms", c->hex, (long long)p->length_ms);
	return 0;
}

int cr_call_tag(struct cr_call *c, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < c->ntags; i++)
		if (!strcmp(c->tags[i].key, key))
			break;
	if (i == c->ntags) {
		if (c->ntags == CR_TAGS_MAX)
			return -ENOSPC;
		c->ntags++;
	}
	snprintf(c->tags[i].key, sizeof(c->tags[i].key), "%s", key);
	snprintf(c->tags[i].value, sizeof(c->tags[i].value), "%s", value);
	return 0;
}

const struct cr_ring *cr_call_ring(struct cr_calls *r, struct cr_call *c, enum cr_dir d)
{
	for (struct cr_stream *st = r->streams; st; st = st->next)
		if (st->call == c && st->dir == d && stream_live(st))
			return st->ring.base ? &st->ring : NULL;
	return NULL;
}

/* --- on_failure (SPEC 4.6) ------------------------------------------------------------------ */

static void set_mute(struct cr_calls *r, struct cr_call *c, int on)
{
	for (struct cr_stream *st = r->streams; st; st = st->next) {
		struct cr_ring_hdr *h = st->ring.base ? cr_ring_hdr(&st->ring) : NULL;
		if (st->call != c || st->dir != CR_DIR_CAPTURE || !h)
			continue;
		if (on)
			atomic_fetch_or_explicit(&h->control, CR_RING_CTL_MUTE, memory_order_release);
		else
			atomic_fetch_and_explicit(&h->control, ~CR_RING_CTL_MUTE,
						  memory_order_release);
	}
}

/* Is the call being recorded as its policy requires? If not, say why and act as on_failure
 * says, for as long as it lasts. */
static void check_failure(struct cr_calls *r, struct cr_call *c, uint64_t now_ns)
{
	char reason[128] = "";
	enum cr_on_failure how = c->meta.purpose ? c->meta.on_failure : CR_FAIL_CONTINUE;

	if (c->held)
		snprintf(reason, sizeof(reason), "the spool cannot be written: %s",
			 strerror(-c->held_err));
	else if (r->failure)
		snprintf(reason, sizeof(reason), "%s", r->failure);

	if (reason[0] && !c->failing) {
		c->failing = 1;
		c->fail_ns = now_ns;
		snprintf(c->fail_reason, sizeof(c->fail_reason), "%s", reason);
		if (c->nfailures < CR_FAILURES_MAX) {
			struct cr_span *f = &c->failures[c->nfailures++];
			f->start_ms = call_ms(c, now_ns);
			f->length_ms = 0;
			snprintf(f->reason, sizeof(f->reason), "%s", reason);
		}
		cr_err("call %s: recording impossible (%s); on_failure: %s", c->hex, reason,
		       cr_on_failure_name(how));
	} else if (!reason[0] && c->failing) {
		c->failing = 0;
		if (c->nfailures)
			c->failures[c->nfailures - 1].length_ms =
				call_ms(c, now_ns) - c->failures[c->nfailures - 1].start_ms;
		cr_notice("call %s: recording again after %.1f s", c->hex,
			  (double)(now_ns - c->fail_ns) / 1e9);
	}
	set_mute(r, c, (how == CR_FAIL_BLOCK && c->failing) || c->disc.hold_mute);
	if (how == CR_FAIL_TONE)
		cr_disc_fail_tone(&c->disc, cr_call_ring(r, c, CR_DIR_PLAYBACK), c->failing);
}

static void pair(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns)
{
	struct cr_call *c;

	if (st->call || st->abandoned || st->priv)
		return;
	if (private_pid(r, st->peer.pid)) {
		st->priv = 1;
		return;
	}
	c = find_call(r, st->peer.pid);
	if (c) {
		attach(c, st, now_ns);
		return;
	}
	if (pid_has(r, st->peer.pid, CR_DIR_CAPTURE) && pid_has(r, st->peer.pid, CR_DIR_PLAYBACK)) {
		if (take_private_next(r, st->peer.uid)) {
			/* `callrec private` before the call: it is never created. */
			cr_notice("call of pid %d (%s, user %s) not recorded: marked private",
				  (int)st->peer.pid, st->peer.application, st->peer.user);
			add_private_pid(r, st->peer.pid);
			for (struct cr_stream *s2 = r->streams; s2; s2 = s2->next)
				if (s2->peer.pid == st->peer.pid)
					s2->priv = 1;
			return;
		}
		new_call(r, st, now_ns);
	}
}

/* Capture under a policy that discloses audibly: begin at once (see CR_EARLY_HOLD_NS). */
static void start_early(struct cr_stream *st)
{
	const struct cr_purpose *pu = cr_pol_purpose(st->pol, st->purpose);

	if (st->dir != CR_DIR_CAPTURE || !pu ||
	    (pu->mode != CR_DISCLOSE_ANNOUNCE && pu->mode != CR_DISCLOSE_TONE))
		return;
	st->early = calloc(1, sizeof(*st->early));
	if (st->early)
		cr_disc_init(st->early, pu, &st->pol->ann[st->purpose]);
}

/* Is the stream's audio held in its ring for a call that may still form? */
static int holding(const struct cr_stream *st, uint64_t now_ns)
{
	return st->early && !st->call && !st->priv && now_ns < st->opened_ns + CR_EARLY_HOLD_NS;
}

void cr_calls_add_stream(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns)
{
	st->serial = ++r->next_serial;
	st->opened_ns = now_ns;
	start_early(st);
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
	if (st->early) {
		cr_disc_free(st->early);
		free(st->early);
	}
	cr_pol_unref(st->pol);
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
		if (!holding(st, now_ns))
			drain(st);
		pair(r, st, now_ns);
		if (st->early && !st->call && !st->priv) {
			if (holding(st, now_ns)) {
				cr_disc_pump(st->early, st->ring.base ? &st->ring : NULL, NULL);
				if (!st->early->hold_mute && st->ring.base)
					atomic_fetch_and_explicit(&cr_ring_hdr(&st->ring)->control,
								  ~CR_RING_CTL_MUTE,
								  memory_order_release);
			} else { /* capture alone is no call: no disclosure either */
				cr_disc_free(st->early);
				free(st->early);
				st->early = NULL;
			}
		}
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
		check_failure(r, c, now_ns);
		cr_disc_pump(&c->disc, cr_call_ring(r, c, CR_DIR_CAPTURE),
			     cr_call_ring(r, c, CR_DIR_PLAYBACK));
	}
	expire_private_pids(r, now_ns);
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
