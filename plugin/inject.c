#include "inject.h"

#include <string.h>

#include "fork_guard.h"
#include "mix.h"

/* Records taken per transfer at most, used or skipped: a hostile agent refilling the ring as
 * fast as the plugin skips its records cannot keep the audio thread busy. The agent queues
 * 100 ms pieces, so this is 6.4 s of disclosure, more than any transfer. */
#define MAX_RECORDS_PER_MIX 64

void inject_attach(struct inject *in, const struct cr_ring *ring)
{
	memset(in, 0, sizeof(*in));
	in->generation = fork_guard_generation();
	/* Rings without a disclosure area never carry records (the plugin's own geometry). */
	if (ring && ring->inject_offset)
		in->ring = ring;
}

bool inject_pending(const struct inject *in)
{
	struct cr_ring_hdr *h = in->ring ? cr_ring_hdr(in->ring) : NULL;

	if (!h || in->generation != fork_guard_generation())
		return false; /* a forked child must not consume the parent's records */
	if (in->have)
		return true;
	return atomic_load_explicit(&h->inject_head, memory_order_relaxed) !=
	       atomic_load_explicit(&h->inject_tail, memory_order_relaxed);
}

/* Makes a record current: the next one at the stream's rate, taking at most *budget. */
static bool next_record(struct inject *in, unsigned int rate, unsigned int *budget)
{
	while (!in->have) {
		const int16_t *s;

		if (*budget == 0)
			return false;
		(*budget)--;
		s = cr_inject_peek(in->ring, &in->hdr);
		if (!s)
			return false;
		if (in->hdr.rate != rate || in->hdr.frames == 0) {
			cr_inject_release(in->ring, &in->hdr); /* the agent prepared the wrong rate */
			continue;
		}
		in->samples = s;
		in->used = 0;
		in->have = true;
	}
	return true;
}

uint32_t inject_mix(struct inject *in, unsigned int rate, const snd_pcm_channel_area_t *areas,
		    snd_pcm_uframes_t offset, unsigned int channels, snd_pcm_format_t format,
		    snd_pcm_uframes_t frames)
{
	snd_pcm_uframes_t done = 0;
	unsigned int budget = MAX_RECORDS_PER_MIX;

	if (!inject_pending(in) || !mix_format_supported(format))
		return 0;
	while (done < frames && next_record(in, rate, &budget)) {
		snd_pcm_uframes_t n = in->hdr.frames - in->used;

		if (n > frames - done)
			n = frames - done;
		mix_s16_mono(areas, offset + done, channels, format, in->samples + in->used, n,
			     in->hdr.kind == CR_INJ_ADD ? MIX_ADD : MIX_REPLACE);
		in->used += (uint32_t)n;
		done += n;
		if (in->used == in->hdr.frames) {
			cr_inject_release(in->ring, &in->hdr);
			in->have = false;
		}
	}
	return (uint32_t)done;
}
