/* The SQLite index: reading calls, chunks, keys and devices. See sqlite.h. */
#include "index/sqlite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CALL_COLUMNS                                                                         \
	"id, device, open_hash, state, close_seq, meta, close_json, software, expires,"      \
	" hold_reason, hold_by, release_by, erase_reason, erased_at"

/* The row's strings point into the statement: valid until it steps again. */
static void row_to_info(sqlite3_stmt *st, struct ad_call_info *c)
{
	memset(c, 0, sizeof(*c));
	sq_blob(st, 0, c->id, CR_CALL_ID_BYTES);
	cr_id_to_hex(c->id, c->hex);
	c->device = sq_text(st, 1);
	sq_blob(st, 2, c->open_hash, CR_HASH_BYTES);
	c->state = sq_text(st, 3);
	if (!c->state)
		c->state = "recording";
	c->close_seq = (uint64_t)sqlite3_column_int64(st, 4);
	c->meta_json = sq_text(st, 5);
	c->close_json = sq_text(st, 6);
	c->software = sq_text(st, 7);
	c->expires = sqlite3_column_int64(st, 8);
	c->hold_reason = sq_text(st, 9);
	c->hold_by = sq_text(st, 10);
	c->release_by = sq_text(st, 11);
	c->erase_reason = sq_text(st, 12);
	c->erased_at = sqlite3_column_int64(st, 13);
}

static const char sql_call_get[] = "SELECT " CALL_COLUMNS " FROM calls WHERE id = ?1";

/* Copy *s into the handle's slot i, pointing *s at the copy. 0 or -ENOMEM. */
static int keep(struct sq_index *q, int i, const char **s)
{
	free(q->got[i]);
	q->got[i] = NULL;
	if (!*s)
		return 0;
	q->got[i] = strdup(*s);
	*s = q->got[i];
	return *s ? 0 : -ENOMEM;
}

/* The state as one of the constants, so that it outlives the row. */
static const char *state_const(const char *s)
{
	static const char *const states[] = { "closing", "complete", "erasing", "erased" };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return states[i];
	return "recording";
}

int sq_call_get(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
		struct ad_call_info *out)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_call_get);
	int r, rc = 0;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sq_done(st);
		return r == SQLITE_DONE ? -ENOENT : sq_err(q, "get call");
	}
	row_to_info(st, out);
	out->state = state_const(out->state);
	if (keep(q, 0, &out->device) < 0 || keep(q, 1, &out->meta_json) < 0 ||
	    keep(q, 2, &out->close_json) < 0 || keep(q, 3, &out->software) < 0 ||
	    keep(q, 4, &out->hold_reason) < 0 || keep(q, 5, &out->hold_by) < 0 ||
	    keep(q, 6, &out->release_by) < 0 || keep(q, 7, &out->erase_reason) < 0)
		rc = -ENOMEM;
	sq_done(st);
	return rc;
}

static const char sql_call_list[] = "SELECT " CALL_COLUMNS " FROM calls ORDER BY rowid";

int sq_call_list(struct ad_index *ix, ad_call_fn fn, void *arg)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_call_list);
	int r, stop = 0;

	if (!st)
		return -EIO;
	while (!stop && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct ad_call_info c;

		row_to_info(st, &c);
		stop = fn(arg, &c);
	}
	sq_done(st);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : sq_err(q, "list calls");
}

static const char sql_in_state[] = "SELECT id FROM calls WHERE state = ?1 ORDER BY rowid";

int sq_calls_in_state(struct ad_index *ix, const char *state, ad_id_fn fn, void *arg)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_in_state);

	if (!st)
		return -EIO;
	sq_bind_text(st, 1, state);
	return sq_walk_ids(q, st, fn, arg, "list calls by state");
}

static const char sql_chunk_get[] =
	"SELECT sha256, prev_hash FROM chunks WHERE call_id = ?1 AND seq = ?2";

int sq_chunk_get(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		 uint8_t hash[CR_HASH_BYTES], uint8_t prev[CR_HASH_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_chunk_get);
	int r, found = 0;

	if (!st)
		return -EIO;
	if (seq > INT64_MAX)
		return 0;
	sq_bind_id(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		found = sq_blob(st, 0, hash, CR_HASH_BYTES) && sq_blob(st, 1, prev, CR_HASH_BYTES);
	sq_done(st);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		return found;
	return sq_err(q, "look up chunk");
}

static const char sql_chunk_count[] =
	"SELECT COUNT(*) FROM chunks WHERE call_id = ?1 AND seq >= ?2 AND seq < ?3";

int sq_chunk_count(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], uint64_t from,
		   uint64_t to, uint64_t *n)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_chunk_count);
	int r;

	if (!st)
		return -EIO;
	/* SQLite integers are signed; no stored seq reaches INT64_MAX. */
	sq_bind_id(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(from > INT64_MAX ? INT64_MAX : from));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(to > INT64_MAX ? INT64_MAX : to));
	r = sqlite3_step(st);
	*n = r == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sq_done(st);
	return r == SQLITE_ROW ? 0 : sq_err(q, "count chunks");
}

static const char sql_chunks[] =
	"SELECT seq, segment, offset, length, sha256, prev_hash, start_frame, frames"
	" FROM chunks WHERE call_id = ?1 ORDER BY seq";

int sq_chunks(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES], ad_chunk_fn fn,
	      void *arg)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_chunks);
	int r, stop = 0;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	while (!stop && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct ad_chunk_info c = { 0 };

		c.seq = (uint64_t)sqlite3_column_int64(st, 0);
		c.segment = (uint32_t)sqlite3_column_int64(st, 1);
		c.offset = (uint64_t)sqlite3_column_int64(st, 2);
		c.length = (uint64_t)sqlite3_column_int64(st, 3);
		sq_blob(st, 4, c.sha256, CR_HASH_BYTES);
		sq_blob(st, 5, c.prev_hash, CR_HASH_BYTES);
		c.start_frame = (uint64_t)sqlite3_column_int64(st, 6);
		c.frames = (uint32_t)sqlite3_column_int64(st, 7);
		stop = fn(arg, &c);
	}
	sq_done(st);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : sq_err(q, "read chunks");
}

static const char sql_key_get[] = "SELECT wrapped FROM keys WHERE call_id = ?1";

int sq_key_get(struct ad_index *ix, const uint8_t id[CR_CALL_ID_BYTES],
	       uint8_t wrapped[AD_WRAPPED_BYTES])
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_key_get);
	int r, rc;

	if (!st)
		return -EIO;
	sq_bind_id(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rc = sq_blob(st, 0, wrapped, AD_WRAPPED_BYTES) ? 0 : -EBADMSG;
	else
		rc = r == SQLITE_DONE ? -ENOENT : sq_err(q, "read key");
	sq_done(st);
	return rc;
}

static const char sql_devices[] = "SELECT name, last_seen, seen_at FROM devices ORDER BY name";

int sq_devices(struct ad_index *ix, ad_device_fn fn, void *arg)
{
	struct sq_index *q = (struct sq_index *)ix;
	sqlite3_stmt *st = sq_stmt(q, sql_devices);
	int r, stop = 0;

	if (!st)
		return -EIO;
	while (!stop && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = sq_text(st, 0), *json = sq_text(st, 1);

		stop = fn(arg, name ? name : "", json ? json : "{}", sqlite3_column_int64(st, 2));
	}
	sq_done(st);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : sq_err(q, "list devices");
}
