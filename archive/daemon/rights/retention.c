/* Retention deadlines and the sweeper. See retention.h. */
#include "rights/retention.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rights/audit.h"
#include "store/erase.h"
#include "log.h"
#include "store/internal.h"

static uint64_t sweep_ms = 60000;

void ad_retention_configure(uint64_t sweep_interval_ms)
{
	if (sweep_interval_ms)
		sweep_ms = sweep_interval_ms;
}

uint64_t ad_retention_interval_ms(void)
{
	return sweep_ms;
}

int64_t ad_now(void)
{
	const char *off = getenv("CALLREC_TEST_NOW_OFFSET");
	int64_t t = (int64_t)time(NULL);

	if (off && *off)
		t += strtoll(off, NULL, 10);
	return t;
}

void ad_format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t ad_parse_time(const char *iso)
{
	struct tm tm;
	const char *p;

	if (!iso)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(iso, "%Y-%m-%d", &tm);
		if (!p || *p)
			return -1;
		return (int64_t)timegm(&tm);
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p != 'Z' && *p != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

int64_t ad_retention_deadline(const char *meta_json)
{
	json_t *m = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
	json_t *ms = m ? json_object_get(m, "retention_ms") : NULL;
	int64_t start = m ? ad_parse_time(json_string_value(json_object_get(m, "start"))) : -1;
	int64_t deadline = 0;

	if (json_is_integer(ms) && json_integer_value(ms) > 0 && start >= 0)
		deadline = start + (int64_t)(json_integer_value(ms) / 1000);
	json_decref(m);
	return deadline;
}

static const char sql_expired[] =
	"SELECT id FROM calls WHERE expires IS NOT NULL AND expires <= ?1"
	" AND hold_reason IS NULL AND state = 'complete' ORDER BY expires LIMIT 256";

int ad_retention_sweep(struct ad_store *s)
{
	sqlite3_stmt *st = ad_stmt(s, sql_expired);
	uint8_t (*ids)[CR_CALL_ID_BYTES] = NULL;
	size_t n = 0, cap = 0, i;
	int r, done = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, ad_now());
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
		ad_audit("archive", "sweeper", "erase", hex, r == 0 ? "ok" : "error",
			 r == 0 ? "retention expired" : strerror(-r));
		if (r == 0) {
			cr_notice("retention: call %s expired and was erased", hex);
			done++;
		}
	}
	free(ids);
	return done;
}
