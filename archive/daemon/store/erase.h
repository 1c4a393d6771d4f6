/* Erasure by crypto-shredding: the call's key is destroyed, then its
 * ciphertext, and a tombstone (id, device, erased time, reason) is all that remains.
 *
 * Order, each step durable before the next: (1) the index marks the call "erasing" with the
 * reason; (2) the wrapped key is deleted (from then on nothing of the call can be decrypted);
 * (3) the encrypted WAV and manifest are deleted and the chunks' bytes in the segments are
 * punched out; (4) the row becomes the tombstone (metadata, chunk rows and hashes dropped,
 * state "erased"). A call found "erasing" at start-up is finished from step (2); every step is
 * idempotent, so killing the archive anywhere leaves index, keys and files consistent.
 *
 * Steps (3) and (4) need the call's objects to stand still. A worker assembling the call holds
 * its assemble claim and may be writing them: the erasure then stops after (2) (the objects
 * being written are already undecryptable), and the worker finishes it when it lets the claim
 * go (ad_erase_after_assembly), so that no object it writes outlives the erasure.
 *
 * The test build stops the process right after steps (1), (2) and (3) on request: crash
 * points erase-after-mark, erase-after-key, erase-after-objects (testhooks.h). */
#ifndef CALLREC_ARCHIVED_STORE_ERASE_H
#define CALLREC_ARCHIVED_STORE_ERASE_H

#include "store/store.h"

/* Erase one call. reason: "private", "retention", or an operator's text; who: the operator
 * (NULL for the archive itself). 0, -ENOENT (unknown or already erased), -EBUSY (on hold:
 * nothing done), or -errno. */
int ad_erase_call(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who);
/* Finish erasures interrupted by a crash. Number finished, or -errno. */
int ad_erase_recover(struct ad_store *s);
/* Called by whoever assembled the call, after releasing its claim: when an erasure came
 * meanwhile, finish it. 0 or -errno. */
int ad_erase_after_assembly(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES]);
/* CALL_ERASE from the device that owns the call (the user marked it private): erased with
 * reason "private"; an ACK for seq 0 is staged (sent after the next commit). 0 or -errno. */
int ad_store_call_erase(struct ad_store *s, void *tag, const char *device, const uint8_t *body,
			size_t len);

#endif
