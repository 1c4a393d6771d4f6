/* The SQLite index: the Merkle log of manifests and its checkpoints. See sqlite.h. */
#include "index/sqlite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The leaf is numbered inside the transaction that appends it (BEGIN IMMEDIATE: one writer
 * at a time), so leaves never skip or repeat. */
static const char sql_complete[] =
	"UPDATE calls SET state = 'complete', audio_sha256 = ?2, manifest_sig = ?3,"
	" leaf = (SELECT COUNT(*) FROM mlog) WHERE id = ?1 AND state = 'closing'";
static const char sql_append[] =
	"INSERT INTO mlog(idx, call_id, leaf) VALUES((SELECT COUNT(*) FROM mlog), ?1, ?2)";

int sq_complete(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		const char *audio_sha256_hex, const uint8_t sig[AD_SIG_BYTES],
		const uint8_t leaf[CR_HASH_BYTES], int *appended)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st;
	int rc;

	*appended = 0;
	rc = sq_exec(q, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	st = sq_stmt(q, sql_complete);
	rc = st ? 0 : -EIO;
	if (rc == 0) {
		sq_bind_id(st, 1, id);
		sq_bind_text(st, 2, audio_sha256_hex);
		sqlite3_bind_blob(st, 3, sig, AD_SIG_BYTES, SQLITE_STATIC);
		rc = sq_run(q, st, "mark complete");
	}
	if (rc == 0 && sqlite3_changes(q->db) == 1) {
		st = sq_stmt(q, sql_append);
		rc = st ? 0 : -EIO;
		if (rc == 0) {
			sq_bind_id(st, 1, id);
			sqlite3_bind_blob(st, 2, leaf, CR_HASH_BYTES, SQLITE_STATIC);
			rc = sq_run(q, st, "append to the log");
		}
		*appended = rc == 0;
	}
	if (rc == 0)
		rc = sq_exec(q, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		*appended = 0;
	}
	return rc;
}

static const char sql_log_size[] = "SELECT COUNT(*) FROM mlog";

int sq_log_size(struct ad_index *ix, uint64_t *n)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_log_size);
	int r;

	if (!st)
		return -EIO;
	r = sqlite3_step(st);
	*n = r == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sq_done(st);
	return r == SQLITE_ROW ? 0 : sq_err(q, "count log");
}

static const char sql_leaves[] = "SELECT leaf FROM mlog WHERE idx < ?1 ORDER BY idx";

int sq_log_leaves(struct ad_index *ix, uint64_t n, uint8_t (*out)[CR_HASH_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_leaves);
	uint64_t i = 0;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(n > INT64_MAX ? INT64_MAX : n));
	while (i < n && (r = sqlite3_step(st)) == SQLITE_ROW)
		if (sq_blob(st, 0, out[i], CR_HASH_BYTES))
			i++;
	sq_done(st);
	return i == n ? 0 : -EIO;
}

static const char sql_log_entry[] = "SELECT leaf, manifest_sig FROM calls WHERE id = ?1";

int sq_log_entry(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t *leaf,
		 uint8_t sig[AD_SIG_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_log_entry);
	int r, rc = -ENOENT;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
	    sqlite3_column_int64(st, 0) >= 0 && sq_blob(st, 1, sig, AD_SIG_BYTES)) {
		*leaf = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = sq_err(q, "read the log entry");
	}
	sq_done(st);
	return rc;
}

static const char sql_cp_get[] = "SELECT json, sig, tsr FROM checkpoints WHERE size = ?1";

int sq_checkpoint_get(struct ad_index *ix, uint64_t size, char **json,
		      uint8_t sig[AD_SIG_BYTES], uint8_t **tsr, size_t *tsr_len)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_cp_get);
	int r, rc = -ENOENT;

	if (!st)
		return -EIO;
	*json = NULL;
	if (tsr)
		*tsr = NULL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(size > INT64_MAX ? INT64_MAX : size));
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sq_text(st, 0) && sq_blob(st, 1, sig, AD_SIG_BYTES)) {
		rc = 0;
		*json = strdup(sq_text(st, 0));
		if (!*json)
			rc = -ENOMEM;
		if (rc == 0 && tsr && sqlite3_column_type(st, 2) == SQLITE_BLOB) {
			*tsr_len = (size_t)sqlite3_column_bytes(st, 2);
			*tsr = malloc(*tsr_len ? *tsr_len : 1);
			if (*tsr)
				memcpy(*tsr, sqlite3_column_blob(st, 2), *tsr_len);
			else
				rc = -ENOMEM;
		}
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = sq_err(q, "read checkpoint");
	}
	sq_done(st);
	if (rc < 0) {
		free(*json);
		*json = NULL;
	}
	return rc;
}

static const char sql_cp_put[] =
	"INSERT OR IGNORE INTO checkpoints(size, json, sig) VALUES(?1, ?2, ?3)";

int sq_checkpoint_put(struct ad_index *ix, uint64_t size, const char *json,
		      const uint8_t sig[AD_SIG_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_cp_put);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sq_bind_text(st, 2, json);
	sqlite3_bind_blob(st, 3, sig, AD_SIG_BYTES, SQLITE_STATIC);
	r = sq_run(q, st, "store checkpoint");
	if (r < 0)
		return r;
	return sqlite3_changes(q->db) == 1 ? 0 : -EEXIST;
}

static const char sql_cp_tsr[] = "UPDATE checkpoints SET tsr = ?2 WHERE size = ?1 AND tsr IS NULL";

int sq_checkpoint_set_tsr(struct ad_index *ix, uint64_t size, const uint8_t *tsr, size_t len)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_cp_tsr);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, tsr, (int)len, SQLITE_STATIC);
	return sq_run(q, st, "store timestamp");
}
