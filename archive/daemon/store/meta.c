/* What the store reads from a call's CALL_OPEN metadata. See meta.h. */
#include "store/meta.h"

#include "wallclock.h"

unsigned ad_meta_rate(json_t *meta)
{
	json_t *r = json_object_get(meta, "rate");
	json_int_t v = json_is_integer(r) ? json_integer_value(r) : r ? 0 : AD_RATE;

	return v == 8000 || v == 16000 || v == 32000 || v == 48000 ? (unsigned)v : 0;
}

unsigned ad_call_rate(const char *meta_json)
{
	json_t *meta = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
	unsigned rate = ad_meta_rate(meta);

	json_decref(meta);
	return rate;
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
