/* Agent signal path, first steps: each supported sample format decodes to the right mono
 * value (channel average), inconsistent frame sizes and unknown formats are refused, and the
 * resampler turns N frames at any rate into N * 16000 / rate frames at the archive rate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <alsa/asoundlib.h>
#include <cmocka.h>

#include "../../agent/pcmconv.h"
#include "../../agent/resampler.h"

#define EPS 1e-4

/* Two frames of two channels: (L, R) = (+half, 0) then (-half, -half) for every format, so
 * the averages are +0.25 and -0.5. */
static void check_format(int format, const void *data, size_t frame_bytes)
{
	float out[2] = { 9, 9 };
	assert_int_equal(cr_pcm_frame_bytes(format, 2), frame_bytes);
	assert_int_equal(cr_pcm_to_mono(format, 2, (uint32_t)frame_bytes, data, 2, out), 0);
	assert_true(fabsf(out[0] - 0.25f) < EPS);
	assert_true(fabsf(out[1] + 0.5f) < EPS);
}

static void test_s16_le(void **state)
{
	(void)state;
	const uint8_t d[] = { 0x00, 0x40, 0x00, 0x00, 0x00, 0xc0, 0x00, 0xc0 };
	check_format(SND_PCM_FORMAT_S16_LE, d, 4);
}

static void test_s32_le(void **state)
{
	(void)state;
	const uint8_t d[] = { 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0xc0 };
	check_format(SND_PCM_FORMAT_S32_LE, d, 8);
}

static void test_s24_le(void **state)
{
	(void)state;
	/* 24 bits in the low three bytes; the top byte is padding and must be ignored. */
	const uint8_t d[] = { 0, 0, 0x40, 0x77, 0, 0, 0, 0x00, 0, 0, 0xc0, 0xff, 0, 0, 0xc0, 0x12 };
	check_format(SND_PCM_FORMAT_S24_LE, d, 8);
}

static void test_s24_3le(void **state)
{
	(void)state;
	const uint8_t d[] = { 0, 0, 0x40, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0xc0 };
	check_format(SND_PCM_FORMAT_S24_3LE, d, 6);
}

static void test_float_le(void **state)
{
	(void)state;
	float f[4] = { 0.5f, 0.0f, -0.5f, -0.5f };
	check_format(SND_PCM_FORMAT_FLOAT_LE, f, 8);
}

static void test_float64_le(void **state)
{
	(void)state;
	double f[4] = { 0.5, 0.0, -0.5, -0.5 };
	check_format(SND_PCM_FORMAT_FLOAT64_LE, f, 16);
}

static void test_u8(void **state)
{
	(void)state;
	const uint8_t d[] = { 0xc0, 0x80, 0x40, 0x40 };
	check_format(SND_PCM_FORMAT_U8, d, 2);
}

static void test_s16_be(void **state)
{
	(void)state;
	const uint8_t d[] = { 0x40, 0x00, 0x00, 0x00, 0xc0, 0x00, 0xc0, 0x00 };
	check_format(SND_PCM_FORMAT_S16_BE, d, 4);
}

static void test_float_nan_is_silenced(void **state)
{
	(void)state;
	float f[2] = { NAN, INFINITY };
	float out = 9;
	assert_int_equal(cr_pcm_to_mono(SND_PCM_FORMAT_FLOAT_LE, 2, 8, f, 1, &out), 0);
	assert_true(isfinite(out) && out >= -1.0f && out <= 1.0f);
}

static void test_refusals(void **state)
{
	(void)state;
	uint8_t d[64] = { 0 };
	float out[4];
	assert_int_equal(cr_pcm_to_mono(SND_PCM_FORMAT_S16_LE, 2, 6, d, 1, out), -EPROTO);
	assert_int_equal(cr_pcm_to_mono(SND_PCM_FORMAT_S16_LE, 0, 0, d, 1, out), -EPROTO);
	assert_int_equal(cr_pcm_to_mono(SND_PCM_FORMAT_MU_LAW, 1, 1, d, 1, out), -ENOTSUP);
	assert_int_equal(cr_pcm_to_mono(12345, 1, 1, d, 1, out), -ENOTSUP);
	assert_int_equal(cr_pcm_frame_bytes(12345, 2), 0);
}

/* Feed `total` frames at `rate` in periods of `period`, flush, count the output. */
static size_t resample_count(unsigned rate, size_t total, size_t period)
{
	struct cr_resampler r;
	float *in = calloc(period, sizeof(float));
	float *out = NULL;
	size_t produced, sum = 0;

	assert_int_equal(cr_resampler_init(&r, rate, 16000), 0);
	out = calloc(cr_resampler_max_out(&r, period), sizeof(float));
	assert_non_null(in);
	assert_non_null(out);
	for (size_t i = 0; i < period; i++)
		in[i] = (float)sin((double)i * 0.05) * 0.5f;
	for (size_t done = 0; done < total; done += period) {
		size_t n = total - done < period ? total - done : period;
		assert_int_equal(cr_resampler_run(&r, in, n, 0, out, cr_resampler_max_out(&r, period),
						  &produced), 0);
		sum += produced;
	}
	assert_int_equal(cr_resampler_run(&r, in, 0, 1, out, cr_resampler_max_out(&r, period),
					  &produced), 0);
	sum += produced;
	cr_resampler_free(&r);
	free(in);
	free(out);
	return sum;
}

static void test_resample_counts(void **state)
{
	(void)state;
	static const unsigned rates[] = { 8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000,
					  192000 };
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		size_t total = rates[i] * 3; /* 3 s */
		size_t got = resample_count(rates[i], total, 441);
		/* 48000 frames of output for 3 s, within a couple of frames of rounding. */
		assert_in_range(got, 48000 - 2, 48000 + 2);
	}
}

static void test_resample_rate_change(void **state)
{
	(void)state;
	struct cr_resampler r;
	float in[4800] = { 0 }, out[8000];
	size_t produced, sum = 0;

	assert_int_equal(cr_resampler_init(&r, 48000, 16000), 0);
	assert_int_equal(cr_resampler_run(&r, in, 4800, 1, out, 8000, &produced), 0);
	sum += produced;
	assert_int_equal(cr_resampler_set_rate(&r, 8000), 0);
	assert_int_equal(cr_resampler_run(&r, in, 800, 1, out, 8000, &produced), 0);
	sum += produced;
	assert_in_range(sum, 3200 - 2, 3200 + 2); /* 0.1 s at each rate: 1600 + 1600 */
	cr_resampler_free(&r);
}


/* Output of the resampler for n input frames of in (one run plus the flush). */
static float *resample_all(unsigned rate, const float *in, size_t n, size_t *got)
{
	struct cr_resampler r;
	size_t cap, p1 = 0, p2 = 0;
	float *out;

	assert_int_equal(cr_resampler_init(&r, rate, 16000), 0);
	cap = cr_resampler_max_out(&r, n);
	out = calloc(cap, sizeof(float));
	assert_int_equal(cr_resampler_run(&r, in, n, 0, out, cap, &p1), 0);
	assert_int_equal(cr_resampler_run(&r, in, 0, 1, out + p1, cap - p1, &p2), 0);
	*got = p1 + p2;
	cr_resampler_free(&r);
	return out;
}

static double rms_mid(const float *x, size_t n)
{
	double s = 0;
	for (size_t i = n / 4; i < 3 * n / 4; i++)
		s += (double)x[i] * x[i];
	return sqrt(s / (double)(n / 2));
}

/* The decimating FIR in front of libsamplerate (48k, 96k ... to 16k): speech band kept,
 * what would alias attenuated by more than 60 dB, output centred on its input. */
static void test_decimator_response(void **state)
{
	(void)state;
	static const unsigned rates[] = { 32000, 48000, 96000 };
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		unsigned rate = rates[k];
		size_t n = rate, got;
		float *in = malloc(n * sizeof(float));
		static const struct { double hz, min, max; } tones[] = {
			{ 300, 0.99, 1.01 }, { 1000, 0.99, 1.01 }, { 3400, 0.98, 1.02 },
			{ 5000, 0.89, 1.02 }, /* within 1 dB up to 5 kHz */
			{ 8900, 0, 0.001 }, { 12000, 0, 0.001 }, /* would alias into the band */
		};
		for (size_t t = 0; t < sizeof(tones) / sizeof(tones[0]); t++) {
			if (tones[t].hz >= rate / 2.0)
				continue;
			for (size_t i = 0; i < n; i++)
				in[i] = 0.5f * (float)sin(2 * M_PI * tones[t].hz * (double)i / rate);
			float *out = resample_all(rate, in, n, &got);
			assert_in_range(got, 16000 - 1, 16000 + 1);
			double gain = rms_mid(out, got) / (0.5 / sqrt(2));
			print_message("# %u Hz in: %.0f Hz tone gain %.5f\n", rate, tones[t].hz, gain);
			assert_true(gain >= tones[t].min && gain <= tones[t].max);
			free(out);
		}
		/* An impulse at input frame 3M lands on output frame 3. */
		memset(in, 0, n * sizeof(float));
		in[(rate / 16000) * 3000] = 1.0f;
		float *out = resample_all(rate, in, n, &got);
		size_t best = 0;
		for (size_t i = 0; i < got; i++)
			if (fabsf(out[i]) > fabsf(out[best]))
				best = i;
		assert_int_equal(best, 3000);
		free(out);
		free(in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s16_le),
		cmocka_unit_test(test_s32_le),
		cmocka_unit_test(test_s24_le),
		cmocka_unit_test(test_s24_3le),
		cmocka_unit_test(test_float_le),
		cmocka_unit_test(test_float64_le),
		cmocka_unit_test(test_u8),
		cmocka_unit_test(test_s16_be),
		cmocka_unit_test(test_float_nan_is_silenced),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_resample_counts),
		cmocka_unit_test(test_resample_rate_change),
		cmocka_unit_test(test_decimator_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
