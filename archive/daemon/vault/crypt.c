/* Encryption at rest. See crypt.h. */
#include "vault/crypt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cipher(gnutls_aead_cipher_hd_t *h, const uint8_t key[AD_KEY_BYTES])
{
	gnutls_datum_t k = { (unsigned char *)key, AD_KEY_BYTES };

	return gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0 ? -EINVAL : 0;
}

static void chunk_nonce_aad(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			    struct ad_chunk_nonce *nonce, struct ad_chunk_aad *aad)
{
	memset(nonce->zero, 0, sizeof(nonce->zero));
	cr_put_u64(nonce->seq, seq);
	memcpy(aad->call_id, id, CR_CALL_ID_BYTES);
	cr_put_u64(aad->seq, seq);
}

int ad_chunk_seal(const uint8_t key[AD_KEY_BYTES], const uint8_t id[CR_CALL_ID_BYTES],
		  uint64_t seq, const void *in, size_t len, uint8_t *out)
{
	struct ad_chunk_nonce nonce;
	struct ad_chunk_aad aad;
	gnutls_aead_cipher_hd_t h;
	size_t olen = len + AD_TAG_BYTES;
	int rc = cipher(&h, key);

	if (rc < 0)
		return rc;
	chunk_nonce_aad(id, seq, &nonce, &aad);
	if (gnutls_aead_cipher_encrypt(h, &nonce, sizeof(nonce), &aad, sizeof(aad), AD_TAG_BYTES,
				       in, len, out, &olen) < 0)
		rc = -EIO;
	gnutls_aead_cipher_deinit(h);
	return rc;
}

int ad_chunk_open(const uint8_t key[AD_KEY_BYTES], const uint8_t id[CR_CALL_ID_BYTES],
		  uint64_t seq, const uint8_t *in, size_t len, uint8_t *out)
{
	struct ad_chunk_nonce nonce;
	struct ad_chunk_aad aad;
	gnutls_aead_cipher_hd_t h;
	size_t olen = len;
	int rc;

	if (len < AD_TAG_BYTES)
		return -EBADMSG;
	rc = cipher(&h, key);
	if (rc < 0)
		return rc;
	chunk_nonce_aad(id, seq, &nonce, &aad);
	if (gnutls_aead_cipher_decrypt(h, &nonce, sizeof(nonce), &aad, sizeof(aad), AD_TAG_BYTES,
				       in, len, out, &olen) < 0)
		rc = -EBADMSG;
	gnutls_aead_cipher_deinit(h);
	return rc;
}

/* --- objects ------------------------------------------------------------------------------ */

static void record_params(const struct ad_obj_header *hdr, uint64_t index, int last,
			  uint8_t nonce[AD_NONCE_BYTES], struct ad_obj_record_aad *aad)
{
	size_t i;

	aad->header = *hdr;
	cr_put_u64(aad->index, index);
	aad->last = (uint8_t)(last != 0);
	memcpy(nonce, hdr->nonce_base, AD_NONCE_BYTES);
	for (i = 0; i < sizeof(aad->index); i++)
		nonce[AD_NONCE_BYTES - sizeof(aad->index) + i] ^= aad->index[i];
}

int ad_obj_create(struct ad_obj_writer *w, const uint8_t key[AD_KEY_BYTES], enum ad_obj_kind kind,
		  struct ad_objects *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->objects = b;
	memcpy(w->hdr.magic, "CRE1", sizeof(w->hdr.magic));
	cr_put_u32(w->hdr.kind, (uint32_t)kind);
	if (gnutls_rnd(GNUTLS_RND_NONCE, w->hdr.nonce_base, sizeof(w->hdr.nonce_base)) < 0)
		return -EIO;
	w->buf = malloc(AD_OBJ_RECORD + AD_TAG_BYTES);
	if (!w->buf)
		return -ENOMEM;
	rc = cipher(&w->h, key);
	if (rc == 0)
		rc = b->ops->create(b, id, name, &w->o);
	if (rc == 0)
		rc = b->ops->write(w->o, &w->hdr, sizeof(w->hdr));
	if (rc < 0)
		ad_obj_abort(w);
	return rc;
}

static int flush_record(struct ad_obj_writer *w, int last)
{
	uint8_t nonce[AD_NONCE_BYTES], *out;
	struct ad_obj_record_aad aad;
	size_t olen = w->used + AD_TAG_BYTES;
	int rc;

	out = malloc(olen);
	if (!out)
		return -ENOMEM;
	record_params(&w->hdr, w->index, last, nonce, &aad);
	rc = gnutls_aead_cipher_encrypt(w->h, nonce, sizeof(nonce), &aad, sizeof(aad), AD_TAG_BYTES,
					w->buf, w->used, out, &olen) < 0 ? -EIO : 0;
	if (rc == 0)
		rc = w->objects->ops->write(w->o, out, olen);
	free(out);
	gnutls_memset(w->buf, 0, w->used);
	w->used = 0;
	w->index++;
	return rc;
}

int ad_obj_write(struct ad_obj_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	int rc;

	while (len) {
		size_t n = AD_OBJ_RECORD - w->used;

		if (n > len)
			n = len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
		if (w->used == AD_OBJ_RECORD) {
			rc = flush_record(w, 0);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int ad_obj_commit(struct ad_obj_writer *w)
{
	int rc = flush_record(w, 1);

	if (rc == 0) {
		rc = w->objects->ops->commit(w->o);
		w->o = NULL;
	}
	ad_obj_abort(w);
	return rc;
}

void ad_obj_abort(struct ad_obj_writer *w)
{
	if (w->o)
		w->objects->ops->abort(w->o);
	w->o = NULL;
	if (w->h)
		gnutls_aead_cipher_deinit(w->h);
	w->h = NULL;
	if (w->buf)
		gnutls_memset(w->buf, 0, AD_OBJ_RECORD + AD_TAG_BYTES);
	free(w->buf);
	w->buf = NULL;
}

/* Exactly len bytes unless the object ends first: the count read, or -errno. */
static ssize_t read_full(struct ad_obj_reader *r, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = r->objects->ops->read(r->o, p + got, len - got);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int ad_obj_open(struct ad_obj_reader *r, const uint8_t key[AD_KEY_BYTES], enum ad_obj_kind kind,
		struct ad_objects *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name)
{
	ssize_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	r->objects = b;
	rc = b->ops->open(b, id, name, &r->o);
	if (rc < 0) {
		r->o = NULL;
		return rc;
	}
	n = read_full(r, (uint8_t *)&r->hdr, sizeof(r->hdr));
	if (n != sizeof(r->hdr) || memcmp(r->hdr.magic, "CRE1", sizeof(r->hdr.magic)) != 0 ||
	    cr_get_u32(r->hdr.kind) != (uint32_t)kind) {
		ad_obj_close(r);
		return n < 0 ? (int)n : -EBADMSG;
	}
	r->buf = malloc(AD_OBJ_RECORD + AD_TAG_BYTES);
	rc = r->buf ? cipher(&r->h, key) : -ENOMEM;
	if (rc < 0)
		ad_obj_close(r);
	return rc;
}

/* Read one sealed record: a full one (AD_OBJ_RECORD + tag) unless the object ends first, in
 * which case it must be the last. One byte is read ahead to know which. */
static int next_record(struct ad_obj_reader *r)
{
	uint8_t nonce[AD_NONCE_BYTES], *in;
	struct ad_obj_record_aad aad;
	size_t want = AD_OBJ_RECORD + AD_TAG_BYTES, got = 0, olen;
	ssize_t n;
	int last, rc = 0;

	in = malloc(want + 1);
	if (!in)
		return -ENOMEM;
	if (r->have_next) {
		in[0] = r->next;
		got = 1;
		r->have_next = 0;
	}
	n = read_full(r, in + got, want + 1 - got);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	got += (size_t)n;
	last = got <= want;
	if (!last) {
		r->next = in[want];
		r->have_next = 1;
		got = want;
	}
	if (got < AD_TAG_BYTES) {
		rc = -EBADMSG;
		goto out;
	}
	record_params(&r->hdr, r->index, last, nonce, &aad);
	olen = got;
	if (gnutls_aead_cipher_decrypt(r->h, nonce, sizeof(nonce), &aad, sizeof(aad), AD_TAG_BYTES,
				       in, got, r->buf, &olen) < 0) {
		rc = -EBADMSG;
		goto out;
	}
	r->have = olen;
	r->pos = 0;
	r->index++;
	r->done = last;
out:
	free(in);
	return rc;
}

ssize_t ad_obj_read(struct ad_obj_reader *r, void *out, size_t len)
{
	size_t n;
	int rc;

	while (r->pos == r->have) {
		if (r->done)
			return 0;
		rc = next_record(r);
		if (rc < 0)
			return rc;
	}
	n = r->have - r->pos;
	if (n > len)
		n = len;
	memcpy(out, r->buf + r->pos, n);
	r->pos += n;
	return (ssize_t)n;
}

void ad_obj_close(struct ad_obj_reader *r)
{
	if (r->o)
		r->objects->ops->close(r->o);
	r->o = NULL;
	if (r->h)
		gnutls_aead_cipher_deinit(r->h);
	r->h = NULL;
	if (r->buf)
		gnutls_memset(r->buf, 0, AD_OBJ_RECORD + AD_TAG_BYTES);
	free(r->buf);
	r->buf = NULL;
}

int ad_obj_read_all(const uint8_t key[AD_KEY_BYTES], enum ad_obj_kind kind, struct ad_objects *b,
		    const uint8_t id[CR_CALL_ID_BYTES], const char *name, size_t max, uint8_t **out,
		    size_t *len)
{
	struct ad_obj_reader r;
	uint8_t *buf = NULL;
	size_t used = 0, cap = 0;
	int rc = ad_obj_open(&r, key, kind, b, id, name);

	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t n;

		if (cap - used < 2) {
			size_t want = cap ? cap * 2 : 65536 + 1;
			uint8_t *p;

			/* Room for max bytes, one more to notice a larger object, and the NUL. */
			if (want > max + 2)
				want = max + 2;
			if (want <= cap) {
				rc = -EFBIG;
				break;
			}
			cap = want;
			p = realloc(buf, cap);
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = ad_obj_read(&r, buf + used, cap - used - 1);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = -EFBIG;
			break;
		}
	}
	ad_obj_close(&r);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}
