/* `type callrec`: the ALSA PCM plugin. At open it asks the agent whether the stream is
 * recorded. If not (or no agent answers in time) the application simply gets the slave PCM.
 * If it is, the plugin is an extplug over the slave with client and slave parameters linked
 * (alsa-lib's default for extplug: same format, channels, rate, period and buffer), so every
 * transfer is a plain copy plus an append to the agent's ring. */

/* SND_PCM_PLUGIN_SYMBOL needs PIC to export the versioned entry point (TESTING.md). */
#ifndef PIC
#define PIC
#endif

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <stdlib.h>

#include "agent_link.h"
#include "areas.h"
#include "fork_guard.h"
#include "plugin_conf.h"
#include "slave_open.h"
#include "tap.h"

struct callrec {
	snd_pcm_extplug_t ext;
	struct agent_link link;
	struct tap tap;
	unsigned int sample_bits; /* physical bits per sample of the current setup */
	int require_agent;
};

static snd_pcm_sframes_t callrec_transfer(snd_pcm_extplug_t *ext,
					  const snd_pcm_channel_area_t *dst_areas,
					  snd_pcm_uframes_t dst_offset,
					  const snd_pcm_channel_area_t *src_areas,
					  snd_pcm_uframes_t src_offset, snd_pcm_uframes_t size)
{
	struct callrec *cr = ext->private_data;
	const unsigned char *s =
		areas_interleaved_frame(src_areas, src_offset, ext->channels, cr->sample_bits);
	unsigned char *d =
		areas_interleaved_frame(dst_areas, dst_offset, ext->channels, cr->sample_bits);

	/* src is what the application plays (playback) or what it is about to receive
	 * (capture): in both directions the audio of the call. */
	if (s && d) {
		tap_pass_interleaved(&cr->tap, d, s, size, ext->channels * cr->sample_bits / 8);
	} else {
		areas_copy(dst_areas, dst_offset, src_areas, src_offset, ext->channels, size,
			   ext->format, cr->sample_bits);
		tap_write(&cr->tap, src_areas, src_offset, size);
	}
	return (snd_pcm_sframes_t)size;
}

/* Called at every prepare; the position keeps counting across prepares. */
static int callrec_init(snd_pcm_extplug_t *ext)
{
	struct callrec *cr = ext->private_data;
	int bits = snd_pcm_format_physical_width(ext->format);

	if (bits <= 0)
		return -EINVAL;
	cr->sample_bits = (unsigned int)bits;
	tap_configure(&cr->tap, ext->format, ext->channels, ext->rate);
	return 0;
}

static void callrec_free(struct callrec *cr)
{
	tap_detach(&cr->tap);
	agent_link_close(&cr->link);
	free(cr);
}

/* alsa-lib calls this after the slave is closed. */
static int callrec_close(snd_pcm_extplug_t *ext)
{
	callrec_free(ext->private_data);
	return 0;
}

static const snd_pcm_extplug_callback_t callrec_callbacks = {
	.transfer = callrec_transfer,
	.init = callrec_init,
	.close = callrec_close,
};

static int open_recorded(snd_pcm_t **pcmp, const char *name, snd_config_t *root,
			 const struct callrec_conf *cfg, struct agent_link *link,
			 snd_pcm_stream_t stream, int mode)
{
	struct callrec *cr = calloc(1, sizeof(*cr));
	int err;

	if (!cr) {
		agent_link_close(link);
		return -ENOMEM;
	}
	cr->link = *link;
	cr->require_agent = cfg->require_agent;
	tap_attach(&cr->tap, cr->link.ring);
	cr->ext.version = SND_PCM_EXTPLUG_VERSION;
	cr->ext.name = "callrec";
	cr->ext.callback = &callrec_callbacks;
	cr->ext.private_data = cr;
	err = snd_pcm_extplug_create(&cr->ext, name, root, cfg->slave, stream, mode);
	if (err < 0)
		goto fail;
	*pcmp = cr->ext.pcm;
	return 0;
fail:
	callrec_free(cr);
	return err;
}

SND_PCM_PLUGIN_DEFINE_FUNC(callrec)
{
	struct callrec_conf cfg;
	struct agent_link link;
	enum cr_decision decision = CR_DECIDE_PASS;
	enum cr_dir dir = stream == SND_PCM_STREAM_CAPTURE ? CR_DIR_CAPTURE : CR_DIR_PLAYBACK;
	int err;

	err = callrec_conf_parse(conf, &cfg);
	if (err < 0)
		return err;
	err = fork_guard_init();
	if (err < 0)
		return err;
	/* Any failure to get an answer means "not recorded now": audio must never stop because
	 * the agent is missing. (require_agent's fail-closed behaviour comes with the policy.) */
	if (agent_link_open(&link, cfg.agent_path, dir, cfg.line, name, &decision) < 0)
		decision = CR_DECIDE_PASS;
	if (decision == CR_DECIDE_RECORD)
		return open_recorded(pcmp, name, root, &cfg, &link, stream, mode);
	return slave_open_direct(pcmp, root, cfg.slave, name, stream, mode);
}

SND_PCM_PLUGIN_SYMBOL(callrec);
