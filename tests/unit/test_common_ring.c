/* The shared-memory ring: ordering, wrap-around with PAD records, overflow accounting, and
 * refusal of records a hostile producer could write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "ring.h"

#define DATA (64u * 1024u)

static void *new_ring(void)
{
	/* Page-aligned, as the agent maps a ring: its header has 64-byte aligned fields. */
	void *base = aligned_alloc(CR_RING_HDR_BYTES, cr_ring_layout_bytes(DATA));
	memset(base, 0, cr_ring_layout_bytes(DATA));
	assert_non_null(base);
	assert_int_equal(cr_ring_init(base, cr_ring_layout_bytes(DATA), DATA), 0);
	assert_int_equal(cr_ring_check(base, cr_ring_layout_bytes(DATA)), 0);
	return base;
}

static int put(void *base, uint64_t pos, uint32_t frames, uint8_t fill)
{
	struct cr_rec *r = cr_ring_reserve(base, frames * 4);
	if (!r) {
		cr_ring_drop(base, frames);
		return -ENOSPC;
	}
	r->kind = CR_REC_AUDIO;
	r->channels = 2;
	r->rate = 48000;
	r->format = 2;
	r->frames = frames;
	r->frame_bytes = 4;
	r->pos = pos;
	r->t_ns = pos * 1000;
	memset(cr_rec_payload(r), fill, frames * 4);
	cr_ring_commit(base, r);
	return 0;
}

static void test_init_rejects_bad_sizes(void **state)
{
	(void)state;
	/* Page-aligned, as the agent maps a ring: its header has 64-byte aligned fields. */
	void *base = aligned_alloc(CR_RING_HDR_BYTES, cr_ring_layout_bytes(DATA));
	memset(base, 0, cr_ring_layout_bytes(DATA));
	assert_int_equal(cr_ring_init(base, cr_ring_layout_bytes(DATA), DATA + 1), -EINVAL);
	assert_int_equal(cr_ring_init(base, cr_ring_layout_bytes(DATA) - 1, DATA), -EINVAL);
	assert_int_equal(cr_ring_init(base, cr_ring_layout_bytes(DATA), 1024), -EINVAL);
	assert_int_equal(cr_ring_check(base, cr_ring_layout_bytes(DATA)), -EPROTO);
	free(base);
}

static void test_fifo_order_and_wrap(void **state)
{
	(void)state;
	void *base = new_ring();
	struct cr_rec h;
	uint64_t expect = 0, written = 0;
	int err, round;

	/* Many rounds of odd-sized records force PAD records at the end of the data area. */
	for (round = 0; round < 200; round++) {
		uint32_t frames = 100 + (uint32_t)(round * 37) % 900;
		assert_int_equal(put(base, written, frames, (uint8_t)round), 0);
		written += frames;
		const uint8_t *p = cr_ring_peek(base, cr_ring_layout_bytes(DATA), &h, &err);
		assert_non_null(p);
		assert_int_equal(err, 0);
		assert_int_equal(h.pos, expect);
		assert_int_equal(h.frames, frames);
		assert_int_equal(p[0], (uint8_t)round);
		assert_int_equal(p[frames * 4 - 1], (uint8_t)round);
		expect += h.frames;
		cr_ring_release(base, &h);
	}
	assert_null(cr_ring_peek(base, cr_ring_layout_bytes(DATA), &h, &err));
	assert_int_equal(err, 0);
	free(base);
}

static void test_full_ring_drops_and_counts(void **state)
{
	(void)state;
	void *base = new_ring();
	struct cr_ring_hdr *hdr = base;
	int stored = 0, dropped = 0, i;

	for (i = 0; i < 100; i++) {
		if (put(base, (uint64_t)i * 1000, 1000, 1) == 0)
			stored++;
		else
			dropped++;
	}
	assert_true(stored > 0);
	assert_true(dropped > 0);
	assert_int_equal(atomic_load(&hdr->dropped_frames), (uint64_t)dropped * 1000);
	free(base);
}

static void test_oversized_record_refused(void **state)
{
	(void)state;
	void *base = new_ring();
	assert_null(cr_ring_reserve(base, DATA));
	free(base);
}

static void test_hostile_producer_detected(void **state)
{
	(void)state;
	void *base = new_ring();
	struct cr_ring_hdr *hdr = base;
	struct cr_rec h, *r;
	int err;

	/* frames larger than the record. */
	assert_int_equal(put(base, 0, 10, 1), 0);
	r = (struct cr_rec *)((char *)base + CR_RING_HDR_BYTES);
	r->frames = 1000000;
	assert_null(cr_ring_peek(base, cr_ring_layout_bytes(DATA), &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a head beyond the capacity. */
	r->frames = 10;
	atomic_store(&hdr->head, DATA * 4);
	assert_null(cr_ring_peek(base, cr_ring_layout_bytes(DATA), &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a record size that is not a multiple of 8. */
	atomic_store(&hdr->head, r->bytes);
	r->bytes += 3;
	assert_null(cr_ring_peek(base, cr_ring_layout_bytes(DATA), &h, &err));
	assert_int_equal(err, -EPROTO);
	/* a wrong magic. */
	r->bytes -= 3;
	hdr->magic = 0;
	assert_null(cr_ring_peek(base, cr_ring_layout_bytes(DATA), &h, &err));
	assert_int_equal(err, -EPROTO);
	free(base);
}

static void test_inject_round_trip(void **state)
{
	(void)state;
	const uint32_t inj = 8192;
	size_t map = cr_ring_layout_bytes_inject(DATA, inj);
	/* Page-aligned, as the agent maps a ring: its header has 64-byte aligned fields. */
	void *base = aligned_alloc(CR_RING_HDR_BYTES, map);
	memset(base, 0, map);
	int16_t samples[1000];
	struct cr_inj h;
	uint64_t id;
	int i, full = 0;

	assert_int_equal(cr_ring_init_inject(base, map, DATA, inj), 0);
	assert_int_equal(cr_ring_check(base, map), 0);
	assert_int_equal(cr_ring_check(base, map - 1), -EPROTO);
	for (i = 0; i < 1000; i++)
		samples[i] = (int16_t)(i * 7);
	/* Write until full, read everything back in order, several times round the ring. */
	for (id = 1; id < 60; id++) {
		int rc = cr_inject_write(base, CR_INJ_REPLACE, 48000, id, samples, 500 + (uint32_t)id);
		if (rc == -ENOSPC) {
			const int16_t *p;
			full++;
			while ((p = cr_inject_peek(base, &h))) {
				assert_true(h.id < id);
				assert_int_equal(h.frames, 500 + h.id);
				assert_int_equal(p[h.frames - 1], (int16_t)((h.frames - 1) * 7));
				cr_inject_release(base, &h);
			}
			assert_int_equal(cr_inject_pending(base), 0);
			assert_int_equal(cr_inject_write(base, CR_INJ_REPLACE, 48000, id, samples,
							 500 + (uint32_t)id), 0);
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_true(full > 5);
	/* A record that could never fit, and a ring with no inject area. */
	assert_int_equal(cr_inject_write(base, CR_INJ_ADD, 48000, 1, samples, inj), -EINVAL);
	free(base);
	base = new_ring();
	assert_int_equal(cr_inject_write(base, CR_INJ_ADD, 48000, 1, samples, 10), -EINVAL);
	assert_null(cr_inject_peek(base, &h));
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_sizes),
		cmocka_unit_test(test_fifo_order_and_wrap),
		cmocka_unit_test(test_full_ring_drops_and_counts),
		cmocka_unit_test(test_oversized_record_refused),
		cmocka_unit_test(test_hostile_producer_detected),
		cmocka_unit_test(test_inject_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
