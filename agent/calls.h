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
#include "disclosure.h"
#include "feed.h"
#include "meta.h"
#include "peer.h"
#include "policy_glue.h"
#include "timeline.h"

#define CR_CALL_GRACE_NS 3000000000ULL
#define CR_ARCHIVE_RATE 16000
#define CR_PRIVATE_MAX 64 /* pending "next call private" marks and private processes */
#define CR_PAUSES_MAX 256
#define CR_FAILURES_MAX 256
/* A capture stream whose policy discloses audibly starts disclosing as soon as it runs, not
 * when the call forms (the other direction may open later); its audio is kept in the ring
 * this long waiting for the call, which then starts at the capture stream's open. */
#define CR_EARLY_HOLD_NS CR_CALL_GRACE_NS

struct cr_call;

struct cr_stream {
	struct cr_stream *next;
	unsigned serial; /* for log lines */
	struct cr_peer peer;
	enum cr_dir dir;
	char line[64];
	char pcm[64];
	struct cr_ring ring; /* the agent's view of its ring (ring.base NULL: none) */
	struct cr_feed feed;
	struct cr_call *call;
	uint64_t joined_ns; /* when it joined its call (CLOCK_MONOTONIC) */
	int abandoned;      /* the producer wrote garbage: no longer read */
	int priv;           /* its process's call was marked private: read and discarded */
	uint64_t opened_ns; /* when it was added */
	struct cr_disclosure *early; /* capture: disclosure begun before the call formed */
	/* The policy decision at open (NULL pol: streams built by tests, the built-in rule). */
	struct cr_pol *pol;
	int rule, purpose;
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
	int held_err;
	/* Policy (SPEC 4.2): the reference keeps meta.purpose valid across reloads. */
	struct cr_pol *pol;
	struct cr_disclosure disc;
	/* User controls (SPEC 4.5). */
	int paused;
	uint64_t pause_ns, resume_ns; /* the latest pause; resume_ns 0 while paused */
	struct cr_span pauses[CR_PAUSES_MAX];
	size_t npauses;
	struct cr_tag tags[CR_TAGS_MAX];
	size_t ntags;
	/* on_failure (SPEC 4.6): while recording is impossible. */
	int failing;
	uint64_t fail_ns;
	char fail_reason[128];
	struct cr_span failures[CR_FAILURES_MAX];
	size_t nfailures;
};

/* A process whose call the user made private: its streams are read and discarded until it
 * has had no stream for the grace period. */
struct cr_private_pid {
	pid_t pid;
	uint64_t until_ns; /* 0 while it has streams */
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
	/* `callrec private` with no call active: that user's next call is not recorded. */
	uid_t private_next[CR_PRIVATE_MAX];
	size_t nprivate_next;
	struct cr_private_pid private_pids[CR_PRIVATE_MAX];
	size_t nprivate_pids;
	/* Set by the agent while every call is impossible to record as the policy requires
	 * (e.g. the policy file became unreadable); NULL otherwise. */
	const char *failure;
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

/* User controls. Pause/resume: 0, or -EALREADY when already in that state. */
int cr_call_pause(struct cr_call *c, uint64_t now_ns);
int cr_call_resume(struct cr_call *c, uint64_t now_ns);
/* Add or replace a tag (key and value validated by the caller). 0 or -ENOSPC. */
int cr_call_tag(struct cr_call *c, const char *key, const char *value);
/* Stop recording c at once and forget it without a CALL_CLOSE: its streams are discarded
 * until the process has had none for the grace period. The id is copied to id_out for the
 * caller to erase what was spooled and sent. c is freed. */
void cr_calls_make_private(struct cr_calls *r, struct cr_call *c, uint8_t id_out[CR_CALL_ID_BYTES]);
/* The next call of uid is not recorded. 0 or -ENOSPC. */
int cr_calls_private_next(struct cr_calls *r, uid_t uid);
int cr_calls_private_pending(const struct cr_calls *r, uid_t uid);
/* The call's capture / playback stream ring (live), or NULL. */
const struct cr_ring *cr_call_ring(struct cr_calls *r, struct cr_call *c, enum cr_dir d);
/* Frames the plugins could not store in their rings, over the agent's life. */
uint64_t cr_calls_dropped_frames(const struct cr_calls *r);

#endif
