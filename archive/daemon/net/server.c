/* Event loop, TLS and group commit. See server.h.
 *
 * Each turn: wait for events; accept; advance handshakes; read and parse what arrived (valid
 * chunks are written to the segment and staged); then one commit for everything staged (one
 * fdatasync, one transaction); then the ACKs; then write what each connection has queued.
 * Connections that end during a turn are freed only after the commit, so a staged item's tag
 * stays valid until its ACK is dispatched. */
#include "net/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "log.h"
#include "net/conn.h"
#include "ops/request.h"
#include "record/assemble.h"
#include "tls.h"
#include "worker.h"

#define HANDSHAKE_TIMEOUT_MS 10000
#define HELLO_TIMEOUT_MS 10000
#define IDLE_TIMEOUT_MS (15 * 60 * 1000)
#define READ_BUDGET (512u * 1024u) /* per connection per turn: fairness */
#define SEND_PIECE 16384u
#define MAX_EVENTS 512
/* TLS 1.3 session tickets: a reconnecting agent resumes instead of a full handshake (after an
 * archive restart every agent reconnects at once). Clients must read past the NewSessionTicket that follows the handshake
 * (the operator tool's recv_some() does). */
#ifndef AD_SESSION_TICKETS
#define AD_SESSION_TICKETS 1
#endif

/* Credentials are shared by reference: sessions keep the set they started with across a
 * SIGHUP reload, which takes effect for new connections. */
struct creds {
	gnutls_certificate_credentials_t x509;
	int refs;
};

struct peer {
	struct ad_conn conn; /* first: the store's tag is &peer->conn */
	int fd;
	gnutls_session_t tls;
	struct creds *creds;
	int handshaking;
	int dead;
	int queued;          /* on the ready list (unprocessed input) */
	size_t inflight;     /* size of a send that returned GNUTLS_E_AGAIN */
	uint32_t events;     /* registered with epoll */
	int64_t deadline;    /* ms (monotonic) when it is dropped without activity */
	char addr[64];
	struct peer *prev, *next;   /* all peers */
	struct peer *ready_next;    /* ready list */
	int dirty;                  /* on the dirty list (output to send this turn) */
	struct peer *dirty_next;
	struct peer *dead_next;     /* to free after the commit */
};

struct ad_server {
	const struct ad_config *cfg;
	char *config_path;
	struct ad_roles *roles;   /* main's; reloaded on SIGHUP */
	struct ad_archive ar;     /* the handles this server owns */
	struct ad_worker *worker; /* NULL: assemble in the loop (fallback) */
	struct creds *creds;
	gnutls_priority_t prio;
	gnutls_datum_t ticket_key;
	int ep, lfd, sfd;
	int listen_paused;
	char address[300];
	struct peer *peers, *ready, *dead, *dirty;
	size_t npeers;
	int stop;
};

static void creds_put(struct creds *c)
{
	if (c && --c->refs == 0) {
		gnutls_certificate_free_credentials(c->x509);
		free(c);
	}
}

static int creds_load(const struct ad_config *cfg, struct creds **out)
{
	struct creds *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	rc = cr_tls_creds_load(&c->x509, cfg->ca, cfg->cert, cfg->key, cfg->crl);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->refs = 1;
	*out = c;
	return 0;
}

/* --- listening -------------------------------------------------------------------------- */

static int listen_on(struct ad_server *srv)
{
	const struct ad_config *cfg = srv->cfg;
	struct addrinfo hints = { /* any address family */ .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV];
	int rc, one = 1;

	rc = getaddrinfo(strcmp(cfg->host, "*") == 0 ? NULL : cfg->host, cfg->port, &hints, &res);
	if (rc != 0) {
		cr_err("listen %s: %s", cfg->listen, gai_strerror(rc));
		return -EINVAL;
	}
	rc = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0) {
			srv->lfd = fd;
			rc = 0;
			break;
		}
		rc = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (rc < 0) {
		cr_err("listen %s: %s", cfg->listen, strerror(-rc));
		return rc;
	}
	getsockname(srv->lfd, (struct sockaddr *)&ss, &sl);
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(srv->address, sizeof(srv->address), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, port);
	return 0;
}

static int ep_ctl(struct ad_server *srv, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(srv->ep, op, fd, &ev) < 0 ? -errno : 0;
}

static int setup_signals(struct ad_server *srv)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	srv->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return srv->sfd < 0 ? -errno : 0;
}

int ad_server_new(const struct ad_config *cfg, const char *config_path, struct ad_roles *roles,
		  struct ad_server **out)
{
	struct ad_server *srv = calloc(1, sizeof(*srv));
	int rc;

	if (!srv)
		return -ENOMEM;
	srv->ep = srv->lfd = srv->sfd = -1;
	srv->cfg = cfg;
	srv->roles = roles;
	srv->config_path = strdup(config_path ? config_path : "");
	rc = ad_archive_open(&srv->ar, cfg, roles);
	if (rc < 0)
		goto fail;
	rc = creds_load(cfg, &srv->creds);
	if (rc < 0)
		goto fail;
	if (gnutls_priority_init(&srv->prio, CR_TLS_PRIORITY, NULL) < 0 ||
	    gnutls_session_ticket_key_generate(&srv->ticket_key) < 0) {
		cr_err("TLS: cannot set up the priority string or ticket key");
		rc = -EINVAL;
		goto fail;
	}
	srv->ep = epoll_create1(EPOLL_CLOEXEC);
	if (srv->ep < 0) {
		rc = -errno;
		goto fail;
	}
	rc = setup_signals(srv);
	if (rc == 0)
		rc = listen_on(srv);
	if (rc == 0)
		rc = ep_ctl(srv, EPOLL_CTL_ADD, srv->lfd, EPOLLIN, &srv->lfd);
	if (rc == 0)
		rc = ep_ctl(srv, EPOLL_CTL_ADD, srv->sfd, EPOLLIN, &srv->sfd);
	if (rc < 0)
		goto fail;
	/* After the signal mask is set, so the worker inherits nothing to steal. */
	if (ad_worker_start(&srv->ar, &srv->worker) < 0) {
		cr_warn("no worker thread; assembling recordings in the event loop");
		srv->worker = NULL;
	}
	*out = srv;
	return 0;
fail:
	ad_server_free(srv);
	return rc;
}

const char *ad_server_address(const struct ad_server *srv)
{
	return srv->address;
}

/* --- peers ------------------------------------------------------------------------------ */

static void peer_kill(struct ad_server *srv, struct peer *p, const char *why)
{
	if (p->dead)
		return;
	if (why)
		cr_info("%s %s [%s]: closed: %s", p->conn.ou[0] ? p->conn.ou : "peer",
			p->conn.cn[0] ? p->conn.cn : "-", p->addr, why);
	p->dead = 1;
	epoll_ctl(srv->ep, EPOLL_CTL_DEL, p->fd, NULL);
	p->dead_next = srv->dead;
	srv->dead = p;
}

static void peer_free(struct ad_server *srv, struct peer *p)
{
	struct peer **q;

	if (p->queued)
		for (q = &srv->ready; *q; q = &(*q)->ready_next)
			if (*q == p) {
				*q = p->ready_next;
				break;
			}
	if (p->dirty)
		for (q = &srv->dirty; *q; q = &(*q)->dirty_next)
			if (*q == p) {
				*q = p->dirty_next;
				break;
			}
	ad_store_forget(srv->ar.store, &p->conn);
	if (p->prev)
		p->prev->next = p->next;
	else
		srv->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	srv->npeers--;
	gnutls_deinit(p->tls);
	creds_put(p->creds);
	close(p->fd);
	ad_conn_release(&p->conn);
	free(p);
}

static void update_events(struct ad_server *srv, struct peer *p)
{
	uint32_t want = 0;

	if (p->dead)
		return;
	if (p->handshaking)
		want = gnutls_record_get_direction(p->tls) ? EPOLLOUT : EPOLLIN;
	else {
		if (ad_conn_wants_input(&p->conn))
			want |= EPOLLIN;
		if (ad_buf_used(&p->conn.tx))
			want |= EPOLLOUT;
	}
	if (want != p->events && ep_ctl(srv, EPOLL_CTL_MOD, p->fd, want, p) == 0)
		p->events = want;
}

static void accept_all(struct ad_server *srv)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
		struct peer *p;
		int fd, one = 1;

		fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: stop accepting for a moment instead of spinning. */
				cr_err("accept: %m; pausing new connections");
				epoll_ctl(srv->ep, EPOLL_CTL_DEL, srv->lfd, NULL);
				srv->listen_paused = 1;
			}
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		p = calloc(1, sizeof(*p));
		if (!p || gnutls_init(&p->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0) {
			free(p);
			close(fd);
			continue;
		}
		ad_conn_init(&p->conn);
		p->fd = fd;
		p->creds = srv->creds;
		p->creds->refs++;
		p->handshaking = 1;
		p->deadline = cr_now_ms() + HANDSHAKE_TIMEOUT_MS;
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(p->addr, sizeof(p->addr), "%s:%s", host, port);
		gnutls_priority_set(p->tls, srv->prio);
		gnutls_credentials_set(p->tls, GNUTLS_CRD_CERTIFICATE, p->creds->x509);
		gnutls_certificate_server_set_request(p->tls, GNUTLS_CERT_REQUIRE);
		if (AD_SESSION_TICKETS)
			gnutls_session_ticket_enable_server(p->tls, &srv->ticket_key);
		gnutls_transport_set_int(p->tls, fd);
		gnutls_handshake_set_timeout(p->tls, 0);
		p->next = srv->peers;
		if (srv->peers)
			srv->peers->prev = p;
		srv->peers = p;
		srv->npeers++;
		p->events = EPOLLIN;
		if (ep_ctl(srv, EPOLL_CTL_ADD, fd, EPOLLIN, p) < 0) {
			p->dead = 1;
			p->dead_next = srv->dead;
			srv->dead = p;
		}
		cr_debug("connection from %s", p->addr);
	}
}

static void queue_ready(struct ad_server *srv, struct peer *p);

static void handshake(struct ad_server *srv, struct peer *p)
{
	char cn[CR_NAME_MAX], ou[CR_NAME_MAX];
	int rc = gnutls_handshake(p->tls);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		update_events(srv, p);
		return;
	}
	if (rc < 0) {
		cr_warn("refused %s: TLS handshake failed: %s", p->addr, gnutls_strerror(rc));
		peer_kill(srv, p, NULL);
		return;
	}
	/* Verified here, not by GnuTLS during the handshake: without a valid certificate the
	 * connection closes before a single frame is read. */
	if (cr_tls_peer_identity(p->tls, NULL, cn, ou) < 0) {
		cr_warn("refused %s: no valid client certificate", p->addr);
		peer_kill(srv, p, NULL);
		return;
	}
	if (ad_conn_set_identity(&p->conn, cn, ou) < 0) {
		cr_warn("refused %s: certificate CN '%s' OU '%s' is not a device or operator",
			p->addr, cn, ou);
		peer_kill(srv, p, NULL);
		return;
	}
	p->handshaking = 0;
	p->deadline = cr_now_ms() + HELLO_TIMEOUT_MS;
	cr_info("connection from %s: %s %s%s", p->addr, ou, cn,
		gnutls_session_is_resumed(p->tls) ? " (resumed)" : "");
	/* The client's first frames may already sit decrypted-ready inside GnuTLS. */
	if (gnutls_record_check_pending(p->tls))
		queue_ready(srv, p);
	update_events(srv, p);
}

static void queue_ready(struct ad_server *srv, struct peer *p)
{
	if (!p->queued) {
		p->queued = 1;
		p->ready_next = srv->ready;
		srv->ready = p;
	}
}

/* The peer has output (replies, ACKs, an export, a refusal) to send at the end of the turn. */
static void mark_dirty(struct ad_server *srv, struct peer *p)
{
	if (!p->dirty) {
		p->dirty = 1;
		p->dirty_next = srv->dirty;
		srv->dirty = p;
	}
}

static int has_output(const struct peer *p)
{
	return ad_buf_used(&p->conn.tx) || p->conn.closing || p->conn.exp;
}

/* Read what is available (up to a budget) and handle complete frames. */
static void peer_read(struct ad_server *srv, struct peer *p)
{
	size_t budget = READ_BUDGET;
	int rc;

	while (!p->dead && ad_conn_wants_input(&p->conn)) {
		struct ad_buf *rx = &p->conn.rx;
		size_t want = 16384;
		ssize_t n;

		if (ad_buf_used(rx) >= CR_FRAME_HDR) {
			size_t need = CR_FRAME_HDR + cr_get_u32(ad_buf_head(rx) + 4);
			if (need > ad_buf_used(rx) && need - ad_buf_used(rx) > want)
				want = need - ad_buf_used(rx);
		}
		if (want > CR_FRAME_HDR + CR_FRAME_MAX_BODY)
			want = CR_FRAME_HDR + CR_FRAME_MAX_BODY; /* the parser refuses it anyway */
		if (ad_buf_reserve(rx, want) < 0) {
			peer_kill(srv, p, "out of memory");
			return;
		}
		n = gnutls_record_recv(p->tls, ad_buf_tail(rx), want);
		if (n == GNUTLS_E_AGAIN)
			break;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == 0 || n < 0) {
			/* Frames that arrived before the end are still handled. */
			ad_conn_process(&p->conn, &srv->ar);
			peer_kill(srv, p, n == 0 ? "peer closed" : gnutls_strerror((int)n));
			return;
		}
		ad_buf_commit(rx, (size_t)n);
		p->deadline = cr_now_ms() + IDLE_TIMEOUT_MS;
		rc = ad_conn_process(&p->conn, &srv->ar);
		if (rc < 0) {
			peer_kill(srv, p, rc == -EMSGSIZE ? "oversized frame" : "protocol error");
			return;
		}
		if (has_output(p))
			mark_dirty(srv, p);
		if (ad_buf_used(rx) == 0)
			ad_buf_free(rx);
		if ((size_t)n >= budget) {
			queue_ready(srv, p); /* more may be buffered in GnuTLS or the socket */
			break;
		}
		budget -= (size_t)n;
	}
	if (!p->dead && gnutls_record_check_pending(p->tls) && ad_conn_wants_input(&p->conn))
		queue_ready(srv, p);
}

/* Send queued bytes until the socket would block. */
static void peer_write(struct ad_server *srv, struct peer *p)
{
	while (!p->dead) {
		struct ad_buf *tx = &p->conn.tx;
		size_t len;
		ssize_t n;

		if (!ad_buf_used(tx) && ad_conn_pump(&p->conn) < 0) {
			peer_kill(srv, p, "export failed");
			return;
		}
		if (!ad_buf_used(tx))
			break;
		len = p->inflight ? p->inflight : ad_buf_used(tx);
		if (len > SEND_PIECE)
			len = SEND_PIECE;
		n = gnutls_record_send(p->tls, ad_buf_head(tx), len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			p->inflight = len; /* GnuTLS wants the same call repeated */
			break;
		}
		p->inflight = 0;
		if (n < 0) {
			peer_kill(srv, p, gnutls_strerror((int)n));
			return;
		}
		ad_buf_consume(tx, (size_t)n);
		if (ad_buf_used(tx) < AD_EXPORT_LOW_WATER && ad_conn_pump(&p->conn) < 0) {
			peer_kill(srv, p, "export failed");
			return;
		}
	}
	if (p->dead)
		return;
	if (!ad_buf_used(&p->conn.tx) && p->conn.closing) {
		gnutls_bye(p->tls, GNUTLS_SHUT_WR);
		peer_kill(srv, p, "refused or failed");
		return;
	}
	/* An export waiting on backpressure may have left a request in rx. */
	if (!p->conn.exp && ad_buf_used(&p->conn.rx))
		queue_ready(srv, p);
	update_events(srv, p);
}

/* --- signals and timers ----------------------------------------------------------------- */

static void reload(struct ad_server *srv)
{
	struct cr_diags d;
	struct creds *c;

	cr_notice("SIGHUP: reloading roles and TLS credentials (CRL)");
	if (creds_load(srv->cfg, &c) == 0) {
		creds_put(srv->creds);
		srv->creds = c;
		cr_notice("TLS credentials reloaded");
	} else {
		cr_err("TLS credentials reload failed; keeping the previous ones");
	}
	if (srv->cfg->roles) {
		cr_diags_init(&d, srv->cfg->roles);
		if (ad_roles_load(srv->cfg->roles, srv->roles, &d) == 0) {
			cr_notice("roles reloaded: %zu operators", srv->roles->n);
		} else {
			cr_diags_print(&d, stderr);
			cr_err("roles reload failed; keeping the previous roles");
		}
	}
}

static void on_signal(struct ad_server *srv)
{
	struct signalfd_siginfo si;

	while (read(srv->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(srv);
		} else {
			cr_notice("signal %u: stopping after the current commit", si.ssi_signo);
			srv->stop = 1;
		}
	}
}

static void sweep(struct ad_server *srv)
{
	int64_t now = cr_now_ms();
	struct peer *p;

	for (p = srv->peers; p; p = p->next)
		if (!p->dead && now > p->deadline)
			peer_kill(srv, p, p->handshaking ? "handshake timeout" : "idle timeout");
	if (srv->listen_paused &&
	    ep_ctl(srv, EPOLL_CTL_ADD, srv->lfd, EPOLLIN, &srv->lfd) == 0)
		srv->listen_paused = 0;
}

/* --- the turn --------------------------------------------------------------------------- */

static void on_ack(void *arg, void *tag, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		   int status)
{
	struct peer *p = (struct peer *)tag; /* conn is the first member */

	if (!p->dead) {
		ad_conn_ack(&p->conn, id, seq, status);
		mark_dirty(arg, p);
	}
}

static void end_of_turn(struct ad_server *srv)
{
	struct peer *p;

	if (ad_store_staged(srv->ar.store)) {
		ad_store_commit(srv->ar.store, on_ack, srv);
		if (srv->worker)
			ad_worker_kick(srv->worker);
		else
			ad_assemble_closed(&srv->ar.mlog, srv->ar.store, NULL);
	}
	/* Only peers with something to send: the turn costs what happened in it, not the
	 * number of connections. */
	while ((p = srv->dirty)) {
		srv->dirty = p->dirty_next;
		p->dirty = 0;
		p->conn.staged = 0;
		if (!p->dead && !p->handshaking && has_output(p))
			peer_write(srv, p);
	}
	while ((p = srv->dead)) {
		srv->dead = p->dead_next;
		peer_free(srv, p);
	}
}

static void handle_event(struct ad_server *srv, struct epoll_event *ev)
{
	struct peer *p;

	if (ev->data.ptr == &srv->lfd) {
		accept_all(srv);
		return;
	}
	if (ev->data.ptr == &srv->sfd) {
		on_signal(srv);
		return;
	}
	p = ev->data.ptr;
	if (p->dead)
		return;
	if (p->handshaking) {
		handshake(srv, p);
		return;
	}
	if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		peer_read(srv, p);
	if (!p->dead && (ev->events & EPOLLOUT))
		peer_write(srv, p);
}

int ad_server_run(struct ad_server *srv)
{
	struct epoll_event evs[MAX_EVENTS];
	int64_t last_sweep = cr_now_ms();

	cr_notice("listening on %s", srv->address);
	while (!srv->stop) {
		int i, n = epoll_wait(srv->ep, evs, MAX_EVENTS, srv->ready ? 0 : 1000);

		if (n < 0 && errno != EINTR) {
			cr_err("epoll_wait: %m");
			return -errno;
		}
		for (i = 0; i < n; i++)
			handle_event(srv, &evs[i]);
		while (srv->ready) {
			struct peer *list = srv->ready, *p;

			srv->ready = NULL;
			while ((p = list)) {
				list = p->ready_next;
				p->queued = 0;
				if (!p->dead) {
					/* Frames already buffered (after backpressure) come first. */
					if (ad_conn_process(&p->conn, &srv->ar) < 0)
						peer_kill(srv, p, "protocol error");
					else
						peer_read(srv, p);
					if (!p->dead && has_output(p))
						mark_dirty(srv, p);
				}
			}
			break; /* one pass per turn; the rest wait for the next turn */
		}
		end_of_turn(srv);
		if (cr_now_ms() - last_sweep >= 1000) {
			sweep(srv);
			last_sweep = cr_now_ms();
		}
	}
	cr_notice("stopped (%zu connections closed)", srv->npeers);
	return 0;
}

void ad_server_free(struct ad_server *srv)
{
	if (!srv)
		return;
	while (srv->peers) {
		struct peer *p = srv->peers;
		if (!p->dead)
			p->dead = 1;
		peer_free(srv, p);
	}
	srv->dead = NULL;
	ad_worker_stop(srv->worker);
	ad_archive_close(&srv->ar);
	creds_put(srv->creds);
	if (srv->prio)
		gnutls_priority_deinit(srv->prio);
	if (srv->ticket_key.data)
		gnutls_free(srv->ticket_key.data);
	if (srv->ep >= 0)
		close(srv->ep);
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->sfd >= 0)
		close(srv->sfd);
	free(srv->config_path);
	free(srv);
}
