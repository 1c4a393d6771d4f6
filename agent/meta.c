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

void cr_iso_duration(unsigned long long ms, char out[40])
{
	if (ms && ms % 86400000ULL == 0)
		snprintf(out, 40, "P%lluD", ms / 86400000ULL);
	else
		snprintf(out, 40, "PT%llu.%03lluS", ms / 1000ULL, ms % 1000ULL);
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

static json_t *text_or_null(const char *s)
{
	return s ? text(s) : json_null();
}

/* {mode, announcement, notice, events} */
static json_t *disclosure_json(const struct cr_purpose *pu, const struct cr_disclosure *d)
{
	json_t *o = json_object(), *ev = json_array();

	json_object_set_new(o, "mode", json_string(cr_disclosure_name(pu->mode)));
	json_object_set_new(o, "announcement", text_or_null(pu->mode == CR_DISCLOSE_ANNOUNCE ?
							     pu->announcement : NULL));
	json_object_set_new(o, "also_local", json_boolean(pu->also_local));
	json_object_set_new(o, "notice", text_or_null(pu->notice));
	if (pu->mode == CR_DISCLOSE_TONE)
		json_object_set_new(o, "tone", json_pack("{s:i, s:i, s:i, s:f}",
			"frequency", (int)pu->tone.frequency_hz, "length_ms", (int)pu->tone.length_ms,
			"every_ms", (int)pu->tone.every_ms, "level_db", pu->tone.level_db));
	for (size_t i = 0; d && ev && i < d->nev; i++)
		json_array_append_new(ev, json_pack("{s:s, s:I, s:I, s:I}",
			"kind", cr_disc_kind_name(d->ev[i].kind),
			"start_ms", (json_int_t)d->ev[i].start_ms,
			"length_ms", (json_int_t)d->ev[i].length_ms,
			"stream_pos", (json_int_t)d->ev[i].stream_pos));
	json_object_set_new(o, "events", ev ? ev : json_array());
	return o;
}

static void policy_fields(json_t *o, const struct cr_call_meta *m)
{
	const struct cr_purpose *pu = m->purpose;
	char iso[40], until[32];
	struct timespec u = m->start;
	json_t *access;

	if (!pu) {
		json_object_set_new(o, "rule", json_string("builtin:record-all"));
		return;
	}
	access = json_array();
	for (size_t i = 0; access && i < pu->access.n; i++)
		json_array_append_new(access, text(pu->access.v[i]));
	cr_iso_duration(pu->retention_ms, iso);
	u.tv_sec += (time_t)(pu->retention_ms / 1000ULL);
	u.tv_nsec += (long)(pu->retention_ms % 1000ULL) * 1000000L;
	if (u.tv_nsec >= 1000000000L) {
		u.tv_sec++;
		u.tv_nsec -= 1000000000L;
	}
	cr_iso_time(&u, until);
	json_object_set_new(o, "rule", json_sprintf("rules[%d]", m->rule));
	json_object_set_new(o, "rule_index", json_integer(m->rule));
	json_object_set_new(o, "purpose", text(pu->name));
	json_object_set_new(o, "description", text_or_null(pu->description));
	json_object_set_new(o, "legal_basis", json_string(cr_legal_basis_name(pu->basis)));
	json_object_set_new(o, "retention_ms", json_integer((json_int_t)pu->retention_ms));
	json_object_set_new(o, "retention", json_string(iso));
	json_object_set_new(o, "retention_until", json_string(until));
	json_object_set_new(o, "access", access ? access : json_array());
	json_object_set_new(o, "policy_sha256", text_or_null(m->policy_sha256));
	json_object_set_new(o, "on_failure", json_string(cr_on_failure_name(m->on_failure)));
	json_object_set_new(o, "employees_notice", text_or_null(m->employees_notice));
	json_object_set_new(o, "disclosure", disclosure_json(pu, NULL));
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
	policy_fields(o, m);
	return dump(o);
}

static json_t *gaps_json(const struct cr_gap *gaps, size_t ngaps, unsigned rate)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ngaps; i++) {
		const struct cr_gap *g = &gaps[i];
		json_array_append_new(arr, json_pack("{s:I, s:I, s:i, s:s}",
			"start_ms", (json_int_t)(g->start * 1000 / rate),
			"length_ms", (json_int_t)((g->length * 1000 + rate / 2) / rate),
			"channel", (int)g->channel + 1, "cause", cr_gap_cause_name(g->cause)));
	}
	return arr;
}

char *cr_meta_close_json(const struct timespec *end, uint64_t frames, unsigned rate,
			 const struct cr_gap *gaps, size_t ngaps)
{
	char e[32];
	json_t *arr = gaps_json(gaps, ngaps, rate);

	cr_iso_time(end, e);
	return dump(json_pack("{s:s, s:I, s:o}", "end", e, "frames", (json_int_t)frames,
			      "gaps", arr ? arr : json_array()));
}

static json_t *spans_json(const struct cr_span *s, size_t n, int with_reason)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_pack("{s:I, s:I}", "start_ms", (json_int_t)s[i].start_ms,
				      "length_ms", (json_int_t)s[i].length_ms);
		if (o && with_reason)
			json_object_set_new(o, "reason", text(s[i].reason));
		json_array_append_new(arr, o);
	}
	return arr ? arr : json_array();
}

char *cr_meta_close_json_full(const struct cr_call_end *e)
{
	char end[32];
	json_t *gaps = gaps_json(e->gaps, e->ngaps, e->rate), *tags = json_object(), *o;

	cr_iso_time(&e->end, end);
	/* A pause is silence on both channels, listed like any other gap (SPEC 4.3). */
	for (size_t i = 0; gaps && i < e->npauses; i++)
		for (int ch = 1; ch <= 2; ch++)
			json_array_append_new(gaps, json_pack("{s:I, s:I, s:i, s:s}",
				"start_ms", (json_int_t)e->pauses[i].start_ms,
				"length_ms", (json_int_t)e->pauses[i].length_ms, "channel", ch,
				"cause", "pause"));
	for (size_t i = 0; tags && i < e->ntags; i++)
		json_object_set_new(tags, e->tags[i].key, text(e->tags[i].value));
	o = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "end", end, "frames",
		      (json_int_t)e->frames, "gaps", gaps ? gaps : json_array(), "pauses",
		      spans_json(e->pauses, e->npauses, 0), "tags", tags ? tags : json_object(),
		      "failures", spans_json(e->failures, e->nfailures, 1));
	if (o && e->meta && e->meta->purpose)
		json_object_set_new(o, "disclosure", disclosure_json(e->meta->purpose, e->disclosure));
	return dump(o);
}
