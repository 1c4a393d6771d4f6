/* agent_load: simulated softphone calls against a running callrec-agent, for
 * bench/agent_cost.sh.
 *
 *   agent_load SOCKPATH CALLS SECONDS [RATE] [PERIOD_FRAMES] [PLAYBACK_PPM]
 *
 * Forks CALLS processes; each opens a capture and a playback stream through the agent's real
 * control socket (the HELLO the plugin sends), maps the sealed ring it gets and writes a
 * record per period into each, at real-time pace (CLOCK_MONOTONIC, absolute sleeps), for
 * SECONDS: 48 kHz stereo S16 by default, 480-frame (10 ms) periods, as a softphone over
 * PipeWire would. The samples are band-limited noise at speech level, so nothing downstream
 * (resampler, hash, spool) sees an unrealistically easy signal. Capture records are stamped
 * at their end, playback at their write, as the plugin does. PLAYBACK_PPM makes the playback
 * device's clock run that much fast (1000 = 0.1%), so the agent's drift trim is exercised.
 * Exit 0 when every child ran its
 * time with its streams recorded, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "clock.h"
#include "ring.h"

#define FORMAT_S16_LE 2

/* Open one stream: its mapped ring into *ring. 0 or -1. */
static int open_stream(const char *path, enum cr_dir dir, int *sock_out, struct cr_ring *ring)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cr_ctl_hello h = { .magic = CR_CTL_MAGIC, .version = CR_CTL_VERSION,
				  .kind = CR_CTL_STREAM, .direction = (uint8_t)dir };
	struct cr_ctl_reply r;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *c;
	int s, fd = -1;
	void *p;

	snprintf(h.pcm, sizeof(h.pcm), "agent_load");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(s, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    recvmsg(s, &msg, 0) != (ssize_t)sizeof(r)) {
		perror("agent_load: agent socket");
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	if (r.decision != CR_DECIDE_RECORD || fd < 0) {
		fprintf(stderr, "agent_load: the agent does not record this stream\n");
		return -1;
	}
	p = mmap(NULL, r.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED || cr_ring_attach(ring, p, r.ring_bytes)) {
		fprintf(stderr, "agent_load: bad ring\n");
		return -1;
	}
	atomic_fetch_or(&cr_ring_hdr(ring)->state, CR_RING_PRODUCER_ATTACHED);
	*sock_out = s;
	return 0;
}

static void publish(const struct cr_ring *ring, unsigned rate)
{
	struct cr_ring_hdr *h = cr_ring_hdr(ring);
	atomic_store(&h->stream_rate, rate);
	atomic_store(&h->stream_channels, 2);
	atomic_store(&h->stream_format, FORMAT_S16_LE);
}

static void write_rec(const struct cr_ring *ring, uint64_t pos, uint64_t t_ns, unsigned rate, uint32_t frames,
		      const int16_t *pcm)
{
	struct cr_rec *rec = cr_ring_reserve(ring, frames * 4);

	if (!rec) {
		cr_ring_drop(ring, frames);
		return;
	}
	rec->kind = CR_REC_AUDIO;
	rec->channels = 2;
	rec->rate = rate;
	rec->format = FORMAT_S16_LE;
	rec->frames = frames;
	rec->frame_bytes = 4;
	rec->pos = pos;
	rec->t_ns = t_ns;
	rec->inject_first = rec->inject_frames = 0;
	memcpy(cr_rec_payload(rec), pcm, (size_t)frames * 4);
	cr_ring_commit(ring, frames * 4);
}

static int one_call(const char *path, unsigned seconds, unsigned rate, uint32_t period,
		    unsigned seed, double ppm)
{
	int scap, splay;
	struct cr_ring capr, playr, *cap = &capr, *play = &playr;
	int opened = open_stream(path, CR_DIR_CAPTURE, &scap, cap) == 0 &&
		     open_stream(path, CR_DIR_PLAYBACK, &splay, play) == 0;
	/* 2 s of noise, low-passed by a running average, looped */
	size_t loop = (size_t)rate * 2;
	int16_t *noise = malloc((loop + period) * 2 * sizeof(int16_t));
	uint32_t x = 2463534242u ^ seed;
	float acc = 0;

	if (!opened || !noise)
		return 1;
	for (size_t i = 0; i < loop + period; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		acc = 0.8f * acc + 0.2f * ((float)(int32_t)x / 2147483648.0f);
		noise[2 * i] = noise[2 * i + 1] = (int16_t)(acc * 12000);
	}
	publish(cap, rate);
	publish(play, rate);
	uint64_t t0 = cr_now_ns(), end = t0 + (uint64_t)seconds * 1000000000ULL;
	uint64_t cpos = 0, ppos = 0;
	double prate = rate * (1.0 + ppm * 1e-6);
	for (;;) {
		/* each device hands over a period when it has one: capture at the nominal rate,
		 * playback at its own clock */
		uint64_t cdue = t0 + (uint64_t)((double)(cpos + period) * 1e9 / rate);
		uint64_t pdue = t0 + (uint64_t)((double)(ppos + period) * 1e9 / prate);
		uint64_t due = cdue < pdue ? cdue : pdue;
		struct timespec ts = { (time_t)(due / 1000000000ULL), (long)(due % 1000000000ULL) };
		if (due > end)
			break;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		if (cdue <= pdue) {
			write_rec(cap, cpos, cr_now_ns(), rate, period, noise + 2 * (cpos % loop));
			cpos += period;
		} else {
			write_rec(play, ppos, cr_now_ns(), rate, period, noise + 2 * ((ppos + 4800) % loop));
			ppos += period;
		}
	}
	atomic_fetch_or(&cr_ring_hdr(cap)->state, CR_RING_PRODUCER_CLOSED);
	atomic_fetch_or(&cr_ring_hdr(play)->state, CR_RING_PRODUCER_CLOSED);
	close(scap);
	close(splay);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned calls, seconds, rate = 48000, period = 480;
	double ppm = 0;
	int failed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: agent_load SOCKPATH CALLS SECONDS [RATE] [PERIOD_FRAMES] "
			"[PLAYBACK_PPM]\n");
		return 2;
	}
	calls = (unsigned)atoi(argv[2]);
	seconds = (unsigned)atoi(argv[3]);
	if (argc > 4)
		rate = (unsigned)atoi(argv[4]);
	if (argc > 5)
		period = (unsigned)atoi(argv[5]);
	if (argc > 6)
		ppm = atof(argv[6]);
	if (!calls || !seconds || rate < 8000 || !period)
		return 2;
	for (unsigned i = 0; i < calls; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(one_call(argv[1], seconds, rate, period, i + 1, ppm));
		if (p < 0)
			failed = 1;
	}
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0)
			break;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	return failed;
}
