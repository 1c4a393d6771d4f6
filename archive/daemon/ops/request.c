/* Operator requests: dispatch, "list" (with filters), "export", and the OP_END reply. */
#include "ops/request.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rights/access.h"
#include "rights/audit.h"
#include "ops/health.h"
#include "log.h"
#include "record/manifest.h"
#include "rights/retention.h"

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

int ad_op_data(struct ad_conn *c, uint8_t stream, const void *data, size_t len)
{
	const uint8_t *p = data;
	int rc = 0;

	while (rc == 0 && len) {
		size_t n = len < AD_OP_DATA_MAX - 1 ? len : AD_OP_DATA_MAX - 1;

		rc = ad_buf_append_frame(&c->tx, CR_F_OP_DATA, &stream, 1, p, n);
		p += n;
		len -= n;
	}
	return rc;
}

int ad_op_call_id(struct ad_conn *c, json_t *j, uint8_t id[CR_CALL_ID_BYTES], char hex[33])
{
	const char *s = json_string_value(json_object_get(j, "call"));

	if (!s || strlen(s) != 2 * CR_CALL_ID_BYTES || cr_id_from_hex(s, id) < 0) {
		ad_op_end(c, ENOENT, "no such call");
		return -ENOENT;
	}
	cr_id_to_hex(id, hex);
	return 0;
}

static json_t *get_or_null(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	return v ? json_incref(v) : json_null();
}

static json_t *time_or_null(int64_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	ad_format_time(t, buf);
	return json_string(buf);
}

/* The object `callrec-archive list --json` prints (SPEC 6.4). */
json_t *ad_op_list_entry(const struct ad_call_info *ci)
{
	json_t *meta = ci->meta_json ? json_loads(ci->meta_json, 0, NULL) : NULL;
	json_t *close = ci->close_json ? json_loads(ci->close_json, 0, NULL) : NULL;
	json_t *gaps = close ? json_object_get(close, "gaps") : NULL;
	json_t *frames = close ? json_object_get(close, "frames") : NULL;
	json_t *o = json_object();
	const char *state = ci->state ? ci->state : "recording";
	unsigned rate = ad_meta_rate(meta) ? ad_meta_rate(meta) : AD_RATE;

	if (strcmp(state, "closing") == 0)
		state = "recording"; /* closed, its recording being written: not exportable yet */
	if (strcmp(state, "complete") == 0 && ci->hold_reason)
		state = "held";
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
			json_real((double)json_integer_value(frames) / rate) : json_null());
		json_object_set_new(o, "gaps", json_is_array(gaps) ? json_incref(gaps) : json_array());
		json_object_set_new(o, "tags", ad_manifest_tags(meta, close));
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "expires", time_or_null(ci->expires));
		json_object_set_new(o, "access", get_or_null(meta, "access"));
		if (ci->hold_reason)
			json_object_set_new(o, "hold", json_pack("{ss ss? ss?}", "reason",
				ci->hold_reason, "by", ci->hold_by, "release_requested_by",
				ci->release_by));
		if (ci->erase_reason) {
			json_object_set_new(o, "erase_reason", json_string(ci->erase_reason));
			json_object_set_new(o, "erased_at", time_or_null(ci->erased_at));
		}
	}
	json_decref(meta);
	json_decref(close);
	return o;
}

/* list filters: from/to (on start; ISO text compares in time order), user, device,
 * purpose, tag "K=V", state. */
struct list_req {
	struct ad_conn *c;
	const char *from, *to, *user, *device, *purpose, *tag, *state;
	size_t shown, hidden;
};

static int str_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && strcmp(v, want) == 0;
}

static int matches(const struct list_req *q, json_t *o)
{
	const char *start = json_string_value(json_object_get(o, "start"));

	if (q->from && (!start || strcmp(start, q->from) < 0))
		return 0;
	if (q->to && (!start || strcmp(start, q->to) >= 0))
		return 0;
	if (q->user && !str_is(o, "user", q->user))
		return 0;
	if (q->device && !str_is(o, "device", q->device))
		return 0;
	if (q->purpose && !str_is(o, "purpose", q->purpose))
		return 0;
	if (q->state && !str_is(o, "state", q->state))
		return 0;
	if (q->tag) {
		const char *eq = strchr(q->tag, '=');
		json_t *tags = json_object_get(o, "tags");
		char key[128];

		if (!eq || (size_t)(eq - q->tag) >= sizeof(key))
			return 0;
		memcpy(key, q->tag, (size_t)(eq - q->tag));
		key[eq - q->tag] = '\0';
		if (!str_is(tags, key, eq + 1))
			return 0;
	}
	return 1;
}

static int reply_one(void *arg, const struct ad_call_info *ci)
{
	struct list_req *q = arg;
	const char *role = q->c->grant;
	json_t *o;
	char *text;
	int rc, erased = ci->state && (strcmp(ci->state, "erased") == 0 ||
				       strcmp(ci->state, "erasing") == 0);

	/* Only what the role may retrieve; tombstones only to those who may erase. */
	if (erased ? !ad_may(role, AD_RIGHT_ERASE) : !ad_may_retrieve(role, ci->meta_json)) {
		q->hidden++;
		return 0;
	}
	o = ad_op_list_entry(ci);
	if (o && !matches(q, o)) {
		json_decref(o);
		return 0;
	}
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	rc = ad_buf_append_frame(&q->c->tx, CR_F_OP_REPLY, text, strlen(text), NULL, 0);
	free(text);
	q->shown++;
	return rc;
}

static const char *opt(json_t *j, const char *key)
{
	return j ? json_string_value(json_object_get(j, key)) : NULL;
}

static int op_list(struct ad_conn *c, struct ad_archive *ar, json_t *j)
{
	struct list_req q = { .c = c, .from = opt(j, "from"), .to = opt(j, "to"),
			      .user = opt(j, "user"), .device = opt(j, "device"),
			      .purpose = opt(j, "purpose"), .tag = opt(j, "tag"),
			      .state = opt(j, "state") };
	char detail[160];
	int rc = ar->index->ops->call_list(ar->index, reply_one, &q);

	snprintf(detail, sizeof(detail), "%zu listed, %zu not visible to the role", q.shown,
		 q.hidden);
	ad_audit(ar->audit, c->cn, c->grant, "list", NULL, rc < 0 ? "error" : "ok", detail);
	if (rc < 0)
		return ad_op_end(c, -rc, "cannot list calls");
	return ad_op_end(c, 0, NULL);
}

static int op_export(struct ad_conn *c, struct ad_archive *ar, json_t *j)
{
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;
	json_t *size = json_object_get(j, "tree_size");
	char hex[33];
	int rc;

	if (ad_op_call_id(c, j, id, hex) < 0) {
		ad_audit(ar->audit, c->cn, c->grant, "export", NULL, "refused", "no such call");
		return 0;
	}
	rc = ar->index->ops->call_get(ar->index, id, &ci);
	if (rc == 0 && !ad_may_retrieve(c->grant, ci.meta_json)) {
		cr_warn("operator %s (%s): export of %s refused: role not in the purpose's access",
			c->cn, c->grant, hex);
		ad_audit(ar->audit, c->cn, c->grant, "export", hex, "refused",
			 "role not in the purpose's access list");
		return ad_op_end(c, EACCES, "your role may not retrieve this recording");
	}
	ad_audit(ar->audit, c->cn, c->grant, "export", hex, rc == 0 ? "ok" : "error",
		 rc == 0 ? "" : "no such call");
	return ad_export_start(c, ar, hex, json_is_true(json_object_get(j, "bundle")),
			       json_is_integer(size) && json_integer_value(size) > 0 ?
			       (uint64_t)json_integer_value(size) : 0);
}

int ad_op_request(struct ad_conn *c, struct ad_archive *ar, const uint8_t *body, size_t len)
{
	json_t *j = NULL;
	const char *op = NULL;
	int rc;

	if (len <= CR_FRAME_MAX_JSON && !memchr(body, 0, len))
		j = json_loadb((const char *)body, len, 0, NULL);
	if (j)
		op = json_string_value(json_object_get(j, "op"));
	if (op)
		cr_info("operator %s (%s): %.40s", c->cn, c->grant, op);
	if (!op) {
		cr_warn("operator %s: malformed request", c->cn);
		rc = ad_op_end(c, EINVAL, "malformed request");
	} else if (strcmp(op, "list") == 0) {
		rc = op_list(c, ar, j);
	} else if (strcmp(op, "export") == 0) {
		rc = op_export(c, ar, j);
	} else if (strcmp(op, "show") == 0) {
		rc = ad_op_show(c, ar, j);
	} else if (strcmp(op, "checkpoint") == 0) {
		rc = ad_op_checkpoint(c, ar);
	} else if (strcmp(op, "erase") == 0) {
		rc = ad_op_erase(c, ar, j);
	} else if (strcmp(op, "hold") == 0) {
		rc = ad_op_hold(c, ar, j, 0);
	} else if (strcmp(op, "release") == 0) {
		rc = ad_op_hold(c, ar, j, 1);
	} else if (strcmp(op, "audit") == 0) {
		rc = ad_op_audit(c, ar);
	} else if (strcmp(op, "devices") == 0) {
		rc = ad_op_devices(c, ar, j);
	} else {
		cr_warn("operator %s: unknown op '%.40s'", c->cn, op);
		rc = ad_op_end(c, EOPNOTSUPP, "unknown op");
	}
	json_decref(j);
	return rc;
}
