/* The running archive: every handle the event loop, the operator requests and the worker
 * thread share, opened together from archived.yaml and owned by the server (net/server.h).
 * Unit tests open one on a scratch directory with throwaway keys.
 *
 * Nothing here is global: two archives in one process (as in the unit tests) do not meet. */
#ifndef CALLREC_ARCHIVED_ARCHIVE_H
#define CALLREC_ARCHIVED_ARCHIVE_H

#include "wallclock.h"
#include "config.h"
#include "ops/health.h"
#include "record/mlog.h"
#include "rights/audit.h"
#include "rights/retention.h"
#include "rights/roles.h"
#include "store/store.h"
#include "vault/vault.h"

struct ad_archive {
	struct ad_clock clock;
	struct ad_vault *vault;
	struct ad_audit *audit;
	struct ad_store *store;   /* the event loop's; the worker opens a peer */
	struct ad_index *index;   /* the store's index, for the operator requests */
	struct ad_health *health; /* event loop only */
	struct ad_mlog mlog;
	struct ad_retention retention;
	const struct ad_roles *roles; /* NULL: no operator is admitted */
};

/* Keys (cfg->master_key and cfg->signing_key, or throwaway ones when master_key is NULL),
 * the audit log, the store on cfg->data (finishing interrupted erasures), and the settings
 * of the log and the sweeper. 0 or -errno (logged); on failure nothing stays open. */
int ad_archive_open(struct ad_archive *a, const struct ad_config *cfg,
		    const struct ad_roles *roles);
void ad_archive_close(struct ad_archive *a);

#endif
