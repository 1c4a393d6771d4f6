/* The SQLite index: opening, the schema, statement helpers, peers and claims, and the group
 * commit's transaction. See sqlite.h. */
#include "index/sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/backends.h"
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

/* --- helpers ------------------------------------------------------------------------------ */

int sq_err(struct sq_index *q, const char *what)
{
	int code = sqlite3_errcode(q->db);

	if (q->base.quiet)
		cr_debug("storage: index %s failed: %s", what, sqlite3_errmsg(q->db));
	else
		cr_err("storage: index %s failed: %s", what, sqlite3_errmsg(q->db));
	if (code == SQLITE_FULL)
		return -ENOSPC;
	if (code == SQLITE_NOMEM)
		return -ENOMEM;
	return -EIO;
}

void sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int sq_exec(struct sq_index *q, const char *sql)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_err(q, sql);
	return 0;
}

sqlite3_stmt *sq_stmt(struct sq_index *q, const char *sql)
{
	size_t i;

	for (i = 0; i < SQ_STMTS && q->stmts[i].sql; i++)
		if (q->stmts[i].sql == sql)
			return q->stmts[i].st;
	if (i == SQ_STMTS) {
		cr_err("storage: too many prepared statements");
		return NULL;
	}
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->stmts[i].st,
			       NULL) != SQLITE_OK) {
		sq_err(q, sql);
		return NULL;
	}
	q->stmts[i].sql = sql;
	return q->stmts[i].st;
}

int sq_run(struct sq_index *q, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);

	sq_done(st);
	return r == SQLITE_DONE ? 0 : sq_err(q, what);
}

int sq_run_id(struct sq_index *q, const char *sql, const uint8_t *id, const char *what)
{
	sqlite3_stmt *st = sq_stmt(q, sql);

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	return sq_run(q, st, what);
}

int sq_walk_ids(struct sq_index *q, sqlite3_stmt *st, ad_id_fn fn, void *arg, const char *what)
{
	uint8_t id[CR_CALL_ID_BYTES];
	int r, stop = 0;

	while (!stop && (r = sqlite3_step(st)) == SQLITE_ROW)
		if (sq_blob(st, 0, id, sizeof(id)))
			stop = fn(arg, id);
	sq_done(st);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : sq_err(q, what);
}

int sq_blob(sqlite3_stmt *st, int i, void *out, size_t n)
{
	if ((size_t)sqlite3_column_bytes(st, i) != n || sqlite3_column_type(st, i) != SQLITE_BLOB)
		return 0;
	memcpy(out, sqlite3_column_blob(st, i), n);
	return 1;
}

void sq_truncate_wal(struct sq_index *q)
{
	sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

/* --- the group commit ---------------------------------------------------------------------- */

static int sq_begin_batch(struct ad_index *ix)
{
	return sq_exec((struct sq_index *)ix, "BEGIN IMMEDIATE");
}

static int sq_end_batch(struct ad_index *ix, int commit)
{
	struct sq_index *q = (struct sq_index *)ix;
	int rc = commit ? sq_exec(q, "COMMIT") : 0;

	if (!commit || rc < 0)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static const char sql_call_insert[] =
	"INSERT INTO calls(id, device, software, meta, open_hash, created, expires)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_key_insert[] = "INSERT INTO keys(call_id, wrapped) VALUES(?1, ?2)";

static int sq_put_call(struct ad_index *ix, const struct ad_index_call *c)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_call_insert);
	int r;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, c->id);
	sq_bind_text(st, 2, c->device);
	sq_bind_text(st, 3, c->software);
	sq_bind_text(st, 4, c->meta);
	sqlite3_bind_blob(st, 5, c->open_hash, CR_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->created);
	if (c->expires)
		sqlite3_bind_int64(st, 7, c->expires);
	r = sq_run(q, st, "insert call");
	if (r < 0)
		return r;
	st = sq_stmt(q, sql_key_insert);
	if (!st)
		return -EIO;
	sq_bind_id(st, 1, c->id);
	sqlite3_bind_blob(st, 2, c->wrapped, AD_WRAPPED_BYTES, SQLITE_STATIC);
	return sq_run(q, st, "insert key");
}

static const char sql_chunk_insert[] =
	"INSERT INTO chunks(call_id, seq, segment, offset, length, sha256, prev_hash,"
	" start_frame, frames) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

static int sq_put_chunk(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			const struct ad_chunk_info *c)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_chunk_insert);

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->seq);
	sqlite3_bind_int64(st, 3, c->segment);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->offset);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)c->length);
	sqlite3_bind_blob(st, 6, c->sha256, CR_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, c->prev_hash, CR_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)c->start_frame);
	sqlite3_bind_int64(st, 9, c->frames);
	return sq_run(q, st, "insert chunk");
}

static const char sql_device_seen[] =
	"INSERT INTO devices(name, last_seen, seen_at) VALUES(?1, ?2, ?3)"
	" ON CONFLICT(name) DO UPDATE SET last_seen = excluded.last_seen,"
	" seen_at = excluded.seen_at";

static int sq_put_heartbeat(struct ad_index *ix, const char *device, const char *json,
			    int64_t at)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_device_seen);

	if (!st)
		return -EIO;
	sq_bind_text(st, 1, device);
	sq_bind_text(st, 2, json);
	sqlite3_bind_int64(st, 3, at);
	return sq_run(q, st, "record heartbeat");
}

static const char sql_close[] =
	"UPDATE calls SET state = 'closing', close_seq = ?2, close_json = ?3"
	" WHERE id = ?1 AND state = 'recording'";

static int sq_settle_close(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
			   const char *json, uint64_t expect_below, enum ad_close_result *result)
{
	struct sq_index *q = (struct sq_index *)ix;
	uint64_t below, beyond;
	sqlite3_stmt *st;
	int r;

	*result = AD_CLOSE_WAITING;
	r = sq_chunk_count(ix, id, seq, UINT64_MAX, &beyond);
	if (r == 0)
		r = sq_chunk_count(ix, id, 0, seq, &below);
	if (r < 0)
		return r;
	if (beyond > 0) {
		*result = AD_CLOSE_PAST;
		return 0;
	}
	if (below != expect_below)
		return 0;
	st = sq_stmt(q, sql_close);
	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sq_bind_text(st, 3, json);
	r = sq_run(q, st, "close call");
	if (r < 0)
		return r;
	*result = AD_CLOSE_APPLIED;
	return 0;
}

/* --- claims -------------------------------------------------------------------------------- */

static int same_claim(const struct sq_claim *c, enum ad_claim what, const uint8_t *id)
{
	return c->what == what && (!id || memcmp(c->id, id, CR_CALL_ID_BYTES) == 0);
}

static int sq_claim(struct ad_index *ix, enum ad_claim what, const uint8_t *id)
{
	struct sq_claims *cl = ((struct sq_index *)ix)->claims;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&cl->lock);
	for (i = 0; i < cl->n; i++)
		if (same_claim(&cl->v[i], what, id))
			rc = -EBUSY;
	if (rc == 0 && cl->n == cl->cap) {
		size_t cap = cl->cap ? cl->cap * 2 : 8;
		struct sq_claim *v = realloc(cl->v, cap * sizeof(*v));

		if (v) {
			cl->v = v;
			cl->cap = cap;
		} else {
			rc = -ENOMEM;
		}
	}
	if (rc == 0) {
		memset(&cl->v[cl->n], 0, sizeof(cl->v[cl->n]));
		cl->v[cl->n].what = what;
		if (id)
			memcpy(cl->v[cl->n].id, id, CR_CALL_ID_BYTES);
		cl->v[cl->n++].holder = ix;
	}
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

/* Drop the claims `ix` holds that match (what, id), or every one it holds when what is NULL. */
static void drop_claims(struct ad_index *ix, const enum ad_claim *what, const uint8_t *id)
{
	struct sq_claims *cl = ((struct sq_index *)ix)->claims;
	size_t i, j = 0;

	pthread_mutex_lock(&cl->lock);
	for (i = 0; i < cl->n; i++)
		if (cl->v[i].holder != ix || (what && !same_claim(&cl->v[i], *what, id)))
			cl->v[j++] = cl->v[i];
	cl->n = j;
	pthread_mutex_unlock(&cl->lock);
}

static void sq_release(struct ad_index *ix, enum ad_claim what, const uint8_t *id)
{
	drop_claims(ix, &what, id);
}

/* --- opening ------------------------------------------------------------------------------- */

static void sq_close(struct ad_index *ix)
{
	struct sq_index *q = (struct sq_index *)ix;
	size_t i;

	if (!q)
		return;
	if (q->claims) {
		drop_claims(ix, NULL, NULL); /* a closed handle's claims lapse */
		pthread_mutex_lock(&q->claims->lock);
		i = (size_t)--q->claims->refs;
		pthread_mutex_unlock(&q->claims->lock);
		if (i == 0) {
			pthread_mutex_destroy(&q->claims->lock);
			free(q->claims->v);
			free(q->claims);
		}
	}
	for (i = 0; i < SQ_STMTS && q->stmts[i].sql; i++)
		sqlite3_finalize(q->stmts[i].st);
	for (i = 0; i < sizeof(q->got) / sizeof(q->got[0]); i++)
		free(q->got[i]);
	if (q->db)
		sqlite3_close(q->db);
	free(q->path);
	free(q);
}

static int sq_open_peer(struct ad_index *ix, struct ad_index **out);

static const struct ad_index_ops sqlite_ops = {
	.open_peer = sq_open_peer,
	.close = sq_close,
	.begin_batch = sq_begin_batch,
	.put_call = sq_put_call,
	.put_chunk = sq_put_chunk,
	.put_heartbeat = sq_put_heartbeat,
	.settle_close = sq_settle_close,
	.end_batch = sq_end_batch,
	.call_get = sq_call_get,
	.call_list = sq_call_list,
	.calls_in_state = sq_calls_in_state,
	.chunk_get = sq_chunk_get,
	.chunk_count = sq_chunk_count,
	.chunks = sq_chunks,
	.key_get = sq_key_get,
	.devices = sq_devices,
	.hold_place = sq_hold_place,
	.hold_request_release = sq_hold_request_release,
	.hold_clear = sq_hold_clear,
	.expired = sq_expired,
	.erase_begin = sq_erase_begin,
	.key_delete = sq_key_delete,
	.erase_finish = sq_erase_finish,
	.complete = sq_complete,
	.log_size = sq_log_size,
	.log_leaves = sq_log_leaves,
	.log_entry = sq_log_entry,
	.checkpoint_get = sq_checkpoint_get,
	.checkpoint_put = sq_checkpoint_put,
	.checkpoint_set_tsr = sq_checkpoint_set_tsr,
	.claim = sq_claim,
	.release = sq_release,
};

/* A connection to the file at path, sharing `claims` (a new table when NULL). */
static int sq_connect(const char *path, struct sq_claims *claims, struct ad_index **out)
{
	struct sq_index *q = calloc(1, sizeof(*q));
	int rc = 0;

	if (!q)
		return -ENOMEM;
	q->base.ops = &sqlite_ops;
	if (!claims) {
		claims = calloc(1, sizeof(*claims));
		if (!claims) {
			free(q);
			return -ENOMEM;
		}
		pthread_mutex_init(&claims->lock, NULL);
	}
	pthread_mutex_lock(&claims->lock);
	claims->refs++;
	pthread_mutex_unlock(&claims->lock);
	q->claims = claims; /* from here on sq_close() releases everything */
	q->path = strdup(path);
	if (!q->path)
		rc = -ENOMEM;
	if (rc == 0 && sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				       NULL) != SQLITE_OK) {
		cr_err("storage: cannot open %s: %s", path,
		       q->db ? sqlite3_errmsg(q->db) : "out of memory");
		rc = -EIO;
	}
	/* Two connections (event loop, worker) share the file; waits are short. */
	if (rc == 0)
		sqlite3_busy_timeout(q->db, 10000);
	if (rc == 0)
		rc = sq_exec(q, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
				" PRAGMA secure_delete=ON;");
	if (rc == 0)
		rc = sq_exec(q, schema);
	if (rc < 0) {
		sq_close(&q->base);
		return rc;
	}
	*out = &q->base;
	return 0;
}

static int sq_open_peer(struct ad_index *ix, struct ad_index **out)
{
	struct sq_index *q = (struct sq_index *)ix;

	return sq_connect(q->path, q->claims, out);
}

int ad_index_sqlite_open(const char *data_dir, struct ad_index **out)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/index.sqlite", data_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	return sq_connect(path, NULL, out);
}
