/* Staging: every CALL_OPEN / CHUNK / CALL_CLOSE is checked against what is committed and what
 * was staged earlier in the same turn (ownership, idempotency, the hash chain) and either
 * staged for the next commit or given its refusal status. Nothing here trusts client text
 * for names: the device is the certificate CN the caller passes. */
#include "store/internal.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rights/audit.h"
#include "store/erase.h"
#include "store/meta.h"
#include "vault/crypt.h"

static int push_ack(struct ad_store *s, void *tag, const uint8_t *id, uint64_t seq,
		    enum ack_kind kind, int status)
{
	struct pending_ack *a;

	if (AD_GROW(s->acks, s->capacks, s->nacks) < 0)
		return -ENOMEM;
	a = &s->acks[s->nacks++];
	a->tag = tag;
	memcpy(a->id, id, CR_CALL_ID_BYTES);
	a->seq = seq;
	a->kind = kind;
	a->status = status;
	return 0;
}

static int decided(struct ad_store *s, void *tag, const uint8_t *id, uint64_t seq, int status)
{
	return push_ack(s, tag, id, seq, ACK_DECIDED, status);
}

int ad_stage_decided(struct ad_store *s, void *tag, const uint8_t *id, uint64_t seq, int status)
{
	return decided(s, tag, id, seq, status);
}

/* Metadata nests a few levels (disclosure events, tags); anything deeper is not ours. Deep
 * enough metadata would still parse here but not once `show` wraps it in its reply (jansson
 * stops at 2048 levels), so that call could no longer be shown. */
#define META_MAX_DEPTH 16

static int json_shallow(json_t *j, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > META_MAX_DEPTH)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach(j, key, v)
			if (!json_shallow(v, depth + 1))
				return 0;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (!json_shallow(v, depth + 1))
				return 0;
	}
	return 1;
}

/* A JSON object of bounded size and depth with no NUL bytes, as a NUL-terminated copy; NULL
 * if not. */
static char *json_object_text(const uint8_t *p, size_t len)
{
	json_t *j;
	char *text;

	if (len > CR_FRAME_MAX_JSON || memchr(p, 0, len))
		return NULL;
	j = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, NULL);
	if (!j || !json_is_object(j) || !json_shallow(j, 1)) {
		json_decref(j);
		return NULL;
	}
	json_decref(j);
	text = malloc(len + 1);
	if (text) {
		memcpy(text, p, len);
		text[len] = '\0';
	}
	return text;
}

/* 1 found (into *v), 0 unknown, <0 storage error. */
static int lookup_call(struct ad_store *s, const uint8_t *id, struct call_view *v)
{
	const struct ad_live_call *l;
	struct ad_call_info ci;
	size_t idx;
	int r;

	memset(v, 0, sizeof(*v));
	if (ad_idmap_get(&s->call_map, id, 0, &idx)) {
		snprintf(v->device, sizeof(v->device), "%s", s->calls[idx].device);
		memcpy(v->open_hash, s->calls[idx].open_hash, CR_HASH_BYTES);
		v->rate = s->calls[idx].rate;
		return 1;
	}
	if ((l = ad_live_get(&s->live, id))) {
		memcpy(v->device, l->device, sizeof(v->device));
		memcpy(v->open_hash, l->open_hash, CR_HASH_BYTES);
		v->rate = l->rate;
		return 1; /* recording: not closed, not erased */
	}
	v->indexed = 1;
	r = s->index->ops->call_get(s->index, id, &ci);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	snprintf(v->device, sizeof(v->device), "%s", ci.device ? ci.device : "");
	memcpy(v->open_hash, ci.open_hash, CR_HASH_BYTES);
	v->closed = strcmp(ci.state, "recording") != 0;
	v->erased = strcmp(ci.state, "erasing") == 0 || strcmp(ci.state, "erased") == 0;
	v->close_seq = ci.close_seq;
	v->rate = ad_call_rate(ci.meta_json);
	return 1;
}

/* 1 found (hash and prev into the arrays), 0 unknown, <0 storage error. */
static int lookup_chunk(struct ad_store *s, const uint8_t *id, uint64_t seq,
			uint8_t hash[CR_HASH_BYTES], uint8_t prev[CR_HASH_BYTES])
{
	const struct ad_live_call *l;
	size_t idx;

	if (ad_idmap_get(&s->chunk_map, id, seq, &idx)) {
		memcpy(hash, s->chunks[idx].c.sha256, CR_HASH_BYTES);
		memcpy(prev, s->chunks[idx].c.prev_hash, CR_HASH_BYTES);
		return 1;
	}
	/* The index holds exactly 1..last_seq of a live call: the usual questions (the chunk
	 * itself, its predecessor, its successor) are answered here. */
	if ((l = ad_live_get(&s->live, id)) && seq >= l->last_seq) {
		if (seq > l->last_seq || seq == 0)
			return 0;
		memcpy(hash, l->last_hash, CR_HASH_BYTES);
		memcpy(prev, l->last_prev, CR_HASH_BYTES);
		return 1;
	}
	return s->index->ops->chunk_get(s->index, id, seq, hash, prev);
}

/* A recording call found only in the index (opened before this process started, or
 * dropped from s->live for a hole that may be filled now): back into s->live when its chunks
 * are 1..n without a hole. 0 or -errno (storage errors only; "not now" is 0). */
static int live_from_index(struct ad_store *s, const uint8_t *id, const struct call_view *v)
{
	struct ad_index *ix = s->index;
	struct ad_live_call l;
	uint64_t n, beyond;
	int r, rc;

	rc = ix->ops->chunk_count(ix, id, 0, UINT64_MAX, &n);
	if (rc < 0)
		return rc;
	memset(&l, 0, sizeof(l));
	memcpy(l.id, id, CR_CALL_ID_BYTES);
	memcpy(l.device, v->device, sizeof(l.device));
	memcpy(l.open_hash, v->open_hash, CR_HASH_BYTES);
	memcpy(l.last_hash, v->open_hash, CR_HASH_BYTES);
	l.rate = v->rate;
	l.last_seq = n;
	/* n chunks, seq n among them and none above it: exactly 1..n (seqs are unique, >= 1). */
	if (n > 0) {
		r = lookup_chunk(s, id, l.last_seq, l.last_hash, l.last_prev);
		if (r <= 0) {
			rc = r; /* 0: a hole, so not now */
			goto out;
		}
		rc = ix->ops->chunk_count(ix, id, n + 1, UINT64_MAX, &beyond);
		if (rc < 0 || beyond > 0)
			goto out; /* n chunks, some above n: a hole below them, so not now */
	}
	rc = ad_store_call_key(s, id, l.key);
	if (rc == 0)
		(void)ad_live_put(&s->live, &l); /* without memory for it, the index answers */
out:
	gnutls_memset(&l, 0, sizeof(l));
	return rc == -ENOENT ? -EIO : rc;
}

void ad_stage_committed(struct ad_store *s)
{
	struct ad_live_call l;
	size_t i, idx;

	for (i = 0; i < s->ncalls; i++) {
		const struct staged_call *c = &s->calls[i];

		memset(&l, 0, sizeof(l));
		memcpy(l.id, c->id, CR_CALL_ID_BYTES);
		snprintf(l.device, sizeof(l.device), "%s", c->device);
		memcpy(l.open_hash, c->open_hash, CR_HASH_BYTES);
		memcpy(l.last_hash, c->open_hash, CR_HASH_BYTES);
		memcpy(l.key, c->key, AD_KEY_BYTES);
		l.rate = c->rate;
		(void)ad_live_put(&s->live, &l); /* without it, the index answers */
	}
	gnutls_memset(&l, 0, sizeof(l));
	for (i = 0; i < s->nchunks; i++) {
		const struct staged_chunk *k = &s->chunks[i];
		struct ad_live_call *c = ad_live_get(&s->live, k->id);

		if (!c || k->c.seq <= c->last_seq)
			continue;
		while (ad_idmap_get(&s->chunk_map, k->id, c->last_seq + 1, &idx)) {
			c->last_seq++;
			memcpy(c->last_hash, s->chunks[idx].c.sha256, CR_HASH_BYTES);
			memcpy(c->last_prev, s->chunks[idx].c.prev_hash, CR_HASH_BYTES);
		}
		if (k->c.seq > c->last_seq)
			ad_live_drop(&s->live, k->id); /* a hole below this chunk */
	}
	for (i = 0; i < s->ncloses; i++)
		if (s->closes[i].result == 1) /* now "closing" */
			ad_live_drop(&s->live, s->closes[i].id);
}

int ad_store_call_open(struct ad_store *s, void *tag, const char *device, const char *software,
		       const uint8_t *body, size_t len)
{
	uint8_t id[CR_CALL_ID_BYTES], hash[CR_HASH_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	struct staged_call *c;
	struct call_view v;
	uint64_t seq;
	char *meta;
	int r;

	if (cr_idseq_decode(body, len, id, &seq) < 0)
		return -EPROTO;
	cr_id_to_hex(id, hex);
	meta = json_object_text(body + CR_IDSEQ_WIRE, len - CR_IDSEQ_WIRE);
	if (seq != 0 || !meta || !ad_call_rate(meta)) {
		free(meta);
		cr_warn("device %s: invalid CALL_OPEN for %s", device, hex);
		return decided(s, tag, id, seq, CR_ACK_INVALID);
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, body, len, hash);
	r = lookup_call(s, id, &v);
	if (r != 0) {
		free(meta);
		if (r < 0)
			return r;
		if (strcmp(v.device, device) != 0) {
			cr_warn("device %s: refused CALL_OPEN of %s owned by %s", device, hex, v.device);
			return decided(s, tag, id, seq, CR_ACK_FORBIDDEN);
		}
		if (memcmp(v.open_hash, hash, CR_HASH_BYTES) != 0) {
			cr_err("ALARM device %s: CALL_OPEN of %s resent with different content",
			       device, hex);
			return decided(s, tag, id, seq, CR_ACK_CONFLICT);
		}
		return decided(s, tag, id, seq, CR_ACK_OK); /* a resend */
	}
	if (AD_GROW(s->calls, s->capcalls, s->ncalls) < 0)
		goto nomem;
	c = &s->calls[s->ncalls];
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, CR_CALL_ID_BYTES);
	memcpy(c->open_hash, hash, CR_HASH_BYTES);
	c->meta = meta;
	c->expires = ad_retention_deadline(meta);
	c->rate = ad_call_rate(meta);
	if (ad_vault_new_call_key(s->cfg.vault, id, c->key, c->wrapped) < 0) {
		free(meta);
		cr_err("device %s: call %s: cannot make its key", device, hex);
		return -EIO;
	}
	c->device = strdup(device);
	c->software = software ? strdup(software) : NULL;
	if (!c->device || (software && !c->software)) {
		free(c->device);
		free(c->software);
		goto nomem;
	}
	if (ad_idmap_put(&s->call_map, id, 0, s->ncalls) < 0 ||
	    push_ack(s, tag, id, 0, ACK_CALL, 0) < 0) {
		free(c->device);
		free(c->software);
		goto nomem;
	}
	s->ncalls++;
	cr_info("device %s: call %s opened", device, hex);
	return 0;
nomem:
	free(meta);
	return -ENOMEM;
}

/* Idempotency and chain checks against neighbours: *status becomes an ACK status to send,
 * or -1 when the chunk is new and fits. 0 or -errno. */
static int check_chunk(struct ad_store *s, const char *device, const struct cr_chunk_hdr *h,
		       const char *hex, int *status)
{
	uint8_t hash[CR_HASH_BYTES], prev[CR_HASH_BYTES];
	int r;

	*status = -1;
	r = lookup_chunk(s, h->call_id, h->seq, hash, prev);
	if (r < 0)
		return r;
	if (r) {
		if (memcmp(hash, h->hash, CR_HASH_BYTES) == 0) {
			*status = CR_ACK_OK; /* resent after a lost ACK */
			return 0;
		}
		cr_err("ALARM device %s: call %s seq %llu resent with different content; kept the "
		       "stored one", device, hex, (unsigned long long)h->seq);
		*status = CR_ACK_CONFLICT;
		return 0;
	}
	if (h->seq > 1) {
		r = lookup_chunk(s, h->call_id, h->seq - 1, hash, prev);
		if (r < 0)
			return r;
		/* An unknown predecessor is checked when it arrives (against our prev_hash). */
		if (r && memcmp(hash, h->prev_hash, CR_HASH_BYTES) != 0) {
			*status = CR_ACK_CHAIN;
			return 0;
		}
	}
	r = lookup_chunk(s, h->call_id, h->seq + 1, hash, prev);
	if (r < 0)
		return r;
	if (r && memcmp(prev, h->hash, CR_HASH_BYTES) != 0)
		*status = CR_ACK_CHAIN;
	return 0;
}

/* The chunk's audio sealed with its call's key into s->seal. 0 or -errno. */
static int seal_chunk(struct ad_store *s, const struct cr_chunk_hdr *h, const uint8_t *audio,
		      size_t bytes)
{
	uint8_t key[AD_KEY_BYTES];
	size_t idx;
	int r;

	if (bytes + AD_TAG_BYTES > s->seal_cap) {
		size_t cap = bytes + AD_TAG_BYTES;
		uint8_t *p = realloc(s->seal, cap);
		if (!p)
			return -ENOMEM;
		s->seal = p;
		s->seal_cap = cap;
	}
	const struct ad_live_call *l;

	if (ad_idmap_get(&s->call_map, h->call_id, 0, &idx))
		memcpy(key, s->calls[idx].key, AD_KEY_BYTES);
	else if ((l = ad_live_get(&s->live, h->call_id)))
		memcpy(key, l->key, AD_KEY_BYTES);
	else if ((r = ad_store_call_key(s, h->call_id, key)) < 0)
		return r == -ENOENT ? -EIO : r;
	r = ad_chunk_seal(key, h->call_id, h->seq, audio, bytes, s->seal);
	gnutls_memset(key, 0, sizeof(key));
	return r;
}

static void mark_closes_fresh(struct ad_store *s, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < s->ncloses; i++)
		if (memcmp(s->closes[i].id, id, CR_CALL_ID_BYTES) == 0)
			s->closes[i].fresh = 1;
}

int ad_store_put_chunk(struct ad_store *s, void *tag, const char *device, const uint8_t *body,
		       size_t len)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	uint8_t hash[CR_HASH_BYTES];
	struct staged_chunk *k;
	struct cr_chunk_hdr h;
	struct call_view v;
	const uint8_t *audio;
	size_t bytes;
	int r, status;

	if (cr_chunk_hdr_decode(body, len, &h, &audio, &bytes) < 0) {
		uint8_t id[CR_CALL_ID_BYTES];
		uint64_t seq;

		if (len < CR_IDSEQ_WIRE || cr_idseq_decode(body, CR_IDSEQ_WIRE, id, &seq) < 0)
			return -EPROTO;
		cr_warn("device %s: malformed CHUNK", device);
		return decided(s, tag, id, seq, CR_ACK_INVALID);
	}
	cr_id_to_hex(h.call_id, hex);
	if (h.seq == 0 || h.seq >= AD_SEQ_LIMIT || h.channels != 2 ||
	    h.format != 1 || h.frames == 0 || h.start_frame >= (1ull << 40)) {
		cr_warn("device %s: call %s seq %llu: unsupported chunk", device, hex,
			(unsigned long long)h.seq);
		return decided(s, tag, h.call_id, h.seq, CR_ACK_INVALID);
	}
	r = lookup_call(s, h.call_id, &v);
	if (r < 0)
		return r;
	if (r == 0) {
		cr_warn("device %s: chunk for unknown call %s", device, hex);
		return decided(s, tag, h.call_id, h.seq, CR_ACK_INVALID);
	}
	if (strcmp(v.device, device) != 0) {
		cr_warn("device %s: refused chunk of call %s owned by %s", device, hex, v.device);
		return decided(s, tag, h.call_id, h.seq, CR_ACK_FORBIDDEN);
	}
	if (!v.erased && h.rate != v.rate) {
		cr_warn("device %s: call %s seq %llu: rate %u, the call's is %u", device, hex,
			(unsigned long long)h.seq, h.rate, v.rate);
		return decided(s, tag, h.call_id, h.seq, CR_ACK_INVALID);
	}
	if (v.indexed && !v.closed && !v.erased && (r = live_from_index(s, h.call_id, &v)) < 0)
		return r;
	if (cr_chunk_hash(&h, audio, bytes, hash) < 0 ||
	    memcmp(hash, h.hash, CR_HASH_BYTES) != 0 ||
	    (h.seq == 1 && memcmp(h.prev_hash, v.open_hash, CR_HASH_BYTES) != 0)) {
		cr_warn("device %s: call %s seq %llu: hash chain does not verify", device, hex,
			(unsigned long long)h.seq);
		return decided(s, tag, h.call_id, h.seq, CR_ACK_CHAIN);
	}
	r = check_chunk(s, device, &h, hex, &status);
	if (r < 0)
		return r;
	if (status >= 0) {
		if (status == CR_ACK_CHAIN)
			cr_warn("device %s: call %s seq %llu: hash chain does not verify", device,
				hex, (unsigned long long)h.seq);
		return decided(s, tag, h.call_id, h.seq, status);
	}
	if (v.erased) {
		/* Erased (private, or by an operator): acknowledged so the agent's spool drains,
		 * never stored. */
		return decided(s, tag, h.call_id, h.seq, CR_ACK_OK);
	}
	if (v.closed && h.seq >= v.close_seq) {
		cr_warn("device %s: call %s seq %llu is past its close", device, hex,
			(unsigned long long)h.seq);
		return decided(s, tag, h.call_id, h.seq, CR_ACK_INVALID);
	}
	if (AD_GROW(s->chunks, s->capchunks, s->nchunks) < 0)
		return -ENOMEM;
	k = &s->chunks[s->nchunks];
	memset(k, 0, sizeof(*k));
	memcpy(k->id, h.call_id, CR_CALL_ID_BYTES);
	k->c.seq = h.seq;
	k->c.start_frame = h.start_frame;
	k->c.frames = h.frames;
	memcpy(k->c.sha256, h.hash, CR_HASH_BYTES);
	memcpy(k->c.prev_hash, h.prev_hash, CR_HASH_BYTES);
	k->c.length = bytes + AD_TAG_BYTES;
	r = seal_chunk(s, &h, audio, bytes);
	if (r < 0)
		return r;
	r = s->objects->ops->seg_append(s->objects, s->seal, bytes + AD_TAG_BYTES, &k->c.segment,
					&k->c.offset);
	if (r < 0) {
		s->append_failed = 1;
		return r;
	}
	if (ad_idmap_put(&s->chunk_map, h.call_id, h.seq, s->nchunks) < 0 ||
	    push_ack(s, tag, h.call_id, h.seq, ACK_CHUNK, 0) < 0)
		return -ENOMEM;
	s->nchunks++;
	mark_closes_fresh(s, h.call_id);
	return 0;
}

int ad_store_call_close(struct ad_store *s, void *tag, const char *device, const uint8_t *body,
			size_t len)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	uint8_t id[CR_CALL_ID_BYTES];
	struct close_req *c = NULL;
	struct call_view v;
	uint64_t seq;
	char *json;
	size_t i;
	int r;

	if (cr_idseq_decode(body, len, id, &seq) < 0)
		return -EPROTO;
	cr_id_to_hex(id, hex);
	json = json_object_text(body + CR_IDSEQ_WIRE, len - CR_IDSEQ_WIRE);
	if (!json || seq == 0 || seq >= AD_SEQ_LIMIT) {
		free(json);
		cr_warn("device %s: invalid CALL_CLOSE for %s", device, hex);
		return decided(s, tag, id, seq, CR_ACK_INVALID);
	}
	r = lookup_call(s, id, &v);
	if (r <= 0) {
		free(json);
		if (r < 0)
			return r;
		cr_warn("device %s: CALL_CLOSE for unknown call %s", device, hex);
		return decided(s, tag, id, seq, CR_ACK_INVALID);
	}
	if (strcmp(v.device, device) != 0) {
		free(json);
		cr_warn("device %s: refused CALL_CLOSE of %s owned by %s", device, hex, v.device);
		return decided(s, tag, id, seq, CR_ACK_FORBIDDEN);
	}
	if (v.erased) {
		free(json);
		return decided(s, tag, id, seq, CR_ACK_OK); /* erased: nothing more is kept */
	}
	if (v.closed) {
		free(json);
		if (v.close_seq == seq)
			return decided(s, tag, id, seq, CR_ACK_OK);
		cr_err("ALARM device %s: call %s closed again at another seq", device, hex);
		return decided(s, tag, id, seq, CR_ACK_CONFLICT);
	}
	for (i = 0; i < s->ncloses; i++)
		if (memcmp(s->closes[i].id, id, CR_CALL_ID_BYTES) == 0)
			c = &s->closes[i]; /* a resend (maybe on a new connection) replaces it */
	if (c) {
		free(c->json);
	} else {
		if (AD_GROW(s->closes, s->capcloses, s->ncloses) < 0) {
			free(json);
			return -ENOMEM;
		}
		c = &s->closes[s->ncloses++];
	}
	c->tag = tag;
	memcpy(c->id, id, CR_CALL_ID_BYTES);
	c->seq = seq;
	c->json = json;
	c->fresh = 1;
	c->result = 0;
	return 0;
}

int ad_store_heartbeat(struct ad_store *s, const char *device, const char *json, size_t len)
{
	struct staged_beat *b;
	char *text = json_object_text((const uint8_t *)json, len);

	if (!text)
		return -EINVAL;
	if (AD_GROW(s->beats, s->capbeats, s->nbeats) < 0) {
		free(text);
		return -ENOMEM;
	}
	b = &s->beats[s->nbeats];
	b->json = text;
	b->device = strdup(device);
	if (!b->device) {
		free(text);
		return -ENOMEM;
	}
	s->nbeats++;
	return 0;
}

int ad_store_call_erase(struct ad_store *s, void *tag, const char *device, const uint8_t *body,
			size_t len)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	uint8_t id[CR_CALL_ID_BYTES];
	struct call_view v;
	size_t idx;
	uint64_t seq;
	int r;

	if (cr_idseq_decode(body, len, id, &seq) < 0)
		return -EPROTO;
	cr_id_to_hex(id, hex);
	if (seq != 0)
		return decided(s, tag, id, seq, CR_ACK_INVALID);
	if (ad_idmap_get(&s->call_map, id, 0, &idx)) {
		/* Opened in this very turn: erased right after the commit that stores it. */
		struct erase_req *e;

		if (strcmp(s->calls[idx].device, device) != 0)
			return decided(s, tag, id, 0, CR_ACK_FORBIDDEN);
		if (AD_GROW(s->erases, s->caperases, s->nerases) < 0)
			return -ENOMEM;
		e = &s->erases[s->nerases++];
		e->tag = tag;
		memcpy(e->id, id, CR_CALL_ID_BYTES);
		snprintf(e->device, sizeof(e->device), "%s", device);
		return 0;
	}
	r = lookup_call(s, id, &v);
	if (r < 0)
		return r;
	if (r == 0)
		return decided(s, tag, id, 0, CR_ACK_OK); /* nothing of it was ever stored */
	if (strcmp(v.device, device) != 0) {
		cr_warn("device %s: refused CALL_ERASE of %s owned by %s", device, hex, v.device);
		return decided(s, tag, id, 0, CR_ACK_FORBIDDEN);
	}
	r = ad_erase_call(s, id, "private", NULL);
	if (r == -EBUSY) {
		/* A legal hold outranks the user's wish; the agent is told it is stored. */
		cr_warn("device %s: call %s is on hold: not erased as private", device, hex);
		ad_audit(s->cfg.audit, device, "device", "erase", hex, "refused", "on hold");
		return decided(s, tag, id, 0, CR_ACK_OK);
	}
	if (r < 0 && r != -ENOENT)
		return r;
	ad_audit(s->cfg.audit, device, "device", "erase", hex, "ok", "private");
	return decided(s, tag, id, 0, CR_ACK_OK);
}
