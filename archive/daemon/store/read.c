/* Storage read side: listing calls, one call, its chunks. */
#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Columns: id, device, open_hash, state, close_seq, meta, close_json, software. */
static void row_to_info(sqlite3_stmt *st, struct ad_call_info *c)
{
	memset(c, 0, sizeof(*c));
	if (sqlite3_column_bytes(st, 0) == CR_CALL_ID_BYTES)
		memcpy(c->id, sqlite3_column_blob(st, 0), CR_CALL_ID_BYTES);
	cr_id_to_hex(c->id, c->hex);
	c->device = col_text(st, 1);
	if (sqlite3_column_bytes(st, 2) == CR_HASH_BYTES)
		memcpy(c->open_hash, sqlite3_column_blob(st, 2), CR_HASH_BYTES);
	c->state = col_text(st, 3);
	if (c->state && strcmp(c->state, "closing") == 0)
		c->state = "recording"; /* closed, recording being written: not exportable yet */
	c->close_seq = (uint64_t)sqlite3_column_int64(st, 4);
	c->meta_json = col_text(st, 5);
	c->close_json = col_text(st, 6);
	c->software = col_text(st, 7);
	c->expires = sqlite3_column_int64(st, 8);
	c->hold_reason = col_text(st, 9);
	c->hold_by = col_text(st, 10);
	c->release_by = col_text(st, 11);
	c->erase_reason = col_text(st, 12);
	c->erased_at = sqlite3_column_int64(st, 13);
}

int ad_store_list(struct ad_store *s, int (*fn)(void *arg, const struct ad_call_info *c),
		  void *arg)
{
	sqlite3_stmt *st = s->st[ST_CALL_LIST];
	int r, stop = 0;

	while (!stop && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct ad_call_info c;

		row_to_info(st, &c);
		stop = fn(arg, &c);
	}
	ad_stmt_done(st);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : ad_sqlite_err(s, "list calls");
}

static int dup_into(char **slot, const char *v)
{
	free(*slot);
	*slot = NULL;
	if (!v)
		return 0;
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

int ad_store_call_get(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      struct ad_call_info *out)
{
	sqlite3_stmt *st = s->st[ST_CALL_GET];
	const char *state;
	int r, rc = 0;

	/* Columns: device, open_hash, state, close_seq, meta, close_json, software. */
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		ad_stmt_done(st);
		return r == SQLITE_DONE ? -ENOENT : ad_sqlite_err(s, "get call");
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->id, id, CR_CALL_ID_BYTES);
	cr_id_to_hex(id, out->hex);
	if (sqlite3_column_bytes(st, 1) == CR_HASH_BYTES)
		memcpy(out->open_hash, sqlite3_column_blob(st, 1), CR_HASH_BYTES);
	state = col_text(st, 2);
	out->state = !state ? "recording" : strcmp(state, "complete") == 0 ? "complete"
		     : strcmp(state, "closing") == 0 ? "closing"
		     : strcmp(state, "erasing") == 0 ? "erasing"
		     : strcmp(state, "erased") == 0 ? "erased" : "recording";
	out->expires = sqlite3_column_int64(st, 7);
	out->erased_at = sqlite3_column_int64(st, 12);
	out->close_seq = (uint64_t)sqlite3_column_int64(st, 3);
	if (dup_into(&s->got_device, col_text(st, 0)) < 0 ||
	    dup_into(&s->got_meta, col_text(st, 4)) < 0 ||
	    dup_into(&s->got_close, col_text(st, 5)) < 0 ||
	    dup_into(&s->got_software, col_text(st, 6)) < 0 ||
	    dup_into(&s->got_hold, col_text(st, 8)) < 0 ||
	    dup_into(&s->got_hold_by, col_text(st, 9)) < 0 ||
	    dup_into(&s->got_release_by, col_text(st, 10)) < 0 ||
	    dup_into(&s->got_erase_reason, col_text(st, 11)) < 0)
		rc = -ENOMEM;
	ad_stmt_done(st);
	out->device = s->got_device;
	out->meta_json = s->got_meta;
	out->close_json = s->got_close;
	out->software = s->got_software;
	out->hold_reason = s->got_hold;
	out->hold_by = s->got_hold_by;
	out->release_by = s->got_release_by;
	out->erase_reason = s->got_erase_reason;
	return rc;
}

int ad_store_chunks(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		    int (*fn)(void *arg, const struct ad_chunk_info *c), void *arg)
{
	sqlite3_stmt *st = s->st[ST_CHUNKS_OF];
	int r, stop = 0;

	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	while (!stop && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct ad_chunk_info c = { 0 };

		c.seq = (uint64_t)sqlite3_column_int64(st, 0);
		c.segment = (uint32_t)sqlite3_column_int64(st, 1);
		c.offset = (uint64_t)sqlite3_column_int64(st, 2);
		c.length = (uint64_t)sqlite3_column_int64(st, 3);
		if (sqlite3_column_bytes(st, 4) == CR_HASH_BYTES)
			memcpy(c.sha256, sqlite3_column_blob(st, 4), CR_HASH_BYTES);
		if (sqlite3_column_bytes(st, 5) == CR_HASH_BYTES)
			memcpy(c.prev_hash, sqlite3_column_blob(st, 5), CR_HASH_BYTES);
		c.start_frame = (uint64_t)sqlite3_column_int64(st, 6);
		c.frames = (uint32_t)sqlite3_column_int64(st, 7);
		stop = fn(arg, &c);
	}
	ad_stmt_done(st);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : ad_sqlite_err(s, "read chunks");
}

int ad_store_closing(struct ad_store *s, uint8_t (**ids)[CR_CALL_ID_BYTES], size_t *n)
{
	sqlite3_stmt *st = s->st[ST_CALLS_CLOSING];
	uint8_t (*arr)[CR_CALL_ID_BYTES] = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != CR_CALL_ID_BYTES)
			continue;
		if (AD_GROW(arr, cap, cnt) < 0) {
			ad_stmt_done(st);
			free(arr);
			return -ENOMEM;
		}
		memcpy(arr[cnt++], sqlite3_column_blob(st, 0), CR_CALL_ID_BYTES);
	}
	ad_stmt_done(st);
	if (r != SQLITE_DONE) {
		free(arr);
		return ad_sqlite_err(s, "list closing calls");
	}
	*ids = arr;
	*n = cnt;
	return 0;
}
