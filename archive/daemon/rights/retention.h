/* Retention: every recording expires at start + its purpose's retention (store/meta.h) and
 * is erased then by the sweeper unless it is on hold. The sweeper runs in the worker thread
 * (never in the event loop) every `sweep_interval`. */
#ifndef CALLREC_ARCHIVED_RIGHTS_RETENTION_H
#define CALLREC_ARCHIVED_RIGHTS_RETENTION_H

#include <stdint.h>

#include "wallclock.h"
#include "rights/audit.h"
#include "store/store.h"

#define AD_SWEEP_INTERVAL_MS 60000u /* sweep_interval when archived.yaml names none */

struct ad_retention {
	uint64_t sweep_interval_ms;
	const struct ad_clock *clock; /* deadlines are compared with its time */
	struct ad_audit *audit;       /* every erasure is audited */
};

/* Erase every expired recording not on hold. Number erased, or -errno. */
int ad_retention_sweep(const struct ad_retention *rt, struct ad_store *s);

#endif
