/* Control socket server: see ctlsrv.h. */
#include "ctlsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "calls.h"
#include "ctl.h"
#include "fsutil.h"
#include "log.h"
#include "peer.h"
#include "ring.h"

struct cr_client {
	struct cr_evsrc src;
	struct cr_client *next;
	struct cr_ctlsrv *srv;
	uint64_t accepted_ns;
	uid_t uid;                /* the peer's, from SO_PEERCRED at accept */
	int pending;              /* counted as pending (no HELLO yet) for uid */
	int counted_stream;       /* counted as a stream for uid */
	struct cr_stream *stream; /* after a STREAM hello */
};

/* A refusal of uid is logged at most this often (the counts are in `callrec status`). */
#define REFUSAL_LOG_NS (10ULL * 1000000000ULL)

static void on_listen(struct cr_evsrc *src, uint32_t events);
static void on_client(struct cr_evsrc *src, uint32_t events);

int cr_ctlsrv_open(struct cr_ctlsrv *s, int epfd, const char *path, int user_mode,
		   struct cr_agent *agent)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	char dir[PATH_MAX];
	int fd, err;

	memset(s, 0, sizeof(*s));
	s->src.fd = -1;
	s->spare_fd = -1;
	s->src.on_event = on_listen;
	cr_uidlimits_init(&s->limits, CR_UID_STREAMS_DEFAULT, CR_UID_PENDING_DEFAULT);
	s->hello_timeout_ns = 2000000000ULL;
	s->epfd = epfd;
	s->agent = agent;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(s->path, sizeof(s->path), "%s", path);
	strcpy(sa.sun_path, path);
	cr_dirname(path, dir, sizeof(dir));
	err = cr_mkdir_p(dir, user_mode ? 0700 : 0755);
	if (err)
		return err;
	if (user_mode)
		chmod(dir, 0700);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A stale socket from a previous run: remove it only if nobody answers there. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	/* A long backlog: connections refused over a user's limit are accepted and closed
	 * quickly, and a burst of them must not leave no room for another user's. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, user_mode ? 0600 : 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	s->src.fd = fd;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev.data.ptr = &s->src;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		close(fd);
		s->src.fd = -1;
		return err;
	}
	return 0;
}

static void drop_client(struct cr_ctlsrv *s, struct cr_client *c)
{
	for (struct cr_client **p = &s->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	close(c->src.fd);
	if (c->stream)
		cr_calls_remove_stream(&s->agent->calls, c->stream, cr_now_ns());
	if (c->pending)
		cr_uid_pending_done(&s->limits, c->uid);
	if (c->counted_stream)
		cr_uid_stream_done(&s->limits, c->uid);
	free(c);
}

void cr_ctlsrv_set_limits(struct cr_ctlsrv *s, unsigned streams_per_user,
			  unsigned pending_per_user, uint64_t hello_timeout_ms)
{
	s->limits.max_streams = streams_per_user;
	s->limits.max_pending = pending_per_user;
	s->hello_timeout_ns = hello_timeout_ms * 1000000ULL;
}

/* A refusal, logged once per REFUSAL_LOG_NS per uid with the count so far. */
static void log_refusal(struct cr_ctlsrv *s, uid_t uid, const char *what, unsigned limit)
{
	struct cr_uid_use *e = cr_uid_find(&s->limits, uid);
	uint64_t now = cr_now_ns();

	if (e && e->logged_ns && now - e->logged_ns < REFUSAL_LOG_NS)
		return;
	if (e)
		e->logged_ns = now;
	cr_warn("control socket: uid %u already holds %u %s, the most one user may; refused "
		"(%llu connections and %llu streams refused so far)", (unsigned)uid, limit, what,
		e ? (unsigned long long)e->refused_pending : 0ULL,
		e ? (unsigned long long)e->refused_streams : 0ULL);
}

static int peer_uid(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (len != sizeof(cred))
		return -EPROTO;
	*uid = cred.uid;
	return 0;
}

/* Out of descriptors: the spare one makes room to take the waiting connection off the
 * backlog and close it (otherwise the listener stays readable and the loop spins). 0 when one
 * was shed, -1 when that too failed. */
static int shed_one(struct cr_ctlsrv *s)
{
	uid_t uid = (uid_t)-1;
	int fd;

	if (s->spare_fd < 0)
		return -1;
	close(s->spare_fd);
	fd = accept4(s->src.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		peer_uid(fd, &uid);
		close(fd);
		s->limits.refused_nofile++;
		if (s->limits.refused_nofile == 1 || s->limits.refused_nofile % 1000 == 0)
			cr_err("control socket: out of descriptors; connection of uid %d refused "
			       "(%llu so far; raise LimitNOFILE or lower control.streams_per_user)",
			       (int)uid, (unsigned long long)s->limits.refused_nofile);
	}
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? 0 : -1;
}

void cr_ctlsrv_close(struct cr_ctlsrv *s)
{
	while (s->clients)
		drop_client(s, s->clients);
	if (s->src.fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->src.fd, NULL);
		close(s->src.fd);
		unlink(s->path);
	}
	s->src.fd = -1;
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	s->spare_fd = -1;
	cr_uidlimits_free(&s->limits);
}

void cr_ctlsrv_tick(struct cr_ctlsrv *s, uint64_t now_ns)
{
	struct cr_client *c, *next;

	for (c = s->clients; c; c = next) {
		next = c->next;
		if (!c->stream && now_ns - c->accepted_ns > s->hello_timeout_ns)
			drop_client(s, c);
	}
}

static void on_listen(struct cr_evsrc *src, uint32_t events)
{
	struct cr_ctlsrv *s = (struct cr_ctlsrv *)src;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	(void)events;
	for (;;) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct cr_client *c;
		uid_t uid;

		if (fd < 0) {
			if ((errno == EMFILE || errno == ENFILE) && shed_one(s) == 0)
				continue;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				cr_err("accept: %s", strerror(errno));
			return;
		}
		/* Counted against its user before anything is allocated for it. */
		if (peer_uid(fd, &uid) < 0) {
			close(fd);
			continue;
		}
		if (cr_uid_admit_pending(&s->limits, uid) < 0) {
			close(fd);
			log_refusal(s, uid, "connections without a HELLO", s->limits.max_pending);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			cr_uid_pending_done(&s->limits, uid);
			close(fd);
			continue;
		}
		c->uid = uid;
		c->pending = 1;
		c->src.fd = fd;
		c->src.on_event = on_client;
		c->srv = s;
		c->accepted_ns = cr_now_ns();
		ev.data.ptr = &c->src;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			cr_uid_pending_done(&s->limits, uid);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
	}
}

static void unmap_ring(struct cr_stream *st)
{
	if (st->ring.base)
		munmap(st->ring.base, st->ring.map_bytes);
	memset(&st->ring, 0, sizeof(st->ring));
}

/* Not recorded: the plugin hands the application the slave itself (SPEC 3, 7). */
static int reply_pass(struct cr_client *c)
{
	struct cr_ctl_reply reply = { .magic = CR_CTL_MAGIC, .version = CR_CTL_VERSION,
				      .decision = CR_DECIDE_PASS };

	if (send(c->src.fd, &reply, sizeof(reply), MSG_NOSIGNAL) != (ssize_t)sizeof(reply))
		return -errno;
	return 0;
}

/* Create the sealed memfd ring, send it with the RECORD reply, keep the mapping. */
static int start_stream(struct cr_client *c, const struct cr_ctl_hello *h,
			const struct cr_peer *peer, int rule, int purpose)
{
	size_t bytes = cr_ring_layout_bytes_inject(CR_AGENT_RING_DATA, CR_AGENT_INJECT_BYTES);
	struct cr_ctl_reply reply = { .magic = CR_CTL_MAGIC, .version = CR_CTL_VERSION,
				      .decision = CR_DECIDE_RECORD,
				      .ring_bytes = (uint32_t)bytes };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	struct cr_stream *st = NULL;
	const struct cr_purpose *pu;
	struct cr_ring ring;
	void *map = MAP_FAILED;
	int mfd, err;

	mfd = memfd_create("callrec-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, (off_t)bytes) < 0)
		goto fail_errno;
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED)
		goto fail_errno;
	err = cr_ring_init_inject(&ring, map, bytes, CR_AGENT_RING_DATA, CR_AGENT_INJECT_BYTES);
	if (err)
		goto fail;
	/* Announce: the microphone stays muted until the announcement is queued, so that the
	 * other party hears nothing before it (calls.c lifts it). Set before the plugin sees
	 * the ring, so not even its first period escapes. */
	pu = cr_pol_purpose(c->srv->agent->policy.pol, purpose);
	if (h->direction == CR_DIR_CAPTURE && pu && pu->mode == CR_DISCLOSE_ANNOUNCE &&
	    c->srv->agent->policy.pol->ann[purpose].s)
		atomic_store_explicit(&cr_ring_hdr(&ring)->control, CR_RING_CTL_MUTE,
				      memory_order_release);
	/* The producer cannot resize the mapping under us (SIGBUS) nor undo the seals. */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail_errno;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
	if (sendmsg(c->src.fd, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof(reply))
		goto fail_errno;
	close(mfd);
	mfd = -1;

	st = calloc(1, sizeof(*st));
	if (!st) {
		err = -ENOMEM;
		goto fail;
	}
	st->peer = *peer;
	st->dir = h->direction == CR_DIR_CAPTURE ? CR_DIR_CAPTURE : CR_DIR_PLAYBACK;
	memcpy(st->line, h->line, sizeof(st->line) - 1);
	memcpy(st->pcm, h->pcm, sizeof(st->pcm) - 1);
	st->ring = ring;
	st->unmap = unmap_ring;
	st->pol = cr_pol_ref(c->srv->agent->policy.pol);
	st->rule = rule;
	st->purpose = purpose;
	cr_feed_init(&st->feed);
	c->stream = st;
	cr_calls_add_stream(&c->srv->agent->calls, st, cr_now_ns());
	return 0;
fail_errno:
	err = -errno;
fail:
	if (mfd >= 0)
		close(mfd);
	if (map != MAP_FAILED)
		munmap(map, bytes);
	return err;
}

static void answer_command(struct cr_client *c, const struct cr_ctl_hello *h,
			   const struct cr_peer *peer)
{
	char arg[sizeof(h->arg)];
	char *text;

	memcpy(arg, h->arg, sizeof(arg));
	arg[sizeof(arg) - 1] = 0;
	text = cr_agent_command(c->srv->agent, arg, peer->uid);
	if (text) {
		if (send(c->src.fd, text, strlen(text), MSG_NOSIGNAL) < 0)
			cr_debug("command reply: %s", strerror(errno));
		free(text);
	}
}

static void on_client(struct cr_evsrc *src, uint32_t events)
{
	struct cr_client *c = (struct cr_client *)src;
	struct cr_ctl_hello h;
	struct cr_peer peer;
	ssize_t n;

	if (c->stream) {
		/* Nothing more is expected on a stream's socket; its end is the stream's end. */
		char junk[256];
		if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
			drop_client(c->srv, c);
			return;
		}
		n = recv(src->fd, junk, sizeof(junk), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			drop_client(c->srv, c);
		return;
	}
	n = recv(src->fd, &h, sizeof(h), MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(h) || h.magic != CR_CTL_MAGIC || h.version != CR_CTL_VERSION ||
	    (h.kind != CR_CTL_STREAM && h.kind != CR_CTL_COMMAND) ||
	    (h.kind == CR_CTL_STREAM && h.direction != CR_DIR_PLAYBACK &&
	     h.direction != CR_DIR_CAPTURE)) {
		if (n != 0)
			cr_warn("control socket: invalid hello (%zd bytes); closing", n);
		drop_client(c->srv, c);
		return;
	}
	h.line[sizeof(h.line) - 1] = 0;
	h.pcm[sizeof(h.pcm) - 1] = 0;
	cr_uid_pending_done(&c->srv->limits, c->uid); /* it said HELLO */
	c->pending = 0;
	if (cr_peer_identify(src->fd, &peer)) {
		drop_client(c->srv, c);
		return;
	}
	if (h.kind == CR_CTL_COMMAND) {
		answer_command(c, &h, &peer);
		drop_client(c->srv, c);
		return;
	}
	int rule, purpose, err;
	if (!cr_pol_decide(c->srv->agent->policy.pol, &peer, h.line, &rule, &purpose)) {
		cr_info("stream from pid %d (%s, user %s, line \"%s\", %s): PASS (%s)", (int)peer.pid,
			peer.application, peer.user, h.line,
			h.direction == CR_DIR_CAPTURE ? "capture" : "playback",
			rule < 0 ? "no rule matches" : "the matching rule says record: no");
		err = reply_pass(c);
		if (err)
			cr_debug("PASS reply: %s", strerror(-err));
		drop_client(c->srv, c);
		return;
	}
	/* Before the memfd: a user at the limit gets no answer, so the plugin applies its
	 * on_failure, the same as with no agent; the user's other streams are untouched. */
	if (cr_uid_admit_stream(&c->srv->limits, c->uid) < 0) {
		log_refusal(c->srv, c->uid, "recorded streams", c->srv->limits.max_streams);
		drop_client(c->srv, c);
		return;
	}
	c->counted_stream = 1;
	err = start_stream(c, &h, &peer, rule, purpose);
	if (err) {
		/* EPIPE: the plugin stopped waiting (it plays unrecorded); anything else is ours. */
		cr_log(err == -EPIPE || err == -ECONNRESET ? CR_LOG_WARNING : CR_LOG_ERR,
		       "stream from pid %d (%s): %s: %s", (int)peer.pid, peer.application,
		       err == -EPIPE || err == -ECONNRESET ? "gone before the reply"
							   : "cannot set up its ring",
		       strerror(-err));
		drop_client(c->srv, c);
	}
}
