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
	struct cr_ring_hdr *h = hdr_of(base);

	if (!is_pow2(data_bytes) || data_bytes < CR_RING_MIN_DATA || data_bytes > CR_RING_MAX_DATA ||
	    map_bytes < cr_ring_layout_bytes(data_bytes))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->magic = CR_RING_MAGIC;
	h->version = CR_RING_VERSION;
	h->hdr_bytes = CR_RING_HDR_BYTES;
	h->data_bytes = data_bytes;
	atomic_store_explicit(&h->head, 0, memory_order_relaxed);
	atomic_store_explicit(&h->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&h->dropped_frames, 0, memory_order_relaxed);
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
