/* Operator requests beyond list/export: show, checkpoint, erase, hold, release, audit. Each
 * decision (done or refused) is written to the audit log before it is answered. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rights/access.h"
#include "rights/audit.h"
#include "vault/crypt.h"
#include "store/erase.h"
#include "fsutil.h"
#include "rights/hold.h"
#include "log.h"
#include "record/mlog.h"
#include "ops/request.h"

static int refuse(struct ad_conn *c, struct ad_archive *ar, const char *action,
		  const char *hex, int err, const char *why)
{
	cr_warn("operator %s (%s): %s %s refused: %s", c->cn, c->grant, action, hex ? hex : "",
		why);
	ad_audit(ar->audit, c->cn, c->grant, action, hex, "refused", why);
	return ad_op_end(c, err, why);
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
	char hex[33], *text, *m = NULL;
	json_t *o;
	int rc, erased;

	if (ad_op_call_id(c, j, id, hex) < 0)
		return 0;
	rc = ar->index->ops->call_get(ar->index, id, &ci);
	if (rc == -ENOENT)
		return refuse(c, ar, "show", hex, ENOENT, "no such call");
	if (rc < 0)
		return ad_op_end(c, -rc, "index unavailable");
	erased = strcmp(ci.state, "erased") == 0 || strcmp(ci.state, "erasing") == 0;
	if (erased ? !ad_may(c->grant, AD_RIGHT_ERASE) : !ad_may_retrieve(c->grant, ci.meta_json))
		return refuse(c, ar, "show", hex, EACCES, "your role may not retrieve this recording");
	o = ad_op_list_entry(&ci);
	if (!erased && strcmp(ci.state, "complete") == 0)
		m = manifest_text(ar->store, id);
	if (o && m)
		json_object_set_new(o, "manifest", json_loads(m, 0, NULL));
	free(m);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	ad_audit(ar->audit, c->cn, c->grant, "show", hex, "ok", "");
	rc = ad_buf_append_frame(&c->tx, CR_F_OP_REPLY, text, strlen(text), NULL, 0);
	free(text);
	return rc < 0 ? rc : ad_op_end(c, 0, NULL);
}

/* OP_DATA 4 checkpoint.json, 5 checkpoint.sig, 6 signing.pub, 7 checkpoint.tsr (if any);
 * OP_END with the tree size. */
int ad_op_checkpoint(struct ad_conn *c, struct ad_archive *ar)
{
	uint8_t sig[AD_SIG_BYTES];
	char *json = NULL, *pem = NULL, *end;
	uint64_t size = 0;
	int rc;

	rc = ad_mlog_checkpoint(&ar->mlog, ar->store, &json, sig, &size);
	if (rc == 0)
		rc = ad_vault_public_pem(ar->vault, &pem);
	if (rc < 0) {
		free(json);
		return ad_op_end(c, -rc, "cannot make a checkpoint");
	}
	rc = ad_op_data(c, 4, json, strlen(json));
	if (rc == 0)
		rc = ad_op_data(c, 5, sig, sizeof(sig));
	if (rc == 0)
		rc = ad_op_data(c, 6, pem, strlen(pem));
	if (rc == 0) {
		/* The RFC 3161 timestamp, when the worker made one for this size. */
		uint8_t *tsr = NULL;
		size_t tlen = 0;

		if (ad_mlog_tsr(ar->store, size, &tsr, &tlen) == 0)
			rc = ad_op_data(c, 7, tsr, tlen);
		free(tsr);
	}
	free(json);
	free(pem);
	if (rc < 0)
		return rc;
	end = NULL;
	{
		json_t *e = json_pack("{si sI}", "status", 0, "tree_size", (json_int_t)size);
		end = e ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
	}
	if (!end)
		return -ENOMEM;
	rc = ad_buf_append_frame(&c->tx, CR_F_OP_END, end, strlen(end), NULL, 0);
	free(end);
	return rc;
}

static const char *reason_of(json_t *j)
{
	const char *r = json_string_value(json_object_get(j, "reason"));

	return r && *r && strlen(r) <= 500 ? r : NULL;
}

int ad_op_erase(struct ad_conn *c, struct ad_archive *ar, json_t *j)
{
	uint8_t id[CR_CALL_ID_BYTES];
	const char *reason = reason_of(j);
	char hex[33], detail[600];
	int rc;

	if (ad_op_call_id(c, j, id, hex) < 0)
		return 0;
	if (!ad_may(c->grant, AD_RIGHT_ERASE))
		return refuse(c, ar, "erase", hex, EACCES, "your role may not erase recordings");
	if (!reason)
		return refuse(c, ar, "erase", hex, EINVAL, "an erasure needs a reason");
	rc = ad_erase_call(ar->store, id, reason, c->cn);
	if (rc == -EBUSY)
		return refuse(c, ar, "erase", hex, EBUSY, "the call is on legal hold; release it first");
	if (rc == -ENOENT)
		return refuse(c, ar, "erase", hex, ENOENT, "no such call (or already erased)");
	snprintf(detail, sizeof(detail), "%s", rc == 0 ? reason : strerror(-rc));
	ad_audit(ar->audit, c->cn, c->grant, "erase", hex, rc == 0 ? "ok" : "error", detail);
	return ad_op_end(c, rc < 0 ? -rc : 0, rc < 0 ? "erasure failed" : NULL);
}

int ad_op_hold(struct ad_conn *c, struct ad_archive *ar, json_t *j, int release)
{
	const char *action = release ? "release" : "hold", *reason = reason_of(j);
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[33], detail[600];
	int rc, done = 0;

	if (ad_op_call_id(c, j, id, hex) < 0)
		return 0;
	if (!ad_may(c->grant, AD_RIGHT_HOLD))
		return refuse(c, ar, action, hex, EACCES, "your role may not place or release holds");
	if (!reason)
		return refuse(c, ar, action, hex, EINVAL, "a hold or release needs a reason");
	if (!release) {
		rc = ad_hold_place(ar->store, id, reason, c->cn, ad_clock_now(&ar->clock));
		if (rc == -EALREADY)
			return refuse(c, ar, action, hex, EALREADY, "the call is already on hold");
	} else {
		rc = ad_hold_release(ar->store, id, reason, c->cn, &done);
		if (rc == -ENOLINK)
			return refuse(c, ar, action, hex, ENOLINK, "the call is not on hold");
		if (rc == -EPERM)
			return refuse(c, ar, action, hex, EPERM,
				      "a release needs a second operator; you requested it already");
	}
	if (rc == -ENOENT)
		return refuse(c, ar, action, hex, ENOENT, "no such call");
	snprintf(detail, sizeof(detail), "%s%s", !release ? "" : done ? "released: " :
		 "release requested, awaiting a second operator: ", reason);
	ad_audit(ar->audit, c->cn, c->grant, action, hex, rc == 0 ? "ok" : "error",
		 rc == 0 ? detail : strerror(-rc));
	if (rc < 0)
		return ad_op_end(c, -rc, "cannot update the hold");
	if (release && !done) {
		json_t *e = json_pack("{si ss}", "status", 0, "result", "requested");
		char *t = e ? json_dumps(e, JSON_COMPACT) : NULL;

		json_decref(e);
		if (!t)
			return -ENOMEM;
		rc = ad_buf_append_frame(&c->tx, CR_F_OP_END, t, strlen(t), NULL, 0);
		free(t);
		return rc;
	}
	return ad_op_end(c, 0, NULL);
}

/* OP_DATA 0: the audit log's bytes; OP_END carries the head hash the archive holds. */
int ad_op_audit(struct ad_conn *c, struct ad_archive *ar)
{
	char path[4096], head[65], *text = NULL, *end;
	size_t len = 0;
	json_t *e;
	int rc;

	if (!ad_may(c->grant, AD_RIGHT_AUDIT))
		return refuse(c, ar, "audit", NULL, EACCES, "your role may not read the audit log");
	ad_audit(ar->audit, c->cn, c->grant, "audit", NULL, "ok", "read the audit log");
	rc = ad_audit_head(ar->audit, path, head);
	if (rc == 0)
		rc = cr_read_file(path, (size_t)1 << 30, &text, &len);
	if (rc < 0)
		return ad_op_end(c, -rc == ENOENT ? ENOENT : EIO, "no audit log");
	rc = ad_op_data(c, 0, text, len);
	free(text);
	if (rc < 0)
		return rc;
	e = json_pack("{si ss}", "status", 0, "head", head);
	end = e ? json_dumps(e, JSON_COMPACT) : NULL;
	json_decref(e);
	if (!end)
		return -ENOMEM;
	rc = ad_buf_append_frame(&c->tx, CR_F_OP_END, end, strlen(end), NULL, 0);
	free(end);
	return rc;
}
