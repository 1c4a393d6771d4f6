/* ctlflood: one local user trying to starve the agent's control socket, for tests.
 *
 *   ctlflood SOCKPATH --streams N --idle N
 *
 * Keeps up to N recorded streams open (a STREAM HELLO each, answered RECORD with a ring the
 * agent must create and keep; the ring's descriptor is closed here, the agent's mapping stays)
 * and N idle connections that never say HELLO. Whatever the agent closes or refuses is opened
 * again half a second later, until SIGTERM; then it prints what it held and how often it was turned
 * away, and exits 0. The policy decides by the program's name, so a test's rule can record
 * `ctlflood` like a softphone. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"

#define MAX_CONNS 4096
#define RETRY_MS 500

struct conn {
	int fd;
	int stream;       /* wants to be a recorded stream (sent a HELLO) */
	int recorded;     /* the agent answered RECORD */
	int64_t retry_at; /* when a dropped one is opened again */
};

static volatile sig_atomic_t stop_requested;
static struct sockaddr_un sa = { .sun_family = AF_UNIX };
static unsigned long long refused, recorded_total;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void drop(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->recorded = 0;
	c->retry_at = cr_now_ms() + RETRY_MS;
}

/* A connection; for a stream, its HELLO. The agent may refuse at once (reset, EOF). */
static void open_one(struct conn *c)
{
	struct cr_ctl_hello h = { .magic = CR_CTL_MAGIC, .version = CR_CTL_VERSION,
				  .kind = CR_CTL_STREAM, .direction = CR_DIR_CAPTURE };

	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		refused++;
		drop(c);
		return;
	}
	snprintf(h.pcm, sizeof(h.pcm), "ctlflood");
	if (c->stream && send(c->fd, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h)) {
		refused++;
		drop(c);
	}
}

/* The agent's reply (closing its ring descriptor), or the end of the connection. */
static void on_readable(struct conn *c)
{
	struct cr_ctl_reply r;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0 && errno == EAGAIN)
		return;
	for (cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			close(fd);
		}
	}
	if (n == (ssize_t)sizeof(r) && r.decision == CR_DECIDE_RECORD && !c->recorded) {
		c->recorded = 1;
		recorded_total++;
		return;
	}
	if (n > 0)
		return;
	refused++; /* closed: refused, or timed out without a HELLO */
	drop(c);
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	static struct pollfd pfd[MAX_CONNS];
	struct sigaction sig = { .sa_handler = on_signal };
	unsigned streams = 0, idle = 0, total, i;
	int a;

	for (a = 2; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--streams"))
			streams = (unsigned)atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--idle"))
			idle = (unsigned)atoi(argv[a + 1]);
		else
			break;
	}
	total = streams + idle;
	if (argc < 2 || a != argc || total > MAX_CONNS || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: ctlflood SOCKPATH --streams N --idle N\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < total; i++) {
		conns[i].fd = -1;
		conns[i].stream = i < streams;
		conns[i].retry_at = 0;
	}
	while (!stop_requested) {
		for (i = 0; i < total; i++) {
			if (conns[i].fd < 0 && cr_now_ms() >= conns[i].retry_at)
				open_one(&conns[i]);
			pfd[i] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		}
		if (poll(pfd, total, 50) < 0 && errno != EINTR)
			break;
		for (i = 0; i < total; i++)
			if (conns[i].fd >= 0 && pfd[i].fd == conns[i].fd &&
			    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				on_readable(&conns[i]);
	}
	{
		unsigned held_streams = 0, held_idle = 0;

		for (i = 0; i < total; i++) {
			if (conns[i].fd >= 0 && conns[i].stream && conns[i].recorded)
				held_streams++;
			else if (conns[i].fd >= 0 && !conns[i].stream)
				held_idle++;
		}
		printf("ctlflood: held %u recorded streams and %u idle connections; %llu recorded "
		       "in all, %llu refused or closed\n", held_streams, held_idle, recorded_total,
		       refused);
	}
	for (i = 0; i < total; i++)
		drop(&conns[i]);
	return 0;
}
