/* Storage: opening the data directory, the index schema, and the group commit. See store.h. */
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

#include "store/erase.h"
#include "fsutil.h"
#include "log.h"

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS calls("
	" id BLOB PRIMARY KEY, device TEXT NOT NULL, software TEXT, meta TEXT NOT NULL,"
	" open_hash BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'recording',"
	" close_seq INTEGER NOT NULL DEFAULT 0, close_json TEXT, created INTEGER NOT NULL,"
	" audio_sha256 TEXT, expires INTEGER, hold_reason TEXT, hold_by TEXT, hold_at INTEGER,"
	" release_by TEXT, release_reason TEXT, erase_reason TEXT, erased_at INTEGER,"
	" leaf INTEGER, manifest_sig BLOB);"
	/* Each call's own key, wrapped by the master key; erasure deletes the row (with
	 * secure_delete, the page is overwritten) and so makes the ciphertext unreadable. */
	"CREATE TABLE IF NOT EXISTS keys(call_id BLOB PRIMARY KEY, wrapped BLOB NOT NULL)"
	" WITHOUT ROWID;"
	/* The Merkle log of manifests (RFC 9162 leaf hashes), append-only. */
	"CREATE TABLE IF NOT EXISTS mlog(idx INTEGER PRIMARY KEY, call_id BLOB NOT NULL,"
	" leaf BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, json TEXT NOT NULL,"
	" sig BLOB NOT NULL, tsr BLOB);"
	"CREATE TABLE IF NOT EXISTS chunks("
	" call_id BLOB NOT NULL, seq INTEGER NOT NULL, segment INTEGER NOT NULL,"
	" offset INTEGER NOT NULL, length INTEGER NOT NULL, sha256 BLOB NOT NULL,"
	" prev_hash BLOB NOT NULL, start_frame INTEGER NOT NULL, frames INTEGER NOT NULL,"
	" PRIMARY KEY(call_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS devices("
	" name TEXT PRIMARY KEY, last_seen TEXT NOT NULL, seen_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS calls_state ON calls(state);";

static const char *const stmt_sql[ST_COUNT] = {
	[ST_CALL_GET] = "SELECT device, open_hash, state, close_seq, meta, close_json, software,"
			" expires, hold_reason, hold_by, release_by, erase_reason, erased_at"
			" FROM calls WHERE id = ?1",
	[ST_CALL_INSERT] = "INSERT INTO calls(id, device, software, meta, open_hash, created)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, strftime('%s','now'))",
	[ST_CALL_CLOSING] = "UPDATE calls SET state = 'closing', close_seq = ?2, close_json = ?3"
			    " WHERE id = ?1 AND state = 'recording'",
	[ST_CALL_LIST] = "SELECT id, device, open_hash, state, close_seq, meta, close_json, software,"
			 " expires, hold_reason, hold_by, release_by, erase_reason, erased_at"
			 " FROM calls ORDER BY rowid",
	[ST_CALLS_CLOSING] = "SELECT id FROM calls WHERE state = 'closing' ORDER BY rowid",
	[ST_CHUNK_GET] = "SELECT sha256, prev_hash FROM chunks WHERE call_id = ?1 AND seq = ?2",
	[ST_CHUNK_INSERT] = "INSERT INTO chunks(call_id, seq, segment, offset, length, sha256,"
			    " prev_hash, start_frame, frames) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[ST_CHUNKS_BELOW] = "SELECT COUNT(*) FROM chunks WHERE call_id = ?1 AND seq < ?2",
	[ST_CHUNKS_FROM] = "SELECT COUNT(*) FROM chunks WHERE call_id = ?1 AND seq >= ?2",
	[ST_CHUNKS_OF] = "SELECT seq, segment, offset, length, sha256, prev_hash, start_frame,"
			 " frames FROM chunks WHERE call_id = ?1 ORDER BY seq",
	[ST_DEVICE_SEEN] = "INSERT INTO devices(name, last_seen, seen_at)"
			   " VALUES(?1, ?2, strftime('%s','now')) ON CONFLICT(name) DO UPDATE"
			   " SET last_seen = excluded.last_seen, seen_at = excluded.seen_at",
};

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

void ad_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int ad_sqlite_err(struct ad_store *s, const char *what)
{
	int code = sqlite3_errcode(s->db);

	ad_store_err(s, "storage: index %s failed: %s", what, sqlite3_errmsg(s->db));
	if (code == SQLITE_FULL)
		return -ENOSPC;
	if (code == SQLITE_NOMEM)
		return -ENOMEM;
	return -EIO;
}

static int exec(struct ad_store *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ad_sqlite_err(s, sql);
	return 0;
}

int ad_exec(struct ad_store *s, const char *sql)
{
	return exec(s, sql);
}

sqlite3_stmt *ad_stmt(struct ad_store *s, const char *sql)
{
	size_t i, n = sizeof(s->extra) / sizeof(s->extra[0]);

	for (i = 0; i < n && s->extra[i].sql; i++)
		if (s->extra[i].sql == sql)
			return s->extra[i].st;
	if (i == n) {
		cr_err("storage: too many prepared statements");
		return NULL;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->extra[i].st,
			       NULL) != SQLITE_OK) {
		ad_sqlite_err(s, sql);
		return NULL;
	}
	s->extra[i].sql = sql;
	return s->extra[i].st;
}

static int open_db(struct ad_store *s)
{
	char path[4096];
	int i, rc;

	snprintf(path, sizeof(path), "%s/index.sqlite", s->dir);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		cr_err("storage: cannot open %s: %s", path,
		       s->db ? sqlite3_errmsg(s->db) : "out of memory");
		return -EIO;
	}
	/* Two connections (event loop, worker) share the file; waits are short. */
	sqlite3_busy_timeout(s->db, 10000);
	/* WAL + FULL: a committed transaction survives power loss; one fsync per commit. */
	/* secure_delete: a deleted wrapped key is overwritten, not left in a free page. */
	rc = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;");
	if (rc == 0)
		rc = exec(s, schema);
	for (i = 0; rc == 0 && i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK)
			rc = ad_sqlite_err(s, stmt_sql[i]);
	return rc;
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
		rc = ad_objects_open(NULL, dir, &s->objects);
	if (rc == 0)
		rc = open_db(s);
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
		rc = open_db(s);
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
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < sizeof(s->extra) / sizeof(s->extra[0]) && s->extra[i].sql; i++)
		sqlite3_finalize(s->extra[i].st);
	if (s->seal)
		free(s->seal);
	if (s->objects)
		s->objects->ops->free(s->objects);
	gnutls_memset(s->key, 0, sizeof(s->key));
	for (i = 0; i < s->ncalls; i++)
		gnutls_memset(s->calls[i].key, 0, sizeof(s->calls[i].key));
	if (s->db)
		sqlite3_close(s->db);
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
	free(s->got_device);
	free(s->got_meta);
	free(s->got_close);
	free(s->got_software);
	free(s->got_hold);
	free(s->got_hold_by);
	free(s->got_release_by);
	free(s->got_erase_reason);
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

static const char sql_key_insert[] = "INSERT INTO keys(call_id, wrapped) VALUES(?1, ?2)";
static const char sql_expires[] = "UPDATE calls SET expires = ?2 WHERE id = ?1";

/* The wrapped key, and the retention deadline, in the same transaction as the call. */
static int insert_key(struct ad_store *s, const struct staged_call *c)
{
	sqlite3_stmt *st = ad_stmt(s, sql_key_insert);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, c->id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, c->wrapped, AD_WRAPPED_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	ad_stmt_done(st);
	if (r != SQLITE_DONE)
		return ad_sqlite_err(s, "insert key");
	if (!c->expires)
		return 0;
	st = ad_stmt(s, sql_expires);
	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, c->id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->expires);
	r = sqlite3_step(st);
	ad_stmt_done(st);
	return r == SQLITE_DONE ? 0 : ad_sqlite_err(s, "set retention");
}

static int insert_calls(struct ad_store *s)
{
	sqlite3_stmt *st = s->st[ST_CALL_INSERT];
	size_t i;

	for (i = 0; i < s->ncalls; i++) {
		const struct staged_call *c = &s->calls[i];
		int r;

		sqlite3_bind_blob(st, 1, c->id, CR_CALL_ID_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->device, -1, SQLITE_STATIC);
		if (c->software)
			sqlite3_bind_text(st, 3, c->software, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->meta, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, c->open_hash, CR_HASH_BYTES, SQLITE_STATIC);
		r = sqlite3_step(st);
		ad_stmt_done(st);
		if (r != SQLITE_DONE)
			return ad_sqlite_err(s, "insert call");
		r = insert_key(s, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int insert_chunks(struct ad_store *s)
{
	sqlite3_stmt *st = s->st[ST_CHUNK_INSERT];
	size_t i;

	for (i = 0; i < s->nchunks; i++) {
		const struct staged_chunk *k = &s->chunks[i];
		int r;

		sqlite3_bind_blob(st, 1, k->id, CR_CALL_ID_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)k->c.seq);
		sqlite3_bind_int64(st, 3, k->c.segment);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)k->c.offset);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)k->c.length);
		sqlite3_bind_blob(st, 6, k->c.sha256, CR_HASH_BYTES, SQLITE_STATIC);
		sqlite3_bind_blob(st, 7, k->c.prev_hash, CR_HASH_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)k->c.start_frame);
		sqlite3_bind_int64(st, 9, k->c.frames);
		r = sqlite3_step(st);
		ad_stmt_done(st);
		if (r != SQLITE_DONE)
			return ad_sqlite_err(s, "insert chunk");
	}
	return 0;
}

static int insert_beats(struct ad_store *s)
{
	sqlite3_stmt *st = s->st[ST_DEVICE_SEEN];
	size_t i;

	for (i = 0; i < s->nbeats; i++) {
		int r;

		sqlite3_bind_text(st, 1, s->beats[i].device, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, s->beats[i].json, -1, SQLITE_STATIC);
		r = sqlite3_step(st);
		ad_stmt_done(st);
		if (r != SQLITE_DONE)
			return ad_sqlite_err(s, "record heartbeat");
	}
	return 0;
}

int ad_count_chunks(struct ad_store *s, enum ad_stmt which, const uint8_t *id, uint64_t seq,
		    int64_t *n)
{
	sqlite3_stmt *st = s->st[which];
	int r;

	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	r = sqlite3_step(st);
	*n = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	ad_stmt_done(st);
	return r == SQLITE_ROW ? 0 : ad_sqlite_err(s, "count chunks");
}

/* Decide each close inside the transaction: complete when seqs 1..seq-1 are all stored. */
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

static int settle_closes(struct ad_store *s)
{
	sqlite3_stmt *st = s->st[ST_CALL_CLOSING];
	size_t i;

	for (i = 0; i < s->ncloses; i++) {
		struct close_req *c = &s->closes[i];
		int64_t below, beyond;
		int r;

		c->result = 0;
		if (!c->fresh)
			continue;
		r = ad_count_chunks(s, ST_CHUNKS_FROM, c->id, c->seq, &beyond);
		if (r == 0)
			r = ad_count_chunks(s, ST_CHUNKS_BELOW, c->id, c->seq, &below);
		if (r < 0)
			return r;
		if (beyond > 0) {
			c->result = -1 - CR_ACK_INVALID; /* chunks past the end were stored */
			continue;
		}
		if ((uint64_t)below + evicted_before(c->json, c->seq) != c->seq - 1)
			continue;
		sqlite3_bind_blob(st, 1, c->id, CR_CALL_ID_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)c->seq);
		sqlite3_bind_text(st, 3, c->json, -1, SQLITE_STATIC);
		r = sqlite3_step(st);
		ad_stmt_done(st);
		if (r != SQLITE_DONE)
			return ad_sqlite_err(s, "close call");
		c->result = 1;
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

static double elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

int ad_store_commit(struct ad_store *s, ad_ack_fn ack, void *arg)
{
	struct timespec t0;
	double sync_ms = 0;
	int rc = 0;

	if (!ad_store_staged(s))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (s->nchunks || s->append_failed) {
		rc = s->objects->ops->seg_sync(s->objects);
		s->append_failed = 0;
		sync_ms = elapsed_ms(&t0);
	}
	if (rc == 0)
		rc = exec(s, "BEGIN IMMEDIATE");
	if (rc == 0) {
		rc = insert_calls(s);
		if (rc == 0)
			rc = insert_chunks(s);
		if (rc == 0)
			rc = insert_beats(s);
		if (rc == 0)
			rc = settle_closes(s);
		if (rc == 0)
			rc = exec(s, "COMMIT");
		if (rc < 0)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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
		s->objects->quiet = 1;
		for (i = 0; i < s->ncloses; i++)
			s->closes[i].result = 0;
	}
	cr_debug("commit: %zu calls, %zu chunks, %zu closes: segment sync %.1f ms, total %.1f ms",
		 s->ncalls, s->nchunks, s->ncloses, sync_ms, elapsed_ms(&t0));
	if (rc == 0)
		ad_stage_committed(s);
	if (rc == 0 && s->outage) {
		cr_notice("storage: recovered after %u failed commits (%s); acknowledging again",
			  s->outage_commits, strerror(-s->outage));
		s->outage = 0;
		s->outage_commits = 0;
		s->objects->quiet = 0;
	}
	ad_erase_deferred(s, rc);
	report(s, ack, arg, rc);
	clear_staged(s);
	return rc;
}
