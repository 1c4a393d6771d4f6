/* The frames of one call as the archive receives them: CALL_OPEN (seq 0), CHUNKs (1..) and
 * CALL_CLOSE (last + 1), with the hash chain that starts from SHA-256 of the CALL_OPEN body.
 * Each function returns one complete frame (header + body) in a malloc'd buffer: exactly the
 * bytes that are spooled and sent. */
#ifndef CALLREC_AGENT_CHAIN_H
#define CALLREC_AGENT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct cr_chain {
	uint8_t call_id[CR_CALL_ID_BYTES];
	uint64_t next_seq;
	uint8_t prev_hash[CR_HASH_BYTES];
	uint64_t frames; /* timeline frames covered by the chunks so far */
};

/* 0 or negative errno. */
int cr_chain_open(struct cr_chain *c, const uint8_t id[CR_CALL_ID_BYTES], const char *json,
		  uint8_t **frame, size_t *len);
/* pcm: frames * channels S16 samples in host order; written little endian. */
int cr_chain_chunk(struct cr_chain *c, uint64_t start_frame, uint32_t frames, uint32_t rate,
		   uint16_t channels, const int16_t *pcm, uint8_t **frame, size_t *len);
int cr_chain_close(struct cr_chain *c, const char *json, uint8_t **frame, size_t *len);

/* Call-id frames other than chunks (CALL_OPEN, CALL_CLOSE): header + id + seq + json. */
int cr_idseq_frame(uint8_t type, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		   const char *json, uint8_t **frame, size_t *len);

#endif
