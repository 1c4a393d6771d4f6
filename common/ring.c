/* The two single-producer single-consumer record rings in one shared mapping: audio from the
 * plugin to the agent, disclosure audio from the agent to the plugin. See ring.h. Both are the
 * same core (below) with their own counters, area, record header and filler kind. */
#include "ring.h"

#include <errno.h>
#include <string.h>

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

#define CR_INJECT_MIN (4u * 1024u)
#define CR_INJECT_MAX (16u * 1024u * 1024u)

/* The geometry of a ring: sizes in range, every area inside a mapping of map_bytes. */
static int geometry_ok(const struct cr_ring *g)
{
	if (g->map_bytes < CR_RING_HDR_BYTES || !is_pow2(g->data_bytes) ||
	    g->data_bytes < CR_RING_MIN_DATA || g->data_bytes > CR_RING_MAX_DATA ||
	    g->map_bytes < cr_ring_layout_bytes(g->data_bytes))
		return 0;
	if (!g->inject_offset)
		return g->inject_bytes == 0;
	return g->inject_offset == CR_RING_HDR_BYTES + g->data_bytes && is_pow2(g->inject_bytes) &&
	       g->inject_bytes >= CR_INJECT_MIN && g->inject_bytes <= CR_INJECT_MAX &&
	       g->map_bytes >= cr_ring_layout_bytes_inject(g->data_bytes, g->inject_bytes);
}

int cr_ring_init(struct cr_ring *r, void *base, size_t map_bytes, uint32_t data_bytes)
{
	return cr_ring_init_inject(r, base, map_bytes, data_bytes, 0);
}

int cr_ring_init_inject(struct cr_ring *r, void *base, size_t map_bytes, uint32_t data_bytes,
			uint32_t inject_bytes)
{
	struct cr_ring g = { base, map_bytes, data_bytes,
			     inject_bytes ? CR_RING_HDR_BYTES + data_bytes : 0, inject_bytes };
	struct cr_ring_hdr *h = base;

	if (!geometry_ok(&g))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->magic = CR_RING_MAGIC;
	h->version = CR_RING_VERSION;
	h->hdr_bytes = CR_RING_HDR_BYTES;
	h->data_bytes = data_bytes;
	h->inject_offset = g.inject_offset;
	h->inject_bytes = g.inject_bytes;
	atomic_store_explicit(&h->head, 0, memory_order_relaxed);
	atomic_store_explicit(&h->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&h->dropped_frames, 0, memory_order_relaxed);
	atomic_store_explicit(&h->state, 0, memory_order_release);
	*r = g;
	return 0;
}

/* A field of the shared header, read exactly once. */
static inline uint32_t read_once(const uint32_t *p)
{
	return *(const volatile uint32_t *)p;
}

int cr_ring_attach(struct cr_ring *r, void *base, size_t map_bytes)
{
	const struct cr_ring_hdr *h = base;
	struct cr_ring g = { base, map_bytes, 0, 0, 0 };

	memset(r, 0, sizeof(*r));
	if (map_bytes < CR_RING_HDR_BYTES || read_once(&h->magic) != CR_RING_MAGIC ||
	    read_once(&h->version) != CR_RING_VERSION || read_once(&h->hdr_bytes) != CR_RING_HDR_BYTES)
		return -EPROTO;
	g.data_bytes = read_once(&h->data_bytes);
	g.inject_offset = read_once(&h->inject_offset);
	g.inject_bytes = g.inject_offset ? read_once(&h->inject_bytes) : 0;
	if (!geometry_ok(&g))
		return -EPROTO;
	*r = g;
	return 0;
}

/* The shared header still says what it said when the ring was set up. The geometry used is
 * the private copy either way; a header changed under the consumer means a producer that
 * writes where it should not, whose stream is better abandoned. */
static int header_intact(const struct cr_ring *r)
{
	const struct cr_ring_hdr *h = cr_ring_hdr(r);

	return read_once(&h->magic) == CR_RING_MAGIC && read_once(&h->version) == CR_RING_VERSION &&
	       read_once(&h->hdr_bytes) == CR_RING_HDR_BYTES &&
	       read_once(&h->data_bytes) == r->data_bytes &&
	       read_once(&h->inject_offset) == r->inject_offset &&
	       (!r->inject_offset || read_once(&h->inject_bytes) == r->inject_bytes);
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

static inline struct spsc tap_ring(const struct cr_ring *r)
{
	struct cr_ring_hdr *h = cr_ring_hdr(r);

	return (struct spsc){ &h->head, &h->tail, (unsigned char *)r->base + CR_RING_HDR_BYTES,
			      r->data_bytes, CR_REC_PAD };
}

static inline struct spsc inject_ring(const struct cr_ring *r)
{
	struct cr_ring_hdr *h = cr_ring_hdr(r);

	return (struct spsc){ &h->inject_head, &h->inject_tail,
			      (unsigned char *)r->base + r->inject_offset, r->inject_bytes,
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

	/* head - tail > size: the other side wrote nonsense into tail; a head that is not a
	 * multiple of 8: into head (only the producer should write it). Either way the ring is
	 * taken as full: nothing is written, and nothing outside the area. */
	if (need > r->size / 2 || (head & 7u) || head - tail > r->size ||
	    head + pad + need - tail > r->size)
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
	/* A filler never starts at offset 0 (a record that fits nowhere else fits there), so a
	 * well-behaved producer puts at most one before a record: at most two turns, whatever the
	 * other side writes while we read. */
	for (int turn = 0; turn < 2; turn++) {
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

struct cr_rec *cr_ring_reserve(const struct cr_ring *r, uint32_t payload)
{
	struct spsc q = tap_ring(r);

	return spsc_reserve(&q, ((uint64_t)CR_REC_HDR_BYTES + payload + 7u) & ~(uint64_t)7u);
}

void cr_ring_commit(const struct cr_ring *r, uint32_t payload)
{
	struct spsc q = tap_ring(r);

	spsc_commit(&q, (uint32_t)(((uint64_t)CR_REC_HDR_BYTES + payload + 7u) & ~(uint64_t)7u));
}

void cr_ring_drop(const struct cr_ring *r, uint32_t frames)
{
	atomic_fetch_add_explicit(&cr_ring_hdr(r)->dropped_frames, frames, memory_order_relaxed);
}

const void *cr_ring_peek(const struct cr_ring *r, struct cr_rec *hdr, int *err)
{
	struct spsc q;
	const unsigned char *rec;
	uint32_t bytes;
	uint16_t kind;

	if (!header_intact(r)) {
		*err = -EPROTO;
		return NULL;
	}
	q = tap_ring(r);
	rec = spsc_peek(&q, CR_REC_HDR_BYTES, &bytes, &kind, err);
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

void cr_ring_release(const struct cr_ring *r, const struct cr_rec *hdr)
{
	struct spsc q = tap_ring(r);

	spsc_release(&q, hdr->bytes);
}

/* --- the disclosure ring: the agent produces, the plugin consumes ------------------------- */

int cr_inject_write(const struct cr_ring *r, uint16_t kind, uint32_t rate, uint64_t id,
		    const int16_t *samples, uint32_t frames)
{
	struct spsc q;
	struct cr_inj *rec;
	uint64_t need;

	if (!r->inject_offset || (kind != CR_INJ_REPLACE && kind != CR_INJ_ADD) || frames == 0)
		return -EINVAL;
	need = ((uint64_t)CR_INJ_HDR_BYTES + (uint64_t)frames * 2u + 7u) & ~(uint64_t)7u;
	if (need > r->inject_bytes / 2)
		return -EINVAL; /* could never fit */
	q = inject_ring(r);
	rec = spsc_reserve(&q, need);
	if (!rec)
		return -ENOSPC;
	rec->kind = kind;
	rec->reserved = 0;
	rec->frames = frames;
	rec->rate = rate;
	rec->id = id;
	memcpy((unsigned char *)rec + CR_INJ_HDR_BYTES, samples, (size_t)frames * 2u);
	spsc_commit(&q, (uint32_t)need);
	return 0;
}

uint64_t cr_inject_pending(const struct cr_ring *r)
{
	struct cr_ring_hdr *h = cr_ring_hdr(r);
	uint64_t n;

	if (!r->inject_offset)
		return 0;
	n = atomic_load_explicit(&h->inject_head, memory_order_relaxed) -
	    atomic_load_explicit(&h->inject_tail, memory_order_acquire);
	return n > r->inject_bytes ? r->inject_bytes : n;
}

const int16_t *cr_inject_peek(const struct cr_ring *r, struct cr_inj *hdr)
{
	struct spsc q;
	const unsigned char *rec;
	uint32_t bytes;
	uint16_t kind;
	int err;

	if (!r->inject_offset)
		return NULL;
	q = inject_ring(r);
	/* Something invalid in the area is treated as nothing to mix. */
	rec = spsc_peek(&q, CR_INJ_HDR_BYTES, &bytes, &kind, &err);
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

void cr_inject_release(const struct cr_ring *r, const struct cr_inj *hdr)
{
	struct spsc q = inject_ring(r);

	spsc_release(&q, hdr->bytes);
}
