/* JSON parts of CALL_OPEN and CALL_CLOSE (docs/design.md "CALL_OPEN metadata"). */
#ifndef CALLREC_AGENT_META_H
#define CALLREC_AGENT_META_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "timeline.h"

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
};

/* "2026-11-23T10:00:00.123Z" */
void cr_iso_time(const struct timespec *ts, char out[32]);

/* malloc'd JSON text or NULL on allocation failure. */
char *cr_meta_open_json(const struct cr_call_meta *m);
char *cr_meta_close_json(const struct timespec *end, uint64_t frames, unsigned rate,
			 const struct cr_gap *gaps, size_t ngaps);

#endif
