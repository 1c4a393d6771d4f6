/* /api/subject: a data subject's requests, as `export --subject` and `erase --subject` (and
 * `export --user --from --to`) serve them on the command line: the calls of a party, found by
 * a tag (remote=+31201234567) or by the local user in a period; their export as one bundle;
 * their erasure with a reason. The archive keeps no register of requests yet: its audit log
 * records every export and erasure made for one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bundle_tar.h"
#include "console.h"
#include "exports.h"
#include "search.h"
#include "when.h"

struct selection {
	json_t *calls;   /* the list entries the archive shows us */
	json_t *ids;     /* those with a recording to export or erase (complete, held) */
	char subject[600];
};

static const char *query_param(void *arg, const char *name)
{
	return console_arg(arg, name);
}

static const char *body_param(void *arg, const char *name)
{
	const char *v = json_string_value(json_object_get(arg, name));

	return v && *v ? v : NULL;
}

/* The subject's calls: tag=KEY=VALUE, or user=U with from/to/tz. 0; a positive errno when the
 * archive refused or the selection is wrong (why says it); -errno when it was not reached. */
static int select_calls(struct console *con, console_param_fn get, void *arg,
			struct selection *sel, char *why, size_t whylen)
{
	const char *tag = get(arg, "tag"), *user = get(arg, "user");
	struct console_search s;
	struct cra_answer a = { 0 };
	json_t *v;
	size_t i;
	int rc;

	memset(sel, 0, sizeof(*sel));
	if (!tag == !user) {
		snprintf(why, whylen, "give the subject as a tag (KEY=VALUE) or as a user, not both");
		return EINVAL;
	}
	rc = console_search_parse(get, arg, cr_when_now_ms(), &s, why, whylen);
	if (rc == 0 && tag && (json_object_get(s.archive, "from") || json_object_get(s.archive, "to"))) {
		snprintf(why, whylen, "a period goes with a user, not with a tag");
		rc = -EINVAL;
	}
	if (rc < 0) {
		console_search_free(&s);
		return rc == -EINVAL ? EINVAL : rc;
	}
	/* Only the selection the command line offers: no other filter sneaks in. */
	json_object_del(s.archive, "device");
	json_object_del(s.archive, "purpose");
	json_object_del(s.archive, "state");
	s.party[0] = '\0';
	json_object_set_new(s.archive, "op", json_string("list"));
	rc = console_archive_call(con, s.archive, NULL, NULL, &a);
	if (rc == 0 && a.status) {
		snprintf(why, whylen, "%s", a.error[0] ? a.error : strerror(a.status));
		rc = a.status;
	}
	sel->calls = json_array();
	sel->ids = json_array();
	json_array_foreach(a.replies, i, v) {
		const char *st = json_string_value(json_object_get(v, "state"));

		if (rc || !console_search_match(&s, v))
			continue;
		json_array_append(sel->calls, v);
		if (st && (strcmp(st, "complete") == 0 || strcmp(st, "held") == 0))
			json_array_append(sel->ids, json_object_get(v, "id"));
	}
	if (tag)
		snprintf(sel->subject, sizeof(sel->subject), "tag %s", tag);
	else
		snprintf(sel->subject, sizeof(sel->subject), "user %s from %s to %s", user,
			 get(arg, "from") ? get(arg, "from") : "the beginning",
			 get(arg, "to") ? get(arg, "to") : "now");
	console_search_free(&s);
	cra_answer_free(&a);
	return rc;
}

static void selection_free(struct selection *sel)
{
	json_decref(sel->calls);
	json_decref(sel->ids);
}

/* GET /api/subject/calls?... */
static enum MHD_Result calls(struct console_req *r)
{
	struct selection sel;
	char why[256] = "";
	int rc = select_calls(r->con, query_param, r, &sel, why, sizeof(why));
	enum MHD_Result ret;

	if (rc)
		ret = console_reply_failure(r, rc, why);
	else
		ret = console_reply_json(r, MHD_HTTP_OK, json_pack("{ss sO sO}", "subject",
			sel.subject, "calls", sel.calls, "exportable", sel.ids));
	selection_free(&sel);
	return ret;
}

/* GET /api/subject/export.tar?... : the bundle `export --subject` writes, as a download. */
static enum MHD_Result export_tar(struct console_req *r)
{
	struct console_bundle *b = NULL;
	struct selection sel;
	char why[256] = "", dir[64];
	time_t now = time(NULL);
	struct tm tm;
	int rc = select_calls(r->con, query_param, r, &sel, why, sizeof(why));

	if (rc == 0 && json_array_size(sel.ids) == 0) {
		snprintf(why, sizeof(why), "no recording of this subject to export");
		rc = ENOENT;
	}
	gmtime_r(&now, &tm);
	strftime(dir, sizeof(dir), "callrec-export-%Y%m%dT%H%M%SZ", &tm);
	if (rc == 0)
		rc = console_bundle_start(r->con, sel.ids, sel.subject, dir, &b, why, sizeof(why));
	selection_free(&sel);
	if (rc)
		return console_reply_failure(r, rc, why);
	return console_queue(r, MHD_HTTP_OK, console_bundle_response(b));
}

/* POST /api/subject/erase {"tag"|"user","from","to","tz", "reason"}: erase each recording, as
 * `erase --subject` does; the archive refuses those on hold (and says so) and those the
 * operator's role may not erase. */
static enum MHD_Result erase(struct console_req *r)
{
	struct selection sel;
	json_t *body, *results = json_array(), *v;
	const char *reason = console_reason(r, &body);
	char why[256] = "";
	struct cra_conn c;
	size_t i, erased = 0;
	int rc, first_refusal = 0, connected = 0;
	enum MHD_Result ret;

	if (!reason) {
		json_decref(body);
		json_decref(results);
		return console_reply_error(r, MHD_HTTP_BAD_REQUEST,
					   "a reason is needed (1 to 500 characters)");
	}
	rc = select_calls(r->con, body_param, body, &sel, why, sizeof(why));
	if (rc == 0 && (rc = console_archive_open(r->con, &c)) == 0)
		connected = 1;
	json_array_foreach(rc ? NULL : sel.ids, i, v) {
		const char *id = json_string_value(v);
		json_t *req = json_pack("{ss ss ss}", "op", "erase", "call", id, "reason", reason);
		struct cra_answer a;
		int one = cra_request(&c, req, NULL, NULL, &a);

		json_decref(req);
		if (one == 0 && a.status == 0) {
			erased++;
			console_cache_forget(r->con->cache, id);
		} else if (one == 0 && !first_refusal) {
			first_refusal = a.status;
			snprintf(why, sizeof(why), "%s", a.error);
		}
		json_array_append_new(results, json_pack("{ss sb ss}", "id", id, "erased",
			one == 0 && a.status == 0, "error", one < 0 ? "the archive did not answer" :
			a.status ? a.error : ""));
		cra_answer_free(&a);
		if (one < 0) {
			rc = one;
			break;
		}
	}
	if (connected)
		cra_conn_close(&c);
	json_decref(body);
	if (rc == 0 && erased == 0 && first_refusal)
		rc = first_refusal; /* nothing done: answer with the archive's refusal */
	if (rc)
		ret = console_reply_failure(r, rc, why);
	else
		ret = console_reply_json(r, MHD_HTTP_OK, json_pack("{ss sI sI sO}", "subject",
			sel.subject, "erased", (json_int_t)erased, "of",
			(json_int_t)json_array_size(sel.ids), "results", results));
	json_decref(results);
	selection_free(&sel);
	return ret;
}

enum MHD_Result console_api_subject(struct console_req *r, const char *path)
{
	if (!r->post && strcmp(path, "/calls") == 0)
		return calls(r);
	if (!r->post && strcmp(path, "/export.tar") == 0)
		return export_tar(r);
	if (r->post && strcmp(path, "/erase") == 0)
		return erase(r);
	return console_reply_error(r, MHD_HTTP_NOT_FOUND, "no such request");
}
