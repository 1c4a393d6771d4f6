/* upgen: many agents' uploads in one process, for load and fault tests of callrec-archived.
 *
 *   upgen HOST:PORT --ca CA --cert C --key K [--calls N] [--chunks K] [--chunk-ms MS]
 *         [--timeout S] [--ids FILE] [--progress FILE] [--no-resume] [--drop-every N]
 *         [--ack-timeout-ms MS] [--together]
 *   upgen HOST:PORT --ca CA --cert C --key K --evil MODE [--call HEX]
 *   upgen --verify WAV --id HEX --frames N
 *
 * Streaming mode: N calls, one TLS connection each (as N agents would), each sending
 * CALL_OPEN, K chunks paced in real time (one every MS), CALL_CLOSE. Spool semantics: every
 * frame is kept until the archive ACKs it with status 0; after a disconnect the stream
 * reconnects (backoff 100 ms doubling to 2 s, with jitter; TLS session resumption unless
 * --no-resume) and resends everything unacknowledged, in order. The audio of a call is a
 * deterministic function of its id, so --verify can check an exported WAV sample by sample.
 * At the end it prints one line of key=value: streams, acked, refused, resent, reconnects,
 * resumed, lat_max_ms, lat_p99_ms (send to ACK), gap_max_ms (longest time a stream with
 * frames in flight waited for its next ACK), and exits 0 only if every frame was acknowledged
 * with status 0 within --timeout. --drop-every N closes a stream's connection after every N
 * of its ACKs (a network blip: the stream reconnects at once, resuming its TLS session). A
 * connection that is not set up within 3 s, or whose oldest unacknowledged frame waits
 * longer than --ack-timeout-ms (default 5000), is dropped and reconnected. The streams'
 * starts are spread over one chunk unless --together (every chunk boundary is then a burst). --ids writes "HEX FRAMES" per call at the start; --progress
 * is rewritten every 200 ms with "acked=N refused=N reconnects=N".
 *
 * Evil mode: one authenticated device connection that misbehaves, then reports what the
 * archive did: `evil=MODE result=closed|ack=STATUS|open`. Modes: garbage (bad magic),
 * oversize (a length over the limit), badtype, truncated (a CHUNK whose body disagrees with
 * its header), badchain (a chunk whose prev_hash does not continue the chain), conflict (a
 * stored seq resent with other audio), forbidden (a chunk for --call, someone else's call),
 * opreq (an operator request on a device connection). And `heartbeat` (--call JSON): a
 * well-formed heartbeat with that JSON, for the health view's tests.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "hostport.h"
#include "tls_client.h"

#define RATE 16000u

struct item {
	uint8_t *frame; /* header + body; freed once acknowledged */
	size_t len;
	int64_t sent_ms;
	int state; /* 0 pending, 1 acknowledged, 2 refused */
};

enum { S_IDLE, S_CONNECT, S_HANDSHAKE, S_HELLO, S_READY, S_DONE };

struct stream {
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int st;
	struct cr_conn conn;
	gnutls_datum_t sess; /* the last session, offered on reconnect */
	struct item *items;
	size_t nitems, made, acked, send_idx, send_off;
	uint8_t prev_hash[CR_HASH_BYTES];
	int64_t t0, retry_at, last_ack, waiting_since, conn_since;
	int backoff;
};

static struct {
	char host[256], port[8];
	const char *ca, *cert, *key, *ids, *progress, *evil, *call;
	unsigned calls, chunks, chunk_ms, timeout_s, drop_every, ack_timeout_ms;
	int no_resume, together;
	struct cr_tls_client tc;
	/* results */
	unsigned long acked, refused, resent, reconnects, resumed;
	double *lat;
	size_t nlat, caplat;
	int64_t gap_max;
} g = { .calls = 10, .chunks = 10, .chunk_ms = 1000, .timeout_s = 60, .ack_timeout_ms = 5000 };

/* --- deterministic audio ---------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t id_seed(const uint8_t id[CR_CALL_ID_BYTES])
{
	uint64_t s = 0;

	for (unsigned i = 0; i < 8; i++)
		s = (s << 8) | id[i];
	return s;
}

/* Sample n (frame index in the call) of channel ch (0, 1): noise at a quarter of full scale,
 * different per call and channel. */
static int16_t sample(uint64_t seed, uint64_t n, unsigned ch)
{
	return (int16_t)((int64_t)(mix(seed ^ (n * 2 + ch)) & 0xffff) - 32768) / 4;
}

static void fill_audio(uint64_t seed, uint64_t start, uint32_t frames, uint8_t *out)
{
	for (uint32_t i = 0; i < frames; i++)
		for (unsigned ch = 0; ch < 2; ch++) {
			uint16_t v = (uint16_t)sample(seed, start + i, ch);
			out[(i * 2 + ch) * 2] = (uint8_t)v;
			out[(i * 2 + ch) * 2 + 1] = (uint8_t)(v >> 8);
		}
}

/* --- frames ----------------------------------------------------------------------------- */

static uint8_t *make_frame(uint8_t type, const uint8_t *a, size_t alen, const uint8_t *b,
			   size_t blen, size_t *len)
{
	uint8_t *f = malloc(CR_FRAME_HDR + alen + blen);

	if (!f)
		abort();
	cr_frame_put_hdr(f, type, (uint32_t)(alen + blen));
	memcpy(f + CR_FRAME_HDR, a, alen);
	if (blen)
		memcpy(f + CR_FRAME_HDR + alen, b, blen);
	*len = CR_FRAME_HDR + alen + blen;
	return f;
}

static uint8_t *make_open(const uint8_t id[CR_CALL_ID_BYTES], uint8_t hash[CR_HASH_BYTES],
			  size_t *len)
{
	uint8_t body[CR_IDSEQ_WIRE + 512];
	time_t t = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	cr_idseq_encode(id, 0, body);
	n = snprintf((char *)body + CR_IDSEQ_WIRE, 512,
		     "{\"version\":1,\"user\":\"gen\",\"uid\":1000,\"gid\":1000,"
		     "\"application\":\"upgen\",\"exe\":\"/usr/bin/upgen\",\"pid\":%d,\"line\":\"\","
		     "\"host\":\"gen\",\"start\":\"%04d-%02d-%02dT%02d:%02d:%02d.000Z\","
		     "\"rate\":16000,\"channels\":2,\"rule\":\"builtin:record-all\"}",
		     (int)getpid(), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, body, CR_IDSEQ_WIRE + (size_t)n, hash);
	return make_frame(CR_F_CALL_OPEN, body, CR_IDSEQ_WIRE + (size_t)n, NULL, 0, len);
}

/* A chunk continuing from prev (updated to this chunk's hash). `salt` != 0 perturbs the audio
 * (for the conflict test). */
static uint8_t *make_chunk(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint32_t frames,
			   uint8_t prev[CR_HASH_BYTES], int salt, size_t *len)
{
	struct cr_chunk_hdr h = { .seq = seq, .start_frame = (seq - 1) * frames, .frames = frames,
				  .rate = RATE, .channels = 2, .format = 1 };
	size_t bytes = (size_t)frames * 4;
	uint8_t hdr[CR_CHUNK_HDR_WIRE], *audio = malloc(bytes), *f;

	if (!audio)
		abort();
	memcpy(h.call_id, id, CR_CALL_ID_BYTES);
	memcpy(h.prev_hash, prev, CR_HASH_BYTES);
	fill_audio(id_seed(id), h.start_frame, frames, audio);
	if (salt)
		audio[0] ^= (uint8_t)salt;
	cr_chunk_hash(&h, audio, bytes, h.hash);
	memcpy(prev, h.hash, CR_HASH_BYTES);
	cr_chunk_hdr_encode(&h, hdr);
	f = make_frame(CR_F_CHUNK, hdr, sizeof(hdr), audio, bytes, len);
	free(audio);
	return f;
}

static uint8_t *make_close(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint64_t frames,
			   size_t *len)
{
	uint8_t body[CR_IDSEQ_WIRE + 200];
	time_t t = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	cr_idseq_encode(id, seq, body);
	n = snprintf((char *)body + CR_IDSEQ_WIRE, 200,
		     "{\"end\":\"%04d-%02d-%02dT%02d:%02d:%02d.000Z\",\"frames\":%llu,\"gaps\":[]}",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (unsigned long long)frames);
	return make_frame(CR_F_CALL_CLOSE, body, CR_IDSEQ_WIRE + (size_t)n, NULL, 0, len);
}

static uint8_t *make_hello(size_t *len)
{
	uint8_t body[64];

	return make_frame(CR_F_HELLO, body, cr_hello_body(body, sizeof(body), CR_ROLE_DEVICE, "upgen"),
			  NULL, 0, len);
}

static uint32_t chunk_frames(void)
{
	return RATE * g.chunk_ms / 1000;
}

/* --- connections ------------------------------------------------------------------------ */

static void drop(struct stream *s, const char *why)
{
	cr_conn_close(&s->conn, s->st == S_DONE);
	s->send_off = 0;
	s->waiting_since = 0; /* the next connection's wait starts with its first send */
	if (s->st == S_DONE)
		return;
	fprintf(stderr, "upgen: %s: disconnected: %s\n", s->hex, why);
	s->st = S_IDLE;
	s->backoff = s->backoff ? (s->backoff * 2 > 2000 ? 2000 : s->backoff * 2) : 100;
	s->retry_at = cr_now_ms() + s->backoff / 2 + rand() % (s->backoff / 2 + 1);
	g.reconnects++;
}

static void start_connect(struct stream *s)
{
	if (cr_conn_start(&s->conn, &g.tc, g.host, g.port, g.no_resume ? NULL : &s->sess) < 0) {
		drop(s, s->conn.why);
		return;
	}
	s->st = S_CONNECT;
	s->conn_since = cr_now_ms();
}

static void add_lat(double ms)
{
	if (g.nlat == g.caplat) {
		g.caplat = g.caplat ? g.caplat * 2 : 1024;
		g.lat = realloc(g.lat, g.caplat * sizeof(*g.lat));
		if (!g.lat)
			abort();
	}
	g.lat[g.nlat++] = ms;
}

static int in_flight(const struct stream *s)
{
	for (size_t i = 0; i < s->made && i < s->send_idx; i++)
		if (s->items[i].state == 0)
			return 1;
	return 0;
}

static void on_ack(struct stream *s, const struct cr_frame *f)
{
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;
	uint32_t status;
	int64_t now = cr_now_ms();
	struct item *it;

	if (f->length < CR_IDSEQ_WIRE + 4 || cr_idseq_decode(f->body, CR_IDSEQ_WIRE, id, &seq) < 0 ||
	    memcmp(id, s->id, CR_CALL_ID_BYTES) != 0 || seq >= s->nitems) {
		fprintf(stderr, "upgen: %s: ACK for something we did not send\n", s->hex);
		g.refused++;
		return;
	}
	status = cr_get_u32(f->body + CR_IDSEQ_WIRE);
	it = &s->items[seq];
	if (it->state != 0)
		return; /* a duplicate ACK after a resend */
	if (s->waiting_since && now - s->waiting_since > g.gap_max)
		g.gap_max = now - s->waiting_since;
	if (status != 0) {
		fprintf(stderr, "upgen: %s: seq %llu refused with status %u\n", s->hex,
			(unsigned long long)seq, status);
		it->state = 2;
		g.refused++;
	} else {
		it->state = 1;
		g.acked++;
		if (it->sent_ms)
			add_lat((double)(now - it->sent_ms));
	}
	free(it->frame);
	it->frame = NULL;
	s->acked++;
	s->last_ack = now;
	s->backoff = 0;
	s->waiting_since = in_flight(s) ? now : 0;
	if (s->acked == s->nitems) {
		s->st = S_DONE;
		drop(s, "done");
	} else if (g.drop_every && s->acked % g.drop_every == 0) {
		drop(s, "--drop-every"); /* a network blip: reconnect (resuming) and resend */
		s->retry_at = now;
	}
}

static void on_frame(struct stream *s, const struct cr_frame *f)
{
	if (f->type == CR_F_HELLO_OK && s->st == S_HELLO) {
		s->st = S_READY;
		/* Resend from the first unacknowledged item. */
		for (s->send_idx = 0; s->send_idx < s->made && s->items[s->send_idx].state != 0;
		     s->send_idx++)
			;
		/* TLS 1.3: the ticket arrived after the handshake, before HELLO_OK. */
		if (!g.no_resume)
			cr_conn_save_session(&s->conn, &s->sess);
	} else if (f->type == CR_F_ACK) {
		on_ack(s, f);
	} else if (f->type == CR_F_ERROR) {
		char text[256];
		uint32_t code = cr_error_text(f, text, sizeof(text));

		fprintf(stderr, "upgen: %s: archive error %u: %s\n", s->hex, code, text);
	}
}

static void do_read(struct stream *s)
{
	while (s->st == S_HELLO || s->st == S_READY) {
		struct cr_frame f;
		int rc = cr_conn_recv(&s->conn, &f);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			drop(s, rc == -ECONNRESET ? "closed by the archive" : s->conn.why);
			return;
		}
		on_frame(s, &f);
	}
}

static void do_send(struct stream *s)
{
	while (s->st == S_READY && s->send_idx < s->made) {
		struct item *it = &s->items[s->send_idx];
		ssize_t n;

		if (it->state != 0) {
			s->send_idx++;
			continue;
		}
		n = cr_conn_write(&s->conn, it->frame + s->send_off, it->len - s->send_off);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			drop(s, s->conn.why);
			return;
		}
		s->send_off += (size_t)n;
		if (s->send_off == it->len) {
			if (it->sent_ms)
				g.resent++;
			it->sent_ms = cr_now_ms();
			if (!s->waiting_since)
				s->waiting_since = it->sent_ms;
			s->send_off = 0;
			s->send_idx++;
		}
	}
}

/* A dead path (network cut) shows as silence, not as an error: give up on a connection that
 * does not get going, or whose frames go unacknowledged, and reconnect (as an agent does). */
static void check_stall(struct stream *s, int64_t now)
{
	if ((s->st == S_CONNECT || s->st == S_HANDSHAKE || s->st == S_HELLO) &&
	    now - s->conn_since > 3000)
		drop(s, "connection set-up timed out");
	else if (s->st == S_READY && s->waiting_since &&
		 now - s->waiting_since > (int64_t)g.ack_timeout_ms)
		drop(s, "no ACK in time");
}

static void step(struct stream *s, short revents)
{
	int rc;

	switch (s->st) {
	case S_CONNECT:
	case S_HANDSHAKE: {
		size_t hl;
		uint8_t *hello;

		rc = cr_conn_handshake(&s->conn);
		if (rc == -EAGAIN) {
			s->st = s->conn.state == CR_CONN_HANDSHAKE ? S_HANDSHAKE : S_CONNECT;
			return;
		}
		if (rc < 0) {
			drop(s, s->conn.why);
			return;
		}
		if (cr_conn_resumed(&s->conn))
			g.resumed++;
		hello = make_hello(&hl);
		/* A small frame on a fresh connection: the socket takes it whole. */
		rc = (int)cr_conn_write(&s->conn, hello, hl);
		free(hello);
		if (rc != (int)hl) {
			drop(s, "cannot send HELLO");
			return;
		}
		s->st = S_HELLO;
		return;
	}
	case S_HELLO:
	case S_READY:
		if (revents & (POLLIN | POLLERR | POLLHUP))
			do_read(s);
		if (s->st == S_READY)
			do_send(s);
		return;
	default:
		return;
	}
}

/* Items that are due by now (real-time pacing). */
static void produce(struct stream *s, int64_t now)
{
	uint32_t frames = chunk_frames();

	while (s->made < s->nitems) {
		size_t i = s->made;
		int64_t due = s->t0 + (int64_t)i * g.chunk_ms;
		struct item *it = &s->items[i];

		if (due > now)
			break;
		if (i == 0)
			it->frame = make_open(s->id, s->prev_hash, &it->len);
		else if (i + 1 < s->nitems)
			it->frame = make_chunk(s->id, i, frames, s->prev_hash, 0, &it->len);
		else
			it->frame = make_close(s->id, i, (uint64_t)g.chunks * frames, &it->len);
		s->made++;
	}
}

static short wanted(const struct stream *s)
{
	if (s->st == S_READY && s->send_idx < s->made)
		return POLLIN | POLLOUT;
	return cr_conn_events(&s->conn);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void write_progress(void)
{
	char tmp[4200];
	FILE *f;

	if (!g.progress)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", g.progress);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "acked=%lu refused=%lu reconnects=%lu resent=%lu\n", g.acked, g.refused,
		g.reconnects, g.resent);
	fclose(f);
	rename(tmp, g.progress);
}

static int run_streams(void)
{
	struct stream *ss = calloc(g.calls, sizeof(*ss));
	struct pollfd *pf = calloc(g.calls, sizeof(*pf));
	int64_t start = cr_now_ms(), deadline = start + (int64_t)g.timeout_s * 1000, last_prog = 0;
	unsigned done = 0, i;
	FILE *ids = g.ids ? fopen(g.ids, "w") : NULL;

	if (!ss || !pf || (g.ids && !ids))
		return 2;
	for (i = 0; i < g.calls; i++) {
		struct stream *s = &ss[i];

		gnutls_rnd(GNUTLS_RND_NONCE, s->id, CR_CALL_ID_BYTES);
		cr_id_to_hex(s->id, s->hex);
		cr_conn_init(&s->conn);
		s->nitems = g.chunks + 2;
		s->items = calloc(s->nitems, sizeof(*s->items));
		if (!s->items)
			return 2;
		/* Spread the starts over one chunk so the archive sees a steady stream. */
		s->t0 = start + (g.together ? 0 : (int64_t)i * g.chunk_ms / g.calls);
		s->retry_at = s->t0;
		if (ids)
			fprintf(ids, "%s %llu\n", s->hex, (unsigned long long)g.chunks * chunk_frames());
	}
	if (ids)
		fclose(ids);
	while (done < g.calls && cr_now_ms() < deadline) {
		int64_t now = cr_now_ms();
		int n;

		for (i = 0; i < g.calls; i++) {
			struct stream *s = &ss[i];

			produce(s, now);
			check_stall(s, now);
			if (s->st == S_IDLE && now >= s->retry_at)
				start_connect(s);
			if (s->st == S_READY)
				do_send(s);
			pf[i].fd = s->conn.fd;
			pf[i].events = s->conn.fd >= 0 ? wanted(s) : 0;
			pf[i].revents = 0;
		}
		n = poll(pf, g.calls, 10);
		for (i = 0; n > 0 && i < g.calls; i++)
			if (pf[i].revents && ss[i].conn.fd == pf[i].fd)
				step(&ss[i], pf[i].revents);
		/* GnuTLS may hold decrypted records the socket no longer signals. */
		for (i = 0; i < g.calls; i++)
			if ((ss[i].st == S_HELLO || ss[i].st == S_READY) &&
			    cr_conn_pending(&ss[i].conn))
				step(&ss[i], POLLIN);
		for (done = 0, i = 0; i < g.calls; i++)
			done += ss[i].st == S_DONE;
		if (now - last_prog >= 200) {
			write_progress();
			last_prog = now;
		}
	}
	write_progress();
	qsort(g.lat, g.nlat, sizeof(*g.lat), cmp_double);
	printf("streams=%u done=%u acked=%lu refused=%lu resent=%lu reconnects=%lu resumed=%lu "
	       "lat_max_ms=%.0f lat_p99_ms=%.0f gap_max_ms=%lld\n",
	       g.calls, done, g.acked, g.refused, g.resent, g.reconnects, g.resumed,
	       g.nlat ? g.lat[g.nlat - 1] : 0.0, g.nlat ? g.lat[(g.nlat * 99) / 100] : 0.0,
	       (long long)g.gap_max);
	for (i = 0; i < g.calls; i++) {
		if (ss[i].st != S_DONE)
			fprintf(stderr, "upgen: %s: incomplete: %zu of %zu acknowledged\n", ss[i].hex,
				ss[i].acked, ss[i].nitems);
		for (size_t k = 0; k < ss[i].nitems; k++)
			free(ss[i].items[k].frame);
		free(ss[i].items);
		gnutls_free(ss[i].sess.data);
		cr_conn_close(&ss[i].conn, 0);
	}
	free(ss);
	free(pf);
	return done == g.calls && g.refused == 0 ? 0 : 1;
}

/* --- evil mode: a blocking, misbehaving client ------------------------------------------- */

/* Raw bytes, framed or not (misbehaving is the point). */
static int blocking_send(struct cr_conn *c, const uint8_t *p, size_t n)
{
	int64_t deadline = cr_now_ms() + 5000;

	while (n) {
		ssize_t w = cr_conn_write(c, p, n);

		if (w == -EAGAIN) {
			if (cr_conn_wait(c, POLLOUT, deadline) < 0)
				return -EIO;
			continue;
		}
		if (w < 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Next frame within ms: its type (and ACK status in *status), 0 on close, -1 on timeout. */
static int next_frame(struct cr_conn *c, int ms, uint32_t *status)
{
	struct cr_frame f;
	int rc = cr_conn_recv_frame(c, &f, ms);

	if (rc == -ETIMEDOUT)
		return -1;
	if (rc < 0)
		return 0;
	if (f.type == CR_F_ACK && f.length >= CR_IDSEQ_WIRE + 4)
		*status = cr_get_u32(f.body + CR_IDSEQ_WIRE);
	return f.type;
}

/* Wait for an ACK (its status), skipping other frames: >=0 status, -1 closed, -2 timeout. */
static int wait_ack(struct cr_conn *c)
{
	for (;;) {
		uint32_t st = 0;
		int t = next_frame(c, 5000, &st);

		if (t == CR_F_ACK)
			return (int)st;
		if (t == 0)
			return -1;
		if (t < 0)
			return -2;
	}
}

static int run_evil(void)
{
	uint8_t id[CR_CALL_ID_BYTES], prev[CR_HASH_BYTES], *f;
	struct cr_conn conn, *s = &conn;
	size_t len;
	int rc, result;
	uint32_t st;

	rc = cr_conn_open(s, &g.tc, g.host, g.port, NULL, 5000);
	f = make_hello(&len);
	if (rc < 0 || blocking_send(s, f, len) < 0 || next_frame(s, 5000, &st) != CR_F_HELLO_OK) {
		fprintf(stderr, "upgen: evil: no HELLO_OK\n");
		return 2;
	}
	free(f);
	gnutls_rnd(GNUTLS_RND_NONCE, id, sizeof(id));
	if (!strcmp(g.evil, "garbage")) {
		static const uint8_t junk[64] = "this is not a callrec frame at all, just bytes!!";
		rc = blocking_send(s, junk, sizeof(junk));
	} else if (!strcmp(g.evil, "oversize") || !strcmp(g.evil, "badtype")) {
		uint8_t hdr[CR_FRAME_HDR];
		cr_frame_put_hdr(hdr, CR_F_CHUNK, 0x7fffffffu);
		if (!strcmp(g.evil, "badtype")) {
			cr_frame_put_hdr(hdr, CR_F_CHUNK, 16);
			hdr[3] = 0x55;
		}
		rc = blocking_send(s, hdr, sizeof(hdr));
	} else if (!strcmp(g.evil, "opreq")) {
		static const char req[] = "{\"op\":\"list\"}";
		f = make_frame(CR_F_OP_REQUEST, (const uint8_t *)req, sizeof(req) - 1, NULL, 0, &len);
		rc = blocking_send(s, f, len);
		free(f);
	} else if (!strcmp(g.evil, "heartbeat")) {
		/* Not misbehaviour: a heartbeat (--call carries its JSON), then close and wait
		 * until the archive closes too, so it has handled the heartbeat. */
		const char *hb = g.call ? g.call : "{}";
		f = make_frame(CR_F_HEARTBEAT, (const uint8_t *)hb, strlen(hb), NULL, 0, &len);
		rc = blocking_send(s, f, len);
		free(f);
		if (rc == 0)
			gnutls_bye(s->session, GNUTLS_SHUT_WR); /* a few bytes: the socket takes them */
	} else if (!strcmp(g.evil, "forbidden")) {
		if (!g.call || cr_id_from_hex(g.call, id) < 0)
			return 2;
		memset(prev, 0, sizeof(prev));
		f = make_chunk(id, 1, chunk_frames(), prev, 0, &len);
		rc = blocking_send(s, f, len);
		free(f);
	} else {
		/* The rest start a call of our own. */
		f = make_open(id, prev, &len);
		rc = blocking_send(s, f, len);
		free(f);
		if (rc == 0 && wait_ack(s) != 0) {
			fprintf(stderr, "upgen: evil: CALL_OPEN not acknowledged\n");
			return 2;
		}
		if (!strcmp(g.evil, "badchain")) {
			prev[0] ^= 1; /* does not continue from the CALL_OPEN */
			f = make_chunk(id, 1, chunk_frames(), prev, 0, &len);
		} else if (!strcmp(g.evil, "truncated")) {
			f = make_chunk(id, 1, chunk_frames(), prev, 0, &len);
			cr_frame_put_hdr(f, CR_F_CHUNK, (uint32_t)(len - CR_FRAME_HDR - 2));
			len -= 2;
		} else if (!strcmp(g.evil, "conflict")) {
			uint8_t keep[CR_HASH_BYTES];
			memcpy(keep, prev, sizeof(keep));
			f = make_chunk(id, 1, chunk_frames(), prev, 0, &len);
			rc = blocking_send(s, f, len);
			free(f);
			if (rc == 0 && wait_ack(s) != 0) {
				fprintf(stderr, "upgen: evil: chunk 1 not acknowledged\n");
				return 2;
			}
			f = make_chunk(id, 1, chunk_frames(), keep, 0x5a, &len);
		} else {
			fprintf(stderr, "upgen: unknown evil mode %s\n", g.evil);
			return 2;
		}
		if (rc == 0)
			rc = blocking_send(s, f, len);
		free(f);
	}
	result = rc == 0 ? wait_ack(s) : -1;
	if (result == -2)
		printf("evil=%s result=open\n", g.evil);
	else if (result == -1)
		printf("evil=%s result=closed\n", g.evil);
	else
		printf("evil=%s result=ack=%d\n", g.evil, result);
	cr_conn_close(s, 0);
	return 0;
}

/* --- verify ------------------------------------------------------------------------------ */

/* Compare a 16-bit stereo WAV's samples with the generator's audio for call HEX. */
static int verify(const char *wav, const char *hex, unsigned long long frames)
{
	uint8_t id[CR_CALL_ID_BYTES], hdr[12], ch[8];
	unsigned long long n = 0, bad = 0, data = 0;
	FILE *f = fopen(wav, "rb");
	uint64_t seed;

	if (!f || cr_id_from_hex(hex, id) < 0 || fread(hdr, 1, 12, f) != 12 ||
	    memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) {
		fprintf(stderr, "upgen: %s: not a WAV\n", wav);
		return 2;
	}
	/* Find the data chunk. */
	while (fread(ch, 1, 8, f) == 8) {
		uint32_t sz = ch[4] | ch[5] << 8 | ch[6] << 16 | (uint32_t)ch[7] << 24;
		if (!memcmp(ch, "data", 4)) {
			data = sz;
			break;
		}
		fseek(f, (long)(sz + (sz & 1)), SEEK_CUR);
	}
	seed = id_seed(id);
	for (;;) {
		uint8_t fr[4];
		if (n * 4 >= data || fread(fr, 1, 4, f) != 4)
			break;
		for (unsigned c = 0; c < 2; c++) {
			int16_t v = (int16_t)(fr[c * 2] | fr[c * 2 + 1] << 8);
			if (v != sample(seed, n, c))
				bad++;
		}
		n++;
	}
	fclose(f);
	printf("verify %s frames=%llu expected=%llu mismatched_samples=%llu\n", hex, n, frames, bad);
	return n == frames && bad == 0 ? 0 : 1;
}

static int parse(int argc, char **argv)
{
	const char *addr = NULL, *wav = NULL;
	unsigned long long frames = 0;
	unsigned port;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int take = v != NULL;

		if (!strcmp(a, "--ca") && take) g.ca = argv[++i];
		else if (!strcmp(a, "--cert") && take) g.cert = argv[++i];
		else if (!strcmp(a, "--key") && take) g.key = argv[++i];
		else if (!strcmp(a, "--calls") && take) g.calls = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--chunks") && take) g.chunks = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--chunk-ms") && take) g.chunk_ms = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--timeout") && take) g.timeout_s = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--ids") && take) g.ids = argv[++i];
		else if (!strcmp(a, "--progress") && take) g.progress = argv[++i];
		else if (!strcmp(a, "--evil") && take) g.evil = argv[++i];
		else if (!strcmp(a, "--call") && take) g.call = argv[++i];
		else if (!strcmp(a, "--no-resume")) g.no_resume = 1;
		else if (!strcmp(a, "--together")) g.together = 1;
		else if (!strcmp(a, "--ack-timeout-ms") && take) g.ack_timeout_ms = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--drop-every") && take) g.drop_every = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--verify") && take) wav = argv[++i];
		else if (!strcmp(a, "--id") && take) g.call = argv[++i];
		else if (!strcmp(a, "--frames") && take) frames = strtoull(argv[++i], NULL, 10);
		else if (a[0] != '-' && !addr) addr = a;
		else return -1;
	}
	if (wav)
		return 100 + verify(wav, g.call ? g.call : "", frames);
	if (!addr || !g.ca || !g.cert || !g.key || !g.calls || !g.chunks || g.chunk_ms < 10 ||
	    g.chunk_ms > 10000)
		return -1;
	if (cr_split_hostport(addr, g.host, sizeof(g.host), &port) < 0)
		return -1;
	snprintf(g.port, sizeof(g.port), "%u", port);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = parse(argc, argv);

	if (rc >= 100)
		return rc - 100;
	if (rc < 0) {
		fputs("usage: upgen HOST:PORT --ca CA --cert C --key K [--calls N] [--chunks K]\n"
		      "             [--chunk-ms MS] [--timeout S] [--ids FILE] [--progress FILE]\n"
		      "             [--no-resume] [--drop-every N] [--ack-timeout-ms MS] [--together]\n"
		      "             | --evil MODE [--call HEX]\n"
		      "       upgen --verify WAV --id HEX --frames N\n", stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)getpid());
	if (cr_tls_client_init(&g.tc, g.ca, g.cert, g.key, "localhost", NULL) < 0) {
		fprintf(stderr, "upgen: cannot load %s / %s / %s\n", g.ca, g.cert, g.key);
		return 2;
	}
	rc = g.evil ? run_evil() : run_streams();
	cr_tls_client_free(&g.tc);
	free(g.lat);
	return rc;
}
