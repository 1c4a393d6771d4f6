/* `callrec-archive list|export`: argument parsing, then one connection to the archive. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "ops.h"

static const char list_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] list [--json]\n"
	"  Calls in the archive: a table (id, start, seconds, device, user, application,\n"
	"  state), or with --json one JSON object per line.\n" CRA_CONN_HELP;

static const char export_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] export --call ID --out DIR\n"
	"  Writes DIR/ID.wav (2 channels: 1 local, 2 remote; 16-bit) and\n"
	"  DIR/ID.manifest.json; DIR is created if missing.\n" CRA_CONN_HELP;

enum { OPT_JSON = 0x300, OPT_CALL, OPT_OUT };

static const struct option op_options[] = {
	CRA_CONN_LONGOPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "call", required_argument, NULL, OPT_CALL },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct op_args {
	int json, help;
	const char *call, *out;
};

static int usage_error(const char *verb, const char *what, const char *arg)
{
	fprintf(stderr, CRA_PROGRAM ": %s: %s%s\nTry '" CRA_PROGRAM " %s --help'.\n", verb, what,
		arg, verb);
	return CRA_EXIT_USAGE;
}

/* Options after the verb; connection options are accepted here too. */
static int parse(int argc, char **argv, struct cra_conn_opts *conn, struct op_args *a)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode main() used */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", op_options, NULL)) != -1) {
		rc = cra_conn_opt(conn, c, optarg);
		if (rc < 0)
			return CRA_EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case OPT_JSON: a->json = 1; break;
		case OPT_CALL: a->call = optarg; break;
		case OPT_OUT: a->out = optarg; break;
		case 'h': a->help = 1; break;
		default:
			return usage_error(argv[0], "unknown option or missing value: ",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(argv[0], "unexpected argument: ", argv[optind]);
	return 0;
}

/* Resolve the connection options and connect. Returns an exit status (0 when connected). */
static int connect_archive(const struct cra_conn_opts *conn, struct cra_conn *c)
{
	struct cra_conn_params p;
	int rc = cra_conn_resolve(conn, &p);

	if (rc == -EINVAL)
		return CRA_EXIT_USAGE;
	if (rc < 0)
		return CRA_EXIT_FAIL;
	rc = cra_conn_open(&p, c);
	cra_conn_params_free(&p);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

int cra_cmd_list(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct op_args a;
	int rc = parse(argc, argv, conn, &a);

	if (rc)
		return rc;
	if (a.help) {
		fputs(list_usage, stdout);
		return 0;
	}
	if (a.call || a.out)
		return usage_error("list", "--call and --out belong to export", "");
	rc = connect_archive(conn, &c);
	if (rc)
		return rc;
	rc = cra_op_list(&c, a.json, stdout);
	cra_conn_close(&c);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

int cra_cmd_export(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct op_args a;
	int rc = parse(argc, argv, conn, &a);

	if (rc)
		return rc;
	if (a.help) {
		fputs(export_usage, stdout);
		return 0;
	}
	if (!a.call || !a.out)
		return usage_error("export", "needs --call ID and --out DIR", "");
	if (a.json)
		return usage_error("export", "--json belongs to list", "");
	rc = connect_archive(conn, &c);
	if (rc)
		return rc;
	rc = cra_op_export(&c, a.call, a.out);
	cra_conn_close(&c);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}
