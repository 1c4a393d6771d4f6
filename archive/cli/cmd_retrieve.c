/* `callrec-archive list|show|export`: getting recordings and what is known about them out of
 * the archive, each over one connection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli_util.h"
#include "commands.h"
#include "op_list.h"
#include "op_request.h"
#include "verb_args.h"

/* list and export share their options; each then refuses what belongs to the other. */
#define LIST_EXPORT_OPTIONS                                                                   \
	(CRA_V_JSON | CRA_V_CALL | CRA_V_OUT | CRA_V_FROM | CRA_V_TO | CRA_V_USER |            \
	 CRA_V_DEVICE | CRA_V_PURPOSE | CRA_V_TAG | CRA_V_STATE | CRA_V_SUBJECT | CRA_V_FORCE)

static const char list_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] list [--json] [--from T] [--to T] [--user U]\n"
	"       [--device D] [--purpose P] [--tag KEY=VALUE] [--state S]\n"
	"  Calls in the archive your role may retrieve: a table (id, start, seconds, device,\n"
	"  user, application, state), or with --json one JSON object per line. T is a time\n"
	"  as in the start column (2026-11-23 or 2026-11-23T10:00:00Z); --from includes,\n"
	"  --to excludes. States: recording, complete, held, erased.\n" CRA_CONN_HELP;

static const char show_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] show ID [--json]\n"
	"  One call: its list entry, hold, and (when finished) its manifest.\n" CRA_CONN_HELP;
static const char export_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] export (--call ID | --subject KEY=VALUE |\n"
	"       --user U [--from T] [--to T]) --out DIR [--force]\n"
	"  Writes a verifiable bundle to DIR: per call ID.wav (2 channels: 1 local, 2 remote;\n"
	"  16-bit), ID.manifest.json, ID.manifest.sig, ID.proof.json, ID.proof.sig; and\n"
	"  checkpoint.json, checkpoint.sig, signing.pub, summary.json and README (how to\n"
	"  check it with openssl and sha256sum). DIR is created if missing; it must be yours and\n"
	"  writable by nobody else, and empty unless --force (which replaces files of the same\n"
	"  names). --subject selects the calls with that tag (a data subject's access\n"
	"  request).\n" CRA_CONN_HELP;

/* The list request's filters (a new object). */
static json_t *filters(const struct cra_verb_args *a)
{
	json_t *j = json_object();
	const char *const keys[] = { "from", "to", "user", "device", "purpose", "tag", "state" };
	const char *vals[] = { a->from, a->to, a->user, a->device, a->purpose, a->tag, a->state };

	for (size_t i = 0; j && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i])
			json_object_set_new(j, keys[i], json_string(vals[i]));
	return j;
}

int cra_cmd_list(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct cra_verb_args a;
	int rc = cra_verb_parse(argc, argv, LIST_EXPORT_OPTIONS, conn, &a);

	if (rc)
		return rc;
	if (a.help) {
		fputs(list_usage, stdout);
		return 0;
	}
	if (a.call || a.out || a.force)
		return cra_verb_usage_error("list", "--call, --out and --force belong to export");
	if (a.subject)
		return cra_verb_usage_error("list", "--subject belongs to export and erase (list: --tag)");
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	rc = cra_op_list_filtered(&c, filters(&a), a.json, stdout);
	cra_conn_close(&c);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

int cra_cmd_show(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct cra_answer a;
	struct cra_verb_args x;
	json_t *req, *v;
	size_t i;
	int rc = cra_verb_parse(argc, argv, CRA_V_POSITIONAL | CRA_V_CALL | CRA_V_JSON, conn, &x);

	if (rc)
		return rc;
	if (x.help)
		return fputs(show_usage, stdout), 0;
	if (!x.pos && x.call)
		x.pos = x.call;
	if (!cra_valid_call_id(x.pos))
		return CRA_EXIT_USAGE;
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	req = json_pack("{ss ss}", "op", "show", "call", x.pos);
	rc = cra_request(&c, req, NULL, NULL, &a);
	json_decref(req);
	cra_conn_close(&c);
	if (rc == 0 && a.status) {
		cra_error("show %s: %s", x.pos, a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	if (rc == 0)
		json_array_foreach(a.replies, i, v) {
			char *t = json_dumps(v, (x.json ? JSON_COMPACT : JSON_INDENT(2)) |
						JSON_PRESERVE_ORDER);
			if (t)
				printf("%s\n", t);
			free(t);
		}
	cra_answer_free(&a);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

int cra_cmd_export(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct cra_verb_args a;
	json_t *ids = NULL;
	char subject[600];
	int rc = cra_verb_parse(argc, argv, LIST_EXPORT_OPTIONS, conn, &a), modes;

	if (rc)
		return rc;
	if (a.help) {
		fputs(export_usage, stdout);
		return 0;
	}
	modes = !!a.call + !!a.subject + !!a.user;
	if (modes != 1 || !a.out)
		return cra_verb_usage_error("export", "needs one of --call ID, --subject KEY=VALUE, "
					    "--user U; and --out DIR");
	if (a.json || a.device || a.purpose || a.tag || a.state ||
	    ((a.from || a.to) && !a.user))
		return cra_verb_usage_error("export", "filters other than --from/--to (with --user) "
					    "belong to list");
	if (a.subject && !strchr(a.subject, '='))
		return cra_verb_usage_error("export",
					    "--subject expects KEY=VALUE, e.g. remote=+3120...");
	if (a.call) {
		uint8_t id[CR_CALL_ID_BYTES];
		char hex[2 * CR_CALL_ID_BYTES + 1];

		if (!cra_valid_call_id(a.call) || cr_id_from_hex(a.call, id) < 0)
			return CRA_EXIT_USAGE;
		cr_id_to_hex(id, hex); /* lower case, whatever the command line said */
		ids = json_pack("[s]", hex);
		snprintf(subject, sizeof(subject), "call %s", hex);
	} else if (a.subject) {
		snprintf(subject, sizeof(subject), "tag %s", a.subject);
	} else {
		snprintf(subject, sizeof(subject), "user %s from %s to %s", a.user,
			 a.from ? a.from : "the beginning", a.to ? a.to : "now");
	}
	rc = cra_connect(conn, &c);
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
		rc = cra_export_bundle(&c, ids, subject, a.out, a.force);
	json_decref(ids);
	cra_conn_close(&c);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}
