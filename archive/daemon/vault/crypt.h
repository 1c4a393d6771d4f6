/* Encryption at rest with a call's own key (AES-256-GCM, GnuTLS AEAD).
 *
 * Chunk audio in segments: one AEAD message per chunk, nonce = 0x00000000 || seq (big
 * endian), associated data = call id || seq. A (call, seq) is stored at most once: a resend
 * with other content is refused before it is encrypted, so a nonce never protects two
 * different plaintexts under one key.
 *
 * Objects (the assembled WAV, the manifest): a file "CRE1" | u32 kind | 12-byte random nonce
 * base, then records of AD_OBJ_RECORD plaintext bytes (the last one shorter, possibly empty),
 * each sealed with nonce = base XOR record index and associated data = header || index ||
 * last flag, so records can be neither reordered, dropped nor truncated. Objects go through
 * the object store (objects/objects.h). Plaintext never touches the disk. */
#ifndef CALLREC_ARCHIVED_VAULT_CRYPT_H
#define CALLREC_ARCHIVED_VAULT_CRYPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <gnutls/crypto.h>

#include "objects/objects.h"
#include "vault/vault.h"

#define AD_OBJ_RECORD 65536u
#define AD_OBJ_HDR 20u

enum ad_obj_kind { AD_OBJ_AUDIO = 1, AD_OBJ_MANIFEST = 2 };

/* The layouts below are on disk (and in every backup) for as long as recordings are kept:
 * byte arrays only (no padding, no byte order of this machine), their sizes pinned. */

/* The first bytes of every object. */
struct ad_obj_header {
	char magic[4];                      /* "CRE1" */
	uint8_t kind[4];                    /* enum ad_obj_kind, big endian */
	uint8_t nonce_base[AD_NONCE_BYTES]; /* random per object */
};
_Static_assert(sizeof(struct ad_obj_header) == AD_OBJ_HDR, "object header: 20 bytes");
_Static_assert(offsetof(struct ad_obj_header, kind) == 4 &&
	       offsetof(struct ad_obj_header, nonce_base) == 8, "object header: magic, kind, nonce");

/* What each record of an object is authenticated with: the header, the record's index and
 * whether it is the last, so records cannot be reordered, dropped or cut off. */
struct ad_obj_record_aad {
	struct ad_obj_header header;
	uint8_t index[8]; /* big endian; also XORed into the nonce base's last 8 bytes */
	uint8_t last;     /* 1 for the last record, else 0 */
};
_Static_assert(sizeof(struct ad_obj_record_aad) == AD_OBJ_HDR + 9, "record AAD: 29 bytes");

/* A chunk's AEAD nonce and associated data in its segment. */
struct ad_chunk_nonce {
	uint8_t zero[4];
	uint8_t seq[8]; /* big endian */
};
struct ad_chunk_aad {
	uint8_t call_id[CR_CALL_ID_BYTES];
	uint8_t seq[8]; /* big endian */
};
_Static_assert(sizeof(struct ad_chunk_nonce) == AD_NONCE_BYTES, "chunk nonce: 12 bytes");
_Static_assert(sizeof(struct ad_chunk_aad) == CR_CALL_ID_BYTES + 8, "chunk AAD: 24 bytes");

/* out receives len + AD_TAG_BYTES bytes. 0 or -errno. */
int ad_chunk_seal(const uint8_t key[AD_KEY_BYTES], const uint8_t id[CR_CALL_ID_BYTES],
		  uint64_t seq, const void *in, size_t len, uint8_t *out);
/* in is ciphertext + tag (len includes the tag); out receives len - AD_TAG_BYTES bytes.
 * 0, -EBADMSG when it does not authenticate. */
int ad_chunk_open(const uint8_t key[AD_KEY_BYTES], const uint8_t id[CR_CALL_ID_BYTES],
		  uint64_t seq, const uint8_t *in, size_t len, uint8_t *out);

struct ad_obj_writer {
	gnutls_aead_cipher_hd_t h;
	struct ad_objects *objects;
	struct ad_object *o;
	struct ad_obj_header hdr;
	uint64_t index;
	uint8_t *buf; /* AD_OBJ_RECORD + AD_TAG_BYTES */
	size_t used;
};
/* Start object `name` of call `id`. 0 or -errno. */
int ad_obj_create(struct ad_obj_writer *w, const uint8_t key[AD_KEY_BYTES], enum ad_obj_kind kind,
		  struct ad_objects *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name);
int ad_obj_write(struct ad_obj_writer *w, const void *data, size_t len);
/* Last record, then durable and visible. 0 or -errno; the writer is released either way. */
int ad_obj_commit(struct ad_obj_writer *w);
void ad_obj_abort(struct ad_obj_writer *w);

struct ad_obj_reader {
	gnutls_aead_cipher_hd_t h;
	struct ad_objects *objects;
	struct ad_object *o;
	struct ad_obj_header hdr;
	uint64_t index;
	int done;
	int have_next; /* one byte read ahead (tells whether a record is the last) */
	uint8_t next;
	uint8_t *buf;  /* one decrypted record */
	size_t have, pos;
};
/* Open an object of the given kind. 0, -ENOENT, -EBADMSG (not an object of that kind). */
int ad_obj_open(struct ad_obj_reader *r, const uint8_t key[AD_KEY_BYTES], enum ad_obj_kind kind,
		struct ad_objects *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name);
/* Up to len plaintext bytes; 0 at the (authenticated) end; -EBADMSG when altered or
 * truncated. Only authenticated bytes are returned. */
ssize_t ad_obj_read(struct ad_obj_reader *r, void *out, size_t len);
void ad_obj_close(struct ad_obj_reader *r);
/* A whole (small) object into a malloc'd NUL-terminated buffer. 0 or -errno. */
int ad_obj_read_all(const uint8_t key[AD_KEY_BYTES], enum ad_obj_kind kind, struct ad_objects *b,
		    const uint8_t id[CR_CALL_ID_BYTES], const char *name, size_t max, uint8_t **out,
		    size_t *len);

#endif
