/* The store: opening it, and the group commit. See store.h. */
#include "store/internal.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "store/erase.h"

int ad_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t want;
	void *p;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 16;
	p = realloc(*arr, want * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = want;
	return 0;
}

static int lock_dir(struct ad_store *s)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/lock", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		cr_err("storage: cannot open %s: %m", path);
		return -errno;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		cr_err("storage: %s is in use by another callrec-archived", s->dir);
		return -EBUSY;
	}
	return 0;
}

int ad_store_open(const struct ad_store_cfg *cfg, struct ad_store **out)
{
	struct ad_store *s = calloc(1, sizeof(*s));
	const char *dir = cfg->data_dir;
	int rc;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->lock_fd = -1;
	s->dir = strdup(dir);
	if (!s->dir) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = cr_mkdir_p(dir, 0700);
	if (rc < 0) {
		cr_err("storage: cannot create %s: %s", dir, strerror(-rc));
		goto fail;
	}
	rc = lock_dir(s);
	if (rc == 0)
		rc = ad_objects_open(cfg->objects, dir, &s->objects);
	if (rc == 0)
		rc = ad_index_open(cfg->index, dir, &s->index);
	if (rc < 0)
		goto fail;
	s->cfg.data_dir = s->dir;
	/* An erasure the archive was killed in is finished before anything else. */
	rc = ad_erase_recover(s);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	ad_store_close(s);
	return rc;
}

int ad_store_open_peer(struct ad_store *parent, struct ad_store **out)
{
	struct ad_store *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->cfg = parent->cfg;
	s->lock_fd = -1;
	s->dir = strdup(parent->dir);
	rc = s->dir ? parent->objects->ops->open_peer(parent->objects, &s->objects) : -ENOMEM;
	if (rc == 0)
		rc = parent->index->ops->open_peer(parent->index, &s->index);
	if (rc < 0) {
		ad_store_close(s);
		return rc;
	}
	s->cfg.data_dir = s->dir;
	*out = s;
	return 0;
}

const char *ad_store_dir(const struct ad_store *s)
{
	return s->dir;
}

struct ad_objects *ad_store_objects(const struct ad_store *s)
{
	return s->objects;
}

struct ad_index *ad_store_index(const struct ad_store *s)
{
	return s->index;
}

static void clear_staged(struct ad_store *s)
{
	size_t i;

	for (i = 0; i < s->ncalls; i++) {
		gnutls_memset(s->calls[i].key, 0, sizeof(s->calls[i].key));
		free(s->calls[i].device);
		free(s->calls[i].software);
		free(s->calls[i].meta);
	}
	for (i = 0; i < s->nbeats; i++) {
		free(s->beats[i].device);
		free(s->beats[i].json);
	}
	s->ncalls = s->nchunks = s->nbeats = s->nacks = 0;
	ad_idmap_clear(&s->call_map);
	ad_idmap_clear(&s->chunk_map);
}

void ad_store_close(struct ad_store *s)
{
	size_t i;

	if (!s)
		return;
	clear_staged(s);
	ad_live_free(&s->live);
	for (i = 0; i < s->ncloses; i++)
		free(s->closes[i].json);
	if (s->seal)
		free(s->seal);
	if (s->objects)
		s->objects->ops->free(s->objects);
	gnutls_memset(s->key, 0, sizeof(s->key));
	for (i = 0; i < s->ncalls; i++)
		gnutls_memset(s->calls[i].key, 0, sizeof(s->calls[i].key));
	if (s->index)
		s->index->ops->close(s->index);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->calls);
	free(s->chunks);
	free(s->beats);
	free(s->acks);
	free(s->closes);
	free(s->erases);
	ad_idmap_free(&s->call_map);
	ad_idmap_free(&s->chunk_map);
	free(s->dir);
	free(s);
}

static size_t fresh_closes(const struct ad_store *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->ncloses; i++)
		n += s->closes[i].fresh != 0;
	return n;
}

size_t ad_store_staged(const struct ad_store *s)
{
	return s->nacks + s->nbeats + fresh_closes(s) + s->nerases;
}

void ad_store_forget(struct ad_store *s, void *tag)
{
	size_t i, j = 0;

	for (i = 0; i < s->ncloses; i++) {
		if (s->closes[i].tag == tag) {
			free(s->closes[i].json);
			continue;
		}
		s->closes[j++] = s->closes[i];
	}
	s->ncloses = j;
	for (i = 0; i < s->nacks; i++)
		if (s->acks[i].tag == tag)
			s->acks[i].tag = NULL;
	for (i = 0; i < s->nerases; i++)
		if (s->erases[i].tag == tag)
			s->erases[i].tag = NULL; /* still erased; nobody to acknowledge */
}

/* --- the commit ------------------------------------------------------------------------- */

/* Everything staged, in the index's transaction. */
static int write_batch(struct ad_store *s)
{
	struct ad_index *ix = s->index;
	int64_t now = ad_clock_now(s->cfg.clock);
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < s->ncalls; i++) {
		const struct staged_call *c = &s->calls[i];
		struct ad_index_call row = { .device = c->device, .software = c->software,
					     .meta = c->meta, .expires = c->expires,
					     .created = now };

		memcpy(row.id, c->id, CR_CALL_ID_BYTES);
		memcpy(row.open_hash, c->open_hash, CR_HASH_BYTES);
		memcpy(row.wrapped, c->wrapped, AD_WRAPPED_BYTES);
		rc = ix->ops->put_call(ix, &row);
	}
	for (i = 0; rc == 0 && i < s->nchunks; i++)
		rc = ix->ops->put_chunk(ix, s->chunks[i].id, &s->chunks[i].c);
	for (i = 0; rc == 0 && i < s->nbeats; i++)
		rc = ix->ops->put_heartbeat(ix, s->beats[i].device, s->beats[i].json, now);
	return rc;
}

/* Chunks the agent evicted from a full spool (its CALL_CLOSE lists them as "evicted_seqs")
 * will never arrive: a close need not wait for them. Counts distinct seqs in [1, close). */
static uint64_t evicted_before(const char *json, uint64_t close_seq)
{
	json_t *root = json_loads(json ? json : "", 0, NULL);
	json_t *list = root ? json_object_get(root, "evicted_seqs") : NULL;
	uint64_t n = 0, prev = 0;
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		json_int_t q = json_integer_value(v);
		/* The agent lists them in ascending order; anything else is not counted. */
		if (!json_is_integer(v) || q < 1 || (uint64_t)q >= close_seq || (uint64_t)q <= prev)
			continue;
		prev = (uint64_t)q;
		n++;
	}
	json_decref(root);
	return n;
}

/* Decide each close inside the transaction: complete when seqs 1..seq-1 are all stored
 * (but for the evicted ones). */
static int settle_closes(struct ad_store *s)
{
	size_t i;

	for (i = 0; i < s->ncloses; i++) {
		struct close_req *c = &s->closes[i];
		enum ad_close_result res;
		int r;

		c->result = 0;
		if (!c->fresh)
			continue;
		r = s->index->ops->settle_close(s->index, c->id, c->seq, c->json,
						c->seq - 1 - evicted_before(c->json, c->seq), &res);
		if (r < 0)
			return r;
		if (res == AD_CLOSE_PAST)
			c->result = -1 - CR_ACK_INVALID; /* chunks past the end were stored */
		else
			c->result = res == AD_CLOSE_APPLIED;
	}
	return 0;
}

static void report(struct ad_store *s, ad_ack_fn ack, void *arg, int failure)
{
	size_t i, j = 0;

	for (i = 0; i < s->nacks; i++) {
		const struct pending_ack *a = &s->acks[i];
		int status = failure ? failure : a->kind == ACK_DECIDED ? a->status : CR_ACK_OK;

		if (a->tag)
			ack(arg, a->tag, a->id, a->seq, status);
	}
	for (i = 0; i < s->ncloses; i++) {
		struct close_req *c = &s->closes[i];
		char hex[2 * CR_CALL_ID_BYTES + 1];

		if (c->result == 0) {
			/* Still waiting for chunks; re-checked when its call gets chunks (or, after
			 * a failed commit, at the next one). */
			c->fresh = failure != 0;
			s->closes[j++] = *c;
			continue;
		}
		cr_id_to_hex(c->id, hex);
		if (c->result == 1)
			cr_notice("call %s closed at seq %llu", hex, (unsigned long long)c->seq);
		ack(arg, c->tag, c->id, c->seq, c->result == 1 ? CR_ACK_OK : -c->result - 1);
		free(c->json);
	}
	s->ncloses = j;
}

static double elapsed_ms(uint64_t t0_ns)
{
	return (double)(cr_now_ns() - t0_ns) / 1e6;
}

int ad_store_commit(struct ad_store *s, ad_ack_fn ack, void *arg)
{
	uint64_t t0;
	double sync_ms = 0;
	int rc = 0;

	if (!ad_store_staged(s))
		return 0;
	t0 = cr_now_ns();
	if (s->nchunks || s->append_failed) {
		rc = s->objects->ops->seg_sync(s->objects);
		s->append_failed = 0;
		sync_ms = elapsed_ms(t0);
	}
	if (rc == 0)
		rc = s->index->ops->begin_batch(s->index);
	if (rc == 0) {
		int end;

		rc = write_batch(s);
		if (rc == 0)
			rc = settle_closes(s);
		end = s->index->ops->end_batch(s->index, rc == 0);
		if (rc == 0)
			rc = end;
	}
	if (rc < 0) {
		size_t i;

		ad_store_err(s, "storage: commit of %zu items failed (%s): nothing acknowledged",
			     s->nacks + s->ncloses, strerror(-rc));
		if (!s->outage)
			cr_err("ALARM storage: cannot store (%s): acknowledging nothing until it "
			       "recovers; agents keep their spools and resend", strerror(-rc));
		s->outage = rc;
		s->outage_commits++;
		s->objects->quiet = s->index->quiet = 1;
		for (i = 0; i < s->ncloses; i++)
			s->closes[i].result = 0;
	}
	cr_debug("commit: %zu calls, %zu chunks, %zu closes: segment sync %.1f ms, total %.1f ms",
		 s->ncalls, s->nchunks, s->ncloses, sync_ms, elapsed_ms(t0));
	if (rc == 0)
		ad_stage_committed(s);
	if (rc == 0 && s->outage) {
		cr_notice("storage: recovered after %u failed commits (%s); acknowledging again",
			  s->outage_commits, strerror(-s->outage));
		s->outage = 0;
		s->outage_commits = 0;
		s->objects->quiet = s->index->quiet = 0;
	}
	ad_erase_deferred(s, rc);
	report(s, ack, arg, rc);
	clear_staged(s);
	return rc;
}
