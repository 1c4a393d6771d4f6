/* The hash-chained audit log: DATA/audit.log, one JSON object per line:
 *   {"seq":N,"time":"...Z","actor":NAME,"role":ROLE,"action":A,"call":HEX|null,
 *    "outcome":"ok"|"refused"|"error","detail":TEXT,"prev":HEX}
 * where prev is the SHA-256 (hex) of the previous line's bytes (without the newline), 64
 * zeros for the first. Each line is appended and fdatasync'ed before the action's answer.
 * Editing any line breaks the next line's prev; editing the last one disagrees with the
 * head the archive keeps in memory and hands out with the log (`callrec-archive audit`).
 *
 * A handle owned by the server; thread-safe (the event loop and the worker both write). Any
 * module may write to it: it calls nothing but the clock. */
#ifndef CALLREC_ARCHIVED_RIGHTS_AUDIT_H
#define CALLREC_ARCHIVED_RIGHTS_AUDIT_H

#include <stddef.h>

#include "wallclock.h"

struct ad_audit;

/* Open (create) DIR/audit.log and check its chain (a broken chain is logged as an alarm,
 * and the log continues from its last line). 0 or -errno. */
int ad_audit_open(const char *dir, const struct ad_clock *clock, struct ad_audit **out);
void ad_audit_close(struct ad_audit *a);
/* Append one entry; a no-op when a is NULL (unit tests without a log). 0 or -errno (logged). */
int ad_audit(struct ad_audit *a, const char *actor, const char *role, const char *action,
	     const char *call_hex, const char *outcome, const char *detail);
/* Path of the log and the head hash (hex), for the `audit` request. 0, or -ENOENT without a
 * log. */
int ad_audit_head(struct ad_audit *a, char path[4096], char head[65]);

#endif
