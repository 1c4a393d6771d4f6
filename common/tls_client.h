/* The client side of a connection to callrec-archived: TCP, TLS 1.3 with mutual certificates,
 * then frames (frame.h) both ways. The agent's uplink, the operator tool, the test programs and
 * the load generators all connect with this; the archive's server side is its own.
 *
 * The socket is always non-blocking. Two ways to drive it:
 *  - From an event loop: cr_conn_start(), then on each readiness event cr_conn_handshake()
 *    until it returns 0; then cr_conn_write() and cr_conn_recv() until they return -EAGAIN.
 *    cr_conn_events() says what to wait for (POLLIN/POLLOUT, the same bits as EPOLLIN/EPOLLOUT).
 *    The caller keeps its own deadlines.
 *  - Blocking, with a timeout per call: cr_conn_open(), cr_conn_send_frame(),
 *    cr_conn_recv_frame().
 *
 * A failed call returns a negative errno and leaves the reason, readable by a person, in
 * c->why; the connection is then unusable and is released with cr_conn_close(). */
#ifndef CALLREC_TLS_CLIENT_H
#define CALLREC_TLS_CLIENT_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame.h"
#include "tls.h"

/* What every connection of one client shares; read-only once set up, so threads may share it. */
struct cr_tls_client {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t priority;
	char server_name[256]; /* sent as SNI when it is a DNS name; checked in the certificate */
	int verify;            /* check the server's certificate after the handshake (default 1):
				* fleet CA, server_name, OU = peer_ou */
	const char *peer_ou;   /* the OU the server's certificate must carry (CR_OU_ARCHIVE) */
};

/* ca: the fleet CA; cert and key: ours (both NULL: present none, as refusal tests do);
 * server_name: see above; priority: a GnuTLS priority string, NULL for CR_TLS_PRIORITY.
 * 0 or a negative errno (the reason logged). */
int cr_tls_client_init(struct cr_tls_client *tc, const char *ca, const char *cert,
		       const char *key, const char *server_name, const char *priority);
void cr_tls_client_free(struct cr_tls_client *tc);

enum cr_conn_state { CR_CONN_CLOSED, CR_CONN_CONNECTING, CR_CONN_HANDSHAKE, CR_CONN_OPEN };

struct cr_conn {
	int fd;
	enum cr_conn_state state; /* where it is, or where it failed */
	gnutls_session_t session;
	const struct cr_tls_client *tc;
	struct addrinfo *addrs, *next_addr; /* resolved server addresses, the next to try */
	gnutls_datum_t resume;              /* session to offer (a copy), empty for none */
	char peer_cn[CR_NAME_MAX], peer_ou[CR_NAME_MAX]; /* the server, once verified */
	char why[512];                      /* reason of the last failure */
	uint8_t *rx;                        /* received bytes: rx[rx_start..rx_len) not returned */
	size_t rx_start, rx_len, rx_cap;
	size_t tx_again;                    /* a record GnuTLS has not finished sending */
};

/* A closed connection (fd -1); cr_conn_close() on it is a no-op. */
void cr_conn_init(struct cr_conn *c);

/* Resolve host:port and start a non-blocking TCP connect; c is closed (cr_conn_init or
 * cr_conn_close) and holds nothing to free. `resume`: session data saved from an
 * earlier connection (cr_conn_save_session), offered so that the server can resume it without
 * a full handshake; NULL or empty for none. 0, or a negative errno with c closed (its state
 * says CR_CONN_CLOSED) and the reason in c->why. */
int cr_conn_start(struct cr_conn *c, const struct cr_tls_client *tc, const char *host,
		  const char *port, const gnutls_datum_t *resume);
/* Advance the connect (trying the next address on failure) and the TLS handshake, then verify
 * the server. 0: open; -EAGAIN: wait for cr_conn_events(); otherwise failed: -EACCES when the
 * server's certificate is not trusted for server_name, -EPERM when it is not a peer_ou's
 * (c->peer_cn and c->peer_ou say whose it is), other errnos for the network and TLS. */
int cr_conn_handshake(struct cr_conn *c);
/* POLLIN and/or POLLOUT: what the connection waits for. */
short cr_conn_events(const struct cr_conn *c);

/* Send bytes (already framed). Returns how many GnuTLS took (at most one TLS record), or
 * -EAGAIN when the socket is full: call again later, with the same bytes still in place
 * (GnuTLS holds the record it started); or another negative errno. */
ssize_t cr_conn_write(struct cr_conn *c, const void *p, size_t n);
/* Next complete frame: 1 with *f (its body valid until the next call); -EAGAIN when no whole
 * frame is in yet; -ECONNRESET when the server closed; -EPROTO on a malformed frame; -EIO. Call
 * until -EAGAIN before waiting for POLLIN again: GnuTLS may hold decrypted data. */
int cr_conn_recv(struct cr_conn *c, struct cr_frame *f);
/* Bytes as they come, for a peer that does not speak frames (a plain TLS echo server that load
 * tests compare the archive with): >0 bytes, -EAGAIN, -ECONNRESET or -EIO. Not mixed with
 * cr_conn_recv() on one connection. */
ssize_t cr_conn_read(struct cr_conn *c, void *buf, size_t n);
/* Bytes received and not yet given out as frames, or held decrypted by GnuTLS. */
int cr_conn_pending(const struct cr_conn *c);

/* The handshake resumed the offered session. */
int cr_conn_resumed(const struct cr_conn *c);
/* Keep this connection's session for the next one: when the server sent a TLS 1.3 ticket,
 * replace *saved (gnutls_free'd) with it and return 1; 0 when there is none (yet). Tickets
 * arrive after the handshake: by the server's first frame they have been read. */
int cr_conn_save_session(struct cr_conn *c, gnutls_datum_t *saved);

/* Close (with a best-effort TLS close_notify when `bye` and open) and free everything; the
 * connection is closed and may be started again. */
void cr_conn_close(struct cr_conn *c, int bye);

/* Blocking use, each call bounded by timeout_ms. */
int cr_conn_open(struct cr_conn *c, const struct cr_tls_client *tc, const char *host,
		 const char *port, const gnutls_datum_t *resume, int timeout_ms);
/* Header and body in one TLS record where they fit. 0, -ETIMEDOUT or another negative errno. */
int cr_conn_send_frame(struct cr_conn *c, uint8_t type, const void *body, size_t len,
		       int timeout_ms);
/* Next frame (body valid until the next receive). 0, -ETIMEDOUT, or cr_conn_recv's errors. */
int cr_conn_recv_frame(struct cr_conn *c, struct cr_frame *f, int timeout_ms);
/* Wait until the socket is ready for `events` or the monotonic deadline (ms) passes: 0 or
 * -ETIMEDOUT. */
int cr_conn_wait(struct cr_conn *c, short events, int64_t deadline_ms);

#endif
