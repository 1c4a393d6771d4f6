/* /api/audit: the archive's audit log, its hash chain checked here as `callrec-archive audit`
 * checks it, and filtered by period, actor, call, action and outcome. The archive has no audit
 * filters of its own yet: it sends the whole log (to roles allowed to read it) and the
 * console picks the entries. Newest first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bundle.h"
#include "../commands.h"
#include "console.h"
#include "search.h"
#include "when.h"

#define DEFAULT_LIMIT 500
#define MAX_LIMIT 10000

struct audit_filter {
	struct console_period period;
	const char *actor, *call, *action, *outcome;
};

static const char *query_param(void *arg, const char *name)
{
	return console_arg(arg, name);
}

static int field_is(json_t *e, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(e, key));

	return !want || (v && strcmp(v, want) == 0);
}

static int matches(const struct audit_filter *f, json_t *e)
{
	const char *call = json_string_value(json_object_get(e, "call"));

	if (f->call && (!call || strncmp(call, f->call, strlen(f->call)) != 0))
		return 0;
	return field_is(e, "actor", f->actor) && field_is(e, "action", f->action) &&
	       field_is(e, "outcome", f->outcome) &&
	       console_period_has(&f->period, json_string_value(json_object_get(e, "time")));
}

/* The entries that pass, newest first, at most limit; *total and *matched count them all. */
static json_t *pick(const struct audit_filter *f, const char *text, size_t len, size_t limit,
		    size_t *total, size_t *matched)
{
	json_t *all = json_array(), *out = json_array();
	const char *p = text, *end = text + len;

	*total = *matched = 0;
	while (all && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *e = n ? json_loadb(p, n, 0, NULL) : NULL;

		if (n)
			++*total;
		if (e && matches(f, e))
			json_array_append(all, e);
		json_decref(e);
		p += n + (nl ? 1 : 0);
	}
	*matched = json_array_size(all);
	for (size_t i = *matched; out && i > 0 && json_array_size(out) < limit; i--)
		json_array_append(out, json_array_get(all, i - 1));
	json_decref(all);
	return out;
}

enum MHD_Result console_api_audit(struct console_req *r)
{
	struct audit_filter f = { .actor = console_arg(r, "actor"), .call = console_arg(r, "call"),
				  .action = console_arg(r, "action"),
				  .outcome = console_arg(r, "outcome") };
	const char *ls = console_arg(r, "limit"), *head;
	long limit = ls ? strtol(ls, NULL, 10) : DEFAULT_LIMIT;
	struct cra_buf log = { NULL, 0 };
	struct cra_answer a;
	json_t *req, *entries;
	enum MHD_Result ret;
	char why[256], *problem = NULL;
	size_t plen = 0, total, matched;
	FILE *pf;
	long bad;
	int rc;

	if (limit < 1 || limit > MAX_LIMIT)
		return console_reply_error(r, MHD_HTTP_BAD_REQUEST, "limit: 1 to %d", MAX_LIMIT);
	if (console_period_parse(query_param, r, cr_when_now_ms(), &f.period, why, sizeof(why)) < 0)
		return console_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
	req = json_pack("{ss}", "op", "audit");
	rc = req ? console_archive_call(r->con, req, cra_buf_stream0, &log, &a) : -ENOMEM;
	json_decref(req);
	if (rc < 0 || a.status) {
		ret = console_reply_archive(r, rc, &a);
		cra_answer_free(&a);
		free(log.p);
		return ret;
	}
	head = json_string_value(json_object_get(a.end, "head"));
	pf = open_memstream(&problem, &plen);
	bad = pf ? cra_audit_check(log.p ? log.p : "", log.n, head, pf) : -1;
	if (pf)
		fclose(pf);
	entries = pick(&f, log.p ? log.p : "", log.n, (size_t)limit, &total, &matched);
	/* cra_audit_check words its finding for a terminal: "callrec-archive: audit log ...". */
	ret = console_reply_json(r, MHD_HTTP_OK, json_pack("{sb ss? ss? sI sI so}",
		"intact", bad == 0, "problem", bad ? (problem && *problem ? problem :
		"the chain could not be checked") : NULL, "head", head, "total", (json_int_t)total,
		"matched", (json_int_t)matched, "entries", entries));
	free(problem);
	cra_answer_free(&a);
	free(log.p);
	return ret;
}
