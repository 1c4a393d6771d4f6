/* The agent's view of the recording policy (SPEC 4.2): a loaded policy with its hash and its
 * announcements decoded once, shared by reference between the agent (the current policy) and
 * the streams and calls that were decided under it, so a SIGHUP never pulls a purpose from
 * under a running call. A NULL policy inside means the built-in demo rule: record every
 * process that opens both directions. */
#ifndef CALLREC_AGENT_POLICY_GLUE_H
#define CALLREC_AGENT_POLICY_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "peer.h"
#include "policy.h"

#define CR_ANNOUNCE_RATES 6

/* An announcement decoded to mono float at its file's rate, and resampled to S16 at the
 * stream rates calls used (resampling takes tens of ms: never twice, and the common rates
 * already when the policy is loaded, not while a call waits for it). */
struct cr_announce {
	float *s;
	size_t n;
	unsigned rate;
	char path[4096];
	struct { unsigned rate; int16_t *pcm; size_t n; } at[CR_ANNOUNCE_RATES];
};

/* The announcement at `rate` (cached; the buffer belongs to a). 0 or negative errno. */
int cr_announce_at(struct cr_announce *a, unsigned rate, const int16_t **pcm, size_t *n);
void cr_announce_free(struct cr_announce *a);

struct cr_pol {
	unsigned refs;
	struct cr_policy *p; /* NULL: built-in rule */
	char sha256[65];     /* hex of p->hash, "" for the built-in rule */
	struct cr_announce *ann; /* one per purpose (s == NULL when not announce) */
};

/* Load, validate and decode the announcements. 0 with *out (one reference), -EINVAL with
 * diagnostics for an invalid policy, other negative errno when the file cannot be read. */
int cr_pol_load(const char *path, const char *announce_dir, struct cr_pol **out,
		struct cr_diags *d);
/* The built-in rule (one reference), NULL only when out of memory. */
struct cr_pol *cr_pol_builtin(void);
struct cr_pol *cr_pol_ref(struct cr_pol *pol);
void cr_pol_unref(struct cr_pol *pol);

/* Decide for a stream: 1 = record (purpose index in *purpose, -1 for the built-in rule; rule
 * index in *rule), 0 = pass (no rule matched, or the first matching rule says `record: no`). */
int cr_pol_decide(const struct cr_pol *pol, const struct cr_peer *peer, const char *line,
		  int *rule, int *purpose);

/* The purpose, or NULL (built-in rule / index out of range). */
const struct cr_purpose *cr_pol_purpose(const struct cr_pol *pol, int purpose);

/* Decode a WAV (any rate, mono or stereo: averaged) with libsndfile. 0 or negative errno. */
int cr_announce_read(const char *path, struct cr_announce *a);

#endif
