/* Desktop health: heartbeat trends and the view of one device. See health.h. */
#include "ops/health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wallclock.h"
#include "tls.h"

/* Backlog of the last heartbeats of one device. */
struct trend {
	char device[CR_NAME_MAX];
	int64_t backlog[AD_HEALTH_TREND];
	unsigned n; /* samples so far (saturates at AD_HEALTH_TREND) */
};

struct ad_health {
	struct trend *trends;
	size_t n, cap;
};

int ad_health_new(struct ad_health **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void ad_health_free(struct ad_health *h)
{
	if (h)
		free(h->trends);
	free(h);
}

static struct trend *find(const struct ad_health *h, const char *device)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->trends[i].device, device) == 0)
			return &h->trends[i];
	return NULL;
}

static struct trend *find_or_add(struct ad_health *h, const char *device)
{
	struct trend *t = find(h, device);

	if (t)
		return t;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;

		t = realloc(h->trends, cap * sizeof(*t));
		if (!t)
			return NULL;
		h->trends = t;
		h->cap = cap;
	}
	t = &h->trends[h->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->device, sizeof(t->device), "%s", device);
	return t;
}

/* The backlog an agent reports: bytes if given, else frames; -1 if neither. */
static int64_t backlog_of(json_t *hb)
{
	json_t *v = json_object_get(hb, "backlog_bytes");

	if (!json_is_integer(v))
		v = json_object_get(hb, "backlog_frames");
	if (!json_is_integer(v))
		v = json_object_get(hb, "backlog");
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

void ad_health_beat(struct ad_health *h, const char *device, const char *json, size_t len)
{
	json_t *hb = json_loadb(json, len, 0, NULL);
	int64_t b = hb ? backlog_of(hb) : -1;
	struct trend *t;

	json_decref(hb);
	if (b < 0)
		return;
	t = find_or_add(h, device);
	if (!t)
		return;
	if (t->n == AD_HEALTH_TREND)
		memmove(t->backlog, t->backlog + 1, (AD_HEALTH_TREND - 1) * sizeof(t->backlog[0]));
	else
		t->n++;
	t->backlog[t->n - 1] = b;
}

static int growing(const struct ad_health *h, const char *device)
{
	const struct trend *t = find(h, device);
	unsigned i;

	if (!t || t->n < AD_HEALTH_TREND)
		return 0;
	for (i = 1; i < t->n; i++)
		if (t->backlog[i] <= t->backlog[i - 1])
			return 0;
	return 1;
}

/* Sum of the counters that mean audio was lost or will be: dropped, evicted. */
static int64_t drops_of(json_t *hb)
{
	static const char *const keys[] = { "dropped_frames", "evicted_frames", "dropped",
					     "evicted" };
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(hb, keys[i]);

		if (json_is_integer(v) && json_integer_value(v) > 0)
			sum += (int64_t)json_integer_value(v);
	}
	return sum;
}

/* Audio the agent could not keep: refused while its spool was full, or evicted from it
 * (agent heartbeat "spool": {refused_seconds, evicted_seconds, ...}). */
static void spool_losses(json_t *spool, json_t *problems)
{
	static const char *const keys[][2] = { { "refused_seconds", "not spooled (spool full)" },
					       { "evicted_seconds", "evicted from the spool" } };
	char text[96];
	size_t i;

	for (i = 0; json_is_object(spool) && i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(spool, keys[i][0]);

		if (json_is_number(v) && json_number_value(v) > 0) {
			snprintf(text, sizeof(text), "%.1f s %s", json_number_value(v), keys[i][1]);
			json_array_append_new(problems, json_string(text));
		}
	}
}

json_t *ad_health_view(const struct ad_health *h, const char *device, const char *json,
		       int64_t seen_at, int64_t now, int64_t stale_s)
{
	json_t *hb = json_loads(json, 0, NULL), *o = json_object(), *problems = json_array();
	int64_t age = now - seen_at, drops;
	char when[32], text[96];
	int grow = growing(h, device);

	if (!o || !problems) {
		json_decref(hb);
		json_decref(o);
		json_decref(problems);
		return NULL;
	}
	if (!json_is_object(hb)) {
		json_decref(hb);
		hb = json_object();
	}
	ad_format_time(seen_at, when);
	if (age < 0)
		age = 0;
	if (age > stale_s) {
		snprintf(text, sizeof(text), "no heartbeat for %llds", (long long)age);
		json_array_append_new(problems, json_string(text));
	}
	if (grow)
		json_array_append_new(problems, json_string("backlog growing"));
	drops = drops_of(hb);
	if (drops > 0) {
		snprintf(text, sizeof(text), "%lld frames dropped", (long long)drops);
		json_array_append_new(problems, json_string(text));
	}
	spool_losses(json_object_get(hb, "spool"), problems);
	if (json_is_string(json_object_get(hb, "state")) &&
	    strcmp(json_string_value(json_object_get(hb, "state")), "running") != 0) {
		snprintf(text, sizeof(text), "state %.60s",
			 json_string_value(json_object_get(hb, "state")));
		json_array_append_new(problems, json_string(text));
	}
	json_object_set_new(o, "device", json_string(device));
	json_object_set_new(o, "last_heartbeat", json_string(when));
	json_object_set_new(o, "age_s", json_integer(age));
	json_object_set_new(o, "state", json_is_string(json_object_get(hb, "state"))
						? json_incref(json_object_get(hb, "state"))
						: json_null());
	json_object_set_new(o, "backlog", json_integer(backlog_of(hb)));
	json_object_set_new(o, "backlog_growing", json_boolean(grow));
	json_object_set_new(o, "dropped", json_integer(drops));
	json_object_set_new(o, "healthy", json_boolean(json_array_size(problems) == 0));
	json_object_set_new(o, "problems", problems);
	json_object_set_new(o, "heartbeat", hb);
	return o;
}
