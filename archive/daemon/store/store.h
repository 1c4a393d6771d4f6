/* Archive storage: chunk audio in append-only segment files, an SQLite index of calls and
 * chunks, and the assembled recordings (DATA/calls/HEX/{audio.wav,manifest.json}).
 *
 * Writes are staged and made durable together (group commit): the caller stages everything
 * that arrived in one event-loop turn, then calls ad_store_commit(), which does one fdatasync
 * of the segment and one SQLite transaction and only then reports the acknowledgement of each
 * staged item through a callback. A staged item carries an opaque `tag` (the connection) that
 * the storage never dereferences.
 *
 * This interface is what a later S3/PostgreSQL backend implements too. */
#ifndef CALLREC_ARCHIVED_STORE_STORE_H
#define CALLREC_ARCHIVED_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "frame.h"
#include "rights/audit.h"
#include "testhooks.h"
#include "vault/vault.h"

struct ad_store;

/* Acknowledgement of a staged item after the commit: status >= 0 is an enum cr_ack_status to
 * send; status < 0 (-errno) means it could not be stored: send nothing, drop the connection
 * so the client resends later. */
typedef void (*ad_ack_fn)(void *arg, void *tag, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			  int status);

/* What a store works with; the handles outlive it. */
struct ad_store_cfg {
	const char *data_dir;
	struct ad_vault *vault;       /* wraps and unwraps call keys */
	const struct ad_clock *clock; /* creation and erasure times */
	struct ad_audit *audit;       /* erasures a device asks for; NULL: not audited */
#ifdef CALLREC_TEST_HOOKS
	const struct ad_testhooks *hooks;
#endif
};

/* Open (creating) the data directory, finishing erasures a crash interrupted. 0, -EBUSY
 * (another daemon has it) or -errno (logged). */
int ad_store_open(const struct ad_store_cfg *cfg, struct ad_store **out);
void ad_store_close(struct ad_store *s);
/* A second handle on an open store for another thread (the worker): reads, assembly,
 * erasure; never stages or commits. 0 or -errno. */
int ad_store_open_peer(struct ad_store *s, struct ad_store **out);
/* The data directory. */
const char *ad_store_dir(const struct ad_store *s);

/* Stage a CALL_OPEN / CHUNK / CALL_CLOSE body from `device` (the certificate CN); `software`
 * is what the client's HELLO said (may be NULL). Invalid content is staged with its ACK
 * status; these return 0, or -errno for a storage failure (nothing staged, log written). */
int ad_store_call_open(struct ad_store *s, void *tag, const char *device, const char *software,
		       const uint8_t *body, size_t len);
int ad_store_put_chunk(struct ad_store *s, void *tag, const char *device, const uint8_t *body,
		       size_t len);
int ad_store_call_close(struct ad_store *s, void *tag, const char *device, const uint8_t *body,
			size_t len);
/* Record a device's heartbeat JSON (no acknowledgement). */
int ad_store_heartbeat(struct ad_store *s, const char *device, const char *json, size_t len);

/* Number of staged items waiting for ad_store_commit(). */
size_t ad_store_staged(const struct ad_store *s);
/* Make everything staged durable, then call ack() for each item. A CALL_CLOSE whose earlier
 * chunks are not all stored yet is kept (not acknowledged) and re-checked at later commits
 * while its tag lives. Returns 0 or -errno when the batch could not be stored (every item is
 * then reported with that -errno). */
int ad_store_commit(struct ad_store *s, ad_ack_fn ack, void *arg);
/* The tag (connection) is gone: forget closes waiting for it. */
void ad_store_forget(struct ad_store *s, void *tag);

/* Read access for operators and the worker. */
struct ad_call_info {
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	const char *device;
	const char *meta_json;  /* CALL_OPEN metadata */
	const char *close_json; /* CALL_CLOSE JSON or NULL */
	const char *software;   /* client software from HELLO, or NULL */
	const char *state;      /* "recording" | "closing" | "complete" | "erasing" | "erased" */
	uint64_t close_seq;     /* 0 while open */
	uint8_t open_hash[CR_HASH_BYTES];
	int64_t expires;        /* retention deadline (unix s), 0 none */
	const char *hold_reason, *hold_by; /* NULL when not on hold */
	const char *release_by;  /* first approver of a pending release, or NULL */
	const char *erase_reason;
	int64_t erased_at;
};
struct ad_chunk_info {
	uint64_t seq, start_frame;
	uint32_t frames;
	uint8_t sha256[CR_HASH_BYTES];
	uint8_t prev_hash[CR_HASH_BYTES];
	uint32_t segment;
	uint64_t offset, length;
};
/* Calls in creation order; fn returns non-zero to stop (that value is returned). */
int ad_store_list(struct ad_store *s, int (*fn)(void *arg, const struct ad_call_info *c),
		  void *arg);
/* One call: 0, -ENOENT, or -errno; the strings live until the next store call. */
int ad_store_call_get(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      struct ad_call_info *out);
/* A call's chunks in sequence order. */
int ad_store_chunks(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		    int (*fn)(void *arg, const struct ad_chunk_info *c), void *arg);
/* Calls whose close is stored but whose recording is not assembled yet (malloc'd array). */
int ad_store_closing(struct ad_store *s, uint8_t (**ids)[CR_CALL_ID_BYTES], size_t *n);
/* The object store: each call's encrypted WAV and manifest, and the segments. */
struct ad_objects *ad_store_objects(const struct ad_store *s);

#endif
