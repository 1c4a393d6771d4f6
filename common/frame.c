/* I/O-free parser and encoders for the archive framing. See frame.h and docs/protocol.md. */
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/crypto.h>

static int type_known(uint8_t t)
{
	switch (t) {
	case CR_F_HELLO: case CR_F_HELLO_OK: case CR_F_CALL_OPEN: case CR_F_CHUNK:
	case CR_F_CALL_CLOSE: case CR_F_ACK: case CR_F_HEARTBEAT: case CR_F_CALL_ERASE:
	case CR_F_OP_REQUEST:
	case CR_F_OP_REPLY: case CR_F_OP_DATA: case CR_F_OP_END: case CR_F_ERROR:
		return 1;
	default:
		return 0;
	}
}

long cr_frame_parse(const uint8_t *buf, size_t len, struct cr_frame *out)
{
	uint32_t length;

	/* Check what we have as early as possible, so garbage is refused after one byte. */
	if (len >= 1 && buf[0] != 'C')
		return -EPROTO;
	if (len >= 2 && buf[1] != 'R')
		return -EPROTO;
	if (len >= 3 && buf[2] != CR_FRAME_VERSION)
		return -EPROTO;
	if (len >= 4 && !type_known(buf[3]))
		return -EPROTO;
	if (len < CR_FRAME_HDR)
		return 0;
	length = cr_get_u32(buf + 4);
	if (length > CR_FRAME_MAX_BODY)
		return -EMSGSIZE;
	if (len - CR_FRAME_HDR < length)
		return 0;
	out->version = buf[2];
	out->type = buf[3];
	out->length = length;
	out->body = buf + CR_FRAME_HDR;
	return (long)(CR_FRAME_HDR + length);
}

void cr_frame_put_hdr(uint8_t hdr[CR_FRAME_HDR], uint8_t type, uint32_t length)
{
	hdr[0] = 'C';
	hdr[1] = 'R';
	hdr[2] = CR_FRAME_VERSION;
	hdr[3] = type;
	cr_put_u32(hdr + 4, length);
}

/* The fixed part without the trailing hash: what the hash covers besides prev_hash. */
#define CHUNK_FIELDS_WIRE (16 + 8 + 8 + 4 + 4 + 2 + 2)
_Static_assert(CHUNK_FIELDS_WIRE + 2 * CR_HASH_BYTES == CR_CHUNK_HDR_WIRE,
	       "the fields then prev_hash and hash make the chunk header");

static void put_fields(const struct cr_chunk_hdr *h, uint8_t *p)
{
	memcpy(p, h->call_id, CR_CALL_ID_BYTES);
	cr_put_u64(p + 16, h->seq);
	cr_put_u64(p + 24, h->start_frame);
	cr_put_u32(p + 32, h->frames);
	cr_put_u32(p + 36, h->rate);
	cr_put_u16(p + 40, h->channels);
	cr_put_u16(p + 42, h->format);
}

void cr_chunk_hdr_encode(const struct cr_chunk_hdr *h, uint8_t out[CR_CHUNK_HDR_WIRE])
{
	put_fields(h, out);
	memcpy(out + CHUNK_FIELDS_WIRE, h->prev_hash, CR_HASH_BYTES);
	memcpy(out + CHUNK_FIELDS_WIRE + CR_HASH_BYTES, h->hash, CR_HASH_BYTES);
}

int cr_chunk_hdr_decode(const uint8_t *body, size_t len, struct cr_chunk_hdr *h,
			const uint8_t **audio, size_t *audio_bytes)
{
	uint64_t expect;

	if (len < CR_CHUNK_HDR_WIRE)
		return -EPROTO;
	memcpy(h->call_id, body, CR_CALL_ID_BYTES);
	h->seq = cr_get_u64(body + 16);
	h->start_frame = cr_get_u64(body + 24);
	h->frames = cr_get_u32(body + 32);
	h->rate = cr_get_u32(body + 36);
	h->channels = cr_get_u16(body + 40);
	h->format = cr_get_u16(body + 42);
	memcpy(h->prev_hash, body + CHUNK_FIELDS_WIRE, CR_HASH_BYTES);
	memcpy(h->hash, body + CHUNK_FIELDS_WIRE + CR_HASH_BYTES, CR_HASH_BYTES);
	if (h->seq == 0 || h->seq > (1ull << 40) || h->frames == 0 ||
	    h->frames > CR_CHUNK_MAX_FRAMES || h->rate < 8000 || h->rate > 48000 ||
	    h->channels != 2 || h->format != 1 || h->start_frame > (1ull << 48))
		return -EPROTO;
	expect = (uint64_t)h->frames * h->channels * 2u;
	if (len - CR_CHUNK_HDR_WIRE != expect)
		return -EPROTO;
	*audio = body + CR_CHUNK_HDR_WIRE;
	*audio_bytes = (size_t)expect;
	return 0;
}

int cr_chunk_hash(const struct cr_chunk_hdr *h, const uint8_t *audio, size_t audio_bytes,
		  uint8_t out[CR_HASH_BYTES])
{
	gnutls_hash_hd_t hd;
	uint8_t fields[CHUNK_FIELDS_WIRE];
	int rc;

	put_fields(h, fields);
	rc = gnutls_hash_init(&hd, GNUTLS_DIG_SHA256);
	if (rc < 0)
		return -EIO;
	gnutls_hash(hd, h->prev_hash, CR_HASH_BYTES);
	gnutls_hash(hd, fields, sizeof(fields));
	gnutls_hash(hd, audio, audio_bytes);
	gnutls_hash_deinit(hd, out);
	return 0;
}

void cr_idseq_encode(const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint8_t out[CR_IDSEQ_WIRE])
{
	memcpy(out, id, CR_CALL_ID_BYTES);
	cr_put_u64(out + CR_CALL_ID_BYTES, seq);
}

int cr_idseq_decode(const uint8_t *body, size_t len, uint8_t id[CR_CALL_ID_BYTES], uint64_t *seq)
{
	if (len < CR_IDSEQ_WIRE)
		return -EPROTO;
	memcpy(id, body, CR_CALL_ID_BYTES);
	*seq = cr_get_u64(body + CR_CALL_ID_BYTES);
	if (*seq > (1ull << 40))
		return -EPROTO;
	return 0;
}

size_t cr_hello_body(uint8_t *out, size_t cap, enum cr_role role, const char *software)
{
	int n;

	if (cap < 2)
		return 0;
	n = snprintf((char *)out + 2, cap - 2, "{\"software\":\"%s\"}", software);
	if (n < 0 || (size_t)n >= cap - 2)
		return 0;
	cr_put_u16(out, (uint16_t)role);
	return 2 + (size_t)n;
}

uint32_t cr_error_text(const struct cr_frame *f, char *text, size_t cap)
{
	size_t n = f->length > 4 ? f->length - 4 : 0, i;

	if (cap == 0)
		return f->length >= 4 ? cr_get_u32(f->body) : 0;
	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++) {
		uint8_t b = f->body[4 + i];
		text[i] = b >= 0x20 && b < 0x7f ? (char)b : '?';
	}
	text[n] = '\0';
	return f->length >= 4 ? cr_get_u32(f->body) : 0;
}
