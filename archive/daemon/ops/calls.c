/* Operator requests "list" (with filters) and "show": what a role may see of the calls. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops/request.h"
#include "record/manifest.h"
#include "rights/access.h"
#include "rights/audit.h"
#include "vault/crypt.h"

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

/* The object `callrec-archive list --json` prints (docs/man/callrec-archive.1 lists the
 * fields scripts may rely on). */
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
	int erased = ci->state && (strcmp(ci->state, "erased") == 0 ||
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
	q->shown++;
	return ad_op_reply(q->c, o);
}

static const char *opt(json_t *j, const char *key)
{
	return j ? json_string_value(json_object_get(j, key)) : NULL;
}

int ad_op_list(struct ad_conn *c, struct ad_archive *ar, json_t *j)
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

/* The decrypted manifest of a complete call (malloc'd) or NULL. */
static char *manifest_text(struct ad_store *s, const uint8_t *id)
{
	uint8_t key[AD_KEY_BYTES], *text = NULL;
	size_t len;

	if (ad_store_call_key(s, id, key) < 0)
		return NULL;
	if (ad_obj_read_all(key, AD_OBJ_MANIFEST, ad_store_objects(s), id, "manifest.json",
			    16u << 20, &text, &len) < 0)
		text = NULL;
	gnutls_memset(key, 0, sizeof(key));
	return (char *)text;
}

int ad_op_show(struct ad_conn *c, struct ad_archive *ar, json_t *j)
{
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;
	char hex[33], *m = NULL;
	json_t *o;
	int rc, erased;

	if (ad_op_call_id(c, j, id, hex) < 0)
		return 0;
	rc = ar->index->ops->call_get(ar->index, id, &ci);
	if (rc == -ENOENT)
		return ad_op_refuse(c, ar, "show", hex, ENOENT, "no such call");
	if (rc < 0)
		return ad_op_end(c, -rc, "index unavailable");
	erased = strcmp(ci.state, "erased") == 0 || strcmp(ci.state, "erasing") == 0;
	if (erased ? !ad_may(c->grant, AD_RIGHT_ERASE) : !ad_may_retrieve(c->grant, ci.meta_json))
		return ad_op_refuse(c, ar, "show", hex, EACCES,
				    "your role may not retrieve this recording");
	o = ad_op_list_entry(&ci);
	if (!erased && strcmp(ci.state, "complete") == 0)
		m = manifest_text(ar->store, id);
	if (o && m)
		json_object_set_new(o, "manifest", json_loads(m, 0, NULL));
	free(m);
	if (!o)
		return -ENOMEM;
	ad_audit(ar->audit, c->cn, c->grant, "show", hex, "ok", "");
	rc = ad_op_reply(c, o);
	return rc < 0 ? rc : ad_op_end(c, 0, NULL);
}

