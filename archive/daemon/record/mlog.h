/* The manifest log: every finished call's manifest is signed (Ed25519) and appended to a
 * Merkle log (RFC 9162 hashing) kept in the index; signed checkpoints (tree size, root hash,
 * time) are made every `checkpoint_every` manifests, at shutdown, and for every export, and
 * inclusion proofs tie a manifest to a checkpoint. */
#ifndef CALLREC_ARCHIVED_RECORD_MLOG_H
#define CALLREC_ARCHIVED_RECORD_MLOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wallclock.h"
#include "store/store.h"
#include "vault/vault.h"

#define AD_CHECKPOINT_EVERY 16u /* checkpoint_every when archived.yaml names none */

/* The log's settings and keys; read-only, shared by every thread. */
struct ad_mlog {
	uint64_t checkpoint_every; /* a signed checkpoint every N manifests */
	/* NULL, or run as `sh -c 'COMMAND "$1" "$2"' sh IN OUT` for every checkpoint the worker
	 * thread makes (every N manifests, at shutdown): IN holds the checkpoint's bytes, the
	 * command writes an RFC 3161 TimeStampResp (DER) for them to OUT, e.g. with
	 * `openssl ts -query` and `openssl ts -reply` against a local authority. The response is
	 * kept with the checkpoint and exported as checkpoint.tsr. */
	const char *timestamp_command;
	const struct ad_vault *vault; /* signs manifests and checkpoints */
	const struct ad_clock *clock; /* a checkpoint's time */
};

/* The call's recording and manifest are written: sign the manifest bytes, append its leaf
 * and mark the call complete, in one transaction (only while it is still "closing"). Then a
 * checkpoint when one is due. 0 or -errno. */
int ad_mlog_complete(const struct ad_mlog *m, struct ad_store *s,
		     const uint8_t id[CR_CALL_ID_BYTES], const char *audio_sha256_hex,
		     const void *manifest, size_t len);
/* The stored signature of a call's manifest. 0, -ENOENT, or -errno. */
int ad_mlog_signature(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      uint8_t sig[AD_SIG_BYTES]);
/* A signed checkpoint of the log as it is now (the stored one when the size has not
 * changed): *json malloc'd, exactly the signed bytes. 0 or -errno. */
int ad_mlog_checkpoint(const struct ad_mlog *m, struct ad_store *s, char **json,
		       uint8_t sig[AD_SIG_BYTES], uint64_t *size);
/* Timestamp the checkpoint of `size` leaves with the configured command (blocking: call it
 * from the worker thread only). 0, or -errno (logged); 0 too when none is configured. */
int ad_mlog_timestamp(const struct ad_mlog *m, struct ad_store *s, uint64_t size);
/* The stored timestamp response of a checkpoint (malloc'd). 0, -ENOENT or -errno. */
int ad_mlog_tsr(struct ad_store *s, uint64_t size, uint8_t **tsr, size_t *len);

/* Inclusion proof of a call's manifest in the tree of `size` leaves, as JSON:
 * {"leaf_index","tree_size","leaf_hash","root_hash","path":[{"hash","side"}]}.
 * 0, -ENOENT (not in the log, or not in a tree that small), or -errno. */
int ad_mlog_proof(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t size,
		  json_t **out);

#endif
