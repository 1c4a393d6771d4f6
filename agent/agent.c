/* The agent daemon's wiring and event loop: see agent.h. */
#include "agent.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "commands.h"
#include "fsutil.h"
#include "health.h"
#include "log.h"

/* The calls' frames go to the spool first, then (if connected) straight out. */
static int spool_frame(void *ctx, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint8_t type,
		       const uint8_t *frame, size_t len)
{
	struct cr_agent *a = ctx;
	int err = cr_spool_put(&a->spool, id, seq, type, frame, len);

	if (!err)
		cr_uplink_kick(&a->uplink);
	return err;
}

/* What the archive's health view shows for this desktop (SPEC 4.7; keys in health.h). */
static char *heartbeat_json(void *ctx)
{
	struct cr_agent *a = ctx;
	struct cr_health h = {
		.state = a->spool.full ? "spool_full" : "running", .version = CR_VERSION,
		.calls = cr_calls_count(&a->calls),
		.last_ack_call = a->uplink.last_ack_call, .last_ack_seq = a->uplink.last_ack_seq,
		.acked_frames = a->uplink.acked_frames, .refused_frames = a->uplink.refused_frames,
		.dropped_frames = cr_calls_dropped_frames(&a->calls),
		.spool_bytes = a->spool.bytes, .spool_max_bytes = a->spool.max_bytes,
		.spool_full = a->spool.full, .evict_oldest = a->spool.evict_oldest,
		.refused_chunks = a->spool.refused_chunks,
		.refused_frames_audio = a->spool.refused_audio_frames,
		.evicted_chunks = a->spool.evicted_chunks,
		.evicted_frames_audio = a->spool.evicted_audio_frames,
		.rate = a->policy.pol && a->policy.pol->p ? a->policy.pol->p->rate : CR_ARCHIVE_RATE,
		.tls_resumed = a->uplink.resumed,
	};

	cr_spool_backlog(&a->spool, &h.backlog_frames, &h.backlog_bytes);
	return cr_health_json(&h);
}

static void on_timer(struct cr_evsrc *src, uint32_t events)
{
	struct cr_agent *a = (struct cr_agent *)((char *)src - offsetof(struct cr_agent, timer));
	uint64_t expirations, now = cr_now_ns();

	(void)events;
	if (read(src->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		cr_err("timerfd: %s", strerror(errno));
	cr_calls_tick(&a->calls, now);
	cr_ctlsrv_tick(&a->ctl, now);
	cr_uplink_tick(&a->uplink, now);
	cr_agentpol_tick(a, now);
}

/* Descriptors the agent keeps for itself: spool files, the archive's connection, epoll,
 * timers, signals, the log. */
#define AGENT_OWN_FDS 64

/* What one user may hold of the control socket, and how many users at that the descriptor
 * limit leaves room for (LimitNOFILE in the unit; docs/fleet.md). */
static void set_control_limits(struct cr_agent *a)
{
	unsigned per_user = (unsigned)(a->cfg.ctl_streams_per_user + a->cfg.ctl_pending_per_user);
	struct rlimit rl;

	cr_ctlsrv_set_limits(&a->ctl, (unsigned)a->cfg.ctl_streams_per_user,
			     (unsigned)a->cfg.ctl_pending_per_user, a->cfg.ctl_hello_timeout_ms);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		cr_info("control socket: per user at most %llu streams and %llu connections "
			"without a HELLO (%llu ms); %llu descriptors: room for %llu users at that",
			a->cfg.ctl_streams_per_user, a->cfg.ctl_pending_per_user,
			a->cfg.ctl_hello_timeout_ms, (unsigned long long)rl.rlim_cur,
			(unsigned long long)(rl.rlim_cur > AGENT_OWN_FDS
						     ? (rl.rlim_cur - AGENT_OWN_FDS) / per_user
						     : 0));
}

static void reload(struct cr_agent *a)
{
	struct cr_agent_config cfg;
	struct cr_uplink fresh;
	struct cr_diags d;
	int err;

	cr_notice("SIGHUP: reloading %s", a->config_path);
	cr_diags_init(&d, a->config_path);
	err = cr_agent_config_load(a->config_path, a->user_mode, &cfg, &d);
	if (err) {
		cr_diags_print(&d, stderr);
		cr_err("reload failed; keeping the previous configuration");
		cr_agent_config_free(&cfg);
		return;
	}
	err = cr_uplink_init(&fresh, a->epfd, &a->spool, cfg.host, cfg.port, cfg.server_name,
			     cfg.ca, cfg.cert, cfg.key);
	if (err) {
		cr_err("reload failed (certificates); keeping the previous configuration");
		cr_agent_config_free(&cfg);
		return;
	}
	if (strcmp(cfg.socket_path, a->cfg.socket_path) || strcmp(cfg.spool_path, a->cfg.spool_path))
		cr_warn("reload: socket and spool locations change only at restart");
	cr_uplink_carry_over(&fresh, &a->uplink);
	cr_uplink_free(&a->uplink);
	a->uplink = fresh;
	a->uplink.src.fd = -1;
	cr_uplink_restart(&a->uplink);
	a->calls.chunk_ms = (unsigned)cfg.chunk_ms; /* for calls that start from now on */
	a->spool.max_bytes = cfg.spool_max_bytes; /* the cap applies from the next chunk */
	a->spool.evict_oldest = cfg.spool_evict_oldest;
	cr_agent_config_free(&a->cfg);
	a->cfg = cfg;
	set_control_limits(a);
	cr_notice("configuration reloaded: archive %s, chunk %u ms", a->cfg.address,
		  a->calls.chunk_ms);
}

static void on_signal(struct cr_evsrc *src, uint32_t events)
{
	struct cr_agent *a = (struct cr_agent *)((char *)src - offsetof(struct cr_agent, sig));
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(a);
			cr_agentpol_reload(a);
		} else {
			cr_notice("signal %u: stopping", si.ssi_signo);
			a->running = 0;
		}
	}
}

static int watch(struct cr_agent *a, struct cr_evsrc *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };
	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0 ? -errno : 0;
}

static int write_ready_file(const char *file, const char *socket_path)
{
	char dir[PATH_MAX], line[PATH_MAX + 2];
	const char *base = strrchr(file, '/');
	int n = snprintf(line, sizeof(line), "%s\n", socket_path);

	cr_dirname(file, dir, sizeof(dir));
	return cr_write_atomic(dir, base ? base + 1 : file, line, (size_t)n, 0644);
}

int cr_agent_start(struct cr_agent *a, struct cr_agent_config *cfg, const char *config_path,
		   int user_mode, const char *ready_file)
{
	struct itimerspec its = { .it_interval = { 0, CR_AGENT_TICK_MS * 1000000L },
				  .it_value = { 0, CR_AGENT_TICK_MS * 1000000L } };
	sigset_t mask;
	int err, n;

	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	a->config_path = config_path;
	a->user_mode = user_mode;
	a->timer.fd = a->sig.fd = a->epfd = -1;
	a->ctl.src.fd = -1;
	a->uplink.src.fd = -1;
	a->timer.on_event = on_timer;
	a->sig.on_event = on_signal;

	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	a->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->sig.fd < 0 || a->timer.fd < 0 || timerfd_settime(a->timer.fd, 0, &its, NULL) < 0)
		return -errno;
	if ((err = watch(a, &a->sig)) || (err = watch(a, &a->timer)))
		return err;

	err = cr_spool_open(&a->spool, a->cfg.spool_path, a->cfg.spool_max_bytes);
	if (err) {
		cr_err("spool %s: %s", a->cfg.spool_path, strerror(-err));
		return err;
	}
	a->spool.evict_oldest = a->cfg.spool_evict_oldest;
	cr_tl_set_admission(cr_spool_admit_chunk, &a->spool); /* the cap applies to chunks */
	err = cr_spool_scan(&a->spool);
	if (err) {
		cr_err("spool %s: cannot scan: %s", a->cfg.spool_path, strerror(-err));
		return err;
	}
	n = cr_spool_close_orphans(&a->spool);
	if (n < 0)
		cr_err("spool: cannot close calls left open by a previous run: %s", strerror(-n));
	uint64_t frames, bytes;
	cr_spool_backlog(&a->spool, &frames, &bytes);
	cr_info("spool %s: %llu frames (%llu bytes) to deliver", a->cfg.spool_path,
		(unsigned long long)frames, (unsigned long long)bytes);

	err = cr_uplink_init(&a->uplink, a->epfd, &a->spool, a->cfg.host, a->cfg.port,
			     a->cfg.server_name, a->cfg.ca, a->cfg.cert, a->cfg.key);
	if (err) {
		cr_err("archive credentials could not be loaded");
		return err;
	}
	a->uplink.heartbeat = heartbeat_json;
	a->uplink.heartbeat_ctx = a;
	cr_calls_init(&a->calls, (unsigned)a->cfg.chunk_ms, spool_frame, a);

	err = cr_agentpol_start(a); /* before the socket: no stream is decided without it */
	if (err)
		return err;
	err = cr_ctlsrv_open(&a->ctl, a->epfd, a->cfg.socket_path, user_mode, a);
	if (err) {
		cr_err("socket %s: %s", a->cfg.socket_path, strerror(-err));
		return err;
	}
	set_control_limits(a);
	cr_notice("callrec-agent %s listening on %s (%s mode), archive %s, chunk %llu ms",
		  CR_VERSION, a->cfg.socket_path, user_mode ? "user" : "system",
		  a->cfg.address, a->cfg.chunk_ms);
	if (ready_file) {
		err = write_ready_file(ready_file, a->cfg.socket_path);
		if (err) {
			cr_err("ready file %s: %s", ready_file, strerror(-err));
			return err;
		}
	}
	a->running = 1;
	return 0;
}

/* Calls made private: their spool goes now, the archive's copy by CALL_ERASE (erase.h). */
static void erase_call(void *ctx, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct cr_agent *a = ctx;
	cr_erase_begin(&a->policy.erases, &a->spool, &a->uplink, id);
}

int cr_agent_run(struct cr_agent *a)
{
	struct epoll_event ev[64];

	while (a->running) {
		int n = epoll_wait(a->epfd, ev, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cr_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct cr_evsrc *src = ev[i].data.ptr;
			src->on_event(src, ev[i].events);
		}
	}
	return 0;
}

void cr_agent_stop(struct cr_agent *a)
{
	uint64_t now = cr_now_ns();

	/* Everything the rings hold goes to the spool; open calls are closed there. */
	cr_calls_tick(&a->calls, now);
	cr_ctlsrv_close(&a->ctl);
	cr_calls_shutdown(&a->calls, now);
	cr_agentpol_stop(a);
	cr_uplink_free(&a->uplink);
	cr_spool_close(&a->spool);
	if (a->timer.fd >= 0)
		close(a->timer.fd);
	if (a->sig.fd >= 0)
		close(a->sig.fd);
	if (a->epfd >= 0)
		close(a->epfd);
	cr_agent_config_free(&a->cfg);
	cr_notice("stopped");
}

/* --- commands -------------------------------------------------------------------------- */

static json_t *status_json(struct cr_agent *a, uid_t uid)
{
	uint64_t frames, bytes, now = cr_now_ns();
	json_t *calls = json_array();

	cr_spool_backlog(&a->spool, &frames, &bytes);
	for (struct cr_call *c = a->calls.calls; c; c = c->next) {
		if (uid != 0 && c->uid != uid)
			continue; /* a user sees only their own calls */
		json_t *co = json_pack("{s:s, s:i, s:s, s:s, s:f}", "id", c->hex,
			"pid", (int)c->pid, "application", c->meta.application[0] ?
			c->meta.application : "?", "user", c->meta.user,
			"seconds", (double)(now - c->start_ns) / 1e9);
		if (co)
			cr_cmd_call_status(&a->calls, c, co);
		json_array_append_new(calls, co);
	}
	return json_pack("{s:s, s:s, s:{s:I, s:I}, s:o, s:o}", "state", "running", "archive",
			 cr_uplink_connected(&a->uplink) ? "connected" : "disconnected", "spool",
			 "chunks", (json_int_t)frames, "bytes", (json_int_t)bytes, "calls",
			 calls ? calls : json_array(), "control",
			 cr_uidlimits_status(&a->ctl.limits, uid));
}

char *cr_agent_command(struct cr_agent *a, const char *arg, uid_t uid)
{
	json_t *o;
	char *s;

	struct cr_cmd cmd;
	const char *why;

	if (cr_cmd_parse(arg, &cmd, &why))
		o = json_pack("{s:s}", "error", why);
	else if (cmd.verb == CR_CMD_STATUS)
		o = cr_agentpol_status(a, status_json(a, uid), uid);
	else
		o = cr_cmd_run(&a->calls, &cmd, uid, cr_now_ns(), erase_call, a);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}
