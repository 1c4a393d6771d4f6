/* Operator requests that change or read the archive's rights records: "erase", "hold",
 * "release" and "audit". Each decision (done or refused) is written to the audit log before
 * it is answered. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "ops/request.h"
#include "rights/access.h"
#include "rights/audit.h"
#include "rights/hold.h"
#include "store/erase.h"

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
		return ad_op_refuse(c, ar, "erase", hex, EACCES,
				    "your role may not erase recordings");
	if (!reason)
		return ad_op_refuse(c, ar, "erase", hex, EINVAL, "an erasure needs a reason");
	rc = ad_erase_call(ar->store, id, reason, c->cn);
	if (rc == -EBUSY)
		return ad_op_refuse(c, ar, "erase", hex, EBUSY,
				    "the call is on legal hold; release it first");
	if (rc == -ENOENT)
		return ad_op_refuse(c, ar, "erase", hex, ENOENT,
				    "no such call (or already erased)");
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
		return ad_op_refuse(c, ar, action, hex, EACCES,
				    "your role may not place or release holds");
	if (!reason)
		return ad_op_refuse(c, ar, action, hex, EINVAL, "a hold or release needs a reason");
	if (!release) {
		rc = ad_hold_place(ar->store, id, reason, c->cn, ad_clock_now(&ar->clock));
		if (rc == -EALREADY)
			return ad_op_refuse(c, ar, action, hex, EALREADY,
					    "the call is already on hold");
	} else {
		rc = ad_hold_release(ar->store, id, reason, c->cn, &done);
		if (rc == -ENOLINK)
			return ad_op_refuse(c, ar, action, hex, ENOLINK, "the call is not on hold");
		if (rc == -EPERM)
			return ad_op_refuse(c, ar, action, hex, EPERM,
				      "a release needs a second operator; you requested it already");
	}
	if (rc == -ENOENT)
		return ad_op_refuse(c, ar, action, hex, ENOENT, "no such call");
	snprintf(detail, sizeof(detail), "%s%s", !release ? "" : done ? "released: " :
		 "release requested, awaiting a second operator: ", reason);
	ad_audit(ar->audit, c->cn, c->grant, action, hex, rc == 0 ? "ok" : "error",
		 rc == 0 ? detail : strerror(-rc));
	if (rc < 0)
		return ad_op_end(c, -rc, "cannot update the hold");
	if (release && !done)
		return ad_op_end_with(c, json_pack("{si ss}", "status", 0, "result", "requested"));
	return ad_op_end(c, 0, NULL);
}

/* OP_DATA 0: the audit log's bytes; OP_END carries the head hash the archive holds. */
int ad_op_audit(struct ad_conn *c, struct ad_archive *ar)
{
	char path[4096], head[65], *text = NULL;
	size_t len = 0;
	int rc;

	if (!ad_may(c->grant, AD_RIGHT_AUDIT))
		return ad_op_refuse(c, ar, "audit", NULL, EACCES,
				    "your role may not read the audit log");
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
	return ad_op_end_with(c, json_pack("{si ss}", "status", 0, "head", head));
}
