/* Streams into calls, driven with rings in ordinary memory and a fake clock: playback alone is
 * never a call; capture + playback of one process make one; a direction that closes and
 * reopens within the grace period continues the same call; the call's frames come out in seq
 * order with an unbroken hash chain, audio on the right channels, and a CALL_CLOSE; a producer
 * writing garbage only loses its own stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <alsa/asoundlib.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <cmocka.h>

#include "frame.h"
#include "log.h"
#include "ring.h"
#include "test_ring_mem.h"
#include "../../agent/calls.h"

#define DATA (256u * 1024u)
#define T0 5000000000000ULL
#define MS(x) ((uint64_t)(x) * 1000000ULL)

struct out_frame {
	uint8_t id[CR_CALL_ID_BYTES];
	uint64_t seq;
	uint8_t type;
	uint8_t *bytes;
	size_t len;
};

static struct out_frame out[256];
static size_t nout;
static int fail_emits;

static int record_emit(void *ctx, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint8_t type,
		       const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (fail_emits) {
		fail_emits--;
		return -ENOSPC;
	}
	assert_true(nout < 256);
	memcpy(out[nout].id, id, CR_CALL_ID_BYTES);
	out[nout].seq = seq;
	out[nout].type = type;
	out[nout].bytes = malloc(len);
	memcpy(out[nout].bytes, frame, len);
	out[nout].len = len;
	nout++;
	return 0;
}

static void unmap_free(struct cr_stream *st)
{
	free(st->ring.base);
}

static struct cr_stream *new_stream(pid_t pid, enum cr_dir dir)
{
	struct cr_stream *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	void *base = test_ring_mem(cr_ring_layout_bytes(DATA));
	assert_int_equal(cr_ring_init(&st->ring, base, cr_ring_layout_bytes(DATA), DATA), 0);
	st->peer.pid = pid;
	st->peer.uid = 1000;
	strcpy(st->peer.user, "alice");
	strcpy(st->peer.application, "phone");
	st->dir = dir;
	st->unmap = unmap_free;
	cr_feed_init(&st->feed);
	return st;
}

/* 100 ms of 16 kHz mono S16 at value v, stamped t_ns (capture: when it ended, as the plugin
 * stamps it; playback: when it was written). */
static void write_period(struct cr_stream *st, uint64_t pos, uint64_t t_ns, int16_t v)
{
	struct cr_rec *r = cr_ring_reserve(&st->ring, 1600 * 2);
	assert_non_null(r);
	r->kind = CR_REC_AUDIO;
	r->channels = 1;
	r->rate = 16000;
	r->format = SND_PCM_FORMAT_S16_LE;
	r->frames = 1600;
	r->frame_bytes = 2;
	r->pos = pos;
	r->t_ns = t_ns;
	int16_t *s = cr_rec_payload(r);
	for (int i = 0; i < 1600; i++)
		s[i] = v;
	cr_ring_commit(&st->ring, 1600 * 2);
}

static void reset_out(void)
{
	for (size_t i = 0; i < nout; i++)
		free(out[i].bytes);
	nout = 0;
	fail_emits = 0;
}

static int setup(void **state)
{
	(void)state;
	cr_log_init("test_agent_calls", 0);
	reset_out();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	reset_out();
	return 0;
}

static void test_playback_alone_is_not_a_call(void **state)
{
	(void)state;
	struct cr_calls r;
	struct cr_stream *p = new_stream(200, CR_DIR_PLAYBACK);

	cr_calls_init(&r, 1000, record_emit, NULL);
	cr_calls_add_stream(&r, p, T0);
	for (int i = 0; i < 50; i++) {
		write_period(p, (uint64_t)i * 1600, T0 + MS(100 * i), 1000);
		cr_calls_tick(&r, T0 + MS(100 * i + 50));
	}
	assert_int_equal(cr_calls_count(&r), 0);
	assert_int_equal(nout, 0);
	/* The ring was drained all the same (the producer never fills up). */
	assert_null(cr_ring_peek(&p->ring, &(struct cr_rec){ 0 }, &(int){ 0 }));
	/* Capture of another process does not pair with it either. */
	struct cr_stream *c = new_stream(201, CR_DIR_CAPTURE);
	cr_calls_add_stream(&r, c, T0 + MS(5000));
	cr_calls_tick(&r, T0 + MS(5020));
	assert_int_equal(cr_calls_count(&r), 0);
	cr_calls_shutdown(&r, T0 + MS(6000));
	assert_int_equal(nout, 0);
}

static void verify_chain(size_t first, size_t n)
{
	uint8_t prev[CR_HASH_BYTES];
	struct cr_frame f;

	assert_int_equal(out[first].type, CR_F_CALL_OPEN);
	assert_int_equal(cr_frame_parse(out[first].bytes, out[first].len, &f), (long)out[first].len);
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, f.body, f.length, prev), 0);
	for (size_t i = first + 1; i < first + n; i++) {
		assert_memory_equal(out[i].id, out[first].id, CR_CALL_ID_BYTES);
		assert_int_equal(out[i].seq, i - first);
		if (out[i].type != CR_F_CHUNK)
			continue;
		struct cr_chunk_hdr h;
		const uint8_t *audio;
		size_t ab;
		assert_int_equal(cr_frame_parse(out[i].bytes, out[i].len, &f), (long)out[i].len);
		assert_int_equal(cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab), 0);
		assert_memory_equal(h.prev_hash, prev, CR_HASH_BYTES);
		memcpy(prev, h.hash, sizeof(prev));
	}
}

/* Sample of channel ch at the start of chunk frame `i` of out[k]. */
static int16_t sample(size_t k, unsigned i, unsigned ch)
{
	struct cr_frame f;
	struct cr_chunk_hdr h;
	const uint8_t *audio;
	size_t ab;
	assert_int_equal(cr_frame_parse(out[k].bytes, out[k].len, &f), (long)out[k].len);
	assert_int_equal(cr_chunk_hdr_decode(f.body, f.length, &h, &audio, &ab), 0);
	assert_true(i < h.frames);
	const uint8_t *p = audio + (i * 2 + ch) * 2;
	return (int16_t)(uint16_t)(p[0] | (p[1] << 8));
}

static void test_call_with_grace_and_close(void **state)
{
	(void)state;
	struct cr_calls r;
	struct cr_stream *play = new_stream(100, CR_DIR_PLAYBACK);
	struct cr_stream *cap = new_stream(100, CR_DIR_CAPTURE);
	uint64_t t;
	int i;

	cr_calls_init(&r, 1000, record_emit, NULL);
	/* Ringback: playback 1 s before the call; never recorded. */
	cr_calls_add_stream(&r, play, T0);
	for (i = 0; i < 10; i++) {
		write_period(play, (uint64_t)i * 1600, T0 + MS(100 * i), 999);
		cr_calls_tick(&r, T0 + MS(100 * i + 50));
	}
	assert_int_equal(nout, 0);
	/* The capture opens at T0 + 1 s: the call starts; CALL_OPEN is emitted at once. */
	t = T0 + MS(1000);
	cr_calls_add_stream(&r, cap, t);
	assert_int_equal(cr_calls_count(&r), 1);
	assert_int_equal(nout, 1);
	assert_int_equal(out[0].type, CR_F_CALL_OPEN);
	/* 2.5 s of conversation: capture 1111, playback 2222. */
	for (i = 0; i < 25; i++) {
		write_period(cap, (uint64_t)i * 1600, t + MS(100 * i + 100), 1111); /* stamped at its end */
		write_period(play, (uint64_t)(i + 10) * 1600, t + MS(100 * i), 2222);
		cr_calls_tick(&r, t + MS(100 * i + 100));
	}
	assert_int_equal(nout, 3); /* open + 2 full chunks */
	assert_int_equal(sample(1, 0, 0), 1111);
	assert_int_equal(sample(1, 0, 1), 2222);
	assert_int_equal(sample(2, 15999, 1), 2222);

	/* The capture closes and a new one opens 1 s later: same call. */
	cr_calls_remove_stream(&r, cap, t + MS(2500));
	cr_calls_tick(&r, t + MS(2520));
	struct cr_stream *cap2 = new_stream(100, CR_DIR_CAPTURE);
	cr_calls_add_stream(&r, cap2, t + MS(3500));
	cr_calls_tick(&r, t + MS(3520));
	assert_int_equal(cr_calls_count(&r), 1);
	for (i = 0; i < 10; i++) {
		write_period(cap2, (uint64_t)i * 1600, t + MS(3500 + 100 * i + 100), 3333);
		cr_calls_tick(&r, t + MS(3500 + 100 * i + 100));
	}
	/* Everything closes; after the 3 s grace the call ends. */
	cr_calls_remove_stream(&r, cap2, t + MS(4500));
	cr_calls_remove_stream(&r, play, t + MS(4500));
	cr_calls_tick(&r, t + MS(4600));
	assert_int_equal(cr_calls_count(&r), 1);
	size_t before = nout;
	cr_calls_tick(&r, t + MS(4600) + CR_CALL_GRACE_NS);
	assert_int_equal(cr_calls_count(&r), 0);
	assert_true(nout > before);
	assert_int_equal(out[nout - 1].type, CR_F_CALL_CLOSE);
	verify_chain(0, nout);

	/* The reopened capture landed 3.5 s into the call on channel 1, silence before it. */
	size_t k = 4; /* chunk 4 covers 3..4 s */
	assert_int_equal(out[k].type, CR_F_CHUNK);
	assert_int_equal(sample(k, 0, 0), 0);
	assert_int_equal(sample(k, 8000, 0), 3333);

	/* The close says how long the call was, with no gaps (nothing was lost). */
	struct cr_frame f;
	const struct out_frame *cl = &out[nout - 1];
	assert_int_equal(cr_frame_parse(cl->bytes, cl->len, &f), (long)cl->len);
	json_t *o = json_loadb((const char *)f.body + CR_IDSEQ_WIRE, f.length - CR_IDSEQ_WIRE, 0,
			       NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "frames")), 4500 * 16);
	assert_int_equal(json_array_size(json_object_get(o, "gaps")), 0);
	json_decref(o);
	cr_calls_shutdown(&r, t + MS(9000));
}

static void test_spool_failure_is_retried_in_order(void **state)
{
	(void)state;
	struct cr_calls r;
	struct cr_stream *play = new_stream(300, CR_DIR_PLAYBACK);
	struct cr_stream *cap = new_stream(300, CR_DIR_CAPTURE);
	int i;

	cr_calls_init(&r, 1000, record_emit, NULL);
	cr_calls_add_stream(&r, play, T0);
	fail_emits = 3; /* CALL_OPEN fails, then two retries fail */
	cr_calls_add_stream(&r, cap, T0);
	for (i = 0; i < 30; i++) {
		write_period(cap, (uint64_t)i * 1600, T0 + MS(100 * i + 100), 1);
		write_period(play, (uint64_t)i * 1600, T0 + MS(100 * i), 2);
		cr_calls_tick(&r, T0 + MS(100 * i + 100));
	}
	cr_calls_shutdown(&r, T0 + MS(3100));
	assert_true(nout >= 5); /* open, 3 chunks (last partial or full), close */
	verify_chain(0, nout);
	assert_int_equal(out[nout - 1].type, CR_F_CALL_CLOSE);
}

static void test_hostile_ring_abandons_only_that_stream(void **state)
{
	(void)state;
	struct cr_calls r;
	struct cr_stream *play = new_stream(400, CR_DIR_PLAYBACK);
	struct cr_stream *cap = new_stream(400, CR_DIR_CAPTURE);

	cr_calls_init(&r, 1000, record_emit, NULL);
	cr_calls_add_stream(&r, play, T0);
	cr_calls_add_stream(&r, cap, T0);
	write_period(cap, 0, T0, 5);
	/* The producer scribbles an impossible head. */
	cr_ring_hdr(&play->ring)->head = 3 * DATA;
	cr_calls_tick(&r, T0 + MS(20));
	assert_true(play->abandoned);
	assert_false(cap->abandoned);
	/* Without a playback stream the call continues in its grace period, then ends. */
	cr_calls_tick(&r, T0 + MS(40) + CR_CALL_GRACE_NS);
	assert_int_equal(cr_calls_count(&r), 0);
	assert_int_equal(out[nout - 1].type, CR_F_CALL_CLOSE);
	verify_chain(0, nout);
	cr_calls_shutdown(&r, T0 + MS(9000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_playback_alone_is_not_a_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_with_grace_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_failure_is_retried_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ring_abandons_only_that_stream, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
