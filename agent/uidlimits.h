/* What one local user may hold of the agent's control socket. In system mode the socket is
 * open to every local user (who is recorded is decided from the kernel's word about the peer,
 * not from who may connect), and each connection costs the agent a descriptor, each recorded
 * stream a descriptor and a ring of several MiB. Without a bound per user, one user's idle
 * connections could use up the agent's descriptors, and the next softphone of another user
 * would go unrecorded (or, with on_failure: block, be muted).
 *
 * So every connection is counted against its peer's uid (SO_PEERCRED, at accept): at most
 * `max_pending` not yet past their HELLO, at most `max_streams` recorded streams. What is
 * refused is refused before anything is allocated for it, counted per uid, and shown by
 * `callrec status`. Pure bookkeeping, no I/O. */
#ifndef CALLREC_AGENT_UIDLIMITS_H
#define CALLREC_AGENT_UIDLIMITS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CR_UID_STREAMS_DEFAULT 16 /* a softphone uses 2, a PipeWire recorded line 2 */
#define CR_UID_PENDING_DEFAULT 8
#define CR_UID_TABLE_MAX 4096     /* local users with connections or refusals remembered */

struct cr_uid_use {
	uid_t uid;
	unsigned pending, streams;         /* held now */
	uint64_t refused_pending, refused_streams;
	uint64_t logged_ns;                /* when a refusal of this uid was last logged */
};

struct cr_uidlimits {
	unsigned max_streams, max_pending;
	struct cr_uid_use *u;
	size_t n, cap;
	uint64_t refused_nofile;  /* connections closed because the agent had no descriptor */
	uint64_t refused_table;   /* connections of a uid the table had no room for */
};

void cr_uidlimits_init(struct cr_uidlimits *l, unsigned max_streams, unsigned max_pending);
void cr_uidlimits_free(struct cr_uidlimits *l);

/* A new connection of uid: 0 (counted as pending) or -EUSERS (refused, counted). */
int cr_uid_admit_pending(struct cr_uidlimits *l, uid_t uid);
void cr_uid_pending_done(struct cr_uidlimits *l, uid_t uid);
/* A recorded stream of uid, before its ring exists: 0 (counted) or -EUSERS (refused). */
int cr_uid_admit_stream(struct cr_uidlimits *l, uid_t uid);
void cr_uid_stream_done(struct cr_uidlimits *l, uid_t uid);

/* The entry of uid (NULL when it has none): for rate-limited log lines. */
struct cr_uid_use *cr_uid_find(struct cr_uidlimits *l, uid_t uid);

/* For `callrec status`: the limits, and the refusals per uid (a user sees their own; root
 * every uid's), with the total of everyone else's. A new object. */
json_t *cr_uidlimits_status(const struct cr_uidlimits *l, uid_t viewer);

#endif
