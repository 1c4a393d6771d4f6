/* The storage backends' contract, as tests: every test below runs unchanged against every
 * backend pair (index + object store) in `backends` (index/index.h and objects/objects.h
 * state the contract in words).
 *
 * A backend is one table row. A spec written "$NAME" is read from the environment, and a row
 * whose variable is unset is not run (it says so), so that a backend needing a server runs
 * where one is set up: e.g. a row { "postgresql+s3", "$CALLREC_TEST_INDEX",
 * "$CALLREC_TEST_OBJECTS", fresh_pg } with CALLREC_TEST_INDEX=postgresql://... Each test gets
 * an empty instance: a new data directory, plus the row's `fresh` hook where the backend
 * keeps state elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"
#include "objects/objects.h"
#include "log.h"
#include "test_archived_helpers.h"

struct backend {
	const char *name;
	const char *index, *objects; /* specs, or "$VAR" */
	/* Make the instance behind the specs empty (NULL: a new data directory is enough). */
	int (*fresh)(const char *index_spec, const char *objects_spec);
};

static const struct backend backends[] = {
	{ "sqlite+dir", "sqlite", "dir", NULL },
};

/* The backend the current group runs against. */
static const struct backend *cur;
static const char *cur_index, *cur_objects;

struct fx {
	char *dir;
	struct ad_index *ix;
	struct ad_objects *ob;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_tmpdir();
	if (!f->dir || (cur->fresh && cur->fresh(cur_index, cur_objects) < 0) ||
	    ad_index_open(cur_index, f->dir, &f->ix) < 0 ||
	    ad_objects_open(cur_objects, f->dir, &f->ob) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->ix)
		f->ix->ops->close(f->ix);
	if (f->ob)
		f->ob->ops->free(f->ob);
	t_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* --- rows ---------------------------------------------------------------------------------- */

static void id_of(uint8_t id[CR_CALL_ID_BYTES], int n)
{
	t_id(id, (uint8_t)n);
}

static void call_row(struct ad_index_call *c, int n, const char *device, int64_t expires)
{
	memset(c, 0, sizeof(*c));
	id_of(c->id, n);
	c->device = device;
	c->meta = "{\"user\":\"alice\"}";
	memset(c->open_hash, 0x10 + n, CR_HASH_BYTES);
	memset(c->wrapped, 0x20 + n, AD_WRAPPED_BYTES);
	c->expires = expires;
	c->created = 1700000000 + n;
}

static void chunk_row(struct ad_chunk_info *c, uint64_t seq)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->start_frame = (seq - 1) * 1600;
	c->frames = 1600;
	memset(c->sha256, (int)(seq & 0xff), CR_HASH_BYTES);
	memset(c->prev_hash, (int)((seq - 1) & 0xff), CR_HASH_BYTES);
	c->segment = 7;
	c->offset = seq * 8192;
	c->length = 6416;
}

/* Call n with chunks 1..chunks, committed. */
static void add_call(struct fx *f, int n, int chunks, int64_t expires)
{
	struct ad_index_call c;
	struct ad_chunk_info k;
	int i;

	call_row(&c, n, "desk1", expires);
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_call(f->ix, &c), 0);
	for (i = 1; i <= chunks; i++) {
		chunk_row(&k, (uint64_t)i);
		assert_int_equal(f->ix->ops->put_chunk(f->ix, c.id, &k), 0);
	}
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);
}

static enum ad_close_result close_call(struct fx *f, int n, uint64_t seq, uint64_t expect_below)
{
	uint8_t id[CR_CALL_ID_BYTES];
	enum ad_close_result res;

	id_of(id, n);
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->settle_close(f->ix, id, seq, "{\"frames\":3200}",
						  expect_below, &res), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);
	return res;
}

/* Call n, complete with the next leaf. */
static void complete_call(struct fx *f, int n)
{
	uint8_t id[CR_CALL_ID_BYTES], sig[AD_SIG_BYTES], leaf[CR_HASH_BYTES];
	int appended;

	add_call(f, n, 1, 0);
	assert_int_equal(close_call(f, n, 2, 1), AD_CLOSE_APPLIED);
	id_of(id, n);
	memset(sig, n, sizeof(sig));
	memset(leaf, 0x80 + n, sizeof(leaf));
	assert_int_equal(f->ix->ops->complete(f->ix, id, "ab", sig, leaf, &appended), 0);
	assert_int_equal(appended, 1);
}

static const char *state_of(struct fx *f, int n)
{
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info c;

	id_of(id, n);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &c), 0);
	return c.state;
}

struct seen {
	int n;
	uint8_t id[8][CR_CALL_ID_BYTES];
	char text[8][64];
	int64_t num[8];
};

static int see_id(void *arg, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct seen *s = arg;

	if (s->n < 8)
		memcpy(s->id[s->n], id, CR_CALL_ID_BYTES);
	s->n++;
	return 0;
}

static int see_call(void *arg, const struct ad_call_info *c)
{
	struct seen *s = arg;

	if (s->n < 8) {
		memcpy(s->id[s->n], c->id, CR_CALL_ID_BYTES);
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", c->device);
	}
	s->n++;
	return 0;
}

static int see_device(void *arg, const char *name, const char *json, int64_t seen_at)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s %s", name, json);
		s->num[s->n] = seen_at;
	}
	s->n++;
	return 0;
}

static int stop_at_first(void *arg, const uint8_t id[CR_CALL_ID_BYTES])
{
	(void)arg, (void)id;
	return 42;
}

/* --- the index ------------------------------------------------------------------------------ */

static void test_batch_stores_calls_keys_chunks(void **state)
{
	struct fx *f = *state;
	struct ad_index_call c;
	struct ad_call_info ci;
	uint8_t id[CR_CALL_ID_BYTES], w[AD_WRAPPED_BYTES], want[AD_WRAPPED_BYTES];
	struct seen s = { 0 };

	add_call(f, 1, 2, 0);
	call_row(&c, 2, "desk2", 1800000000);
	c.software = "agent 1";
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_call(f->ix, &c), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);

	id_of(id, 1);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_memory_equal(ci.id, id, CR_CALL_ID_BYTES);
	assert_string_equal(ci.device, "desk1");
	assert_string_equal(ci.meta_json, "{\"user\":\"alice\"}");
	assert_string_equal(ci.state, "recording");
	assert_null(ci.software);
	assert_null(ci.close_json);
	assert_null(ci.hold_reason);
	assert_int_equal(ci.expires, 0);
	assert_int_equal(ci.close_seq, 0);
	memset(want, 0x11, CR_HASH_BYTES);
	assert_memory_equal(ci.open_hash, want, CR_HASH_BYTES);
	assert_int_equal(f->ix->ops->call_get(f->ix, c.id, &ci), 0);
	assert_string_equal(ci.software, "agent 1");
	assert_int_equal(ci.expires, 1800000000);
	/* The key is kept as given. */
	assert_int_equal(f->ix->ops->key_get(f->ix, c.id, w), 0);
	assert_memory_equal(w, c.wrapped, AD_WRAPPED_BYTES);
	/* Unknown calls. */
	id_of(id, 9);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), -ENOENT);
	assert_int_equal(f->ix->ops->key_get(f->ix, id, w), -ENOENT);
	/* Listed in the order stored. */
	assert_int_equal(f->ix->ops->call_list(f->ix, see_call, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "desk1");
	assert_string_equal(s.text[1], "desk2");
}

static void test_batch_rolled_back_leaves_nothing(void **state)
{
	struct fx *f = *state;
	uint8_t w[AD_WRAPPED_BYTES];
	struct ad_index_call c;
	struct ad_chunk_info k;
	struct ad_call_info ci;
	uint64_t n = 9;

	call_row(&c, 1, "desk1", 0);
	chunk_row(&k, 1);
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_call(f->ix, &c), 0);
	assert_int_equal(f->ix->ops->put_chunk(f->ix, c.id, &k), 0);
	assert_int_equal(f->ix->ops->put_heartbeat(f->ix, "desk1", "{}", 5), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 0), 0);
	assert_int_equal(f->ix->ops->call_get(f->ix, c.id, &ci), -ENOENT);
	assert_int_equal(f->ix->ops->key_get(f->ix, c.id, w), -ENOENT);
	assert_int_equal(f->ix->ops->chunk_count(f->ix, c.id, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 0);
}

static void test_committed_survives_reopen(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;
	uint64_t n = 0;

	add_call(f, 1, 3, 0);
	f->ix->ops->close(f->ix);
	f->ix = NULL;
	assert_int_equal(ad_index_open(cur_index, f->dir, &f->ix), 0);
	id_of(id, 1);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_int_equal(f->ix->ops->chunk_count(f->ix, id, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 3);
}

/* Chunks 1..3 into v[0..2]; v[4].seq counts the calls. Stops (returning 1) at the first
 * chunk out of order, which for the test below is the fourth, the largest seq. */
static int collect_chunk(void *arg, const struct ad_chunk_info *c)
{
	struct ad_chunk_info *v = arg;

	v[4].seq++;
	if (c->seq != v[4].seq)
		return 1;
	v[c->seq - 1] = *c;
	return 0;
}

static void test_chunks(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES], hash[CR_HASH_BYTES], prev[CR_HASH_BYTES];
	struct ad_chunk_info k, got[5];
	struct ad_index_call c;
	uint64_t n;

	call_row(&c, 1, "desk1", 0);
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_call(f->ix, &c), 0);
	/* Stored out of order; one at the largest seq the index holds. */
	chunk_row(&k, 3);
	assert_int_equal(f->ix->ops->put_chunk(f->ix, c.id, &k), 0);
	chunk_row(&k, 1);
	assert_int_equal(f->ix->ops->put_chunk(f->ix, c.id, &k), 0);
	chunk_row(&k, 2);
	k.segment = 0xfffffffeu;
	k.offset = 1ull << 40;
	assert_int_equal(f->ix->ops->put_chunk(f->ix, c.id, &k), 0);
	chunk_row(&k, AD_SEQ_LIMIT - 1);
	assert_int_equal(f->ix->ops->put_chunk(f->ix, c.id, &k), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);

	assert_int_equal(f->ix->ops->chunk_get(f->ix, c.id, 2, hash, prev), 1);
	chunk_row(&k, 2);
	assert_memory_equal(hash, k.sha256, CR_HASH_BYTES);
	assert_memory_equal(prev, k.prev_hash, CR_HASH_BYTES);
	assert_int_equal(f->ix->ops->chunk_get(f->ix, c.id, 4, hash, prev), 0);
	assert_int_equal(f->ix->ops->chunk_get(f->ix, c.id, AD_SEQ_LIMIT - 1, hash, prev), 1);
	id_of(id, 5);
	assert_int_equal(f->ix->ops->chunk_get(f->ix, id, 1, hash, prev), 0);
	/* Counts over [from, to). */
	assert_int_equal(f->ix->ops->chunk_count(f->ix, c.id, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(f->ix->ops->chunk_count(f->ix, c.id, 0, 3, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(f->ix->ops->chunk_count(f->ix, c.id, 3, UINT64_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(f->ix->ops->chunk_count(f->ix, c.id, 4, AD_SEQ_LIMIT - 1, &n), 0);
	assert_int_equal(n, 0);
	/* In seq order, every field as stored (the large seq stops the walk: fn's value). */
	memset(got, 0, sizeof(got));
	assert_int_equal(f->ix->ops->chunks(f->ix, c.id, collect_chunk, got), 1);
	assert_int_equal(got[4].seq, 4);
	assert_int_equal(got[1].segment, 0xfffffffeu);
	assert_int_equal(got[1].offset, 1ull << 40);
	assert_int_equal(got[2].start_frame, 3200);
	assert_int_equal(got[2].frames, 1600);
	assert_int_equal(got[2].length, 6416);
	chunk_row(&k, 3);
	assert_memory_equal(got[2].sha256, k.sha256, CR_HASH_BYTES);
	assert_memory_equal(got[2].prev_hash, k.prev_hash, CR_HASH_BYTES);
}

static void test_close_settles_only_when_complete(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;
	struct seen s = { 0 };

	add_call(f, 1, 2, 0);
	/* Chunk 3 of 3 is missing. */
	assert_int_equal(close_call(f, 1, 4, 3), AD_CLOSE_WAITING);
	assert_string_equal(state_of(f, 1), "recording");
	/* The agent never sent it (evicted): two expected below. */
	assert_int_equal(close_call(f, 1, 4, 2), AD_CLOSE_APPLIED);
	id_of(id, 1);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_string_equal(ci.state, "closing");
	assert_int_equal(ci.close_seq, 4);
	assert_string_equal(ci.close_json, "{\"frames\":3200}");
	assert_int_equal(f->ix->ops->calls_in_state(f->ix, "closing", see_id, &s), 0);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.id[0], id, CR_CALL_ID_BYTES);
	/* A close below stored chunks is wrong; the call is not touched. */
	add_call(f, 2, 3, 0);
	assert_int_equal(close_call(f, 2, 2, 1), AD_CLOSE_PAST);
	assert_string_equal(state_of(f, 2), "recording");
	/* A walk stops at fn's non-zero value. */
	assert_int_equal(f->ix->ops->calls_in_state(f->ix, "recording", stop_at_first, NULL), 42);
}

static void test_devices_keep_the_last_heartbeat(void **state)
{
	struct fx *f = *state;
	struct seen s = { 0 };

	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_heartbeat(f->ix, "desk2", "{\"a\":1}", 100), 0);
	assert_int_equal(f->ix->ops->put_heartbeat(f->ix, "desk1", "{\"a\":2}", 101), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_heartbeat(f->ix, "desk2", "{\"a\":3}", 102), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);
	assert_int_equal(f->ix->ops->devices(f->ix, see_device, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "desk1 {\"a\":2}");
	assert_int_equal(s.num[0], 101);
	assert_string_equal(s.text[1], "desk2 {\"a\":3}");
	assert_int_equal(s.num[1], 102);
}

static void test_holds_need_two_operators(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;

	complete_call(f, 1);
	id_of(id, 1);
	assert_int_equal(f->ix->ops->hold_request_release(f->ix, id, "legal1", "r"), -ENOLINK);
	assert_int_equal(f->ix->ops->hold_place(f->ix, id, "case 1", "legal1", 500), 0);
	assert_int_equal(f->ix->ops->hold_place(f->ix, id, "case 2", "legal2", 501), -EALREADY);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_string_equal(ci.hold_reason, "case 1");
	assert_string_equal(ci.hold_by, "legal1");
	assert_null(ci.release_by);
	assert_int_equal(f->ix->ops->hold_request_release(f->ix, id, "legal2", "done"), 0);
	assert_int_equal(f->ix->ops->hold_request_release(f->ix, id, "legal3", "done"), -EALREADY);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_string_equal(ci.release_by, "legal2");
	/* Cleared only for the request that is pending. */
	assert_int_equal(f->ix->ops->hold_clear(f->ix, id, "legal3"), -ESTALE);
	assert_int_equal(f->ix->ops->hold_clear(f->ix, id, "legal2"), 0);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_null(ci.hold_reason);
	assert_null(ci.release_by);
	assert_int_equal(f->ix->ops->hold_clear(f->ix, id, "legal2"), -ESTALE);
	id_of(id, 9);
	assert_int_equal(f->ix->ops->hold_place(f->ix, id, "x", "legal1", 1), -ENOENT);
	assert_int_equal(f->ix->ops->hold_request_release(f->ix, id, "legal1", "r"), -ENOENT);
}

static void test_expired_lists_what_the_sweep_takes(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES], sig[AD_SIG_BYTES] = { 0 }, leaf[CR_HASH_BYTES] = { 0 };
	struct ad_index_call c;
	struct seen s = { 0 };
	int n, appended;

	complete_call(f, 1);
	complete_call(f, 2);
	complete_call(f, 3);
	add_call(f, 4, 1, 100); /* still recording: never swept */
	/* Complete ones with deadlines: 5 at 300, 6 at 200. */
	call_row(&c, 5, "desk1", 300);
	assert_int_equal(f->ix->ops->begin_batch(f->ix), 0);
	assert_int_equal(f->ix->ops->put_call(f->ix, &c), 0);
	call_row(&c, 6, "desk1", 200);
	assert_int_equal(f->ix->ops->put_call(f->ix, &c), 0);
	assert_int_equal(f->ix->ops->end_batch(f->ix, 1), 0);
	for (n = 5; n <= 6; n++) {
		assert_int_equal(close_call(f, n, 1, 0), AD_CLOSE_APPLIED);
		id_of(id, n);
		assert_int_equal(f->ix->ops->complete(f->ix, id, "ab", sig, leaf, &appended), 0);
		assert_int_equal(appended, 1);
	}
	assert_int_equal(f->ix->ops->expired(f->ix, 199, 10, see_id, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(f->ix->ops->expired(f->ix, 1000, 10, see_id, &s), 0);
	assert_int_equal(s.n, 2);
	id_of(id, 6);
	assert_memory_equal(s.id[0], id, CR_CALL_ID_BYTES); /* earliest first */
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ix->ops->expired(f->ix, 1000, 1, see_id, &s), 0);
	assert_int_equal(s.n, 1);
	/* A hold keeps it. */
	assert_int_equal(f->ix->ops->hold_place(f->ix, id, "case", "legal1", 1), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->ix->ops->expired(f->ix, 1000, 10, see_id, &s), 0);
	assert_int_equal(s.n, 1);
	id_of(id, 5);
	assert_memory_equal(s.id[0], id, CR_CALL_ID_BYTES);
}

static void test_erasure_leaves_a_tombstone(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES], w[AD_WRAPPED_BYTES], sig[AD_SIG_BYTES];
	struct ad_call_info ci;
	struct seen s = { 0 };
	uint64_t n, leaf;

	complete_call(f, 1);
	id_of(id, 1);
	assert_int_equal(f->ix->ops->hold_place(f->ix, id, "case", "legal1", 1), 0);
	assert_int_equal(f->ix->ops->erase_begin(f->ix, id, "op", 1234), -EBUSY);
	assert_string_equal(state_of(f, 1), "complete");
	assert_int_equal(f->ix->ops->hold_request_release(f->ix, id, "legal1", "r"), 0);
	assert_int_equal(f->ix->ops->hold_clear(f->ix, id, "legal1"), 0);
	/* (1) marked, with reason and time; again: still fine (an erasure under way). */
	assert_int_equal(f->ix->ops->erase_begin(f->ix, id, "subject request", 1234), 0);
	assert_int_equal(f->ix->ops->erase_begin(f->ix, id, "again", 1300), 0);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_string_equal(ci.state, "erasing");
	assert_string_equal(ci.erase_reason, "subject request");
	assert_int_equal(ci.erased_at, 1234);
	assert_int_equal(f->ix->ops->calls_in_state(f->ix, "erasing", see_id, &s), 0);
	assert_int_equal(s.n, 1);
	/* Holds no longer apply to it. */
	assert_int_equal(f->ix->ops->hold_place(f->ix, id, "late", "legal1", 2), -ENOENT);
	/* (2) the key; twice is fine. */
	assert_int_equal(f->ix->ops->key_delete(f->ix, id), 0);
	assert_int_equal(f->ix->ops->key_get(f->ix, id, w), -ENOENT);
	assert_int_equal(f->ix->ops->key_delete(f->ix, id), 0);
	/* (4) the tombstone. */
	assert_int_equal(f->ix->ops->erase_finish(f->ix, id), 0);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_string_equal(ci.state, "erased");
	assert_string_equal(ci.device, "desk1");
	assert_string_equal(ci.meta_json, "{}");
	assert_null(ci.close_json);
	assert_null(ci.software);
	assert_null(ci.hold_reason);
	assert_int_equal(ci.expires, 0);
	assert_string_equal(ci.erase_reason, "subject request");
	assert_int_equal(f->ix->ops->chunk_count(f->ix, id, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(f->ix->ops->log_entry(f->ix, id, &leaf, sig), -ENOENT);
	/* The log keeps its leaf: it is append-only. */
	assert_int_equal(f->ix->ops->log_size(f->ix, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->ix->ops->erase_begin(f->ix, id, "op", 1), -ENOENT);
	id_of(id, 9);
	assert_int_equal(f->ix->ops->erase_begin(f->ix, id, "op", 1), -ENOENT);
	/* erase_finish touches only an erasing call. */
	add_call(f, 2, 2, 0);
	id_of(id, 2);
	assert_int_equal(f->ix->ops->erase_finish(f->ix, id), 0);
	assert_string_equal(state_of(f, 2), "recording");
	assert_int_equal(f->ix->ops->chunk_count(f->ix, id, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 2);
}

static void test_log_appends_leaves_in_order(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES], sig[AD_SIG_BYTES], want[AD_SIG_BYTES];
	uint8_t leaves[3][CR_HASH_BYTES], leaf[CR_HASH_BYTES];
	struct ad_call_info ci;
	uint64_t n, at;
	int appended;

	assert_int_equal(f->ix->ops->log_size(f->ix, &n), 0);
	assert_int_equal(n, 0);
	/* Not closing: nothing happens. */
	add_call(f, 1, 1, 0);
	id_of(id, 1);
	memset(sig, 1, sizeof(sig));
	memset(leaf, 0x81, sizeof(leaf));
	assert_int_equal(f->ix->ops->complete(f->ix, id, "ab", sig, leaf, &appended), 0);
	assert_int_equal(appended, 0);
	assert_string_equal(state_of(f, 1), "recording");
	assert_int_equal(f->ix->ops->log_entry(f->ix, id, &at, sig), -ENOENT);
	assert_int_equal(close_call(f, 1, 2, 1), AD_CLOSE_APPLIED);
	memset(sig, 1, sizeof(sig));
	assert_int_equal(f->ix->ops->complete(f->ix, id, "ab", sig, leaf, &appended), 0);
	assert_int_equal(appended, 1);
	assert_int_equal(f->ix->ops->call_get(f->ix, id, &ci), 0);
	assert_string_equal(ci.state, "complete");
	/* Once only. */
	assert_int_equal(f->ix->ops->complete(f->ix, id, "ab", sig, leaf, &appended), 0);
	assert_int_equal(appended, 0);
	complete_call(f, 2);
	complete_call(f, 3);
	assert_int_equal(f->ix->ops->log_size(f->ix, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f->ix->ops->log_leaves(f->ix, 3, leaves), 0);
	assert_memory_equal(leaves[0], leaf, CR_HASH_BYTES);
	memset(leaf, 0x83, sizeof(leaf));
	assert_memory_equal(leaves[2], leaf, CR_HASH_BYTES);
	assert_int_equal(f->ix->ops->log_leaves(f->ix, 4, leaves), -EIO);
	id_of(id, 3);
	assert_int_equal(f->ix->ops->log_entry(f->ix, id, &at, sig), 0);
	assert_int_equal(at, 2);
	memset(want, 3, sizeof(want));
	assert_memory_equal(sig, want, AD_SIG_BYTES);
}

static void test_checkpoints_keep_the_first_of_a_size(void **state)
{
	struct fx *f = *state;
	uint8_t sig[AD_SIG_BYTES], got[AD_SIG_BYTES], *tsr = NULL;
	size_t len = 0;
	char *json = NULL;

	assert_int_equal(f->ix->ops->checkpoint_get(f->ix, 2, &json, got, &tsr, &len), -ENOENT);
	assert_null(json);
	memset(sig, 5, sizeof(sig));
	assert_int_equal(f->ix->ops->checkpoint_put(f->ix, 2, "{\"tree_size\":2}", sig), 0);
	memset(sig, 6, sizeof(sig));
	assert_int_equal(f->ix->ops->checkpoint_put(f->ix, 2, "{\"other\":1}", sig), -EEXIST);
	assert_int_equal(f->ix->ops->checkpoint_get(f->ix, 2, &json, got, &tsr, &len), 0);
	assert_string_equal(json, "{\"tree_size\":2}");
	memset(sig, 5, sizeof(sig));
	assert_memory_equal(got, sig, AD_SIG_BYTES);
	assert_null(tsr);
	free(json);
	/* A timestamp response, once. */
	assert_int_equal(f->ix->ops->checkpoint_set_tsr(f->ix, 2, (const uint8_t *)"TSR1", 4), 0);
	assert_int_equal(f->ix->ops->checkpoint_set_tsr(f->ix, 2, (const uint8_t *)"TSR22", 5), 0);
	assert_int_equal(f->ix->ops->checkpoint_get(f->ix, 2, &json, got, &tsr, &len), 0);
	assert_non_null(tsr);
	assert_int_equal(len, 4);
	assert_memory_equal(tsr, "TSR1", 4);
	free(json);
	free(tsr);
	/* Without asking for the response. */
	assert_int_equal(f->ix->ops->checkpoint_get(f->ix, 2, &json, got, NULL, NULL), 0);
	free(json);
}

static void test_claims_are_exclusive_across_handles(void **state)
{
	struct fx *f = *state;
	uint8_t a[CR_CALL_ID_BYTES], b[CR_CALL_ID_BYTES];
	struct ad_index *peer = NULL, *third = NULL;

	id_of(a, 1);
	id_of(b, 2);
	assert_int_equal(f->ix->ops->open_peer(f->ix, &peer), 0);
	assert_int_equal(f->ix->ops->claim(f->ix, AD_CLAIM_ASSEMBLE, a), 0);
	assert_int_equal(peer->ops->claim(peer, AD_CLAIM_ASSEMBLE, a), -EBUSY);
	assert_int_equal(f->ix->ops->claim(f->ix, AD_CLAIM_ASSEMBLE, a), -EBUSY);
	assert_int_equal(peer->ops->claim(peer, AD_CLAIM_ASSEMBLE, b), 0);
	assert_int_equal(peer->ops->claim(peer, AD_CLAIM_SWEEP, NULL), 0);
	assert_int_equal(f->ix->ops->claim(f->ix, AD_CLAIM_SWEEP, NULL), -EBUSY);
	/* A release by one who does not hold it changes nothing. */
	peer->ops->release(peer, AD_CLAIM_ASSEMBLE, a);
	assert_int_equal(peer->ops->claim(peer, AD_CLAIM_ASSEMBLE, a), -EBUSY);
	f->ix->ops->release(f->ix, AD_CLAIM_ASSEMBLE, a);
	assert_int_equal(peer->ops->claim(peer, AD_CLAIM_ASSEMBLE, a), 0);
	/* A closed handle's claims lapse. */
	peer->ops->close(peer);
	assert_int_equal(f->ix->ops->open_peer(f->ix, &third), 0);
	assert_int_equal(third->ops->claim(third, AD_CLAIM_SWEEP, NULL), 0);
	assert_int_equal(third->ops->claim(third, AD_CLAIM_ASSEMBLE, a), 0);
	assert_int_equal(f->ix->ops->claim(f->ix, AD_CLAIM_ASSEMBLE, b), 0);
	third->ops->close(third);
}

static void test_peer_sees_what_was_committed(void **state)
{
	struct fx *f = *state;
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_index *peer = NULL;
	struct ad_call_info ci;

	assert_int_equal(f->ix->ops->open_peer(f->ix, &peer), 0);
	add_call(f, 1, 1, 0);
	id_of(id, 1);
	assert_int_equal(peer->ops->call_get(peer, id, &ci), 0);
	assert_string_equal(ci.device, "desk1");
	peer->ops->close(peer);
}

/* --- the object store ------------------------------------------------------------------------ */

static int put_object(struct ad_objects *ob, const uint8_t *id, const char *name,
		      const char *text, int commit)
{
	struct ad_object *o;
	int rc = ob->ops->create(ob, id, name, &o);

	if (rc < 0)
		return rc;
	rc = ob->ops->write(o, text, strlen(text));
	if (rc == 0 && commit)
		return ob->ops->commit(o);
	ob->ops->abort(o);
	return rc;
}

/* The whole object into buf (NUL-terminated), or -errno. */
static int get_object(struct ad_objects *ob, const uint8_t *id, const char *name, char *buf,
		      size_t cap)
{
	struct ad_object *o;
	size_t used = 0;
	ssize_t n;
	int rc = ob->ops->open(ob, id, name, &o);

	if (rc < 0)
		return rc;
	while ((n = ob->ops->read(o, buf + used, cap - 1 - used)) > 0)
		used += (size_t)n;
	ob->ops->close(o);
	buf[used] = '\0';
	return n < 0 ? (int)n : 0;
}

static void test_call_objects(void **state)
{
	struct fx *f = *state;
	uint8_t a[CR_CALL_ID_BYTES], b[CR_CALL_ID_BYTES];
	struct ad_objects *peer = NULL;
	char buf[256];

	id_of(a, 1);
	id_of(b, 2);
	assert_int_equal(get_object(f->ob, a, "audio.wav", buf, sizeof(buf)), -ENOENT);
	/* Visible only once committed; an abort leaves nothing. */
	assert_int_equal(put_object(f->ob, a, "audio.wav", "draft", 0), 0);
	assert_int_equal(get_object(f->ob, a, "audio.wav", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(put_object(f->ob, a, "audio.wav", "first", 1), 0);
	assert_int_equal(put_object(f->ob, a, "manifest.json", "{}", 1), 0);
	assert_int_equal(put_object(f->ob, b, "audio.wav", "other call", 1), 0);
	/* A new commit replaces the object. */
	assert_int_equal(put_object(f->ob, a, "audio.wav", "second", 1), 0);
	assert_int_equal(get_object(f->ob, a, "audio.wav", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "second");
	/* Another handle reads the same. */
	assert_int_equal(f->ob->ops->open_peer(f->ob, &peer), 0);
	assert_int_equal(get_object(peer, a, "manifest.json", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "{}");
	/* Names that are not plain are refused. */
	assert_int_equal(put_object(f->ob, a, "../x", "x", 1), -EINVAL);
	assert_int_equal(put_object(f->ob, a, "", "x", 1), -EINVAL);
	/* All of a call's objects go together, and only them; twice is fine. */
	assert_int_equal(f->ob->ops->remove_call(f->ob, a), 0);
	assert_int_equal(get_object(peer, a, "audio.wav", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(get_object(peer, a, "manifest.json", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(get_object(peer, b, "audio.wav", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "other call");
	assert_int_equal(f->ob->ops->remove_call(f->ob, a), 0);
	peer->ops->free(peer);
}

static void test_segments(void **state)
{
	struct fx *f = *state;
	uint8_t one[5000], two[300], back[5000];
	struct ad_objects *peer = NULL;
	uint32_t s1, s2;
	uint64_t o1, o2;

	memset(one, 'A', sizeof(one));
	memset(two, 'B', sizeof(two));
	assert_int_equal(f->ob->ops->seg_append(f->ob, one, sizeof(one), &s1, &o1), 0);
	assert_int_equal(f->ob->ops->seg_append(f->ob, two, sizeof(two), &s2, &o2), 0);
	assert_true(s1 != s2 || o1 + sizeof(one) <= o2);
	assert_int_equal(f->ob->ops->seg_sync(f->ob), 0);
	/* What was synced reads back, from this handle or another. */
	assert_int_equal(f->ob->ops->seg_read(f->ob, s1, o1, back, sizeof(one)), 0);
	assert_memory_equal(back, one, sizeof(one));
	assert_int_equal(f->ob->ops->open_peer(f->ob, &peer), 0);
	assert_int_equal(peer->ops->seg_read(peer, s2, o2, back, sizeof(two)), 0);
	assert_memory_equal(back, two, sizeof(two));
	/* The next batch does not overlap the last. */
	assert_int_equal(f->ob->ops->seg_append(f->ob, one, 100, &s1, &o1), 0);
	assert_int_equal(f->ob->ops->seg_sync(f->ob), 0);
	assert_true(s1 != s2 || o1 >= o2 + sizeof(two));
	/* Discarding one range leaves the others. */
	assert_int_equal(f->ob->ops->seg_discard(f->ob, s1, o1, 100), 0);
	assert_int_equal(peer->ops->seg_read(peer, s2, o2, back, sizeof(two)), 0);
	assert_memory_equal(back, two, sizeof(two));
	/* Past the end is an error, not stale bytes. */
	assert_true(peer->ops->seg_read(peer, s2, o2 + (1u << 30), back, 10) < 0);
	peer->ops->free(peer);
}

/* --- running every backend ------------------------------------------------------------------ */

/* A spec, or the environment variable it names ("$VAR"); NULL when that is unset. */
static const char *spec(const char *s)
{
	const char *v;

	if (!s || s[0] != '$')
		return s;
	v = getenv(s + 1);
	return v && *v ? v : NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_stores_calls_keys_chunks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batch_rolled_back_leaves_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_committed_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_settles_only_when_complete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_devices_keep_the_last_heartbeat, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_holds_need_two_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_lists_what_the_sweep_takes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_erasure_leaves_a_tombstone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_appends_leaves_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_keep_the_first_of_a_size, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_claims_are_exclusive_across_handles, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peer_sees_what_was_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segments, setup, teardown),
	};
	size_t i;
	int failed = 0;

	cr_log_init("test_archived_index_conformance", 0);
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		cur = &backends[i];
		cur_index = spec(cur->index);
		cur_objects = spec(cur->objects);
		if ((cur->index && !cur_index) || (cur->objects && !cur_objects)) {
			printf("# %s: not run (%s%s%s not set)\n", cur->name,
			       cur->index && !cur_index ? cur->index + 1 : "",
			       cur->index && !cur_index && cur->objects && !cur_objects ? ", " : "",
			       cur->objects && !cur_objects ? cur->objects + 1 : "");
			continue;
		}
		failed += cmocka_run_group_tests_name(cur->name, tests, NULL, NULL);
	}
	return failed;
}
