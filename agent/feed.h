/* One stream's path onto a call timeline: decode a ring record to mono, resample to the
 * archive rate and place it. The first record fixes the stream's offset from the call start
 * by its timestamp; after that the frame positions decide (a jump forward in `pos` is dropped
 * audio: silence of that length plus a "dropped" gap). A position going backwards, a rate
 * change, or a timestamp far later than the positions predict (the stream was paused or
 * stopped) anchors the stream again by its timestamp.
 *
 * Clock drift: a device's clock is not the system's (a sound card 0.1% fast gains 3.6 s an
 * hour). Each stream's true rate is estimated from its (pos, t_ns) pairs (drift.h) and the
 * resampler ratio is trimmed so that the place where each record lands follows the fitted
 * line: target(pos) = fit_time(pos) + C, with C fixed when the fit first becomes valid so
 * that the anchor itself stays where it was (for playback the steady-state stamps are about a
 * buffer earlier than the sound; for capture about a period later: C absorbs either). A
 * proportional loop with a time constant of CR_FEED_TRIM_TAU_S seconds pulls the placement
 * onto the target, so fit errors do not accumulate.
 *
 * Pure code: no I/O; time comes in the records and the call start. */
#ifndef CALLREC_AGENT_FEED_H
#define CALLREC_AGENT_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "resampler.h"
#include "ring.h"
#include "timeline.h"

#define CR_FEED_MAX_FRAMES (1u << 20) /* one record never holds more (ring limits it anyway) */
#define CR_FEED_REANCHOR_NS 500000000LL /* timestamp this far beyond the positions: re-anchor */
#define CR_FEED_TRIM_TAU_S 5.0          /* placement error is corrected over this long */
#define CR_FEED_TRIM_MAX 0.005          /* never trim the ratio by more than 0.5% */
/* Equal rates stay a bit-exact copy until the placement is off by this many frames. */
#define CR_FEED_COPY_SLACK 32
/* Placement errors below this (timeline frames, 1 ms at 16 kHz) are left alone, and the
 * measured rate is taken over only when it moved by more than CR_FEED_RATE_HYST: a ratio
 * that follows every wiggle of the estimate would stretch the audio back and forth. */
#define CR_FEED_DEADBAND 16
#define CR_FEED_RATE_HYST 20e-6
/* A capture stream's first record is often late: the first read of a device returns when the
 * device has started, a scheduling delay or a whole period after the steady state would have
 * delivered it (8 ms on a paced PipeWire device; at times a quantum, 21 ms). Anchored on it,
 * the whole channel would sit that much late. So a capture stream's first CR_FEED_SETTLE_MS
 * after an anchor are held back, and placed by the earliest record among them (the one
 * delivered with the least delay), moved earlier by at most CR_FEED_SETTLE_MAX_MS. */
#define CR_FEED_SETTLE_MS 400
#define CR_FEED_SETTLE_MAX_MS 60

struct cr_feed {
	struct cr_resampler rs;
	int rs_ready;
	int anchored;
	int64_t tl_next;      /* timeline position of the next output frame */
	uint64_t next_pos;    /* stream position expected in the next record */
	unsigned rate;
	uint64_t anchor_t_ns; /* timestamp and position of the last anchor */
	uint64_t anchor_pos;
	int64_t anchor_tl;    /* timeline position the anchor was placed at */
	uint64_t dropped;     /* frames reported dropped by position jumps (stream rate) */
	struct cr_drift drift;
	double place;         /* timeline position (fractional) where the next input frame lands */
	double offset;        /* C above, in timeline frames; valid when have_offset */
	double base_rate;     /* measured rate in use (Hz), 0 until the fit is valid */
	int have_offset;
	uint64_t logged_pos;  /* position of the last drift log line */
	double last_err;      /* placement error at the last record (timeline frames), for tests */
	/* Capture records are stamped when they reach the plugin, i.e. after their last frame
	 * was captured: their first frame is a record's duration earlier. */
	int stamp_at_end;
	float *mono, *out;
	size_t mono_cap, out_cap;
	/* Capture settling (above): output held back since the anchor, where it would go, the
	 * position it must not move before (the stream's previous audio, or the call start),
	 * and the largest earliness (ns) of a record against the anchor so far. */
	int settling;
	float *held;
	size_t held_len, held_cap;
	int64_t settle_from, settle_floor, settle_progress;
	uint64_t settle_early_ns;
};

void cr_feed_init(struct cr_feed *f);
void cr_feed_free(struct cr_feed *f);
/* Forget the placement (the stream joins a new call); the next record anchors again. */
void cr_feed_reset(struct cr_feed *f);

/* Place one record (header copied out of the ring by the caller, payload pointing at
 * `payload`, already bounds-checked for frames * frame_bytes) on channel ch of tl, for a call
 * that started at call_start_ns (CLOCK_MONOTONIC). Returns 0, -EPROTO for an inconsistent
 * record, -ENOTSUP for an unsupported format, -ENOMEM or -EIO. */
int cr_feed_record(struct cr_feed *f, struct cr_timeline *tl, unsigned ch,
		   uint64_t call_start_ns, const struct cr_rec *h, const void *payload);

/* End of stream: release what the resampler holds back. 0 or negative errno. */
int cr_feed_flush(struct cr_feed *f, struct cr_timeline *tl, unsigned ch);

/* Timeline position up to which this stream has delivered audio; only valid when anchored. */
static inline int64_t cr_feed_progress(const struct cr_feed *f)
{
	/* Held audio may still land up to CR_FEED_SETTLE_MAX_MS before where it was anchored. */
	return f->settling ? f->settle_progress : f->tl_next;
}

#endif
