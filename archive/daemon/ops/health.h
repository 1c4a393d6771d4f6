/* Desktop health: agents' heartbeats, and the operators' view (`devices`) of which desktops
 * are unhealthy.
 *
 * The last heartbeat of every device is stored in the index (devices table, via the store's
 * group commit), so the view survives a restart. The trend needed for "backlog growing" is
 * kept in memory by a handle the server owns (the event loop's only): the backlog of each
 * device's last few heartbeats since the daemon started. */
#ifndef CALLREC_ARCHIVED_OPS_HEALTH_H
#define CALLREC_ARCHIVED_OPS_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AD_HEALTH_STALE_S 120 /* no heartbeat for longer: unhealthy */
#define AD_HEALTH_TREND 3     /* strictly growing over this many heartbeats: unhealthy */

struct ad_health;

int ad_health_new(struct ad_health **out);
void ad_health_free(struct ad_health *h);
/* A device's heartbeat JSON arrived (already staged for the index by the caller). Records
 * its backlog for the trend; invalid JSON is ignored. */
void ad_health_beat(struct ad_health *h, const char *device, const char *json, size_t len);

/* The view of one device: a new JSON object with "device", "last_heartbeat" (UTC ISO 8601),
 * "age_s", the heartbeat's own fields under "heartbeat", "backlog_growing", "problems"
 * (strings) and "healthy". Problems: no heartbeat for longer than stale_s, backlog growing,
 * frames dropped, audio refused by or evicted from a full spool, a state other than
 * "running". `now` and `seen_at` are Unix seconds. */
json_t *ad_health_view(const struct ad_health *h, const char *device, const char *json,
		       int64_t seen_at, int64_t now, int64_t stale_s);

#endif
