/* `type rawfile`: an ALSA ioplug test double standing in for a sound card.
 *
 *   pcm.out { type rawfile file "/tmp/out.raw" pace no }   playback writes raw frames there
 *   pcm.in  { type rawfile file "/tmp/in.raw" pace yes rate_scale 1.001 }
 *           capture reads raw frames from there, then zeros after the end of the file
 *
 * pace no: the "device" consumes or produces everything at once (fast bit-exact tests).
 * pace yes: the hardware position follows CLOCK_MONOTONIC times rate times rate_scale (a card
 * whose clock runs fast or slow, for drift tests), and a timerfd ticking once per period is the
 * poll descriptor.
 *
 * Transfer maps every request to an absolute frame position of the stream and reads or writes
 * the file at that position, so it is idempotent: alsa-lib may ask for the same capture region
 * several times (mmap capture re-transfers the whole available region), and a rewound playback
 * region simply overwrites itself. */
#ifndef PIC
#define PIC
#endif

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define BOUNCE_BYTES (64u * 1024u)

struct rawfile {
	snd_pcm_ioplug_t io;
	int fd;
	int timer_fd;
	int pace;
	double rate_scale;
	unsigned int sample_bits;
	unsigned int frame_bytes;
	snd_pcm_uframes_t boundary;
	uint64_t base;        /* file frame of stream position 0 in the current run */
	uint64_t hw;          /* hardware position since the last prepare */
	uint64_t written_end; /* playback: end of the frames written in this run */
	int running;
	uint64_t clock_hw0;   /* paced: hw at clock_t0 */
	int64_t clock_t0;     /* paced: CLOCK_MONOTONIC ns when the clock (re)started */
	unsigned char *bounce;
};

static uint64_t appl_of(const snd_pcm_ioplug_t *io)
{
	return io->appl_ptr;
}

/* Arms the timerfd: periodic once per period while paced and running; for the unpaced double a
 * single expiry that is never read, so the descriptor stays readable and poll never waits. */
static int arm_timer(struct rawfile *rf, int running)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (!rf->pace) {
		its.it_value.tv_nsec = 1;
	} else if (running) {
		double rate = (double)rf->io.rate * rf->rate_scale;
		int64_t period_ns = (int64_t)((double)rf->io.period_size * 1e9 / rate);

		if (period_ns < 100000)
			period_ns = 100000;
		its.it_value.tv_sec = period_ns / 1000000000;
		its.it_value.tv_nsec = period_ns % 1000000000;
		its.it_interval = its.it_value;
	}
	if (timerfd_settime(rf->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

/* Moves the hardware position. Returns -EPIPE on an xrun of the paced double. */
static int update_hw(struct rawfile *rf)
{
	snd_pcm_ioplug_t *io = &rf->io;
	uint64_t appl = appl_of(io);
	uint64_t clock_pos;

	if (!rf->running)
		return 0;
	if (!rf->pace) {
		rf->hw = io->stream == SND_PCM_STREAM_PLAYBACK ? appl : appl + io->buffer_size;
		return 0;
	}
	clock_pos = rf->clock_hw0 + (uint64_t)((double)((int64_t)cr_now_ns() - rf->clock_t0) *
					       (double)io->rate * rf->rate_scale / 1e9);
	if (clock_pos < rf->hw)
		return 0;
	if (io->stream == SND_PCM_STREAM_PLAYBACK) {
		if (clock_pos > appl) {
			rf->hw = appl;
			if (io->state != SND_PCM_STATE_DRAINING)
				return -EPIPE; /* underrun: the card ran out of data */
			return 0;
		}
		rf->hw = clock_pos;
		return 0;
	}
	rf->hw = clock_pos;
	if (rf->hw - appl > io->buffer_size)
		return -EPIPE; /* overrun: the application did not read in time */
	return 0;
}

static snd_pcm_sframes_t rawfile_pointer(snd_pcm_ioplug_t *io)
{
	struct rawfile *rf = io->private_data;
	int err = update_hw(rf);

	if (err < 0)
		return err;
	/* SND_PCM_IOPLUG_FLAG_BOUNDARY_WA: report the position modulo the boundary, so a jump of a
	 * whole buffer (unpaced) is not mistaken for no movement. */
	return (snd_pcm_sframes_t)(rf->hw % rf->boundary);
}

static int rawfile_start(snd_pcm_ioplug_t *io)
{
	struct rawfile *rf = io->private_data;

	rf->running = 1;
	rf->clock_hw0 = rf->hw;
	rf->clock_t0 = (int64_t)cr_now_ns();
	return arm_timer(rf, 1);
}

static int rawfile_stop(snd_pcm_ioplug_t *io)
{
	struct rawfile *rf = io->private_data;

	update_hw(rf);
	rf->running = 0;
	return arm_timer(rf, 0);
}

static int rawfile_pause(snd_pcm_ioplug_t *io, int enable)
{
	return enable ? rawfile_stop(io) : rawfile_start(io);
}

static int rawfile_hw_params(snd_pcm_ioplug_t *io, snd_pcm_hw_params_t *params)
{
	struct rawfile *rf = io->private_data;
	int bits = snd_pcm_format_physical_width(io->format);

	(void)params;
	if (bits <= 0 || bits % 8)
		return -EINVAL;
	rf->sample_bits = (unsigned int)bits;
	rf->frame_bytes = (unsigned int)bits / 8 * io->channels;
	return 0;
}

static int rawfile_prepare(snd_pcm_ioplug_t *io)
{
	struct rawfile *rf = io->private_data;
	snd_pcm_sw_params_t *sw;
	int err;

	/* A new run continues the file where the last one ended: after everything written
	 * (playback) or everything the "card" delivered (capture). */
	rf->base += io->stream == SND_PCM_STREAM_PLAYBACK ? rf->written_end : rf->hw;
	rf->hw = 0;
	rf->written_end = 0;
	rf->running = 0;
	snd_pcm_sw_params_alloca(&sw);
	err = snd_pcm_sw_params_current(io->pcm, sw);
	if (err < 0)
		return err;
	err = snd_pcm_sw_params_get_boundary(sw, &rf->boundary);
	if (err < 0)
		return err;
	if (!rf->boundary)
		return -EINVAL;
	return arm_timer(rf, 0);
}

/* Absolute stream position of the first frame of a transfer. RW access passes the
 * application's own buffer (offset within it); mmap access passes the ring buffer, where the
 * offset may be ahead of the application pointer (capture read-ahead, or the wrapped second
 * part of a region). */
static uint64_t transfer_position(const snd_pcm_ioplug_t *io, snd_pcm_uframes_t offset)
{
	uint64_t appl = appl_of(io);
	uint64_t buf = io->buffer_size;

	if (io->access == SND_PCM_ACCESS_RW_INTERLEAVED ||
	    io->access == SND_PCM_ACCESS_RW_NONINTERLEAVED)
		return appl;
	return appl + (offset + buf - appl % buf) % buf;
}

static void describe_bounce(struct rawfile *rf, snd_pcm_channel_area_t *areas)
{
	unsigned int c;

	for (c = 0; c < rf->io.channels; c++) {
		areas[c].addr = rf->bounce;
		areas[c].first = c * rf->sample_bits;
		areas[c].step = rf->io.channels * rf->sample_bits;
	}
}

static int write_frames(struct rawfile *rf, const snd_pcm_channel_area_t *areas,
			snd_pcm_uframes_t offset, snd_pcm_uframes_t frames, uint64_t pos)
{
	snd_pcm_channel_area_t bounce[rf->io.channels];
	size_t bytes = frames * rf->frame_bytes;
	off_t at = (off_t)((rf->base + pos) * rf->frame_bytes);
	size_t done = 0;

	describe_bounce(rf, bounce);
	snd_pcm_areas_copy(bounce, 0, areas, offset, rf->io.channels, frames, rf->io.format);
	while (done < bytes) {
		ssize_t n = pwrite(rf->fd, rf->bounce + done, bytes - done, at + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	if (pos + frames > rf->written_end)
		rf->written_end = pos + frames;
	return 0;
}

static int read_frames(struct rawfile *rf, const snd_pcm_channel_area_t *areas,
		       snd_pcm_uframes_t offset, snd_pcm_uframes_t frames, uint64_t pos)
{
	snd_pcm_channel_area_t bounce[rf->io.channels];
	size_t bytes = frames * rf->frame_bytes;
	off_t at = (off_t)((rf->base + pos) * rf->frame_bytes);
	size_t done = 0;

	while (done < bytes) {
		ssize_t n = pread(rf->fd, rf->bounce + done, bytes - done, at + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* past the end of the file: the microphone is silent */
		done += (size_t)n;
	}
	/* Silence is the format's own silence (U8 is 0x80), not necessarily zero bytes. */
	if (done < bytes)
		snd_pcm_format_set_silence(rf->io.format, rf->bounce + done,
					   (unsigned int)((bytes - done) * 8 / rf->sample_bits));
	describe_bounce(rf, bounce);
	snd_pcm_areas_copy(areas, offset, bounce, 0, rf->io.channels, frames, rf->io.format);
	return 0;
}

static snd_pcm_sframes_t rawfile_transfer(snd_pcm_ioplug_t *io,
					  const snd_pcm_channel_area_t *areas,
					  snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	struct rawfile *rf = io->private_data;
	uint64_t pos = transfer_position(io, offset);
	snd_pcm_uframes_t chunk = BOUNCE_BYTES / rf->frame_bytes;
	snd_pcm_uframes_t done = 0;
	int err;

	while (done < size) {
		snd_pcm_uframes_t n = size - done < chunk ? size - done : chunk;

		if (io->stream == SND_PCM_STREAM_PLAYBACK)
			err = write_frames(rf, areas, offset + done, n, pos + done);
		else
			err = read_frames(rf, areas, offset + done, n, pos + done);
		if (err < 0)
			return err;
		done += n;
	}
	return (snd_pcm_sframes_t)size;
}

static int rawfile_poll_revents(snd_pcm_ioplug_t *io, struct pollfd *pfd, unsigned int nfds,
				unsigned short *revents)
{
	struct rawfile *rf = io->private_data;

	*revents = 0;
	if (nfds < 1)
		return -EINVAL;
	if (pfd[0].revents & (POLLERR | POLLNVAL)) {
		*revents = POLLERR;
		return 0;
	}
	if (pfd[0].revents & POLLIN) {
		if (rf->pace) {
			uint64_t ticks;
			/* Consume the tick; the timerfd is non-blocking. */
			if (read(rf->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				return -errno;
		}
		*revents = io->stream == SND_PCM_STREAM_PLAYBACK ? POLLOUT : POLLIN;
	}
	return 0;
}

static void rawfile_free(struct rawfile *rf)
{
	if (rf->fd >= 0)
		close(rf->fd);
	if (rf->timer_fd >= 0)
		close(rf->timer_fd);
	free(rf->bounce);
	free(rf);
}

static int rawfile_close(snd_pcm_ioplug_t *io)
{
	rawfile_free(io->private_data);
	return 0;
}

static const snd_pcm_ioplug_callback_t rawfile_callbacks = {
	.start = rawfile_start,
	.stop = rawfile_stop,
	.pointer = rawfile_pointer,
	.transfer = rawfile_transfer,
	.close = rawfile_close,
	.hw_params = rawfile_hw_params,
	.prepare = rawfile_prepare,
	.pause = rawfile_pause,
	.poll_revents = rawfile_poll_revents,
};

static int set_constraints(snd_pcm_ioplug_t *io)
{
	static const unsigned int accesses[] = {
		SND_PCM_ACCESS_MMAP_INTERLEAVED, SND_PCM_ACCESS_MMAP_NONINTERLEAVED,
		SND_PCM_ACCESS_RW_INTERLEAVED, SND_PCM_ACCESS_RW_NONINTERLEAVED,
	};
	static const unsigned int formats[] = {
		SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE,
		SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_S24_3LE, SND_PCM_FORMAT_U8,
	};
	int err;

	err = snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_ACCESS,
					    sizeof(accesses) / sizeof(accesses[0]), accesses);
	if (err >= 0)
		err = snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_FORMAT,
						    sizeof(formats) / sizeof(formats[0]), formats);
	if (err >= 0)
		err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_CHANNELS, 1, 8);
	if (err >= 0)
		err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_RATE, 8000, 192000);
	if (err >= 0)
		err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 64,
						      1024 * 1024);
	if (err >= 0)
		err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_BUFFER_BYTES, 128,
						      16 * 1024 * 1024);
	if (err >= 0)
		err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIODS, 2, 1024);
	return err;
}

static int parse_conf(snd_config_t *conf, const char **path, int *pace, double *rate_scale)
{
	snd_config_iterator_t i, next;

	*path = NULL;
	*pace = 0;
	*rate_scale = 1.0;
	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;

		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (!strcmp(id, "comment") || !strcmp(id, "type") || !strcmp(id, "hint"))
			continue;
		if (!strcmp(id, "file")) {
			if (snd_config_get_string(n, path) < 0) {
				SNDERR("rawfile: file must be a string");
				return -EINVAL;
			}
		} else if (!strcmp(id, "pace")) {
			*pace = snd_config_get_bool(n);
			if (*pace < 0) {
				SNDERR("rawfile: pace must be yes or no");
				return -EINVAL;
			}
		} else if (!strcmp(id, "rate_scale")) {
			if (snd_config_get_ireal(n, rate_scale) < 0 || *rate_scale < 0.5 ||
			    *rate_scale > 2.0) {
				SNDERR("rawfile: rate_scale must be a number in 0.5..2");
				return -EINVAL;
			}
		} else {
			SNDERR("rawfile: unknown field %s", id);
			return -EINVAL;
		}
	}
	if (!*path) {
		SNDERR("rawfile: file is required");
		return -EINVAL;
	}
	return 0;
}

SND_PCM_PLUGIN_DEFINE_FUNC(rawfile)
{
	struct rawfile *rf;
	const char *path;
	int pace, err;
	double rate_scale;

	(void)root;
	err = parse_conf(conf, &path, &pace, &rate_scale);
	if (err < 0)
		return err;
	rf = calloc(1, sizeof(*rf));
	if (!rf)
		return -ENOMEM;
	rf->fd = -1;
	rf->timer_fd = -1;
	rf->pace = pace;
	rf->rate_scale = rate_scale;
	rf->boundary = 1;
	rf->bounce = malloc(BOUNCE_BYTES);
	if (!rf->bounce) {
		err = -ENOMEM;
		goto fail;
	}
	if (stream == SND_PCM_STREAM_PLAYBACK)
		rf->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	else
		rf->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rf->fd < 0) {
		err = -errno;
		SNDERR("rawfile: cannot open %s", path);
		goto fail;
	}
	rf->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rf->timer_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = arm_timer(rf, 0);
	if (err < 0)
		goto fail;
	rf->io.version = SND_PCM_IOPLUG_VERSION;
	rf->io.name = "rawfile test double";
	rf->io.flags = SND_PCM_IOPLUG_FLAG_BOUNDARY_WA | SND_PCM_IOPLUG_FLAG_MONOTONIC;
	rf->io.poll_fd = rf->timer_fd;
	rf->io.poll_events = POLLIN;
	rf->io.mmap_rw = 0;
	rf->io.callback = &rawfile_callbacks;
	rf->io.private_data = rf;
	err = snd_pcm_ioplug_create(&rf->io, name, stream, mode);
	if (err < 0)
		goto fail;
	err = set_constraints(&rf->io);
	if (err < 0) {
		snd_pcm_ioplug_delete(&rf->io); /* calls rawfile_close */
		return err;
	}
	*pcmp = rf->io.pcm;
	return 0;
fail:
	rawfile_free(rf);
	return err;
}

SND_PCM_PLUGIN_SYMBOL(rawfile);
