/* ringmangle: a hostile agent for plugin tests: whoever holds a ring's memfd can rewrite any
 * byte of it at any moment, and the plugin, running in the softphone's audio thread, must
 * neither crash nor misbehave beyond losing the recording.
 *
 *   ringmangle SOCKPATH
 *
 * Listens on the unix SOCK_SEQPACKET socket SOCKPATH like the agent. Every stream HELLO is
 * answered RECORD with a sealed memfd ring that has a disclosure area, and as soon as the
 * plugin has attached to it (CR_RING_PRODUCER_ATTACHED: the plugin checked the ring while it
 * was still sound, so what follows hits its audio path), in a loop until the stream ends, every
 * field of that ring's header is overwritten with random and
 * adversarial values (zero, all ones, unaligned, just past the capacity, the mapping's size,
 * a capacity much larger than the memfd, offsets far outside it; counters anywhere, also
 * one byte off and a lap ahead), and the disclosure area is strewn with record headers of
 * impossible lengths and kinds. Two things are left alone, because they are an agent's
 * legitimate say over the audio rather than memory safety: the mute flag (control's
 * CR_RING_CTL_MUTE) is never set, and no valid disclosure record (kind REPLACE or ADD) is
 * written, so that the audio the application and the slave exchange must stay bit-exact.
 * SIGTERM or SIGINT: prints how many streams attached and how many values it wrote, exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ring.h"

#define MAX_CLIENTS 16
#define DATA_BYTES (64u * 1024u)
#define INJECT_BYTES (64u * 1024u)
#define WRITES_PER_TURN 512

struct client {
	int sock;
	struct cr_ring ring; /* ring.base NULL before the HELLO */
	int attached;        /* the plugin said it mapped the ring: the mangling begins */
};

static volatile sig_atomic_t stop_requested;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned long long writes;
static unsigned attached_streams;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
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
	writes++;
}

/* One hostile write into the ring's shared memory. */
static void mangle_once(const struct cr_ring *r)
{
	struct cr_ring_hdr *h = cr_ring_hdr(r);
	unsigned char *inject = (unsigned char *)r->base + r->inject_offset;

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
		struct cr_inj *rec = (struct cr_inj *)(inject + off);

		if (off + CR_INJ_HDR_BYTES > r->inject_bytes)
			break;
		store32(&rec->bytes, rnd() % 2 ? r->inject_bytes - off : bad32(r));
		*(volatile uint16_t *)&rec->kind = kinds[rnd() % 4];
		store32(&rec->frames, bad32(r));
		store32(&rec->rate, (uint32_t)rnd());
	}
	}
	writes++;
}

static int make_ring(struct client *c, int *fd_out)
{
	size_t bytes = cr_ring_layout_bytes_inject(DATA_BYTES, INJECT_BYTES);
	int fd = memfd_create("ringmangle", MFD_CLOEXEC | MFD_ALLOW_SEALING), err;
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) < 0 ||
	    (p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	err = cr_ring_init_inject(&c->ring, p, bytes, DATA_BYTES, INJECT_BYTES);
	if (err == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		err = -errno;
	if (err < 0) {
		munmap(p, bytes);
		memset(&c->ring, 0, sizeof(c->ring));
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

static int on_hello(struct client *c)
{
	struct cr_ctl_hello hello;
	struct cr_ctl_reply r = { .magic = CR_CTL_MAGIC, .version = CR_CTL_VERSION,
				  .decision = CR_DECIDE_RECORD };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	int fd = -1, err;

	if (recv(c->sock, &hello, sizeof(hello), 0) != (ssize_t)sizeof(hello) ||
	    hello.magic != CR_CTL_MAGIC || hello.kind != CR_CTL_STREAM)
		return -EPROTO;
	err = make_ring(c, &fd);
	if (err < 0)
		return err;
	r.ring_bytes = (uint32_t)c->ring.map_bytes;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	err = sendmsg(c->sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(r) ? 0 : -errno;
	close(fd);
	return err;
}

static void finish(struct client *c)
{
	if (c->ring.base)
		munmap(c->ring.base, c->ring.map_bytes);
	memset(&c->ring, 0, sizeof(c->ring));
	c->attached = 0;
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 1];
	struct sigaction sig = { .sa_handler = on_signal };
	int lsock, i, live;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: ringmangle SOCKPATH\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);
	lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lsock, 16) < 0) {
		perror("ringmangle");
		return 1;
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		clients[i].sock = -1;
		clients[i].attached = 0;
		memset(&clients[i].ring, 0, sizeof(clients[i].ring));
	}
	rng ^= (uint64_t)getpid() << 32;
	while (!stop_requested) {
		live = 0;
		pfd[0] = (struct pollfd){ .fd = lsock, .events = POLLIN };
		for (i = 0; i < MAX_CLIENTS; i++) {
			pfd[i + 1] = (struct pollfd){ .fd = clients[i].sock, .events = POLLIN };
			live += clients[i].ring.base != NULL;
		}
		/* While a ring is live, never wait: mangling is the point. */
		if (poll(pfd, MAX_CLIENTS + 1, live ? 0 : 50) < 0 && errno != EINTR)
			break;
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

			if (c->sock < 0 || pfd[i + 1].fd != c->sock || !pfd[i + 1].revents)
				continue;
			if (!c->ring.base && (pfd[i + 1].revents & POLLIN) && on_hello(c) == 0)
				continue;
			finish(c); /* the stream ended, or a bad HELLO */
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];

			if (c->ring.base && !c->attached &&
			    (atomic_load(&cr_ring_hdr(&c->ring)->state) & CR_RING_PRODUCER_ATTACHED)) {
				c->attached = 1;
				attached_streams++;
			}
			for (int k = 0; c->attached && k < WRITES_PER_TURN; k++)
				mangle_once(&c->ring);
		}
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		finish(&clients[i]);
	unlink(argv[1]);
	fprintf(stderr, "ringmangle: %u streams attached, %llu hostile writes\n", attached_streams,
		writes);
	return 0;
}
