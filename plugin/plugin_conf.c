/* Parses `pcm.NAME { type callrec slave.pcm ... agent ... line ... require_agent ...
 * on_failure ... }`. */
#include "plugin_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_SYSTEM_SOCKET "/run/callrec/agent.sock"
#define USER_SOCKET_SUFFIX "/callrec/agent.sock"

static int copy_string(snd_config_t *n, const char *key, char *dst, size_t cap)
{
	const char *s;

	if (snd_config_get_string(n, &s) < 0) {
		SNDERR("callrec: %s must be a string", key);
		return -EINVAL;
	}
	if (strlen(s) >= cap) {
		SNDERR("callrec: %s is longer than %zu bytes", key, cap - 1);
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* The user-mode agent's socket wins when it exists: a desktop user's own agent is the one
 * that should see this user's streams. secure_getenv: a set-uid program must not be steered
 * to an arbitrary socket by its caller's environment. */
static void default_agent_path(char *dst, size_t cap)
{
	const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (xdg && xdg[0] == '/') {
		int n = snprintf(dst, cap, "%s%s", xdg, USER_SOCKET_SUFFIX);
		if (n > 0 && (size_t)n < cap && stat(dst, &st) == 0)
			return;
	}
	snprintf(dst, cap, "%s", DEFAULT_SYSTEM_SOCKET);
}

static int parse_on_failure(snd_config_t *n, enum callrec_on_failure *out)
{
	const char *s;

	if (snd_config_get_string(n, &s) < 0)
		s = "";
	if (strcmp(s, "continue") == 0)
		*out = ON_FAILURE_CONTINUE;
	else if (strcmp(s, "tone") == 0)
		*out = ON_FAILURE_TONE;
	else if (strcmp(s, "block") == 0)
		*out = ON_FAILURE_BLOCK;
	else {
		SNDERR("callrec: on_failure must be continue, tone or block");
		return -EINVAL;
	}
	return 0;
}

int callrec_conf_parse(snd_config_t *conf, struct callrec_conf *out)
{
	snd_config_iterator_t i, next;
	int have_agent = 0;
	int err;

	memset(out, 0, sizeof(*out));
	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;

		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (strcmp(id, "comment") == 0 || strcmp(id, "type") == 0 ||
		    strcmp(id, "hint") == 0)
			continue;
		if (strcmp(id, "slave") == 0) {
			out->slave = n;
		} else if (strcmp(id, "agent") == 0) {
			err = copy_string(n, id, out->agent_path, sizeof(out->agent_path));
			if (err < 0)
				return err;
			have_agent = 1;
		} else if (strcmp(id, "line") == 0) {
			err = copy_string(n, id, out->line, sizeof(out->line));
			if (err < 0)
				return err;
		} else if (strcmp(id, "require_agent") == 0) {
			err = snd_config_get_bool(n);
			if (err < 0) {
				SNDERR("callrec: require_agent must be yes or no");
				return -EINVAL;
			}
			out->require_agent = err;
		} else if (strcmp(id, "on_failure") == 0) {
			err = parse_on_failure(n, &out->on_failure);
			if (err < 0)
				return err;
		} else {
			SNDERR("callrec: unknown field %s", id);
			return -EINVAL;
		}
	}
	if (!out->slave) {
		SNDERR("callrec: no slave defined");
		return -EINVAL;
	}
	if (!have_agent)
		default_agent_path(out->agent_path, sizeof(out->agent_path));
	return 0;
}
