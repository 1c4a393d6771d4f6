/* agent.yaml (docs/design.md "Configuration files") and the paths that depend on the mode
 * (system or --user). */
#ifndef CALLREC_AGENT_CONFIG_H
#define CALLREC_AGENT_CONFIG_H

#include <limits.h>

#include "diag.h"

#define CR_AGENT_CHUNK_MS_DEFAULT 1000
#define CR_AGENT_SPOOL_MAX_DEFAULT (2ULL << 30) /* 2G */
#define CR_AGENT_HELLO_TIMEOUT_MS_DEFAULT 2000ULL /* a plugin sends its HELLO at once */

struct cr_agent_config {
	/* from the file (strings malloc'd by cr_cfg_read) */
	char *address;
	char *server_name;
	char *ca;
	char *cert;
	char *key;
	char *socket;
	char *spool_dir;
	unsigned long long spool_max_bytes; /* default CR_AGENT_SPOOL_MAX_DEFAULT */
	int spool_evict_oldest;             /* spool.evict_oldest: yes */
	unsigned long long chunk_ms;
	char *policy;        /* policy.yaml; none: the built-in demo rule */
	char *announcements; /* where bare announcement names are found (CR_ANNOUNCE_DIR) */
	/* control: what one local user may hold of the socket (uidlimits.h) */
	unsigned long long ctl_streams_per_user, ctl_pending_per_user;
	unsigned long long ctl_hello_timeout_ms;
	/* resolved */
	char socket_path[PATH_MAX];
	char spool_path[PATH_MAX];
	char host[256]; /* "host" part of address */
	char port[16];
};

/* Load and validate; fills defaults for the mode. On a bad file returns -EINVAL with
 * diagnostics in d; other negative errno when the environment lacks what --user needs. */
int cr_agent_config_load(const char *path, int user_mode, struct cr_agent_config *cfg,
			 struct cr_diags *d);
void cr_agent_config_free(struct cr_agent_config *cfg);

#endif
