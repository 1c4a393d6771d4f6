/* Operator request "devices": one reply per desktop with its health (ops/health.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops/health.h"
#include "ops/request.h"

struct devices_walk {
	struct ad_conn *c;
	const struct ad_health *health;
	int64_t now, stale_s;
	unsigned n, unhealthy;
};

static int reply_device(void *arg, const char *name, const char *json, int64_t seen_at)
{
	struct devices_walk *w = arg;
	json_t *o = ad_health_view(w->health, name, json, seen_at, w->now, w->stale_s);

	if (o && !json_is_true(json_object_get(o, "healthy")))
		w->unhealthy++;
	w->n++;
	return ad_op_reply(w->c, o);
}

int ad_op_devices(struct ad_conn *c, struct ad_archive *ar, json_t *req)
{
	json_t *stale = json_object_get(req, "stale_s");
	struct devices_walk w = { .c = c, .health = ar->health, .now = ad_clock_now(&ar->clock),
				  .stale_s = AD_HEALTH_STALE_S };
	int rc;

	if (stale && (!json_is_integer(stale) || json_integer_value(stale) < 0 ||
		      json_integer_value(stale) > 365LL * 86400))
		return ad_op_end(c, EINVAL, "stale_s must be a number of seconds");
	if (stale)
		w.stale_s = (int64_t)json_integer_value(stale);
	rc = ar->index->ops->devices(ar->index, reply_device, &w);
	if (rc < 0)
		return ad_op_end(c, -rc, "cannot list devices");
	cr_info("operator %s (%s): devices: %u, %u unhealthy", c->cn, c->grant, w.n, w.unhealthy);
	return ad_op_end(c, 0, NULL);
}
