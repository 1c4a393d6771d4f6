/* Heartbeat JSON: see health.h. */
#include "health.h"

#include <jansson.h>
#include <stdio.h>

static double seconds(uint64_t frames, unsigned rate)
{
	return rate ? (double)frames / rate : 0.0;
}

char *cr_health_json(const struct cr_health *h)
{
	char software[96];
	json_t *o, *last;
	char *s;

	snprintf(software, sizeof(software), "callrec-agent %s", h->version);
	if (h->last_ack_call && h->last_ack_call[0])
		last = json_pack("{s:s, s:I}", "call", h->last_ack_call, "seq",
				 (json_int_t)h->last_ack_seq);
	else
		last = json_null();
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:{s:I, s:I}, s:o, s:I, s:I, s:I, s:I}",
		      "state", h->state, "software", software, "version", h->version,
		      "calls", (json_int_t)h->calls,
		      "backlog_frames", (json_int_t)h->backlog_frames,
		      "backlog_bytes", (json_int_t)h->backlog_bytes,
		      "backlog", "chunks", (json_int_t)h->backlog_frames,
		      "bytes", (json_int_t)h->backlog_bytes,
		      "last_ack", last ? last : json_null(),
		      "acked_frames", (json_int_t)h->acked_frames,
		      "refused_frames", (json_int_t)h->refused_frames,
		      "dropped_frames", (json_int_t)h->dropped_frames,
		      "tls_resumed", (json_int_t)h->tls_resumed);
	if (o)
		json_object_set_new(o, "spool", json_pack(
			"{s:I, s:I, s:b, s:b, s:I, s:f, s:I, s:f}",
			"bytes", (json_int_t)h->spool_bytes, "max_bytes", (json_int_t)h->spool_max_bytes,
			"full", h->spool_full, "evict_oldest", h->evict_oldest,
			"refused_chunks", (json_int_t)h->refused_chunks,
			"refused_seconds", seconds(h->refused_frames_audio, h->rate),
			"evicted_chunks", (json_int_t)h->evicted_chunks,
			"evicted_seconds", seconds(h->evicted_frames_audio, h->rate)));
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}
