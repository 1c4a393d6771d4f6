/* Hands the application the slave PCM itself, for streams that are not recorded: after open
 * the plugin is out of the audio path entirely and costs nothing. */
#ifndef CALLREC_SLAVE_OPEN_H
#define CALLREC_SLAVE_OPEN_H

#include <alsa/asoundlib.h>

/* Plugin internals: not exported from the .so loaded into every audio application. */
#pragma GCC visibility push(hidden)

/* Opens the PCM that `slave` (the plugin's `slave` node: `slave.pcm NAME`, `slave.pcm { ...
 * inline definition }` or `slave NAME` naming a pcm_slave) describes, under the application's
 * `name`. Returns 0 or a negative errno. */
int slave_open_direct(snd_pcm_t **pcmp, snd_config_t *root, snd_config_t *slave,
		      const char *name, snd_pcm_stream_t stream, int mode);

#pragma GCC visibility pop

#endif
