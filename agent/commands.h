/* The user's commands over the agent socket (SPEC 4.5): "status", "private", "pause",
 * "resume", "tag KEY=VALUE". A user acts only on calls whose uid is their own (SO_PEERCRED);
 * root acts on every call. Replies are JSON: {"ok":true,...} or {"error":"..."}. */
#ifndef CALLREC_AGENT_COMMANDS_H
#define CALLREC_AGENT_COMMANDS_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "calls.h"

enum cr_cmd_verb { CR_CMD_STATUS, CR_CMD_PRIVATE, CR_CMD_PAUSE, CR_CMD_RESUME, CR_CMD_TAG };

struct cr_cmd {
	enum cr_cmd_verb verb;
	char key[CR_TAG_KEY_MAX + 1];
	char value[CR_TAG_VALUE_MAX + 1];
};

/* Parse and validate a command text. 0, or -EINVAL with *why set. */
int cr_cmd_parse(const char *arg, struct cr_cmd *cmd, const char **why);
/* May a client running as `who` act on a call of `owner`? */
int cr_cmd_may_act(uid_t who, uid_t owner);

/* Called for each call made private (the agent erases its spool and the archive's copy). */
typedef void (*cr_erase_fn)(void *ctx, const uint8_t id[CR_CALL_ID_BYTES]);

/* Run private/pause/resume/tag on r for a client running as uid. Returns a JSON reply
 * (new reference). Status is the daemon's (agent.c). */
json_t *cr_cmd_run(struct cr_calls *r, const struct cr_cmd *cmd, uid_t uid, uint64_t now_ns,
		   cr_erase_fn erase, void *erase_ctx);

/* The policy's view of one call for `callrec status`: purpose, recording state, reason. */
void cr_cmd_call_status(const struct cr_calls *r, const struct cr_call *c, json_t *o);

#endif
