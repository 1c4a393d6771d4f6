/* The control thread (reconnect.h). Locking: one mutex guards the registry and every
 * rc_stream field except `ring`; it is taken at open, prepare and close and by the control
 * thread, never by transfer. A reconnect attempt runs under the mutex: connect() to a dead
 * agent fails at once, and a live one answers within CR_CTL_OPEN_TIMEOUT_MS, the same bound an
 * open already has. The thread blocks all signals, which are the application's to take, and
 * writes nothing anywhere but the rings' headers. */
#include "reconnect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fork_guard.h"
#include "clock.h"
#include "ring.h"

#define MAX_WATCHED 64 /* sockets one poll() watches; streams beyond wait for the next turn */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rc_stream *streams; /* registered in this process */
static pthread_t thread;
static bool running; /* the thread exists (in this process) */
/* Bumped at every stop: a thread serves while the epoch it was started in is current, so a
 * thread being joined and a new one started meanwhile by another open never both serve. */
static uintptr_t epoch;
static bool joining; /* the last close is joining the thread: opens wait (joined) */
static pthread_cond_t joined = PTHREAD_COND_INITIALIZER;
static int wake_fd = -1; /* eventfd: registry changed or stop */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* After a fork the child has no control thread and must never use the parent's streams (their
 * rings are the parent's to write); it forgets the registry. Its rc_streams are released by
 * reconnect_unregister without touching the registry (their generation differs). */
static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&lock); }
static void after_fork_child(void)
{
	pthread_mutex_unlock(&lock);
	streams = NULL;
	running = false;
	joining = false;
	pthread_cond_init(&joined, NULL);
	epoch++;
	if (wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
}

static void register_atfork(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

static void wake(void)
{
	uint64_t one = 1;

	if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: a wake-up is already pending, which is all we need */
	}
}

static void write_params(const struct cr_ring *ring, snd_pcm_format_t format,
			 unsigned int channels, unsigned int rate)
{
	struct cr_ring_hdr *h = cr_ring_hdr(ring);

	atomic_store_explicit(&h->stream_format, (int32_t)format, memory_order_relaxed);
	atomic_store_explicit(&h->stream_channels, channels, memory_order_relaxed);
	atomic_store_explicit(&h->stream_rate, rate, memory_order_release);
}

/* True when the agent hung up the socket (or it is unusable). Never blocks. */
static bool agent_gone(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN | POLLRDHUP };
	char junk[64];
	ssize_t n;

	if (poll(&p, 1, 0) < 0)
		return false; /* EINTR/ENOMEM: look again next turn */
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
		return true;
	if (!(p.revents & POLLIN))
		return false;
	/* The agent sends nothing after its reply; drain anything unexpected, 0 is EOF. */
	n = recv(sock, junk, sizeof(junk), MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* One attempt for a stream whose agent is gone; under the lock. */
static void try_reconnect(struct rc_stream *s, int64_t now)
{
	struct agent_link link;
	enum cr_decision decision;

	s->next_try_ms = now + RECONNECT_RETRY_MS;
	if (s->nrings >= RECONNECT_MAX_RINGS) {
		s->gave_up = true; /* no slot to keep another ring in: do not bother an agent */
		return;
	}
	if (agent_link_open(&link, s->path, s->dir, s->line, s->pcm, &decision) < 0)
		return; /* no agent yet: keep trying */
	if (decision != CR_DECIDE_RECORD) {
		/* Not recorded any more: the stream stays as it is. */
		agent_link_close(&link);
		s->gave_up = true;
		return;
	}
	if (s->configured)
		write_params(&link.ring, s->format, s->channels, s->rate);
	s->rings[s->nrings] = link.ring;
	s->sock = link.sock;
	/* Publish last: the entry and the header writes above happen before transfer can see
	 * the ring. */
	atomic_store_explicit(&s->ring, &s->rings[s->nrings], memory_order_release);
	s->nrings++;
}

static void *control_thread(void *arg)
{
	const uintptr_t mine = (uintptr_t)arg;
	struct pollfd pfd[1 + MAX_WATCHED];

	pthread_mutex_lock(&lock);
	while (epoch == mine) {
		int64_t now = cr_now_ms(), timeout = -1;
		struct rc_stream *s;
		nfds_t n = 1;
		uint64_t drain;

		pfd[0] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		for (s = streams; s; s = s->next) {
			if (s->sock >= 0 && n < 1 + MAX_WATCHED)
				pfd[n++] = (struct pollfd){ .fd = s->sock, .events = POLLIN | POLLRDHUP };
			else if (s->sock < 0 && !s->gave_up) {
				int64_t left = s->next_try_ms > now ? s->next_try_ms - now : 0;
				if (timeout < 0 || left < timeout)
					timeout = left;
			}
		}
		pthread_mutex_unlock(&lock);
		/* The descriptors may be closed by a concurrent close while we wait: the results
		 * only say "look"; each socket is judged again under the lock below. */
		if (poll(pfd, n, timeout > INT32_MAX ? INT32_MAX : (int)timeout) > 0 &&
		    (pfd[0].revents & POLLIN) && read(wake_fd, &drain, sizeof(drain)) < 0) {
			/* EAGAIN: drained by an earlier turn */
		}
		pthread_mutex_lock(&lock);
		now = cr_now_ms();
		for (s = streams; s && epoch == mine; s = s->next) {
			if (s->sock >= 0 && agent_gone(s->sock)) {
				close(s->sock);
				s->sock = -1;
				s->next_try_ms = now; /* the agent may already be back */
			}
			if (s->sock < 0 && !s->gave_up && s->next_try_ms <= now) {
				try_reconnect(s, now);
				now = cr_now_ms();
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Under the lock. */
static int start_thread(void)
{
	sigset_t all, old;
	int err;

	if (wake_fd < 0) {
		wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (wake_fd < 0)
			return -errno;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the new thread */
	err = -pthread_create(&thread, NULL, control_thread, (void *)epoch);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0)
		return err;
	running = true;
	return 0;
}

int reconnect_register(struct rc_stream **out, struct agent_link *link, const char *path,
		       enum cr_dir dir, const char *line, const char *pcm_name)
{
	struct rc_stream *s;
	int err = 0;

	if (strlen(path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_once(&atfork_once, register_atfork);
	s->generation = fork_guard_generation();
	s->dir = dir;
	memcpy(s->path, path, strlen(path) + 1);
	snprintf(s->line, sizeof(s->line), "%s", line ? line : "");
	snprintf(s->pcm, sizeof(s->pcm), "%s", pcm_name ? pcm_name : "");
	s->sock = link->sock;
	s->rings[0] = link->ring;
	s->nrings = 1;
	atomic_init(&s->ring, &s->rings[0]);

	pthread_mutex_lock(&lock);
	while (joining)
		pthread_cond_wait(&joined, &lock);
	if (!running)
		err = start_thread();
	if (err == 0) {
		s->next = streams;
		streams = s;
		wake();
	}
	pthread_mutex_unlock(&lock);
	if (err < 0) {
		free(s);
		return err;
	}
	link->sock = -1;
	memset(&link->ring, 0, sizeof(link->ring));
	*out = s;
	return 0;
}

void reconnect_configure(struct rc_stream *s, snd_pcm_format_t format, unsigned int channels,
			 unsigned int rate)
{
	if (s->generation != fork_guard_generation())
		return; /* a forked child: the rings are the parent's */
	pthread_mutex_lock(&lock);
	s->format = format;
	s->channels = channels;
	s->rate = rate;
	s->configured = true;
	write_params(atomic_load_explicit(&s->ring, memory_order_relaxed), format, channels, rate);
	pthread_mutex_unlock(&lock);
}

void reconnect_unregister(struct rc_stream *s)
{
	bool join = false;
	pthread_t t;
	unsigned int k;

	memset(&t, 0, sizeof(t));
	if (s->generation == fork_guard_generation()) {
		struct rc_stream **pp;

		pthread_mutex_lock(&lock);
		for (pp = &streams; *pp; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		}
		if (!streams && running) {
			epoch++;
			running = false;
			t = thread;
			join = true;
			joining = true;
		}
		wake();
		pthread_mutex_unlock(&lock);
		/* Close and join happen in open/close, never in the audio thread. */
		if (join) {
			pthread_join(t, NULL);
			pthread_mutex_lock(&lock);
			close(wake_fd); /* no descriptor outlives the last recorded stream */
			wake_fd = -1;
			joining = false;
			pthread_cond_broadcast(&joined);
			pthread_mutex_unlock(&lock);
		}
	}
	if (s->sock >= 0)
		close(s->sock);
	for (k = 0; k < s->nrings; k++)
		munmap(s->rings[k].base, s->rings[k].map_bytes);
	free(s);
}
