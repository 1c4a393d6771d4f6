/* Dates and times as operators type them. See when.h. */
#include "when.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DAY_MS (86400LL * 1000)
#define MAX_SPAN_DAYS 100000LL /* about 270 years: any span larger is a typing error */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Exactly `n` decimal digits at *p (advanced past them). -1 when not. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	return v;
}

/* Z, +HH, +HHMM or +HH:MM at *p; minutes east of UTC in *off. 0, or -1 (bad), or 1 when
 * there is no zone designator at all. */
static int zone(const char **p, int *off)
{
	const char *s = *p;
	int sign, h, m = 0;

	if (*s == 'Z' || *s == 'z') {
		*off = 0;
		*p = s + 1;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return 1;
	sign = *s++ == '-' ? -1 : 1;
	if ((h = digits(&s, 2)) < 0 || h > 23)
		return -1;
	if (*s == ':')
		s++, m = digits(&s, 2);
	else if (*s >= '0' && *s <= '9')
		m = digits(&s, 2);
	if (m < 0 || m > 59)
		return -1;
	*off = sign * (h * 60 + m);
	*p = s;
	return 0;
}

int cr_tz_parse(const char *text, struct cr_tz *tz)
{
	const char *p = text;
	int off;

	if (!text)
		return -EINVAL;
	if (strcasecmp(text, "local") == 0) {
		tz->local = 1;
		tz->offset_min = 0;
		return 0;
	}
	if (strcasecmp(text, "UTC") == 0 || strcasecmp(text, "GMT") == 0) {
		tz->local = 0;
		tz->offset_min = 0;
		return 0;
	}
	if (zone(&p, &off) != 0 || *p)
		return -EINVAL;
	tz->local = 0;
	tz->offset_min = off;
	return 0;
}

/* Civil time (already validated) read in tz, or at the explicit offset when have_off. */
static int civil_to_ms(int y, int mo, int d, int h, int mi, int s, int ms, const struct cr_tz *tz,
		       int have_off, int off, int64_t *out)
{
	if (have_off || !tz->local) {
		int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
		int o = have_off ? off : tz->offset_min;

		*out = (days * 86400 + h * 3600 + mi * 60 + s - (int64_t)o * 60) * 1000 + ms;
		return 0;
	}
	/* The local zone: mktime knows its rules (summer time included); tm_isdst -1 lets it
	 * decide which applies on that date. */
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = s, .tm_isdst = -1 };
	time_t t = mktime(&tm);

	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
		return -EINVAL;
	*out = (int64_t)t * 1000 + ms;
	return 0;
}

/* Midnight starting the day `back` days before the day now_ms falls on, in tz. */
static int midnight(const struct cr_tz *tz, int64_t now_ms, int back, int64_t *out)
{
	int64_t secs = now_ms / 1000 - (now_ms % 1000 < 0);

	if (tz->local) {
		time_t t = (time_t)secs;
		struct tm tm;

		if (!localtime_r(&t, &tm))
			return -EINVAL;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday -= back;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		*out = (int64_t)t * 1000;
		return 0;
	}
	/* Day number in the zone's own calendar, then back to UTC. */
	int64_t local = secs + (int64_t)tz->offset_min * 60;
	int64_t day = local / 86400 - (local % 86400 < 0);

	*out = ((day - back) * 86400 - (int64_t)tz->offset_min * 60) * 1000;
	return 0;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* "90min", "12h", "7d", "2w": that long before now. */
static int span(const char *text, int64_t now_ms, int64_t *out, const char **why)
{
	const char *p = text;
	int64_t n = 0, unit_ms;

	while (*p >= '0' && *p <= '9' && p - text < 9)
		n = n * 10 + (*p++ - '0');
	if (p == text)
		return fail(why, "expected a date (2026-12-03, 2026-12-03T08:46+01:00), today, "
				 "yesterday, now, or a span before now (90min, 12h, 7d, 2w)");
	if (strcmp(p, "min") == 0)
		unit_ms = 60000;
	else if (strcmp(p, "h") == 0)
		unit_ms = 3600000;
	else if (strcmp(p, "d") == 0)
		unit_ms = DAY_MS;
	else if (strcmp(p, "w") == 0)
		unit_ms = 7 * DAY_MS;
	else if (strcmp(p, "m") == 0)
		return fail(why, "'m' is ambiguous: write min for minutes (or give days, d)");
	else
		return fail(why, "a span before now needs a unit: min, h, d or w (7d)");
	if (n * unit_ms / DAY_MS > MAX_SPAN_DAYS)
		return fail(why, "span too long");
	*out = now_ms - n * unit_ms;
	return 0;
}

int cr_when_parse(const char *text, const struct cr_tz *tz, int64_t now_ms, int64_t *out_ms,
		  const char **why)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, off = 0, have_off = 0, rc;

	if (!text || !*text)
		return fail(why, "empty date");
	if (strcasecmp(text, "now") == 0) {
		*out_ms = now_ms;
		return 0;
	}
	if (strcasecmp(text, "today") == 0 || strcasecmp(text, "yesterday") == 0) {
		rc = midnight(tz, now_ms, text[0] == 'y' || text[0] == 'Y', out_ms);
		return rc < 0 ? fail(why, "the date is out of range") : 0;
	}
	if (strlen(text) < 10 || text[4] != '-')
		return span(text, now_ms, out_ms, why);
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 0)
		return fail(why, "expected a date as YYYY-MM-DD");
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return fail(why, "no such date");
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0)
			return fail(why, "expected a time as HH:MM[:SS]");
		if (*p == ':' && (p++, (s = digits(&p, 2)) < 0))
			return fail(why, "expected seconds as two digits");
		if (*p == '.' || *p == ',') {
			int n = 0;

			for (p++; *p >= '0' && *p <= '9'; p++, n++)
				if (n < 3)
					ms = ms * 10 + (*p - '0');
			if (n == 0)
				return fail(why, "expected digits after the decimal point");
			for (; n < 3; n++)
				ms *= 10;
		}
		if (h > 23 || mi > 59 || s > 59)
			return fail(why, "no such time of day");
		rc = zone(&p, &off);
		if (rc < 0)
			return fail(why, "expected an offset as Z, +HH:MM or -HH:MM");
		have_off = rc == 0;
	}
	if (*p)
		return fail(why, "unexpected text after the date");
	if (civil_to_ms(y, mo, d, h, mi, s, ms, tz, have_off, off, out_ms) < 0)
		return fail(why, "the date is out of range");
	return 0;
}

void cr_when_format_utc(int64_t ms, char out[32])
{
	int64_t secs = ms / 1000 - (ms % 1000 < 0);
	int64_t rem = ms - secs * 1000;
	time_t t = (time_t)secs;
	struct tm tm;
	char base[24] = "1970-01-01T00:00:00";

	if (gmtime_r(&t, &tm))
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.20s.%03dZ", base, (int)rem);
}

int64_t cr_when_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
