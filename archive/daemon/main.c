/* callrec-archived: the archive daemon (SPEC 5, 6; docs/design.md).
 *
 *   callrec-archived --config FILE [--ready-file FILE] [-v] [--help] [--version]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rights/audit.h"
#include "config.h"
#include "diag.h"
#include "fsutil.h"
#include "log.h"
#include "record/manifest.h"
#include "record/mlog.h"
#include "rights/retention.h"
#include "rights/roles.h"
#include "net/server.h"
#include "store/store.h"
#include "vault/vault.h"

static void usage(FILE *out)
{
	fputs("usage: callrec-archived --config FILE [--ready-file FILE] [-v]\n"
	      "  --config FILE      archived.yaml (listen, data, tls, signing_key, master_key,\n"
	      "                     roles, sweep_interval, checkpoint_every)\n"
	      "  --ready-file FILE  write the bound HOST:PORT there once listening\n"
	      "  -v, --verbose      debug log\n"
	      "  --help, --version\n"
	      "Runs in the foreground and logs to stderr. SIGTERM/SIGINT stop, SIGHUP reloads\n"
	      "roles and the CRL.\n", out);
}

static int write_ready(const char *path, const char *address)
{
	char dir[4096], line[320];
	const char *base = strrchr(path, '/');

	cr_dirname(path, dir, sizeof(dir));
	snprintf(line, sizeof(line), "%s\n", address);
	return cr_write_atomic(dir, base ? base + 1 : path, line, strlen(line), 0644);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *ready = NULL;
	struct ad_config cfg;
	struct ad_roles roles = { 0 };
	struct ad_store *store = NULL;
	struct ad_server *srv = NULL;
	struct cr_diags d;
	int verbose = 0, c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:r:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'r': ready = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': puts(AD_SOFTWARE); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	cr_log_init("callrec-archived", verbose);
	cr_diags_init(&d, config);
	if (ad_config_load(config, &cfg, &d) < 0) {
		cr_diags_print(&d, stderr);
		return 1;
	}
	if (cfg.roles) {
		cr_diags_init(&d, cfg.roles);
		if (ad_roles_load(cfg.roles, &roles, &d) < 0) {
			cr_diags_print(&d, stderr);
			goto out;
		}
	} else {
		cr_warn("%s: no roles file: operators will be refused", config);
	}
	/* Keys before the store: it encrypts with them from the first chunk on. */
	if (ad_vault_load(cfg.master_key, cfg.signing_key) < 0)
		goto out;
	ad_retention_configure(cfg.sweep_interval_ms);
	ad_mlog_configure(cfg.checkpoint_every, cfg.timestamp_command);
	if (ad_store_open(cfg.data, &store) < 0)
		goto out;
	if (ad_audit_open(cfg.data) < 0)
		goto out;
	if (ad_server_new(&cfg, config, store, &roles, &srv) < 0)
		goto out;
	if (ready && write_ready(ready, ad_server_address(srv)) < 0) {
		cr_err("%s: cannot write the ready file", ready);
		goto out;
	}
	rc = ad_server_run(srv) < 0;
out:
	ad_server_free(srv);
	ad_store_close(store);
	ad_audit_close();
	ad_vault_free();
	ad_roles_free(&roles);
	ad_config_free(&cfg);
	return rc;
}
