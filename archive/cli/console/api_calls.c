/* /api/calls: search, one call (details and manifest, verification, audio with byte ranges,
 * loudness outline, export download) and what can be done to it (hold, release, erase). Every
 * answer comes from the archive as this operator; nothing is decided here that the archive
 * would not. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_tar.h"
#include "console.h"
#include "envelope.h"
#include "exports.h"
#include "range.h"
#include "search.h"
#include "when.h"

static const char *query_param(void *arg, const char *name)
{
	return console_arg(arg, name);
}

/* GET /api/calls?from&to&tz&user&device&purpose&party&tag&state */
static enum MHD_Result search(struct console_req *r)
{
	struct console_search s;
	struct cra_answer a;
	json_t *calls, *v;
	char why[256];
	size_t i;
	int rc = console_search_parse(query_param, r, cr_when_now_ms(), &s, why, sizeof(why));

	if (rc < 0) {
		console_search_free(&s);
		return rc == -EINVAL ? console_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why) : MHD_NO;
	}
	json_object_set_new(s.archive, "op", json_string("list"));
	rc = console_archive_call(r->con, s.archive, NULL, NULL, &a);
	if (rc < 0 || a.status) {
		console_search_free(&s);
		enum MHD_Result ret = console_reply_archive(r, rc, &a);
		cra_answer_free(&a);
		return ret;
	}
	calls = json_array();
	json_array_foreach(a.replies, i, v)
		if (console_search_match(&s, v))
			json_array_append(calls, v);
	console_search_free(&s);
	cra_answer_free(&a);
	return console_reply_json(r, MHD_HTTP_OK, json_pack("{so}", "calls", calls));
}

/* GET /api/calls/ID: the archive's `show` (list entry, hold, manifest). */
static enum MHD_Result show(struct console_req *r, const char *id)
{
	json_t *req = json_pack("{ss ss}", "op", "show", "call", id), *call;
	struct cra_answer a;
	enum MHD_Result ret;
	int rc = console_archive_call(r->con, req, NULL, NULL, &a);

	json_decref(req);
	if (rc < 0 || a.status) {
		/* Erased, or no longer ours to see: nothing of it stays in memory here. */
		if (rc == 0)
			console_cache_forget(r->con->cache, id);
		ret = console_reply_archive(r, rc, &a);
	} else {
		call = json_array_get(a.replies, 0);
		ret = call ? console_reply_json(r, MHD_HTTP_OK, json_pack("{sO}", "call", call))
			   : console_reply_error(r, MHD_HTTP_BAD_GATEWAY, "the archive sent no call");
	}
	cra_answer_free(&a);
	return ret;
}

/* The call's export in memory, or a reply saying why not (then *e is NULL). */
static enum MHD_Result with_export(struct console_req *r, const char *id,
				   struct console_export **e)
{
	char why[256] = "";
	int rc = console_cache_get(r->con, id, e, why, sizeof(why));

	return rc ? console_reply_failure(r, rc, why) : MHD_YES;
}

/* GET /api/calls/ID/verify: verify's checks on the export in memory. */
static enum MHD_Result verify(struct console_req *r, const char *id)
{
	struct console_export *e;
	enum MHD_Result ret = with_export(r, id, &e);

	if (!e)
		return ret;
	ret = console_reply_json(r, MHD_HTTP_OK, json_pack("{sO sI}", "verify", e->verify,
							   "tree_size", (json_int_t)e->cp.tree_size));
	console_cache_put(r->con->cache, e);
	return ret;
}

struct audio_body {
	struct console_cache *cache;
	struct console_export *e;
	uint64_t first, len;
};

static ssize_t audio_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct audio_body *b = cls;
	uint64_t left;

	if (pos >= b->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	left = b->len - pos;
	if (max > left)
		max = (size_t)left;
	memcpy(buf, b->e->file[0].p + b->first + pos, max);
	return (ssize_t)max;
}

static void audio_free(void *cls)
{
	struct audio_body *b = cls;

	console_cache_put(b->cache, b->e);
	free(b);
}

/* GET /api/calls/ID/audio.wav: the decrypted WAV from memory, with byte ranges so that the
 * player knows the length and can seek. */
static enum MHD_Result audio(struct console_req *r, const char *id)
{
	const char *range = MHD_lookup_connection_value(r->mc, MHD_HEADER_KIND, "Range");
	struct console_export *e;
	struct audio_body *b;
	struct MHD_Response *resp;
	enum MHD_Result ret = with_export(r, id, &e);
	uint64_t size, first = 0, last = 0;
	char cr[96];
	int rc;

	if (!e)
		return ret;
	size = e->file[0].len;
	rc = console_range_parse(range, size, &first, &last);
	if (rc == -ERANGE) {
		console_cache_put(r->con->cache, e);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
		if (resp)
			MHD_add_response_header(resp, "Content-Range", cr);
		return console_queue(r, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
	}
	if (rc == 0) {
		first = 0;
		last = size - 1;
	}
	b = malloc(sizeof(*b));
	if (!b) {
		console_cache_put(r->con->cache, e);
		return MHD_NO;
	}
	*b = (struct audio_body){ r->con->cache, e, first, last - first + 1 };
	resp = MHD_create_response_from_callback(b->len, 64 * 1024, audio_read, b, audio_free);
	if (!resp) {
		audio_free(b);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "audio/wav");
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	if (rc == 1) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	return console_queue(r, rc == 1 ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, resp);
}

/* GET /api/calls/ID/envelope?n=SLICES */
static enum MHD_Result envelope(struct console_req *r, const char *id)
{
	const char *ns = console_arg(r, "n");
	long n = ns ? strtol(ns, NULL, 10) : 800;
	struct console_export *e;
	enum MHD_Result ret;
	json_t *env;

	if (n < 1 || n > CONSOLE_ENVELOPE_MAX)
		return console_reply_error(r, MHD_HTTP_BAD_REQUEST, "n: 1 to %d slices",
					   CONSOLE_ENVELOPE_MAX);
	ret = with_export(r, id, &e);
	if (!e)
		return ret;
	env = console_envelope(e->file[0].p, e->file[0].len, (unsigned)n);
	console_cache_put(r->con->cache, e);
	if (!env)
		return console_reply_error(r, MHD_HTTP_BAD_GATEWAY, "the recording is not readable "
					   "audio");
	return console_reply_json(r, MHD_HTTP_OK, env);
}

/* GET /api/calls/ID/export.tar: what `export --call ID --out DIR` writes, as one download. */
static enum MHD_Result export_tar(struct console_req *r, const char *id)
{
	struct console_bundle *b;
	json_t *ids = json_pack("[s]", id);
	char subject[64], dir[64], why[256] = "";
	int rc;

	snprintf(subject, sizeof(subject), "call %s", id);
	snprintf(dir, sizeof(dir), "callrec-export-%s", id);
	rc = ids ? console_bundle_start(r->con, ids, subject, dir, &b, why, sizeof(why)) : -ENOMEM;
	json_decref(ids);
	if (rc)
		return console_reply_failure(r, rc, why);
	return console_queue(r, MHD_HTTP_OK, console_bundle_response(b));
}

/* POST /api/calls/ID/{hold,release,erase} {"reason": TEXT} */
static enum MHD_Result act(struct console_req *r, const char *id, const char *op)
{
	json_t *body, *req;
	const char *reason = console_reason(r, &body), *result;
	struct cra_answer a;
	enum MHD_Result ret;
	int rc;

	if (!reason) {
		json_decref(body);
		return console_reply_error(r, MHD_HTTP_BAD_REQUEST,
					   "a reason is needed (1 to 500 characters)");
	}
	req = json_pack("{ss ss ss}", "op", op, "call", id, "reason", reason);
	json_decref(body);
	rc = req ? console_archive_call(r->con, req, NULL, NULL, &a) : -ENOMEM;
	json_decref(req);
	if (rc < 0 || a.status) {
		ret = console_reply_archive(r, rc, &a);
		cra_answer_free(&a);
		return ret;
	}
	if (strcmp(op, "erase") == 0)
		console_cache_forget(r->con->cache, id);
	result = json_string_value(json_object_get(a.end, "result"));
	result = result && strcmp(result, "requested") == 0 ? "requested" : "done";
	ret = console_reply_json(r, MHD_HTTP_OK, json_pack("{ss ss}", "result", result, "message",
		strcmp(result, "requested") == 0 ?
			"Release requested. A second operator must release it too." :
		strcmp(op, "hold") == 0 ? "The call is on legal hold." :
		strcmp(op, "release") == 0 ? "The hold is released." :
					     "The recording is erased; a tombstone remains."));
	cra_answer_free(&a);
	return ret;
}

enum MHD_Result console_api_calls(struct console_req *r, const char *path)
{
	static const char *const gets[] = { "/verify", "/audio.wav", "/envelope", "/export.tar" };
	static const char *const posts[] = { "/hold", "/release", "/erase" };
	char id[33], given[33];
	const char *rest;

	if (*path == '\0')
		return r->post ? console_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only")
			       : search(r);
	/* path: /ID[/what] */
	snprintf(given, sizeof(given), "%.32s", path + 1);
	rest = path + 1 + strlen(given);
	if (!console_call_id(given, id))
		return console_reply_error(r, MHD_HTTP_NOT_FOUND, "not a call id");
	if (!r->post && *rest == '\0')
		return show(r, id);
	for (size_t i = 0; !r->post && i < sizeof(gets) / sizeof(gets[0]); i++)
		if (strcmp(rest, gets[i]) == 0)
			return i == 0 ? verify(r, id) : i == 1 ? audio(r, id) :
			       i == 2 ? envelope(r, id) : export_tar(r, id);
	for (size_t i = 0; r->post && i < sizeof(posts) / sizeof(posts[0]); i++)
		if (strcmp(rest, posts[i]) == 0)
			return act(r, id, posts[i] + 1);
	return console_reply_error(r, MHD_HTTP_NOT_FOUND, "no such request");
}
