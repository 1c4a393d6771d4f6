/* agent.yaml reading: see config.h. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "hostport.h"
#include "uidlimits.h"
#include "yamltree.h"

#define F(name) offsetof(struct cr_agent_config, name)

static const struct cr_cfg_field archive_fields[] = {
	{ "address", CR_CFG_STRING, F(address), 1, 0, 0, NULL },
	{ "server_name", CR_CFG_STRING, F(server_name), 1, 0, 0, NULL },
	{ "ca", CR_CFG_PATH, F(ca), 1, 0, 0, NULL },
	{ "cert", CR_CFG_PATH, F(cert), 1, 0, 0, NULL },
	{ "key", CR_CFG_PATH, F(key), 1, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

static const struct cr_cfg_field spool_fields[] = {
	{ "dir", CR_CFG_PATH, F(spool_dir), 0, 0, 0, NULL },
	{ "max_bytes", CR_CFG_SIZE, F(spool_max_bytes), 0, 0, 0, NULL },
	{ "evict_oldest", CR_CFG_BOOL, F(spool_evict_oldest), 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

static const struct cr_cfg_field control_fields[] = {
	{ "streams_per_user", CR_CFG_UINT, F(ctl_streams_per_user), 0, 1, 1024, NULL },
	{ "pending_per_user", CR_CFG_UINT, F(ctl_pending_per_user), 0, 1, 1024, NULL },
	{ "hello_timeout", CR_CFG_DURATION_MS, F(ctl_hello_timeout_ms), 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

static const struct cr_cfg_field agent_fields[] = {
	{ "archive", CR_CFG_MAP, 0, 1, 0, 0, archive_fields },
	{ "socket", CR_CFG_PATH, F(socket), 0, 0, 0, NULL },
	{ "spool", CR_CFG_MAP, 0, 0, 0, 0, spool_fields },
	{ "chunk_ms", CR_CFG_UINT, F(chunk_ms), 0, 100, 10000, NULL },
	{ "policy", CR_CFG_PATH, F(policy), 0, 0, 0, NULL },
	{ "announcements", CR_CFG_PATH, F(announcements), 0, 0, 0, NULL },
	{ "control", CR_CFG_MAP, 0, 0, 0, 0, control_fields },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

void cr_agent_config_free(struct cr_agent_config *cfg)
{
	cr_cfg_free(agent_fields, cfg);
	memset(cfg, 0, sizeof(*cfg));
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

static int default_paths(struct cr_agent_config *cfg, int user_mode, struct cr_diags *d)
{
	int n;

	if (cfg->socket) {
		n = snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", cfg->socket);
	} else if (user_mode) {
		const char *rt = getenv("XDG_RUNTIME_DIR");
		if (!rt || rt[0] != '/') {
			cr_diag_add(d, 0, 0, "--user needs XDG_RUNTIME_DIR (or `socket:` in the file)");
			return -EINVAL;
		}
		n = snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s/callrec/agent.sock", rt);
	} else {
		n = snprintf(cfg->socket_path, sizeof(cfg->socket_path), "/run/callrec/agent.sock");
	}
	if (n < 0 || (size_t)n >= sizeof(cfg->socket_path) - 1 || n >= 100) {
		/* sun_path holds 108 bytes; stay well inside it. */
		cr_diag_add(d, 0, 0, "socket path too long: %s", cfg->socket_path);
		return -EINVAL;
	}

	if (cfg->spool_dir) {
		n = snprintf(cfg->spool_path, sizeof(cfg->spool_path), "%s", cfg->spool_dir);
	} else if (user_mode) {
		const char *st = getenv("XDG_STATE_HOME"), *home;
		if (st && st[0] == '/') {
			n = snprintf(cfg->spool_path, sizeof(cfg->spool_path), "%s/callrec/spool", st);
		} else if ((home = home_dir())) {
			n = snprintf(cfg->spool_path, sizeof(cfg->spool_path),
				     "%s/.local/state/callrec/spool", home);
		} else {
			cr_diag_add(d, 0, 0, "--user: no XDG_STATE_HOME and no home directory");
			return -EINVAL;
		}
	} else {
		n = snprintf(cfg->spool_path, sizeof(cfg->spool_path), "/var/spool/callrec");
	}
	if (n < 0 || (size_t)n >= sizeof(cfg->spool_path) - 64) {
		cr_diag_add(d, 0, 0, "spool path too long");
		return -EINVAL;
	}
	return 0;
}

int cr_agent_config_load(const char *path, int user_mode, struct cr_agent_config *cfg,
			 struct cr_diags *d)
{
	struct cr_ynode *root = NULL;
	const struct cr_ynode *addr;
	char dir[PATH_MAX];
	unsigned port;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	/* Parse here rather than with cr_cfg_load() to keep the tree: checks beyond the schema
	 * (the address) report the node's position too. */
	err = cr_yaml_load(path, &root, NULL, NULL, d);
	if (err)
		return err;
	cr_dirname(path, dir, sizeof(dir));
	err = cr_cfg_read(root, agent_fields, cfg, dir, d);
	if (err)
		goto out;
	if (cfg->chunk_ms == 0)
		cfg->chunk_ms = CR_AGENT_CHUNK_MS_DEFAULT;
	if (cfg->spool_max_bytes == 0)
		cfg->spool_max_bytes = CR_AGENT_SPOOL_MAX_DEFAULT;
	if (cfg->ctl_streams_per_user == 0)
		cfg->ctl_streams_per_user = CR_UID_STREAMS_DEFAULT;
	if (cfg->ctl_pending_per_user == 0)
		cfg->ctl_pending_per_user = CR_UID_PENDING_DEFAULT;
	if (cfg->ctl_hello_timeout_ms == 0)
		cfg->ctl_hello_timeout_ms = CR_AGENT_HELLO_TIMEOUT_MS_DEFAULT;
	if (cfg->ctl_hello_timeout_ms < 100 || cfg->ctl_hello_timeout_ms > 60000) {
		const struct cr_ynode *t = cr_ymap_get(cr_ymap_get(root, "control"), "hello_timeout");

		cr_diag_add(d, t ? t->line : 0, t ? t->col : 0,
			    "hello_timeout: between 100ms and 60s");
		err = -EINVAL;
		goto out;
	}
	if (cr_split_hostport(cfg->address, cfg->host, sizeof(cfg->host), &port) < 0) {
		addr = cr_ymap_get(cr_ymap_get(root, "archive"), "address");
		cr_diag_add(d, addr ? addr->line : 0, addr ? addr->col : 0,
			    "expected HOST:PORT, got \"%s\"", cfg->address);
		err = -EINVAL;
		goto out;
	}
	snprintf(cfg->port, sizeof(cfg->port), "%u", port);
	err = default_paths(cfg, user_mode, d);
out:
	cr_yaml_free(root);
	return err;
}
