/* Opening and closing the archive's handles in order. See archive.h. */
#include "archive.h"

#include <string.h>

#include "fsutil.h"
#include "log.h"

int ad_archive_open(struct ad_archive *a, const struct ad_config *cfg,
		    const struct ad_roles *roles)
{
	struct ad_store_cfg sc = { .data_dir = cfg->data };
	int rc;

	memset(a, 0, sizeof(*a));
#ifdef CALLREC_TEST_HOOKS
	a->clock.offset_s = cfg->test.clock_offset_s;
	sc.hooks = &cfg->test;
#endif
	a->roles = roles;
	rc = cr_mkdir_p(cfg->data, 0700);
	if (rc < 0) {
		cr_err("storage: cannot create %s: %s", cfg->data, strerror(-rc));
		return rc;
	}
	/* Keys before the store: it encrypts with them from the first chunk on. */
	rc = cfg->master_key ? ad_vault_load(cfg->master_key, cfg->signing_key, &a->vault)
			     : ad_vault_ephemeral(&a->vault);
	if (rc == 0)
		rc = ad_audit_open(cfg->data, &a->clock, &a->audit);
	if (rc == 0)
		rc = ad_health_new(&a->health);
	if (rc < 0)
		goto fail;
	sc.vault = a->vault;
	sc.clock = &a->clock;
	sc.audit = a->audit;
	rc = ad_store_open(&sc, &a->store);
	if (rc < 0)
		goto fail;
	a->index = ad_store_index(a->store);
	a->mlog = (struct ad_mlog){ .checkpoint_every = cfg->checkpoint_every ?
						cfg->checkpoint_every : AD_CHECKPOINT_EVERY,
				    .timestamp_command = cfg->timestamp_command,
				    .vault = a->vault, .clock = &a->clock };
	a->retention = (struct ad_retention){ .sweep_interval_ms = cfg->sweep_interval_ms ?
						cfg->sweep_interval_ms : AD_SWEEP_INTERVAL_MS,
					      .clock = &a->clock, .audit = a->audit };
	return 0;
fail:
	ad_archive_close(a);
	return rc;
}

void ad_archive_close(struct ad_archive *a)
{
	ad_store_close(a->store);
	ad_health_free(a->health);
	ad_audit_close(a->audit);
	ad_vault_free(a->vault);
	memset(a, 0, sizeof(*a));
}
