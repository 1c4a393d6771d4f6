/* Streams and calls: every tapped stream is drained each tick; a process with a capture and a
 * playback stream open at once has a call, which continues through a 3 s grace period when a
 * direction closes and reopens. A call's audio goes through its timeline into hash-chained
 * frames handed to `emit` (the spool in the daemon, a recorder in tests).
 *
 * No sockets here: a stream is a mapped ring plus who opened it, so tests can drive call
 * assembly with rings in ordinary memory and a fake clock. */
#ifndef CALLREC_AGENT_CALLS_H
#define CALLREC_AGENT_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "ctl.h"
#include "feed.h"
#include "meta.h"
#include "peer.h"
#include "timeline.h"

#define CR_CALL_GRACE_NS 3000000000ULL
#define CR_ARCHIVE_RATE 16000

struct cr_call;

struct cr_stream {
	struct cr_stream *next;
	unsigned serial; /* for log lines */
	struct cr_peer peer;
	enum cr_dir dir;
	char line[64];
	char pcm[64];
	void *ring;
	size_t ring_bytes;
	struct cr_feed feed;
	struct cr_call *call;
	uint64_t joined_ns; /* when it joined its call (CLOCK_MONOTONIC) */
	int abandoned;      /* the producer wrote garbage: no longer read */
	void (*unmap)(struct cr_stream *); /* releases ring; NULL when the caller owns it */
};

/* emit: spool one frame durably; 0 or negative errno (the frame is then retried). */
typedef int (*cr_emit_fn)(void *ctx, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			  uint8_t type, const uint8_t *frame, size_t len);

struct cr_call {
	struct cr_call *next;
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	pid_t pid;
	uid_t uid;
	struct cr_call_meta meta;
	struct cr_timeline tl;
	struct cr_chain chain;
	uint64_t start_ns;
	uint64_t grace_until; /* 0: both directions present */
	int16_t *pcm;         /* one chunk of S16 stereo */
	/* A frame that could not be spooled yet: retried before anything newer. */
	uint8_t *held;
	size_t held_len;
	uint64_t held_seq;
	uint8_t held_type;
};

struct cr_calls {
	struct cr_stream *streams;
	struct cr_call *calls;
	unsigned chunk_ms;
	unsigned rate;
	char host[256];
	unsigned next_serial;
	uint64_t dropped_closed; /* frames producers could not store, streams already closed */
	cr_emit_fn emit;
	void *emit_ctx;
};

void cr_calls_init(struct cr_calls *r, unsigned chunk_ms, cr_emit_fn emit, void *ctx);
/* Ends every call (flushing what the rings hold) and frees everything. */
void cr_calls_shutdown(struct cr_calls *r, uint64_t now_ns);

/* Take ownership of a stream (its ring already mapped and initialised). */
void cr_calls_add_stream(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns);
/* The stream's control socket closed: drain what is left, then free it. */
void cr_calls_remove_stream(struct cr_calls *r, struct cr_stream *st, uint64_t now_ns);

/* The periodic work: drain every ring, emit due chunks, end calls whose grace ran out. */
void cr_calls_tick(struct cr_calls *r, uint64_t now_ns);

size_t cr_calls_count(const struct cr_calls *r);
/* Frames the plugins could not store in their rings, over the agent's life. */
uint64_t cr_calls_dropped_frames(const struct cr_calls *r);

#endif
