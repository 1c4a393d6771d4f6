/* The index: what the archive knows about calls, their chunks and keys, devices, holds and
 * the Merkle log of manifests, behind one interface, so that a PostgreSQL index can replace
 * the embedded SQLite one (index: in archived.yaml). No file outside the backends (index/
 * sqlite*.c today) holds SQL or knows which backend runs. The recordings themselves are in
 * the object store (objects/objects.h).
 *
 * Handles. ad_index_open() gives the event loop's handle; ops->open_peer another one on the
 * same index for another thread (the worker). A handle is used by one thread at a time.
 *
 * Consistency. Every operation is atomic; begin_batch .. end_batch is one transaction (the
 * group commit). The index may be shared by several archives at once (PostgreSQL): work that
 * must happen once is claimed through the index (claim/release: advisory locks there), the
 * log's next leaf is numbered inside `complete`, a checkpoint is stored once per size
 * (checkpoint_put keeps the first), and every state change is conditional on the state it
 * starts from, so that two archives doing the same thing at once leave one result.
 *
 * Every operation returns 0 or -errno unless it says otherwise; -ENOENT means "no such call"
 * where that can happen. Backends log their errors, at debug level while `quiet` is set (the
 * caller reported an outage). tests/unit/test_archived_index_conformance.c states the same
 * contract as tests, run against every backend. */
#ifndef CALLREC_ARCHIVED_INDEX_INDEX_H
#define CALLREC_ARCHIVED_INDEX_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "vault/vault.h"

/* Sequence numbers the index holds are below this (signed 64-bit integers, as in SQL). */
#define AD_SEQ_LIMIT ((uint64_t)INT64_MAX)

/* A call as the index holds it. States: "recording" (open), "closing" (its close is stored,
 * its recording not written yet), "complete", "erasing" (an erasure is under way), "erased"
 * (a tombstone: id, device, reason and time only). */
struct ad_call_info {
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	const char *device;
	const char *meta_json;  /* CALL_OPEN metadata ("{}" for a tombstone) */
	const char *close_json; /* CALL_CLOSE JSON or NULL */
	const char *software;   /* client software from HELLO, or NULL */
	const char *state;
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
	uint32_t segment; /* where its sealed audio is in the object store */
	uint64_t offset, length;
};

/* A new call, stored with its wrapped key. */
struct ad_index_call {
	uint8_t id[CR_CALL_ID_BYTES];
	const char *device;
	const char *software; /* NULL when unknown */
	const char *meta;
	uint8_t open_hash[CR_HASH_BYTES];
	uint8_t wrapped[AD_WRAPPED_BYTES];
	int64_t expires; /* 0 none */
	int64_t created; /* unix s */
};

/* The outcome of settle_close. */
enum ad_close_result {
	AD_CLOSE_WAITING = 0, /* chunks below the close are still missing */
	AD_CLOSE_APPLIED = 1, /* the call is "closing" */
	AD_CLOSE_PAST = 2,    /* chunks at or past the close are stored: the close is wrong */
};

/* Work that must happen once among every archive sharing the index. */
enum ad_claim {
	AD_CLAIM_ASSEMBLE, /* writing one call's recording (with its id) */
	AD_CLAIM_SWEEP,    /* a retention sweep (no id) */
};

typedef int (*ad_call_fn)(void *arg, const struct ad_call_info *c);
typedef int (*ad_id_fn)(void *arg, const uint8_t id[CR_CALL_ID_BYTES]);
typedef int (*ad_chunk_fn)(void *arg, const struct ad_chunk_info *c);
typedef int (*ad_device_fn)(void *arg, const char *name, const char *json, int64_t seen_at);

struct ad_index;

/* Walks (call_list, calls_in_state, chunks, devices, expired) call fn for each row; fn
 * returns non-zero to stop, and that value is returned. */
struct ad_index_ops {
	int (*open_peer)(struct ad_index *ix, struct ad_index **out);
	void (*close)(struct ad_index *ix);

	/* --- the group commit: one transaction --- */
	int (*begin_batch)(struct ad_index *ix);
	/* A new call (its id is not in the index) with its key. */
	int (*put_call)(struct ad_index *ix, const struct ad_index_call *c);
	/* A new chunk ((id, seq) is not in the index). */
	int (*put_chunk)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			 const struct ad_chunk_info *c);
	/* A device's last heartbeat (replacing the one before), received at `at` (unix s). */
	int (*put_heartbeat)(struct ad_index *ix, const char *device, const char *json,
			     int64_t at);
	/* A CALL_CLOSE at `seq`: applied (state "closing", close_seq, close_json) when the call
	 * is "recording", no chunk at or past seq is stored and exactly expect_below are stored
	 * below it (the chunks the agent never sent are not expected). */
	int (*settle_close)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			    const char *json, uint64_t expect_below, enum ad_close_result *result);
	/* commit 1: durable when it returns 0; commit 0, or a failure: nothing of it stays. */
	int (*end_batch)(struct ad_index *ix, int commit);

	/* --- calls and chunks --- */
	/* The strings live until the next call_get on the handle. */
	int (*call_get)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			struct ad_call_info *out);
	/* Every call, in the order they were stored (strings valid during fn). */
	int (*call_list)(struct ad_index *ix, ad_call_fn fn, void *arg);
	/* The calls in one state, in the order they were stored. */
	int (*calls_in_state)(struct ad_index *ix, const char *state, ad_id_fn fn, void *arg);
	/* 1 and the chunk's hash and prev_hash when (id, seq) is stored, 0 when not. */
	int (*chunk_get)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			 uint8_t hash[CR_HASH_BYTES], uint8_t prev[CR_HASH_BYTES]);
	/* How many chunks of the call have from <= seq < to. */
	int (*chunk_count)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t from,
			   uint64_t to, uint64_t *n);
	/* A call's chunks by seq. */
	int (*chunks)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], ad_chunk_fn fn,
		      void *arg);
	/* The call's wrapped key; -ENOENT when there is none (unknown, or erased). */
	int (*key_get)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		       uint8_t wrapped[AD_WRAPPED_BYTES]);
	/* Every device's last heartbeat, by name. */
	int (*devices)(struct ad_index *ix, ad_device_fn fn, void *arg);

	/* --- holds, retention, erasure --- */
	/* -ENOENT (unknown, erasing or erased), -EALREADY (held already). */
	int (*hold_place)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			  const char *reason, const char *who, int64_t at);
	/* The first half of a release. -ENOLINK (not held), -EALREADY (requested already). */
	int (*hold_request_release)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
				    const char *who, const char *reason);
	/* The hold is gone, if its release is still the one `requested_by` asked for; -ESTALE
	 * when it is not (released or re-placed meanwhile). */
	int (*hold_clear)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			  const char *requested_by);
	/* Complete calls not on hold whose deadline is at or before `now`, earliest first, at
	 * most max. */
	int (*expired)(struct ad_index *ix, int64_t now, size_t max, ad_id_fn fn, void *arg);
	/* Step 1 of an erasure (store/erase.h): the call is "erasing" with the reason and time
	 * (0 too when it was already). -ENOENT (unknown or erased), -EBUSY (on hold). */
	int (*erase_begin)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			   const char *reason, int64_t at);
	/* The call's key is durably gone, from every log and free page the backend keeps too
	 * (0 when it was gone already). */
	int (*key_delete)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES]);
	/* The erasing call becomes its tombstone: metadata, close, software, hashes, hold,
	 * deadline and chunk rows dropped, state "erased". */
	int (*erase_finish)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES]);

	/* --- the Merkle log of manifests --- */
	/* When the call is "closing": mark it complete with its audio hash and its manifest's
	 * signature, and append `leaf` as the log's next leaf, numbered without gaps however
	 * many archives complete calls at once. *appended: 1 done, 0 the call was not closing
	 * (erased or completed meanwhile). */
	int (*complete)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			const char *audio_sha256_hex, const uint8_t sig[AD_SIG_BYTES],
			const uint8_t leaf[CR_HASH_BYTES], int *appended);
	int (*log_size)(struct ad_index *ix, uint64_t *n);
	/* The first n leaf hashes; -EIO when the log is shorter. */
	int (*log_leaves)(struct ad_index *ix, uint64_t n, uint8_t (*out)[CR_HASH_BYTES]);
	/* A complete call's place in the log and its manifest's signature; -ENOENT when the
	 * call has none (not complete, or erased). */
	int (*log_entry)(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t *leaf,
			 uint8_t sig[AD_SIG_BYTES]);
	/* The stored checkpoint of `size` leaves: its bytes (malloc'd, NUL-terminated), its
	 * signature, and its timestamp response when tsr is not NULL (*tsr NULL when none).
	 * -ENOENT when there is none. */
	int (*checkpoint_get)(struct ad_index *ix, uint64_t size, char **json,
			      uint8_t sig[AD_SIG_BYTES], uint8_t **tsr, size_t *tsr_len);
	/* Store the checkpoint of `size` leaves; -EEXIST when one is stored (it is kept). */
	int (*checkpoint_put)(struct ad_index *ix, uint64_t size, const char *json,
			      const uint8_t sig[AD_SIG_BYTES]);
	/* Attach a timestamp response to the checkpoint (kept when it has one already). */
	int (*checkpoint_set_tsr)(struct ad_index *ix, uint64_t size, const uint8_t *tsr,
				  size_t len);

	/* --- work that must happen once --- */
	/* 0 when this handle now holds the claim (until release, or until the handle closes or
	 * its process dies), -EBUSY when another handle or archive holds it. id is NULL for
	 * claims without one. */
	int (*claim)(struct ad_index *ix, enum ad_claim what, const uint8_t *id);
	void (*release)(struct ad_index *ix, enum ad_claim what, const uint8_t *id);
};

struct ad_index {
	const struct ad_index_ops *ops;
	int quiet; /* log failures at debug level (an outage is already reported) */
};

/* Call ids gathered from a walk (calls_in_state, expired), to act on after it ends. */
struct ad_ids {
	uint8_t (*v)[CR_CALL_ID_BYTES];
	size_t n, cap;
};
/* An ad_id_fn appending to the struct ad_ids at arg (-ENOMEM stops the walk). */
int ad_ids_add(void *arg, const uint8_t id[CR_CALL_ID_BYTES]);
void ad_ids_free(struct ad_ids *ids);

/* The index `spec` names: NULL or "sqlite" (DATA/index.sqlite). -EINVAL for an unknown
 * spec. */
int ad_index_open(const char *spec, const char *data_dir, struct ad_index **out);

#endif
