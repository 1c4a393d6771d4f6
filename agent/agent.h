/* The agent daemon: one thread, one epoll loop over the control socket and its clients, a
 * 20 ms timer that drains the rings, a signalfd, and the archive connection. */
#ifndef CALLREC_AGENT_AGENT_H
#define CALLREC_AGENT_AGENT_H

#include <stdint.h>

#include "agentpol.h"
#include "calls.h"
#include "config.h"
#include "ctlsrv.h"
#include "evsrc.h"
#include "spool.h"
#include "uplink.h"
#include "version.h"

#define CR_AGENT_TICK_MS 20

struct cr_agent {
	const char *config_path;
	int user_mode;
	struct cr_agent_config cfg;
	int epfd;
	int running;
	struct cr_evsrc timer;
	struct cr_evsrc sig;
	struct cr_ctlsrv ctl;
	struct cr_calls calls;
	struct cr_spool spool;
	struct cr_uplink uplink;
	struct cr_agentpol policy; /* agentpol.h: the policy and private-call erasures */
};

/* Set up everything from an already loaded configuration (ownership moves to the agent).
 * 0 or negative errno (logged). */
int cr_agent_start(struct cr_agent *a, struct cr_agent_config *cfg, const char *config_path,
		   int user_mode, const char *ready_file);
/* Run until SIGTERM/SIGINT; then flush what can be flushed to the spool. */
int cr_agent_run(struct cr_agent *a);
void cr_agent_stop(struct cr_agent *a);

#endif
