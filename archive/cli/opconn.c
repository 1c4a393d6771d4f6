#include "opconn.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cli_util.h"
#include "clock.h"
#include "hostport.h"
#include "version.h"

#define RECV_CHUNK (64u * 1024u)
#define BUF_CAP (CR_FRAME_HDR + CR_FRAME_MAX_BODY + RECV_CHUNK)

static int tcp_connect(const char *server, unsigned timeout_s)
{
	char host[256], port_s[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	struct timeval tv = { .tv_sec = timeout_s };
	unsigned port;
	int fd = -1, grc, err = 0;

	if (cr_split_hostport(server, host, sizeof(host), &port) < 0) {
		cra_error("server %s: expected HOST:PORT", server);
		return -EINVAL;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	grc = getaddrinfo(host, port_s, &hints, &res);
	if (grc != 0) {
		cra_error("%s: %s", host, gai_strerror(grc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* Linux applies SO_SNDTIMEO to connect() and SO_RCVTIMEO to every read GnuTLS
		 * makes, so a silent archive costs at most the timeout. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		cra_error("cannot connect to the archive at %s: %s", server,
			  err == EINPROGRESS || err == EAGAIN ? "timed out" : strerror(err));
		return -(err ? err : ECONNREFUSED);
	}
	return fd;
}

static int is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int tls_start(const struct cra_conn_params *p, struct cra_conn *c)
{
	char cn[CR_NAME_MAX], ou[CR_NAME_MAX];
	int grc, rc;

	rc = cr_tls_creds_load(&c->cred, p->ca, p->cert, p->key, NULL);
	if (rc < 0) {
		cra_error("cannot use the operator certificate (%s, %s, CA %s): %s", p->cert, p->key,
			  p->ca, strerror(-rc));
		return rc;
	}
	grc = gnutls_init(&c->s, GNUTLS_CLIENT);
	if (grc >= 0)
		grc = gnutls_priority_set_direct(c->s, CR_TLS_PRIORITY, NULL);
	if (grc >= 0)
		grc = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, c->cred);
	/* SNI carries host names only, never addresses (RFC 6066). */
	if (grc >= 0 && !is_ip(p->server_name))
		grc = gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, p->server_name,
					     strlen(p->server_name));
	if (grc < 0)
		return cra_gnutls_fail("TLS set-up", grc);
	gnutls_transport_set_int(c->s, c->fd);
	gnutls_handshake_set_timeout(c->s, p->timeout_s * 1000);
	do {
		grc = gnutls_handshake(c->s);
	} while (grc == GNUTLS_E_INTERRUPTED);
	if (grc < 0) {
		cra_error("TLS handshake with %s failed: %s", p->server,
			  grc == GNUTLS_E_AGAIN ? "timed out" : gnutls_strerror(grc));
		return -ECONNABORTED;
	}
	rc = cr_tls_peer_identity(c->s, p->server_name, cn, ou);
	if (rc < 0) {
		cra_error("the server at %s is not trusted as '%s' (certificate not from the fleet "
			  "CA, wrong name, revoked or expired)", p->server, p->server_name);
		return rc;
	}
	if (strcmp(ou, CR_OU_ARCHIVE) != 0) {
		cra_error("the server at %s presented a %s certificate (OU=%s), not an archive one",
			  p->server, cn, ou);
		return -EACCES;
	}
	return 0;
}

static int hello(struct cra_conn *c)
{
	static const char json[] = "{\"software\":\"" CRA_PROGRAM " " CR_VERSION "\"}";
	uint8_t body[2 + sizeof(json)];
	struct cr_frame f;
	json_t *j, *v;
	int rc;

	cr_put_u16(body, CR_ROLE_OPERATOR);
	memcpy(body + 2, json, sizeof(json) - 1);
	rc = cra_conn_send(c, CR_F_HELLO, body, 2 + sizeof(json) - 1);
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
	c->fd = -1;
	c->buf = malloc(BUF_CAP);
	if (!c->buf)
		return -ENOMEM;
	c->timeout_s = p->timeout_s;
	rc = tcp_connect(p->server, p->timeout_s);
	if (rc < 0)
		goto fail;
	c->fd = rc;
	rc = tls_start(p, c);
	if (rc == 0)
		rc = hello(c);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	cra_conn_close(c);
	return rc;
}

void cra_conn_close(struct cra_conn *c)
{
	if (c->s) {
		gnutls_bye(c->s, GNUTLS_SHUT_WR);
		gnutls_deinit(c->s);
	}
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int send_all(struct cra_conn *c, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = gnutls_record_send(c->s, p, len);

		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN)
			continue;
		if (n < 0) {
			cra_error("sending to the archive: %s", gnutls_strerror((int)n));
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cra_conn_send(struct cra_conn *c, uint8_t type, const void *body, size_t len)
{
	uint8_t hdr[CR_FRAME_HDR];
	int rc;

	if (len > CR_FRAME_MAX_BODY)
		return -EMSGSIZE;
	cr_frame_put_hdr(hdr, type, (uint32_t)len);
	/* Cork so that header and body go out as one TLS record. */
	gnutls_record_cork(c->s);
	rc = send_all(c, hdr, sizeof(hdr));
	if (rc == 0)
		rc = send_all(c, body, len);
	if (rc == 0) {
		int grc;

		do {
			grc = gnutls_record_uncork(c->s, GNUTLS_RECORD_WAIT);
		} while (grc == GNUTLS_E_INTERRUPTED || grc == GNUTLS_E_AGAIN);
		if (grc < 0) {
			cra_error("sending to the archive: %s", gnutls_strerror(grc));
			rc = -EIO;
		}
	}
	return rc;
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

static void print_error_frame(const struct cr_frame *f)
{
	uint32_t code = f->length >= 4 ? cr_get_u32(f->body) : 0;
	int textlen = f->length > 4 ? (int)(f->length - 4) : 0;

	cra_error("the archive refused: %.*s (code %u)", textlen,
		  textlen ? (const char *)f->body + 4 : "no reason given", code);
}

/* One gnutls_record_recv that only gives up on a real timeout: GnuTLS also returns
 * GNUTLS_E_AGAIN on a blocking socket after it consumed a TLS 1.3 post-handshake message
 * (the server's session tickets) that carried no application data. */
static ssize_t recv_some(struct cra_conn *c)
{
	long long deadline = cr_now_ms() + (long long)c->timeout_s * 1000;
	ssize_t n;

	for (;;) {
		n = gnutls_record_recv(c->s, c->buf + c->len, BUF_CAP - c->len);
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN && cr_now_ms() < deadline)
			continue;
		return n;
	}
}

int cra_conn_recv(struct cra_conn *c, struct cr_frame *f)
{
	for (;;) {
		long used = cr_frame_parse(c->buf + c->start, c->len - c->start, f);
		ssize_t n;

		if (used < 0) {
			cra_error("the archive sent a malformed frame (%s)", strerror((int)-used));
			return (int)used;
		}
		if (used > 0) {
			c->start += (size_t)used;
			if (f->type == CR_F_ERROR) {
				print_error_frame(f);
				return -ECONNABORTED;
			}
			return 0;
		}
		/* Need more: move the partial frame to the front (the caller is done with the
		 * previous frame's body by now) and read. */
		if (c->start) {
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			c->start = 0;
		}
		n = recv_some(c);
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
			return -ECONNRESET;
		if (n == GNUTLS_E_AGAIN) {
			cra_error("the archive did not answer in time");
			return -ETIMEDOUT;
		}
		if (n < 0) {
			cra_error("receiving from the archive: %s", gnutls_strerror((int)n));
			return n == GNUTLS_E_CERTIFICATE_REQUIRED || n == GNUTLS_E_FATAL_ALERT_RECEIVED
				       ? -ECONNRESET
				       : -EIO;
		}
		c->len += (size_t)n;
	}
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
