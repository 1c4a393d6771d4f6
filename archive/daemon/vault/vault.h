/* The archive's keys: the master key that wraps every call's key (encryption at rest, SPEC
 * 6.1) and the Ed25519 signing key for manifests and checkpoints (SPEC 6.2).
 *
 * Loaded once at start-up (ad_vault_load) and read-only afterwards, so the event loop and the
 * worker thread share them without locks. In-process tests that never load keys get a
 * random master key and signing key for the life of the process (ad_vault_ensure). */
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

/* master: a file of 64 hex digits (mode 0600 expected); signing: PEM PKCS#8 Ed25519.
 * 0 or -errno (logged). */
int ad_vault_load(const char *master_path, const char *signing_path);
/* Keys exist (loaded, or ephemeral ones created now). 0 or -errno. */
int ad_vault_ensure(void);
void ad_vault_free(void);

/* A new random call key and its wrapped form (AES-256-GCM under the master key, random
 * nonce, the call id as associated data). 0 or -errno. */
int ad_vault_new_call_key(const uint8_t id[CR_CALL_ID_BYTES], uint8_t key[AD_KEY_BYTES],
			  uint8_t wrapped[AD_WRAPPED_BYTES]);
/* 0, -EBADMSG when the wrapped key does not authenticate, or -errno. */
int ad_vault_unwrap(const uint8_t id[CR_CALL_ID_BYTES], const uint8_t *wrapped, size_t len,
		    uint8_t key[AD_KEY_BYTES]);

/* Ed25519 signature of data. 0 or -errno. */
int ad_vault_sign(const void *data, size_t len, uint8_t sig[AD_SIG_BYTES]);
/* The signing public key as PEM (malloc'd, NUL-terminated). 0 or -errno. */
int ad_vault_public_pem(char **pem);

#endif
