/* `type callrec`: the ALSA PCM plugin. At open it asks the agent whether the stream is
 * recorded. If not (or no agent answers in time) the application simply gets the slave PCM.
 * If it is, the plugin is an extplug over the slave with client and slave parameters linked
 * (alsa-lib's default for extplug: same format, channels, rate, period and buffer), so every
 * transfer is a plain copy plus an append to the agent's ring, and, while the agent has queued
 * disclosure audio or asked for silence, a mix into the audio.
 *
 * With require_agent yes and no agent answering, on_failure decides (docs/plugin.md): the same
 * extplug without a ring hands a capturing application silence (block) or adds a failure tone
 * to what the user hears (tone). */

/* SND_PCM_PLUGIN_SYMBOL needs PIC to export the versioned entry point: without it the macro
 * takes its static-build form and linking fails on snd_dlsym_start. */
#ifndef PIC
#define PIC
#endif

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <stdlib.h>

#include "agent_link.h"
#include "areas.h"
#include "failtone.h"
#include "fork_guard.h"
#include "inject.h"
#include "mix.h"
#include "plugin_conf.h"
#include "reconnect.h"
#include "slave_open.h"
#include "tap.h"

struct callrec {
	snd_pcm_extplug_t ext;
	struct agent_link link;
	struct rc_stream *rc; /* recorded streams: the ring in use, kept by the control thread */
	struct tap tap;
	struct inject inject;
	struct failtone tone;
	unsigned int sample_bits; /* physical bits per sample of the current setup */
	bool mixable;             /* mix.h can write the current format */
	bool block;               /* on_failure block: capture hands the application silence */
	bool want_tone;           /* on_failure tone: playback carries the failure tone */
};

/* Capture while the agent asked for silence or disclosure is queued: the application gets the
 * slave's audio with the disclosure mixed in (or silence), and the recording is what the
 * application got, because that is what the other party hears. Two passes instead of one, but
 * only while this lasts. While muted, queued disclosure waits: nobody would hear it. */
static void capture_mixed(struct callrec *cr, const snd_pcm_channel_area_t *dst_areas,
			  snd_pcm_uframes_t dst_offset, const snd_pcm_channel_area_t *src_areas,
			  snd_pcm_uframes_t src_offset, snd_pcm_uframes_t size, bool mute)
{
	snd_pcm_extplug_t *ext = &cr->ext;
	uint32_t injected = 0;

	if (mute) {
		snd_pcm_areas_silence(dst_areas, dst_offset, ext->channels, size, ext->format);
	} else {
		areas_copy(dst_areas, dst_offset, src_areas, src_offset, ext->channels, size,
			   ext->format, cr->sample_bits);
		injected = inject_mix(&cr->inject, ext->rate, dst_areas, dst_offset, ext->channels,
				      ext->format, size);
	}
	tap_write(&cr->tap, dst_areas, dst_offset, size, injected);
}

/* on_failure block without an agent, or the agent's CR_RING_CTL_MUTE (its on_failure block). */
static bool capture_muted(struct callrec *cr)
{
	if (cr->block)
		return true;
	return cr->tap.ring && (atomic_load_explicit(&cr_ring_hdr(cr->tap.ring)->control,
						     memory_order_relaxed) & CR_RING_CTL_MUTE);
}

static snd_pcm_sframes_t callrec_transfer(snd_pcm_extplug_t *ext,
					  const snd_pcm_channel_area_t *dst_areas,
					  snd_pcm_uframes_t dst_offset,
					  const snd_pcm_channel_area_t *src_areas,
					  snd_pcm_uframes_t src_offset, snd_pcm_uframes_t size)
{
	struct callrec *cr = ext->private_data;
	const bool capture = ext->stream == SND_PCM_STREAM_CAPTURE;
	const bool pending = cr->mixable && inject_pending(&cr->inject);
	const unsigned char *s;
	unsigned char *d;

	/* The agent came back after a restart (reconnect.h): continue in its new ring. Not in a
	 * forked child, which never writes or reads a ring. */
	if (cr->rc) {
		const struct cr_ring *ring = reconnect_ring(cr->rc);

		if (ring != cr->tap.ring && cr->tap.generation == fork_guard_generation()) {
			tap_switch(&cr->tap, ring);
			inject_attach(&cr->inject, ring);
		}
	}
	if (capture) {
		bool mute = capture_muted(cr);

		if (mute || pending) {
			capture_mixed(cr, dst_areas, dst_offset, src_areas, src_offset, size, mute);
			return (snd_pcm_sframes_t)size;
		}
	}
	s = areas_interleaved_frame(src_areas, src_offset, ext->channels, cr->sample_bits);
	d = areas_interleaved_frame(dst_areas, dst_offset, ext->channels, cr->sample_bits);

	/* src is what the application plays (playback) or what it is about to receive
	 * (capture): in both directions the audio of the call. */
	if (s && d) {
		tap_pass_interleaved(&cr->tap, d, s, size, ext->channels * cr->sample_bits / 8);
	} else {
		areas_copy(dst_areas, dst_offset, src_areas, src_offset, ext->channels, size,
			   ext->format, cr->sample_bits);
		tap_write(&cr->tap, src_areas, src_offset, size, 0);
	}
	if (capture)
		return (snd_pcm_sframes_t)size;
	/* Playback: the ring holds the application's own audio (the remote party); what the
	 * user hears may also carry the announcement (also_local) or the failure tone. */
	if (pending)
		tap_note_injected(&cr->tap, inject_mix(&cr->inject, ext->rate, dst_areas, dst_offset,
						       ext->channels, ext->format, size));
	if (cr->want_tone)
		failtone_mix(&cr->tone, dst_areas, dst_offset, ext->channels, ext->format, size);
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
	cr->mixable = mix_format_supported(ext->format);
	tap_configure(&cr->tap, ext->format, ext->channels, ext->rate);
	if (cr->rc)
		reconnect_configure(cr->rc, ext->format, ext->channels, ext->rate);
	if (cr->want_tone)
		return failtone_prepare(&cr->tone, ext->rate);
	return 0;
}

static void callrec_free(struct callrec *cr)
{
	failtone_free(&cr->tone);
	tap_detach(&cr->tap);
	agent_link_close(&cr->link);
	if (cr->rc)
		reconnect_unregister(cr->rc); /* the rings, after the slave stopped */
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

static enum cr_dir link_dir(snd_pcm_stream_t stream)
{
	return stream == SND_PCM_STREAM_CAPTURE ? CR_DIR_CAPTURE : CR_DIR_PLAYBACK;
}

/* The extplug: for a recorded stream (link holds the ring), or with no ring for on_failure
 * block or tone. */
static int open_extplug(snd_pcm_t **pcmp, const char *name, snd_config_t *root,
			const struct callrec_conf *cfg, struct agent_link *link,
			enum callrec_on_failure failure, snd_pcm_stream_t stream, int mode)
{
	struct callrec *cr = calloc(1, sizeof(*cr));
	int err;

	if (!cr) {
		agent_link_close(link);
		return -ENOMEM;
	}
	cr->link = *link;
	/* A recorded stream is watched by the control thread; should that fail, it is recorded
	 * until its agent goes, as before. */
	if (cr->link.ring.base)
		reconnect_register(&cr->rc, &cr->link, cfg->agent_path, link_dir(stream), cfg->line,
				   name);
	cr->block = failure == ON_FAILURE_BLOCK;
	cr->want_tone = failure == ON_FAILURE_TONE;
	tap_attach(&cr->tap, cr->rc ? reconnect_ring(cr->rc)
				    : cr->link.ring.base ? &cr->link.ring : NULL);
	inject_attach(&cr->inject, cr->tap.ring);
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
	/* Any failure to get an answer means "not recorded now": audio never stops because the
	 * agent is missing, unless require_agent and on_failure say otherwise. */
	if (agent_link_open(&link, cfg.agent_path, dir, cfg.line, name, &decision) < 0) {
		enum callrec_on_failure f = cfg.require_agent ? cfg.on_failure : ON_FAILURE_CONTINUE;

		/* block mutes what the other party hears (capture); tone is for the user's ears
		 * (playback). The other direction passes untouched. */
		if ((f == ON_FAILURE_BLOCK && stream == SND_PCM_STREAM_CAPTURE) ||
		    (f == ON_FAILURE_TONE && stream == SND_PCM_STREAM_PLAYBACK))
			return open_extplug(pcmp, name, root, &cfg, &link, f, stream, mode);
		decision = CR_DECIDE_PASS;
	}
	if (decision == CR_DECIDE_RECORD)
		return open_extplug(pcmp, name, root, &cfg, &link, ON_FAILURE_CONTINUE, stream,
				    mode);
	return slave_open_direct(pcmp, root, cfg.slave, name, stream, mode);
}

SND_PCM_PLUGIN_SYMBOL(callrec);
