/* pcmcheck: exercises the parts of the ALSA PCM API that aplay and arecord do not, through any
 * PCM (tests/integration/plugin_matrix.sh runs it through `type callrec` over the rawfile test
 * double). Each TEST exits 0 on success, 1 with a message on the first thing that is wrong.
 *
 *   pcmcheck [--capture] [--format F] [--rate R] [--channels C] [--mmap] [--noninterleaved]
 *            [--nonblock] [--out FILE] TEST PCM [PCM2]
 *
 *   stream    play (or capture) 0.3 s, then drain (or drop): the plain case, for bit-exact
 *             checks of every access mode with --out
 *   pause     play (or capture) 0.3 s, pause for 0.2 s (position frozen), resume, 0.3 s more
 *   drain     play 0.3 s, drain (all of it reaches PCM), state SETUP afterwards
 *   drop      play 0.2 s, drop, prepare, play 0.2 s again, drain
 *   xrun      paced PCM: stop feeding (or reading) for longer than the buffer, see -EPIPE,
 *             snd_pcm_recover, carry on
 *   reopen    open, configure, move a period, close; 50 times; no descriptor leaks
 *   threads   PCM for playback and PCM2 for capture, each moved 0.5 s from its own thread
 *   poll      non-blocking, poll()-driven: moves 0.5 s waiting only in poll
 *   delay     PCM2 is the bare slave of PCM (another instance of it): at the same points
 *             (prepared and prefilled; running, after each period), snd_pcm_delay of both is
 *             equal. With --exact (unpaced slaves) to the frame; paced, each slave's delay
 *             moves with its own clock, so they may differ by the frames that clock moves
 *             between the two starts and between the two reads (measured, usually 0-1).
 *             --lag-ok: for mmap capture on a paced slave, where every alsa-lib plugin
 *             reports the delay as of its last transfer: may lag the slave's by up to a period
 *             --sync: read delays with snd_pcm_avail_delay instead of snd_pcm_delay
 *
 * With --out FILE the interleaved frames moved (written for playback, read for capture) are
 * written there, so the calling script can compare them with what reached the slave. Played
 * audio is a deterministic byte pattern. */
#include <alsa/asoundlib.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

struct opts {
	snd_pcm_stream_t stream;
	snd_pcm_format_t format;
	unsigned int rate, channels;
	int mmap, nonint, nonblock, exact, sync, lag_ok;
	const char *out;
};

struct stream {
	snd_pcm_t *pcm;
	const struct opts *o;
	snd_pcm_stream_t dir;
	size_t frame_bytes, sample_bytes;
	snd_pcm_uframes_t period, buffer;
	uint64_t moved;  /* frames written or read so far */
	FILE *out;
	unsigned char *buf; /* one period, interleaved */
	unsigned char *planes; /* one period, one plane per channel */
};

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pcmcheck: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

#define CHECK(call)                                                                        \
	do {                                                                               \
		int err_ = (call);                                                         \
		if (err_ < 0)                                                              \
			fail("%s:%d: %s: %s", __FILE__, __LINE__, #call, snd_strerror(err_)); \
	} while (0)

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static snd_pcm_access_t access_of(const struct opts *o)
{
	if (o->mmap)
		return o->nonint ? SND_PCM_ACCESS_MMAP_NONINTERLEAVED : SND_PCM_ACCESS_MMAP_INTERLEAVED;
	return o->nonint ? SND_PCM_ACCESS_RW_NONINTERLEAVED : SND_PCM_ACCESS_RW_INTERLEAVED;
}

/* Opens and configures: period 1/40 s, buffer 4 periods (100 ms), start when the buffer is
 * full (playback) or at the first read (capture). */
static void stream_open(struct stream *s, const struct opts *o, const char *name,
			snd_pcm_stream_t dir, int mode)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	unsigned int rate = o->rate;
	snd_pcm_uframes_t period = o->rate / 40, buffer = period * 4;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->dir = dir;
	CHECK(snd_pcm_open(&s->pcm, name, dir, mode | (o->nonblock ? SND_PCM_NONBLOCK : 0)));
	snd_pcm_hw_params_alloca(&hw);
	CHECK(snd_pcm_hw_params_any(s->pcm, hw));
	CHECK(snd_pcm_hw_params_set_access(s->pcm, hw, access_of(o)));
	CHECK(snd_pcm_hw_params_set_format(s->pcm, hw, o->format));
	CHECK(snd_pcm_hw_params_set_channels(s->pcm, hw, o->channels));
	CHECK(snd_pcm_hw_params_set_rate_near(s->pcm, hw, &rate, NULL));
	if (rate != o->rate)
		fail("%s: rate %u instead of %u", name, rate, o->rate);
	CHECK(snd_pcm_hw_params_set_period_size_near(s->pcm, hw, &period, NULL));
	CHECK(snd_pcm_hw_params_set_buffer_size_near(s->pcm, hw, &buffer));
	CHECK(snd_pcm_hw_params(s->pcm, hw));
	CHECK(snd_pcm_hw_params_get_period_size(hw, &s->period, NULL));
	CHECK(snd_pcm_hw_params_get_buffer_size(hw, &s->buffer));
	snd_pcm_sw_params_alloca(&sw);
	CHECK(snd_pcm_sw_params_current(s->pcm, sw));
	CHECK(snd_pcm_sw_params_set_start_threshold(s->pcm, sw,
						    dir == SND_PCM_STREAM_PLAYBACK ? s->buffer : 1));
	CHECK(snd_pcm_sw_params_set_avail_min(s->pcm, sw, s->period));
	CHECK(snd_pcm_sw_params(s->pcm, sw));
	s->sample_bytes = (size_t)snd_pcm_format_physical_width(o->format) / 8;
	s->frame_bytes = s->sample_bytes * o->channels;
	s->buf = calloc(s->period, s->frame_bytes);
	s->planes = calloc(s->period, s->frame_bytes);
	if (!s->buf || !s->planes)
		fail("out of memory");
	if (o->out && dir == o->stream && !(s->out = fopen(o->out, "wb")))
		fail("cannot write %s", o->out);
}

static void stream_close(struct stream *s)
{
	CHECK(snd_pcm_close(s->pcm));
	if (s->out)
		fclose(s->out);
	free(s->buf);
	free(s->planes);
}

/* The played audio: byte k of the stream is a fixed function of k. */
static void fill(struct stream *s, snd_pcm_uframes_t frames)
{
	uint64_t k0 = s->moved * s->frame_bytes;
	size_t i;

	for (i = 0; i < frames * s->frame_bytes; i++) {
		uint64_t k = k0 + i;
		s->buf[i] = (unsigned char)(k * 131u + (k >> 9) * 7u + 3u);
	}
}

static void split_planes(struct stream *s, snd_pcm_uframes_t frames, void **ptrs)
{
	unsigned int c;
	snd_pcm_uframes_t f;

	for (c = 0; c < s->o->channels; c++) {
		unsigned char *plane = s->planes + (size_t)c * s->period * s->sample_bytes;
		for (f = 0; f < frames; f++)
			memcpy(plane + f * s->sample_bytes,
			       s->buf + f * s->frame_bytes + c * s->sample_bytes, s->sample_bytes);
		ptrs[c] = plane;
	}
}

static void join_planes(struct stream *s, snd_pcm_uframes_t frames, void **ptrs)
{
	unsigned int c;
	snd_pcm_uframes_t f;

	for (c = 0; c < s->o->channels; c++)
		for (f = 0; f < frames; f++)
			memcpy(s->buf + f * s->frame_bytes + c * s->sample_bytes,
			       (unsigned char *)ptrs[c] + f * s->sample_bytes, s->sample_bytes);
}

/* One transfer of up to `frames` frames in the configured access mode. Returns frames moved,
 * -EAGAIN, -EPIPE or another negative errno. */
static snd_pcm_sframes_t move_once(struct stream *s, snd_pcm_uframes_t frames)
{
	void *ptrs[8];
	snd_pcm_sframes_t n;
	int play = s->dir == SND_PCM_STREAM_PLAYBACK;

	if (frames > s->period)
		frames = s->period;
	if (play)
		fill(s, frames);
	else
		for (unsigned int c = 0; c < s->o->channels; c++)
			ptrs[c] = s->planes + (size_t)c * s->period * s->sample_bytes;
	if (play && s->o->nonint)
		split_planes(s, frames, ptrs);
	if (s->o->mmap) {
		if (s->o->nonint)
			n = play ? snd_pcm_mmap_writen(s->pcm, ptrs, frames)
				 : snd_pcm_mmap_readn(s->pcm, ptrs, frames);
		else
			n = play ? snd_pcm_mmap_writei(s->pcm, s->buf, frames)
				 : snd_pcm_mmap_readi(s->pcm, s->buf, frames);
	} else {
		if (s->o->nonint)
			n = play ? snd_pcm_writen(s->pcm, ptrs, frames)
				 : snd_pcm_readn(s->pcm, ptrs, frames);
		else
			n = play ? snd_pcm_writei(s->pcm, s->buf, frames)
				 : snd_pcm_readi(s->pcm, s->buf, frames);
	}
	if (n <= 0)
		return n == 0 ? -EAGAIN : n;
	if (!play && s->o->nonint)
		join_planes(s, (snd_pcm_uframes_t)n, ptrs);
	/* A short write moved only the first n frames of the pattern: the next call refills
	 * from s->moved, so the stream stays the same pattern. */
	if (s->out)
		fwrite(s->buf, s->frame_bytes, (size_t)n, s->out);
	s->moved += (uint64_t)n;
	return n;
}

/* Moves `frames` frames, blocking (or spinning on -EAGAIN with poll in non-blocking mode). */
static void move(struct stream *s, uint64_t frames)
{
	uint64_t end = s->moved + frames;

	while (s->moved < end) {
		snd_pcm_sframes_t n = move_once(s, (snd_pcm_uframes_t)(end - s->moved));

		if (n == -EAGAIN) {
			CHECK(snd_pcm_wait(s->pcm, 1000));
			continue;
		}
		if (n < 0)
			fail("transfer: %s", snd_strerror((int)n));
	}
}

/* Drains playback (blocking, whatever the open mode), drops capture. */
static void finish(struct stream *s)
{
	if (s->dir == SND_PCM_STREAM_PLAYBACK) {
		CHECK(snd_pcm_nonblock(s->pcm, 0));
		CHECK(snd_pcm_drain(s->pcm));
	} else {
		CHECK(snd_pcm_drop(s->pcm));
	}
}

static void expect_state(struct stream *s, snd_pcm_state_t want, const char *when)
{
	snd_pcm_state_t st = snd_pcm_state(s->pcm);

	if (st != want)
		fail("%s: state %s, expected %s", when, snd_pcm_state_name(st),
		     snd_pcm_state_name(want));
}

static void start_capture(struct stream *s)
{
	if (s->dir == SND_PCM_STREAM_CAPTURE && snd_pcm_state(s->pcm) == SND_PCM_STATE_PREPARED)
		CHECK(snd_pcm_start(s->pcm));
}

static void test_stream(const struct opts *o, const char *name)
{
	struct stream s;

	stream_open(&s, o, name, o->stream, 0);
	start_capture(&s);
	move(&s, o->rate * 3 / 10);
	finish(&s);
	stream_close(&s);
}

static void test_pause(const struct opts *o, const char *name)
{
	struct stream s;
	snd_pcm_status_t *st;
	snd_pcm_uframes_t hw1, hw2;

	snd_pcm_status_alloca(&st);
	stream_open(&s, o, name, o->stream, 0);
	start_capture(&s);
	move(&s, o->rate * 3 / 10);
	expect_state(&s, SND_PCM_STATE_RUNNING, "before pause");
	CHECK(snd_pcm_pause(s.pcm, 1));
	expect_state(&s, SND_PCM_STATE_PAUSED, "paused");
	CHECK(snd_pcm_status(s.pcm, st));
	hw1 = snd_pcm_status_get_avail(st);
	sleep_ms(200);
	CHECK(snd_pcm_status(s.pcm, st));
	hw2 = snd_pcm_status_get_avail(st);
	if (hw1 != hw2)
		fail("the position moved while paused (avail %lu -> %lu)", hw1, hw2);
	CHECK(snd_pcm_pause(s.pcm, 0));
	expect_state(&s, SND_PCM_STATE_RUNNING, "resumed");
	move(&s, o->rate * 3 / 10);
	finish(&s);
	stream_close(&s);
}

static void test_drain(const struct opts *o, const char *name)
{
	struct stream s;

	stream_open(&s, o, name, SND_PCM_STREAM_PLAYBACK, 0);
	move(&s, o->rate * 3 / 10);
	finish(&s);
	expect_state(&s, SND_PCM_STATE_SETUP, "after drain");
	stream_close(&s);
}

static void test_drop(const struct opts *o, const char *name)
{
	struct stream s;

	stream_open(&s, o, name, o->stream, 0);
	start_capture(&s);
	move(&s, o->rate / 5);
	CHECK(snd_pcm_drop(s.pcm));
	expect_state(&s, SND_PCM_STATE_SETUP, "after drop");
	CHECK(snd_pcm_prepare(s.pcm));
	expect_state(&s, SND_PCM_STATE_PREPARED, "prepared again");
	start_capture(&s);
	move(&s, o->rate / 5);
	finish(&s);
	stream_close(&s);
}

static void test_xrun(const struct opts *o, const char *name)
{
	struct stream s;
	snd_pcm_sframes_t n;
	int i, saw = 0;

	stream_open(&s, o, name, o->stream, 0);
	start_capture(&s);
	move(&s, s.buffer + s.period); /* running, playback started at a full buffer */
	/* Three buffers' worth of silence from the application: the device runs dry (playback)
	 * or overflows (capture). */
	sleep_ms((int)(s.buffer * 3 * 1000 / o->rate) + 50);
	for (i = 0; i < 4 && !saw; i++) {
		n = move_once(&s, s.period);
		if (n == -EPIPE)
			saw = 1;
		else if (n < 0 && n != -EAGAIN)
			fail("expected -EPIPE, got %s", snd_strerror((int)n));
	}
	if (!saw)
		fail("no xrun after sleeping past the buffer");
	expect_state(&s, SND_PCM_STATE_XRUN, "after the xrun");
	CHECK(snd_pcm_recover(s.pcm, -EPIPE, 1));
	start_capture(&s);
	move(&s, o->rate / 5);
	finish(&s);
	stream_close(&s);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		fail("cannot list /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static void test_reopen(const struct opts *o, const char *name)
{
	int before = -1, i;

	for (i = 0; i < 51; i++) {
		struct stream s;

		if (i == 1)
			before = count_fds(); /* after alsa-lib loaded its configuration once */
		stream_open(&s, o, name, o->stream, 0);
		start_capture(&s);
		move(&s, s.period);
		if (s.dir == SND_PCM_STREAM_PLAYBACK)
			CHECK(snd_pcm_drop(s.pcm));
		stream_close(&s);
	}
	if (count_fds() != before)
		fail("50 open/close cycles leaked %d descriptors", count_fds() - before);
}

struct job {
	const struct opts *o;
	const char *name;
	snd_pcm_stream_t dir;
	struct stream s;
};

static void *run_job(void *arg)
{
	struct job *j = arg;

	start_capture(&j->s);
	move(&j->s, j->o->rate / 2);
	finish(&j->s);
	return NULL;
}

static void test_threads(const struct opts *o, const char *play, const char *cap)
{
	struct job jobs[2] = { { o, play, SND_PCM_STREAM_PLAYBACK }, { o, cap, SND_PCM_STREAM_CAPTURE } };
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		stream_open(&jobs[i].s, o, jobs[i].name, jobs[i].dir, 0);
	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, run_job, &jobs[i]))
			fail("pthread_create");
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++)
		stream_close(&jobs[i].s);
}

static void test_poll(const struct opts *o, const char *name)
{
	struct stream s;
	struct pollfd pfd[8];
	int nfds, waits = 0;
	uint64_t end;

	stream_open(&s, o, name, o->stream, SND_PCM_NONBLOCK);
	nfds = snd_pcm_poll_descriptors_count(s.pcm);
	if (nfds <= 0 || nfds > 8)
		fail("%d poll descriptors", nfds);
	start_capture(&s);
	end = o->rate / 2;
	while (s.moved < end) {
		unsigned short revents;
		snd_pcm_sframes_t n = move_once(&s, (snd_pcm_uframes_t)(end - s.moved));

		if (n >= 0)
			continue;
		if (n == -EPIPE) {
			CHECK(snd_pcm_recover(s.pcm, (int)n, 1));
			start_capture(&s);
			continue;
		}
		if (n != -EAGAIN)
			fail("non-blocking transfer: %s", snd_strerror((int)n));
		CHECK(snd_pcm_poll_descriptors(s.pcm, pfd, (unsigned int)nfds));
		if (poll(pfd, (nfds_t)nfds, 1000) <= 0)
			fail("poll timed out or failed");
		CHECK(snd_pcm_poll_descriptors_revents(s.pcm, pfd, (unsigned int)nfds, &revents));
		if (revents & POLLERR)
			fail("POLLERR");
		waits++;
	}
	finish(&s);
	printf("poll: %d waits\n", waits);
	stream_close(&s);
}

/* The delay of a, then b, then a again, as close together as possible: on a paced clock the
 * bare slave's delay at that point lies between the two readings of a. */
static void delay_of(struct stream *s, snd_pcm_sframes_t *d)
{
	snd_pcm_sframes_t avail;

	/* alsa-lib's plugins (its own `copy` as well as any extplug) report a capture mmap
	 * stream's delay as of the last avail update, which is where they move the slave's data
	 * into their buffer; snd_pcm_avail_delay() syncs and reads both at one point. */
	if (s->o->sync)
		CHECK(snd_pcm_avail_delay(s->pcm, &avail, d));
	else
		CHECK(snd_pcm_delay(s->pcm, d));
}

static void delays(struct stream *a, struct stream *b, snd_pcm_sframes_t *da1,
		   snd_pcm_sframes_t *db, snd_pcm_sframes_t *da2)
{
	delay_of(a, da1);
	delay_of(b, db);
	delay_of(a, da2);
}

static void test_delay(const struct opts *o, const char *name, const char *bare)
{
	struct stream a, b;
	snd_pcm_sframes_t da, db, da2;
	int i;
	int64_t ta, tb;

	stream_open(&a, o, name, o->stream, 0);
	stream_open(&b, o, bare, o->stream, 0);
	if (a.period != b.period || a.buffer != b.buffer)
		fail("different geometry: %lu/%lu vs %lu/%lu", a.period, a.buffer, b.period, b.buffer);
	if (o->stream == SND_PCM_STREAM_PLAYBACK) {
		/* Prefilled, not started: the delay is what was written, exactly. */
		move(&a, a.buffer / 2);
		move(&b, b.buffer / 2);
		delays(&a, &b, &da, &db, &da2);
		printf("delay prepared: callrec %ld slave %ld\n", da, db);
		if (da != db || da2 != db || da != (snd_pcm_sframes_t)(a.buffer / 2))
			fail("prepared: delay %ld through callrec, %ld bare", da, db);
	}
	/* Start both as close together as possible; from then on a paced slave's delay moves
	 * with its clock, so the two may differ by the frames between the starts plus those
	 * between the two reads. */
	/* The two slaves' clocks start between ta and tb: they may differ by that much. */
	ta = (int64_t)cr_now_ns();
	if (o->stream == SND_PCM_STREAM_PLAYBACK)
		move(&a, a.buffer - a.moved);
	else
		CHECK(snd_pcm_start(a.pcm));
	if (o->stream == SND_PCM_STREAM_PLAYBACK)
		move(&b, b.buffer - b.moved);
	else
		CHECK(snd_pcm_start(b.pcm));
	tb = (int64_t)cr_now_ns();
	for (i = 0; i < 20; i++) {
		long skew_frames = (long)((tb - ta) * (int64_t)o->rate / 1000000000) + 1;
		long allowed;

		snd_pcm_sframes_t lo, hi;

		move(&a, a.period);
		move(&b, b.period);
		delays(&a, &b, &da, &db, &da2);
		lo = da < da2 ? da : da2;
		hi = da < da2 ? da2 : da;
		allowed = o->exact ? 0 : skew_frames;
		printf("delay running: callrec %ld..%ld slave %ld (allowed beyond %ld)\n", da, da2,
		       db, allowed);
		/* mmap capture through any alsa-lib plugin (its own `copy` too): the delay is as of
		 * the plugin's last avail update, where it moved the slave's frames into its
		 * buffer, so on a running clock it may lag the slave's by up to a period, never
		 * lead it (delay_of explains). */
		if (db < lo - allowed || db > hi + allowed + (o->lag_ok ? (long)a.period : 0) ||
		    (o->exact && da != da2))
			fail("running: delay %ld..%ld through callrec, %ld bare", da, da2, db);
	}
	stream_close(&a);
	stream_close(&b);
}

static snd_pcm_format_t parse_format(const char *s)
{
	snd_pcm_format_t f = snd_pcm_format_value(s);

	if (f == SND_PCM_FORMAT_UNKNOWN)
		fail("unknown format %s", s);
	return f;
}

int main(int argc, char **argv)
{
	struct opts o = { SND_PCM_STREAM_PLAYBACK, SND_PCM_FORMAT_S16_LE, 48000, 2, 0, 0, 0, 0, 0, 0, NULL };
	const char *test, *pcm, *pcm2;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (!strcmp(argv[i], "--capture"))
			o.stream = SND_PCM_STREAM_CAPTURE;
		else if (!strcmp(argv[i], "--mmap"))
			o.mmap = 1;
		else if (!strcmp(argv[i], "--noninterleaved"))
			o.nonint = 1;
		else if (!strcmp(argv[i], "--nonblock"))
			o.nonblock = 1;
		else if (!strcmp(argv[i], "--exact"))
			o.exact = 1;
		else if (!strcmp(argv[i], "--sync"))
			o.sync = 1;
		else if (!strcmp(argv[i], "--lag-ok"))
			o.lag_ok = 1;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			o.format = parse_format(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			o.rate = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--channels") && i + 1 < argc)
			o.channels = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			o.out = argv[++i];
		else
			fail("unknown option %s", argv[i]);
	}
	if (argc - i < 2 || o.channels < 1 || o.channels > 8 || o.rate < 1000)
		fail("usage: pcmcheck [options] TEST PCM [PCM2] (see the source)");
	test = argv[i];
	pcm = argv[i + 1];
	pcm2 = argc - i > 2 ? argv[i + 2] : NULL;
	if (!strcmp(test, "stream"))
		test_stream(&o, pcm);
	else if (!strcmp(test, "pause"))
		test_pause(&o, pcm);
	else if (!strcmp(test, "drain"))
		test_drain(&o, pcm);
	else if (!strcmp(test, "drop"))
		test_drop(&o, pcm);
	else if (!strcmp(test, "xrun"))
		test_xrun(&o, pcm);
	else if (!strcmp(test, "reopen"))
		test_reopen(&o, pcm);
	else if (!strcmp(test, "threads") && pcm2)
		test_threads(&o, pcm, pcm2);
	else if (!strcmp(test, "poll"))
		test_poll(&o, pcm);
	else if (!strcmp(test, "delay") && pcm2)
		test_delay(&o, pcm, pcm2);
	else
		fail("unknown test %s (or PCM2 missing)", test);
	snd_config_update_free_global();
	return 0;
}
