/* tonedetect: find bursts of one frequency in a WAV and print when they occur.
 *
 *   tonedetect FILE.wav FREQ_HZ [--channel N] [--min-length S] [--contrast C]
 *
 * Prints one line per burst (seconds from the start of the file):
 *   start=12.345 end=12.845 length=0.500 edge=none
 * edge is `start` or `end` when the burst touches that end of the file (so it may have been cut
 * short there), `both`, or `none`. Exits 0 (even when there is none: the caller counts lines),
 * 2 on a usage or file error.
 *
 * A tone mixed into speech at a similar level must still be found, and speech must not look
 * like a tone. What sets a tone apart is a stable, exact frequency: every 5 ms, a 100 ms
 * Hann-windowed frame (main lobe +-20 Hz) is tested with the Goertzel algorithm at FREQ and at
 * FREQ +- 40 Hz. The frame holds the tone when the power at FREQ is at least C (default 3)
 * times the mean of its two neighbours and at least 2% of the frame's power (so that noise in
 * silence does not count). Speech harmonics glide and are spaced by the pitch (100-300 Hz), so
 * they rarely pass for long, while speech with energy right beside FREQ can mask a frame or
 * two inside a real burst: a burst is a run of passing frames in which no gap is longer than
 * 0.1 s, lasting at least --min-length (default 0.3 s). Its start and end are the centres of
 * its first and last passing frames: for an abrupt tone that is a fixed ~15-25 ms outside the
 * true edges (the frame holds enough of the tone before its centre does), the same for every
 * burst, so intervals between bursts are exact to ~10 ms.
 */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_S 0.100
#define HOP_S 0.005
#define NEIGHBOUR_HZ 40.0
#define MIN_SHARE 0.02
#define MAX_GAP_S 0.100

struct frame_win {
	double *w;   /* Hann window */
	long n;      /* frame length in samples */
	double sum;  /* sum of w */
	double sum2; /* sum of w^2 */
};

/* |X(freq)|^2 of the windowed frame x[0..n). */
static double goertzel(const float *x, const struct frame_win *fw, double freq, int rate)
{
	double coeff = 2 * cos(2 * M_PI * freq / rate), s1 = 0, s2 = 0;
	for (long i = 0; i < fw->n; i++) {
		double s = x[i] * fw->w[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/* Does the frame starting at x hold a tone at freq? */
static int has_tone(const float *x, const struct frame_win *fw, double freq, int rate,
		    double contrast)
{
	double e = 0;
	for (long i = 0; i < fw->n; i++)
		e += (double)x[i] * x[i] * fw->w[i] * fw->w[i];
	if (e <= 0)
		return 0;
	double p = goertzel(x, fw, freq, rate);
	double nb = (goertzel(x, fw, freq - NEIGHBOUR_HZ, rate) +
		     goertzel(x, fw, freq + NEIGHBOUR_HZ, rate)) / 2;
	/* For a pure sine of amplitude A on the frequency: p = (A sum / 2)^2 and
	 * e = A^2 sum2 / 2, so share = 1 for a pure tone. */
	double share = p * 2 * fw->sum2 / (fw->sum * fw->sum * e);
	return p >= contrast * nb && share >= MIN_SHARE;
}

/* Reads one channel (1-based) as float; returns the frame count or -1. */
static long read_channel(const char *path, int channel, float **out, int *rate)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f) {
		fprintf(stderr, "tonedetect: cannot read %s: %s\n", path, sf_strerror(NULL));
		return -1;
	}
	if (channel > info.channels) {
		fprintf(stderr, "tonedetect: %s has %d channels\n", path, info.channels);
		sf_close(f);
		return -1;
	}
	float *all = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels + 1);
	float *x = malloc(sizeof(float) * (size_t)info.frames + 1);
	sf_count_t n = -1;
	if (all && x) {
		n = sf_readf_float(f, all, info.frames);
		for (sf_count_t i = 0; i < n; i++)
			x[i] = all[i * info.channels + channel - 1];
	} else {
		fputs("tonedetect: out of memory\n", stderr);
	}
	sf_close(f);
	free(all);
	if (n < 0) {
		free(x);
		return -1;
	}
	*out = x;
	*rate = info.samplerate;
	return (long)n;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	double freq = 0, min_len = 0.3, contrast = 3;
	int channel = 1, npos = 0, rate = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--channel") && i + 1 < argc)
			channel = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--min-length") && i + 1 < argc)
			min_len = atof(argv[++i]);
		else if (!strcmp(argv[i], "--contrast") && i + 1 < argc)
			contrast = atof(argv[++i]);
		else if (argv[i][0] != '-' && npos == 0 && ++npos)
			path = argv[i];
		else if (argv[i][0] != '-' && npos == 1 && ++npos)
			freq = atof(argv[i]);
		else
			npos = -100;
	}
	if (npos != 2 || freq <= NEIGHBOUR_HZ || channel < 1) {
		fputs("usage: tonedetect FILE.wav FREQ_HZ [--channel N] [--min-length S] "
		      "[--contrast C]\n",
		      stderr);
		return 2;
	}

	float *x;
	long n = read_channel(path, channel, &x, &rate);
	if (n < 0)
		return 2;
	if (freq + NEIGHBOUR_HZ >= rate / 2.0) {
		fprintf(stderr, "tonedetect: %g Hz is too high for %d Hz audio\n", freq, rate);
		free(x);
		return 2;
	}
	struct frame_win fw = { NULL, (long)(FRAME_S * rate), 0, 0 };
	long hop = (long)(HOP_S * rate);
	fw.w = malloc(sizeof(double) * (size_t)fw.n);
	if (!fw.w || hop < 1) {
		fputs("tonedetect: out of memory, or the rate is too low\n", stderr);
		free(x);
		free(fw.w);
		return 2;
	}
	for (long i = 0; i < fw.n; i++) {
		fw.w[i] = 0.5 - 0.5 * cos(2 * M_PI * i / (fw.n - 1));
		fw.sum += fw.w[i];
		fw.sum2 += fw.w[i] * fw.w[i];
	}

	long run_start = -1, last_on = -1, last_frame = n - fw.n;
	for (long at = 0;; at += hop) {
		int end = at > last_frame;
		int on = !end && has_tone(x + at, &fw, freq, rate, contrast);
		if (on) {
			if (run_start < 0)
				run_start = at;
			last_on = at;
		} else if (run_start >= 0 && (end || at - last_on > MAX_GAP_S * rate)) {
			/* Centres of the first and last passing frames. */
			double first = (run_start + fw.n / 2.0) / rate;
			double last = (last_on + fw.n / 2.0) / rate;
			int at_start = run_start < hop, at_end = last_on + hop > last_frame;
			if (last - first + HOP_S >= min_len)
				printf("start=%.3f end=%.3f length=%.3f edge=%s\n", first, last,
				       last - first + HOP_S,
				       at_start ? (at_end ? "both" : "start") : at_end ? "end" : "none");
			run_start = -1;
		}
		if (end)
			break;
	}
	free(fw.w);
	free(x);
	return 0;
}
