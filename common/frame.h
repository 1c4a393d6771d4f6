/* Framing between agent/operator tool and archive, inside TLS. See docs/protocol.md.
 *
 * Every frame: 8-byte header  'C' 'R' version(1) type(1) length(u32 big endian)
 * followed by `length` bytes of body. Multi-byte integers are big endian. Bodies have a fixed
 * binary prefix per type; JSON parts are the remainder of the body and are parsed separately.
 *
 * The parser does no I/O: feed it bytes with cr_frame_parse(), it says how many it consumed
 * and whether a frame is complete. Every field has a hard limit.
 */
#ifndef CALLREC_FRAME_H
#define CALLREC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "hex.h"

#define CR_FRAME_VERSION 1u
#define CR_FRAME_HDR 8u
#define CR_FRAME_MAX_BODY (1024u * 1024u) /* hard limit on any body */
#define CR_FRAME_MAX_JSON (64u * 1024u)   /* hard limit on JSON parts */
#define CR_CALL_ID_BYTES 16u
#define CR_HASH_BYTES 32u
#define CR_CHUNK_MAX_FRAMES (16000u * 10u) /* 10 s at the archive rate */

enum cr_frame_type {
	CR_F_HELLO = 0x01,      /* client -> archive: u16 role, then JSON {"software":..} */
	CR_F_HELLO_OK = 0x02,   /* archive -> client: JSON {"identity":..,"role":..} */
	CR_F_CALL_OPEN = 0x10,  /* call_id, u64 seq(=0), JSON metadata (docs/design.md) */
	CR_F_CHUNK = 0x11,      /* struct cr_chunk_hdr then PCM S16LE interleaved 2ch */
	CR_F_CALL_CLOSE = 0x12, /* call_id, u64 seq(=last chunk+1), JSON {end, gaps[]} */
	CR_F_ACK = 0x13,        /* archive -> agent: call_id, u64 seq, u32 status */
	CR_F_HEARTBEAT = 0x14,  /* agent -> archive: JSON */
	CR_F_CALL_ERASE = 0x15, /* agent -> archive: call_id, u64 seq(=0), JSON {"reason":"private"}:
				 * erase everything of the call, keep a tombstone; ACKed with seq 0
				 * once the erasure is durable */
	CR_F_OP_REQUEST = 0x20, /* operator -> archive: JSON {"op":"list"|"export",...} */
	CR_F_OP_REPLY = 0x21,   /* archive -> operator: JSON (one object per frame) */
	CR_F_OP_DATA = 0x22,    /* archive -> operator: u8 stream (0 wav,1 manifest,...) + bytes */
	CR_F_OP_END = 0x23,     /* archive -> operator: JSON {"status":0|errno,"error":".."} */
	CR_F_ERROR = 0x7f,      /* either way: u32 code, then UTF-8 text; connection then closes */
};

enum cr_role { CR_ROLE_DEVICE = 0, CR_ROLE_OPERATOR = 1 };

/* ACK status values. */
enum cr_ack_status {
	CR_ACK_OK = 0,
	CR_ACK_CONFLICT = 1, /* same (call, seq) already stored with other content */
	CR_ACK_CHAIN = 2,    /* hash chain does not verify */
	CR_ACK_FORBIDDEN = 3,/* call belongs to another device */
	CR_ACK_INVALID = 4,  /* malformed content */
};

struct cr_frame {
	uint8_t version;
	uint8_t type;
	uint32_t length;
	const uint8_t *body; /* points into the caller's buffer */
};

/* Parse one frame from buf[0..len). Returns:
 *   >0  bytes consumed; *out describes a complete frame whose body points into buf
 *    0  need more bytes
 *   <0  -EPROTO (bad magic/version/type) or -EMSGSIZE (length over the limit): close */
long cr_frame_parse(const uint8_t *buf, size_t len, struct cr_frame *out);

/* Write a frame header for a body of `length` bytes. */
void cr_frame_put_hdr(uint8_t hdr[CR_FRAME_HDR], uint8_t type, uint32_t length);

/* Fixed part of a CHUNK body. Audio follows: frames * channels * 2 bytes. */
struct cr_chunk_hdr {
	uint8_t call_id[CR_CALL_ID_BYTES];
	uint64_t seq;         /* 1, 2, ...; CALL_OPEN is 0 */
	uint64_t start_frame; /* position in the call timeline at `rate` */
	uint32_t frames;
	uint32_t rate;     /* archive rate, 16000 by default */
	uint16_t channels; /* 2: 1 local (capture), 2 remote (playback) */
	uint16_t format;   /* 1 = S16LE */
	uint8_t prev_hash[CR_HASH_BYTES];
	uint8_t hash[CR_HASH_BYTES]; /* cr_chunk_hash() of this chunk */
};
#define CR_CHUNK_HDR_WIRE (16 + 8 + 8 + 4 + 4 + 2 + 2 + 32 + 32)

/* Encode/decode the CHUNK fixed part. Decode validates limits and that the body length matches
 * frames*channels*2; returns 0 or -EPROTO. */
void cr_chunk_hdr_encode(const struct cr_chunk_hdr *h, uint8_t out[CR_CHUNK_HDR_WIRE]);
int cr_chunk_hdr_decode(const uint8_t *body, size_t len, struct cr_chunk_hdr *h,
			const uint8_t **audio, size_t *audio_bytes);

/* Hash chain: hash = SHA-256(prev_hash || call_id || seq || start_frame || frames || rate ||
 * channels || format || audio), integers big endian as on the wire. The chain starts from
 * SHA-256 of the CALL_OPEN body. Uses GnuTLS; not for the plugin. */
int cr_chunk_hash(const struct cr_chunk_hdr *h, const uint8_t *audio, size_t audio_bytes,
		  uint8_t out[CR_HASH_BYTES]);

/* Call-id bodies: CALL_OPEN / CALL_CLOSE / ACK share a call_id + u64 seq prefix. */
#define CR_IDSEQ_WIRE (CR_CALL_ID_BYTES + 8)

/* Frames are encoded field by field (never a struct sent raw), so what is pinned is the wire:
 * the sizes docs/protocol.md gives. */
_Static_assert(CR_FRAME_HDR == 8, "frame header: magic 2, version 1, type 1, length 4");
_Static_assert(CR_CHUNK_HDR_WIRE == 108, "chunk header: 44 bytes of fields and two hashes");
_Static_assert(CR_IDSEQ_WIRE == 24, "call id 16 and seq 8");
void cr_idseq_encode(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint8_t out[CR_IDSEQ_WIRE]);
int cr_idseq_decode(const uint8_t *body, size_t len, uint8_t id[CR_CALL_ID_BYTES], uint64_t *seq);

/* HELLO body: u16 role, then {"software":"SOFTWARE"} (a program name and version, nothing to
 * escape). Returns its length, or 0 when it does not fit in cap. */
size_t cr_hello_body(uint8_t *out, size_t cap, enum cr_role role, const char *software);
/* An ERROR frame's code and text, the text cut to cap - 1 bytes and every byte that is not
 * printable ASCII replaced by '?' (it goes to logs and terminals). */
uint32_t cr_error_text(const struct cr_frame *f, char *text, size_t cap);

/* Big-endian helpers. */
static inline void cr_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void cr_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void cr_put_u64(uint8_t *p, uint64_t v)
{
	cr_put_u32(p, (uint32_t)(v >> 32));
	cr_put_u32(p + 4, (uint32_t)v);
}
static inline uint16_t cr_get_u16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t cr_get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t cr_get_u64(const uint8_t *p)
{
	return ((uint64_t)cr_get_u32(p) << 32) | cr_get_u32(p + 4);
}

/* Hex form of a call id (32 chars + NUL; read in either case). 0 or -EINVAL on parse. */
static inline void cr_id_to_hex(const uint8_t id[CR_CALL_ID_BYTES],
				char out[2 * CR_CALL_ID_BYTES + 1])
{
	cr_hex_encode(id, CR_CALL_ID_BYTES, out);
}
static inline int cr_id_from_hex(const char *hex, uint8_t id[CR_CALL_ID_BYTES])
{
	return cr_hex_decode_str(hex, id, CR_CALL_ID_BYTES);
}

#endif
