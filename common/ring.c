/* The two single-producer single-consumer record rings in one shared mapping: audio from the
 * plugin to the agent, disclosure audio from the agent to the plugin. See ring.h. Both are the
 * same core (below) with their own counters, area, record header and filler kind. */
#include "ring.h"

#include <errno.h>
#include <string.h>

static inline struct cr_ring_hdr *hdr_of(void *base)
{
	return (struct cr_ring_hdr *)base;
}

static inline unsigned char *data_of(void *base)
{
	return (unsigned char *)base + CR_RING_HDR_BYTES;
}

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int cr_ring_init(void *base, size_t map_bytes, uint32_t data_bytes)
{
	return cr_ring_init_inject(base, map_bytes, data_bytes, 0);
}

#define CR_INJECT_MIN (4u * 1024u)
#define CR_INJECT_MAX (16u * 1024u * 1024u)

int cr_ring_init_inject(void *base, size_t map_bytes, uint32_t data_bytes, uint32_t inject_bytes)
{
	struct cr_ring_hdr *h = hdr_of(base);

	if (!is_pow2(data_bytes) || data_bytes < CR_RING_MIN_DATA || data_bytes > CR_RING_MAX_DATA ||
	    map_bytes < cr_ring_layout_bytes_inject(data_bytes, inject_bytes))
		return -EINVAL;
	if (inject_bytes && (!is_pow2(inject_bytes) || inject_bytes < CR_INJECT_MIN ||
			     inject_bytes > CR_INJECT_MAX))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->magic = CR_RING_MAGIC;
	h->version = CR_RING_VERSION;
	h->hdr_bytes = CR_RING_HDR_BYTES;
	h->data_bytes = data_bytes;
	atomic_store_explicit(&h->head, 0, memory_order_relaxed);
	atomic_store_explicit(&h->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&h->dropped_frames, 0, memory_order_relaxed);
	if (inject_bytes) {
		h->inject_offset = CR_RING_HDR_BYTES + data_bytes;
		h->inject_bytes = inject_bytes;
	}
	atomic_store_explicit(&h->state, 0, memory_order_release);
	return 0;
}

int cr_ring_check(const void *base, size_t map_bytes)
{
	const struct cr_ring_hdr *h = base;

	if (map_bytes < CR_RING_HDR_BYTES || h->magic != CR_RING_MAGIC ||
	    h->version != CR_RING_VERSION || h->hdr_bytes != CR_RING_HDR_BYTES ||
	    !is_pow2(h->data_bytes) || h->data_bytes < CR_RING_MIN_DATA ||
	    h->data_bytes > CR_RING_MAX_DATA || map_bytes < cr_ring_layout_bytes(h->data_bytes))
		return -EPROTO;
	if (h->inject_offset &&
	    (h->inject_offset != CR_RING_HDR_BYTES + h->data_bytes || !is_pow2(h->inject_bytes) ||
	     h->inject_bytes < CR_INJECT_MIN || h->inject_bytes > CR_INJECT_MAX ||
	     map_bytes < cr_ring_layout_bytes_inject(h->data_bytes, h->inject_bytes)))
		return -EPROTO;
	return 0;
}

/* --- the SPSC core under both rings --------------------------------------------------------
 *
 * A ring is a data area of `size` bytes (a power of two) and two free-running byte counters in
 * the shared header: head, written by the producer only, and tail, written by the consumer
 * only; the data offset of a counter is counter & (size - 1). Records are multiples of 8 bytes
 * and begin with their length (u32) and kind (u16); a record never wraps around the end of the
 * area: when it would, a filler record of the ring's pad kind takes the rest of the area first.
 * The producer publishes by storing head with release order after writing; the consumer reads
 * head with acquire order, so it never sees a half-written record, and hands space back the
 * same way through tail. Nothing here allocates, locks or makes a system call: the plugin runs
 * both ends' code (producer of one ring, consumer of the other) in the audio callback. */
struct spsc {
	_Atomic uint64_t *head, *tail;
	unsigned char *data;
	uint32_t size;
	uint16_t pad_kind;
};

/* The start every record of either ring has. */
struct spsc_rec {
	uint32_t bytes;
	uint16_t kind;
};
_Static_assert(offsetof(struct cr_rec, bytes) == offsetof(struct spsc_rec, bytes) &&
		       offsetof(struct cr_rec, kind) == offsetof(struct spsc_rec, kind),
	       "a tap record starts like every ring record");
_Static_assert(offsetof(struct cr_inj, bytes) == offsetof(struct spsc_rec, bytes) &&
		       offsetof(struct cr_inj, kind) == offsetof(struct spsc_rec, kind),
	       "a disclosure record starts like every ring record");

static inline struct spsc tap_ring(void *base)
{
	struct cr_ring_hdr *h = hdr_of(base);

	return (struct spsc){ &h->head, &h->tail, data_of(base), h->data_bytes, CR_REC_PAD };
}

static inline struct spsc inject_ring(void *base)
{
	struct cr_ring_hdr *h = hdr_of(base);

	return (struct spsc){ &h->inject_head, &h->inject_tail,
			      (unsigned char *)base + h->inject_offset, h->inject_bytes,
			      CR_INJ_PAD };
}

/* Producer: room for a record of `need` bytes (a multiple of 8, at most half the area), with
 * `bytes` set; NULL when it does not fit now. A filler, when needed, is published at once:
 * the consumer skips it. */
static inline void *spsc_reserve(const struct spsc *r, uint64_t need)
{
	uint64_t head = atomic_load_explicit(r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(r->tail, memory_order_acquire);
	uint32_t off = (uint32_t)(head & (r->size - 1));
	uint32_t to_end = r->size - off;
	uint64_t pad = need > to_end ? to_end : 0;
	struct spsc_rec *rec;

	/* head - tail > size: the other side wrote nonsense into tail; take it as full. */
	if (need > r->size / 2 || head - tail > r->size || head + pad + need - tail > r->size)
		return NULL;
	if (pad) {
		rec = (struct spsc_rec *)(r->data + off);
		rec->bytes = to_end;
		rec->kind = r->pad_kind;
		head += pad;
		atomic_store_explicit(r->head, head, memory_order_release);
		off = 0;
	}
	rec = (struct spsc_rec *)(r->data + off);
	rec->bytes = (uint32_t)need;
	return rec;
}

/* Producer: publish the record returned by the last spsc_reserve(). */
static inline void spsc_commit(const struct spsc *r, uint32_t bytes)
{
	uint64_t head = atomic_load_explicit(r->head, memory_order_relaxed);

	atomic_store_explicit(r->head, head + bytes, memory_order_release);
}

/* Consumer: the next record that is not a filler. The producer may be another process that
 * changes shared memory at any moment, so the record's length and kind are read once, into
 * *bytes and *kind, and only those copies may be used; the record then lies inside the area
 * and inside what was published, and is at least min_bytes long. NULL with *err 0 when the
 * ring is empty, NULL with *err -EPROTO when it holds something invalid. */
static inline const unsigned char *spsc_peek(const struct spsc *r, uint32_t min_bytes,
					     uint32_t *bytes, uint16_t *kind, int *err)
{
	*err = 0;
	for (;;) {
		uint64_t tail = atomic_load_explicit(r->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(r->head, memory_order_acquire);
		uint32_t off = (uint32_t)(tail & (r->size - 1));
		uint64_t avail = head - tail;
		const unsigned char *rec;
		uint32_t b;
		uint16_t k;

		if (avail == 0)
			return NULL;
		if (avail > r->size || (off & 7u))
			break;
		/* Only the first 8 bytes are certain: a filler at the very end of the area may be
		 * shorter than a record header. */
		rec = r->data + off;
		b = *(volatile const uint32_t *)(rec + offsetof(struct spsc_rec, bytes));
		k = *(volatile const uint16_t *)(rec + offsetof(struct spsc_rec, kind));
		if (k == r->pad_kind) {
			if (b != r->size - off || b > avail)
				break;
			atomic_store_explicit(r->tail, tail + b, memory_order_release);
			continue;
		}
		if (b < min_bytes || (b & 7u) || b > r->size - off || b > avail)
			break;
		*bytes = b;
		*kind = k;
		return rec;
	}
	*err = -EPROTO;
	return NULL;
}

/* Consumer: hand back the record of `bytes` bytes returned by spsc_peek(). */
static inline void spsc_release(const struct spsc *r, uint32_t bytes)
{
	uint64_t tail = atomic_load_explicit(r->tail, memory_order_relaxed);

	atomic_store_explicit(r->tail, tail + bytes, memory_order_release);
}

/* --- the tap ring: the plugin produces, the agent consumes -------------------------------- */

struct cr_rec *cr_ring_reserve(void *base, uint32_t payload)
{
	struct spsc r = tap_ring(base);

	return spsc_reserve(&r, ((uint64_t)CR_REC_HDR_BYTES + payload + 7u) & ~(uint64_t)7u);
}

void cr_ring_commit(void *base, struct cr_rec *rec)
{
	struct spsc r = tap_ring(base);

	spsc_commit(&r, rec->bytes);
}

void cr_ring_drop(void *base, uint32_t frames)
{
	atomic_fetch_add_explicit(&hdr_of(base)->dropped_frames, frames, memory_order_relaxed);
}

const void *cr_ring_peek(void *base, size_t map_bytes, struct cr_rec *hdr, int *err)
{
	struct spsc r;
	const unsigned char *rec;
	uint32_t bytes;
	uint16_t kind;

	if (cr_ring_check(base, map_bytes) < 0) {
		*err = -EPROTO;
		return NULL;
	}
	r = tap_ring(base);
	rec = spsc_peek(&r, CR_REC_HDR_BYTES, &bytes, &kind, err);
	if (!rec)
		return NULL;
	memcpy(hdr, rec, sizeof(*hdr));
	hdr->bytes = bytes;
	hdr->kind = kind;
	if (kind != CR_REC_AUDIO || hdr->channels == 0 || hdr->channels > 32 ||
	    hdr->frame_bytes == 0 || hdr->frame_bytes > 32u * 8u ||
	    (uint64_t)hdr->frames * hdr->frame_bytes > bytes - CR_REC_HDR_BYTES) {
		*err = -EPROTO;
		return NULL;
	}
	return rec + CR_REC_HDR_BYTES;
}

void cr_ring_release(void *base, const struct cr_rec *hdr)
{
	struct spsc r = tap_ring(base);

	spsc_release(&r, hdr->bytes);
}

/* --- the disclosure ring: the agent produces, the plugin consumes ------------------------- */

int cr_inject_write(void *base, uint16_t kind, uint32_t rate, uint64_t id, const int16_t *samples,
		    uint32_t frames)
{
	struct cr_ring_hdr *h = hdr_of(base);
	struct spsc r;
	struct cr_inj *rec;
	uint64_t need;

	if (!h->inject_offset || (kind != CR_INJ_REPLACE && kind != CR_INJ_ADD) || frames == 0)
		return -EINVAL;
	need = ((uint64_t)CR_INJ_HDR_BYTES + (uint64_t)frames * 2u + 7u) & ~(uint64_t)7u;
	if (need > h->inject_bytes / 2)
		return -EINVAL; /* could never fit */
	r = inject_ring(base);
	rec = spsc_reserve(&r, need);
	if (!rec)
		return -ENOSPC;
	rec->kind = kind;
	rec->reserved = 0;
	rec->frames = frames;
	rec->rate = rate;
	rec->id = id;
	memcpy((unsigned char *)rec + CR_INJ_HDR_BYTES, samples, (size_t)frames * 2u);
	spsc_commit(&r, rec->bytes);
	return 0;
}

uint64_t cr_inject_pending(void *base)
{
	struct cr_ring_hdr *h = hdr_of(base);

	return atomic_load_explicit(&h->inject_head, memory_order_relaxed) -
	       atomic_load_explicit(&h->inject_tail, memory_order_acquire);
}

const int16_t *cr_inject_peek(void *base, struct cr_inj *hdr)
{
	struct spsc r;
	const unsigned char *rec;
	uint32_t bytes;
	uint16_t kind;
	int err;

	if (!hdr_of(base)->inject_offset)
		return NULL;
	r = inject_ring(base);
	/* Something invalid in the area is treated as nothing to mix. */
	rec = spsc_peek(&r, CR_INJ_HDR_BYTES, &bytes, &kind, &err);
	if (!rec)
		return NULL;
	memcpy(hdr, rec, sizeof(*hdr));
	hdr->bytes = bytes;
	hdr->kind = kind;
	if ((kind != CR_INJ_REPLACE && kind != CR_INJ_ADD) ||
	    (uint64_t)hdr->frames * 2u > bytes - CR_INJ_HDR_BYTES) {
		hdr->bytes = 0;
		return NULL;
	}
	return (const int16_t *)(rec + CR_INJ_HDR_BYTES);
}

void cr_inject_release(void *base, const struct cr_inj *hdr)
{
	struct spsc r = inject_ring(base);

	spsc_release(&r, hdr->bytes);
}
