/* The agent's control socket (SOCK_SEQPACKET, common/ctl.h): accepts plugin streams, hands
 * each a sealed memfd ring, and answers commands such as "status". Every connection is
 * counted against its peer's uid (uidlimits.h): a user over the limit is refused at accept or
 * before the ring is made, so no local user can use up the agent's descriptors or memory. */
#ifndef CALLREC_AGENT_CTLSRV_H
#define CALLREC_AGENT_CTLSRV_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "evsrc.h"
#include "uidlimits.h"

#define CR_AGENT_RING_DATA (4u * 1024u * 1024u)
#define CR_AGENT_INJECT_BYTES (1024u * 1024u) /* disclosure queue: ~10 s at 48 kHz */

struct cr_agent;

struct cr_ctlsrv {
	struct cr_evsrc src; /* listening socket */
	int epfd;
	char path[PATH_MAX];
	struct cr_agent *agent;
	struct cr_client *clients;
	struct cr_uidlimits limits;
	uint64_t hello_timeout_ns; /* a connection that has not said HELLO by then is closed */
	int spare_fd; /* held in reserve: given up to accept and close a connection when the
		       * agent is out of descriptors, so that the listener does not spin */
};

/* Bind and listen at `path`; user_mode: socket 0600 in a 0700 directory, otherwise 0666
 * (identity comes from SO_PEERCRED, not from who may connect). 0 or negative errno. */
int cr_ctlsrv_open(struct cr_ctlsrv *s, int epfd, const char *path, int user_mode,
		   struct cr_agent *agent);
/* The limits per user and the HELLO timeout (at open and on SIGHUP; connections already
 * admitted stay). */
void cr_ctlsrv_set_limits(struct cr_ctlsrv *s, unsigned streams_per_user,
			  unsigned pending_per_user, uint64_t hello_timeout_ms);
/* Close every connection and the listener, remove the socket file. */
void cr_ctlsrv_close(struct cr_ctlsrv *s);
/* Drop connections that did not say HELLO in time. */
void cr_ctlsrv_tick(struct cr_ctlsrv *s, uint64_t now_ns);

/* The text of a command's answer (JSON), malloc'd; implemented by the daemon. */
char *cr_agent_command(struct cr_agent *a, const char *arg, uid_t uid);

#endif
