/* The devices table: written by the group commit (heartbeats), read here for the health view.
 * A rare operator request: the statement is prepared per call rather than cached. */
#include "store/devices.h"

#include <errno.h>

#include "store/internal.h"

int ad_store_devices(struct ad_store *s,
		     int (*fn)(void *arg, const char *name, const char *json, int64_t seen_at),
		     void *arg)
{
	sqlite3_stmt *st = NULL;
	int r, rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT name, last_seen, seen_at FROM devices ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return ad_sqlite_err(s, "list devices");
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *json = (const char *)sqlite3_column_text(st, 1);

		rc = fn(arg, name ? name : "", json ? json : "{}", sqlite3_column_int64(st, 2));
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = ad_sqlite_err(s, "list devices");
	sqlite3_finalize(st);
	return rc;
}
