/* duplex: a stand-in for a softphone in tests and the demo.
 *
 * One process opens a capture PCM and a playback PCM, plays a WAV file (what the remote party
 * says) to the playback PCM while recording the capture PCM (what the local user says) into a
 * WAV file, both at once, then closes both. The agent pairs a process's overlapping capture and
 * playback streams into a call, so the two directions must come from the same process and
 * overlap in time: both PCMs are opened before either thread starts.
 *
 *   duplex [--playback PCM --play FILE.wav] [--capture PCM --record OUT.wav]
 *          [--seconds S] [--rate R] [--channels C] [--format S16_LE|S32_LE|FLOAT_LE]
 *          [--latency-ms MS]
 *
 * The length is the play file's, or --seconds (the file is then cut or padded with silence).
 * Rate and channels default to the play file's (48000 Hz stereo without one). Samples are
 * moved without conversion so that tests can compare them bit-exactly. Exit status 0 on
 * success, 1 on any ALSA or file error (with a message naming the PCM and the call).
 */
#include <alsa/asoundlib.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_FRAMES 1024

struct stream_opts {
	snd_pcm_format_t format;
	unsigned rate;
	unsigned channels;
	unsigned latency_us;
};

/* One direction: its PCM, its file, how many frames to move, and the outcome. */
struct direction {
	const char *pcm_name;
	const char *file_name;
	snd_pcm_t *pcm;
	SNDFILE *file;
	sf_count_t file_frames; /* frames available in the play file */
	sf_count_t frames;      /* frames to move */
	const struct stream_opts *opts;
	unsigned xruns;
	int err; /* 0 or negative errno */
};

static void usage(FILE *out)
{
	fputs("usage: duplex [--playback PCM --play FILE.wav] [--capture PCM --record OUT.wav]\n"
	      "              [--seconds S] [--rate R] [--channels C] [--format S16_LE|S32_LE|FLOAT_LE]\n"
	      "              [--latency-ms MS]\n",
	      out);
}

static size_t sample_bytes(snd_pcm_format_t f)
{
	return f == SND_PCM_FORMAT_S16_LE ? 2 : 4;
}

/* libsndfile's subtype for recording in the PCM's own format, so nothing is converted. */
static int sf_subtype(snd_pcm_format_t f)
{
	switch (f) {
	case SND_PCM_FORMAT_S16_LE: return SF_FORMAT_PCM_16;
	case SND_PCM_FORMAT_S32_LE: return SF_FORMAT_PCM_32;
	default: return SF_FORMAT_FLOAT;
	}
}

static sf_count_t sf_read_native(SNDFILE *f, snd_pcm_format_t fmt, void *buf, sf_count_t n)
{
	switch (fmt) {
	case SND_PCM_FORMAT_S16_LE: return sf_readf_short(f, buf, n);
	case SND_PCM_FORMAT_S32_LE: return sf_readf_int(f, buf, n);
	default: return sf_readf_float(f, buf, n);
	}
}

static sf_count_t sf_write_native(SNDFILE *f, snd_pcm_format_t fmt, const void *buf, sf_count_t n)
{
	switch (fmt) {
	case SND_PCM_FORMAT_S16_LE: return sf_writef_short(f, buf, n);
	case SND_PCM_FORMAT_S32_LE: return sf_writef_int(f, buf, n);
	default: return sf_writef_float(f, buf, n);
	}
}

static int open_pcm(struct direction *d, snd_pcm_stream_t stream)
{
	const char *what = stream == SND_PCM_STREAM_PLAYBACK ? "playback" : "capture";
	int err = snd_pcm_open(&d->pcm, d->pcm_name, stream, 0);
	if (err < 0) {
		fprintf(stderr, "duplex: cannot open %s PCM '%s': %s\n", what, d->pcm_name,
			snd_strerror(err));
		d->pcm = NULL;
		return err;
	}
	/* No software resampling: the test compares samples, and the slave must take ours. */
	err = snd_pcm_set_params(d->pcm, d->opts->format, SND_PCM_ACCESS_RW_INTERLEAVED,
				 d->opts->channels, d->opts->rate, 0, d->opts->latency_us);
	if (err < 0) {
		fprintf(stderr, "duplex: %s PCM '%s': cannot set %s %u Hz %u channels: %s\n", what,
			d->pcm_name, snd_pcm_format_name(d->opts->format), d->opts->rate,
			d->opts->channels, snd_strerror(err));
		return err;
	}
	return 0;
}

/* An xrun is recovered (a loaded test machine can cause one) but reported, since it breaks
 * bit-exact comparisons; any other error ends the direction. */
static int recover(struct direction *d, const char *what, long err)
{
	if (err == -EPIPE || err == -ESTRPIPE) {
		d->xruns++;
		fprintf(stderr, "duplex: warning: %s xrun on '%s', recovering\n", what, d->pcm_name);
		err = snd_pcm_recover(d->pcm, (int)err, 1);
		if (err == 0)
			return 0;
	}
	fprintf(stderr, "duplex: %s on '%s' failed: %s\n", what, d->pcm_name, snd_strerror((int)err));
	return (int)err;
}

static void *play_thread(void *arg)
{
	struct direction *d = arg;
	size_t frame_bytes = sample_bytes(d->opts->format) * d->opts->channels;
	char *buf = calloc(CHUNK_FRAMES, frame_bytes);
	sf_count_t done = 0;
	int err = 0;

	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (done < d->frames) {
		sf_count_t want = d->frames - done < CHUNK_FRAMES ? d->frames - done : CHUNK_FRAMES;
		sf_count_t got = 0;
		if (d->file && done < d->file_frames) {
			got = sf_read_native(d->file, d->opts->format, buf, want);
			if (got < 0)
				got = 0;
		}
		/* Past the end of the file (or without one): silence. */
		memset(buf + got * frame_bytes, 0, (size_t)(want - got) * frame_bytes);
		sf_count_t off = 0;
		while (off < want) {
			snd_pcm_sframes_t n = snd_pcm_writei(d->pcm, buf + off * frame_bytes,
							     (snd_pcm_uframes_t)(want - off));
			if (n < 0) {
				err = recover(d, "snd_pcm_writei", n);
				if (err)
					goto out;
				continue;
			}
			off += n;
		}
		done += want;
	}
	err = snd_pcm_drain(d->pcm);
	if (err < 0)
		fprintf(stderr, "duplex: snd_pcm_drain on '%s' failed: %s\n", d->pcm_name,
			snd_strerror(err));
out:
	free(buf);
	d->err = err < 0 ? err : 0;
	return NULL;
}

static void *record_thread(void *arg)
{
	struct direction *d = arg;
	size_t frame_bytes = sample_bytes(d->opts->format) * d->opts->channels;
	/* Zeroed: some slaves (null) return frames without writing them. */
	char *buf = calloc(CHUNK_FRAMES, frame_bytes);
	sf_count_t done = 0;
	int err = 0;

	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (done < d->frames) {
		sf_count_t want = d->frames - done < CHUNK_FRAMES ? d->frames - done : CHUNK_FRAMES;
		snd_pcm_sframes_t n = snd_pcm_readi(d->pcm, buf, (snd_pcm_uframes_t)want);
		if (n < 0) {
			err = recover(d, "snd_pcm_readi", n);
			if (err)
				goto out;
			continue;
		}
		if (sf_write_native(d->file, d->opts->format, buf, n) != n) {
			fprintf(stderr, "duplex: writing %s: %s\n", d->file_name, sf_strerror(d->file));
			err = -EIO;
			goto out;
		}
		done += n;
	}
	snd_pcm_drop(d->pcm);
out:
	free(buf);
	d->err = err;
	return NULL;
}

static int parse_format(const char *s, snd_pcm_format_t *out)
{
	if (!strcmp(s, "S16_LE"))
		*out = SND_PCM_FORMAT_S16_LE;
	else if (!strcmp(s, "S32_LE"))
		*out = SND_PCM_FORMAT_S32_LE;
	else if (!strcmp(s, "FLOAT_LE"))
		*out = SND_PCM_FORMAT_FLOAT_LE;
	else
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "playback", required_argument, NULL, 'P' }, { "capture", required_argument, NULL, 'C' },
		{ "play", required_argument, NULL, 'p' },     { "record", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },  { "rate", required_argument, NULL, 'R' },
		{ "channels", required_argument, NULL, 'c' }, { "format", required_argument, NULL, 'f' },
		{ "latency-ms", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stream_opts opts = { SND_PCM_FORMAT_S16_LE, 0, 0, 100000 };
	struct direction play = { .opts = &opts }, rec = { .opts = &opts };
	double seconds = 0;
	int opt, status = 1;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'P': play.pcm_name = optarg; break;
		case 'C': rec.pcm_name = optarg; break;
		case 'p': play.file_name = optarg; break;
		case 'r': rec.file_name = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'R': opts.rate = (unsigned)atoi(optarg); break;
		case 'c': opts.channels = (unsigned)atoi(optarg); break;
		case 'l': opts.latency_us = (unsigned)atoi(optarg) * 1000u; break;
		case 'f':
			if (parse_format(optarg, &opts.format)) {
				fprintf(stderr, "duplex: unsupported format '%s'\n", optarg);
				return 1;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc || (!play.pcm_name && !rec.pcm_name) || (rec.pcm_name && !rec.file_name) ||
	    (!rec.pcm_name && rec.file_name) || (!play.pcm_name && play.file_name) ||
	    (!play.file_name && seconds <= 0)) {
		usage(stderr);
		return 1;
	}

	sf_count_t frames = 0;
	if (play.file_name) {
		SF_INFO info = { 0 };
		play.file = sf_open(play.file_name, SFM_READ, &info);
		if (!play.file) {
			fprintf(stderr, "duplex: cannot read %s: %s\n", play.file_name, sf_strerror(NULL));
			return 1;
		}
		if (!opts.rate)
			opts.rate = (unsigned)info.samplerate;
		if (!opts.channels)
			opts.channels = (unsigned)info.channels;
		if (opts.rate != (unsigned)info.samplerate || opts.channels != (unsigned)info.channels) {
			fprintf(stderr, "duplex: %s is %d Hz %d channels, not %u Hz %u channels\n",
				play.file_name, info.samplerate, info.channels, opts.rate, opts.channels);
			goto out;
		}
		play.file_frames = info.frames;
		frames = info.frames;
	}
	if (!opts.rate)
		opts.rate = 48000;
	if (!opts.channels)
		opts.channels = 2;
	if (seconds > 0)
		frames = (sf_count_t)(seconds * opts.rate + 0.5);
	play.frames = rec.frames = frames;

	if (rec.file_name) {
		SF_INFO info = { .samplerate = (int)opts.rate, .channels = (int)opts.channels,
				 .format = SF_FORMAT_WAV | sf_subtype(opts.format) };
		rec.file = sf_open(rec.file_name, SFM_WRITE, &info);
		if (!rec.file) {
			fprintf(stderr, "duplex: cannot write %s: %s\n", rec.file_name, sf_strerror(NULL));
			goto out;
		}
	}
	if (play.pcm_name && open_pcm(&play, SND_PCM_STREAM_PLAYBACK) < 0)
		goto out;
	if (rec.pcm_name && open_pcm(&rec, SND_PCM_STREAM_CAPTURE) < 0)
		goto out;

	pthread_t play_tid, rec_tid;
	int have_play = 0, have_rec = 0;
	if (play.pcm) {
		if (pthread_create(&play_tid, NULL, play_thread, &play)) {
			fprintf(stderr, "duplex: cannot start the playback thread\n");
			goto out;
		}
		have_play = 1;
	}
	if (rec.pcm) {
		if (pthread_create(&rec_tid, NULL, record_thread, &rec))
			fprintf(stderr, "duplex: cannot start the capture thread\n");
		else
			have_rec = 1;
	}
	if (have_play)
		pthread_join(play_tid, NULL);
	if (have_rec)
		pthread_join(rec_tid, NULL);
	if ((!rec.pcm || have_rec) && !play.err && !rec.err)
		status = 0;
	if (play.xruns || rec.xruns)
		fprintf(stderr, "duplex: %u playback and %u capture xruns\n", play.xruns, rec.xruns);
out:
	if (play.pcm)
		snd_pcm_close(play.pcm);
	if (rec.pcm)
		snd_pcm_close(rec.pcm);
	if (play.file)
		sf_close(play.file);
	if (rec.file && sf_close(rec.file)) {
		fprintf(stderr, "duplex: closing %s failed\n", rec.file_name);
		status = 1;
	}
	return status;
}
