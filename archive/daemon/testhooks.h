/* Fault injection for the crash tests, compiled only into the test build of the daemon
 * (build/tests/callrec-archived-testhooks, built with -DCALLREC_TEST_HOOKS); the installed
 * callrec-archived contains none of it.
 *
 * That build takes two more options (main.c): --test-crash-at POINT makes the process
 * _exit(99) when it reaches AD_CRASH_POINT(POINT) (store/erase.c names erase-after-mark,
 * erase-after-key and erase-after-objects), and --test-clock-offset SECONDS moves the
 * archive's clock (clock.h), e.g. to expire a one-day recording at once. */
#ifndef CALLREC_ARCHIVED_TESTHOOKS_H
#define CALLREC_ARCHIVED_TESTHOOKS_H

#ifdef CALLREC_TEST_HOOKS
#include <string.h>
#include <unistd.h>

#include "log.h"

struct ad_testhooks {
	const char *crash_at; /* a crash point's name, or NULL */
	long long clock_offset_s;
};

static inline void ad_crash_point(const struct ad_testhooks *h, const char *name)
{
	if (h && h->crash_at && strcmp(h->crash_at, name) == 0) {
		cr_err("test: crashing at %s (--test-crash-at)", name);
		_exit(99);
	}
}
#define AD_CRASH_POINT(hooks, name) ad_crash_point(hooks, name)
#else
#define AD_CRASH_POINT(hooks, name) ((void)0)
#endif

#endif
