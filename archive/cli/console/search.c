/* Search filters. See search.h. */
#include "search.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "when.h"

/* The archive compares times as text; a start written without milliseconds sorts after one
 * with them in the same second. Asking it for a second more on each side and deciding here
 * keeps every call that belongs and none that does not. */
#define ARCHIVE_SLACK_MS 1000

static const char *const states[] = { "recording", "complete", "held", "erased" };

int console_period_parse(console_param_fn get, void *arg, int64_t now_ms,
			 struct console_period *p, char *why, size_t whylen)
{
	const char *names[2] = { "from", "to" }, *tzs = get(arg, "tz"), *reason = NULL;
	struct cr_tz tz = { 1, 0 };

	memset(p, 0, sizeof(*p));
	if (tzs && cr_tz_parse(tzs, &tz) < 0) {
		snprintf(why, whylen, "time zone '%.40s': expected local, UTC or an offset such "
			 "as +01:00", tzs);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		const char *v = get(arg, names[i]);
		int64_t *out = i ? &p->to_ms : &p->from_ms;

		if (!v)
			continue;
		if (cr_when_parse(v, &tz, now_ms, out, &reason) < 0) {
			snprintf(why, whylen, "%s '%.60s': %s", names[i], v, reason);
			return -EINVAL;
		}
		*(i ? &p->has_to : &p->has_from) = 1;
	}
	if (p->has_from && p->has_to && p->to_ms <= p->from_ms) {
		snprintf(why, whylen, "the period ends before it begins ('to' must be after 'from')");
		return -EINVAL;
	}
	return 0;
}

int console_period_has(const struct console_period *p, const char *iso)
{
	static const struct cr_tz utc = { 0, 0 };
	int64_t t;

	if (!p->has_from && !p->has_to)
		return 1;
	if (!iso || cr_when_parse(iso, &utc, 0, &t, NULL) < 0)
		return 0;
	return (!p->has_from || t >= p->from_ms) && (!p->has_to || t < p->to_ms);
}

static int valid_state(const char *s)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

int console_search_parse(console_param_fn get, void *arg, int64_t now_ms,
			 struct console_search *s, char *why, size_t whylen)
{
	static const char *const passed[] = { "user", "device", "purpose", "tag", "state" };
	const char *party = get(arg, "party"), *tag = get(arg, "tag"), *state = get(arg, "state");
	char when[32];
	int rc;

	memset(s, 0, sizeof(*s));
	s->archive = json_object();
	if (!s->archive)
		return -ENOMEM;
	rc = console_period_parse(get, arg, now_ms, &s->period, why, whylen);
	if (rc < 0)
		return rc;
	if (tag && (!strchr(tag, '=') || tag[0] == '=')) {
		snprintf(why, whylen, "tag '%.60s': expected KEY=VALUE, e.g. remote=+31201234567",
			 tag);
		return -EINVAL;
	}
	if (state && !valid_state(state)) {
		snprintf(why, whylen, "state '%.30s': expected recording, complete, held or erased",
			 state);
		return -EINVAL;
	}
	if (party && strlen(party) >= sizeof(s->party)) {
		snprintf(why, whylen, "party: at most %zu characters", sizeof(s->party) - 1);
		return -EINVAL;
	}
	if (party)
		snprintf(s->party, sizeof(s->party), "%s", party);
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
		const char *v = get(arg, passed[i]);

		if (v)
			json_object_set_new(s->archive, passed[i], json_string(v));
	}
	if (s->period.has_from) {
		cr_when_format_utc(s->period.from_ms - ARCHIVE_SLACK_MS, when);
		json_object_set_new(s->archive, "from", json_string(when));
	}
	if (s->period.has_to) {
		cr_when_format_utc(s->period.to_ms + ARCHIVE_SLACK_MS, when);
		json_object_set_new(s->archive, "to", json_string(when));
	}
	return 0;
}

/* A party is someone on the call: the local user, or any tag's value (remote=+3120...,
 * customer=ACME); matched as a part of the text, ignoring case. */
static int has_party(const char *party, json_t *call)
{
	const char *user = json_string_value(json_object_get(call, "user")), *k;
	json_t *v;

	if (user && strcasestr(user, party))
		return 1;
	json_object_foreach(json_object_get(call, "tags"), k, v)
		if (json_is_string(v) && strcasestr(json_string_value(v), party))
			return 1;
	return 0;
}

int console_search_match(const struct console_search *s, json_t *call)
{
	if (!console_period_has(&s->period, json_string_value(json_object_get(call, "start"))))
		return 0;
	return !s->party[0] || has_party(s->party, call);
}

void console_search_free(struct console_search *s)
{
	json_decref(s->archive);
	s->archive = NULL;
}
