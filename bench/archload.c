/* archload: load generator for callrec-archived (run by bench/archive_load.sh).
 *
 *   archload --address HOST:PORT --ca CA --devices DIR [--steps 250,500,1000,...]
 *            [--window S] [--settle S] [--grace S] [--chunk-ms MS] [--archive-pid PID]
 *            [--max-handshakes N] [--connect-timeout S] [--p99-ms MS] [--retries N]
 *
 * Opens streams the way agents do: a TCP connection, mutual TLS 1.3 with a device certificate
 * (DIR/NAME/device.pem and device.key; stream i uses device i mod the number of devices), HELLO,
 * CALL_OPEN, then one CHUNK of 16 kHz stereo S16 every chunk period, paced in real time, with a
 * valid hash chain. Streams are spread evenly over the period so the load is smooth, not a burst
 * once a second.
 *
 * Ramp: for each step the generator adds streams up to the step's count (existing streams keep
 * streaming), lets the archive settle, then measures a window: every chunk scheduled in the
 * window must be acknowledged with status 0 (zero loss), and the p99 of the acknowledgement
 * latency, from the chunk's scheduled time to its ACK, must be under --p99-ms. The ramp stops at
 * the first step that fails (a failed window is measured again --retries times, default once,
 * before the step counts as failed). Latency counts from the scheduled time, not from when the bytes
 * left, so an archive that stops reading (TCP backpressure) is charged for the wait.
 *
 * With --archive-pid, each window also reads the archive's CPU time and VmRSS from /proc, for
 * CPU and memory per connected stream (RSS delta over the RSS before the first connection).
 *
 * One thread, epoll, non-blocking GnuTLS: the generator shares the machine with the archive, so
 * it must cost little. It does not verify the archive's certificate (the archive is not what is
 * being tested here, and the verification would be generator CPU taken from the archive).
 *
 * Output: "# ..." progress lines, then result lines "archive NAME VARIANT VALUE" for
 * bench/run.sh. Exit status 0 when the ramp ran (whatever it found), 1 on set-up errors.
 */
#include <dirent.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "hostport.h"
#include "tls_client.h"

#define RATE 16000u
#define CHANNELS 2u
#define OUTSTANDING 16u    /* chunks scheduled but not acknowledged, per stream, before the
			    * generator drops (and counts as lost) instead of queueing more */
#define HIST_MS 60000u     /* latency histogram: 1 ms buckets */
#define MAX_STEPS 32
#define MAX_DEVICES 4096
/* The pacing wheel and latencies count microseconds of the common clock. */
#define now_us() ((int64_t)(cr_now_ns() / 1000u))
#define FIRST_PIECE 16384u /* one TLS record: frame header + chunk header + start of audio */

enum cstate { C_FREE, C_CONNECTING, C_HANDSHAKE, C_OPENING, C_STREAMING, C_DEAD };

struct stream {
	struct cr_conn conn;
	int fd;              /* the socket registered with epoll */
	enum cstate state;
	uint32_t events;
	unsigned phase_ms;   /* slot in the pacing wheel */
	uint8_t call_id[CR_CALL_ID_BYTES];
	uint8_t prev_hash[CR_HASH_BYTES];
	uint64_t sched_seq;  /* next seq to schedule */
	uint64_t built_seq;  /* next seq to put on the wire */
	uint64_t acked_seq;  /* all seqs below are acknowledged */
	int64_t sched_us[OUTSTANDING];
	uint64_t slot_seq[OUTSTANDING];
	uint8_t in_window[OUTSTANDING];
	/* Output in progress: control frames (HELLO + CALL_OPEN), or one chunk frame. */
	uint8_t *ctl;
	size_t ctl_len;
	uint8_t head[CR_FRAME_HDR + CR_CHUNK_HDR_WIRE];
	size_t out_off, out_len; /* 0 == out_len: nothing in progress */
	int is_ctl;
	struct stream *wheel_next;
};

struct window {
	int open;
	uint64_t expected, ok, refused, dropped;
	uint32_t hist[HIST_MS + 1];
	int64_t max_us;
};

struct opts {
	char host[256], port[8];
	const char *ca, *devices;
	unsigned steps[MAX_STEPS];
	int nsteps;
	unsigned window_s, settle_s, grace_s, chunk_ms, max_hs, connect_timeout_s, p99_ms, retries;
	int archive_pid;
};

struct gen {
	struct opts o;
	struct cr_tls_client tc[MAX_DEVICES]; /* one per device certificate */
	int ndev;
	int ep;
	struct stream *s;
	unsigned cap, nopen;       /* streams started */
	unsigned nstreaming, nhandshaking, ndead;
	struct stream **wheel;     /* chunk_ms slots */
	int64_t wheel_ms;          /* last slot processed (ms since start) */
	int64_t t0_us;
	uint8_t *audio;
	size_t audio_bytes;
	uint32_t frames;
	struct window w;
	int64_t lag_max_us;        /* how late the generator ran a pacing slot */
	unsigned errors_logged;
};

/* --- set-up ----------------------------------------------------------------------------- */

static int parse_steps(const char *s, struct opts *o)
{
	char *end;

	o->nsteps = 0;
	while (*s && o->nsteps < MAX_STEPS) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0 || v > 100000 ||
		    (o->nsteps && v <= o->steps[o->nsteps - 1]))
			return -EINVAL;
		o->steps[o->nsteps++] = (unsigned)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return o->nsteps ? 0 : -EINVAL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	const char *addr = NULL;
	unsigned port;

	*o = (struct opts){ .window_s = 20, .settle_s = 3, .grace_s = 3, .chunk_ms = 1000,
			    .max_hs = 64, .connect_timeout_s = 120, .p99_ms = 250,
			    .retries = 1 };
	parse_steps("250,500,1000,2000,4000,6000", o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return -EINVAL;
		i++;
		if (!strcmp(a, "--address"))
			addr = v;
		else if (!strcmp(a, "--ca"))
			o->ca = v;
		else if (!strcmp(a, "--devices"))
			o->devices = v;
		else if (!strcmp(a, "--steps")) {
			if (parse_steps(v, o) < 0)
				return -EINVAL;
		} else if (!strcmp(a, "--window"))
			o->window_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--settle"))
			o->settle_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--grace"))
			o->grace_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--chunk-ms"))
			o->chunk_ms = (unsigned)atoi(v);
		else if (!strcmp(a, "--archive-pid"))
			o->archive_pid = atoi(v);
		else if (!strcmp(a, "--max-handshakes"))
			o->max_hs = (unsigned)atoi(v);
		else if (!strcmp(a, "--connect-timeout"))
			o->connect_timeout_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--retries"))
			o->retries = (unsigned)atoi(v);
		else if (!strcmp(a, "--p99-ms"))
			o->p99_ms = (unsigned)atoi(v);
		else
			return -EINVAL;
	}
	if (!addr || !o->ca || !o->devices || !o->window_s || !o->max_hs || !o->p99_ms ||
	    o->chunk_ms < 20 || o->chunk_ms > 10000)
		return -EINVAL;
	if (cr_split_hostport(addr, o->host, sizeof(o->host), &port) < 0)
		return -EINVAL;
	snprintf(o->port, sizeof(o->port), "%u", port);
	return 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* One credential set per device directory DIR/NAME/{device.pem,device.key}. */
static int load_devices(struct gen *g)
{
	struct dirent **names = NULL;
	int n = scandir(g->o.devices, &names, NULL, cmp_names);

	if (n < 0) {
		fprintf(stderr, "archload: %s: %s\n", g->o.devices, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char cert[4096], key[4096];
		if (names[i]->d_name[0] != '.' && g->ndev < MAX_DEVICES) {
			snprintf(cert, sizeof(cert), "%s/%s/device.pem", g->o.devices, names[i]->d_name);
			snprintf(key, sizeof(key), "%s/%s/device.key", g->o.devices, names[i]->d_name);
			if (access(cert, R_OK) == 0 &&
			    cr_tls_client_init(&g->tc[g->ndev], g->o.ca, cert, key, "localhost",
					       NULL) == 0)
				g->tc[g->ndev++].verify = 0;
		}
		free(names[i]);
	}
	free(names);
	if (!g->ndev) {
		fprintf(stderr, "archload: no usable device in %s\n", g->o.devices);
		return -ENOENT;
	}
	return 0;
}

/* --- one stream ------------------------------------------------------------------------- */

static void stream_kill(struct gen *g, struct stream *s, const char *why)
{
	if (s->state == C_DEAD || s->state == C_FREE)
		return;
	if (g->errors_logged < 20) {
		fprintf(stderr, "archload: stream %ld: %s\n", (long)(s - g->s), why);
		if (++g->errors_logged == 20)
			fprintf(stderr, "archload: (further stream errors not shown)\n");
	}
	if (s->state == C_STREAMING)
		g->nstreaming--;
	if (s->state == C_CONNECTING || s->state == C_HANDSHAKE || s->state == C_OPENING)
		g->nhandshaking--; /* not yet streaming */
	s->state = C_DEAD;
	g->ndead++;
	if (s->fd >= 0)
		epoll_ctl(g->ep, EPOLL_CTL_DEL, s->fd, NULL);
	cr_conn_close(&s->conn, 0);
	s->fd = -1;
	free(s->ctl);
	s->ctl = NULL;
}

static void set_events(struct gen *g, struct stream *s, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = s };

	if (s->fd != s->conn.fd) {
		/* A failed connect moved on to the server's next address: a new socket. */
		s->fd = s->conn.fd;
		if (epoll_ctl(g->ep, EPOLL_CTL_ADD, s->fd, &ev) == 0)
			s->events = want;
		return;
	}
	if (want != s->events && epoll_ctl(g->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0)
		s->events = want;
}

static int stream_start(struct gen *g, struct stream *s, unsigned idx)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = s };
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	rc = cr_conn_start(&s->conn, &g->tc[idx % (unsigned)g->ndev], g->o.host, g->o.port, NULL);
	if (rc < 0)
		return rc;
	s->fd = s->conn.fd;
	s->state = C_CONNECTING;
	s->events = EPOLLOUT;
	/* Evenly spread over the period: stream i sends at phase i * golden ratio (mod 1). */
	s->phase_ms = (unsigned)(((uint64_t)(uint32_t)(idx * 2654435769u) * g->o.chunk_ms) >> 32);
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		rc = -errno;
		cr_conn_close(&s->conn, 0);
		return rc;
	}
	g->nhandshaking++;
	return 0;
}

/* HELLO (device) and CALL_OPEN, queued together. */
static int queue_open(struct stream *s)
{
	uint8_t hello[64];
	size_t hl = cr_hello_body(hello, sizeof(hello), CR_ROLE_DEVICE, "archload"), ml, ol;
	char meta[320];
	uint8_t *p;

	if (gnutls_rnd(GNUTLS_RND_NONCE, s->call_id, sizeof(s->call_id)) < 0)
		return -EIO;
	ml = (size_t)snprintf(meta, sizeof(meta),
			      "{\"version\":1,\"user\":\"bench\",\"uid\":0,\"gid\":0,"
			      "\"application\":\"archload\",\"exe\":\"/usr/bin/archload\",\"pid\":%d,"
			      "\"line\":\"\",\"host\":\"bench\",\"start\":\"2026-01-01T00:00:00.000Z\","
			      "\"rate\":%u,\"channels\":%u,\"rule\":\"builtin:record-all\"}",
			      (int)getpid(), RATE, CHANNELS);
	ol = CR_IDSEQ_WIRE + ml;
	s->ctl = p = malloc(2 * CR_FRAME_HDR + hl + ol);
	if (!p)
		return -ENOMEM;
	cr_frame_put_hdr(p, CR_F_HELLO, (uint32_t)hl);
	memcpy(p + CR_FRAME_HDR, hello, hl);
	p += CR_FRAME_HDR + hl;
	cr_frame_put_hdr(p, CR_F_CALL_OPEN, (uint32_t)ol);
	cr_idseq_encode(s->call_id, 0, p + CR_FRAME_HDR);
	memcpy(p + CR_FRAME_HDR + CR_IDSEQ_WIRE, meta, ml);
	/* The chain starts from SHA-256 of the CALL_OPEN body. */
	gnutls_hash_fast(GNUTLS_DIG_SHA256, p + CR_FRAME_HDR, ol, s->prev_hash);
	s->ctl_len = 2 * CR_FRAME_HDR + hl + ol;
	s->is_ctl = 1;
	s->out_off = 0;
	s->out_len = s->ctl_len;
	return 0;
}

/* Put the next scheduled chunk in s->head; the audio is the shared buffer. */
static int build_chunk(struct gen *g, struct stream *s)
{
	struct cr_chunk_hdr h = { 0 };

	memcpy(h.call_id, s->call_id, CR_CALL_ID_BYTES);
	h.seq = s->built_seq;
	h.start_frame = (s->built_seq - 1) * g->frames;
	h.frames = g->frames;
	h.rate = RATE;
	h.channels = CHANNELS;
	h.format = 1;
	memcpy(h.prev_hash, s->prev_hash, CR_HASH_BYTES);
	if (cr_chunk_hash(&h, g->audio, g->audio_bytes, h.hash) < 0)
		return -EIO;
	memcpy(s->prev_hash, h.hash, CR_HASH_BYTES);
	cr_frame_put_hdr(s->head, CR_F_CHUNK, (uint32_t)(CR_CHUNK_HDR_WIRE + g->audio_bytes));
	cr_chunk_hdr_encode(&h, s->head + CR_FRAME_HDR);
	s->built_seq++;
	s->is_ctl = 0;
	s->out_off = 0;
	s->out_len = sizeof(s->head) + g->audio_bytes;
	return 0;
}

/* Send until done or the socket is full. */
static void stream_flush(struct gen *g, struct stream *s)
{
	uint8_t first[FIRST_PIECE];

	while (s->state == C_OPENING || s->state == C_STREAMING) {
		const uint8_t *ptr = NULL;
		size_t len = 0;
		ssize_t n;

		if (!s->conn.tx_again && s->out_off == s->out_len) {
			if (s->is_ctl && s->ctl) {
				free(s->ctl);
				s->ctl = NULL;
			}
			if (s->state != C_STREAMING || s->built_seq >= s->sched_seq)
				break;
			if (build_chunk(g, s) < 0) {
				stream_kill(g, s, "hash failed");
				return;
			}
		}
		if (!s->conn.tx_again) {
			if (s->is_ctl) {
				ptr = s->ctl + s->out_off;
				len = s->out_len - s->out_off;
			} else if (s->out_off < sizeof(s->head)) {
				/* Header and the start of the audio in one record. */
				size_t hl = sizeof(s->head) - s->out_off;
				len = hl + g->audio_bytes;
				if (len > FIRST_PIECE)
					len = FIRST_PIECE;
				memcpy(first, s->head + s->out_off, hl);
				memcpy(first + hl, g->audio, len - hl);
				ptr = first;
			} else {
				ptr = g->audio + (s->out_off - sizeof(s->head));
				len = s->out_len - s->out_off;
			}
		}
		n = cr_conn_write(&s->conn, ptr, len); /* GnuTLS keeps a record it began */
		if (n == -EAGAIN) {
			set_events(g, s, EPOLLIN | EPOLLOUT);
			return;
		}
		if (n < 0) {
			stream_kill(g, s, s->conn.why);
			return;
		}
		s->out_off += (size_t)n;
	}
	if (s->state == C_OPENING || s->state == C_STREAMING)
		set_events(g, s, EPOLLIN);
}

static void window_add_latency(struct gen *g, int64_t us)
{
	uint64_t ms = us < 0 ? 0 : (uint64_t)us / 1000;

	g->w.hist[ms > HIST_MS ? HIST_MS : ms]++;
	if (us > g->w.max_us)
		g->w.max_us = us;
}

static void on_ack(struct gen *g, struct stream *s, const struct cr_frame *f)
{
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;
	uint32_t status;
	unsigned slot;

	if (f->length < CR_IDSEQ_WIRE + 4 || cr_idseq_decode(f->body, f->length, id, &seq) < 0 ||
	    memcmp(id, s->call_id, CR_CALL_ID_BYTES) != 0) {
		stream_kill(g, s, "ACK for another call");
		return;
	}
	status = cr_get_u32(f->body + CR_IDSEQ_WIRE);
	if (seq == 0) {
		if (status != CR_ACK_OK || s->state != C_OPENING) {
			stream_kill(g, s, "CALL_OPEN refused");
			return;
		}
		s->state = C_STREAMING;
		s->sched_seq = s->built_seq = s->acked_seq = 1;
		g->nstreaming++;
		g->nhandshaking--;
		s->wheel_next = g->wheel[s->phase_ms];
		g->wheel[s->phase_ms] = s;
		return;
	}
	slot = (unsigned)(seq % OUTSTANDING);
	if (s->slot_seq[slot] != seq || seq < s->acked_seq) {
		stream_kill(g, s, "ACK for a chunk not in flight");
		return;
	}
	if (s->in_window[slot]) {
		s->in_window[slot] = 0;
		if (status == CR_ACK_OK) {
			g->w.ok++;
			window_add_latency(g, now_us() - s->sched_us[slot]);
		} else {
			g->w.refused++;
		}
	}
	s->slot_seq[slot] = 0;
	while (s->acked_seq < s->sched_seq && s->slot_seq[s->acked_seq % OUTSTANDING] == 0)
		s->acked_seq++;
	if (status != CR_ACK_OK)
		stream_kill(g, s, "chunk refused");
}

static void stream_read(struct gen *g, struct stream *s)
{
	while (s->state == C_OPENING || s->state == C_STREAMING) {
		struct cr_frame f;
		int rc = cr_conn_recv(&s->conn, &f);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			stream_kill(g, s, rc == -ECONNRESET ? "closed by the archive"
					  : rc == -EPROTO   ? "malformed frame from the archive"
							    : s->conn.why);
			return;
		}
		if (f.type == CR_F_ACK) {
			on_ack(g, s, &f);
		} else if (f.type == CR_F_ERROR) {
			char text[128], why[160];

			cr_error_text(&f, text, sizeof(text));
			snprintf(why, sizeof(why), "ERROR from the archive: %s", text);
			stream_kill(g, s, why);
		}
	}
}

static void stream_event(struct gen *g, struct stream *s, uint32_t ev)
{
	int rc;

	switch (s->state) {
	case C_CONNECTING:
	case C_HANDSHAKE:
		rc = cr_conn_handshake(&s->conn);
		if (rc == -EAGAIN) {
			s->state = s->conn.state == CR_CONN_HANDSHAKE ? C_HANDSHAKE : C_CONNECTING;
			set_events(g, s, (uint32_t)cr_conn_events(&s->conn));
			return;
		}
		if (rc < 0) {
			stream_kill(g, s, s->conn.why);
			return;
		}
		if (queue_open(s) < 0) {
			stream_kill(g, s, "out of memory");
			return;
		}
		s->state = C_OPENING;
		stream_flush(g, s);
		return;
	case C_OPENING:
	case C_STREAMING:
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			stream_read(g, s);
		if (ev & EPOLLOUT || s->conn.tx_again)
			stream_flush(g, s);
		return;
	default:
		return;
	}
}

/* A chunk's worth of audio is due on this stream. */
static void schedule_chunk(struct gen *g, struct stream *s, int64_t due_us)
{
	unsigned slot;

	if (g->w.open)
		g->w.expected++;
	if (s->sched_seq - s->acked_seq >= OUTSTANDING) {
		/* The archive is this far behind: an agent would spool; here it is a loss. */
		if (g->w.open)
			g->w.dropped++;
		return;
	}
	slot = (unsigned)(s->sched_seq % OUTSTANDING);
	s->slot_seq[slot] = s->sched_seq;
	s->sched_us[slot] = due_us;
	s->in_window[slot] = (uint8_t)g->w.open;
	s->sched_seq++;
	stream_flush(g, s);
}

/* Run every pacing slot up to now. */
static void run_wheel(struct gen *g)
{
	int64_t now = now_us(), ms = (now - g->t0_us) / 1000;

	while (g->wheel_ms < ms) {
		int64_t slot_ms = ++g->wheel_ms;
		struct stream **pp = &g->wheel[slot_ms % g->o.chunk_ms], *s;

		if (*pp && now - (g->t0_us + slot_ms * 1000) > g->lag_max_us)
			g->lag_max_us = now - (g->t0_us + slot_ms * 1000);
		while ((s = *pp)) {
			if (s->state != C_STREAMING) {
				*pp = s->wheel_next; /* dead: leave the wheel */
				continue;
			}
			schedule_chunk(g, s, g->t0_us + slot_ms * 1000);
			pp = &s->wheel_next;
		}
	}
}

/* --- measurement ------------------------------------------------------------------------ */

/* Archive CPU time (utime + stime) in seconds, -1 if unreadable. */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3; utime and stime are fields 14 and 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Seconds the archive's main thread (the event loop) was runnable but waiting for a CPU: on a
 * machine shared with other work, this says whether a slow step was the archive's doing. */
static double proc_runq_wait_s(int pid)
{
	char path[64];
	unsigned long long run = 0, wait = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	return n == 2 ? (double)wait / 1e9 : -1;
}

static long proc_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static unsigned percentile_ms(const struct window *w, double q)
{
	uint64_t total = 0, want, acc = 0;

	for (unsigned i = 0; i <= HIST_MS; i++)
		total += w->hist[i];
	if (!total)
		return 0;
	want = (uint64_t)(q * (double)total + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i <= HIST_MS; i++) {
		acc += w->hist[i];
		if (acc >= want)
			return i + 1; /* bucket upper bound: never flatters */
	}
	return HIST_MS + 1;
}

/* --- the ramp --------------------------------------------------------------------------- */

static void pump(struct gen *g, int64_t until_us)
{
	struct epoll_event evs[512];

	for (;;) {
		int64_t now = now_us();
		int timeout, n;

		run_wheel(g);
		if (now >= until_us)
			return;
		/* Wake for the next pacing slot: 1 ms granularity. */
		timeout = (int)((until_us - now + 999) / 1000);
		if (timeout > 1)
			timeout = 1;
		n = epoll_wait(g->ep, evs, 512, timeout);
		for (int i = 0; i < n; i++)
			stream_event(g, evs[i].data.ptr, evs[i].events);
	}
}

struct step_result {
	unsigned n, p50, p99;
	uint64_t expected, ok, refused, dropped, lost;
	double max_ms, cpu_pct, gen_cpu_pct, rss_kib_per_stream, lag_max_ms, runq_pct;
	long rss_kib;
	unsigned dead;
	int pass;
};

/* Bring the number of streams up to target. 0, or -1 when some could not connect in time. */
static int connect_step(struct gen *g, unsigned target)
{
	int64_t deadline = now_us() + (int64_t)g->o.connect_timeout_s * 1000000;
	unsigned dead_before = g->ndead;

	/* Connect, at most max_hs handshakes at a time; existing streams keep streaming. */
	while (g->nstreaming + (g->ndead - dead_before) < target && now_us() < deadline) {
		while (g->nopen < target && g->nhandshaking < g->o.max_hs) {
			int rc = stream_start(g, &g->s[g->nopen], g->nopen);
			if (rc < 0) {
				fprintf(stderr, "archload: connect: %s\n", strerror(-rc));
				g->s[g->nopen].state = C_DEAD;
				g->ndead++;
			}
			g->nopen++;
		}
		pump(g, now_us() + 5000);
	}
	if (g->nstreaming < target) {
		fprintf(stdout, "# step %u: only %u streams up (%u failed or timed out)\n", target,
			g->nstreaming, target - g->nstreaming);
		return -1;
	}
	pump(g, now_us() + (int64_t)g->o.settle_s * 1000000);
	return 0;
}

/* One measurement window over the streams that are up, then a grace period for the last ACKs. */
static void measure(struct gen *g, unsigned target, long rss_base, struct step_result *r)
{
	unsigned dead_before = g->ndead;
	double cpu0, cpu1, gcpu0, gcpu1, rq0, rq1;
	int64_t t;

	memset(r, 0, sizeof(*r));
	r->n = target;
	memset(&g->w, 0, sizeof(g->w));
	g->lag_max_us = 0;
	cpu0 = g->o.archive_pid ? proc_cpu_s(g->o.archive_pid) : -1;
	gcpu0 = self_cpu_s();
	rq0 = g->o.archive_pid ? proc_runq_wait_s(g->o.archive_pid) : -1;
	t = now_us();
	g->w.open = 1;
	pump(g, t + (int64_t)g->o.window_s * 1000000);
	g->w.open = 0;
	t = now_us() - t;
	cpu1 = g->o.archive_pid ? proc_cpu_s(g->o.archive_pid) : -1;
	gcpu1 = self_cpu_s();
	rq1 = g->o.archive_pid ? proc_runq_wait_s(g->o.archive_pid) : -1;
	r->rss_kib = g->o.archive_pid ? proc_rss_kib(g->o.archive_pid) : -1;
	r->lag_max_ms = (double)g->lag_max_us / 1000.0;
	pump(g, now_us() + (int64_t)g->o.grace_s * 1000000);
	r->expected = g->w.expected;
	r->ok = g->w.ok;
	r->refused = g->w.refused;
	r->dropped = g->w.dropped;
	r->lost = r->expected - r->ok - r->refused;
	r->dead = g->ndead - dead_before;
	r->p50 = percentile_ms(&g->w, 0.50);
	r->p99 = percentile_ms(&g->w, 0.99);
	r->max_ms = (double)g->w.max_us / 1000.0;
	r->cpu_pct = cpu0 >= 0 && cpu1 >= 0 ? (cpu1 - cpu0) * 1e8 / (double)t : -1;
	r->gen_cpu_pct = (gcpu1 - gcpu0) * 1e8 / (double)t;
	r->runq_pct = rq0 >= 0 && rq1 >= 0 ? (rq1 - rq0) * 1e8 / (double)t : -1;
	r->rss_kib_per_stream = rss_base > 0 && r->rss_kib > 0
					? (double)(r->rss_kib - rss_base) / target : -1;
	r->pass = r->expected > 0 && r->lost == 0 && r->refused == 0 && r->dead == 0 &&
		  g->nstreaming == target && r->p99 < g->o.p99_ms;
}

static void print_step(const struct step_result *r, unsigned attempt)
{
	fprintf(stdout,
		"# step %u%s: chunks %llu ok %llu refused %llu lost %llu (dropped %llu) dead %u "
		"| ack p50 %u ms p99 %u ms max %.1f ms | archive cpu %.1f%% waiting for a cpu "
		"%.1f%% rss %ld KiB (%.1f KiB/stream) | generator cpu %.1f%% lag max %.1f ms -> %s\n",
		r->n, attempt ? " (again)" : "", (unsigned long long)r->expected,
		(unsigned long long)r->ok, (unsigned long long)r->refused,
		(unsigned long long)r->lost, (unsigned long long)r->dropped, r->dead, r->p50, r->p99,
		r->max_ms, r->cpu_pct, r->runq_pct, r->rss_kib, r->rss_kib_per_stream,
		r->gen_cpu_pct, r->lag_max_ms, r->pass ? "pass" : "FAIL");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct step_result best = { 0 }, r;
	struct rlimit rl;
	long rss_base = -1;
	int have_best = 0, rc = 1;

	signal(SIGPIPE, SIG_IGN);
	if (!g || parse_args(argc, argv, &g->o) < 0) {
		fprintf(stderr,
			"usage: archload --address HOST:PORT --ca CA --devices DIR [--steps N,N,..]\n"
			"       [--window S] [--settle S] [--grace S] [--chunk-ms MS] [--archive-pid PID]\n"
			"       [--max-handshakes N] [--connect-timeout S] [--p99-ms MS] [--retries N]\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < g->o.steps[g->o.nsteps - 1] + 64u)
			fprintf(stderr, "archload: warning: only %lu file descriptors\n",
				(unsigned long)rl.rlim_cur);
	}
	gnutls_global_init();
	g->cap = g->o.steps[g->o.nsteps - 1];
	g->s = calloc(g->cap, sizeof(*g->s));
	g->wheel = calloc(g->o.chunk_ms, sizeof(*g->wheel));
	g->frames = RATE * g->o.chunk_ms / 1000;
	g->audio_bytes = (size_t)g->frames * CHANNELS * 2;
	g->audio = malloc(g->audio_bytes);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!g->s || !g->wheel || !g->audio || g->ep < 0 || load_devices(g) < 0)
		goto out;
	/* Audio: 440 Hz and 660 Hz sawtooth waves at a modest level (the content does not change
	 * the archive's work, but silence would invite shortcuts somewhere). */
	for (uint32_t i = 0; i < g->frames; i++) {
		int16_t *p = (int16_t *)g->audio + 2 * i;
		p[0] = (int16_t)(((i * 440u * 64u / RATE) % 64u) * 256u - 8192);
		p[1] = (int16_t)(((i * 660u * 64u / RATE) % 64u) * 256u - 8192);
	}
	g->t0_us = now_us();
	if (g->o.archive_pid)
		rss_base = proc_rss_kib(g->o.archive_pid);
	fprintf(stdout, "# archload: %d devices, chunk %u ms (%zu bytes), window %u s, archive RSS "
			"before %ld KiB\n",
		g->ndev, g->o.chunk_ms, g->audio_bytes, g->o.window_s, rss_base);
	fflush(stdout);
	for (int i = 0; i < g->o.nsteps; i++) {
		if (connect_step(g, g->o.steps[i]) < 0) {
			memset(&r, 0, sizeof(r));
			r.n = g->o.steps[i];
			break;
		}
		/* A failed window is measured once more before the step counts as failed: on a
		 * machine shared with other work, one burst of someone else's load should not end
		 * the ramp. Both windows are printed. */
		for (unsigned attempt = 0; attempt <= g->o.retries; attempt++) {
			measure(g, g->o.steps[i], rss_base, &r);
			print_step(&r, attempt);
			if (r.pass || g->nstreaming < r.n) /* lost streams do not come back */
				break;
		}
		if (!r.pass)
			break;
		best = r;
		have_best = 1;
	}
	if (have_best) {
		printf("archive streams callrec %u\n", best.n);
		printf("archive ack_p99_ms callrec %u\n", best.p99);
		printf("archive ack_p50_ms callrec %u\n", best.p50);
		if (best.rss_kib_per_stream >= 0)
			printf("archive mem_per_stream_kib callrec %.1f\n", best.rss_kib_per_stream);
		if (best.cpu_pct >= 0)
			printf("archive cpu_per_stream_percent callrec %.4f\n", best.cpu_pct / best.n);
		printf("archive generator_cpu_percent callrec %.1f\n", best.gen_cpu_pct);
	} else {
		printf("archive streams callrec 0\n");
	}
	if (r.pass == 0)
		printf("archive streams first_failed %u\n", r.n);
	rc = 0;
out:
	g->errors_logged = 20; /* closing at the end is not an error */
	for (unsigned i = 0; g && g->s && i < g->nopen; i++)
		if (g->s[i].state != C_DEAD && g->s[i].state != C_FREE)
			stream_kill(g, &g->s[i], "end");
	return rc;
}
