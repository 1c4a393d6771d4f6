/* The hash-chained audit log (SPEC 6.3): DATA/audit.log, one JSON object per line:
 *   {"seq":N,"time":"...Z","actor":NAME,"role":ROLE,"action":A,"call":HEX|null,
 *    "outcome":"ok"|"refused"|"error","detail":TEXT,"prev":HEX}
 * where prev is the SHA-256 (hex) of the previous line's bytes (without the newline), 64
 * zeros for the first. Each line is appended and fdatasync'ed before the action's answer.
 * Editing any line breaks the next line's prev; editing the last one disagrees with the
 * head the archive keeps in memory and hands out with the log (`callrec-archive audit`).
 * Thread-safe (the event loop and the sweeper both write). */
#ifndef CALLREC_ARCHIVED_RIGHTS_AUDIT_H
#define CALLREC_ARCHIVED_RIGHTS_AUDIT_H

#include <stddef.h>

/* Open (create) DIR/audit.log and check its chain (a broken chain is logged as an alarm,
 * and the log continues from its last line). 0 or -errno. */
int ad_audit_open(const char *dir);
void ad_audit_close(void);
/* Append one entry; a no-op when no log is open (unit tests). 0 or -errno (logged). */
int ad_audit(const char *actor, const char *role, const char *action, const char *call_hex,
	     const char *outcome, const char *detail);
/* Path of the log and the head hash (hex), for the `audit` request. 0, or -ENOENT when no
 * log is open. */
int ad_audit_head(char path[4096], char head[65]);

#endif
