/* Single-producer single-consumer record ring in shared memory. See ring.h.
 *
 * head and tail are free-running byte counters; the data offset is counter & (size - 1).
 * The producer publishes a record by storing head with release order after filling it; the
 * consumer reads head with acquire order, so it never sees a half-written record. The
 * consumer publishes consumption the same way through tail. */
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

struct cr_rec *cr_ring_reserve(void *base, uint32_t payload)
{
	struct cr_ring_hdr *h = hdr_of(base);
	const uint32_t size = h->data_bytes;
	uint64_t head = atomic_load_explicit(&h->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&h->tail, memory_order_acquire);
	uint64_t need = ((uint64_t)CR_REC_HDR_BYTES + payload + 7u) & ~(uint64_t)7u;
	uint32_t off = (uint32_t)(head & (size - 1));
	uint32_t to_end = size - off;
	uint64_t pad = 0;
	struct cr_rec *rec;

	if (need > size / 2)
		return NULL;
	if (need > to_end)
		pad = to_end; /* a record never wraps: fill the tail end with a PAD record */
	if (head + pad + need - tail > size)
		return NULL;
	if (pad) {
		struct cr_rec *p = (struct cr_rec *)(data_of(base) + off);
		p->bytes = to_end;
		p->kind = CR_REC_PAD;
		head += pad;
		/* The PAD becomes visible together with the record that follows it. */
		atomic_store_explicit(&h->head, head, memory_order_release);
		off = 0;
	}
	rec = (struct cr_rec *)(data_of(base) + off);
	rec->bytes = (uint32_t)need;
	return rec;
}

void cr_ring_commit(void *base, struct cr_rec *rec)
{
	struct cr_ring_hdr *h = hdr_of(base);
	uint64_t head = atomic_load_explicit(&h->head, memory_order_relaxed);

	atomic_store_explicit(&h->head, head + rec->bytes, memory_order_release);
}

void cr_ring_drop(void *base, uint32_t frames)
{
	atomic_fetch_add_explicit(&hdr_of(base)->dropped_frames, frames, memory_order_relaxed);
}

const void *cr_ring_peek(void *base, size_t map_bytes, struct cr_rec *hdr, int *err)
{
	struct cr_ring_hdr *h = hdr_of(base);
	uint32_t size;

	*err = 0;
	if (cr_ring_check(base, map_bytes) < 0)
		goto bad;
	size = h->data_bytes;
	for (;;) {
		uint64_t tail = atomic_load_explicit(&h->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&h->head, memory_order_acquire);
		uint32_t off = (uint32_t)(tail & (size - 1));
		uint64_t avail = head - tail;
		const struct cr_rec *rec;
		uint32_t bytes;
		uint16_t kind;

		if (avail == 0)
			return NULL;
		if (avail > size || (off & 7u))
			goto bad;
		/* Only the first 8 bytes (size, kind) are guaranteed: a PAD at the very end of the
		 * data area may be shorter than a record header. Read them once each, since the
		 * producer can scribble on shared memory at any time. */
		rec = (const struct cr_rec *)(data_of(base) + off);
		bytes = *(volatile const uint32_t *)&rec->bytes;
		kind = *(volatile const uint16_t *)&rec->kind;
		if (kind == CR_REC_PAD) {
			if (bytes != size - off || bytes > avail)
				goto bad;
			atomic_store_explicit(&h->tail, tail + bytes, memory_order_release);
			continue;
		}
		if (kind != CR_REC_AUDIO || bytes < CR_REC_HDR_BYTES || (bytes & 7u) ||
		    bytes > size - off || bytes > avail)
			goto bad;
		memcpy(hdr, rec, sizeof(*hdr));
		hdr->bytes = bytes;
		hdr->kind = kind;
		if (hdr->channels == 0 || hdr->channels > 32 || hdr->frame_bytes == 0 ||
		    hdr->frame_bytes > 32u * 8u ||
		    (uint64_t)hdr->frames * hdr->frame_bytes > bytes - CR_REC_HDR_BYTES)
			goto bad;
		return (const unsigned char *)rec + CR_REC_HDR_BYTES;
	}
bad:
	*err = -EPROTO;
	return NULL;
}

void cr_ring_release(void *base, const struct cr_rec *hdr)
{
	struct cr_ring_hdr *h = hdr_of(base);
	uint64_t tail = atomic_load_explicit(&h->tail, memory_order_relaxed);

	atomic_store_explicit(&h->tail, tail + hdr->bytes, memory_order_release);
}

/* --- disclosure ring: the agent produces, the plugin consumes ------------------------------ */

static inline unsigned char *inject_of(void *base)
{
	return (unsigned char *)base + hdr_of(base)->inject_offset;
}

int cr_inject_write(void *base, uint16_t kind, uint32_t rate, uint64_t id, const int16_t *samples,
		    uint32_t frames)
{
	struct cr_ring_hdr *h = hdr_of(base);
	const uint32_t size = h->inject_bytes;
	uint64_t head, tail, need, pad = 0;
	uint32_t off, to_end;
	struct cr_inj *rec;

	if (!h->inject_offset || (kind != CR_INJ_REPLACE && kind != CR_INJ_ADD) || frames == 0)
		return -EINVAL;
	need = ((uint64_t)CR_INJ_HDR_BYTES + (uint64_t)frames * 2u + 7u) & ~(uint64_t)7u;
	if (need > size / 2)
		return -EINVAL;
	head = atomic_load_explicit(&h->inject_head, memory_order_relaxed);
	tail = atomic_load_explicit(&h->inject_tail, memory_order_acquire);
	off = (uint32_t)(head & (size - 1));
	to_end = size - off;
	if (need > to_end)
		pad = to_end;
	if (head - tail > size || head + pad + need - tail > size)
		return -ENOSPC;
	if (pad) {
		struct cr_inj *p = (struct cr_inj *)(inject_of(base) + off);
		p->bytes = to_end;
		p->kind = CR_INJ_PAD;
		head += pad;
		off = 0;
	}
	rec = (struct cr_inj *)(inject_of(base) + off);
	rec->bytes = (uint32_t)need;
	rec->kind = kind;
	rec->reserved = 0;
	rec->frames = frames;
	rec->rate = rate;
	rec->id = id;
	memcpy((unsigned char *)rec + CR_INJ_HDR_BYTES, samples, (size_t)frames * 2u);
	atomic_store_explicit(&h->inject_head, head + need, memory_order_release);
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
	struct cr_ring_hdr *h = hdr_of(base);
	const uint32_t size = h->inject_bytes;

	if (!h->inject_offset)
		return NULL;
	for (;;) {
		uint64_t tail = atomic_load_explicit(&h->inject_tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&h->inject_head, memory_order_acquire);
		uint64_t avail = head - tail;
		uint32_t off = (uint32_t)(tail & (size - 1));
		const struct cr_inj *rec;

		if (avail == 0 || avail > size || (off & 7u))
			return NULL;
		rec = (const struct cr_inj *)(inject_of(base) + off);
		hdr->bytes = *(volatile const uint32_t *)&rec->bytes;
		hdr->kind = *(volatile const uint16_t *)&rec->kind;
		if (hdr->kind == CR_INJ_PAD) {
			if (hdr->bytes != size - off || hdr->bytes > avail)
				return NULL;
			atomic_store_explicit(&h->inject_tail, tail + hdr->bytes, memory_order_release);
			continue;
		}
		if (hdr->bytes < CR_INJ_HDR_BYTES || (hdr->bytes & 7u) || hdr->bytes > size - off ||
		    hdr->bytes > avail)
			return NULL;
		memcpy(hdr, rec, sizeof(*hdr));
		if ((hdr->kind != CR_INJ_REPLACE && hdr->kind != CR_INJ_ADD) ||
		    (uint64_t)hdr->frames * 2u > hdr->bytes - CR_INJ_HDR_BYTES) {
			hdr->bytes = 0;
			return NULL;
		}
		return (const int16_t *)((const unsigned char *)rec + CR_INJ_HDR_BYTES);
	}
}

void cr_inject_release(void *base, const struct cr_inj *hdr)
{
	struct cr_ring_hdr *h = hdr_of(base);
	uint64_t tail = atomic_load_explicit(&h->inject_tail, memory_order_relaxed);

	atomic_store_explicit(&h->inject_tail, tail + hdr->bytes, memory_order_release);
}
