/* The store: what agents send becomes durable here. It owns the two storage backends, the
 * index (index/index.h: calls, chunks, keys, ...) and the object store (objects/objects.h:
 * segments of sealed chunk audio, and each call's encrypted WAV and manifest), and checks
 * every CALL_OPEN / CHUNK / CALL_CLOSE / CALL_ERASE before it stages it (ownership,
 * idempotency, the hash chain), encrypting chunk audio with the call's own key.
 *
 * Writes are staged and made durable together (group commit): the caller stages everything
 * that arrived in one event-loop turn, then calls ad_store_commit(), which syncs the segment
 * once and writes the index in one transaction, and only then reports the acknowledgement of
 * each staged item through a callback. A staged item carries an opaque `tag` (the
 * connection) that the store never dereferences.
 *
 * Reads go to the backends directly: ad_store_index() and ad_store_objects(). */
#ifndef CALLREC_ARCHIVED_STORE_STORE_H
#define CALLREC_ARCHIVED_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "wallclock.h"
#include "frame.h"
#include "index/index.h"
#include "objects/objects.h"
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
	const char *data_dir; /* the daemon's own directory (locked: one daemon each) */
	const char *index;    /* index/index.h's spec; NULL: SQLite in data_dir */
	const char *objects;  /* objects/objects.h's spec; NULL: the directory data_dir */
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

/* The backends. */
struct ad_index *ad_store_index(const struct ad_store *s);
struct ad_objects *ad_store_objects(const struct ad_store *s);
/* A call's own key (unwrapped with the vault; the last one is cached). 0, -ENOENT (no key:
 * erased), -EBADMSG (does not unwrap: another master key), or -errno. */
int ad_store_call_key(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      uint8_t key[AD_KEY_BYTES]);

#endif
