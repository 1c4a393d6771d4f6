/* Points in time as people type them: ISO 8601 with or without an offset, "today",
 * "yesterday", "now", or a span before now ("90min", "12h", "7d", "2w"). Used wherever an
 * operator gives a date (the console's search and audit filters; meant for the command line's
 * --from/--to as well). No I/O and no global state beyond the C library's time zone, so the
 * parser can be fuzzed. */
#ifndef CALLREC_WHEN_H
#define CALLREC_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* How a date or time written without an offset is read: in this process's local time zone
 * (TZ, /etc/localtime), or at a fixed offset from UTC. */
struct cr_tz {
	int local;      /* 1: the local time zone; 0: offset_min */
	int offset_min; /* minutes east of UTC, -1439..1439 */
};

/* "local", "UTC" (or "Z"), or an offset "+01:00", "-0530", "+05". 0 or -EINVAL. */
int cr_tz_parse(const char *text, struct cr_tz *tz);

/* Milliseconds since the epoch for `text`:
 *   2026-12-03                       midnight starting that day, in tz
 *   2026-12-03T08:46[:00[.250]]      in tz ('T' or one space between date and time)
 *   2026-12-03T08:46:00+01:00        the offset given (Z, +HH:MM, +HHMM or +HH) wins over tz
 *   today, yesterday                 midnight starting that day, in tz
 *   now                              now_ms
 *   90min, 12h, 7d, 2w               that long before now_ms (s is not accepted, nor the
 *                                    ambiguous m: minutes are "min")
 * 0, or -EINVAL with a reason in why (when why is not NULL). */
int cr_when_parse(const char *text, const struct cr_tz *tz, int64_t now_ms, int64_t *out_ms,
		  const char **why);

/* ms since the epoch as "2026-12-03T07:46:00.000Z" (UTC, milliseconds, the form the agent
 * writes call start times in, so that the two compare as text in time order). */
void cr_when_format_utc(int64_t ms, char out[32]);

/* The current time in ms since the epoch (CLOCK_REALTIME). */
int64_t cr_when_now_ms(void);

#endif
