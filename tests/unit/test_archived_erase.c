/* CALL_ERASE (a call the user marked private) and crypto-shredding in the store: erased after
 * it was stored or in the very turn it was opened, only by its own device, not while on hold;
 * later chunks of an erased call are acknowledged and dropped; the tombstone keeps no metadata;
 * a hold needs two operators to release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>

#include "store/erase.h"
#include "rights/hold.h"
#include "store/internal.h"
#include "log.h"
#include "test_archived_helpers.h"

struct acks {
	size_t n;
	uint64_t seq[16];
	int status[16];
};

static void collect(void *arg, void *tag, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq,
		    int status)
{
	struct acks *k = arg;

	(void)tag, (void)id;
	assert_true(k->n < 16);
	k->seq[k->n] = seq;
	k->status[k->n++] = status;
}

struct fx {
	char *dir;
	struct ad_archive a;
	struct ad_store *s; /* a.store */
	struct acks acks;
	struct t_body b;
	int tag;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	cr_log_init("test", 0);
	f->dir = t_tmpdir();
	assert_int_equal(t_archive_open(&f->a, f->dir), 0);
	f->s = f->a.store;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ad_archive_close(&f->a);
	t_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void commit(struct fx *f)
{
	memset(&f->acks, 0, sizeof(f->acks));
	assert_int_equal(ad_store_commit(f->s, collect, &f->acks), 0);
}

static void stage_open(struct fx *f, const uint8_t *id, uint8_t open_hash[CR_HASH_BYTES])
{
	t_open_body(id, T_META, &f->b, open_hash);
	assert_int_equal(ad_store_call_open(f->s, &f->tag, "desk1", NULL, f->b.b, f->b.len), 0);
}

static void stage_erase(struct fx *f, const uint8_t *id, const char *device)
{
	t_close_body(id, 0, "{\"reason\":\"private\"}", &f->b);
	assert_int_equal(ad_store_call_erase(f->s, &f->tag, device, f->b.b, f->b.len), 0);
}

static int q_chunks(struct fx *f, const uint8_t *id)
{
	struct ad_index *ix = ad_store_index(f->s);
	uint64_t n = 0;

	assert_int_equal(ix->ops->chunk_count(ix, id, 0, UINT64_MAX, &n), 0);
	return (int)n;
}

static const char *state_of(struct fx *f, const uint8_t *id)
{
	struct ad_call_info c;

	assert_int_equal(ad_store_index(f->s)->ops->call_get(ad_store_index(f->s), id, &c), 0);
	return c.state;
}

static void test_erase_after_and_in_the_same_turn(void **state)
{
	struct fx *f = *state;
	uint8_t a[CR_CALL_ID_BYTES], b[CR_CALL_ID_BYTES], h[CR_HASH_BYTES], k[AD_KEY_BYTES];
	uint8_t ch[CR_HASH_BYTES];
	struct ad_call_info c;

	t_id(a, 1);
	t_id(b, 2);
	stage_open(f, a, h);
	commit(f);
	t_chunk_body(a, 1, 0, 1600, 100, h, &f->b, ch);
	assert_int_equal(ad_store_put_chunk(f->s, &f->tag, "desk1", f->b.b, f->b.len), 0);
	commit(f);
	/* Another device may not erase it. */
	stage_erase(f, a, "desk2");
	commit(f);
	assert_int_equal(f->acks.n, 1);
	assert_int_equal(f->acks.status[0], CR_ACK_FORBIDDEN);
	assert_string_equal(state_of(f, a), "recording");
	/* Its own device may. */
	stage_erase(f, a, "desk1");
	commit(f);
	assert_int_equal(f->acks.n, 1);
	assert_int_equal(f->acks.seq[0], 0);
	assert_int_equal(f->acks.status[0], CR_ACK_OK);
	assert_int_equal(ad_store_index(f->s)->ops->call_get(ad_store_index(f->s), a, &c), 0);
	assert_string_equal(c.state, "erased");
	assert_string_equal(c.meta_json, "{}");
	assert_string_equal(c.erase_reason, "private");
	assert_int_equal(ad_store_call_key(f->s, a, k), -ENOENT);
	/* A chunk still in the agent's spool is acknowledged and dropped. */
	t_chunk_body(a, 2, 1600, 1600, 100, ch, &f->b, NULL);
	assert_int_equal(ad_store_put_chunk(f->s, &f->tag, "desk1", f->b.b, f->b.len), 0);
	commit(f);
	assert_int_equal(f->acks.status[0], CR_ACK_OK);
	assert_int_equal(q_chunks(f, a), 0);

	/* Opened and erased in one turn: both acknowledged after the commit, erased. */
	stage_open(f, b, h);
	stage_erase(f, b, "desk1");
	commit(f);
	assert_int_equal(f->acks.n, 2);
	assert_int_equal(f->acks.status[0], CR_ACK_OK);
	assert_int_equal(f->acks.status[1], CR_ACK_OK);
	assert_string_equal(state_of(f, b), "erased");
}

static void test_hold_blocks_erasure(void **state)
{
	struct fx *f = *state;
	uint8_t a[CR_CALL_ID_BYTES], h[CR_HASH_BYTES];
	int released;

	t_id(a, 3);
	stage_open(f, a, h);
	commit(f);
	assert_int_equal(ad_hold_place(f->s, a, "case 1", "legal1", 1000), 0);
	assert_int_equal(ad_hold_place(f->s, a, "case 2", "legal2", 1000), -EALREADY);
	assert_int_equal(ad_erase_call(f->s, a, "op", "dpo1"), -EBUSY);
	stage_erase(f, a, "desk1"); /* a hold outranks the private mark: kept, but acknowledged */
	commit(f);
	assert_int_equal(f->acks.status[0], CR_ACK_OK);
	assert_string_equal(state_of(f, a), "recording");
	/* Release: requested by one, the same one cannot complete, another can. */
	assert_int_equal(ad_hold_release(f->s, a, "done", "legal1", &released), 0);
	assert_int_equal(released, 0);
	assert_int_equal(ad_hold_release(f->s, a, "done", "legal1", &released), -EPERM);
	assert_int_equal(ad_erase_call(f->s, a, "op", "dpo1"), -EBUSY);
	assert_int_equal(ad_hold_release(f->s, a, "ok", "legal2", &released), 0);
	assert_int_equal(released, 1);
	assert_int_equal(ad_hold_release(f->s, a, "ok", "legal2", &released), -ENOLINK);
	assert_int_equal(ad_erase_call(f->s, a, "op", "dpo1"), 0);
	assert_string_equal(state_of(f, a), "erased");
	assert_int_equal(ad_hold_place(f->s, a, "late", "legal1", 1000), -ENOENT);
}

/* An erasure while the worker assembles the call (it holds the assemble claim and may be
 * writing the call's objects): the key goes at once, the objects and the tombstone wait for
 * the claim to be let go, and then nothing of the call remains. */
static void test_erase_during_assembly(void **state)
{
	struct fx *f = *state;
	struct ad_index *ix = ad_store_index(f->s);
	uint8_t a[CR_CALL_ID_BYTES], h[CR_HASH_BYTES], k[AD_KEY_BYTES];

	t_id(a, 4);
	stage_open(f, a, h);
	commit(f);
	assert_int_equal(ix->ops->claim(ix, AD_CLAIM_ASSEMBLE, a), 0); /* the worker, busy */
	assert_int_equal(ad_erase_call(f->s, a, "op", "dpo1"), 0);
	assert_int_equal(ad_store_call_key(f->s, a, k), -ENOENT);
	assert_string_equal(state_of(f, a), "erasing");
	ix->ops->release(ix, AD_CLAIM_ASSEMBLE, a); /* the worker stops ... */
	assert_int_equal(ad_erase_after_assembly(f->s, a), 0); /* ... and finishes the erasure */
	assert_string_equal(state_of(f, a), "erased");
	/* Nothing more to do for a call that is not being erased. */
	assert_int_equal(ad_erase_after_assembly(f->s, a), 0);
	assert_string_equal(state_of(f, a), "erased");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_erase_after_and_in_the_same_turn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hold_blocks_erasure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_during_assembly, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
