/* The SQLite index: holds, retention deadlines and the index's part of an erasure. Every
 * change is conditional on the state it starts from; when it does not apply, the call is
 * looked up to say why. See sqlite.h. */
#include "index/sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Why a conditional update did not apply: what the call is now. */
struct why {
	int known, held, requested;
	char state[16];
	char requested_by[128];
};

static const char sql_why[] =
	"SELECT state, hold_reason IS NOT NULL, release_by FROM calls WHERE id = ?1";

static int why(struct sq_index *q, const uint8_t *id, struct why *w)
{
	sqlite3_stmt *st = sq_stmt(q, sql_why);
	int r;

	memset(w, 0, sizeof(*w));
	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		const char *state = sq_text(st, 0), *by = sq_text(st, 2);

		w->known = 1;
		snprintf(w->state, sizeof(w->state), "%s", state ? state : "");
		w->held = sqlite3_column_int(st, 1);
		w->requested = by != NULL;
		snprintf(w->requested_by, sizeof(w->requested_by), "%s", by ? by : "");
	}
	sq_done(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : sq_err(q, "look up call");
}

static int gone(const struct why *w)
{
	return !w->known || strcmp(w->state, "erasing") == 0 || strcmp(w->state, "erased") == 0;
}

static const char sql_hold_place[] =
	"UPDATE calls SET hold_reason = ?2, hold_by = ?3, hold_at = ?4, release_by = NULL,"
	" release_reason = NULL WHERE id = ?1 AND hold_reason IS NULL"
	" AND state NOT IN ('erasing', 'erased')";

int sq_hold_place(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who, int64_t at)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_hold_place);
	struct why w;
	int r;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	sq_bind_text(st, 2, reason);
	sq_bind_text(st, 3, who);
	sqlite3_bind_int64(st, 4, at);
	r = sq_run(q, st, "place hold");
	if (r < 0)
		return r;
	if (sqlite3_changes(q->db) == 1)
		return 0;
	r = why(q, id, &w);
	return r < 0 ? r : gone(&w) ? -ENOENT : -EALREADY;
}

static const char sql_hold_request[] =
	"UPDATE calls SET release_by = ?2, release_reason = ?3 WHERE id = ?1"
	" AND hold_reason IS NOT NULL AND release_by IS NULL";

int sq_hold_request_release(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
			    const char *who, const char *reason)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_hold_request);
	struct why w;
	int r;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	sq_bind_text(st, 2, who);
	sq_bind_text(st, 3, reason);
	r = sq_run(q, st, "request release");
	if (r < 0)
		return r;
	if (sqlite3_changes(q->db) == 1)
		return 0;
	r = why(q, id, &w);
	return r < 0 ? r : !w.known ? -ENOENT : !w.held ? -ENOLINK : -EALREADY;
}

static const char sql_hold_clear[] =
	"UPDATE calls SET hold_reason = NULL, hold_by = NULL, hold_at = NULL, release_by = NULL,"
	" release_reason = NULL WHERE id = ?1 AND hold_reason IS NOT NULL AND release_by = ?2";

int sq_hold_clear(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		  const char *requested_by)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_hold_clear);
	int r;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	sq_bind_text(st, 2, requested_by);
	r = sq_run(q, st, "release hold");
	if (r < 0)
		return r;
	return sqlite3_changes(q->db) == 1 ? 0 : -ESTALE;
}

static const char sql_expired[] =
	"SELECT id FROM calls WHERE expires IS NOT NULL AND expires <= ?1"
	" AND hold_reason IS NULL AND state = 'complete' ORDER BY expires LIMIT ?2";

int sq_expired(struct ad_index *ix, int64_t now, size_t max, ad_id_fn fn, void *arg)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_expired);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(max > INT32_MAX ? INT32_MAX : max));
	return sq_walk_ids(q, st, fn, arg, "list expired calls");
}

static const char sql_erase_mark[] =
	"UPDATE calls SET state = 'erasing', erase_reason = ?2, erased_at = ?3 WHERE id = ?1"
	" AND state NOT IN ('erasing', 'erased') AND hold_reason IS NULL";

int sq_erase_begin(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		   int64_t at)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_erase_mark);
	struct why w;
	int r;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	sq_bind_text(st, 2, reason ? reason : "");
	sqlite3_bind_int64(st, 3, at);
	r = sq_run(q, st, "mark erasing");
	if (r < 0)
		return r;
	if (sqlite3_changes(q->db) == 1)
		return 0;
	r = why(q, id, &w);
	if (r < 0)
		return r;
	if (w.known && strcmp(w.state, "erasing") == 0)
		return 0; /* an erasure under way (a crash, or another thread): go on with it */
	return gone(&w) ? -ENOENT : -EBUSY;
}

int sq_key_delete(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	int rc = sq_run_id(q, "DELETE FROM keys WHERE call_id = ?1", id, "delete key");

	if (rc == 0)
		sq_truncate_wal(q);
	return rc;
}

static const char sql_tombstone[] =
	"UPDATE calls SET state = 'erased', meta = '{}', close_json = NULL, software = NULL,"
	" audio_sha256 = NULL, manifest_sig = NULL, hold_reason = NULL, hold_by = NULL,"
	" hold_at = NULL, release_by = NULL, release_reason = NULL, expires = NULL"
	" WHERE id = ?1 AND state IN ('erasing', 'erased')";
static const char sql_chunks_drop[] =
	"DELETE FROM chunks WHERE call_id = ?1"
	" AND (SELECT state FROM calls WHERE id = ?1) = 'erased'";

int sq_erase_finish(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	int rc = sq_exec(q, "BEGIN IMMEDIATE");

	if (rc < 0)
		return rc;
	rc = sq_run_id(q, sql_tombstone, id, "write tombstone");
	if (rc == 0)
		rc = sq_run_id(q, sql_chunks_drop, id, "drop chunk rows");
	if (rc == 0)
		rc = sq_exec(q, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	sq_truncate_wal(q);
	return 0;
}
