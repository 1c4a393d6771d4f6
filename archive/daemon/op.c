/* Operator requests: dispatch, "list", and the OP_END reply. */
#include "op.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest.h"

int ad_op_end(struct ad_conn *c, int status, const char *error)
{
	json_t *j = json_pack("{si}", "status", status);
	char *text;
	int rc;

	if (j && error)
		json_object_set_new(j, "error", json_string(error));
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return -ENOMEM;
	rc = ad_buf_append_frame(&c->tx, CR_F_OP_END, text, strlen(text), NULL, 0);
	free(text);
	return rc;
}

static json_t *get_or_null(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	return v ? json_incref(v) : json_null();
}

/* The object `callrec-archive list --json` prints (SPEC 6.4). */
static json_t *list_entry(const struct ad_call_info *ci)
{
	json_t *meta = ci->meta_json ? json_loads(ci->meta_json, 0, NULL) : NULL;
	json_t *close = ci->close_json ? json_loads(ci->close_json, 0, NULL) : NULL;
	json_t *gaps = close ? json_object_get(close, "gaps") : NULL;
	json_t *frames = close ? json_object_get(close, "frames") : NULL;
	json_t *o = json_object();

	if (o) {
		json_object_set_new(o, "id", json_string(ci->hex));
		json_object_set_new(o, "device", json_string(ci->device ? ci->device : ""));
		json_object_set_new(o, "user", get_or_null(meta, "user"));
		json_object_set_new(o, "application", get_or_null(meta, "application"));
		json_object_set_new(o, "line", get_or_null(meta, "line"));
		json_object_set_new(o, "purpose", get_or_null(meta, "purpose"));
		json_object_set_new(o, "legal_basis", get_or_null(meta, "legal_basis"));
		json_object_set_new(o, "start", get_or_null(meta, "start"));
		json_object_set_new(o, "end", get_or_null(close, "end"));
		json_object_set_new(o, "seconds", json_is_integer(frames) ?
			json_real((double)json_integer_value(frames) / AD_RATE) : json_null());
		json_object_set_new(o, "gaps", json_is_array(gaps) ? json_incref(gaps) : json_array());
		json_object_set_new(o, "tags", json_object());
		json_object_set_new(o, "state", json_string(ci->state ? ci->state : "recording"));
		json_object_set_new(o, "expires", json_null());
	}
	json_decref(meta);
	json_decref(close);
	return o;
}

static int reply_one(void *arg, const struct ad_call_info *ci)
{
	struct ad_conn *c = arg;
	json_t *o = list_entry(ci);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	if (!text)
		return -ENOMEM;
	rc = ad_buf_append_frame(&c->tx, CR_F_OP_REPLY, text, strlen(text), NULL, 0);
	free(text);
	return rc;
}

int ad_op_list(struct ad_conn *c, struct ad_ctx *ctx)
{
	int rc = ad_store_list(ctx->store, reply_one, c);

	if (rc < 0)
		return ad_op_end(c, -rc, "cannot list calls");
	return ad_op_end(c, 0, NULL);
}

int ad_op_request(struct ad_conn *c, struct ad_ctx *ctx, const uint8_t *body, size_t len)
{
	json_t *j = NULL, *call;
	const char *op = NULL;
	int rc;

	if (len <= CR_FRAME_MAX_JSON && !memchr(body, 0, len))
		j = json_loadb((const char *)body, len, 0, NULL);
	if (j)
		op = json_string_value(json_object_get(j, "op"));
	if (!op) {
		cr_warn("operator %s: malformed request", c->cn);
		rc = ad_op_end(c, EINVAL, "malformed request");
	} else if (strcmp(op, "list") == 0) {
		cr_info("operator %s (%s): list", c->cn, c->grant);
		rc = ad_op_list(c, ctx);
	} else if (strcmp(op, "export") == 0) {
		call = json_object_get(j, "call");
		cr_info("operator %s (%s): export %.40s", c->cn, c->grant,
			json_is_string(call) ? json_string_value(call) : "?");
		rc = ad_export_start(c, ctx, json_is_string(call) ? json_string_value(call) : "");
	} else {
		cr_warn("operator %s: unknown op '%.40s'", c->cn, op);
		rc = ad_op_end(c, EOPNOTSUPP, "unknown op");
	}
	json_decref(j);
	return rc;
}
