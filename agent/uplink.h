/* The connection to the archive: the common client connection (tls_client.h) with the device
 * certificate, driven by the agent's epoll loop. It sends HELLO, waits for HELLO_OK, then sends every
 * spooled frame that is not acknowledged (per call in seq order, a bounded window of unacked
 * bytes) and deletes frames as their ACKs arrive. Any failure closes the connection and
 * reconnects with exponential backoff and full jitter (backoff.h). The TLS session of the
 * last connection is kept (gnutls_session_get_data2) and offered on the next handshake, so a
 * reconnect resumes with a session ticket instead of a full handshake while the archive still
 * holds the ticket key (it does not across its own restart: then a full handshake follows). */
#ifndef CALLREC_AGENT_UPLINK_H
#define CALLREC_AGENT_UPLINK_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "evsrc.h"
#include "spool.h"
#include "tls_client.h"

#define CR_UPLINK_WINDOW (4u * 1024u * 1024u)
#define CR_UPLINK_BACKOFF_MIN_MS 500
#define CR_UPLINK_BACKOFF_MAX_MS 30000
#define CR_UPLINK_SETUP_TIMEOUT_NS 10000000000ULL
#define CR_UPLINK_HEARTBEAT_NS 30000000000ULL
#define CR_UPLINK_ACK_TIMEOUT_NS 60000000000ULL /* frames in flight, archive silent: reconnect */

enum cr_uplink_state { CR_UP_IDLE, CR_UP_CONNECTING, CR_UP_HANDSHAKE, CR_UP_HELLO, CR_UP_READY };

struct cr_uplink {
	struct cr_evsrc src; /* fd of the current connection, -1 when none */
	int epfd;
	uint32_t watched;    /* epoll events currently registered */
	enum cr_uplink_state state;
	struct cr_spool *spool;
	char host[256], port[16];
	struct cr_tls_client tls; /* device certificate, fleet CA, the archive's name */
	struct cr_conn conn;
	uint64_t next_attempt_ns, deadline_ns;
	uint64_t last_rx_ns; /* last frame from the archive */
	struct cr_backoff backoff;
	gnutls_datum_t resume;    /* session data of the last connection (gnutls_free'd) */
	uint64_t resumed;         /* connections that resumed a session */
	char last_ack_call[2 * CR_CALL_ID_BYTES + 1]; /* last (call, seq) acknowledged */
	uint64_t last_ack_seq;
	char identity[CR_NAME_MAX]; /* our name as the archive read it from the certificate */
	/* send: one frame at a time */
	uint8_t *tx;
	size_t tx_len, tx_off;
	uint64_t inflight;        /* bytes sent and not yet answered */
	uint64_t acked_frames;    /* counters for status and heartbeats */
	uint64_t refused_frames;
	unsigned failures;        /* connection attempts failed since the last success */
	/* Heartbeat: JSON text (malloc'd) describing the agent's health, sent right after
	 * HELLO_OK and then every CR_UPLINK_HEARTBEAT_NS. */
	char *(*heartbeat)(void *ctx);
	void *heartbeat_ctx;
	uint64_t next_heartbeat_ns;
};

/* Load credentials (the files are checked now: a bad file is a configuration error).
 * 0 or negative errno. */
int cr_uplink_init(struct cr_uplink *u, int epfd, struct cr_spool *spool, const char *host,
		   const char *port, const char *server_name, const char *ca, const char *cert,
		   const char *key);
void cr_uplink_free(struct cr_uplink *u);

/* Periodic: connect when due, time out a stuck set-up, send newly spooled frames. */
void cr_uplink_tick(struct cr_uplink *u, uint64_t now_ns);
/* Something new was spooled: send it if the connection is ready. */
void cr_uplink_kick(struct cr_uplink *u);
/* Drop the connection now and reconnect at once (configuration reloaded). */
void cr_uplink_restart(struct cr_uplink *u);
/* Carry counters, the heartbeat hook and the TLS session over to a freshly initialised
 * uplink (configuration reload); `old` keeps nothing that cr_uplink_free would release
 * twice. */
void cr_uplink_carry_over(struct cr_uplink *fresh, struct cr_uplink *old);

static inline int cr_uplink_connected(const struct cr_uplink *u)
{
	return u->state == CR_UP_READY;
}

#endif
