/* The manifest of an assembled call: who, what, when, gaps, every chunk hash and the audio
 * hash, as JSON; the policy's decision as the agent sent it (purpose, legal basis,
 * retention and its deadline, access roles, policy hash, disclosure), pauses and tags. The
 * bytes are signed and logged (record/mlog.h), so the output must be deterministic. */
#ifndef CALLREC_ARCHIVED_RECORD_MANIFEST_H
#define CALLREC_ARCHIVED_RECORD_MANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "hex.h"
#include "store/meta.h"
#include "store/store.h"
#include "version.h"

#define AD_SOFTWARE "callrec-archived " CR_VERSION

/* A hole in the chunk timeline that the agent did not report. */
struct ad_hole {
	uint64_t start_frame, frames;
};

struct ad_manifest_in {
	const struct ad_call_info *call;
	const struct ad_chunk_info *chunks;
	size_t nchunks;
	const struct ad_hole *holes;
	size_t nholes;
	uint64_t total_frames;
	const char *audio_sha256_hex;
	int64_t expires; /* retention deadline, unix s; 0 none */
};

/* New reference to the manifest object, or NULL on allocation failure. */
json_t *ad_manifest_build(const struct ad_manifest_in *in);
/* Tags of a call: CALL_OPEN's "tags" overridden by CALL_CLOSE's (string values only). */
json_t *ad_manifest_tags(json_t *meta, json_t *close);

#endif
