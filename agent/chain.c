/* Call frames and hash chain: see chain.h. */
#include "chain.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

int cr_idseq_frame(uint8_t type, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		   const char *json, uint8_t **frame, size_t *len)
{
	size_t jl = strlen(json);
	size_t body = CR_IDSEQ_WIRE + jl;
	uint8_t *f;

	if (jl > CR_FRAME_MAX_JSON)
		return -EMSGSIZE;
	f = malloc(CR_FRAME_HDR + body);
	if (!f)
		return -ENOMEM;
	cr_frame_put_hdr(f, type, (uint32_t)body);
	cr_idseq_encode(id, seq, f + CR_FRAME_HDR);
	memcpy(f + CR_FRAME_HDR + CR_IDSEQ_WIRE, json, jl);
	*frame = f;
	*len = CR_FRAME_HDR + body;
	return 0;
}

int cr_chain_open(struct cr_chain *c, const uint8_t id[CR_CALL_ID_BYTES], const char *json,
		  uint8_t **frame, size_t *len)
{
	int err;

	memset(c, 0, sizeof(*c));
	memcpy(c->call_id, id, CR_CALL_ID_BYTES);
	err = cr_idseq_frame(CR_F_CALL_OPEN, id, 0, json, frame, len);
	if (err)
		return err;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, *frame + CR_FRAME_HDR, *len - CR_FRAME_HDR,
			     c->prev_hash) < 0) {
		free(*frame);
		*frame = NULL;
		return -EIO;
	}
	c->next_seq = 1;
	return 0;
}

int cr_chain_chunk(struct cr_chain *c, uint64_t start_frame, uint32_t frames, uint32_t rate,
		   uint16_t channels, const int16_t *pcm, uint8_t **frame, size_t *len)
{
	struct cr_chunk_hdr h;
	size_t audio = (size_t)frames * channels * 2;
	size_t body = CR_CHUNK_HDR_WIRE + audio;
	uint8_t *f, *a;
	int err;

	if (frames == 0 || frames > CR_CHUNK_MAX_FRAMES || body > CR_FRAME_MAX_BODY)
		return -EINVAL;
	f = malloc(CR_FRAME_HDR + body);
	if (!f)
		return -ENOMEM;
	a = f + CR_FRAME_HDR + CR_CHUNK_HDR_WIRE;
	for (size_t i = 0; i < (size_t)frames * channels; i++) {
		uint16_t v = (uint16_t)pcm[i];
		a[2 * i] = (uint8_t)v;
		a[2 * i + 1] = (uint8_t)(v >> 8);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.call_id, c->call_id, CR_CALL_ID_BYTES);
	h.seq = c->next_seq;
	h.start_frame = start_frame;
	h.frames = frames;
	h.rate = rate;
	h.channels = channels;
	h.format = 1;
	memcpy(h.prev_hash, c->prev_hash, CR_HASH_BYTES);
	err = cr_chunk_hash(&h, a, audio, h.hash);
	if (err) {
		free(f);
		return err;
	}
	cr_frame_put_hdr(f, CR_F_CHUNK, (uint32_t)body);
	cr_chunk_hdr_encode(&h, f + CR_FRAME_HDR);
	memcpy(c->prev_hash, h.hash, CR_HASH_BYTES);
	c->next_seq++;
	if (start_frame + frames > c->frames)
		c->frames = start_frame + frames;
	*frame = f;
	*len = CR_FRAME_HDR + body;
	return 0;
}

int cr_chain_close(struct cr_chain *c, const char *json, uint8_t **frame, size_t *len)
{
	int err = cr_idseq_frame(CR_F_CALL_CLOSE, c->call_id, c->next_seq, json, frame, len);
	if (!err)
		c->next_seq++;
	return err;
}
