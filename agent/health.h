/* The agent's heartbeat (SPEC 4.7): what the archive's health view (`callrec-archive
 * devices`) shows for this desktop. Sent as CR_F_HEARTBEAT JSON right after every (re)connect
 * and every 30 s. Keys (all present; counters over the agent's life):
 *   "state"            "running", or "spool_full" while new audio finds no room
 *   "software"         "callrec-agent VERSION"      "version": "VERSION"
 *   "calls"            active calls
 *   "backlog_frames", "backlog_bytes"   frames (CALL_OPEN/CHUNK/CALL_CLOSE) spooled, not acked
 *   "backlog"          {"chunks": N, "bytes": N}    the same, grouped
 *   "last_ack"         {"call": HEX, "seq": N} or null   the last frame the archive acknowledged
 *   "acked_frames", "refused_frames"    acknowledgements with status 0 / other
 *   "dropped_frames"   frames the plugins could not store in their rings (gaps "dropped")
 *   "spool"            {"bytes", "max_bytes", "full": bool, "evict_oldest": bool,
 *                       "refused_chunks", "refused_seconds"   chunks not spooled: spool full,
 *                       "evicted_chunks", "evicted_seconds"}  chunks evicted (oldest first)
 *   "tls_resumed"      reconnects that resumed a TLS session
 * Pure code apart from jansson. */
#ifndef CALLREC_AGENT_HEALTH_H
#define CALLREC_AGENT_HEALTH_H

#include <stdint.h>

struct cr_health {
	const char *state;
	const char *version;
	uint64_t calls;
	uint64_t backlog_frames, backlog_bytes;
	const char *last_ack_call; /* NULL or "" when nothing was acknowledged yet */
	uint64_t last_ack_seq;
	uint64_t acked_frames, refused_frames;
	uint64_t dropped_frames;
	uint64_t spool_bytes, spool_max_bytes;
	int spool_full, evict_oldest;
	uint64_t refused_chunks, refused_frames_audio; /* audio frames at the archive rate */
	uint64_t evicted_chunks, evicted_frames_audio;
	unsigned rate; /* archive rate, for the seconds */
	uint64_t tls_resumed;
};

/* malloc'd JSON text, or NULL on allocation failure. */
char *cr_health_json(const struct cr_health *h);

#endif
