/* Verbs for rights and integrity: show, erase, hold, release, audit (online), verify
 * (offline), and the selection of calls for export/erase by subject or by user and time. */
#include <errno.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli_util.h"
#include "commands.h"
#include "fsutil.h"
#include "hex.h"
#include "opreq.h"

enum { O_CALL = 0x400, O_REASON, O_SUBJECT, O_KEY, O_OUT, O_JSON };

static const struct option options[] = {
	CRA_CONN_LONGOPTS,
	{ "call", required_argument, NULL, O_CALL },
	{ "reason", required_argument, NULL, O_REASON },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "key", required_argument, NULL, O_KEY },
	{ "out", required_argument, NULL, O_OUT },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *call, *reason, *subject, *key, *out, *pos;
	int json, help;
};

static const char show_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] show ID [--json]\n"
	"  One call: its list entry, hold, and (when finished) its manifest.\n" CRA_CONN_HELP;
static const char erase_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] erase (--call ID | --subject KEY=VALUE) --reason TEXT\n"
	"  Crypto-shreds the call(s): key, audio and manifest destroyed, a tombstone kept.\n"
	"  Calls on legal hold are refused (and named). Roles dpo and admin.\n" CRA_CONN_HELP;
static const char hold_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] hold --call ID --reason TEXT\n"
	"       " CRA_PROGRAM " [CONNECTION] release --call ID --reason TEXT\n"
	"  A held call is neither erased nor expired. A release needs two operators: the\n"
	"  first `release` records the request, another operator's completes it.\n" CRA_CONN_HELP;
static const char audit_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] audit [--out FILE]\n"
	"  Fetches the audit log, checks its hash chain and the archive's head, prints it (or\n"
	"  writes it to FILE). Exit 1 naming the first altered line.\n" CRA_CONN_HELP;
static const char verify_usage[] =
	"Usage: " CRA_PROGRAM " verify PATH [--key signing.pub]\n"
	"  Offline check of an export directory (or one call's ID.wav / ID.manifest.json):\n"
	"  audio hash, manifest signature, inclusion in the signed log. Exit 0 intact, 1 not.\n";

static int parse(int argc, char **argv, struct cra_conn_opts *conn, struct args *a)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		rc = cra_conn_opt(conn, c, optarg);
		if (rc < 0)
			return CRA_EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case O_CALL: a->call = optarg; break;
		case O_REASON: a->reason = optarg; break;
		case O_SUBJECT: a->subject = optarg; break;
		case O_KEY: a->key = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_JSON: a->json = 1; break;
		case 'h': a->help = 1; break;
		default:
			fprintf(stderr, CRA_PROGRAM ": %s: unknown option or missing value: %s\n",
				argv[0], argv[optind - 1]);
			return CRA_EXIT_USAGE;
		}
	}
	if (optind < argc)
		a->pos = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, CRA_PROGRAM ": %s: unexpected argument: %s\n", argv[0], argv[optind]);
		return CRA_EXIT_USAGE;
	}
	return 0;
}

int cra_connect(const struct cra_conn_opts *conn, struct cra_conn *c)
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

int cra_select(struct cra_conn *c, json_t *filter, json_t **ids)
{
	struct cra_answer a;
	json_t *v;
	size_t i;
	int rc;

	json_object_set_new(filter, "op", json_string("list"));
	rc = cra_request(c, filter, NULL, NULL, &a);
	if (rc == 0 && a.status) {
		cra_error("list: %s", a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	*ids = json_array();
	if (rc == 0)
		json_array_foreach(a.replies, i, v) {
			const char *st = json_string_value(json_object_get(v, "state"));

			if (st && (strcmp(st, "complete") == 0 || strcmp(st, "held") == 0))
				json_array_append(*ids, json_object_get(v, "id"));
		}
	cra_answer_free(&a);
	return rc;
}

static int valid_id(const char *id)
{
	uint8_t b[CR_CALL_ID_BYTES];

	if (!id || cr_id_from_hex(id, b) < 0) {
		cra_error("expected a call id of %u hex digits (see `list`)", 2 * CR_CALL_ID_BYTES);
		return 0;
	}
	return 1;
}

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

int cra_cmd_show(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct cra_answer a;
	struct args x;
	json_t *req, *v;
	size_t i;
	int rc = parse(argc, argv, conn, &x);

	if (rc)
		return rc;
	if (x.help)
		return fputs(show_usage, stdout), 0;
	if (!x.pos && x.call)
		x.pos = x.call;
	if (!valid_id(x.pos))
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

int cra_cmd_erase(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct args x;
	json_t *ids = NULL, *v;
	size_t i;
	int rc = parse(argc, argv, conn, &x), failed = 0;

	if (rc)
		return rc;
	if (x.help)
		return fputs(erase_usage, stdout), 0;
	if (!x.reason || !*x.reason || !x.call == !x.subject || x.pos) {
		fputs(erase_usage, stderr);
		return CRA_EXIT_USAGE;
	}
	if (x.call && !valid_id(x.call))
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

static int hold_verb(int argc, char **argv, struct cra_conn_opts *conn, const char *op)
{
	struct cra_conn c;
	struct args x;
	int rc = parse(argc, argv, conn, &x);

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
	if (!valid_id(x.call))
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

struct mem {
	char *p;
	size_t n;
};

static int collect(void *arg, uint8_t stream, const uint8_t *d, size_t n)
{
	struct mem *m = arg;
	char *p;

	if (stream != 0)
		return 0;
	p = realloc(m->p, m->n + n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + m->n, d, n);
	m->n += n;
	p[m->n] = '\0';
	m->p = p;
	return 0;
}

/* Check the chain: each line's prev is the SHA-256 of the line before; the last line's
 * hash is the archive's head. Returns 0, or the number of the first bad line. */
long cra_audit_check(const char *text, size_t len, const char *head, FILE *err)
{
	char prev[65];
	const char *p = text, *end = text + len;
	long line = 0;

	memset(prev, '0', 64);
	prev[64] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *j = json_loadb(p, n, 0, NULL);
		const char *jp = j ? json_string_value(json_object_get(j, "prev")) : NULL;
		uint8_t d[32];
		int ok = jp && strcmp(jp, prev) == 0;

		line++;
		json_decref(j);
		if (!ok) {
			/* This line does not chain to the one before: that one (or this one)
			 * was edited; the earlier line is the first that no longer matches. */
			long badline = line > 1 ? line - 1 : 1;

			fprintf(err, CRA_PROGRAM ": audit log line %ld was altered (line %ld's prev "
				"hash does not match it)\n", badline, line);
			return badline;
		}
		gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, d);
		cr_hex_encode(d, sizeof(d), prev);
		p += n + (nl ? 1 : 0);
	}
	if (head && strcmp(head, prev) != 0) {
		fprintf(err, CRA_PROGRAM ": audit log line %ld was altered (it does not match the "
			"head the archive holds)\n", line ? line : 1);
		return line ? line : 1;
	}
	return 0;
}

int cra_cmd_audit(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn c;
	struct cra_answer a;
	struct mem m = { NULL, 0 };
	struct args x;
	json_t *req;
	const char *head;
	long bad;
	int rc = parse(argc, argv, conn, &x);

	if (rc)
		return rc;
	if (x.help)
		return fputs(audit_usage, stdout), 0;
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	req = json_pack("{ss}", "op", "audit");
	rc = cra_request(&c, req, collect, &m, &a);
	json_decref(req);
	cra_conn_close(&c);
	if (rc == 0 && a.status) {
		cra_error("audit: %s", a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	head = a.end ? json_string_value(json_object_get(a.end, "head")) : NULL;
	if (rc == 0) {
		if (x.out) {
			char dir[4096];
			const char *base = strrchr(x.out, '/');

			cr_dirname(x.out, dir, sizeof(dir));
			rc = cr_write_atomic(dir, base ? base + 1 : x.out, m.p ? m.p : "", m.n, 0600);
			if (rc < 0)
				cra_error("%s: %s", x.out, strerror(-rc));
		}
		else if (m.n)
			fwrite(m.p, 1, m.n, stdout);
	}
	if (rc == 0) {
		bad = cra_audit_check(m.p ? m.p : "", m.n, head, stderr);
		if (bad)
			rc = -EBADMSG;
		else
			fprintf(stderr, CRA_PROGRAM ": audit log chain intact\n");
	}
	free(m.p);
	cra_answer_free(&a);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

int cra_cmd_verify(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct args x;
	int rc = parse(argc, argv, conn, &x);

	if (rc)
		return rc;
	if (x.help)
		return fputs(verify_usage, stdout), 0;
	if (!x.pos) {
		fputs(verify_usage, stderr);
		return CRA_EXIT_USAGE;
	}
	return cra_verify(x.pos, x.key, stdout);
}
