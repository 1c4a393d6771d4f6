/* Call keys in the index: wrapped by the master key, unwrapped on use, one cached. */
#include "store/internal.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "log.h"

static const char sql_key_get[] = "SELECT wrapped FROM keys WHERE call_id = ?1";

int ad_store_call_key(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES],
		      uint8_t key[AD_KEY_BYTES])
{
	sqlite3_stmt *st;
	int r, rc;

	if (s->key_valid && memcmp(s->key_id, id, CR_CALL_ID_BYTES) == 0) {
		memcpy(key, s->key, AD_KEY_BYTES);
		return 0;
	}
	st = ad_stmt(s, sql_key_get);
	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rc = ad_vault_unwrap(s->cfg.vault, id, sqlite3_column_blob(st, 0),
				     (size_t)sqlite3_column_bytes(st, 0), key);
	else
		rc = r == SQLITE_DONE ? -ENOENT : ad_sqlite_err(s, "read key");
	ad_stmt_done(st);
	if (rc == -EBADMSG)
		cr_err("storage: a call key does not unwrap: wrong master key?");
	if (rc == 0) {
		memcpy(s->key_id, id, CR_CALL_ID_BYTES);
		memcpy(s->key, key, AD_KEY_BYTES);
		s->key_valid = 1;
	}
	return rc;
}
