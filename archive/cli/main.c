/* callrec-archive: the operators' command. Fleet PKI (pki ...) works on a local directory;
 * everything else talks to callrec-archived over mutual TLS and never reads its files. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/gnutls.h>

#include "cli_util.h"
#include "commands.h"
#include "log.h"
#include "version.h"

void cra_usage_main(FILE *out)
{
	fputs("Usage: " CRA_PROGRAM " [CONNECTION] VERB [OPTIONS]\n"
	      "Verbs:\n"
	      "  pki init|device|operator|revoke|fingerprint ...  fleet PKI (local)\n"
	      "  list [--json] [FILTERS]               calls in the archive (--from --to --user\n"
	      "                                        --device --purpose --tag K=V --state)\n"
	      "  show ID                               one call, with its manifest\n"
	      "  export --call ID | --subject K=V | --user U [--from T --to T]  --out DIR\n"
	      "                                        a verifiable bundle (README, summary)\n"
	      "  erase --call ID | --subject K=V --reason TEXT   crypto-shred\n"
	      "  hold|release --call ID --reason TEXT  legal hold (release: two operators)\n"
	      "  audit [--out FILE]                    fetch and check the audit log\n"
	      "  verify PATH [--key ARCHIVE.pub] [--tsa-cert FILE]  check an export offline\n"
	      "  devices [--json] [--unhealthy]        desktops: last heartbeat, backlog, drops\n"
	      "  console [--listen 127.0.0.1:PORT]     the archive in a browser on this computer\n"
	      "  help [VERB]                           this text, or a verb's\n"
	      "Options: -v (debug log), --help, --version. '" CRA_PROGRAM " VERB --help' for more.\n",
	      out);
	fputs(CRA_CONN_HELP, out);
}

static const struct option main_options[] = {
	CRA_CONN_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static int run_verb(int argc, char **argv, struct cra_conn_opts *conn)
{
	const char *verb = argv[0];

	if (strcmp(verb, "pki") == 0)
		return cra_cmd_pki(argc, argv);
	if (strcmp(verb, "list") == 0)
		return cra_cmd_list(argc, argv, conn);
	if (strcmp(verb, "export") == 0)
		return cra_cmd_export(argc, argv, conn);
	if (strcmp(verb, "show") == 0)
		return cra_cmd_show(argc, argv, conn);
	if (strcmp(verb, "erase") == 0)
		return cra_cmd_erase(argc, argv, conn);
	if (strcmp(verb, "hold") == 0)
		return cra_cmd_hold(argc, argv, conn);
	if (strcmp(verb, "release") == 0)
		return cra_cmd_release(argc, argv, conn);
	if (strcmp(verb, "audit") == 0)
		return cra_cmd_audit(argc, argv, conn);
	if (strcmp(verb, "verify") == 0)
		return cra_cmd_verify(argc, argv, conn);
	if (strcmp(verb, "devices") == 0)
		return cra_cmd_devices(argc, argv, conn);
	if (strcmp(verb, "console") == 0)
		return cra_cmd_console(argc, argv, conn);
	if (strcmp(verb, "help") == 0) {
		char *help[] = { argc > 1 ? argv[1] : NULL, "--help", NULL };

		if (!help[0]) {
			cra_usage_main(stdout);
			return 0;
		}
		if (strcmp(help[0], "help") == 0)
			return cra_usage_main(stdout), 0;
		return run_verb(2, help, conn);
	}
	fprintf(stderr, CRA_PROGRAM ": unknown verb '%s'\n", verb);
	cra_usage_main(stderr);
	return CRA_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cra_conn_opts conn = { NULL };
	int c, rc, verbose = 0;

	/* Options before the verb: "+" stops at the verb, whose own options follow it. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hVv", main_options, NULL)) != -1) {
		rc = cra_conn_opt(&conn, c, optarg);
		if (rc < 0)
			return CRA_EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			cra_usage_main(stdout);
			return 0;
		case 'V':
			printf(CRA_PROGRAM " " CR_VERSION "\n");
			return 0;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, CRA_PROGRAM ": unknown option or missing value: %s\n",
				argv[optind - 1]);
			cra_usage_main(stderr);
			return CRA_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cra_usage_main(stderr);
		return CRA_EXIT_USAGE;
	}
	cr_log_init(CRA_PROGRAM, verbose);
	if (gnutls_global_init() < 0) {
		cra_error("cannot initialise GnuTLS");
		return CRA_EXIT_FAIL;
	}
	rc = run_verb(argc - optind, argv + optind, &conn);
	gnutls_global_deinit();
	return rc;
}
