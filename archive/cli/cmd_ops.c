/* `callrec-archive list|export`: argument parsing, then one connection to the archive. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "bundle.h"
#include "ops.h"

static const char list_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] list [--json] [--from T] [--to T] [--user U]\n"
	"       [--device D] [--purpose P] [--tag KEY=VALUE] [--state S]\n"
	"  Calls in the archive your role may retrieve: a table (id, start, seconds, device,\n"
	"  user, application, state), or with --json one JSON object per line. T is a time\n"
	"  as in the start column (2026-11-23 or 2026-11-23T10:00:00Z); --from includes,\n"
	"  --to excludes. States: recording, complete, held, erased.\n" CRA_CONN_HELP;

static const char export_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] export (--call ID | --subject KEY=VALUE |\n"
	"       --user U [--from T] [--to T]) --out DIR\n"
	"  Writes a verifiable bundle to DIR (created if missing): per call ID.wav (2 channels:\n"
	"  1 local, 2 remote; 16-bit), ID.manifest.json, ID.manifest.sig, ID.proof.json; and\n"
	"  checkpoint.json, checkpoint.sig, signing.pub, summary.json and README (how to\n"
	"  check it with openssl and sha256sum). --subject selects the calls with that tag\n"
	"  (a data subject's access request).\n" CRA_CONN_HELP;

enum { OPT_JSON = 0x300, OPT_CALL, OPT_OUT, OPT_FROM, OPT_TO, OPT_USER, OPT_DEVICE, OPT_PURPOSE,
       OPT_TAG, OPT_STATE, OPT_SUBJECT };

static const struct option op_options[] = {
	CRA_CONN_LONGOPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "call", required_argument, NULL, OPT_CALL },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "user", required_argument, NULL, OPT_USER },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "purpose", required_argument, NULL, OPT_PURPOSE },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct op_args {
	int json, help;
	const char *call, *out;
	const char *from, *to, *user, *device, *purpose, *tag, *state, *subject;
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
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_USER: a->user = optarg; break;
		case OPT_DEVICE: a->device = optarg; break;
		case OPT_PURPOSE: a->purpose = optarg; break;
		case OPT_TAG: a->tag = optarg; break;
		case OPT_STATE: a->state = optarg; break;
		case OPT_SUBJECT: a->subject = optarg; break;
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

/* The list request's filters (a new object). */
static json_t *filters(const struct op_args *a)
{
	json_t *j = json_object();
	const char *const keys[] = { "from", "to", "user", "device", "purpose", "tag", "state" };
	const char *vals[] = { a->from, a->to, a->user, a->device, a->purpose, a->tag, a->state };

	for (size_t i = 0; j && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i])
			json_object_set_new(j, keys[i], json_string(vals[i]));
	return j;
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
	if (a.subject)
		return usage_error("list", "--subject belongs to export and erase (list: --tag)", "");
	rc = connect_archive(conn, &c);
	if (rc)
		return rc;
	rc = cra_op_list_filtered(&c, filters(&a), a.json, stdout);
	cra_conn_close(&c);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

int cra_cmd_export(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct op_args a;
	json_t *ids = NULL;
	char subject[600];
	int rc = parse(argc, argv, conn, &a), modes;

	if (rc)
		return rc;
	if (a.help) {
		fputs(export_usage, stdout);
		return 0;
	}
	modes = !!a.call + !!a.subject + !!a.user;
	if (modes != 1 || !a.out)
		return usage_error("export", "needs one of --call ID, --subject KEY=VALUE, --user U;"
				   " and --out DIR", "");
	if (a.json || a.device || a.purpose || a.tag || a.state ||
	    ((a.from || a.to) && !a.user))
		return usage_error("export", "filters other than --from/--to (with --user) belong "
				   "to list", "");
	if (a.subject && !strchr(a.subject, '='))
		return usage_error("export", "--subject expects KEY=VALUE, e.g. remote=+3120...", "");
	if (a.call) {
		uint8_t id[CR_CALL_ID_BYTES];
		char hex[2 * CR_CALL_ID_BYTES + 1];

		if (cr_id_from_hex(a.call, id) < 0) {
			cra_error("--call %s: expected a call id of %u hex digits (see `list`)",
				  a.call, 2 * CR_CALL_ID_BYTES);
			return CRA_EXIT_USAGE;
		}
		cr_id_to_hex(id, hex);
		ids = json_pack("[s]", hex);
		snprintf(subject, sizeof(subject), "call %s", hex);
	} else if (a.subject) {
		snprintf(subject, sizeof(subject), "tag %s", a.subject);
	} else {
		snprintf(subject, sizeof(subject), "user %s from %s to %s", a.user,
			 a.from ? a.from : "the beginning", a.to ? a.to : "now");
	}
	rc = connect_archive(conn, &c);
	if (rc) {
		json_decref(ids);
		return rc;
	}
	if (!ids) {
		json_t *f = json_object();

		if (a.subject)
			json_object_set_new(f, "tag", json_string(a.subject));
		if (a.user)
			json_object_set_new(f, "user", json_string(a.user));
		if (a.from)
			json_object_set_new(f, "from", json_string(a.from));
		if (a.to)
			json_object_set_new(f, "to", json_string(a.to));
		rc = cra_select(&c, f, &ids);
	}
	if (rc == 0)
		rc = cra_export_bundle(&c, ids, subject, a.out);
	json_decref(ids);
	cra_conn_close(&c);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}
