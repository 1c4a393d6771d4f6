/* The plugin's side of the control socket (common/ctl.h): one HELLO at open, one REPLY, and
 * for a recorded stream a shared ring that stays mapped, and a socket that stays open, for the
 * PCM's life. The agent sees the socket closing as the end of the stream. */
#ifndef CALLREC_AGENT_LINK_H
#define CALLREC_AGENT_LINK_H

#include <stddef.h>

#include "ctl.h"
#include "ring.h"

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

struct agent_link {
	int sock;            /* -1 when not connected */
	struct cr_ring ring; /* the mapped ring (RECORD only; else ring.base is NULL), with its
			      * geometry copied and checked against the memfd's size at map time */
};

/* Asks the agent at `path` whether this stream is recorded, waiting at most
 * CR_CTL_OPEN_TIMEOUT_MS in total. Returns 0 with *decision set (for CR_DECIDE_RECORD the link
 * holds the socket and the checked, mapped ring), or a negative errno when there is no usable
 * answer (no agent, timeout, protocol error): the caller then passes audio through untapped.
 * On anything but RECORD the link holds nothing. */
int agent_link_open(struct agent_link *link, const char *path, enum cr_dir dir,
		    const char *line, const char *pcm_name, enum cr_decision *decision);

/* Unmaps the ring and closes the socket (idempotent). */
void agent_link_close(struct agent_link *link);

#pragma GCC visibility pop

#endif
