/* What the event loop must know of each call that is still recording, kept in memory so that a
 * chunk is checked without touching the index: its owner, its CALL_OPEN hash, its key, and the
 * end of its hash chain.
 *
 * Why: with thousands of streams every chunk belongs to another call, so the one-key cache and
 * the index were consulted for each chunk (the call, the chunk itself, its two neighbours and
 * the key: five index look-ups, and with SQLite their WAL read locks), a sizeable share of
 * the archive's time at 3,500 streams (docs/performance.md).
 *
 * An entry holds only while the index's chunks of the call are exactly seq 1..last_seq and the
 * call is in state "recording": the store drops it when a chunk leaves a hole, when the call is
 * closed or erased, and whenever it is unsure. A missing entry only means "ask the index". */
#ifndef CALLREC_ARCHIVED_STORE_LIVE_H
#define CALLREC_ARCHIVED_STORE_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "tls.h"
#include "vault/vault.h"

struct ad_live_call {
	uint8_t id[CR_CALL_ID_BYTES];
	char device[CR_NAME_MAX];
	uint8_t open_hash[CR_HASH_BYTES];
	uint8_t key[AD_KEY_BYTES];
	unsigned rate;                    /* its archive rate (every chunk must have it) */
	uint64_t last_seq;                /* 0: no chunk stored yet */
	uint8_t last_hash[CR_HASH_BYTES]; /* of chunk last_seq (open_hash when 0) */
	uint8_t last_prev[CR_HASH_BYTES]; /* that chunk's prev_hash */
};

struct ad_live {
	struct ad_live_slot *slots;
	size_t cap;   /* a power of two, or 0 */
	size_t used;  /* live entries */
	size_t dead;  /* tombstones */
};

/* The entry of `id`, or NULL. The pointer is valid until the next put or drop. */
struct ad_live_call *ad_live_get(const struct ad_live *t, const uint8_t id[CR_CALL_ID_BYTES]);
/* Insert or replace. 0 or -ENOMEM (then the table is unchanged: correct, only slower). */
int ad_live_put(struct ad_live *t, const struct ad_live_call *c);
/* Forget `id` (its key is wiped). Nothing when absent. */
void ad_live_drop(struct ad_live *t, const uint8_t id[CR_CALL_ID_BYTES]);
/* Forget everything and free the memory (keys wiped). */
void ad_live_free(struct ad_live *t);

#endif
