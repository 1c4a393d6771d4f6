/* `callrec-archive audit`: fetch the audit log and check its hash chain against the archive's
 * head. (`verify`, offline, is cmd_verify.c.) */
#include <errno.h>
#include <gnutls/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "hex.h"
#include "op_request.h"
#include "outdir.h"
#include "verb_args.h"

static const char audit_usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] audit [--out FILE [--force]]\n"
	"  Fetches the audit log, checks its hash chain and the archive's head, prints it (or\n"
	"  writes it to FILE, in a directory that is yours and writable by nobody else; an\n"
	"  existing FILE only with --force). Exit 1 naming the first altered line.\n" CRA_CONN_HELP;

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
	struct cra_buf m = { NULL, 0 };
	struct cra_verb_args x;
	json_t *req;
	const char *head;
	long bad;
	int rc = cra_verb_parse(argc, argv, CRA_V_OUT | CRA_V_FORCE, conn, &x);

	if (rc)
		return rc;
	if (x.help)
		return fputs(audit_usage, stdout), 0;
	if (x.force && !x.out)
		return cra_verb_usage_error("audit", "--force goes with --out FILE");
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	req = json_pack("{ss}", "op", "audit");
	rc = cra_request(&c, req, cra_buf_stream0, &m, &a);
	json_decref(req);
	cra_conn_close(&c);
	if (rc == 0 && a.status) {
		cra_error("audit: %s", a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	head = a.end ? json_string_value(json_object_get(a.end, "head")) : NULL;
	if (rc == 0) {
		if (x.out) {
			char why[PATH_MAX + 200];

			rc = cr_write_file_safely(x.out, m.p ? m.p : "", m.n, 0600,
						  x.force ? CR_OUT_REPLACE : 0, why, sizeof(why));
			if (rc < 0)
				cra_error("%s", why);
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
