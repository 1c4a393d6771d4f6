/* The archive's manifest signing key as people compare it: an Ed25519 public key, named by its
 * fingerprint, the SHA-256 of the key's DER SubjectPublicKeyInfo in lower-case hex. That is
 * exactly what `openssl pkey -pubin -in signing.pub -outform DER | sha256sum` prints, so a
 * recipient without callrec can compare it too. */
#ifndef CALLREC_ARCHIVE_PUBKEY_H
#define CALLREC_ARCHIVE_PUBKEY_H

#include <gnutls/abstract.h>
#include <stddef.h>

#define CRA_FINGERPRINT_HEX 65 /* 64 hex digits and a NUL */

/* An Ed25519 public key from PEM (or DER) bytes. 0; -EBADMSG when it is not a public key;
 * -EINVAL when it is one of another algorithm; -ENOMEM. */
int cra_pubkey_import(const void *data, size_t len, gnutls_pubkey_t *out);

/* The key's fingerprint into hex. 0 or -EIO. */
int cra_pubkey_fingerprint(gnutls_pubkey_t key, char hex[CRA_FINGERPRINT_HEX]);

#endif
