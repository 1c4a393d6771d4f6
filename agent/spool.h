/* The agent's spool: every frame of every call as the exact bytes to send, one file per
 * (call, seq): SPOOL/CALLHEX/SEQ.frame, written atomically and durably before it is sent and
 * deleted only after the archive acknowledged it. The spool alone can replay every call
 * after a restart.
 *
 * One exception keeps restarts exact: the acknowledged frame with the highest seq of a call
 * whose CALL_CLOSE is not yet spooled stays on disk until a later frame replaces it, so a
 * restarted agent always knows where the call ended (it re-sends it; the archive treats the
 * identical frame as a duplicate).
 *
 * Size cap (agent.yaml spool.max_bytes): CALL_OPEN and CALL_CLOSE are always spooled (they are
 * small and without them nothing of a call can be shown); a CHUNK is spooled only if it fits
 * (cr_spool_admit). When it does not, and spool.evict_oldest is set, the oldest chunks not in
 * flight (oldest call first, lowest seq first) are deleted to make room and each is reported
 * in its call's CALL_CLOSE: a gap {cause "evicted"} per channel and the seq in
 * "evicted_seqs" (so the archive knows which sequence numbers will never come). Otherwise the
 * new chunk is not spooled: the caller leaves it out of the call (a gap "spool_full").
 *
 * Integrity: a spooled CHUNK is verified when the spool is scanned and again right before it
 * is sent: cr_chunk_hash is recomputed over its header and audio and compared with the hash it
 * carries, and its prev_hash with the hash of the previous seq when that is known. A chunk that
 * fails is renamed SEQ.frame.corrupt (kept for inspection, never sent, no longer counted in
 * the spool's bytes) and reported like an evicted one: the seq in "evicted_seqs" and a gap
 * {cause "corrupt"} per channel in its call's CALL_CLOSE, so the archive can still close the
 * call. */
#ifndef CALLREC_AGENT_SPOOL_H
#define CALLREC_AGENT_SPOOL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

enum cr_send_state { CR_SEND_PENDING = 0, CR_SEND_INFLIGHT, CR_SEND_REFUSED };

struct cr_spool_entry {
	uint64_t seq;
	uint32_t bytes;
	uint8_t type;  /* CR_F_CALL_OPEN / CR_F_CHUNK / CR_F_CALL_CLOSE */
	uint8_t acked; /* acknowledged, file kept as the call's end marker */
	uint8_t send;  /* enum cr_send_state, for the current connection */
	uint8_t has_hash; /* a CHUNK whose header was read: hash and prev_hash below */
	uint8_t bad;      /* the scan found its hash wrong: quarantined before any send */
	uint8_t hash[CR_HASH_BYTES], prev_hash[CR_HASH_BYTES];
};

enum cr_spool_lost_cause { CR_SPOOL_EVICTED = 0, CR_SPOOL_CORRUPT };

struct cr_spool_evicted {
	uint64_t seq, start_frame;
	uint32_t frames, rate;
	uint8_t cause; /* enum cr_spool_lost_cause */
};

struct cr_spool_call {
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	struct cr_spool_entry *e; /* ascending seq */
	size_t n, cap;
	int has_close;
	uint64_t order; /* creation order: lower is older */
	struct cr_spool_evicted *ev; /* chunks evicted from this call, to report at its close */
	size_t nev, evcap;
	/* hash of the highest chunk deleted intact (acknowledged or evicted): the prev_hash
	 * the next seq must carry once that chunk's entry is gone */
	int has_known;
	uint64_t known_seq;
	uint8_t known_hash[CR_HASH_BYTES];
	struct cr_spool_call *next;
};

struct cr_spool {
	char dir[PATH_MAX - 128]; /* room for CALLHEX/SEQ.frame within PATH_MAX */
	unsigned long long max_bytes; /* 0 = no cap */
	struct cr_spool_call *calls;
	uint64_t bytes; /* in spool files on disk */
	int evict_oldest;     /* agent.yaml spool.evict_oldest */
	int full;             /* the last chunk offered did not fit */
	uint64_t next_order;
	/* counters over the agent's life, for the heartbeat */
	uint64_t refused_chunks, refused_audio_frames; /* not spooled: full */
	uint64_t evicted_chunks, evicted_audio_frames;
	uint64_t corrupt_chunks; /* renamed .corrupt, never sent */
};

/* Create the directory (mode 0700) if needed. 0 or negative errno. */
int cr_spool_open(struct cr_spool *s, const char *dir, unsigned long long max_bytes);
void cr_spool_close(struct cr_spool *s);

/* Load what a previous run left: every valid SEQ.frame under every call directory. Invalid
 * files are logged and left alone. 0 or negative errno. */
int cr_spool_scan(struct cr_spool *s);

/* Calls found by cr_spool_scan() whose CALL_CLOSE is missing were cut short by the agent
 * stopping: spool a CALL_CLOSE for each (gap cause "agent"). Returns how many were closed
 * or a negative errno. */
int cr_spool_close_orphans(struct cr_spool *s);

/* Spool one frame (atomic + durable). 0 or negative errno. */
int cr_spool_put(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		 uint8_t type, const uint8_t *frame, size_t len);

/* The archive acknowledged (id, seq) as durable: delete it (see the exception above); a
 * CALL_CLOSE acknowledgement removes the call's directory. Returns the entry's byte count
 * (>= 0) or -ENOENT for an unknown (id, seq). */
long cr_spool_ack(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq);

struct cr_spool_entry *cr_spool_find(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES],
				     uint64_t seq, struct cr_spool_call **call);

/* Read one spooled frame into a malloc'd buffer. 0 or negative errno. */
int cr_spool_read(const struct cr_spool *s, const struct cr_spool_call *c,
		  const struct cr_spool_entry *e, uint8_t **buf, size_t *len);

/* Verify the CHUNK in entry i of call c whose spooled bytes are buf (read by cr_spool_read)
 * before sending it. 0: intact (or not a chunk), send it. 1: corrupt: it was quarantined and
 * entry i no longer exists (the entries after it moved down by one). Negative errno: it could
 * not be quarantined now; do not send it. */
int cr_spool_check_chunk(struct cr_spool *s, struct cr_spool_call *c, size_t i,
			 const uint8_t *buf, size_t len);

/* May a CHUNK frame of `bytes` be spooled now? Evicts the oldest chunks first when
 * evict_oldest is set. 1 yes, 0 no (counted as refused). */
int cr_spool_admit(struct cr_spool *s, size_t bytes);
/* The same for a chunk of `frames` stereo S16 frames (cr_tl_admit_fn, see timeline.h). */
int cr_spool_admit_chunk(void *spool, uint32_t frames);

/* Frames not yet acknowledged and their bytes (the backlog shown by `callrec status`). */
void cr_spool_backlog(const struct cr_spool *s, uint64_t *frames, uint64_t *bytes);

/* A new connection: everything not acknowledged is to be sent again. */
void cr_spool_reset_sending(struct cr_spool *s);

#endif
