/* The timeline of one call at the archive rate: two channels (0 = capture/local,
 * 1 = playback/remote) accumulated in a float window that starts at the first frame not yet
 * emitted, the list of gaps, and the rules that decide when a chunk is complete.
 *
 * Pure code: no I/O, no clock. Callers pass timeline positions (frames since the call start)
 * and the position the wall clock has reached. */
#ifndef CALLREC_AGENT_TIMELINE_H
#define CALLREC_AGENT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#define CR_TL_CHANNELS 2
#define CR_TL_LAG_MS 2000          /* emit anyway when the wall clock is this far past a chunk */
#define CR_TL_MAX_WINDOW_S 120     /* audio held ahead of the oldest unemitted frame */

/* dropped: the plugin's ring was full; lag: a direction did not deliver in time; agent: the
 * agent was not running; pause: the user paused recording; spool_full: the spool had no room
 * (agent.yaml spool.max_bytes) so the audio was not kept; evicted: spooled audio deleted
 * unsent to make room (spool.evict_oldest). */
enum cr_gap_cause { CR_GAP_DROPPED, CR_GAP_LAG, CR_GAP_AGENT, CR_GAP_PAUSE, CR_GAP_SPOOL_FULL,
		    CR_GAP_EVICTED };

struct cr_gap {
	uint64_t start;  /* timeline frame */
	uint64_t length; /* frames */
	unsigned channel; /* 0 or 1 (written as 1 or 2 in JSON) */
	enum cr_gap_cause cause;
};

struct cr_timeline {
	unsigned rate;
	unsigned chunk_frames;
	uint64_t base;   /* first frame not yet emitted */
	uint64_t high;   /* end of the furthest frame written (>= base) */
	float *buf;      /* interleaved 2ch, buf[0] is frame `base` */
	size_t cap;      /* frames allocated in buf */
	struct cr_gap *gaps;
	size_t ngaps, gaps_cap;
};

/* A chunk ready to be sent: S16 interleaved, CR_TL_CHANNELS channels. */
struct cr_tl_chunk {
	uint64_t start;
	uint32_t frames;
	int16_t *pcm; /* caller's buffer of at least chunk_frames * 2 samples */
};

/* Admission of chunks (the spool's size cap): called before a due chunk is handed out with
 * its frame count; 0 means "no room": the chunk's audio is discarded and recorded as a
 * "spool_full" gap on both channels instead of being emitted. Process-wide, set once by the
 * daemon (NULL: everything is admitted, as in tests). */
typedef int (*cr_tl_admit_fn)(void *ctx, uint32_t frames);
void cr_tl_set_admission(cr_tl_admit_fn fn, void *ctx);

int cr_tl_init(struct cr_timeline *tl, unsigned rate, unsigned chunk_ms);
void cr_tl_free(struct cr_timeline *tl);

/* Add n samples of channel ch at position pos (may be negative or behind base: that part
 * is cut). Audio beyond the window limit is dropped and recorded as a gap. 0 or -ENOMEM. */
int cr_tl_put(struct cr_timeline *tl, unsigned ch, int64_t pos, const float *s, size_t n);

/* Record a gap (clamped to positions >= 0); contiguous gaps of the same channel and cause
 * merge. 0 or -ENOMEM. */
int cr_tl_gap(struct cr_timeline *tl, unsigned ch, int64_t start, uint64_t length,
	      enum cr_gap_cause cause);

/* Try to emit the next chunk. progress[ch]: timeline position up to which channel ch is
 * complete; now_pos: position of the wall clock. Emits when both channels passed the chunk's
 * end, or when now_pos is CR_TL_LAG_MS past it (lagging channels get a "lag" gap). With
 * `flush` set (call end), emits whatever is left up to `high`, possibly a partial chunk.
 * Returns 1 when *out was filled, 0 when nothing is due, -ENOMEM. */
int cr_tl_next_chunk(struct cr_timeline *tl, const int64_t progress[CR_TL_CHANNELS],
		     int64_t now_pos, int flush, struct cr_tl_chunk *out);

/* Timeline position (floor) of CLOCK_MONOTONIC time t in a call started at `start`. */
int64_t cr_time_to_pos(uint64_t t, uint64_t start, unsigned rate);

const char *cr_gap_cause_name(enum cr_gap_cause c);

#endif
