/* The archive's wall clock. See clock.h. */
#include "wallclock.h"

#include <string.h>
#include <time.h>

int64_t ad_clock_now(const struct ad_clock *c)
{
	return (int64_t)time(NULL) + (c ? c->offset_s : 0);
}

void ad_format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t ad_parse_time(const char *iso)
{
	struct tm tm;
	const char *p;

	if (!iso)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(iso, "%Y-%m-%d", &tm);
		if (!p || *p)
			return -1;
		return (int64_t)timegm(&tm);
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p != 'Z' && *p != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}
