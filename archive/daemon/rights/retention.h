/* Retention (SPEC 6.3): every recording expires at start + its purpose's retention and is
 * erased then by the sweeper unless it is on hold. The sweeper runs in the worker thread
 * (never in the event loop) every `sweep_interval`.
 *
 * Test-only: CALLREC_TEST_NOW_OFFSET=SECONDS in the daemon's environment moves the clock the
 * sweeper compares deadlines with, so tests can expire a 1-day recording at once. */
#ifndef CALLREC_ARCHIVED_RIGHTS_RETENTION_H
#define CALLREC_ARCHIVED_RIGHTS_RETENTION_H

#include <stdint.h>

#include "store/store.h"

/* Deadline (unix seconds) from CALL_OPEN metadata: start + retention_ms, or 0 when the
 * metadata names no retention (kept until erased by an operator). */
int64_t ad_retention_deadline(const char *meta_json);
/* "2026-11-23T10:00:00.123Z" (or without fraction) into unix seconds; -1 when malformed. */
int64_t ad_parse_time(const char *iso);
/* Unix seconds now, plus CALLREC_TEST_NOW_OFFSET when set. */
int64_t ad_now(void);
/* RFC 3339 UTC of t into out (at least 21 bytes). */
void ad_format_time(int64_t t, char out[32]);

void ad_retention_configure(uint64_t sweep_interval_ms);
uint64_t ad_retention_interval_ms(void);
/* Erase every expired recording not on hold. Number erased, or -errno. */
int ad_retention_sweep(struct ad_store *s);

#endif
