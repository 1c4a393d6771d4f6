/* JSON parts of CALL_OPEN and CALL_CLOSE (docs/design.md "CALL_OPEN metadata", plus the
 * policy's fields, SPEC 4.3 and issue 4):
 * CALL_OPEN adds purpose, description, legal_basis, retention_ms, retention (ISO 8601
 *   duration), retention_until (RFC 3339), access [roles], policy_sha256, rule_index,
 *   on_failure, employees_notice, disclosure {mode, announcement, notice, events: []}.
 * CALL_CLOSE adds pauses [{start_ms,length_ms}] (also listed in gaps with cause "pause" on
 *   both channels), tags {k: v}, failures [{start_ms,length_ms,reason}] and disclosure
 *   {mode, announcement, notice, events [{kind,start_ms,length_ms,stream_pos}]}. */
#ifndef CALLREC_AGENT_META_H
#define CALLREC_AGENT_META_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "disclosure.h"
#include "policy.h"
#include "timeline.h"

#define CR_TAG_KEY_MAX 32
#define CR_TAG_VALUE_MAX 128
#define CR_TAGS_MAX 32

struct cr_call_meta {
	char user[64];
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char application[256];
	char exe[4096];
	char line[64];
	char host[256];
	struct timespec start; /* CLOCK_REALTIME */
	unsigned rate, channels;
	/* The decision: NULL purpose is the built-in demo rule. The pointers belong to the
	 * policy the call holds a reference to. */
	const struct cr_purpose *purpose;
	const char *policy_sha256;
	int rule;
	enum cr_on_failure on_failure;
	const char *employees_notice;
};

/* A stretch of a call (pause, failure), call-relative. */
struct cr_span {
	int64_t start_ms, length_ms;
	char reason[128];
};

struct cr_tag {
	char key[CR_TAG_KEY_MAX + 1];
	char value[CR_TAG_VALUE_MAX + 1];
};

/* What only the end of a call knows. */
struct cr_call_end {
	struct timespec end;
	uint64_t frames;
	unsigned rate;
	const struct cr_gap *gaps;
	size_t ngaps;
	const struct cr_span *pauses;
	size_t npauses;
	const struct cr_tag *tags;
	size_t ntags;
	const struct cr_span *failures;
	size_t nfailures;
	const struct cr_call_meta *meta;      /* for the disclosure description; may be NULL */
	const struct cr_disclosure *disclosure; /* may be NULL */
};

/* "2026-11-23T10:00:00.123Z" */
void cr_iso_time(const struct timespec *ts, char out[32]);
/* ISO 8601 duration of ms: "P90D", or "PT1.500S" when not whole days. */
void cr_iso_duration(unsigned long long ms, char out[40]);

/* malloc'd JSON text or NULL on allocation failure. */
char *cr_meta_open_json(const struct cr_call_meta *m);
char *cr_meta_close_json(const struct timespec *end, uint64_t frames, unsigned rate,
			 const struct cr_gap *gaps, size_t ngaps);
char *cr_meta_close_json_full(const struct cr_call_end *e);

#endif
