/* Read access to the devices table (last heartbeat per device), for the health view. */
#ifndef CALLREC_ARCHIVED_STORE_DEVICES_H
#define CALLREC_ARCHIVED_STORE_DEVICES_H

#include <stdint.h>

#include "store/store.h"

/* Every device with a stored heartbeat, by name: fn(arg, name, heartbeat JSON, Unix time it
 * was stored). fn returns non-zero to stop (that value is returned). 0 or -errno. */
int ad_store_devices(struct ad_store *s,
		     int (*fn)(void *arg, const char *name, const char *json, int64_t seen_at),
		     void *arg);

#endif
