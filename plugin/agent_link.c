/* Connects to the agent, sends the stream HELLO and receives the decision and ring memfd.
 * Everything is non-blocking with one deadline: an application opening a PCM must never hang
 * because the agent is slow or wedged. */
#include "agent_link.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ring.h"

static int connect_agent(const char *path, int *sock_out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sock;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock < 0)
		return -errno;
	/* A unix connect either completes at once or fails (EAGAIN: the agent's backlog is
	 * full, which counts as "agent not answering"). */
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(sock);
		return err;
	}
	*sock_out = sock;
	return 0;
}

static int send_hello(int sock, enum cr_dir dir, const char *line, const char *pcm_name)
{
	struct cr_ctl_hello h;

	memset(&h, 0, sizeof(h));
	h.magic = CR_CTL_MAGIC;
	h.version = CR_CTL_VERSION;
	h.kind = CR_CTL_STREAM;
	h.direction = (uint8_t)dir;
	snprintf(h.line, sizeof(h.line), "%s", line ? line : "");
	snprintf(h.pcm, sizeof(h.pcm), "%s", pcm_name ? pcm_name : "");
	if (send(sock, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		return errno ? -errno : -EIO;
	return 0;
}

/* Closes every descriptor carried by a control message (we keep at most one). */
static void close_passed_fds(struct msghdr *msg, int keep)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n, k;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < n; k++) {
			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (fd != keep)
				close(fd);
		}
	}
}

static int first_passed_fd(struct msghdr *msg)
{
	struct cmsghdr *c;
	int fd;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			return fd;
		}
	}
	return -1;
}

/* Waits for the reply until `deadline`; returns 0 with *fd_out = passed fd or -1. */
static int recv_reply(int sock, int64_t deadline, struct cr_ctl_reply *reply, int *fd_out)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;

	for (;;) {
		struct iovec iov = { .iov_base = reply, .iov_len = sizeof(*reply) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		int64_t left = deadline - cr_now_ms();
		ssize_t n;
		int fd;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		fd = first_passed_fd(&msg);
		close_passed_fds(&msg, fd);
		if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n != (ssize_t)sizeof(*reply)) {
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		*fd_out = fd;
		return 0;
	}
}

/* Maps the ring the agent passed. The size must be sealed: a ring that could shrink under us
 * would turn a later write into SIGBUS inside the application. The geometry is copied out of
 * the header here, checked against what the memfd really holds (fstat), and never read from
 * shared memory again: whoever holds the memfd can rewrite the header at any time. */
static int map_ring(int fd, uint32_t ring_bytes, struct cr_ring *ring)
{
	struct stat st;
	void *p;
	int seals;
	int err;

	if (ring_bytes < cr_ring_layout_bytes(CR_RING_MIN_DATA) ||
	    ring_bytes > cr_ring_layout_bytes(CR_RING_MAX_DATA))
		return -EPROTO;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EPROTO;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < (off_t)ring_bytes)
		return -EPROTO;
	/* MAP_POPULATE: take the page faults now rather than in the audio thread. */
	p = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	err = cr_ring_attach(ring, p, ring_bytes);
	if (err < 0) {
		munmap(p, ring_bytes);
		return err;
	}
	return 0;
}

int agent_link_open(struct agent_link *link, const char *path, enum cr_dir dir,
		    const char *line, const char *pcm_name, enum cr_decision *decision)
{
	int64_t deadline = cr_now_ms() + CR_CTL_OPEN_TIMEOUT_MS;
	struct cr_ctl_reply reply;
	int fd = -1;
	int err;

	link->sock = -1;
	memset(&link->ring, 0, sizeof(link->ring));
	*decision = CR_DECIDE_PASS;

	err = connect_agent(path, &link->sock);
	if (err < 0)
		return err;
	err = send_hello(link->sock, dir, line, pcm_name);
	if (err < 0)
		goto fail;
	err = recv_reply(link->sock, deadline, &reply, &fd);
	if (err < 0)
		goto fail;
	err = -EPROTO;
	if (reply.magic != CR_CTL_MAGIC || reply.version != CR_CTL_VERSION)
		goto fail;
	if (reply.decision == CR_DECIDE_PASS) {
		err = 0;
		goto fail; /* nothing to keep: same clean-up as a failure */
	}
	if (reply.decision != CR_DECIDE_RECORD || fd < 0)
		goto fail;
	err = map_ring(fd, reply.ring_bytes, &link->ring);
	if (err < 0)
		goto fail;
	close(fd);
	atomic_fetch_or_explicit(&cr_ring_hdr(&link->ring)->state, CR_RING_PRODUCER_ATTACHED,
				 memory_order_release);
	*decision = CR_DECIDE_RECORD;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	agent_link_close(link);
	return err;
}

void agent_link_close(struct agent_link *link)
{
	if (link->ring.base) {
		munmap(link->ring.base, link->ring.map_bytes);
		memset(&link->ring, 0, sizeof(link->ring));
	}
	if (link->sock >= 0) {
		close(link->sock);
		link->sock = -1;
	}
}
