/* The `callrec` command's side of the agent's control socket (common/ctl.h): find the socket,
 * send one command, collect the text the agent answers with until it closes. */
#ifndef CALLREC_TOOLS_AGENT_CLIENT_H
#define CALLREC_TOOLS_AGENT_CLIENT_H

#include <stddef.h>

#define CRU_SYSTEM_SOCKET "/run/callrec/agent.sock"
#define CRU_REPLY_MAX (1024u * 1024u) /* more than any status; a bound against a runaway peer */
#define CRU_TIMEOUT_MS 5000

/* The agent socket: `explicit` when given, else $XDG_RUNTIME_DIR/callrec/agent.sock when it
 * exists (a user-mode agent), else the system agent's. */
int cru_socket_path(const char *explicit_path, char *out, size_t outlen);

/* Send CR_CTL_COMMAND with `arg` and read the reply packets (concatenated, NUL-terminated,
 * malloc'd) until the agent closes the socket. Returns 0; -ENOENT/-ECONNREFUSED when no
 * agent listens there; -ETIMEDOUT; -EMSGSIZE; other negative errno. */
int cru_agent_command(const char *path, const char *arg, char **reply, size_t *len);

#endif
