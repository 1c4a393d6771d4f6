#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "hostport.h"
#include "version.h"

/* Connect and handshake, saying what failed in the operator's terms. */
static int connect_archive(const struct cra_conn_params *p, struct cra_conn *c)
{
	char host[256], port[8];
	unsigned portnum;
	int rc;

	if (cr_split_hostport(p->server, host, sizeof(host), &portnum) < 0) {
		cra_error("server %s: expected HOST:PORT", p->server);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", portnum);
	rc = cr_tls_client_init(&c->tls, p->ca, p->cert, p->key, p->server_name, NULL);
	if (rc < 0) {
		cra_error("cannot use the operator certificate (%s, %s, CA %s): %s", p->cert, p->key,
			  p->ca, strerror(-rc));
		return rc;
	}
	rc = cr_conn_open(&c->conn, &c->tls, host, port, NULL, c->timeout_ms);
	if (rc == 0)
		return 0;
	if (rc == -EACCES)
		cra_error("the server at %s is not trusted as '%s' (certificate not from the fleet "
			  "CA, wrong name, revoked or expired)", p->server, p->server_name);
	else if (rc == -EPERM)
		cra_error("the server at %s presented a %s certificate (OU=%s), not an archive one",
			  p->server, c->conn.peer_cn, c->conn.peer_ou);
	else if (c->conn.state == CR_CONN_HANDSHAKE)
		cra_error("TLS handshake with %s failed: %s", p->server, c->conn.why);
	else
		cra_error("cannot connect to the archive at %s: %s", p->server, c->conn.why);
	return rc == -EACCES || rc == -EPERM ? -EACCES
	       : c->conn.state == CR_CONN_HANDSHAKE ? -ECONNABORTED : rc;
}

static int hello(struct cra_conn *c)
{
	uint8_t body[128];
	size_t len = cr_hello_body(body, sizeof(body), CR_ROLE_OPERATOR, CRA_PROGRAM " " CR_VERSION);
	struct cr_frame f;
	json_t *j, *v;
	int rc;

	rc = cra_conn_send(c, CR_F_HELLO, body, len);
	if (rc < 0)
		return rc;
	rc = cra_conn_recv(c, &f);
	if (rc == -ECONNRESET)
		cra_error("the archive closed the connection after the handshake: it did not accept "
			  "this operator certificate");
	if (rc < 0)
		return rc;
	if (f.type != CR_F_HELLO_OK) {
		cra_error("unexpected answer to HELLO (frame type 0x%02x)", f.type);
		return -EPROTO;
	}
	j = json_loadb((const char *)f.body, f.length, 0, NULL);
	if (j) {
		v = json_object_get(j, "identity");
		if (json_is_string(v))
			snprintf(c->identity, sizeof(c->identity), "%s", json_string_value(v));
		v = json_object_get(j, "role");
		if (json_is_string(v))
			snprintf(c->role, sizeof(c->role), "%s", json_string_value(v));
		json_decref(j);
	}
	return 0;
}

int cra_conn_open(const struct cra_conn_params *p, struct cra_conn *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	cr_conn_init(&c->conn);
	c->timeout_ms = (int)p->timeout_s * 1000;
	rc = connect_archive(p, c);
	if (rc == 0)
		rc = hello(c);
	if (rc < 0)
		cra_conn_close(c);
	return rc;
}

int cra_connect(const struct cra_conn_opts *opts, struct cra_conn *c)
{
	struct cra_conn_params p;
	int rc = cra_conn_resolve(opts, &p);

	if (rc == -EINVAL)
		return CRA_EXIT_USAGE;
	if (rc < 0)
		return CRA_EXIT_FAIL;
	rc = cra_conn_open(&p, c);
	cra_conn_params_free(&p);
	return rc < 0 ? CRA_EXIT_FAIL : 0;
}

void cra_conn_close(struct cra_conn *c)
{
	cr_conn_close(&c->conn, 1);
	cr_tls_client_free(&c->tls);
}

int cra_conn_send(struct cra_conn *c, uint8_t type, const void *body, size_t len)
{
	int rc;

	if (len > CR_FRAME_MAX_BODY)
		return -EMSGSIZE;
	rc = cr_conn_send_frame(&c->conn, type, body, len, c->timeout_ms);
	if (rc < 0) {
		cra_error("sending to the archive: %s", c->conn.why);
		return rc == -ETIMEDOUT ? rc : -EIO;
	}
	return 0;
}

int cra_conn_send_json(struct cra_conn *c, uint8_t type, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = cra_conn_send(c, type, text, strlen(text));
	free(text);
	return rc;
}

int cra_conn_recv(struct cra_conn *c, struct cr_frame *f)
{
	int rc = cr_conn_recv_frame(&c->conn, f, c->timeout_ms);

	if (rc == 0 && f->type == CR_F_ERROR) {
		char text[512];
		uint32_t code = cr_error_text(f, text, sizeof(text));

		cra_error("the archive refused: %s (code %u)", text[0] ? text : "no reason given",
			  code);
		return -ECONNABORTED;
	}
	if (rc == -ETIMEDOUT)
		cra_error("the archive did not answer in time");
	else if (rc == -EPROTO)
		cra_error("the archive sent a malformed frame (%s)", strerror(EPROTO));
	else if (rc < 0 && rc != -ECONNRESET)
		cra_error("receiving from the archive: %s", c->conn.why);
	return rc == -ENOTCONN || rc == -ENOMEM ? -EIO : rc;
}

int cra_op_end_status(const struct cr_frame *f, char *err, size_t errlen)
{
	json_t *j = json_loadb((const char *)f->body, f->length, 0, NULL);
	json_t *st, *e;
	int status;

	if (errlen)
		err[0] = '\0';
	if (!j)
		return -EPROTO;
	st = json_object_get(j, "status");
	if (!json_is_integer(st) || json_integer_value(st) < 0 || json_integer_value(st) > 100000) {
		json_decref(j);
		return -EPROTO;
	}
	status = (int)json_integer_value(st);
	e = json_object_get(j, "error");
	if (errlen && json_is_string(e))
		snprintf(err, errlen, "%s", json_string_value(e));
	json_decref(j);
	return status;
}
