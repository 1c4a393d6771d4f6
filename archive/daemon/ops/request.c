/* Operator requests: the dispatch and the replies. See request.h. */
#include "ops/request.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rights/audit.h"

/* A frame whose body is the object o as compact JSON (o's reference is taken). */
static int send_json(struct ad_conn *c, uint8_t type, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	if (!text)
		return -ENOMEM;
	rc = ad_buf_append_frame(&c->tx, type, text, strlen(text), NULL, 0);
	free(text);
	return rc;
}

int ad_op_reply(struct ad_conn *c, json_t *o)
{
	return send_json(c, CR_F_OP_REPLY, o);
}

int ad_op_end_with(struct ad_conn *c, json_t *end)
{
	return send_json(c, CR_F_OP_END, end);
}

int ad_op_end(struct ad_conn *c, int status, const char *error)
{
	json_t *j = json_pack("{si}", "status", status);

	if (j && error)
		json_object_set_new(j, "error", json_string(error));
	return ad_op_end_with(c, j);
}

int ad_op_refuse(struct ad_conn *c, struct ad_archive *ar, const char *action, const char *hex,
		 int err, const char *why)
{
	cr_warn("operator %s (%s): %s %s refused: %s", c->cn, c->grant, action, hex ? hex : "",
		why);
	ad_audit(ar->audit, c->cn, c->grant, action, hex, "refused", why);
	return ad_op_end(c, err, why);
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
		rc = ad_op_list(c, ar, j);
	} else if (strcmp(op, "export") == 0) {
		rc = ad_op_export(c, ar, j);
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
