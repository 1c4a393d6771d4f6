/* callrec-archived: the archive daemon (docs/archive.md, docs/architecture.md).
 *
 *   callrec-archived --config FILE [--ready-file FILE] [-v] [--help] [--version]
 *
 * The test build (testhooks.h) also takes --test-crash-at POINT and --test-clock-offset S.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "fsutil.h"
#include "log.h"
#include "net/server.h"
#include "record/manifest.h"
#include "rights/roles.h"

static void usage(FILE *out)
{
	fputs("usage: callrec-archived --config FILE [--ready-file FILE] [-v]\n"
	      "  --config FILE      archived.yaml (listen, data, tls, signing_key, master_key,\n"
	      "                     roles, sweep_interval, checkpoint_every)\n"
	      "  --ready-file FILE  write the bound HOST:PORT there once listening\n"
	      "  -v, --verbose      debug log\n"
#ifdef CALLREC_TEST_HOOKS
	      "test build only:\n"
	      "  --test-crash-at POINT       _exit(99) at that crash point (testhooks.h)\n"
	      "  --test-clock-offset SECONDS move the archive's clock\n"
#endif
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
#ifdef CALLREC_TEST_HOOKS
		{ "test-crash-at", required_argument, NULL, 'X' },
		{ "test-clock-offset", required_argument, NULL, 'T' },
#endif
		{ NULL, 0, NULL, 0 },
	};
#ifdef CALLREC_TEST_HOOKS
	struct ad_testhooks test = { 0 };
#endif
	const char *config = NULL, *ready = NULL;
	struct ad_config cfg;
	struct ad_roles roles = { 0 };
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
#ifdef CALLREC_TEST_HOOKS
		case 'X': test.crash_at = optarg; break;
		case 'T': test.clock_offset_s = strtoll(optarg, NULL, 10); break;
#endif
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
#ifdef CALLREC_TEST_HOOKS
	cfg.test = test;
#endif
	if (cfg.roles) {
		cr_diags_init(&d, cfg.roles);
		if (ad_roles_load(cfg.roles, &roles, &d) < 0) {
			cr_diags_print(&d, stderr);
			goto out;
		}
	} else {
		cr_warn("%s: no roles file: operators will be refused", config);
	}
	if (ad_server_new(&cfg, config, &roles, &srv) < 0)
		goto out;
	if (ready && write_ready(ready, ad_server_address(srv)) < 0) {
		cr_err("%s: cannot write the ready file", ready);
		goto out;
	}
	rc = ad_server_run(srv) < 0;
out:
	ad_server_free(srv);
	ad_roles_free(&roles);
	ad_config_free(&cfg);
	return rc;
}
