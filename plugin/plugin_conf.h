/* Configuration of one `type callrec` PCM, as read from its ALSA configuration node. */
#ifndef CALLREC_PLUGIN_CONF_H
#define CALLREC_PLUGIN_CONF_H

#include <alsa/asoundlib.h>
#include <sys/un.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

/* What to do when require_agent is set and no agent answers at open (docs/plugin.md). It
 * mirrors the policy's on_failure, which the agent applies whenever it can be asked. */
enum callrec_on_failure {
	ON_FAILURE_CONTINUE, /* pass audio through unrecorded (the default) */
	ON_FAILURE_TONE,     /* playback: a failure tone tells the user recording is impossible */
	ON_FAILURE_BLOCK,    /* capture: the application gets silence (outgoing audio muted) */
};

struct callrec_conf {
	snd_config_t *slave; /* the `slave` node; borrowed from the caller's tree */
	char agent_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char line[64];
	int require_agent;                  /* on_failure applies only when this is set */
	enum callrec_on_failure on_failure;
};

/* Fills *out from the PCM's node. Unknown keys and bad values are errors (-EINVAL), reported
 * with SNDERR like every other ALSA plugin does at open. */
int callrec_conf_parse(snd_config_t *conf, struct callrec_conf *out);

#pragma GCC visibility pop

#endif
