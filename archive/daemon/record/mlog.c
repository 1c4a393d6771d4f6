/* Manifest log. See mlog.h. */
#include "record/mlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record/manifest.h"
#include "record/merkle.h"
#include "store/internal.h"

static const char sql_complete[] =
	"UPDATE calls SET state = 'complete', audio_sha256 = ?2, manifest_sig = ?3,"
	" leaf = (SELECT COUNT(*) FROM mlog) WHERE id = ?1 AND state = 'closing'";
static const char sql_append[] =
	"INSERT INTO mlog(idx, call_id, leaf) VALUES((SELECT COUNT(*) FROM mlog), ?1, ?2)";
static const char sql_count[] = "SELECT COUNT(*) FROM mlog";
static const char sql_leaves[] = "SELECT leaf FROM mlog WHERE idx < ?1 ORDER BY idx";
static const char sql_sig[] = "SELECT manifest_sig, leaf FROM calls WHERE id = ?1";
static const char sql_cp_get[] = "SELECT json, sig FROM checkpoints WHERE size = ?1";
static const char sql_cp_put[] = "INSERT OR IGNORE INTO checkpoints(size, json, sig)"
				 " VALUES(?1, ?2, ?3)";

static int count(struct ad_store *s, uint64_t *n)
{
	sqlite3_stmt *st = ad_stmt(s, sql_count);
	int r;

	if (!st)
		return -EIO;
	r = sqlite3_step(st);
	*n = r == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	ad_stmt_done(st);
	return r == SQLITE_ROW ? 0 : ad_sqlite_err(s, "count log");
}

int ad_mlog_complete(const struct ad_mlog *m, struct ad_store *s,
		     const uint8_t id[CR_CALL_ID_BYTES], const char *audio_sha256_hex,
		     const void *manifest, size_t len)
{
	uint8_t sig[AD_SIG_BYTES], leaf[AD_HASH];
	sqlite3_stmt *st;
	uint64_t n = 0;
	int r, rc;

	rc = ad_vault_sign(m->vault, manifest, len, sig);
	if (rc < 0)
		return rc;
	ad_merkle_leaf(manifest, len, leaf);
	rc = ad_exec(s, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	st = ad_stmt(s, sql_complete);
	rc = st ? 0 : -EIO;
	if (rc == 0) {
		sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, audio_sha256_hex, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, sig, AD_SIG_BYTES, SQLITE_STATIC);
		r = sqlite3_step(st);
		ad_stmt_done(st);
		rc = r == SQLITE_DONE ? 0 : ad_sqlite_err(s, "mark complete");
	}
	if (rc == 0 && sqlite3_changes(s->db) == 1) {
		st = ad_stmt(s, sql_append);
		rc = st ? 0 : -EIO;
		if (rc == 0) {
			sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
			sqlite3_bind_blob(st, 2, leaf, AD_HASH, SQLITE_STATIC);
			r = sqlite3_step(st);
			ad_stmt_done(st);
			rc = r == SQLITE_DONE ? 0 : ad_sqlite_err(s, "append to the log");
		}
	}
	if (rc == 0)
		rc = ad_exec(s, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (count(s, &n) == 0 && n && n % m->checkpoint_every == 0) {
		char *json = NULL;

		if (ad_mlog_checkpoint(m, s, &json, sig, &n) == 0) {
			cr_info("log: checkpoint at %llu manifests", (unsigned long long)n);
			ad_mlog_timestamp(m, s, n);
		}
		free(json);
	}
	return 0;
}

int ad_mlog_signature(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      uint8_t sig[AD_SIG_BYTES])
{
	sqlite3_stmt *st = ad_stmt(s, sql_sig);
	int r, rc = -ENOENT;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_bytes(st, 0) == AD_SIG_BYTES) {
		memcpy(sig, sqlite3_column_blob(st, 0), AD_SIG_BYTES);
		rc = 0;
	} else if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = ad_sqlite_err(s, "read signature");
	}
	ad_stmt_done(st);
	return rc;
}

static int load_leaves(struct ad_store *s, uint64_t n, uint8_t (**out)[AD_HASH])
{
	sqlite3_stmt *st = ad_stmt(s, sql_leaves);
	uint8_t (*v)[AD_HASH] = calloc(n ? n : 1, AD_HASH);
	uint64_t i = 0;
	int r;

	if (!v || !st) {
		free(v);
		return st ? -ENOMEM : -EIO;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	while ((r = sqlite3_step(st)) == SQLITE_ROW && i < n)
		if (sqlite3_column_bytes(st, 0) == AD_HASH)
			memcpy(v[i++], sqlite3_column_blob(st, 0), AD_HASH);
	ad_stmt_done(st);
	if (i != n) {
		free(v);
		return -EIO;
	}
	*out = v;
	return 0;
}

int ad_mlog_checkpoint(const struct ad_mlog *m, struct ad_store *s, char **json,
		       uint8_t sig[AD_SIG_BYTES], uint64_t *size)
{
	uint8_t (*leaves)[AD_HASH] = NULL, root[AD_HASH];
	char root_hex[2 * AD_HASH + 1], when[32];
	sqlite3_stmt *st;
	uint64_t n;
	json_t *j;
	char *text;
	int r, rc;

	rc = count(s, &n);
	if (rc < 0)
		return rc;
	st = ad_stmt(s, sql_cp_get);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == AD_SIG_BYTES) {
		*json = strdup((const char *)sqlite3_column_text(st, 0));
		memcpy(sig, sqlite3_column_blob(st, 1), AD_SIG_BYTES);
		ad_stmt_done(st);
		*size = n;
		return *json ? 0 : -ENOMEM;
	}
	ad_stmt_done(st);
	rc = load_leaves(s, n, &leaves);
	if (rc < 0)
		return rc;
	ad_merkle_root((const uint8_t(*)[AD_HASH])leaves, n, root);
	free(leaves);
	ad_hex(root, AD_HASH, root_hex);
	ad_format_time(ad_clock_now(m->clock), when);
	j = json_pack("{si ss sI ss ss}", "version", 1, "log", "callrec manifests", "tree_size",
		      (json_int_t)n, "root_hash", root_hex, "time", when);
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!text)
		return -ENOMEM;
	rc = ad_vault_sign(m->vault, text, strlen(text), sig);
	st = rc == 0 ? ad_stmt(s, sql_cp_put) : NULL;
	if (rc == 0 && st) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, sig, AD_SIG_BYTES, SQLITE_STATIC);
		r = sqlite3_step(st);
		ad_stmt_done(st);
		if (r != SQLITE_DONE)
			rc = ad_sqlite_err(s, "store checkpoint");
	} else if (rc == 0) {
		rc = -EIO;
	}
	if (rc < 0) {
		free(text);
		return rc;
	}
	*json = text;
	*size = n;
	return 0;
}

int ad_mlog_proof(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], uint64_t size,
		  json_t **out)
{
	uint8_t (*leaves)[AD_HASH] = NULL, path[64][AD_HASH], root[AD_HASH];
	char hex[2 * AD_HASH + 1];
	sqlite3_stmt *st = ad_stmt(s, sql_sig);
	int left[64], r, rc;
	int64_t index = -1;
	size_t len, i;
	json_t *o, *arr;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL)
		index = sqlite3_column_int64(st, 1);
	ad_stmt_done(st);
	if (index < 0 || (uint64_t)index >= size)
		return -ENOENT;
	rc = load_leaves(s, size, &leaves);
	if (rc < 0)
		return rc;
	ad_merkle_path((const uint8_t(*)[AD_HASH])leaves, size, (size_t)index, path, left, &len);
	ad_merkle_root((const uint8_t(*)[AD_HASH])leaves, size, root);
	o = json_object();
	arr = json_array();
	ad_hex(leaves[index], AD_HASH, hex);
	json_object_set_new(o, "leaf_index", json_integer(index));
	json_object_set_new(o, "tree_size", json_integer((json_int_t)size));
	json_object_set_new(o, "leaf_hash", json_string(hex));
	for (i = 0; i < len; i++) {
		ad_hex(path[i], AD_HASH, hex);
		json_array_append_new(arr, json_pack("{ss ss}", "hash", hex, "side",
						     left[i] ? "left" : "right"));
	}
	json_object_set_new(o, "path", arr);
	ad_hex(root, AD_HASH, hex);
	json_object_set_new(o, "root_hash", json_string(hex));
	free(leaves);
	*out = o;
	return 0;
}
