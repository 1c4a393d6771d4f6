/* Framing parser: incremental input, limits, refusal of garbage; chunk header round trip and
 * the hash chain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "frame.h"

static void test_parse_incremental(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct cr_frame f;
	size_t i;

	cr_frame_put_hdr(buf, CR_F_HEARTBEAT, 5);
	memcpy(buf + CR_FRAME_HDR, "hello", 5);
	for (i = 0; i < CR_FRAME_HDR + 5; i++)
		assert_int_equal(cr_frame_parse(buf, i, &f), 0);
	assert_int_equal(cr_frame_parse(buf, CR_FRAME_HDR + 5, &f), CR_FRAME_HDR + 5);
	assert_int_equal(f.type, CR_F_HEARTBEAT);
	assert_int_equal(f.length, 5);
	assert_memory_equal(f.body, "hello", 5);
}

static void test_parse_refuses_garbage_early(void **state)
{
	(void)state;
	uint8_t buf[CR_FRAME_HDR];
	struct cr_frame f;

	assert_int_equal(cr_frame_parse((const uint8_t *)"G", 1, &f), -EPROTO);
	assert_int_equal(cr_frame_parse((const uint8_t *)"CX", 2, &f), -EPROTO);
	cr_frame_put_hdr(buf, CR_F_HELLO, 0);
	buf[2] = 9; /* unknown version */
	assert_int_equal(cr_frame_parse(buf, 3, &f), -EPROTO);
	cr_frame_put_hdr(buf, 0x55, 0); /* unknown type */
	assert_int_equal(cr_frame_parse(buf, 4, &f), -EPROTO);
	cr_frame_put_hdr(buf, CR_F_CHUNK, CR_FRAME_MAX_BODY + 1);
	assert_int_equal(cr_frame_parse(buf, sizeof(buf), &f), -EMSGSIZE);
}

static void make_chunk(struct cr_chunk_hdr *h, uint8_t *audio, uint32_t frames)
{
	memset(h, 0, sizeof(*h));
	memset(h->call_id, 0xab, sizeof(h->call_id));
	h->seq = 3;
	h->start_frame = 32000;
	h->frames = frames;
	h->rate = 16000;
	h->channels = 2;
	h->format = 1;
	memset(h->prev_hash, 7, sizeof(h->prev_hash));
	for (uint32_t i = 0; i < frames * 4; i++)
		audio[i] = (uint8_t)(i * 31);
	assert_int_equal(cr_chunk_hash(h, audio, frames * 4, h->hash), 0);
}

static void test_chunk_round_trip_and_hash(void **state)
{
	(void)state;
	static uint8_t body[CR_CHUNK_HDR_WIRE + 160 * 4];
	struct cr_chunk_hdr h, g;
	const uint8_t *audio;
	size_t audio_bytes;
	uint8_t again[CR_HASH_BYTES];

	make_chunk(&h, body + CR_CHUNK_HDR_WIRE, 160);
	cr_chunk_hdr_encode(&h, body);
	assert_int_equal(cr_chunk_hdr_decode(body, sizeof(body), &g, &audio, &audio_bytes), 0);
	assert_int_equal(g.seq, 3);
	assert_int_equal(g.start_frame, 32000);
	assert_int_equal(audio_bytes, 160 * 4);
	assert_memory_equal(g.hash, h.hash, CR_HASH_BYTES);
	/* The hash covers the audio and the position: change either and it changes. */
	assert_int_equal(cr_chunk_hash(&g, audio, audio_bytes, again), 0);
	assert_memory_equal(again, h.hash, CR_HASH_BYTES);
	body[CR_CHUNK_HDR_WIRE + 5] ^= 1;
	assert_int_equal(cr_chunk_hash(&g, audio, audio_bytes, again), 0);
	assert_memory_not_equal(again, h.hash, CR_HASH_BYTES);
	body[CR_CHUNK_HDR_WIRE + 5] ^= 1;
	g.start_frame++;
	assert_int_equal(cr_chunk_hash(&g, audio, audio_bytes, again), 0);
	assert_memory_not_equal(again, h.hash, CR_HASH_BYTES);
}

static void test_chunk_decode_limits(void **state)
{
	(void)state;
	static uint8_t body[CR_CHUNK_HDR_WIRE + 160 * 4];
	struct cr_chunk_hdr h, g;
	const uint8_t *audio;
	size_t n;

	make_chunk(&h, body + CR_CHUNK_HDR_WIRE, 160);
	cr_chunk_hdr_encode(&h, body);
	assert_int_equal(cr_chunk_hdr_decode(body, sizeof(body) - 1, &g, &audio, &n), -EPROTO);
	assert_int_equal(cr_chunk_hdr_decode(body, CR_CHUNK_HDR_WIRE - 1, &g, &audio, &n), -EPROTO);
	h.channels = 3;
	cr_chunk_hdr_encode(&h, body);
	assert_int_equal(cr_chunk_hdr_decode(body, sizeof(body), &g, &audio, &n), -EPROTO);
	h.channels = 2;
	h.seq = 0; /* 0 is the CALL_OPEN */
	cr_chunk_hdr_encode(&h, body);
	assert_int_equal(cr_chunk_hdr_decode(body, sizeof(body), &g, &audio, &n), -EPROTO);
}

static void test_id_hex(void **state)
{
	(void)state;
	uint8_t id[CR_CALL_ID_BYTES], back[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];

	for (unsigned i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(i * 17 + 3);
	cr_id_to_hex(id, hex);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(cr_id_from_hex(hex, back), 0);
	assert_memory_equal(id, back, sizeof(id));
	assert_int_equal(cr_id_from_hex("../../etc/passwd", back), -EINVAL);
	hex[4] = 'g';
	assert_int_equal(cr_id_from_hex(hex, back), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_incremental),
		cmocka_unit_test(test_parse_refuses_garbage_early),
		cmocka_unit_test(test_chunk_round_trip_and_hash),
		cmocka_unit_test(test_chunk_decode_limits),
		cmocka_unit_test(test_id_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
