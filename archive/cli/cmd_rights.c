/* `callrec-archive erase|hold|release`: a data subject's erasure and legal holds, by call or
 * (erase) by subject; the archive checks the operator's role and holds. */
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "op_list.h"
#include "op_request.h"
#include "verb_args.h"

/* One simple request about a call; prints the outcome. Exit status. */
static int simple(struct cra_conn *c, const char *op, const char *id, const char *reason)
{
	json_t *req = json_pack("{ss ss}", "op", op, "call", id);
	struct cra_answer a;
	const char *result;
	int rc;

	if (reason)
		json_object_set_new(req, "reason", json_string(reason));
	rc = cra_request(c, req, NULL, NULL, &a);
	json_decref(req);
	if (rc == 0 && a.status) {
		cra_error("%s %s refused: %s", op, id, a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	result = a.end ? json_string_value(json_object_get(a.end, "result")) : NULL;
	if (rc == 0)
		printf("%s %s: %s\n", op, id, result && strcmp(result, "requested") == 0 ?
		       "release requested; a second operator must run release too" : "done");
	cra_answer_free(&a);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

static const char erase_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] erase (--call ID | --subject KEY=VALUE) --reason TEXT\n"
	"  Crypto-shreds the call(s): key, audio and manifest destroyed, a tombstone kept.\n"
	"  Calls on legal hold are refused (and named). Roles dpo and admin.\n" CRA_CONN_HELP;

int cra_cmd_erase(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct cra_verb_args x;
	json_t *ids = NULL, *v;
	size_t i;
	int rc = cra_verb_parse(argc, argv, CRA_V_CALL | CRA_V_SUBJECT | CRA_V_REASON, conn, &x),
	    failed = 0;

	if (rc)
		return rc;
	if (x.help)
		return fputs(erase_usage, stdout), 0;
	if (!x.reason || !*x.reason || !x.call == !x.subject) {
		fputs(erase_usage, stderr);
		return CRA_EXIT_USAGE;
	}
	if (x.call && !cra_valid_call_id(x.call))
		return CRA_EXIT_USAGE;
	if (x.subject && !strchr(x.subject, '=')) {
		cra_error("--subject expects KEY=VALUE (a tag), e.g. remote=+31201234567");
		return CRA_EXIT_USAGE;
	}
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	if (x.call)
		rc = simple(&c, "erase", x.call, x.reason);
	else {
		rc = cra_select(&c, json_pack("{ss}", "tag", x.subject), &ids);
		if (rc == 0 && json_array_size(ids) == 0)
			printf("no call tagged %s\n", x.subject);
		json_array_foreach(ids, i, v)
			failed += simple(&c, "erase", json_string_value(v), x.reason) != 0;
		if (rc == 0)
			printf("erased %zu of %zu calls tagged %s\n", json_array_size(ids) - failed,
			       json_array_size(ids), x.subject);
		rc = rc < 0 || failed ? CRA_EXIT_FAIL : 0;
		json_decref(ids);
	}
	cra_conn_close(&c);
	return rc;
}

static const char hold_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] hold --call ID --reason TEXT\n"
	"       " CRA_PROGRAM " [CONNECTION] release --call ID --reason TEXT\n"
	"  A held call is neither erased nor expired. A release needs two operators: the\n"
	"  first `release` records the request, another operator's completes it.\n" CRA_CONN_HELP;

static int hold_verb(int argc, char **argv, struct cra_conn_opts *conn, const char *op)
{
	struct cra_conn c;
	struct cra_verb_args x;
	int rc = cra_verb_parse(argc, argv, CRA_V_CALL | CRA_V_REASON | CRA_V_POSITIONAL, conn, &x);

	if (rc)
		return rc;
	if (x.help)
		return fputs(hold_usage, stdout), 0;
	if (!x.call && x.pos)
		x.call = x.pos;
	if (!x.reason || !*x.reason || !x.call) {
		fputs(hold_usage, stderr);
		return CRA_EXIT_USAGE;
	}
	if (!cra_valid_call_id(x.call))
		return CRA_EXIT_USAGE;
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	rc = simple(&c, op, x.call, x.reason);
	cra_conn_close(&c);
	return rc;
}

int cra_cmd_hold(int argc, char **argv, struct cra_conn_opts *conn)
{
	return hold_verb(argc, argv, conn, "hold");
}

int cra_cmd_release(int argc, char **argv, struct cra_conn_opts *conn)
{
	return hold_verb(argc, argv, conn, "release");
}
