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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
