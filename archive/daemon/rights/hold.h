/* Legal holds: a held call is neither swept nor erased. A hold is placed with a
 * reason by one operator; releasing it takes two different operators: the first `release`
 * records a request, a second operator's `release` completes it. */
#ifndef CALLREC_ARCHIVED_RIGHTS_HOLD_H
#define CALLREC_ARCHIVED_RIGHTS_HOLD_H

#include "store/store.h"

/* Placed at `now` (unix s). 0, -ENOENT (no such call or erased), -EALREADY (already held), or
 * -errno. */
int ad_hold_place(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who, int64_t now);
/* *released = 1 when this completed the release, 0 when it recorded the request.
 * -ENOENT (unknown), -ENOLINK (not on hold), -EPERM (the same operator approving twice),
 * -EAGAIN (the hold changed meanwhile). */
int ad_hold_release(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		    const char *who, int *released);

#endif
