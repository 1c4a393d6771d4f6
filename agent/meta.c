/* CALL_OPEN / CALL_CLOSE JSON with jansson: see meta.h. */
#include "meta.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

void cr_iso_time(const struct timespec *ts, char out[32])
{
	struct tm tm;
	time_t t = ts->tv_sec;
	char base[24] = "1970-01-01T00:00:00";
	unsigned ms = (unsigned)(ts->tv_nsec / 1000000) % 1000u;

	if (gmtime_r(&t, &tm))
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.20s.%03uZ", base, ms);
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* A string from another process (exe path, line name) may not be UTF-8: replace the text
 * rather than lose the whole record. */
static json_t *text(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("?");
}

char *cr_meta_open_json(const struct cr_call_meta *m)
{
	char start[32];
	json_t *o = json_object();

	if (!o)
		return NULL;
	cr_iso_time(&m->start, start);
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "user", text(m->user));
	json_object_set_new(o, "uid", json_integer((json_int_t)m->uid));
	json_object_set_new(o, "gid", json_integer((json_int_t)m->gid));
	json_object_set_new(o, "application", text(m->application));
	json_object_set_new(o, "exe", text(m->exe));
	json_object_set_new(o, "pid", json_integer((json_int_t)m->pid));
	json_object_set_new(o, "line", text(m->line));
	json_object_set_new(o, "host", text(m->host));
	json_object_set_new(o, "start", json_string(start));
	json_object_set_new(o, "rate", json_integer((json_int_t)m->rate));
	json_object_set_new(o, "channels", json_integer((json_int_t)m->channels));
	json_object_set_new(o, "rule", json_string("builtin:record-all"));
	return dump(o);
}

char *cr_meta_close_json(const struct timespec *end, uint64_t frames, unsigned rate,
			 const struct cr_gap *gaps, size_t ngaps)
{
	char e[32];
	json_t *arr = json_array();

	cr_iso_time(end, e);
	for (size_t i = 0; arr && i < ngaps; i++) {
		const struct cr_gap *g = &gaps[i];
		json_array_append_new(arr, json_pack("{s:I, s:I, s:i, s:s}",
			"start_ms", (json_int_t)(g->start * 1000 / rate),
			"length_ms", (json_int_t)((g->length * 1000 + rate / 2) / rate),
			"channel", (int)g->channel + 1, "cause", cr_gap_cause_name(g->cause)));
	}
	return dump(json_pack("{s:s, s:I, s:o}", "end", e, "frames", (json_int_t)frames,
			      "gaps", arr ? arr : json_array()));
}
