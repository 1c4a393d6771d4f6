/* Holds. See hold.h. */
#include "rights/hold.h"

#include <errno.h>
#include <string.h>

#include "store/internal.h"

static const char sql_place[] =
	"UPDATE calls SET hold_reason = ?2, hold_by = ?3, hold_at = ?4, release_by = NULL,"
	" release_reason = NULL WHERE id = ?1";
static const char sql_request[] =
	"UPDATE calls SET release_by = ?2, release_reason = ?3 WHERE id = ?1";
static const char sql_clear[] =
	"UPDATE calls SET hold_reason = NULL, hold_by = NULL, hold_at = NULL, release_by = NULL,"
	" release_reason = NULL WHERE id = ?1";

static int update(struct ad_store *s, const char *sql, const uint8_t *id, const char *a,
		  const char *b, int64_t t)
{
	sqlite3_stmt *st = ad_stmt(s, sql);
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, id, CR_CALL_ID_BYTES, SQLITE_STATIC);
	if (a)
		sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
	if (t)
		sqlite3_bind_int64(st, 4, t);
	r = sqlite3_step(st);
	ad_stmt_done(st);
	return r == SQLITE_DONE ? 0 : ad_sqlite_err(s, "update hold");
}

int ad_hold_place(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who, int64_t now)
{
	struct ad_call_info c;
	int rc = ad_store_call_get(s, id, &c);

	if (rc < 0)
		return rc;
	if (strcmp(c.state, "erased") == 0 || strcmp(c.state, "erasing") == 0)
		return -ENOENT;
	if (c.hold_reason)
		return -EALREADY;
	return update(s, sql_place, id, reason, who, now);
}

int ad_hold_release(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		    const char *who, int *released)
{
	struct ad_call_info c;
	int rc = ad_store_call_get(s, id, &c);

	*released = 0;
	if (rc < 0)
		return rc;
	if (!c.hold_reason)
		return -ENOLINK;
	if (!c.release_by)
		return update(s, sql_request, id, who, reason, 0);
	if (strcmp(c.release_by, who) == 0)
		return -EPERM;
	rc = update(s, sql_clear, id, NULL, NULL, 0);
	if (rc == 0)
		*released = 1;
	return rc;
}
