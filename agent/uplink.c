/* Archive connection: see uplink.h. */
#include "uplink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "version.h"


#define RX_CAP (CR_FRAME_HDR + CR_FRAME_MAX_BODY)
#define TX_PIECE 16384

static void on_event(struct cr_evsrc *src, uint32_t events);

int cr_uplink_init(struct cr_uplink *u, int epfd, struct cr_spool *spool, const char *host,
		   const char *port, const char *server_name, const char *ca, const char *cert,
		   const char *key)
{
	int err;

	memset(u, 0, sizeof(*u));
	u->src.fd = -1;
	u->src.on_event = on_event;
	u->epfd = epfd;
	u->spool = spool;
	cr_backoff_init(&u->backoff, CR_UPLINK_BACKOFF_MIN_MS, CR_UPLINK_BACKOFF_MAX_MS);
	snprintf(u->host, sizeof(u->host), "%s", host);
	snprintf(u->port, sizeof(u->port), "%s", port);
	snprintf(u->server_name, sizeof(u->server_name), "%s", server_name);
	err = cr_tls_creds_load(&u->creds, ca, cert, key, NULL);
	if (err)
		return err;
	u->rx = malloc(RX_CAP);
	if (!u->rx) {
		gnutls_certificate_free_credentials(u->creds);
		return -ENOMEM;
	}
	u->rx_cap = RX_CAP;
	return 0;
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
	if (u->session) {
		gnutls_deinit(u->session);
		u->session = NULL;
	}
	if (u->src.fd >= 0) {
		if (u->watched)
			epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->src.fd, NULL);
		close(u->src.fd);
	}
	u->src.fd = -1;
	u->watched = 0;
	free(u->tx);
	u->tx = NULL;
	u->tx_len = u->tx_off = 0;
	u->rx_len = 0;
	u->inflight = 0;
	u->state = CR_UP_IDLE;
	delay = cr_backoff_next(&u->backoff, cr_backoff_random());
	cr_debug("archive: next attempt in %u ms", delay);
	u->next_attempt_ns = cr_now_ns() + (uint64_t)delay * 1000000ULL;
}

void cr_uplink_free(struct cr_uplink *u)
{
	if (u->state != CR_UP_IDLE || u->src.fd >= 0) {
		if (u->session && u->state == CR_UP_READY)
			gnutls_bye(u->session, GNUTLS_SHUT_WR); /* best effort, non-blocking */
		u->state = CR_UP_IDLE;
		disconnect(u, "agent stopping");
	}
	if (u->creds)
		gnutls_certificate_free_credentials(u->creds);
	if (u->resume.data)
		gnutls_free(u->resume.data);
	free(u->rx);
	memset(u, 0, sizeof(*u));
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

static int is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void start_connect(struct cr_uplink *u, uint64_t now_ns)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int fd = -1, rc, one = 1;

	u->state = CR_UP_CONNECTING;
	u->deadline_ns = now_ns + CR_UPLINK_SETUP_TIMEOUT_NS;
	/* Blocking resolution; configurations normally name an address. */
	rc = getaddrinfo(u->host, u->port, &hints, &ai);
	if (rc) {
		disconnect(u, gai_strerror(rc));
		return;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		disconnect(u, strerror(errno));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	u->src.fd = fd;
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0 && errno != EINPROGRESS) {
		disconnect(u, strerror(errno));
		return;
	}
	cr_debug("archive: connecting to %s:%s", u->host, u->port);
	set_watch(u, EPOLLOUT);
}

static int start_tls(struct cr_uplink *u)
{
	int rc = gnutls_init(&u->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);

	if (rc < 0)
		return rc;
	rc = gnutls_priority_set_direct(u->session, CR_TLS_PRIORITY, NULL);
	if (rc < 0)
		return rc;
	rc = gnutls_credentials_set(u->session, GNUTLS_CRD_CERTIFICATE, u->creds);
	if (rc < 0)
		return rc;
	/* SNI carries DNS names only; the certificate check below uses server_name anyway. */
	if (!is_ip_literal(u->server_name))
		gnutls_server_name_set(u->session, GNUTLS_NAME_DNS, u->server_name,
				       strlen(u->server_name));
	/* Offer the last session: the archive resumes it if it still holds the ticket key. */
	if (u->resume.data && gnutls_session_set_data(u->session, u->resume.data, u->resume.size) < 0)
		cr_debug("archive: stored TLS session not usable; full handshake");
	gnutls_transport_set_int(u->session, u->src.fd);
	u->state = CR_UP_HANDSHAKE;
	return 0;
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
	char json[128];
	uint8_t body[2 + sizeof(json)];
	int n = snprintf(json, sizeof(json), "{\"software\":\"callrec-agent %s\"}", CR_VERSION);

	cr_put_u16(body, CR_ROLE_DEVICE);
	memcpy(body + 2, json, (size_t)n);
	return queue_frame(u, CR_F_HELLO, body, 2 + (size_t)n);
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
		size_t piece = u->tx_len - u->tx_off;
		if (piece > TX_PIECE)
			piece = TX_PIECE;
		ssize_t n = gnutls_record_send(u->session, u->tx + u->tx_off, piece);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			set_watch(u, EPOLLIN | EPOLLOUT);
			return 0;
		}
		if (n < 0) {
			disconnect(u, gnutls_strerror((int)n));
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

static void save_session(struct cr_uplink *u)
{
	gnutls_datum_t d = { NULL, 0 };

	if (!(gnutls_session_get_flags(u->session) & GNUTLS_SFLAGS_SESSION_TICKET))
		return; /* no ticket (yet): keep what we had */
	if (gnutls_session_get_data2(u->session, &d) < 0 || !d.data)
		return;
	if (u->resume.data)
		gnutls_free(u->resume.data);
	u->resume = d;
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
	save_session(u);
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
		uint32_t code = f->length >= 4 ? cr_get_u32(f->body) : 0;
		size_t n = f->length > 4 ? f->length - 4 : 0;
		if (n > sizeof(msg) - 1)
			n = sizeof(msg) - 1;
		for (size_t i = 0; i < n; i++) /* printable only: this goes to the log */
			msg[i] = f->body[4 + i] >= 0x20 && f->body[4 + i] < 0x7f ? (char)f->body[4 + i] : '?';
		msg[n] = 0;
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
		ssize_t n = gnutls_record_recv(u->session, u->rx + u->rx_len, u->rx_cap - u->rx_len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return;
		if (n == 0) {
			disconnect(u, "closed by the archive");
			return;
		}
		if (n < 0) {
			disconnect(u, gnutls_strerror((int)n));
			return;
		}
		u->rx_len += (size_t)n;
		size_t off = 0;
		for (;;) {
			struct cr_frame f;
			long used = cr_frame_parse(u->rx + off, u->rx_len - off, &f);
			if (used < 0) {
				disconnect(u, "protocol error from the archive");
				return;
			}
			if (used == 0)
				break;
			off += (size_t)used;
			u->last_rx_ns = cr_now_ns();
			if (handle_frame(u, &f))
				return;
		}
		memmove(u->rx, u->rx + off, u->rx_len - off);
		u->rx_len -= off;
	}
}

static void continue_handshake(struct cr_uplink *u)
{
	char cn[CR_NAME_MAX], ou[CR_NAME_MAX];
	int rc = gnutls_handshake(u->session);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		set_watch(u, gnutls_record_get_direction(u->session) ? EPOLLOUT : EPOLLIN);
		return;
	}
	if (rc < 0) {
		disconnect(u, gnutls_strerror(rc));
		return;
	}
	if (cr_tls_peer_identity(u->session, u->server_name, cn, ou)) {
		disconnect(u, "archive certificate refused");
		return;
	}
	if (strcmp(ou, CR_OU_ARCHIVE)) {
		disconnect(u, "peer certificate is not an archive's (OU)");
		return;
	}
	if (gnutls_session_is_resumed(u->session)) {
		u->resumed++;
		cr_info("archive: TLS session resumed (%llu so far)", (unsigned long long)u->resumed);
	} else {
		cr_debug("archive: TLS up with %s (full handshake)", cn);
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

	if (u->state == CR_UP_CONNECTING) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(src->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			disconnect(u, strerror(soerr));
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (start_tls(u) < 0) {
			disconnect(u, "TLS set-up failed");
			return;
		}
	}
	if (u->state == CR_UP_HANDSHAKE) {
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
