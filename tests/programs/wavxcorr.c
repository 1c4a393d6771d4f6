/* wavxcorr: is channel X of one WAV the same audio as channel Y of another, up to a delay?
 *
 *   wavxcorr A.wav CHANNEL_A B.wav CHANNEL_B [--max-lag-ms 500] [--min 0.99]
 *
 * Channels are 1-based; 0 means the average of all channels (what the agent records from a
 * multi-channel stream). B is resampled to A's rate (libsamplerate) when the rates differ.
 * Prints `ncc=0.9987 lag_ms=12.3` - the highest normalized cross-correlation over the overlap
 * for lags within +-max-lag, and that lag (positive: the audio appears later in A than in B).
 * Exit status 0 when ncc >= min, 1 when below, 2 on a usage or file error.
 *
 * Search without an FFT, fast enough for minutes of audio: a full search over both signals
 * decimated to ~2 kHz (block averages, a crude low-pass) finds candidate lags, then each of the
 * best few is refined at the full rate within a few decimation steps. Several candidates are
 * refined because the decimated peak can be off for audio with mostly high-frequency energy.
 */
#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COARSE_RATE 2000
#define CANDIDATES 8

struct signal {
	float *x;
	long n;
	int rate;
};

/* Read one channel (1-based; 0 = average of all) as float. 0 or -errno. */
static int read_channel(const char *path, int channel, struct signal *out)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	float *all = NULL;
	int err = 0;

	if (!f) {
		fprintf(stderr, "wavxcorr: cannot read %s: %s\n", path, sf_strerror(NULL));
		return -ENOENT;
	}
	if (channel < 0 || channel > info.channels) {
		fprintf(stderr, "wavxcorr: %s has %d channels, no channel %d\n", path, info.channels,
			channel);
		err = -EINVAL;
		goto out;
	}
	all = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels + 1);
	out->x = malloc(sizeof(float) * (size_t)info.frames + 1);
	if (!all || !out->x) {
		err = -ENOMEM;
		goto out;
	}
	sf_count_t got = sf_readf_float(f, all, info.frames);
	if (got < 0)
		got = 0;
	for (sf_count_t i = 0; i < got; i++) {
		const float *fr = all + i * info.channels;
		if (channel) {
			out->x[i] = fr[channel - 1];
		} else {
			float s = 0;
			for (int c = 0; c < info.channels; c++)
				s += fr[c];
			out->x[i] = s / (float)info.channels;
		}
	}
	out->n = (long)got;
	out->rate = info.samplerate;
out:
	free(all);
	if (err) {
		free(out->x);
		out->x = NULL;
	}
	sf_close(f);
	return err;
}

static int resample(struct signal *s, int rate)
{
	double ratio = (double)rate / s->rate;
	long cap = (long)ceil(s->n * ratio) + 16;
	float *y = malloc(sizeof(float) * (size_t)cap);
	if (!y)
		return -ENOMEM;
	SRC_DATA d = { .data_in = s->x, .data_out = y, .input_frames = s->n,
		       .output_frames = cap, .src_ratio = ratio, .end_of_input = 1 };
	int e = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
	if (e) {
		fprintf(stderr, "wavxcorr: resampling failed: %s\n", src_strerror(e));
		free(y);
		return -EINVAL;
	}
	free(s->x);
	s->x = y;
	s->n = d.output_frames_gen;
	s->rate = rate;
	return 0;
}

/* Block averages of `factor` samples. */
static struct signal decimate(const struct signal *s, int factor)
{
	struct signal d = { NULL, s->n / factor, s->rate / factor };
	d.x = calloc((size_t)d.n + 1, sizeof(float));
	for (long i = 0; d.x && i < d.n; i++) {
		double sum = 0;
		for (int k = 0; k < factor; k++)
			sum += s->x[i * factor + k];
		d.x[i] = (float)(sum / factor);
	}
	return d;
}

/* Prefix sums of squares, so the energy of any overlap is O(1). */
static double *energy_prefix(const struct signal *s)
{
	double *p = malloc(sizeof(double) * (size_t)(s->n + 1));
	if (!p)
		return NULL;
	p[0] = 0;
	for (long i = 0; i < s->n; i++)
		p[i + 1] = p[i] + (double)s->x[i] * s->x[i];
	return p;
}

/* Normalized cross-correlation of a[i + lag] with b[i] over the overlap. */
static double ncc_at(const struct signal *a, const double *ea, const struct signal *b,
		     const double *eb, long lag)
{
	long b0 = lag >= 0 ? 0 : -lag;         /* first index in b */
	long b1 = b->n < a->n - lag ? b->n : a->n - lag; /* end index in b */
	/* A short overlap at the edge of the search can correlate by chance. */
	long shorter = a->n < b->n ? a->n : b->n;
	if (b1 - b0 < 2 || b1 - b0 < shorter / 2)
		return 0;
	double dot = 0;
	const float *ap = a->x + lag;
	for (long i = b0; i < b1; i++)
		dot += (double)ap[i] * b->x[i];
	double e = (ea[b1 + lag] - ea[b0 + lag]) * (eb[b1] - eb[b0]);
	return e > 0 ? dot / sqrt(e) : 0;
}

struct candidate {
	long lag;
	double ncc;
};

/* Keep the best CANDIDATES local maxima, best first. */
static void keep_candidate(struct candidate *c, long lag, double ncc)
{
	int i = CANDIDATES - 1;
	if (ncc <= c[i].ncc)
		return;
	while (i > 0 && c[i - 1].ncc < ncc) {
		c[i] = c[i - 1];
		i--;
	}
	c[i].lag = lag;
	c[i].ncc = ncc;
}

/* Best lag within +-max_lag samples at a's rate; returns its ncc. */
static double search(const struct signal *a, const struct signal *b, long max_lag, long *best_lag)
{
	int factor = a->rate / COARSE_RATE;
	double best = -2;
	*best_lag = 0;
	if (factor < 1)
		factor = 1;

	double *ea = energy_prefix(a), *eb = energy_prefix(b);
	struct signal ca = decimate(a, factor), cb = decimate(b, factor);
	double *eca = energy_prefix(&ca), *ecb = energy_prefix(&cb);
	if (!ea || !eb || !ca.x || !cb.x || !eca || !ecb) {
		fprintf(stderr, "wavxcorr: out of memory\n");
		goto out;
	}

	struct candidate cand[CANDIDATES];
	for (int i = 0; i < CANDIDATES; i++)
		cand[i] = (struct candidate){ 0, -2 };
	long cmax = max_lag / factor;
	double prev2 = -2, prev = -2;
	for (long lag = -cmax; lag <= cmax + 1; lag++) {
		double v = lag <= cmax ? ncc_at(&ca, eca, &cb, ecb, lag) : -2;
		/* prev is a local maximum (or a plateau edge) among its neighbours. */
		if (lag > -cmax && prev >= prev2 && prev >= v)
			keep_candidate(cand, lag - 1, prev);
		prev2 = prev;
		prev = v;
	}
	for (int i = 0; i <= CANDIDATES; i++) {
		/* The last round looks around zero lag: the common case of aligned audio. */
		if (i < CANDIDATES && cand[i].ncc < -1.5)
			continue;
		long centre = i < CANDIDATES ? cand[i].lag * factor : 0;
		for (long lag = centre - 2 * factor; lag <= centre + 2 * factor; lag++) {
			if (lag < -max_lag || lag > max_lag)
				continue;
			double v = ncc_at(a, ea, b, eb, lag);
			if (v > best) {
				best = v;
				*best_lag = lag;
			}
		}
	}
out:
	free(ea);
	free(eb);
	free(ca.x);
	free(cb.x);
	free(eca);
	free(ecb);
	return best;
}

static void usage(void)
{
	fputs("usage: wavxcorr A.wav CHANNEL_A B.wav CHANNEL_B [--max-lag-ms 500] [--min 0.99]\n"
	      "       channels are 1-based; 0 = average of all channels\n",
	      stderr);
}

int main(int argc, char **argv)
{
	const char *pos[4];
	int npos = 0;
	double max_lag_ms = 500, min = 0.99;
	struct signal a = { 0 }, b = { 0 };
	int status = 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--max-lag-ms") && i + 1 < argc)
			max_lag_ms = atof(argv[++i]);
		else if (!strcmp(argv[i], "--min") && i + 1 < argc)
			min = atof(argv[++i]);
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return usage(), 2;
		else if (npos < 4)
			pos[npos++] = argv[i];
		else
			return usage(), 2;
	}
	if (npos != 4 || max_lag_ms < 0)
		return usage(), 2;

	if (read_channel(pos[0], atoi(pos[1]), &a) || read_channel(pos[2], atoi(pos[3]), &b))
		goto out;
	if (a.n == 0 || b.n == 0) {
		fprintf(stderr, "wavxcorr: %s is empty\n", a.n == 0 ? pos[0] : pos[2]);
		goto out;
	}
	if (b.rate != a.rate && resample(&b, a.rate))
		goto out;

	long lag;
	double ncc = search(&a, &b, (long)(max_lag_ms * a.rate / 1000.0), &lag);
	if (ncc < -1.5)
		goto out;
	printf("ncc=%.4f lag_ms=%.1f\n", ncc, lag * 1000.0 / a.rate);
	status = ncc >= min ? 0 : 1;
out:
	free(a.x);
	free(b.x);
	return status;
}
