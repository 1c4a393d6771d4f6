/* Configuration of one `type callrec` PCM, as read from its ALSA configuration node. */
#ifndef CALLREC_PLUGIN_CONF_H
#define CALLREC_PLUGIN_CONF_H

#include <alsa/asoundlib.h>
#include <sys/un.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

struct callrec_conf {
	snd_config_t *slave; /* the `slave` node; borrowed from the caller's tree */
	char agent_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char line[64];
	int require_agent; /* parsed and kept; fail-closed handling comes with the policy */
};

/* Fills *out from the PCM's node. Unknown keys and bad values are errors (-EINVAL), reported
 * with SNDERR like every other ALSA plugin does at open. */
int callrec_conf_parse(snd_config_t *conf, struct callrec_conf *out);

#pragma GCC visibility pop

#endif
