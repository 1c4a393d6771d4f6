/* alsaprobe: an LD_PRELOAD library that records what an application hands to / takes from ALSA
 * with snd_pcm_writei / snd_pcm_readi, and when. The softphone test uses it as an independent
 * witness of the near side's audio at the ALSA API (exactly where the callrec plugin sits), so
 * that the archived channels' alignment can be measured against wall-clock truth instead of
 * being assumed.
 *
 *   LD_PRELOAD=alsaprobe.so ALSAPROBE_DIR=DIR [ALSAPROBE_PCMS=name1,name2] app ...
 *
 * For every traced PCM handle N (in open order) it writes DIR/N.raw (the frames, interleaved,
 * in the stream's format) and DIR/N.idx: a first line
 *   stream playback|capture name NAME rate R channels C format FMT
 * then one line per successful call: `T_NS POS FRAMES DELAY T_DELAY_NS`: CLOCK_MONOTONIC
 * nanoseconds taken before writei (the moment the application handed the frames over) or after
 * readi (the moment the captured frames were delivered), the stream position of the first
 * frame, the count, and snd_pcm_delay (-1 if it failed) with the time it was taken, right after
 * the call: for playback the frames queued ahead of the speaker including these, for capture
 * the frames captured and not yet read. With it, the times the audio was heard or spoken can
 * be estimated as well.
 * Test instrumentation only: it does stdio in the caller's thread, which a real-time path
 * must not do.
 */
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

#define MAX_TRACED 32

struct traced {
	snd_pcm_t *pcm;
	FILE *raw, *idx;
	uint64_t pos;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct traced traced[MAX_TRACED];
static unsigned next_id;

/* Is NAME in the comma-separated ALSAPROBE_PCMS (or is the list absent)? */
static int wanted(const char *name)
{
	const char *list = getenv("ALSAPROBE_PCMS");
	size_t n = strlen(name);
	if (!list || !*list)
		return 1;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* The slot for pcm, created on its first transfer (hw_params are set by then). NULL: not
 * traced. Called with lock held. */
static struct traced *slot(snd_pcm_t *pcm)
{
	const char *dir = getenv("ALSAPROBE_DIR");
	struct traced *free_slot = NULL;
	char path[4096];

	for (int i = 0; i < MAX_TRACED; i++) {
		if (traced[i].pcm == pcm)
			return traced[i].raw ? &traced[i] : NULL;
		if (!traced[i].pcm && !free_slot)
			free_slot = &traced[i];
	}
	if (!free_slot || !dir)
		return NULL;
	free_slot->pcm = pcm; /* remembered even when not traced, so we decide once */
	free_slot->pos = 0;
	const char *name = snd_pcm_name(pcm);
	if (!name || !wanted(name))
		return NULL;

	snd_pcm_hw_params_t *hw;
	snd_pcm_format_t fmt;
	unsigned rate, ch;
	snd_pcm_hw_params_alloca(&hw);
	if (snd_pcm_hw_params_current(pcm, hw) < 0 || snd_pcm_hw_params_get_format(hw, &fmt) < 0 ||
	    snd_pcm_hw_params_get_rate(hw, &rate, NULL) < 0 ||
	    snd_pcm_hw_params_get_channels(hw, &ch) < 0)
		return NULL;
	unsigned id = next_id++;
	snprintf(path, sizeof(path), "%s/%u.raw", dir, id);
	free_slot->raw = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/%u.idx", dir, id);
	free_slot->idx = fopen(path, "w");
	if (!free_slot->raw || !free_slot->idx) {
		if (free_slot->raw)
			fclose(free_slot->raw);
		if (free_slot->idx)
			fclose(free_slot->idx);
		free_slot->raw = free_slot->idx = NULL;
		return NULL;
	}
	fprintf(free_slot->idx, "stream %s name %s rate %u channels %u format %s\n",
		snd_pcm_stream(pcm) == SND_PCM_STREAM_PLAYBACK ? "playback" : "capture", name, rate,
		ch, snd_pcm_format_name(fmt));
	return free_slot;
}

static void record(snd_pcm_t *pcm, const void *buf, snd_pcm_sframes_t frames, uint64_t t)
{
	snd_pcm_sframes_t delay;
	if (snd_pcm_delay(pcm, &delay) < 0)
		delay = -1;
	uint64_t t_delay = cr_now_ns();
	pthread_mutex_lock(&lock);
	struct traced *s = slot(pcm);
	if (s) {
		fwrite(buf, 1, (size_t)snd_pcm_frames_to_bytes(pcm, frames), s->raw);
		fprintf(s->idx, "%llu %llu %ld %ld %llu\n", (unsigned long long)t,
			(unsigned long long)s->pos, (long)frames, (long)delay,
			(unsigned long long)t_delay);
		/* Flushed every time: the application may be killed rather than close its PCM. */
		fflush(s->raw);
		fflush(s->idx);
		s->pos += (uint64_t)frames;
	}
	pthread_mutex_unlock(&lock);
}

snd_pcm_sframes_t snd_pcm_writei(snd_pcm_t *pcm, const void *buf, snd_pcm_uframes_t size)
{
	static snd_pcm_sframes_t (*real)(snd_pcm_t *, const void *, snd_pcm_uframes_t);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "snd_pcm_writei");
	uint64_t t = cr_now_ns();
	snd_pcm_sframes_t r = real(pcm, buf, size);
	if (r > 0)
		record(pcm, buf, r, t);
	return r;
}

snd_pcm_sframes_t snd_pcm_readi(snd_pcm_t *pcm, void *buf, snd_pcm_uframes_t size)
{
	static snd_pcm_sframes_t (*real)(snd_pcm_t *, void *, snd_pcm_uframes_t);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "snd_pcm_readi");
	snd_pcm_sframes_t r = real(pcm, buf, size);
	if (r > 0)
		record(pcm, buf, r, cr_now_ns());
	return r;
}

int snd_pcm_close(snd_pcm_t *pcm)
{
	static int (*real)(snd_pcm_t *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "snd_pcm_close");
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_TRACED; i++) {
		if (traced[i].pcm != pcm)
			continue;
		if (traced[i].raw) {
			fclose(traced[i].raw);
			fclose(traced[i].idx);
		}
		/* The handle's address may be reused by a later open: forget it. */
		memset(&traced[i], 0, sizeof(traced[i]));
	}
	pthread_mutex_unlock(&lock);
	return real(pcm);
}
