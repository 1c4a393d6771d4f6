/* The agent's control socket (SOCK_SEQPACKET, common/ctl.h): accepts plugin streams, hands
 * each a sealed memfd ring, and answers commands such as "status". */
#ifndef CALLREC_AGENT_CTLSRV_H
#define CALLREC_AGENT_CTLSRV_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "evsrc.h"

#define CR_AGENT_RING_DATA (4u * 1024u * 1024u)
#define CR_AGENT_INJECT_BYTES (1024u * 1024u) /* disclosure queue: ~10 s at 48 kHz */
#define CR_HELLO_TIMEOUT_NS 5000000000ULL

struct cr_agent;

struct cr_ctlsrv {
	struct cr_evsrc src; /* listening socket */
	int epfd;
	char path[PATH_MAX];
	struct cr_agent *agent;
	struct cr_client *clients;
};

/* Bind and listen at `path`; user_mode: socket 0600 in a 0700 directory, otherwise 0666
 * (identity comes from SO_PEERCRED, not from who may connect). 0 or negative errno. */
int cr_ctlsrv_open(struct cr_ctlsrv *s, int epfd, const char *path, int user_mode,
		   struct cr_agent *agent);
/* Close every connection and the listener, remove the socket file. */
void cr_ctlsrv_close(struct cr_ctlsrv *s);
/* Drop connections that never said hello. */
void cr_ctlsrv_tick(struct cr_ctlsrv *s, uint64_t now_ns);

/* The text of a command's answer (JSON), malloc'd; implemented by the daemon. */
char *cr_agent_command(struct cr_agent *a, const char *arg, uid_t uid);

#endif
