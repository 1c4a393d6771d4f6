/* The archive's keys: the master key that wraps every call's own key (encryption at rest)
 * and the Ed25519 signing key for manifests, checkpoints and export proofs.
 *
 * A handle loaded once at start-up (ad_vault_load) and read-only afterwards, so the event loop
 * and the worker thread share it without locks. Unit tests make one with throwaway keys
 * (ad_vault_ephemeral). */
#ifndef CALLREC_ARCHIVED_VAULT_VAULT_H
#define CALLREC_ARCHIVED_VAULT_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define AD_KEY_BYTES 32
#define AD_TAG_BYTES 16
#define AD_NONCE_BYTES 12
#define AD_WRAPPED_BYTES (AD_NONCE_BYTES + AD_KEY_BYTES + AD_TAG_BYTES)
#define AD_SIG_BYTES 64

/* A wrapped call key as the index keeps it (and its backups hold it): AES-256-GCM under the
 * master key with the call id as associated data. */
struct ad_wrapped_key {
	uint8_t nonce[AD_NONCE_BYTES];  /* random */
	uint8_t sealed[AD_KEY_BYTES];   /* the call key, encrypted */
	uint8_t tag[AD_TAG_BYTES];
};
_Static_assert(sizeof(struct ad_wrapped_key) == AD_WRAPPED_BYTES, "wrapped key: 60 bytes");
_Static_assert(offsetof(struct ad_wrapped_key, sealed) == AD_NONCE_BYTES &&
	       offsetof(struct ad_wrapped_key, tag) == AD_NONCE_BYTES + AD_KEY_BYTES,
	       "wrapped key: nonce | sealed key | tag, GCM's ciphertext-then-tag order");

struct ad_vault;

/* master: a file of 64 hex digits (mode 0600 expected); signing: PEM PKCS#8 Ed25519.
 * 0 or -errno (logged). */
int ad_vault_load(const char *master_path, const char *signing_path, struct ad_vault **out);
/* Random keys that live as long as the handle (tests). 0 or -errno. */
int ad_vault_ephemeral(struct ad_vault **out);
void ad_vault_free(struct ad_vault *v);

/* A new random call key and its wrapped form (AES-256-GCM under the master key, random
 * nonce, the call id as associated data). 0 or -errno. */
int ad_vault_new_call_key(const struct ad_vault *v, const uint8_t id[CR_CALL_ID_BYTES],
			  uint8_t key[AD_KEY_BYTES], uint8_t wrapped[AD_WRAPPED_BYTES]);
/* 0, -EBADMSG when the wrapped key does not authenticate, or -errno. */
int ad_vault_unwrap(const struct ad_vault *v, const uint8_t id[CR_CALL_ID_BYTES],
		    const uint8_t *wrapped, size_t len, uint8_t key[AD_KEY_BYTES]);

/* Ed25519 signature of data. 0 or -errno. */
int ad_vault_sign(const struct ad_vault *v, const void *data, size_t len,
		  uint8_t sig[AD_SIG_BYTES]);
/* The signing public key as PEM (malloc'd, NUL-terminated). 0 or -errno. */
int ad_vault_public_pem(const struct ad_vault *v, char **pem);

#endif
