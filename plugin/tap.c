#include "tap.h"

#include <string.h>
#include <time.h>

#include "areas.h"
#include "clock.h"
#include "copy.h"
#include "fork_guard.h"
#include "ring.h"

void tap_attach(struct tap *t, const struct cr_ring *ring)
{
	memset(t, 0, sizeof(*t));
	t->ring = ring;
	t->generation = fork_guard_generation();
}

/* Record geometry for the current format and ring; pure computation. */
static void tap_geometry(struct tap *t)
{
	const struct cr_ring *r = t->ring;
	const unsigned int channels = t->channels;
	int bits = snd_pcm_format_physical_width(t->format);
	uint32_t max_payload;

	t->frame_bytes = 0;
	t->max_rec_frames = 0;
	/* Formats whose frames are not whole bytes cannot be stored as cr_rec frames; such a
	 * stream passes untapped and every frame counts as dropped. */
	if (!r || bits <= 0 || (bits * channels) % 8 || channels == 0 ||
	    channels > TAP_MAX_CHANNELS)
		return;
	t->sample_bits = (unsigned int)bits;
	t->frame_bytes = (uint32_t)bits * channels / 8;
	/* cr_ring_reserve refuses records above half the ring; a quarter leaves room for the
	 * consumer to be half a record behind without every big transfer being dropped. The
	 * capacity is the plugin's own copy, never the shared header's. */
	max_payload = r->data_bytes / 4 - CR_REC_HDR_BYTES;
	t->max_rec_frames = max_payload / t->frame_bytes;
}

void tap_configure(struct tap *t, snd_pcm_format_t format, unsigned int channels,
		   unsigned int rate)
{
	t->format = format;
	t->channels = channels;
	t->rate = rate;
	if (t->ring && t->generation == fork_guard_generation()) {
		struct cr_ring_hdr *w = cr_ring_hdr(t->ring);
		atomic_store_explicit(&w->stream_format, (int32_t)format, memory_order_relaxed);
		atomic_store_explicit(&w->stream_channels, channels, memory_order_relaxed);
		atomic_store_explicit(&w->stream_rate, rate, memory_order_release);
	}
	tap_geometry(t);
}

void tap_switch(struct tap *t, const struct cr_ring *ring)
{
	t->ring = ring;
	if (t->rate) /* configured: the new ring may have another size */
		tap_geometry(t);
}

static int tap_active(const struct tap *t)
{
	/* Untappable format, or a forked child: never touch the parent's ring. */
	return t->ring && t->max_rec_frames && t->generation == fork_guard_generation();
}

/* Reserves a record for `frames` frames and fills its header; NULL (frames counted as dropped)
 * when the ring is full. */
static struct cr_rec *begin_record(struct tap *t, uint32_t frames, uint64_t t_ns)
{
	struct cr_rec *rec = cr_ring_reserve(t->ring, frames * t->frame_bytes);

	if (!rec) {
		cr_ring_drop(t->ring, frames);
		return NULL;
	}
	rec->kind = CR_REC_AUDIO;
	rec->channels = (uint16_t)t->channels;
	rec->rate = t->rate;
	rec->format = (int32_t)t->format;
	rec->frames = frames;
	rec->frame_bytes = t->frame_bytes;
	rec->pos = t->pos;
	rec->t_ns = t_ns;
	rec->inject_first = 0; /* the ring's memory holds whatever an earlier lap left there */
	rec->inject_frames = 0;
	return rec;
}

void tap_write(struct tap *t, const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset,
	       snd_pcm_uframes_t frames, uint32_t inject_frames)
{
	snd_pcm_channel_area_t dst[TAP_MAX_CHANNELS];
	uint64_t t_ns;

	tap_note_injected(t, inject_frames); /* mixed in, whether or not it can be stored */
	if (!tap_active(t)) {
		t->pos += frames;
		return;
	}
	t_ns = cr_now_ns();
	while (frames) {
		uint32_t n = frames > t->max_rec_frames ? t->max_rec_frames : (uint32_t)frames;
		struct cr_rec *rec = begin_record(t, n, t_ns);

		if (rec) {
			/* Disclosure covers the first inject_frames of this write, so at most the
			 * start of each record (records are consecutive slices of it). */
			rec->inject_frames = inject_frames < n ? inject_frames : n;
			if (!areas_copy_fast_interleaved(cr_rec_payload(rec), areas, offset,
							 t->channels, t->sample_bits, n)) {
				areas_describe_interleaved(dst, cr_rec_payload(rec), t->channels,
							   t->sample_bits);
				snd_pcm_areas_copy(dst, 0, areas, offset, t->channels, n, t->format);
			}
			cr_ring_commit(t->ring, n * t->frame_bytes);
		}
		t->pos += n;
		offset += n;
		frames -= n;
		inject_frames = inject_frames > n ? inject_frames - n : 0;
	}
}

void tap_pass_interleaved(struct tap *t, unsigned char *dst, const unsigned char *src,
			  snd_pcm_uframes_t frames, size_t frame_bytes)
{
	uint64_t t_ns;

	if (!tap_active(t)) {
		memcpy(dst, src, frames * frame_bytes);
		t->pos += frames;
		return;
	}
	t_ns = cr_now_ns();
	while (frames) {
		uint32_t n = frames > t->max_rec_frames ? t->max_rec_frames : (uint32_t)frames;
		size_t bytes = (size_t)n * frame_bytes;
		struct cr_rec *rec = begin_record(t, n, t_ns);

		if (rec) {
			copy_twice(dst, cr_rec_payload(rec), src, bytes);
			cr_ring_commit(t->ring, n * t->frame_bytes);
		} else {
			memcpy(dst, src, bytes);
		}
		t->pos += n;
		dst += bytes;
		src += bytes;
		frames -= n;
	}
}

void tap_note_injected(struct tap *t, uint32_t frames)
{
	if (frames && t->ring && t->generation == fork_guard_generation())
		atomic_fetch_add_explicit(&cr_ring_hdr(t->ring)->injected_frames, frames,
					  memory_order_relaxed);
}

void tap_detach(struct tap *t)
{
	if (t->ring && t->generation == fork_guard_generation())
		atomic_fetch_or_explicit(&cr_ring_hdr(t->ring)->state, CR_RING_PRODUCER_CLOSED,
					 memory_order_release);
	t->ring = NULL;
}
