#include "failtone.h"

#include <errno.h>
#include <stdlib.h>

#include "mix.h"

/* The plugin links only libc and alsa-lib (no libm): sine and cosine of the small per-sample
 * phase step by their Taylor series, then a rotation recurrence for the samples. */
static double taylor_sin(double x)
{
	double term = x, sum = x;
	int k;

	for (k = 1; k < 12; k++) {
		term *= -x * x / ((2.0 * k) * (2.0 * k + 1.0));
		sum += term;
	}
	return sum;
}

static double taylor_cos(double x)
{
	double term = 1.0, sum = 1.0;
	int k;

	for (k = 1; k < 12; k++) {
		term *= -x * x / ((2.0 * k - 1.0) * (2.0 * k));
		sum += term;
	}
	return sum;
}

int failtone_prepare(struct failtone *ft, unsigned int rate)
{
	const double pi = 3.14159265358979323846;
	double step = 2.0 * pi * FAILTONE_HZ / rate;
	double c = taylor_cos(step), s = taylor_sin(step);
	double re = 1.0, im = 0.0; /* e^(i * phase) */
	uint32_t n, i, ramp;
	int16_t *beep;

	if (ft->beep && ft->rate == rate)
		return 0;
	n = rate * FAILTONE_BEEP_MS / 1000u;
	beep = malloc((size_t)n * sizeof(*beep));
	if (!beep)
		return -ENOMEM;
	ramp = rate / 200u; /* 5 ms fade in and out: no clicks */
	for (i = 0; i < n; i++) {
		double gain = 1.0, nre;

		if (i < ramp)
			gain = (double)i / ramp;
		else if (n - 1 - i < ramp)
			gain = (double)(n - 1 - i) / ramp;
		beep[i] = (int16_t)(im * gain * FAILTONE_PEAK);
		nre = re * c - im * s;
		im = re * s + im * c;
		re = nre;
	}
	free(ft->beep);
	ft->beep = beep;
	ft->beep_frames = n;
	ft->cycle_frames = rate * (FAILTONE_EVERY_MS / 1000u);
	ft->rate = rate;
	return 0;
}

void failtone_mix(struct failtone *ft, const snd_pcm_channel_area_t *areas,
		  snd_pcm_uframes_t offset, unsigned int channels, snd_pcm_format_t format,
		  snd_pcm_uframes_t frames)
{
	const uint32_t b = ft->beep_frames;

	if (!ft->beep || !mix_format_supported(format)) {
		ft->pos += frames;
		return;
	}
	while (frames) {
		uint32_t phase = (uint32_t)(ft->pos % ft->cycle_frames);
		uint32_t n, at;
		int beeping;

		/* A cycle: beep [0, b), quiet [b, 2b), beep [2b, 3b), quiet until the cycle ends. */
		if (phase < b) {
			beeping = 1, at = phase, n = b - phase;
		} else if (phase < 2 * b) {
			beeping = 0, at = 0, n = 2 * b - phase;
		} else if (phase < 3 * b) {
			beeping = 1, at = phase - 2 * b, n = 3 * b - phase;
		} else {
			beeping = 0, at = 0, n = ft->cycle_frames - phase;
		}
		if (n > frames)
			n = (uint32_t)frames;
		if (beeping)
			mix_s16_mono(areas, offset, channels, format, ft->beep + at, n, MIX_ADD);
		ft->pos += n;
		offset += n;
		frames -= n;
	}
}

void failtone_free(struct failtone *ft)
{
	free(ft->beep);
	ft->beep = NULL;
}
