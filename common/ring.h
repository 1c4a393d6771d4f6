/* Shared-memory audio ring between the plugin (producer) and the agent (consumer).
 *
 * The agent creates a memfd, seals its size, sizes it with cr_ring_layout_bytes() and
 * initialises it with cr_ring_init(); the plugin receives the fd over the control socket
 * (SCM_RIGHTS), maps it, attaches with cr_ring_attach() and writes records. The producer never
 * waits: when a record does not fit it counts the frames as dropped and the agent sees a gap in
 * the frame positions.
 *
 * Each side treats everything in the mapping as untrusted: the other side runs in another
 * process (the plugin in somebody else's) and can rewrite any byte at any moment. So each side
 * works through its own struct cr_ring, with the geometry (sizes and offsets of the areas)
 * copied out of the header once and checked against the mapping's real size; the geometry in
 * the shared header is never read again. Every counter and record length read from the
 * mapping is bounded by that private geometry before it is used as an offset or a length.
 *
 * This file is compiled into the plugin, so it uses libc only and nothing in the producer path
 * allocates, locks or makes a system call.
 */
#ifndef CALLREC_RING_H
#define CALLREC_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pinned.h"

#define CR_RING_MAGIC 0x474e5243u /* "CRNG" little endian */
#define CR_RING_VERSION 1u
#define CR_RING_HDR_BYTES 4096u
#define CR_RING_MIN_DATA (64u * 1024u)
#define CR_RING_MAX_DATA (64u * 1024u * 1024u)

/* Producer state flags (cr_ring_hdr.state). */
#define CR_RING_PRODUCER_ATTACHED 1u /* plugin mapped the ring */
#define CR_RING_PRODUCER_CLOSED 2u   /* plugin closed the stream cleanly */

struct cr_ring_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t hdr_bytes;  /* offset of the data area */
	uint32_t data_bytes; /* capacity of the data area, a power of two */
	alignas(64) _Atomic uint64_t head;   /* bytes ever written; written by the producer only */
	alignas(64) _Atomic uint64_t tail;   /* bytes ever consumed; written by the consumer only */
	alignas(64) _Atomic uint64_t dropped_frames; /* producer: frames that did not fit */
	_Atomic uint32_t state;                      /* CR_RING_PRODUCER_* */

	/* Plugin -> agent: the stream's current hardware parameters (0 before hw_params), so the
	 * agent can prepare disclosure audio at the stream's rate before any record arrives. */
	_Atomic uint32_t stream_rate;
	_Atomic uint32_t stream_channels;
	_Atomic int32_t stream_format;
	_Atomic uint64_t injected_frames; /* plugin: disclosure frames mixed in so far */

	/* Agent -> plugin: control flags (CR_RING_CTL_*), read by the plugin in transfer. */
	alignas(64) _Atomic uint32_t control;

	/* Disclosure audio, agent -> plugin: a second SPSC ring of struct cr_inj records in the
	 * same memfd, after the tap data area. inject_offset 0 means there is none. */
	uint32_t inject_offset; /* from the start of the mapping */
	uint32_t inject_bytes;  /* capacity, a power of two */
	alignas(64) _Atomic uint64_t inject_head; /* written by the agent only */
	alignas(64) _Atomic uint64_t inject_tail; /* written by the plugin only */
};

/* The header is shared by the plugin (built into whatever application loads it) and the
 * agent: pinned, and its counters must be lock-free atomics, since a lock cannot work across
 * two processes that trust each other this little. */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2 &&
		       ATOMIC_INT_LOCK_FREE == 2,
	       "the ring's counters are lock-free atomics in shared memory");
CR_PIN_SIZE(struct cr_ring_hdr, 448);
_Static_assert(sizeof(struct cr_ring_hdr) <= CR_RING_HDR_BYTES, "the header fits its page");
CR_PIN_AT(struct cr_ring_hdr, magic, 0);
CR_PIN_AT(struct cr_ring_hdr, version, 4);
CR_PIN_AT(struct cr_ring_hdr, hdr_bytes, 8);
CR_PIN_AT(struct cr_ring_hdr, data_bytes, 12);
CR_PIN_AT(struct cr_ring_hdr, head, 64);
CR_PIN_AT(struct cr_ring_hdr, tail, 128);
CR_PIN_AT(struct cr_ring_hdr, dropped_frames, 192);
CR_PIN_AT(struct cr_ring_hdr, state, 200);
CR_PIN_AT(struct cr_ring_hdr, stream_rate, 204);
CR_PIN_AT(struct cr_ring_hdr, stream_channels, 208);
CR_PIN_AT(struct cr_ring_hdr, stream_format, 212);
CR_PIN_AT(struct cr_ring_hdr, injected_frames, 216);
CR_PIN_AT(struct cr_ring_hdr, control, 256);
CR_PIN_AT(struct cr_ring_hdr, inject_offset, 260);
CR_PIN_AT(struct cr_ring_hdr, inject_bytes, 264);
CR_PIN_AT(struct cr_ring_hdr, inject_head, 320);
CR_PIN_AT(struct cr_ring_hdr, inject_tail, 384);

/* Control flags. */
#define CR_RING_CTL_MUTE 1u /* capture: the application gets silence (on_failure: block) */

/* Record kinds. */
#define CR_REC_AUDIO 1u
#define CR_REC_PAD 2u /* filler up to the end of the data area; no payload meaning */

/* One record: a header followed by `frames` interleaved frames in `format` (an
 * snd_pcm_format_t value, e.g. SND_PCM_FORMAT_S16_LE = 2), padded to 8 bytes. Records never
 * wrap around the end of the data area. */
struct cr_rec {
	uint32_t bytes;    /* whole record including header and padding, multiple of 8 */
	uint16_t kind;     /* CR_REC_* */
	uint16_t channels; /* 1..32 */
	uint32_t rate;     /* Hz */
	int32_t format;    /* snd_pcm_format_t */
	uint32_t frames;
	uint32_t frame_bytes; /* bytes per interleaved frame */
	uint64_t pos;         /* stream position of the first frame, counting dropped frames */
	uint64_t t_ns;        /* CLOCK_MONOTONIC when the plugin's transfer ran: for capture just
			       * after the record's last frame was captured; for playback when the
			       * application wrote it (heard about one buffer delay later) */
	uint32_t inject_first;  /* frames [inject_first, inject_first + inject_frames) of this */
	uint32_t inject_frames; /* record carry disclosure audio mixed in by the plugin */
};

#define CR_REC_HDR_BYTES ((uint32_t)sizeof(struct cr_rec))
CR_PIN_SIZE(struct cr_rec, 48);
CR_PIN_AT(struct cr_rec, bytes, 0);
CR_PIN_AT(struct cr_rec, kind, 4);
CR_PIN_AT(struct cr_rec, channels, 6);
CR_PIN_AT(struct cr_rec, rate, 8);
CR_PIN_AT(struct cr_rec, format, 12);
CR_PIN_AT(struct cr_rec, frames, 16);
CR_PIN_AT(struct cr_rec, frame_bytes, 20);
CR_PIN_AT(struct cr_rec, pos, 24);
CR_PIN_AT(struct cr_rec, t_ns, 32);
CR_PIN_AT(struct cr_rec, inject_first, 40);
CR_PIN_AT(struct cr_rec, inject_frames, 44);

/* One side's view of a mapped ring. Filled by cr_ring_init*() (the side that made it) or
 * cr_ring_attach() (the side it was handed to), then read-only: the audio callback reads it
 * without a lock. base NULL: no ring. */
struct cr_ring {
	void *base;             /* the mapping */
	size_t map_bytes;       /* its length */
	uint32_t data_bytes;    /* the tap area's capacity, a power of two */
	uint32_t inject_offset; /* the disclosure area's offset from base, 0 when there is none */
	uint32_t inject_bytes;  /* its capacity, a power of two */
};

/* The shared header (its counters and flags; never its geometry, see above). */
static inline struct cr_ring_hdr *cr_ring_hdr(const struct cr_ring *r)
{
	return (struct cr_ring_hdr *)r->base;
}

/* Size of the memfd for a data area of `data_bytes` (power of two). */
static inline size_t cr_ring_layout_bytes(uint32_t data_bytes)
{
	return (size_t)CR_RING_HDR_BYTES + data_bytes;
}

/* Size of the memfd with a disclosure area of `inject_bytes` (power of two, or 0). */
static inline size_t cr_ring_layout_bytes_inject(uint32_t data_bytes, uint32_t inject_bytes)
{
	return (size_t)CR_RING_HDR_BYTES + data_bytes + inject_bytes;
}

/* Consumer side (the agent): initialise a freshly mapped, zeroed area of map_bytes at base and
 * *r for it. Returns 0 or -EINVAL. */
int cr_ring_init(struct cr_ring *r, void *base, size_t map_bytes, uint32_t data_bytes);
/* The same with a disclosure area of inject_bytes (power of two, 4 KiB .. 16 MiB). */
int cr_ring_init_inject(struct cr_ring *r, void *base, size_t map_bytes, uint32_t data_bytes,
			uint32_t inject_bytes);

/* Producer side (the plugin): check a mapping of map_bytes received from the agent (map_bytes
 * no more than the memfd really holds) and copy its geometry into *r. 0 or -EPROTO. */
int cr_ring_attach(struct cr_ring *r, void *base, size_t map_bytes);

/* Producer: reserve room for a record with `payload` bytes. Returns the record (header to be
 * filled by the caller except `bytes`, which is set) or NULL when the ring is full, or when the
 * counters in shared memory make no sense (then it stays "full": frames are dropped, never
 * written out of bounds). May write a PAD record first. Real-time safe. */
struct cr_rec *cr_ring_reserve(const struct cr_ring *r, uint32_t payload);
/* Producer: publish the record of `payload` bytes returned by the last cr_ring_reserve(). The
 * length comes from the caller, not from the record's header in shared memory. */
void cr_ring_commit(const struct cr_ring *r, uint32_t payload);
/* Producer: count frames that could not be stored. */
void cr_ring_drop(const struct cr_ring *r, uint32_t frames);

static inline void *cr_rec_payload(struct cr_rec *rec)
{
	return (unsigned char *)rec + CR_REC_HDR_BYTES;
}

/* Consumer: next valid audio record, skipping PAD records. The producer lives in another
 * process and may change shared memory at any moment, so the validated header is COPIED into
 * *hdr and only that copy may be used; the return value points at the payload
 * (hdr->frames * hdr->frame_bytes bytes are in bounds). Returns NULL when empty, or NULL with
 * *err = -EPROTO when the producer wrote something invalid, records or header (abandon the
 * stream). The payload stays valid until cr_ring_release(r, hdr). */
const void *cr_ring_peek(const struct cr_ring *r, struct cr_rec *hdr, int *err);
void cr_ring_release(const struct cr_ring *r, const struct cr_rec *hdr);

/* Disclosure records (agent -> plugin). Samples are signed 16-bit mono at `rate`, which must
 * equal the stream's rate (the plugin skips records at any other rate); the plugin converts
 * them to the stream's format and channels as it mixes. */
#define CR_INJ_REPLACE 1u /* replaces the stream's audio (announce: the other party hears only it) */
#define CR_INJ_ADD 2u     /* is added to the stream's audio, saturating (tone) */
#define CR_INJ_PAD 3u     /* filler up to the end of the inject area */

struct cr_inj {
	uint32_t bytes; /* whole record, multiple of 8 */
	uint16_t kind;  /* CR_INJ_* */
	uint16_t reserved;
	uint32_t frames;
	uint32_t rate;
	uint64_t id; /* the agent's number for this piece of disclosure (for its event log) */
};
#define CR_INJ_HDR_BYTES ((uint32_t)sizeof(struct cr_inj))
CR_PIN_SIZE(struct cr_inj, 24);
CR_PIN_AT(struct cr_inj, bytes, 0);
CR_PIN_AT(struct cr_inj, kind, 4);
CR_PIN_AT(struct cr_inj, reserved, 6);
CR_PIN_AT(struct cr_inj, frames, 8);
CR_PIN_AT(struct cr_inj, rate, 12);
CR_PIN_AT(struct cr_inj, id, 16);

/* Agent: append one disclosure record. 0, -ENOSPC when it does not fit now (retry later),
 * -EINVAL when the ring has no inject area or the record could never fit. */
int cr_inject_write(const struct cr_ring *r, uint16_t kind, uint32_t rate, uint64_t id,
		    const int16_t *samples, uint32_t frames);
/* Agent: bytes of disclosure audio queued and not yet consumed by the plugin (at most the
 * area's capacity, whatever the plugin wrote into its counter). */
uint64_t cr_inject_pending(const struct cr_ring *r);
/* Plugin: the next disclosure record, validated and copied into *hdr; returns its samples or
 * NULL when there is none (or the area is corrupt, which the plugin treats as none). Real-time
 * safe. Release with cr_inject_release() once every frame is used. */
const int16_t *cr_inject_peek(const struct cr_ring *r, struct cr_inj *hdr);
void cr_inject_release(const struct cr_ring *r, const struct cr_inj *hdr);

#endif
