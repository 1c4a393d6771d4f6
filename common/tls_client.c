/* Client connection to the archive: see tls_client.h. */
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define RX_FIRST 4096u                          /* most answers are ACKs of 36 bytes */
#define RX_MAX (CR_FRAME_HDR + CR_FRAME_MAX_BODY) /* one whole frame of the largest size */

int cr_tls_client_init(struct cr_tls_client *tc, const char *ca, const char *cert,
		       const char *key, const char *server_name, const char *priority)
{
	const char *where = NULL;
	int rc;

	memset(tc, 0, sizeof(*tc));
	tc->verify = 1;
	tc->peer_ou = CR_OU_ARCHIVE;
	if (snprintf(tc->server_name, sizeof(tc->server_name), "%s", server_name) >=
	    (int)sizeof(tc->server_name))
		return -ENAMETOOLONG;
	rc = cr_tls_creds_load(&tc->creds, ca, cert, key, NULL);
	if (rc < 0)
		return rc;
	rc = gnutls_priority_init(&tc->priority, priority ? priority : CR_TLS_PRIORITY, &where);
	if (rc < 0) {
		cr_err("TLS priority %s: %s at \"%s\"", priority ? priority : CR_TLS_PRIORITY,
		       gnutls_strerror(rc), where ? where : "");
		gnutls_certificate_free_credentials(tc->creds);
		tc->creds = NULL;
		return -EINVAL;
	}
	return 0;
}

void cr_tls_client_free(struct cr_tls_client *tc)
{
	if (tc->priority)
		gnutls_priority_deinit(tc->priority);
	if (tc->creds)
		gnutls_certificate_free_credentials(tc->creds);
	memset(tc, 0, sizeof(*tc));
}

void cr_conn_init(struct cr_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int fail(struct cr_conn *c, int err, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	return err;
}

static void drop_socket(struct cr_conn *c)
{
	if (c->session) {
		gnutls_deinit(c->session);
		c->session = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void cr_conn_close(struct cr_conn *c, int bye)
{
	if (bye && c->state == CR_CONN_OPEN && c->session)
		gnutls_bye(c->session, GNUTLS_SHUT_WR); /* best effort: never waits */
	drop_socket(c);
	if (c->addrs)
		freeaddrinfo(c->addrs);
	gnutls_free(c->resume.data);
	free(c->rx);
	cr_conn_init(c);
}

/* Connect to the next resolved address: 0 (in progress or done), or a negative errno when
 * none is left. */
static int connect_next(struct cr_conn *c)
{
	int err = ECONNREFUSED;

	drop_socket(c);
	while (c->next_addr) {
		struct addrinfo *ai = c->next_addr;
		int one = 1;

		c->next_addr = ai->ai_next;
		c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			err = errno;
			continue;
		}
		/* Frames are written whole: send them now, not after the peer's next ACK. */
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS)
			return 0;
		err = errno;
		close(c->fd);
		c->fd = -1;
	}
	return fail(c, -err, strerror(err));
}

/* cr_conn_start() failed: release what it holds, keep the reason. */
static int start_failed(struct cr_conn *c, int err)
{
	char why[sizeof(c->why)];

	memcpy(why, c->why, sizeof(why));
	cr_conn_close(c, 0);
	memcpy(c->why, why, sizeof(why));
	return err;
}

int cr_conn_start(struct cr_conn *c, const struct cr_tls_client *tc, const char *host,
		  const char *port, const gnutls_datum_t *resume)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }; /* any address family */
	int rc;

	cr_conn_init(c);
	c->tc = tc;
	if (resume && resume->size) {
		c->resume.data = gnutls_malloc(resume->size);
		if (!c->resume.data)
			return start_failed(c, fail(c, -ENOMEM, "out of memory"));
		memcpy(c->resume.data, resume->data, resume->size);
		c->resume.size = resume->size;
	}
	/* Blocking resolution: configurations normally name an address. */
	rc = getaddrinfo(host, port, &hints, &c->addrs);
	if (rc != 0) {
		c->addrs = NULL;
		return start_failed(c, fail(c, -EHOSTUNREACH, gai_strerror(rc)));
	}
	c->next_addr = c->addrs;
	c->state = CR_CONN_CONNECTING;
	rc = connect_next(c);
	return rc < 0 ? start_failed(c, rc) : 0;
}

static int is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int start_tls(struct cr_conn *c)
{
	const struct cr_tls_client *tc = c->tc;
	int rc = gnutls_init(&c->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);

	if (rc >= 0)
		rc = gnutls_priority_set(c->session, tc->priority);
	if (rc >= 0)
		rc = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, tc->creds);
	/* SNI carries DNS names only, never addresses (RFC 6066). */
	if (rc >= 0 && tc->server_name[0] && !is_ip_literal(tc->server_name))
		rc = gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, tc->server_name,
					    strlen(tc->server_name));
	if (rc < 0)
		return fail(c, -ENOMEM, gnutls_strerror(rc));
	/* A stored session the server no longer knows costs nothing: a full handshake follows. */
	if (c->resume.size)
		gnutls_session_set_data(c->session, c->resume.data, c->resume.size);
	/* Timeouts are the caller's (its deadlines, or cr_conn_open's). */
	gnutls_handshake_set_timeout(c->session, 0);
	gnutls_transport_set_int(c->session, c->fd);
	c->state = CR_CONN_HANDSHAKE;
	return 0;
}

static int verify_server(struct cr_conn *c)
{
	const struct cr_tls_client *tc = c->tc;

	if (!tc->verify)
		return 0;
	if (cr_tls_peer_identity(c->session, tc->server_name, c->peer_cn, c->peer_ou) < 0) {
		c->peer_cn[0] = c->peer_ou[0] = '\0';
		snprintf(c->why, sizeof(c->why),
			 "the server's certificate is not trusted as \"%s\" (not from the fleet CA, "
			 "another name, revoked or expired)", tc->server_name);
		return -EACCES;
	}
	if (tc->peer_ou && strcmp(c->peer_ou, tc->peer_ou) != 0) {
		snprintf(c->why, sizeof(c->why), "the server presented %s's certificate of OU=%s, "
			 "not %s", c->peer_cn, c->peer_ou, tc->peer_ou);
		return -EPERM;
	}
	return 0;
}

int cr_conn_handshake(struct cr_conn *c)
{
	int rc;

	if (c->state == CR_CONN_CONNECTING) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (poll(&p, 1, 0) == 0)
			return -EAGAIN;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			if (!c->next_addr)
				return fail(c, -soerr, strerror(soerr));
			rc = connect_next(c);
			return rc < 0 ? rc : -EAGAIN;
		}
		rc = start_tls(c);
		if (rc < 0)
			return rc;
	}
	if (c->state != CR_CONN_HANDSHAKE)
		return c->state == CR_CONN_OPEN ? 0 : fail(c, -ENOTCONN, "not connected");
	rc = gnutls_handshake(c->session);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (rc < 0)
		return fail(c, -ECONNABORTED, gnutls_strerror(rc));
	rc = verify_server(c);
	if (rc < 0)
		return rc;
	c->state = CR_CONN_OPEN;
	return 0;
}

short cr_conn_events(const struct cr_conn *c)
{
	switch (c->state) {
	case CR_CONN_CONNECTING:
		return POLLOUT;
	case CR_CONN_HANDSHAKE:
		return gnutls_record_get_direction(c->session) ? POLLOUT : POLLIN;
	case CR_CONN_OPEN:
		return (short)(POLLIN | (c->tx_again ? POLLOUT : 0));
	default:
		return 0;
	}
}

ssize_t cr_conn_write(struct cr_conn *c, const void *p, size_t n)
{
	ssize_t rc;

	if (c->state != CR_CONN_OPEN)
		return fail(c, -ENOTCONN, "not connected");
	/* After GNUTLS_E_AGAIN, GnuTLS finishes the record it began when called with NULL, 0. */
	rc = c->tx_again ? gnutls_record_send(c->session, NULL, 0)
			 : gnutls_record_send(c->session, p, n);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		c->tx_again = 1;
		return -EAGAIN;
	}
	c->tx_again = 0;
	if (rc < 0)
		return fail(c, -EIO, gnutls_strerror((int)rc));
	return rc;
}

/* Room for at least one more byte, and for the whole frame whose header is in. */
static int rx_room(struct cr_conn *c)
{
	size_t need = c->rx_len + 1, cap;
	uint8_t *p;

	if (c->rx_len >= CR_FRAME_HDR)
		need = CR_FRAME_HDR + cr_get_u32(c->rx + 4); /* checked by the parser already */
	if (need <= c->rx_cap)
		return 0;
	cap = c->rx_cap ? c->rx_cap : RX_FIRST;
	while (cap < need)
		cap *= 2;
	if (cap > RX_MAX)
		cap = RX_MAX;
	p = realloc(c->rx, cap);
	if (!p)
		return fail(c, -ENOMEM, "out of memory");
	c->rx = p;
	c->rx_cap = cap;
	return 0;
}

int cr_conn_recv(struct cr_conn *c, struct cr_frame *f)
{
	for (;;) {
		long used = c->rx ? cr_frame_parse(c->rx + c->rx_start, c->rx_len - c->rx_start, f) : 0;
		ssize_t n;
		int rc;

		if (used < 0)
			return fail(c, -EPROTO, "malformed frame from the server");
		if (used > 0) {
			c->rx_start += (size_t)used;
			return 1;
		}
		if (c->state != CR_CONN_OPEN)
			return fail(c, -ENOTCONN, "not connected");
		/* The caller is done with the previous frame: move the partial one to the front. */
		if (c->rx_start) {
			memmove(c->rx, c->rx + c->rx_start, c->rx_len - c->rx_start);
			c->rx_len -= c->rx_start;
			c->rx_start = 0;
		}
		rc = rx_room(c);
		if (rc < 0)
			return rc;
		n = gnutls_record_recv(c->session, c->rx + c->rx_len, c->rx_cap - c->rx_len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return -EAGAIN;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
			return fail(c, -ECONNRESET, "closed by the server");
		if (n < 0)
			return fail(c, n == GNUTLS_E_FATAL_ALERT_RECEIVED ? -ECONNRESET : -EIO,
				    gnutls_strerror((int)n));
		c->rx_len += (size_t)n;
	}
}

ssize_t cr_conn_read(struct cr_conn *c, void *buf, size_t n)
{
	ssize_t rc;

	if (c->state != CR_CONN_OPEN)
		return fail(c, -ENOTCONN, "not connected");
	rc = gnutls_record_recv(c->session, buf, n);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (rc == 0 || rc == GNUTLS_E_PREMATURE_TERMINATION)
		return fail(c, -ECONNRESET, "closed by the server");
	if (rc < 0)
		return fail(c, -EIO, gnutls_strerror((int)rc));
	return rc;
}

int cr_conn_pending(const struct cr_conn *c)
{
	return c->rx_len > c->rx_start ||
	       (c->session && c->state == CR_CONN_OPEN && gnutls_record_check_pending(c->session));
}

int cr_conn_resumed(const struct cr_conn *c)
{
	return c->session && gnutls_session_is_resumed(c->session);
}

int cr_conn_save_session(struct cr_conn *c, gnutls_datum_t *saved)
{
	gnutls_datum_t d = { NULL, 0 };

	/* Without a ticket, gnutls_session_get_data2() would describe a session that cannot be
	 * resumed: keep what there was. */
	if (!c->session || !(gnutls_session_get_flags(c->session) & GNUTLS_SFLAGS_SESSION_TICKET))
		return 0;
	if (gnutls_session_get_data2(c->session, &d) < 0 || !d.data)
		return 0;
	gnutls_free(saved->data);
	*saved = d;
	return 1;
}

/* --- blocking use ------------------------------------------------------------------------- */

int cr_conn_wait(struct cr_conn *c, short events, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int64_t left = deadline_ms - cr_now_ms();
		int n;

		if (left <= 0)
			return fail(c, -ETIMEDOUT, "timed out");
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(c, -errno, strerror(errno));
	}
}

int cr_conn_open(struct cr_conn *c, const struct cr_tls_client *tc, const char *host,
		 const char *port, const gnutls_datum_t *resume, int timeout_ms)
{
	int64_t deadline = cr_now_ms() + timeout_ms;
	int rc = cr_conn_start(c, tc, host, port, resume);

	while (rc == 0 && (rc = cr_conn_handshake(c)) == -EAGAIN)
		rc = cr_conn_wait(c, cr_conn_events(c), deadline);
	return rc;
}

int cr_conn_send_frame(struct cr_conn *c, uint8_t type, const void *body, size_t len,
		       int timeout_ms)
{
	int64_t deadline = cr_now_ms() + timeout_ms;
	uint8_t hdr[CR_FRAME_HDR];
	ssize_t rc;

	if (len > CR_FRAME_MAX_BODY)
		return fail(c, -EMSGSIZE, "frame too large");
	if (c->state != CR_CONN_OPEN || c->tx_again)
		return fail(c, -ENOTCONN, "not connected");
	cr_frame_put_hdr(hdr, type, (uint32_t)len);
	/* Corked, header and body leave as one record where they fit; GnuTLS keeps what the
	 * socket has not taken and finishes it on the next uncork. */
	gnutls_record_cork(c->session);
	if (gnutls_record_send(c->session, hdr, sizeof(hdr)) < 0 ||
	    (len && gnutls_record_send(c->session, body, len) < 0)) {
		gnutls_record_uncork(c->session, 0);
		return fail(c, -ENOMEM, "out of memory");
	}
	for (;;) {
		rc = gnutls_record_uncork(c->session, 0);
		if (rc >= 0 && gnutls_record_check_corked(c->session) == 0)
			return 0;
		if (rc < 0 && rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			return fail(c, -EIO, gnutls_strerror((int)rc));
		rc = cr_conn_wait(c, POLLOUT, deadline);
		if (rc < 0)
			return (int)rc;
	}
}

int cr_conn_recv_frame(struct cr_conn *c, struct cr_frame *f, int timeout_ms)
{
	int64_t deadline = cr_now_ms() + timeout_ms;

	for (;;) {
		int rc = cr_conn_recv(c, f);

		if (rc != -EAGAIN)
			return rc > 0 ? 0 : rc;
		/* GnuTLS may want to write (a key update) before it can read. */
		rc = cr_conn_wait(c, gnutls_record_get_direction(c->session) ? POLLOUT : POLLIN,
				  deadline);
		if (rc < 0)
			return rc;
	}
}
