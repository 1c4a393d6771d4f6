/* Per-connection protocol: HELLO, then device or operator frames. See conn.h. */
#include "net/conn.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops/health.h"
#include "ops/request.h"
#include "store/erase.h"

void ad_conn_init(struct ad_conn *c)
{
	memset(c, 0, sizeof(*c));
}

void ad_conn_release(struct ad_conn *c)
{
	ad_export_free(c->exp);
	c->exp = NULL;
	ad_buf_free(&c->rx);
	ad_buf_free(&c->tx);
	free(c->software);
	c->software = NULL;
}

int ad_conn_set_identity(struct ad_conn *c, const char *cn, const char *ou)
{
	if (!cr_name_valid(cn) || (strcmp(ou, CR_OU_DEVICE) != 0 && strcmp(ou, CR_OU_OPERATOR) != 0))
		return -EACCES;
	snprintf(c->cn, sizeof(c->cn), "%s", cn);
	snprintf(c->ou, sizeof(c->ou), "%s", ou);
	c->state = AD_CONN_HELLO;
	return 0;
}

void ad_conn_error(struct ad_conn *c, uint32_t code, const char *text)
{
	uint8_t p[4];

	cr_put_u32(p, code);
	ad_buf_append_frame(&c->tx, CR_F_ERROR, p, sizeof(p), text, strlen(text));
	c->closing = 1;
}

/* An ACK's body on the wire (docs/protocol.md): call id, u64 seq, u32 status. */
_Static_assert(CR_IDSEQ_WIRE + 4 == 16 + 8 + 4, "ACK body: 28 bytes");

void ad_conn_ack(struct ad_conn *c, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, int status)
{
	uint8_t body[CR_IDSEQ_WIRE + 4];

	if (c->closing)
		return;
	if (status < 0) {
		/* Not stored: no ACK. Closing makes the agent resend from its spool later. */
		ad_conn_error(c, (uint32_t)-status, "archive storage unavailable; not stored");
		return;
	}
	cr_idseq_encode(id, seq, body);
	cr_put_u32(body + CR_IDSEQ_WIRE, (uint32_t)status);
	if (ad_buf_append_frame(&c->tx, CR_F_ACK, body, sizeof(body), NULL, 0) < 0)
		c->closing = 1;
}

static void refuse(struct ad_conn *c, const char *why)
{
	cr_warn("refused %s (%s): %s", c->cn, c->ou, why);
	ad_conn_error(c, EACCES, why);
}

/* HELLO: u16 role, then optional JSON {"software":..}. The identity in the reply is the
 * certificate's, never the client's words. */
static int on_hello(struct ad_conn *c, struct ad_archive *ar, const struct cr_frame *f)
{
	const char *want, *grant = NULL, *role_name;
	json_t *reply, *j = NULL;
	uint16_t role;
	char *text;
	int rc;

	if (f->type != CR_F_HELLO || f->length < 2) {
		cr_warn("%s (%s): first frame is not HELLO", c->cn, c->ou);
		return -EPROTO;
	}
	role = cr_get_u16(f->body);
	want = role == CR_ROLE_DEVICE ? CR_OU_DEVICE : role == CR_ROLE_OPERATOR ? CR_OU_OPERATOR
									  : NULL;
	if (!want || strcmp(want, c->ou) != 0) {
		refuse(c, "role does not match the certificate");
		return 0;
	}
	if (role == CR_ROLE_OPERATOR) {
		grant = ar->roles ? ad_roles_lookup(ar->roles, c->cn) : NULL;
		if (!grant) {
			refuse(c, "operator has no role in roles.yaml");
			return 0;
		}
		snprintf(c->grant, sizeof(c->grant), "%s", grant);
	}
	if (f->length > 2 && f->length - 2 <= CR_FRAME_MAX_JSON)
		j = json_loadb((const char *)f->body + 2, f->length - 2, 0, NULL);
	if (j && json_is_string(json_object_get(j, "software")) && !c->software)
		c->software = strndup(json_string_value(json_object_get(j, "software")), 200);
	json_decref(j);
	role_name = role == CR_ROLE_DEVICE ? "device" : "operator";
	reply = json_pack("{ss ss}", "identity", c->cn, "role", role_name);
	if (reply && grant)
		json_object_set_new(reply, "grant", json_string(grant));
	text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	if (!text)
		return -ENOMEM;
	rc = ad_buf_append_frame(&c->tx, CR_F_HELLO_OK, text, strlen(text), NULL, 0);
	free(text);
	if (rc < 0)
		return rc;
	c->state = role == CR_ROLE_DEVICE ? AD_CONN_DEVICE : AD_CONN_OPERATOR;
	cr_info("%s %s: hello (%s)", role_name, c->cn, c->software ? c->software : "?");
	return 0;
}

static int on_device_frame(struct ad_conn *c, struct ad_archive *ar, const struct cr_frame *f)
{
	int rc;

	switch (f->type) {
	case CR_F_CALL_OPEN:
		rc = ad_store_call_open(ar->store, c, c->cn, c->software, f->body, f->length);
		break;
	case CR_F_CHUNK:
		rc = ad_store_put_chunk(ar->store, c, c->cn, f->body, f->length);
		break;
	case CR_F_CALL_CLOSE:
		rc = ad_store_call_close(ar->store, c, c->cn, f->body, f->length);
		break;
	case CR_F_CALL_ERASE: /* the user marked the call private (store/erase.h) */
		rc = ad_store_call_erase(ar->store, c, c->cn, f->body, f->length);
		break;
	case CR_F_HEARTBEAT:
		if (ad_store_heartbeat(ar->store, c->cn, (const char *)f->body, f->length) < 0)
			cr_debug("device %s: heartbeat ignored (not a JSON object)", c->cn);
		else
			ad_health_beat(ar->health, c->cn, (const char *)f->body, f->length);
		return 0;
	default:
		cr_warn("device %s: unexpected frame type 0x%02x", c->cn, f->type);
		return -EPROTO;
	}
	if (rc == -EPROTO)
		cr_warn("device %s: malformed frame type 0x%02x", c->cn, f->type);
	else if (rc < 0)
		ad_conn_ack(c, NULL, 0, rc); /* storage failure: ERROR and close */
	else
		c->staged++;
	return rc == -EPROTO ? rc : 0;
}

static int on_operator_frame(struct ad_conn *c, struct ad_archive *ar, const struct cr_frame *f)
{
	if (f->type != CR_F_OP_REQUEST) {
		cr_warn("operator %s: unexpected frame type 0x%02x", c->cn, f->type);
		return -EPROTO;
	}
	return ad_op_request(c, ar, f->body, f->length);
}

int ad_conn_process(struct ad_conn *c, struct ad_archive *ar)
{
	while (!c->closing && !c->exp && c->state != AD_CONN_HANDSHAKE && ad_buf_used(&c->rx)) {
		struct cr_frame f;
		long n = cr_frame_parse(ad_buf_head(&c->rx), ad_buf_used(&c->rx), &f);
		int rc;

		if (n == 0)
			return 0;
		if (n < 0) {
			cr_warn("%s %s: %s, closing", c->ou, c->cn[0] ? c->cn : "?",
				n == -EMSGSIZE ? "oversized frame" : "bad framing");
			return (int)n;
		}
		switch (c->state) {
		case AD_CONN_HELLO:
			rc = on_hello(c, ar, &f);
			break;
		case AD_CONN_DEVICE:
			rc = on_device_frame(c, ar, &f);
			break;
		default:
			rc = on_operator_frame(c, ar, &f);
			break;
		}
		ad_buf_consume(&c->rx, (size_t)n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int ad_conn_wants_input(const struct ad_conn *c)
{
	if (c->closing)
		return 0;
	/* Keep at most one unprocessed frame buffered while an export runs. */
	return !c->exp || ad_buf_used(&c->rx) == 0;
}

int ad_conn_pump(struct ad_conn *c)
{
	if (!c->exp || c->closing)
		return 0;
	return ad_export_pump(c);
}
