/* ringsink: a fake agent for plugin tests.
 *
 *   ringsink [--pass] [--delay-ms N] [--stall-ms N] [--ring-bytes N]
 *            [--inject FILE] [--inject-kind replace|add] [--inject-dir capture|playback]
 *            [--inject-rate HZ] [--inject-wrong-rate HZ] [--inject-frames N] [--mute]
 *            [--mute-ms N] [--mangle] SOCKPATH OUTDIR
 *
 * Listens on the unix SOCK_SEQPACKET socket SOCKPATH. For each stream HELLO it answers RECORD
 * with a sealed memfd ring (or PASS with --pass; --delay-ms holds the answer back, to test the
 * plugin's timeout), drains every ring continuously (--stall-ms: not before N ms after the
 * HELLO, so that a small ring fills up and the producer must drop) and writes, for stream
 * number n (from 1, in HELLO order):
 *   OUTDIR/n-DIR.raw   the payload bytes of every record (DIR = playback | capture)
 *   OUTDIR/n-DIR.meta  "stream ..." then one "rec ..." line per record, "gap ..." when a
 *                      record's position skips frames, "end ..." with totals and ring state
 *   OUTDIR/n-DIR.done  created (empty) once the stream ended and its files are complete
 * Disclosure (common/ring.h): with --inject, every stream of --inject-dir (default capture)
 * gets a ring with a disclosure area, and the 16-bit mono samples of FILE are queued as
 * records of --inject-frames (default 4800) frames of --inject-kind (default replace) stamped
 * with --inject-rate (default 48000), the first ones before the reply so that the plugin finds
 * them from the stream's first transfer. --inject-wrong-rate HZ first queues one record at that
 * rate, which the plugin must skip. --mute sets CR_RING_CTL_MUTE in every capture ring;
 * --mute-ms N sets it and clears it N ms after the HELLO (how an agent keeps the microphone
 * from being heard before an announcement it has yet to queue).
 * Meta "rec" lines then carry inject=FIRST+FRAMES and "end" the ring's injected_frames and the
 * stream parameters the plugin published.
 * --mangle: a hostile agent instead (whoever holds a ring's memfd can rewrite any byte of it at
 * any moment, and the plugin, in the softphone's audio thread, must neither crash nor misbehave
 * beyond losing the recording). Every ring gets a disclosure area, and as soon as the plugin has
 * attached (CR_RING_PRODUCER_ATTACHED: it checked the ring while still sound, so what follows
 * hits its audio path), until the stream ends, every field of the ring's header is overwritten
 * in a loop with random and adversarial values (zero, all ones, unaligned, just past the
 * capacity, the mapping's size, capacities far beyond the memfd, offsets outside it; counters
 * anywhere, one byte off, a lap ahead), and the disclosure area is strewn with record headers
 * of impossible lengths and kinds. Nothing is drained. Left alone, as an agent's legitimate say
 * over the audio rather than memory safety: the mute flag is never set and no valid disclosure
 * record (REPLACE or ADD) is written, so the audio between the application and the slave must
 * stay bit-exact. At exit it prints how many streams it mangled and how many values it wrote.
 * SIGTERM or SIGINT: drains everything, finishes every stream, removes SOCKPATH, exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "ring.h"

#define MAX_CLIENTS 64
#define DRAIN_INTERVAL_MS 2

struct client {
	int sock;
	int n;              /* stream number, 0 before HELLO */
	int answered;
	int64_t answer_at;  /* --delay-ms: when to send the reply */
	int64_t drain_at;   /* --stall-ms: when to start draining */
	struct cr_ctl_hello hello;
	void *ring;          /* the mapping (NULL: none) ... */
	size_t ring_bytes;
	struct cr_ring view; /* ... and ringsink's view of it */
	int ring_fd;
	FILE *raw, *meta;
	uint64_t next_pos, records, frames, gaps;
	int broken;
	int injecting;          /* this stream gets the disclosure samples */
	uint64_t inject_queued; /* frames of inject_samples queued so far */
	uint64_t inject_marked; /* frames records marked as carrying disclosure */
	int64_t unmute_at;      /* --mute-ms: when to clear CR_RING_CTL_MUTE, 0 = never */
	int mangling;           /* --mangle: the plugin attached, the ring is being mangled */
};

static volatile sig_atomic_t stop_requested;
static const char *outdir;
static int decide_pass;
static int delay_ms;
static int stall_ms;
static uint32_t data_bytes = 4u * 1024u * 1024u;
static int streams;
static const char *inject_path;
static int16_t *inject_samples;
static uint64_t inject_total;
static uint16_t inject_kind = CR_INJ_REPLACE;
static int inject_dir = CR_DIR_CAPTURE;
static uint32_t inject_rate = 48000;
static uint32_t inject_wrong_rate;
static uint32_t inject_chunk = 4800;
static int mute;
static int mute_ms = -1;
static int mangle;
static unsigned mangled_streams;
static unsigned long long mangle_writes;
#define INJECT_BYTES (1024u * 1024u)
#define MANGLE_WRITES_PER_TURN 512

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char *dir_name(const struct client *c)
{
	return c->hello.direction == CR_DIR_CAPTURE ? "capture" : "playback";
}

static FILE *open_out(const struct client *c, const char *ext, const char *mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d-%s.%s", outdir, c->n, dir_name(c), ext);
	return fopen(path, mode);
}

static int make_ring(struct client *c)
{
	uint32_t inj = c->injecting ? INJECT_BYTES : 0;
	size_t bytes = cr_ring_layout_bytes_inject(data_bytes, inj);
	int fd = memfd_create("ringsink", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;
	int err;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) < 0)
		goto fail_errno;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail_errno;
	err = cr_ring_init_inject(&c->view, p, bytes, data_bytes, inj);
	if (err < 0) {
		munmap(p, bytes);
		close(fd);
		return err;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		err = -errno;
		munmap(p, bytes);
		close(fd);
		return err;
	}
	c->ring = p;
	c->ring_bytes = bytes;
	c->ring_fd = fd;
	return 0;
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

/* Queues as much of the disclosure as fits now; the rest follows as the plugin consumes. */
static void queue_inject(struct client *c)
{
	while (c->injecting && c->inject_queued < inject_total) {
		uint64_t n = inject_total - c->inject_queued;

		if (n > inject_chunk)
			n = inject_chunk;
		if (cr_inject_write(&c->view, inject_kind, inject_rate, c->inject_queued,
				    inject_samples + c->inject_queued, (uint32_t)n) < 0)
			return;
		c->inject_queued += n;
	}
}

static int send_reply(struct client *c)
{
	struct cr_ctl_reply r = { .magic = CR_CTL_MAGIC, .version = CR_CTL_VERSION };
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	c->answered = 1;
	if (decide_pass) {
		r.decision = CR_DECIDE_PASS;
	} else {
		struct cmsghdr *cm;

		r.decision = CR_DECIDE_RECORD;
		r.ring_bytes = (uint32_t)c->ring_bytes;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c->ring_fd, sizeof(int));
	}
	if (sendmsg(c->sock, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof(r))
		return -errno;
	if (c->ring_fd >= 0) {
		close(c->ring_fd); /* the mapping stays */
		c->ring_fd = -1;
	}
	return 0;
}

static int on_hello(struct client *c)
{
	ssize_t n = recv(c->sock, &c->hello, sizeof(c->hello), 0);

	if (n != (ssize_t)sizeof(c->hello) || c->hello.magic != CR_CTL_MAGIC ||
	    c->hello.version != CR_CTL_VERSION || c->hello.kind != CR_CTL_STREAM)
		return -EPROTO;
	c->hello.line[sizeof(c->hello.line) - 1] = 0;
	c->hello.pcm[sizeof(c->hello.pcm) - 1] = 0;
	c->n = ++streams;
	c->meta = open_out(c, "meta", "w");
	if (!c->meta)
		return -errno;
	fprintf(c->meta, "stream n=%d direction=%s line=%s pcm=%s decision=%s\n", c->n,
		dir_name(c), c->hello.line, c->hello.pcm, decide_pass ? "pass" : "record");
	if (!decide_pass) {
		int err;

		c->injecting = mangle || (inject_samples && c->hello.direction == inject_dir);
		err = make_ring(c);
		if (err < 0)
			return err;
		if (c->injecting && inject_wrong_rate &&
		    cr_inject_write(&c->view, inject_kind, inject_wrong_rate, 999, inject_samples,
				    inject_total < inject_chunk ? (uint32_t)inject_total
								: inject_chunk) < 0)
			return -ENOSPC;
		queue_inject(c);
		if ((mute || mute_ms >= 0) && c->hello.direction == CR_DIR_CAPTURE)
			atomic_fetch_or(&((struct cr_ring_hdr *)c->ring)->control, CR_RING_CTL_MUTE);
		if (mute_ms >= 0 && c->hello.direction == CR_DIR_CAPTURE)
			c->unmute_at = cr_now_ms() + mute_ms;
		c->raw = open_out(c, "raw", "w");
		if (!c->raw)
			return -errno;
	}
	c->answer_at = cr_now_ms() + delay_ms;
	c->drain_at = cr_now_ms() + stall_ms;
	if (delay_ms == 0)
		return send_reply(c);
	return 0;
}

/* --- --mangle ------------------------------------------------------------------------------ */

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* A 32-bit value meant to hurt: sizes and offsets around what the plugin would use. */
static uint32_t bad32(const struct cr_ring *r)
{
	const uint32_t v[] = { 0, 1, 7, 8, 0x7fffffffu, 0x80000000u, 0xffffffffu, 1u << 30,
			       (uint32_t)r->map_bytes, (uint32_t)r->map_bytes - 8,
			       r->data_bytes * 2, r->data_bytes * 64, CR_RING_MAX_DATA,
			       r->data_bytes + 8, r->inject_offset + r->inject_bytes,
			       r->inject_bytes * 1024 };

	return rnd() % 3 == 0 ? (uint32_t)rnd() : v[rnd() % (sizeof(v) / sizeof(v[0]))];
}

/* A counter value meant to hurt, near the current one or anywhere. */
static uint64_t bad64(uint64_t cur, uint32_t size)
{
	switch (rnd() % 10) {
	case 0: return rnd();
	case 1: return 0;
	case 2: return UINT64_MAX;
	case 3: return cur + 1 + rnd() % 7;
	case 4: return cur + size + 8;
	case 5: return cur - 8;
	case 6: return cur + ((uint64_t)1 << 40);
	case 7: return cur + size * 3u;
	case 8: return cur - size;
	default: return cur + (rnd() % size & ~7u);
	}
}

static void store32(uint32_t *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

/* One hostile write into the ring's shared memory. */
static void mangle_once(const struct cr_ring *r)
{
	struct cr_ring_hdr *h = cr_ring_hdr(r);

	mangle_writes++;
	switch (rnd() % 20) {
	case 0: store32(&h->magic, rnd() % 2 ? CR_RING_MAGIC : (uint32_t)rnd()); break;
	case 1: store32(&h->version, bad32(r)); break;
	case 2: store32(&h->hdr_bytes, bad32(r)); break;
	case 3: store32(&h->data_bytes, bad32(r)); break;
	case 4: store32(&h->inject_offset, bad32(r)); break;
	case 5: store32(&h->inject_bytes, bad32(r)); break;
	case 6: atomic_store(&h->head, bad64(atomic_load(&h->head), r->data_bytes)); break;
	case 7: atomic_store(&h->tail, bad64(atomic_load(&h->head), r->data_bytes)); break;
	case 8:
		atomic_store(&h->inject_head, bad64(atomic_load(&h->inject_tail), r->inject_bytes));
		break;
	case 9:
		atomic_store(&h->inject_tail, bad64(atomic_load(&h->inject_head), r->inject_bytes));
		break;
	case 10: atomic_store(&h->dropped_frames, rnd()); break;
	case 11: atomic_store(&h->state, (uint32_t)rnd()); break;
	case 12: atomic_store(&h->stream_rate, bad32(r)); break;
	case 13: atomic_store(&h->stream_channels, bad32(r)); break;
	case 14: atomic_store(&h->stream_format, (int32_t)bad32(r)); break;
	case 15: atomic_store(&h->injected_frames, rnd()); break;
	case 16: atomic_store(&h->control, (uint32_t)rnd() & ~CR_RING_CTL_MUTE); break;
	default: {
		/* A disclosure record header somewhere in the area: lengths that lead nowhere,
		 * kinds that are no audio (a filler, nothing, or unknown). */
		static const uint16_t kinds[] = { 0, CR_INJ_PAD, 4, 0xffff };
		uint32_t off = (uint32_t)(rnd() % r->inject_bytes) & ~7u;
		struct cr_inj *rec = (struct cr_inj *)((unsigned char *)r->base + r->inject_offset +
						       off);

		if (off + CR_INJ_HDR_BYTES > r->inject_bytes)
			break;
		store32(&rec->bytes, rnd() % 2 ? r->inject_bytes - off : bad32(r));
		*(volatile uint16_t *)&rec->kind = kinds[rnd() % 4];
		store32(&rec->frames, bad32(r));
		store32(&rec->rate, (uint32_t)rnd());
	}
	}
}

/* Once the plugin attached: a turn of hostile writes. */
static void mangle_turn(struct client *c)
{
	if (!c->ring || !c->answered)
		return;
	if (!c->mangling &&
	    (atomic_load(&cr_ring_hdr(&c->view)->state) & CR_RING_PRODUCER_ATTACHED)) {
		c->mangling = 1;
		mangled_streams++;
	}
	for (int k = 0; c->mangling && k < MANGLE_WRITES_PER_TURN; k++)
		mangle_once(&c->view);
}

static void drain(struct client *c)
{
	struct cr_rec rec; /* a validated copy: the producer may scribble on the ring */
	const void *payload;
	int err;

	if (!c->ring || c->broken)
		return;
	while ((payload = cr_ring_peek(&c->view, &rec, &err))) {
		uint64_t bytes = (uint64_t)rec.frames * rec.frame_bytes;

		if (rec.pos > c->next_pos) {
			fprintf(c->meta, "gap pos=%" PRIu64 " frames=%" PRIu64 "\n", c->next_pos,
				(uint64_t)rec.pos - c->next_pos);
			c->gaps++;
		} else if (rec.pos < c->next_pos) {
			fprintf(c->meta, "overlap pos=%" PRIu64 " expected=%" PRIu64 "\n",
				(uint64_t)rec.pos, c->next_pos);
		}
		fprintf(c->meta,
			"rec pos=%" PRIu64 " frames=%u channels=%u rate=%u format=%d "
			"frame_bytes=%u t_ns=%" PRIu64 " inject=%u+%u\n",
			(uint64_t)rec.pos, rec.frames, rec.channels, rec.rate, rec.format,
			rec.frame_bytes, (uint64_t)rec.t_ns, rec.inject_first, rec.inject_frames);
		c->inject_marked += rec.inject_frames;
		fwrite(payload, 1, bytes, c->raw);
		c->next_pos = rec.pos + rec.frames;
		c->records++;
		c->frames += rec.frames;
		cr_ring_release(&c->view, &rec);
	}
	if (err < 0) {
		fprintf(c->meta, "error invalid record (%s)\n", strerror(-err));
		c->broken = 1;
	}
	queue_inject(c);
}

static void finish(struct client *c)
{
	if (c->n) {
		drain(c);
		if (c->meta) {
			const struct cr_ring_hdr *h = c->ring;
			struct cr_ring_hdr *w = c->ring;
			if (w)
				fprintf(c->meta,
					"params rate=%u channels=%u format=%d injected=%" PRIu64
					" marked=%" PRIu64 " inject_pending=%" PRIu64 "\n",
					atomic_load(&w->stream_rate), atomic_load(&w->stream_channels),
					atomic_load(&w->stream_format),
					(uint64_t)atomic_load(&w->injected_frames), c->inject_marked,
					cr_inject_pending(&c->view));
			fprintf(c->meta,
				"end records=%" PRIu64 " frames=%" PRIu64 " gaps=%" PRIu64
				" dropped=%" PRIu64 " state=%u\n",
				c->records, c->frames, c->gaps,
				h ? (uint64_t)atomic_load(&((struct cr_ring_hdr *)h)->dropped_frames) : 0,
				h ? (unsigned)atomic_load(&((struct cr_ring_hdr *)h)->state) : 0);
			fclose(c->meta);
		}
		if (c->raw)
			fclose(c->raw);
		FILE *done = open_out(c, "done", "w");
		if (done)
			fclose(done);
	}
	if (c->ring)
		munmap(c->ring, c->ring_bytes);
	if (c->ring_fd >= 0)
		close(c->ring_fd);
	close(c->sock);
	memset(c, 0, sizeof(*c));
	c->sock = -1;
	c->ring_fd = -1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	unlink(path);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
		int err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* Reads the whole disclosure file (raw signed 16-bit mono) into memory. */
static int load_inject(const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 2 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -EINVAL;
	}
	inject_total = (uint64_t)len / 2;
	inject_samples = malloc((size_t)inject_total * 2);
	if (!inject_samples || fread(inject_samples, 2, inject_total, f) != inject_total) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ringsink [--pass] [--delay-ms N] [--stall-ms N] [--ring-bytes N]\n"
		"                [--inject FILE] [--inject-kind replace|add] "
		"[--inject-dir capture|playback]\n"
		"                [--inject-rate HZ] [--inject-wrong-rate HZ] [--inject-frames N] "
		"[--mute] [--mute-ms N] [--mangle] SOCKPATH OUTDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 1];
	struct sigaction sa = { .sa_handler = on_signal };
	const char *sock_path;
	int lsock, i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (!strcmp(argv[i], "--pass"))
			decide_pass = 1;
		else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			delay_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--stall-ms") && i + 1 < argc)
			stall_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ring-bytes") && i + 1 < argc)
			data_bytes = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--inject") && i + 1 < argc)
			inject_path = argv[++i];
		else if (!strcmp(argv[i], "--inject-kind") && i + 1 < argc)
			inject_kind = !strcmp(argv[++i], "add") ? CR_INJ_ADD : CR_INJ_REPLACE;
		else if (!strcmp(argv[i], "--inject-dir") && i + 1 < argc)
			inject_dir = !strcmp(argv[++i], "playback") ? CR_DIR_PLAYBACK : CR_DIR_CAPTURE;
		else if (!strcmp(argv[i], "--inject-rate") && i + 1 < argc)
			inject_rate = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--inject-wrong-rate") && i + 1 < argc)
			inject_wrong_rate = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--inject-frames") && i + 1 < argc)
			inject_chunk = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mute"))
			mute = 1;
		else if (!strcmp(argv[i], "--mute-ms") && i + 1 < argc)
			mute_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--mangle"))
			mangle = 1;
		else
			usage();
	}
	if (inject_path && load_inject(inject_path) < 0) {
		fprintf(stderr, "ringsink: cannot read %s\n", inject_path);
		return 1;
	}
	if (argc - i != 2)
		usage();
	sock_path = argv[i];
	outdir = argv[i + 1];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < MAX_CLIENTS; i++) {
		memset(&clients[i], 0, sizeof(clients[i]));
		clients[i].sock = -1;
		clients[i].ring_fd = -1;
	}
	lsock = listen_on(sock_path);
	if (lsock < 0) {
		fprintf(stderr, "ringsink: %s: %s\n", sock_path, strerror(-lsock));
		return 1;
	}
	while (!stop_requested) {
		int nfds = 1, busy = 0;

		pfd[0].fd = lsock;
		pfd[0].events = POLLIN;
		for (i = 0; i < MAX_CLIENTS; i++) {
			pfd[i + 1].fd = clients[i].sock;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
			nfds++;
			busy |= clients[i].ring && mangle;
		}
		/* While a ring is mangled, never wait: that is the point. */
		if (poll(pfd, (nfds_t)nfds, busy ? 0 : DRAIN_INTERVAL_MS) < 0 && errno != EINTR) {
			perror("ringsink: poll");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			int s = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
			for (i = 0; s >= 0 && i < MAX_CLIENTS && clients[i].sock >= 0; i++)
				;
			if (s >= 0 && i < MAX_CLIENTS)
				clients[i].sock = s;
			else if (s >= 0)
				close(s);
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];
			short re = pfd[i + 1].revents;

			if (c->sock < 0 || pfd[i + 1].fd != c->sock)
				continue;
			if (!c->n && (re & POLLIN)) {
				int err = on_hello(c);
				if (err < 0) {
					fprintf(stderr, "ringsink: bad client: %s\n", strerror(-err));
					finish(c);
					continue;
				}
			} else if (re & (POLLIN | POLLHUP | POLLERR)) {
				finish(c); /* the stream ended (anything else is a protocol error) */
				continue;
			}
			if (c->n && !c->answered && cr_now_ms() >= c->answer_at && send_reply(c) < 0) {
				finish(c);
				continue;
			}
			if (c->unmute_at && cr_now_ms() >= c->unmute_at) {
				atomic_fetch_and(&((struct cr_ring_hdr *)c->ring)->control,
						 ~CR_RING_CTL_MUTE);
				c->unmute_at = 0;
			}
			if (mangle)
				mangle_turn(c);
			else if (cr_now_ms() >= c->drain_at)
				drain(c);
		}
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].sock >= 0)
			finish(&clients[i]);
	unlink(sock_path);
	close(lsock);
	if (mangle)
		fprintf(stderr, "ringsink: %u streams mangled, %llu hostile writes\n",
			mangled_streams, mangle_writes);
	return 0;
}
