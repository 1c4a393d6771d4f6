/* What the archive reads from a call's CALL_OPEN metadata (the JSON the agent sends): its
 * archive rate and its retention deadline. Pure functions of the text. */
#ifndef CALLREC_ARCHIVED_STORE_META_H
#define CALLREC_ARCHIVED_STORE_META_H

#include <jansson.h>
#include <stdint.h>

#define AD_RATE 16000u /* a call whose CALL_OPEN names no rate */
#define AD_CHANNELS 2u /* 1 the local party, 2 the remote party */

/* The archive rate of a call from its CALL_OPEN metadata ("rate": the policy's
 * recording.rate): 8000, 16000, 32000 or 48000; AD_RATE when absent; 0 when it is anything
 * else. */
unsigned ad_call_rate(const char *meta_json);
/* The same of metadata already parsed (NULL: AD_RATE). */
unsigned ad_meta_rate(json_t *meta);
/* Deadline (unix seconds): start + retention_ms, or 0 when the metadata names no retention
 * (kept until an operator erases it). */
int64_t ad_retention_deadline(const char *meta_json);

#endif
