/* Dates as operators type them: ISO 8601 with and without offsets (the offset decides, not
 * the text), days in a fixed zone and in the local one across summer time, relative spans,
 * and refusal of what is not a date (the ambiguous "m" included). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <cmocka.h>

#include "when.h"

/* 2026-12-03T07:46:00Z */
#define T0 1796283960000LL
static const struct cr_tz utc = { 0, 0 };

static int64_t at(const char *text, const struct cr_tz *tz, int64_t now)
{
	int64_t v = -1;
	const char *why = NULL;

	assert_int_equal(cr_when_parse(text, tz, now, &v, &why), 0);
	return v;
}

static void refused(const char *text)
{
	int64_t v = 0;
	const char *why = NULL;

	assert_int_equal(cr_when_parse(text, &utc, T0, &v, &why), -EINVAL);
	assert_non_null(why);
}

static void test_iso_offsets(void **state)
{
	(void)state;
	struct cr_tz plus1 = { 0, 60 };

	assert_int_equal(at("2026-12-03T07:46:00Z", &utc, 0), T0);
	/* The same instant written with an offset: the text's order is not time order. */
	assert_int_equal(at("2026-12-03T08:46:00+01:00", &utc, 0), T0);
	assert_int_equal(at("2026-12-03T08:46+0100", &utc, 0), T0);
	assert_int_equal(at("2026-12-03T02:46:00-05", &utc, 0), T0);
	assert_int_equal(at("2026-12-03 07:46:00.250Z", &utc, 0), T0 + 250);
	assert_int_equal(at("2026-12-03T07:46:00.5Z", &utc, 0), T0 + 500);
	assert_int_equal(at("2026-12-03T07:46:00.123456789Z", &utc, 0), T0 + 123);
	/* Without an offset the zone asked for applies; with one, the text's offset wins. */
	assert_int_equal(at("2026-12-03T08:46", &plus1, 0), T0);
	assert_int_equal(at("2026-12-03T07:46Z", &plus1, 0), T0);
	assert_int_equal(at("2026-12-03", &plus1, 0), T0 - (7 * 60 + 46) * 60000LL - 3600000LL);
	assert_int_equal(at("1970-01-01", &utc, 0), 0);
	assert_int_equal(at("2024-02-29", &utc, 0), 1709164800000LL);
}

static void test_words_and_spans(void **state)
{
	(void)state;
	struct cr_tz plus1 = { 0, 60 }, minus10 = { 0, -600 };
	int64_t midnight_utc = T0 - (7 * 60 + 46) * 60000LL;

	assert_int_equal(at("now", &utc, T0), T0);
	assert_int_equal(at("today", &utc, T0), midnight_utc);
	assert_int_equal(at("Yesterday", &utc, T0), midnight_utc - 86400000LL);
	assert_int_equal(at("today", &plus1, T0), midnight_utc - 3600000LL);
	/* At 07:46 UTC it is still the 2nd at UTC-10. */
	assert_int_equal(at("today", &minus10, T0), midnight_utc - 86400000LL + 36000000LL);
	assert_int_equal(at("7d", &utc, T0), T0 - 7 * 86400000LL);
	assert_int_equal(at("2w", &utc, T0), T0 - 14 * 86400000LL);
	assert_int_equal(at("12h", &utc, T0), T0 - 12 * 3600000LL);
	assert_int_equal(at("90min", &utc, T0), T0 - 90 * 60000LL);
}

static void test_local_zone_summer_time(void **state)
{
	(void)state;
	struct cr_tz local = { 1, 0 };
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	/* Winter: +01:00; summer: +02:00. */
	assert_int_equal(at("2026-12-03T08:46", &local, 0), T0);
	assert_int_equal(at("2026-07-01T12:00", &local, 0), at("2026-07-01T10:00Z", &utc, 0));
	/* The day of the change to summer time has 23 hours. */
	assert_int_equal(at("2026-03-30", &local, 0) - at("2026-03-29", &local, 0), 23 * 3600000LL);
	assert_int_equal(at("today", &local, T0), at("2026-12-02T23:00Z", &utc, 0));
	assert_int_equal(at("yesterday", &local, at("2026-03-30T12:00Z", &utc, 0)),
			 at("2026-03-28T23:00Z", &utc, 0));
	if (old)
		setenv("TZ", old, 1), free(old);
	else
		unsetenv("TZ");
	tzset();
}

static void test_refusals(void **state)
{
	(void)state;
	const char *bad[] = { "", "tomorrow", "7", "7m", "5mo", "7 d", "-7d", "2026-13-01",
			      "2026-02-30", "2025-02-29", "1969-12-31", "2026-12-03T24:00",
			      "2026-12-03T08:60", "2026-12-03T08:46:61", "2026-12-03T08:46+25:00",
			      "2026-12-03T08:46+01:60", "2026-12-03T08", "2026-12-03T08:46:00.",
			      "2026-12-03T08:46:00Zjunk", "2026-12-03x", "2026/12/03", "26-12-03xx",
			      "99999999999999d", "2026-12-03+01:00" };
	const char *why = NULL;
	int64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i]);
	assert_int_equal(cr_when_parse("7m", &utc, T0, &v, &why), -EINVAL);
	assert_non_null(strstr(why, "ambiguous"));
}

static void test_tz_and_format(void **state)
{
	(void)state;
	struct cr_tz tz;
	char out[32];

	assert_int_equal(cr_tz_parse("local", &tz), 0);
	assert_int_equal(tz.local, 1);
	assert_int_equal(cr_tz_parse("UTC", &tz), 0);
	assert_int_equal(tz.local + tz.offset_min, 0);
	assert_int_equal(cr_tz_parse("+05:30", &tz), 0);
	assert_int_equal(tz.offset_min, 330);
	assert_int_equal(cr_tz_parse("-0345", &tz), 0);
	assert_int_equal(tz.offset_min, -225);
	assert_int_equal(cr_tz_parse("Europe/Amsterdam", &tz), -EINVAL);
	assert_int_equal(cr_tz_parse("+5", &tz), -EINVAL);
	assert_int_equal(cr_tz_parse("+05:30x", &tz), -EINVAL);
	cr_when_format_utc(T0 + 7, out);
	assert_string_equal(out, "2026-12-03T07:46:00.007Z");
	cr_when_format_utc(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_offsets),
		cmocka_unit_test(test_words_and_spans),
		cmocka_unit_test(test_local_zone_summer_time),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_tz_and_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
