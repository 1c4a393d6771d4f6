/* The retention sweeper. See retention.h. */
#include "rights/retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rights/audit.h"
#include "store/erase.h"
#include "log.h"
#include "store/internal.h"

static const char sql_expired[] =
	"SELECT id FROM calls WHERE expires IS NOT NULL AND expires <= ?1"
	" AND hold_reason IS NULL AND state = 'complete' ORDER BY expires LIMIT 256";

int ad_retention_sweep(const struct ad_retention *rt, struct ad_store *s)
{
	sqlite3_stmt *st = ad_stmt(s, sql_expired);
	uint8_t (*ids)[CR_CALL_ID_BYTES] = NULL;
	size_t n = 0, cap = 0, i;
	int r, done = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, ad_clock_now(rt->clock));
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != CR_CALL_ID_BYTES)
			continue;
		if (AD_GROW(ids, cap, n) < 0)
			break;
		memcpy(ids[n++], sqlite3_column_blob(st, 0), CR_CALL_ID_BYTES);
	}
	ad_stmt_done(st);
	for (i = 0; i < n; i++) {
		char hex[2 * CR_CALL_ID_BYTES + 1];

		cr_id_to_hex(ids[i], hex);
		r = ad_erase_call(s, ids[i], "retention", NULL);
		ad_audit(rt->audit, "archive", "sweeper", "erase", hex, r == 0 ? "ok" : "error",
			 r == 0 ? "retention expired" : strerror(-r));
		if (r == 0) {
			cr_notice("retention: call %s expired and was erased", hex);
			done++;
		}
	}
	free(ids);
	return done;
}
