/* Crypto-shredding erasure with crash recovery. See erase.h. */
#include "store/erase.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rights/audit.h"
#include "fsutil.h"
#include "log.h"
#include "store/internal.h"

static const char sql_state[] = "SELECT state, hold_reason FROM calls WHERE id = ?1";
static const char sql_mark[] =
	"UPDATE calls SET state = 'erasing', erase_reason = ?2, erased_at = ?3 WHERE id = ?1";
static const char sql_key_del[] = "DELETE FROM keys WHERE call_id = ?1";
static const char sql_chunks[] = "SELECT segment, offset, length FROM chunks WHERE call_id = ?1";
static const char sql_tomb[] =
	"UPDATE calls SET state = 'erased', meta = '{}', close_json = NULL, software = NULL,"
	" audio_sha256 = NULL, manifest_sig = NULL, hold_reason = NULL, hold_by = NULL,"
	" hold_at = NULL, release_by = NULL, release_reason = NULL, expires = NULL WHERE id = ?1";
static const char sql_chunks_del[] = "DELETE FROM chunks WHERE call_id = ?1";
static const char sql_erasing[] = "SELECT id FROM calls WHERE state = 'erasing'";

static int step_id(struct ad_store *s, const char *sql, const uint8_t *id, const char *what)
{
	sqlite3_stmt *st = ad_stmt(s, sql);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	ad_stmt_done(st);
	return r == SQLITE_DONE ? 0 : ad_sqlite_err(s, what);
}

/* (3) ciphertext: the call's files, and its chunks' ranges in the segments. */
static int delete_objects(struct ad_store *s, const uint8_t *id)
{
	sqlite3_stmt *st = ad_stmt(s, sql_chunks);
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int r, rc;

	rc = s->objects->ops->remove_call(s->objects, id);
	if (rc < 0) {
		cr_id_to_hex(id, hex);
		cr_err("erase: cannot remove the objects of %s: %s", hex, strerror(-rc));
		return rc;
	}
	if (!st)
		return -EIO;
	/* The chunks' bytes in the segments, which other calls share: ciphertext under a
	 * destroyed key already; discarding them frees the space where the store can. */
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		(void)s->objects->ops->seg_discard(s->objects, (uint32_t)sqlite3_column_int64(st, 0),
						   (uint64_t)sqlite3_column_int64(st, 1),
						   (uint64_t)sqlite3_column_int64(st, 2));
	ad_stmt_done(st);
	return 0;
}

/* Steps (2) to (4) for a call marked erasing. */
static int finish(struct ad_store *s, const uint8_t *id)
{
	int rc;

	rc = step_id(s, sql_key_del, id, "delete key");
	if (rc < 0)
		return rc;
	if (s->key_valid && memcmp(s->key_id, id, CR_CALL_ID_BYTES) == 0) {
		gnutls_memset(s->key, 0, sizeof(s->key));
		s->key_valid = 0;
	}
	/* Move the WAL's content into the database (where secure_delete overwrote the key)
	 * and empty it, so no old page with the wrapped key stays in the log file. */
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	AD_CRASH_POINT(s->cfg.hooks, "erase-after-key");
	rc = delete_objects(s, id);
	if (rc < 0)
		return rc;
	AD_CRASH_POINT(s->cfg.hooks, "erase-after-objects");
	rc = ad_exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = step_id(s, sql_tomb, id, "write tombstone");
	if (rc == 0)
		rc = step_id(s, sql_chunks_del, id, "drop chunk rows");
	if (rc == 0)
		rc = ad_exec(s, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return 0;
}

int ad_erase_call(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who)
{
	sqlite3_stmt *st = ad_stmt(s, sql_state);
	char hex[2 * CR_CALL_ID_BYTES + 1], state[32] = "";
	int r, held = 0;

	if (!st)
		return -EIO;
	/* Whatever happens below, the call is no longer simply recording. */
	ad_live_drop(&s->live, id);
	cr_id_to_hex(id, hex);
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		snprintf(state, sizeof(state), "%s", (const char *)sqlite3_column_text(st, 0));
		held = sqlite3_column_type(st, 1) != SQLITE_NULL;
	}
	ad_stmt_done(st);
	if (r != SQLITE_ROW)
		return r == SQLITE_DONE ? -ENOENT : ad_sqlite_err(s, "look up call");
	if (strcmp(state, "erased") == 0)
		return -ENOENT;
	if (held && strcmp(state, "erasing") != 0)
		return -EBUSY;
	if (strcmp(state, "erasing") != 0) {
		sqlite3_stmt *m = ad_stmt(s, sql_mark);

		if (!m)
			return -EIO;
		sqlite3_bind_blob(m, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(m, 2, reason ? reason : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(m, 3, ad_clock_now(s->cfg.clock));
		r = sqlite3_step(m);
		ad_stmt_done(m);
		if (r != SQLITE_DONE)
			return ad_sqlite_err(s, "mark erasing");
		AD_CRASH_POINT(s->cfg.hooks, "erase-after-mark");
	}
	r = finish(s, id);
	if (r == 0)
		cr_notice("call %s erased (%s%s%s)", hex, reason ? reason : "", who ? ", by " : "",
			  who ? who : "");
	return r;
}

int ad_erase_recover(struct ad_store *s)
{
	sqlite3_stmt *st = ad_stmt(s, sql_erasing);
	uint8_t (*ids)[CR_CALL_ID_BYTES] = NULL;
	size_t n = 0, cap = 0, i;
	int r, done = 0;

	if (!st)
		return -EIO;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != CR_CALL_ID_BYTES)
			continue;
		if (AD_GROW(ids, cap, n) < 0) {
			ad_stmt_done(st);
			free(ids);
			return -ENOMEM;
		}
		memcpy(ids[n++], sqlite3_column_blob(st, 0), CR_CALL_ID_BYTES);
	}
	ad_stmt_done(st);
	for (i = 0; i < n; i++) {
		char hex[2 * CR_CALL_ID_BYTES + 1];

		cr_id_to_hex(ids[i], hex);
		r = finish(s, ids[i]);
		if (r < 0) {
			cr_err("erase: cannot finish the interrupted erasure of %s: %s", hex,
			       strerror(-r));
			free(ids);
			return r;
		}
		cr_notice("erase: finished the interrupted erasure of call %s", hex);
		done++;
	}
	free(ids);
	return done;
}

void ad_erase_deferred(struct ad_store *s, int failure)
{
	size_t i;

	for (i = 0; i < s->nerases; i++) {
		const struct erase_req *e = &s->erases[i];
		char hex[2 * CR_CALL_ID_BYTES + 1];
		int r;

		if (failure)
			continue; /* nothing stored, no ACK: the agent resends open and erasure */
		cr_id_to_hex(e->id, hex);
		r = ad_erase_call(s, e->id, "private", NULL);
		ad_audit(s->cfg.audit, e->device, "device", "erase", hex, r == 0 ? "ok" : "error",
			 r == 0 ? "private" : strerror(-r));
		if (r == 0 && e->tag)
			ad_stage_decided(s, e->tag, e->id, 0, CR_ACK_OK);
	}
	s->nerases = 0;
}
