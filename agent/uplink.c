/* Archive connection: see uplink.h. */
#include "uplink.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "frame.h"
#include "log.h"
#include "version.h"

static void on_event(struct cr_evsrc *src, uint32_t events);

int cr_uplink_init(struct cr_uplink *u, int epfd, struct cr_spool *spool, const char *host,
		   const char *port, const char *server_name, const char *ca, const char *cert,
		   const char *key)
{
	memset(u, 0, sizeof(*u));
	cr_conn_init(&u->conn);
	u->src.fd = -1;
	u->src.on_event = on_event;
	u->epfd = epfd;
	u->spool = spool;
	cr_backoff_init(&u->backoff, CR_UPLINK_BACKOFF_MIN_MS, CR_UPLINK_BACKOFF_MAX_MS);
	snprintf(u->host, sizeof(u->host), "%s", host);
	snprintf(u->port, sizeof(u->port), "%s", port);
	return cr_tls_client_init(&u->tls, ca, cert, key, server_name, NULL);
}

static void set_watch(struct cr_uplink *u, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &u->src };

	if (u->src.fd < 0 || events == u->watched)
		return;
	if (epoll_ctl(u->epfd, u->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, u->src.fd, &ev) == 0)
		u->watched = events;
	else
		cr_err("archive: epoll_ctl: %s", strerror(errno));
}

/* Close the connection; everything in flight will be sent again on the next one. */
static void disconnect(struct cr_uplink *u, const char *why)
{
	unsigned delay;

	if (u->state == CR_UP_READY)
		cr_warn("archive disconnected: %s", why);
	else if (u->state != CR_UP_IDLE)
		/* The first failure is news; the retries that follow are not. */
		cr_log(u->failures++ ? CR_LOG_DEBUG : CR_LOG_WARNING,
		       "archive connection to %s:%s failed: %s", u->host, u->port, why);
	if (u->src.fd >= 0 && u->watched)
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->src.fd, NULL);
	cr_conn_close(&u->conn, 0);
	u->src.fd = -1;
	u->watched = 0;
	free(u->tx);
	u->tx = NULL;
	u->tx_len = u->tx_off = 0;
	u->inflight = 0;
	u->state = CR_UP_IDLE;
	delay = cr_backoff_next(&u->backoff, cr_backoff_random());
	cr_debug("archive: next attempt in %u ms", delay);
	u->next_attempt_ns = cr_now_ns() + (uint64_t)delay * 1000000ULL;
}

void cr_uplink_free(struct cr_uplink *u)
{
	if (u->state != CR_UP_IDLE || u->src.fd >= 0) {
		if (u->state == CR_UP_READY)
			gnutls_bye(u->conn.session, GNUTLS_SHUT_WR); /* best effort, non-blocking */
		u->state = CR_UP_IDLE;
		disconnect(u, "agent stopping");
	}
	cr_tls_client_free(&u->tls);
	if (u->resume.data)
		gnutls_free(u->resume.data);
	memset(u, 0, sizeof(*u));
	cr_conn_init(&u->conn);
	u->src.fd = -1;
}

void cr_uplink_restart(struct cr_uplink *u)
{
	if (u->state != CR_UP_IDLE)
		disconnect(u, "configuration reloaded");
	cr_backoff_reset(&u->backoff);
	u->next_attempt_ns = 0;
}

void cr_uplink_carry_over(struct cr_uplink *fresh, struct cr_uplink *old)
{
	fresh->heartbeat = old->heartbeat;
	fresh->heartbeat_ctx = old->heartbeat_ctx;
	fresh->acked_frames = old->acked_frames;
	fresh->refused_frames = old->refused_frames;
	fresh->resumed = old->resumed;
	fresh->last_ack_seq = old->last_ack_seq;
	memcpy(fresh->last_ack_call, old->last_ack_call, sizeof(fresh->last_ack_call));
	if (!fresh->resume.data) {
		fresh->resume = old->resume;
		old->resume.data = NULL;
		old->resume.size = 0;
	}
}

/* The connection's socket is the one epoll watches; connect attempts may replace it. */
static void follow_fd(struct cr_uplink *u)
{
	if (u->src.fd == u->conn.fd)
		return;
	if (u->src.fd >= 0 && u->watched)
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->src.fd, NULL); /* usually closed already */
	u->src.fd = u->conn.fd;
	u->watched = 0;
}

static void start_connect(struct cr_uplink *u, uint64_t now_ns)
{
	u->state = CR_UP_CONNECTING;
	u->deadline_ns = now_ns + CR_UPLINK_SETUP_TIMEOUT_NS;
	/* The last session is offered: the archive resumes it if it still holds the ticket key. */
	if (cr_conn_start(&u->conn, &u->tls, u->host, u->port, &u->resume) < 0) {
		disconnect(u, u->conn.why);
		return;
	}
	follow_fd(u);
	cr_debug("archive: connecting to %s:%s", u->host, u->port);
	set_watch(u, EPOLLOUT);
}

/* Queue a frame built here (HELLO); the spool is the source of everything else. */
static int queue_frame(struct cr_uplink *u, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t *f = malloc(CR_FRAME_HDR + len);

	if (!f)
		return -ENOMEM;
	cr_frame_put_hdr(f, type, (uint32_t)len);
	memcpy(f + CR_FRAME_HDR, body, len);
	u->tx = f;
	u->tx_len = CR_FRAME_HDR + len;
	u->tx_off = 0;
	return 0;
}

static int send_hello(struct cr_uplink *u)
{
	uint8_t body[128];
	size_t n = cr_hello_body(body, sizeof(body), CR_ROLE_DEVICE, "callrec-agent " CR_VERSION);

	return queue_frame(u, CR_F_HELLO, body, n);
}

/* Next spooled frame to send, round-robin over calls, seq order within a call. */
static int next_from_spool(struct cr_uplink *u)
{
	struct cr_spool_call *c;
	uint8_t *buf;
	size_t len;

	if (u->inflight >= CR_UPLINK_WINDOW)
		return 0;
	for (c = u->spool->calls; c; c = c->next) {
		for (size_t i = 0; i < c->n; i++) {
			struct cr_spool_entry *e = &c->e[i];
			if (e->acked || e->send != CR_SEND_PENDING)
				continue;
			int err = cr_spool_read(u->spool, c, e, &buf, &len);
			if (err) {
				cr_err("spool: cannot read %s/%llu.frame: %s", c->hex,
				       (unsigned long long)e->seq, strerror(-err));
				e->send = CR_SEND_REFUSED; /* try again on the next connection */
				continue;
			}
			/* Never send a chunk altered on disk: the archive would refuse it forever. */
			err = cr_spool_check_chunk(u->spool, c, i, buf, len);
			if (err) {
				free(buf);
				if (err > 0) {
					i--; /* quarantined: entry i is now the next one (wraps to 0 fine) */
					continue;
				}
				e->send = CR_SEND_REFUSED;
				continue;
			}
			e->send = CR_SEND_INFLIGHT;
			u->inflight += e->bytes;
			u->tx = buf;
			u->tx_len = len;
			u->tx_off = 0;
			/* Move this call to the end so other calls get their turn. */
			if (c->next) {
				struct cr_spool_call **p = &u->spool->calls;
				while (*p != c)
					p = &(*p)->next;
				*p = c->next;
				c->next = NULL;
				while (*p)
					p = &(*p)->next;
				*p = c;
			}
			return 1;
		}
	}
	return 0;
}

/* Write as much as the socket takes. Returns 0, or -1 after disconnecting. */
static int pump_tx(struct cr_uplink *u)
{
	for (;;) {
		if (!u->tx && u->state == CR_UP_READY && u->heartbeat &&
		    cr_now_ns() >= u->next_heartbeat_ns) {
			char *json = u->heartbeat(u->heartbeat_ctx);
			u->next_heartbeat_ns = cr_now_ns() + CR_UPLINK_HEARTBEAT_NS;
			if (json && strlen(json) <= CR_FRAME_MAX_JSON)
				queue_frame(u, CR_F_HEARTBEAT, (const uint8_t *)json, strlen(json));
			free(json);
		}
		if (!u->tx) {
			if (u->state != CR_UP_READY || !next_from_spool(u))
				break;
		}
		ssize_t n = cr_conn_write(&u->conn, u->tx + u->tx_off, u->tx_len - u->tx_off);
		if (n == -EAGAIN) {
			set_watch(u, EPOLLIN | EPOLLOUT);
			return 0;
		}
		if (n < 0) {
			disconnect(u, u->conn.why);
			return -1;
		}
		u->tx_off += (size_t)n;
		if (u->tx_off == u->tx_len) {
			free(u->tx);
			u->tx = NULL;
		}
	}
	set_watch(u, EPOLLIN);
	return 0;
}

static void on_ack(struct cr_uplink *u, const uint8_t *body, size_t len)
{
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	struct cr_spool_call *c;
	struct cr_spool_entry *e;
	uint64_t seq;
	uint32_t status;

	if (len != CR_IDSEQ_WIRE + 4) {
		disconnect(u, "malformed ACK");
		return;
	}
	memcpy(id, body, sizeof(id));
	seq = cr_get_u64(body + CR_CALL_ID_BYTES);
	status = cr_get_u32(body + CR_IDSEQ_WIRE);
	cr_id_to_hex(id, hex);
	e = cr_spool_find(u->spool, id, seq, &c);
	if (!e) {
		cr_debug("archive: ACK for unknown %s/%llu", hex, (unsigned long long)seq);
		return;
	}
	if (e->send == CR_SEND_INFLIGHT)
		u->inflight -= u->inflight >= e->bytes ? e->bytes : u->inflight;
	if (status == CR_ACK_OK) {
		u->acked_frames++;
		memcpy(u->last_ack_call, hex, sizeof(u->last_ack_call));
		u->last_ack_seq = seq;
		cr_debug("archive: ACK %s/%llu", hex, (unsigned long long)seq);
		if (e->type == CR_F_CALL_CLOSE)
			cr_info("call %s: archived", hex);
		cr_spool_ack(u->spool, id, seq);
		return;
	}
	/* Kept in the spool and offered again on the next connection, not in a loop now. */
	static const char *const why[] = { "ok", "conflict: stored with other content",
					   "hash chain does not verify", "forbidden",
					   "invalid" };
	cr_err("archive refused %s/%llu: %s (status %u); kept in the spool", hex,
	       (unsigned long long)seq, status < 5 ? why[status] : "unknown", status);
	u->refused_frames++;
	e->send = CR_SEND_REFUSED;
}

static void on_hello_ok(struct cr_uplink *u, const uint8_t *body, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loadb((const char *)body, len, 0, &jerr);
	const char *id = o ? json_string_value(json_object_get(o, "identity")) : NULL;

	if (!id) {
		json_decref(o);
		disconnect(u, "malformed HELLO_OK");
		return;
	}
	snprintf(u->identity, sizeof(u->identity), "%s", id);
	json_decref(o);
	u->state = CR_UP_READY;
	cr_backoff_reset(&u->backoff);
	u->failures = 0;
	/* TLS 1.3 tickets arrive after the handshake; by the archive's first frame the ticket
	 * has been read, so the session data now carries it. */
	cr_conn_save_session(&u->conn, &u->resume);
	u->next_heartbeat_ns = 0; /* one now, so the archive sees the backlog at once */
	cr_spool_reset_sending(u->spool);
	u->inflight = 0;
	u->last_rx_ns = cr_now_ns();
	cr_notice("archive connected: %s:%s, this device is \"%s\"", u->host, u->port,
		  u->identity);
}

/* Returns 0, or -1 after disconnecting. */
static int handle_frame(struct cr_uplink *u, const struct cr_frame *f)
{
	switch (f->type) {
	case CR_F_HELLO_OK:
		if (u->state != CR_UP_HELLO) {
			disconnect(u, "unexpected HELLO_OK");
			return -1;
		}
		on_hello_ok(u, f->body, f->length);
		break;
	case CR_F_ACK:
		if (u->state != CR_UP_READY) {
			disconnect(u, "ACK before HELLO_OK");
			return -1;
		}
		on_ack(u, f->body, f->length);
		break;
	case CR_F_ERROR: {
		char msg[256];
		uint32_t code = cr_error_text(f, msg, sizeof(msg));

		cr_err("archive error %u: %s", code, msg);
		disconnect(u, "archive reported an error");
		return -1;
	}
	default:
		disconnect(u, "unexpected frame type from the archive");
		return -1;
	}
	return u->state == CR_UP_IDLE ? -1 : 0;
}

static void pump_rx(struct cr_uplink *u)
{
	for (;;) {
		struct cr_frame f;
		int rc = cr_conn_recv(&u->conn, &f);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			disconnect(u, rc == -ECONNRESET ? "closed by the archive"
				      : rc == -EPROTO  ? "protocol error from the archive"
						       : u->conn.why);
			return;
		}
		u->last_rx_ns = cr_now_ns();
		if (handle_frame(u, &f))
			return;
	}
}

static void continue_handshake(struct cr_uplink *u)
{
	int rc = cr_conn_handshake(&u->conn);

	follow_fd(u);
	if (rc == -EAGAIN) {
		u->state = u->conn.state == CR_CONN_HANDSHAKE ? CR_UP_HANDSHAKE : CR_UP_CONNECTING;
		set_watch(u, (uint32_t)cr_conn_events(&u->conn));
		return;
	}
	if (rc < 0) {
		disconnect(u, rc == -EACCES  ? "archive certificate refused"
			      : rc == -EPERM ? "peer certificate is not an archive's (OU)"
					     : u->conn.why);
		return;
	}
	if (cr_conn_resumed(&u->conn)) {
		u->resumed++;
		cr_info("archive: TLS session resumed (%llu so far)", (unsigned long long)u->resumed);
	} else {
		cr_debug("archive: TLS up with %s (full handshake)", u->conn.peer_cn);
	}
	u->state = CR_UP_HELLO;
	if (send_hello(u)) {
		disconnect(u, "out of memory");
		return;
	}
	pump_tx(u);
}

static void on_event(struct cr_evsrc *src, uint32_t events)
{
	struct cr_uplink *u = (struct cr_uplink *)src;

	if (u->state == CR_UP_CONNECTING || u->state == CR_UP_HANDSHAKE) {
		continue_handshake(u);
		return;
	}
	if (u->state == CR_UP_HELLO || u->state == CR_UP_READY) {
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			pump_rx(u);
		if (u->state != CR_UP_IDLE)
			pump_tx(u);
	}
}

void cr_uplink_kick(struct cr_uplink *u)
{
	if (u->state == CR_UP_READY && !u->tx)
		pump_tx(u);
}

void cr_uplink_tick(struct cr_uplink *u, uint64_t now_ns)
{
	switch (u->state) {
	case CR_UP_IDLE:
		if (now_ns >= u->next_attempt_ns)
			start_connect(u, now_ns);
		break;
	case CR_UP_CONNECTING:
	case CR_UP_HANDSHAKE:
	case CR_UP_HELLO:
		if (now_ns >= u->deadline_ns)
			disconnect(u, "timed out");
		break;
	case CR_UP_READY:
		/* An archive that takes frames but never answers is as good as gone. */
		if (u->inflight && now_ns - u->last_rx_ns > CR_UPLINK_ACK_TIMEOUT_NS) {
			disconnect(u, "no acknowledgement for 60 s");
			break;
		}
		cr_uplink_kick(u);
		break;
	}
}
