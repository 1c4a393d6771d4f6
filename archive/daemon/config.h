/* archived.yaml: what the archive daemon listens on, where it stores, its TLS files and keys,
 * the operators' roles, and the log's and the sweeper's settings (docs/design.md,
 * "Configuration files"). */
#ifndef CALLREC_ARCHIVED_CONFIG_H
#define CALLREC_ARCHIVED_CONFIG_H

#include "diag.h"
#include "testhooks.h"
#include "yamltree.h"

struct ad_config {
	char *listen;      /* HOST:PORT as written */
	char *data;        /* data directory (segments, index, calls) */
	char *ca, *cert, *key, *crl; /* crl optional */
	char *signing_key; /* Ed25519: signs manifests, checkpoints and proofs */
	char *roles;       /* optional: without it no operator is admitted */
	char *master_key;  /* archive master key (hex, 0600): wraps every call's key */
	unsigned long long sweep_interval_ms; /* retention sweeper period (default 60 s) */
	unsigned long long checkpoint_every;  /* signed Merkle checkpoint every N manifests */
	char *timestamp_command; /* optional: RFC 3161 timestamps of checkpoints (record/mlog.h) */
	/* Parsed from `listen`. */
	char host[256];
	char port[8];
#ifdef CALLREC_TEST_HOOKS
	struct ad_testhooks test; /* from the test build's command line, not the file */
#endif
};

/* Read and check the file. 0, or a negative errno with diagnostics in d. */
int ad_config_load(const char *path, struct ad_config *cfg, struct cr_diags *d);
void ad_config_free(struct ad_config *cfg);

#endif
