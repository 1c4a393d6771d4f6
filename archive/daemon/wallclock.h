/* The archive's wall clock: what every module asks for "now" (audit lines, checkpoint times,
 * hold and erasure times, retention deadlines, heartbeat ages, call creation). One clock that
 * tests can move: unit tests set `offset_s` directly; the test-hooks build of the daemon sets
 * it from --test-clock-offset (testhooks.h). Read-only once the daemon runs, so every thread
 * shares it without a lock.
 *
 * Intervals (timeouts, the sweep period) use CLOCK_MONOTONIC instead: moving the wall clock
 * must never stall or hurry them. */
#ifndef CALLREC_ARCHIVED_WALLCLOCK_H
#define CALLREC_ARCHIVED_WALLCLOCK_H

#include <stdint.h>

struct ad_clock {
	int64_t offset_s; /* added to the system's time: 0 in production */
};

/* Unix seconds now. */
int64_t ad_clock_now(const struct ad_clock *c);

/* RFC 3339 UTC of t ("2026-11-23T10:00:00Z") into out. */
void ad_format_time(int64_t t, char out[32]);
/* "2026-11-23T10:00:00.123Z" (or without fraction, or a date alone) into unix seconds; -1
 * when malformed. */
int64_t ad_parse_time(const char *iso);

#endif
