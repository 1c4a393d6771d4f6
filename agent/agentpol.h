/* The agent's policy state (SPEC 4.1, 4.2, 4.6): the current policy (the built-in demo rule
 * when none is configured), loaded at start (an invalid one stops the agent) and on SIGHUP
 * (an invalid one is logged and the previous kept; an unreadable one also makes recording
 * "impossible" for on_failure until a reload succeeds), and the erasures of private calls
 * in progress. Hooked into agent.c at start, SIGHUP, tick and stop. */
#ifndef CALLREC_AGENT_AGENTPOL_H
#define CALLREC_AGENT_AGENTPOL_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "erase.h"
#include "policy_glue.h"

struct cr_agent;

struct cr_agentpol {
	struct cr_pol *pol;
	char failure[256]; /* "" or why the policy cannot be applied */
	struct cr_erase *erases;
};

/* 0, or -EINVAL after printing the diagnostics (FILE:LINE:COL: message) on stderr. */
int cr_agentpol_start(struct cr_agent *a);
void cr_agentpol_reload(struct cr_agent *a);
void cr_agentpol_tick(struct cr_agent *a, uint64_t now_ns);
void cr_agentpol_stop(struct cr_agent *a);
/* Adds the policy's part to `callrec status` (o may be NULL); returns o. */
json_t *cr_agentpol_status(struct cr_agent *a, json_t *o, uid_t uid);

#endif
