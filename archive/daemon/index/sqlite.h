/* The SQLite index backend's internals: private to index/sqlite*.c. See index.h.
 *
 * One database file, DATA/index.sqlite, in WAL mode with synchronous=FULL (a committed
 * transaction survives power loss, one fsync per commit) and secure_delete (a deleted wrapped
 * key is overwritten, not left in a free page). The event loop and the worker each have a
 * connection (peers); they share the claims table below. SQL is always parameterised. */
#ifndef CALLREC_ARCHIVED_INDEX_SQLITE_H
#define CALLREC_ARCHIVED_INDEX_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>

#include "index/index.h"

/* Claims held by the handles of this process (one process owns a SQLite index: the store
 * locks the data directory). */
struct sq_claims {
	pthread_mutex_t lock;
	int refs; /* handles sharing it */
	struct sq_claim {
		enum ad_claim what;
		uint8_t id[CR_CALL_ID_BYTES];
		const struct ad_index *holder;
	} *v;
	size_t n, cap;
};

#define SQ_STMTS 64

struct sq_index {
	struct ad_index base; /* first */
	char *path;
	sqlite3 *db;
	struct sq_claims *claims;
	/* Statements prepared on first use, keyed by their SQL text's address (sq_stmt). */
	struct { const char *sql; sqlite3_stmt *st; } stmts[SQ_STMTS];
	/* Strings returned by call_get live here until the next call_get. */
	char *got[8];
};

/* A statement for `sql` (a string literal: cached by its address), prepared on first use and
 * reset. NULL when it does not prepare (logged). Reset it with sq_done() after use. */
sqlite3_stmt *sq_stmt(struct sq_index *q, const char *sql);
void sq_done(sqlite3_stmt *st);
/* Log a failed step of `what` and turn SQLite's error into -errno. */
int sq_err(struct sq_index *q, const char *what);
/* Run SQL without results. */
int sq_exec(struct sq_index *q, const char *sql);
/* Step a bound statement that returns no rows, and reset it; 0 or -errno (logged as `what`).
 * sqlite3_changes() still tells what it changed. */
int sq_run(struct sq_index *q, sqlite3_stmt *st, const char *what);
/* Run `sql` with the call id as ?1 (and nothing else), expecting no rows. */
int sq_run_id(struct sq_index *q, const char *sql, const uint8_t *id, const char *what);
/* Each id of the first column of `st` (bound, not yet stepped) to fn. */
int sq_walk_ids(struct sq_index *q, sqlite3_stmt *st, ad_id_fn fn, void *arg, const char *what);
/* Column i as text (NULL for NULL). */
static inline const char *sq_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}
/* Copy a blob column of exactly n bytes into out: 1, or 0 (NULL or another size). */
int sq_blob(sqlite3_stmt *st, int i, void *out, size_t n);
/* Bind the call id as parameter i. */
static inline void sq_bind_id(sqlite3_stmt *st, int i, const uint8_t *id)
{
	sqlite3_bind_blob(st, i, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
}
/* Bind text, or NULL for a NULL pointer. */
static inline void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}
/* Empty the WAL into the database (where secure_delete overwrote deleted rows), so no old
 * page with a deleted key stays in the log file. */
void sq_truncate_wal(struct sq_index *q);

/* The operations, by file. */
int sq_call_get(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		struct ad_call_info *out);
int sq_call_list(struct ad_index *ix, ad_call_fn fn, void *arg);
int sq_calls_in_state(struct ad_index *ix, const char *state, ad_id_fn fn, void *arg);
int sq_chunk_get(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		 uint8_t hash[CR_HASH_BYTES], uint8_t prev[CR_HASH_BYTES]);
int sq_chunk_count(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t from,
		   uint64_t to, uint64_t *n);
int sq_chunks(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], ad_chunk_fn fn,
	      void *arg);
int sq_key_get(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
	       uint8_t wrapped[AD_WRAPPED_BYTES]);
int sq_devices(struct ad_index *ix, ad_device_fn fn, void *arg);
/* sqlite_rights.c */
int sq_hold_place(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who, int64_t at);
int sq_hold_request_release(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			    const char *who, const char *reason);
int sq_hold_clear(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		  const char *requested_by);
int sq_expired(struct ad_index *ix, int64_t now, size_t max, ad_id_fn fn, void *arg);
int sq_erase_begin(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		   int64_t at);
int sq_key_delete(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES]);
int sq_erase_finish(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES]);
/* sqlite_log.c */
int sq_complete(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		const char *audio_sha256_hex, const uint8_t sig[AD_SIG_BYTES],
		const uint8_t leaf[CR_HASH_BYTES], int *appended);
int sq_log_size(struct ad_index *ix, uint64_t *n);
int sq_log_leaves(struct ad_index *ix, uint64_t n, uint8_t (*out)[CR_HASH_BYTES]);
int sq_log_entry(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t *leaf,
		 uint8_t sig[AD_SIG_BYTES]);
int sq_checkpoint_get(struct ad_index *ix, uint64_t size, char **json,
		      uint8_t sig[AD_SIG_BYTES], uint8_t **tsr, size_t *tsr_len);
int sq_checkpoint_put(struct ad_index *ix, uint64_t size, const char *json,
		      const uint8_t sig[AD_SIG_BYTES]);
int sq_checkpoint_set_tsr(struct ad_index *ix, uint64_t size, const uint8_t *tsr, size_t len);

#endif
