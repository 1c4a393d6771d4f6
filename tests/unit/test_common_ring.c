/* The shared-memory ring: ordering, wrap-around with PAD records, overflow accounting,
 * refusal of records a hostile producer could write, and a producer (and disclosure consumer)
 * that a hostile other side cannot move outside the ring. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "ring.h"
#include "test_ring_mem.h"

#define DATA (64u * 1024u)

/* A ring in ordinary memory, made by the consumer (agent) and attached to by the producer
 * (plugin): each side with its own view, as in the two processes. */
struct both {
	void *base;
	struct cr_ring agent, plugin;
};

static void new_ring(struct both *b)
{
	b->base = test_ring_mem(cr_ring_layout_bytes(DATA));
	assert_non_null(b->base);
	assert_int_equal(cr_ring_init(&b->agent, b->base, cr_ring_layout_bytes(DATA), DATA), 0);
	assert_int_equal(cr_ring_attach(&b->plugin, b->base, cr_ring_layout_bytes(DATA)), 0);
	assert_int_equal(b->plugin.data_bytes, DATA);
}

static int put(const struct cr_ring *r, uint64_t pos, uint32_t frames, uint8_t fill)
{
	struct cr_rec *rec = cr_ring_reserve(r, frames * 4);
	if (!rec) {
		cr_ring_drop(r, frames);
		return -ENOSPC;
	}
	rec->kind = CR_REC_AUDIO;
	rec->channels = 2;
	rec->rate = 48000;
	rec->format = 2;
	rec->frames = frames;
	rec->frame_bytes = 4;
	rec->pos = pos;
	rec->t_ns = pos * 1000;
	memset(cr_rec_payload(rec), fill, frames * 4);
	cr_ring_commit(r, frames * 4);
	return 0;
}

static void test_init_rejects_bad_sizes(void **state)
{
	(void)state;
	void *base = test_ring_mem(cr_ring_layout_bytes(DATA));
	struct cr_ring r;
	assert_int_equal(cr_ring_init(&r, base, cr_ring_layout_bytes(DATA), DATA + 1), -EINVAL);
	assert_int_equal(cr_ring_init(&r, base, cr_ring_layout_bytes(DATA) - 1, DATA), -EINVAL);
	assert_int_equal(cr_ring_init(&r, base, cr_ring_layout_bytes(DATA), 1024), -EINVAL);
	assert_int_equal(cr_ring_attach(&r, base, cr_ring_layout_bytes(DATA)), -EPROTO);
	assert_null(r.base);
	/* A header claiming more than the mapping holds. */
	assert_int_equal(cr_ring_init(&r, base, cr_ring_layout_bytes(DATA), DATA), 0);
	((struct cr_ring_hdr *)base)->data_bytes = 2 * DATA;
	assert_int_equal(cr_ring_attach(&r, base, cr_ring_layout_bytes(DATA)), -EPROTO);
	free(base);
}

static void test_fifo_order_and_wrap(void **state)
{
	(void)state;
	struct both b;
	struct cr_rec h;
	uint64_t expect = 0, written = 0;
	int err, round;

	new_ring(&b);
	/* Many rounds of odd-sized records force PAD records at the end of the data area. */
	for (round = 0; round < 200; round++) {
		uint32_t frames = 100 + (uint32_t)(round * 37) % 900;
		assert_int_equal(put(&b.plugin, written, frames, (uint8_t)round), 0);
		written += frames;
		const uint8_t *p = cr_ring_peek(&b.agent, &h, &err);
		assert_non_null(p);
		assert_int_equal(err, 0);
		assert_int_equal(h.pos, expect);
		assert_int_equal(h.frames, frames);
		assert_int_equal(p[0], (uint8_t)round);
		assert_int_equal(p[frames * 4 - 1], (uint8_t)round);
		expect += h.frames;
		cr_ring_release(&b.agent, &h);
	}
	assert_null(cr_ring_peek(&b.agent, &h, &err));
	assert_int_equal(err, 0);
	free(b.base);
}

static void test_full_ring_drops_and_counts(void **state)
{
	(void)state;
	struct both b;
	int stored = 0, dropped = 0, i;

	new_ring(&b);
	for (i = 0; i < 100; i++) {
		if (put(&b.plugin, (uint64_t)i * 1000, 1000, 1) == 0)
			stored++;
		else
			dropped++;
	}
	assert_true(stored > 0);
	assert_true(dropped > 0);
	assert_int_equal(atomic_load(&cr_ring_hdr(&b.agent)->dropped_frames),
			 (uint64_t)dropped * 1000);
	free(b.base);
}

static void test_oversized_record_refused(void **state)
{
	(void)state;
	struct both b;

	new_ring(&b);
	assert_null(cr_ring_reserve(&b.plugin, DATA));
	free(b.base);
}

static void test_hostile_producer_detected(void **state)
{
	(void)state;
	struct both b;
	struct cr_ring_hdr *hdr;
	struct cr_rec h, *r;
	int err;

	new_ring(&b);
	hdr = b.base;
	/* frames larger than the record. */
	assert_int_equal(put(&b.plugin, 0, 10, 1), 0);
	r = (struct cr_rec *)((char *)b.base + CR_RING_HDR_BYTES);
	r->frames = 1000000;
	assert_null(cr_ring_peek(&b.agent, &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a head beyond the capacity. */
	r->frames = 10;
	atomic_store(&hdr->head, DATA * 4);
	assert_null(cr_ring_peek(&b.agent, &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a record size that is not a multiple of 8. */
	atomic_store(&hdr->head, r->bytes);
	r->bytes += 3;
	assert_null(cr_ring_peek(&b.agent, &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a wrong magic. */
	r->bytes -= 3;
	hdr->magic = 0;
	assert_null(cr_ring_peek(&b.agent, &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a capacity rewritten in the header: never used, and the stream is given up. */
	hdr->magic = CR_RING_MAGIC;
	hdr->data_bytes = CR_RING_MAX_DATA;
	assert_null(cr_ring_peek(&b.agent, &h, &err));
	assert_int_equal(err, -EPROTO);
	free(b.base);
}

/* The consumer (the agent, or whoever holds the memfd) rewrites the header under the
 * producer: geometry, counters. The producer (the plugin, in the audio thread) keeps to its own
 * copy of the geometry and never writes outside the data area, whatever it reads. */
static void test_hostile_consumer_cannot_move_the_producer(void **state)
{
	(void)state;
	const size_t map = cr_ring_layout_bytes(DATA);
	/* A guard area after the mapping: anything written there is out of bounds. */
	unsigned char *mem = test_ring_mem(map + 4096);
	struct cr_ring agent, plugin;
	struct cr_ring_hdr *hdr = (struct cr_ring_hdr *)mem;
	uint64_t i;

	assert_int_equal(cr_ring_init(&agent, mem, map, DATA), 0);
	assert_int_equal(cr_ring_attach(&plugin, mem, map), 0);
	hdr->data_bytes = 1u << 30; /* geometry rewritten after the attach */
	hdr->inject_offset = 0x7ffffff0;
	hdr->inject_bytes = 1u << 30;
	for (i = 0; i < 20000; i++) {
		/* head and tail: anything, including unaligned and beyond the area */
		atomic_store(&hdr->head, i * 0x9e3779b97f4a7c15ull >> (i % 64));
		atomic_store(&hdr->tail, (i & 1) ? atomic_load(&hdr->head) - (i % 97) : i * 13);
		(void)put(&plugin, i, 1 + (uint32_t)(i % 3000), 0xab);
		for (size_t k = map; k < map + 4096; k++)
			assert_int_equal(mem[k], 0);
	}
	assert_int_equal(plugin.data_bytes, DATA);
	free(mem);
}

/* The same for the disclosure records the plugin consumes: a hostile producer (the agent) can
 * make it skip records, never read outside the area or loop. */
static void test_hostile_inject_producer(void **state)
{
	(void)state;
	const uint32_t inj = 8192;
	const size_t map = cr_ring_layout_bytes_inject(DATA, inj);
	void *base = test_ring_mem(map);
	struct cr_ring agent, plugin;
	struct cr_ring_hdr *hdr = base;
	struct cr_inj h;
	int16_t samples[100] = { 0 };
	uint64_t i;

	assert_int_equal(cr_ring_init_inject(&agent, base, map, DATA, inj), 0);
	assert_int_equal(cr_ring_attach(&plugin, base, map), 0);
	assert_int_equal(cr_inject_write(&agent, CR_INJ_ADD, 48000, 1, samples, 100), 0);
	hdr->inject_bytes = 1u << 24;
	hdr->inject_offset = 4096;
	for (i = 0; i < 20000; i++) {
		const int16_t *p;

		atomic_store(&hdr->inject_head, i * 0x9e3779b97f4a7c15ull >> (i % 61));
		atomic_store(&hdr->inject_tail, (i & 1) ? i * 8 : atomic_load(&hdr->inject_head) - 8);
		p = cr_inject_peek(&plugin, &h);
		if (p) {
			assert_true((const char *)p >= (const char *)base + CR_RING_HDR_BYTES + DATA);
			assert_true((const char *)(p + h.frames) <= (const char *)base + map);
			cr_inject_release(&plugin, &h);
		}
	}
	assert_true(cr_inject_pending(&agent) <= inj);
	free(base);
}

static void test_inject_round_trip(void **state)
{
	(void)state;
	const uint32_t inj = 8192;
	size_t map = cr_ring_layout_bytes_inject(DATA, inj);
	void *base = test_ring_mem(map);
	struct cr_ring agent, plugin;
	struct both b;
	int16_t samples[1000];
	struct cr_inj h;
	uint64_t id;
	int i, full = 0;

	assert_int_equal(cr_ring_init_inject(&agent, base, map, DATA, inj), 0);
	assert_int_equal(cr_ring_attach(&plugin, base, map), 0);
	assert_int_equal(cr_ring_attach(&plugin, base, map - 1), -EPROTO);
	assert_int_equal(cr_ring_attach(&plugin, base, map), 0);
	for (i = 0; i < 1000; i++)
		samples[i] = (int16_t)(i * 7);
	/* Write until full, read everything back in order, several times round the ring. */
	for (id = 1; id < 60; id++) {
		int rc = cr_inject_write(&agent, CR_INJ_REPLACE, 48000, id, samples,
					 500 + (uint32_t)id);
		if (rc == -ENOSPC) {
			const int16_t *p;
			full++;
			while ((p = cr_inject_peek(&plugin, &h))) {
				assert_true(h.id < id);
				assert_int_equal(h.frames, 500 + h.id);
				assert_int_equal(p[h.frames - 1], (int16_t)((h.frames - 1) * 7));
				cr_inject_release(&plugin, &h);
			}
			assert_int_equal(cr_inject_pending(&agent), 0);
			assert_int_equal(cr_inject_write(&agent, CR_INJ_REPLACE, 48000, id, samples,
							 500 + (uint32_t)id), 0);
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_true(full > 5);
	/* A record that could never fit, and a ring with no inject area. */
	assert_int_equal(cr_inject_write(&agent, CR_INJ_ADD, 48000, 1, samples, inj), -EINVAL);
	free(base);
	new_ring(&b);
	assert_int_equal(cr_inject_write(&b.agent, CR_INJ_ADD, 48000, 1, samples, 10), -EINVAL);
	assert_null(cr_inject_peek(&b.plugin, &h));
	free(b.base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_sizes),
		cmocka_unit_test(test_fifo_order_and_wrap),
		cmocka_unit_test(test_full_ring_drops_and_counts),
		cmocka_unit_test(test_oversized_record_refused),
		cmocka_unit_test(test_hostile_producer_detected),
		cmocka_unit_test(test_hostile_consumer_cannot_move_the_producer),
		cmocka_unit_test(test_hostile_inject_producer),
		cmocka_unit_test(test_inject_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
