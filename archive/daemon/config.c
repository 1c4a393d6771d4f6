/* archived.yaml reader. The YAML is read here rather than with cr_cfg_load() so that the
 * `listen` value can be checked with its own line and column. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "hostport.h"
#include "record/mlog.h"
#include "rights/retention.h"
#include "yamltree.h"

static const struct cr_cfg_field tls_fields[] = {
	{ "ca", CR_CFG_PATH, offsetof(struct ad_config, ca), 1 },
	{ "cert", CR_CFG_PATH, offsetof(struct ad_config, cert), 1 },
	{ "key", CR_CFG_PATH, offsetof(struct ad_config, key), 1 },
	{ "crl", CR_CFG_PATH, offsetof(struct ad_config, crl), 0 },
	{ NULL },
};

static const struct cr_cfg_field config_fields[] = {
	{ "listen", CR_CFG_STRING, offsetof(struct ad_config, listen), 1 },
	{ "data", CR_CFG_PATH, offsetof(struct ad_config, data), 1 },
	{ "tls", CR_CFG_MAP, 0, 1, 0, 0, tls_fields },
	{ "signing_key", CR_CFG_PATH, offsetof(struct ad_config, signing_key), 1 },
	{ "roles", CR_CFG_PATH, offsetof(struct ad_config, roles), 0 },
	{ "master_key", CR_CFG_PATH, offsetof(struct ad_config, master_key), 1 },
	{ "sweep_interval", CR_CFG_DURATION_MS, offsetof(struct ad_config, sweep_interval_ms), 0 },
	{ "checkpoint_every", CR_CFG_UINT, offsetof(struct ad_config, checkpoint_every), 0, 1,
	  1000000 },
	{ "timestamp_command", CR_CFG_STRING, offsetof(struct ad_config, timestamp_command), 0 },
	{ NULL },
};

int ad_config_load(const char *path, struct ad_config *cfg, struct cr_diags *d)
{
	struct cr_ynode *root = NULL;
	const struct cr_ynode *n;
	char dir[PATH_MAX];
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = cr_yaml_load(path, &root, NULL, NULL, d);
	if (rc < 0)
		goto out;
	cr_dirname(path, dir, sizeof(dir));
	rc = cr_cfg_read(root, config_fields, cfg, dir, d);
	if (!cfg->sweep_interval_ms)
		cfg->sweep_interval_ms = AD_SWEEP_INTERVAL_MS;
	if (!cfg->checkpoint_every)
		cfg->checkpoint_every = AD_CHECKPOINT_EVERY;
	n = cr_ymap_get(root, "listen");
	if (cfg->listen && n) {
		unsigned port;

		if (cr_split_listen(cfg->listen, cfg->host, sizeof(cfg->host), &port) < 0) {
			cr_diag_add(d, n->line, n->col, "listen: expected HOST:PORT, found '%s'",
				    cfg->listen);
			rc = -EINVAL;
		} else {
			snprintf(cfg->port, sizeof(cfg->port), "%u", port);
		}
	}
out:
	if (rc < 0)
		ad_config_free(cfg);
	cr_yaml_free(root);
	return rc;
}

void ad_config_free(struct ad_config *cfg)
{
	cr_cfg_free(config_fields, cfg);
}
