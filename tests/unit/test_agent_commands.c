/* User commands: parsing and validation of `tag KEY=VALUE`; a user acts only on their own
 * calls, root on all; pause/resume/tag/private change the call as they say; private with no
 * call marks the user's next call, which is then never created; private mid-call hands the
 * call's id to the eraser and forgets the call without a CALL_CLOSE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <alsa/asoundlib.h>
#include <jansson.h>
#include <cmocka.h>

#include "frame.h"
#include "log.h"
#include "ring.h"
#include "test_ring_mem.h"
#include "../../agent/commands.h"

#define DATA (64u * 1024u)
#define T0 5000000000000ULL
#define MS(x) ((uint64_t)(x) * 1000000ULL)

static uint8_t types[64];
static size_t ntypes;
static uint8_t erased[4][CR_CALL_ID_BYTES];
static size_t nerased;

static int record_emit(void *ctx, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, uint8_t type,
		       const uint8_t *frame, size_t len)
{
	(void)ctx, (void)id, (void)seq, (void)frame, (void)len;
	if (ntypes < 64)
		types[ntypes++] = type;
	return 0;
}

static void record_erase(void *ctx, const uint8_t id[CR_CALL_ID_BYTES])
{
	(void)ctx;
	if (nerased < 4)
		memcpy(erased[nerased++], id, CR_CALL_ID_BYTES);
}

static void unmap_free(struct cr_stream *st)
{
	free(st->ring.base);
}

static struct cr_stream *new_stream(pid_t pid, uid_t uid, enum cr_dir dir)
{
	struct cr_stream *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	void *base = test_ring_mem(cr_ring_layout_bytes(DATA));
	assert_int_equal(cr_ring_init(&st->ring, base, cr_ring_layout_bytes(DATA), DATA), 0);
	st->peer.pid = pid;
	st->peer.uid = uid;
	snprintf(st->peer.user, sizeof(st->peer.user), "u%u", (unsigned)uid);
	strcpy(st->peer.application, "phone");
	st->dir = dir;
	st->unmap = unmap_free;
	cr_feed_init(&st->feed);
	return st;
}

static json_t *run(struct cr_calls *r, const char *text, uid_t uid, uint64_t now)
{
	struct cr_cmd cmd;
	const char *why;

	assert_int_equal(cr_cmd_parse(text, &cmd, &why), 0);
	return cr_cmd_run(r, &cmd, uid, now, record_erase, NULL);
}

static int is_ok(json_t *o)
{
	int ok = json_is_true(json_object_get(o, "ok"));
	json_decref(o);
	return ok;
}

static void test_parse_and_validate(void **state)
{
	struct cr_cmd c;
	const char *why;
	char long_value[200];

	(void)state;
	assert_int_equal(cr_cmd_parse("status", &c, &why), 0);
	assert_int_equal(c.verb, CR_CMD_STATUS);
	assert_int_equal(cr_cmd_parse("private", &c, &why), 0);
	assert_int_equal(c.verb, CR_CMD_PRIVATE);
	assert_int_equal(cr_cmd_parse("tag remote=+31 20 123 4567", &c, &why), 0);
	assert_string_equal(c.key, "remote");
	assert_string_equal(c.value, "+31 20 123 4567");
	assert_int_equal(cr_cmd_parse("tag a.b_c-9=", &c, &why), 0); /* empty value is allowed */
	assert_int_equal(cr_cmd_parse("tag x=k\xc3\xa9", &c, &why), 0); /* UTF-8 */
	assert_int_equal(cr_cmd_parse("tag Remote=1", &c, &why), -EINVAL);
	assert_non_null(why);
	assert_int_equal(cr_cmd_parse("tag =1", &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("tag a b=1", &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("tag abcdefghijabcdefghijabcdefghijabc=1", &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("tag x", &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("tag x=a\tb", &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("tag x=\xff", &c, &why), -EINVAL); /* not UTF-8 */
	memset(long_value, 'v', sizeof(long_value));
	memcpy(long_value, "tag x=", 6);
	long_value[6 + 128] = 0;
	assert_int_equal(cr_cmd_parse(long_value, &c, &why), 0);
	long_value[6 + 128] = 'v';
	long_value[6 + 129] = 0;
	assert_int_equal(cr_cmd_parse(long_value, &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("erase everything", &c, &why), -EINVAL);
	assert_int_equal(cr_cmd_parse("", &c, &why), -EINVAL);
}

static void test_permissions(void **state)
{
	(void)state;
	assert_true(cr_cmd_may_act(1000, 1000));
	assert_true(cr_cmd_may_act(0, 1000));
	assert_false(cr_cmd_may_act(1001, 1000));
	assert_false(cr_cmd_may_act(1000, 0));
}

static void test_commands_on_calls(void **state)
{
	struct cr_calls r;
	struct cr_stream *p = new_stream(300, 1000, CR_DIR_PLAYBACK);
	struct cr_stream *c = new_stream(300, 1000, CR_DIR_CAPTURE);
	struct cr_call *call;
	json_t *o;

	(void)state;
	ntypes = nerased = 0;
	cr_calls_init(&r, 1000, record_emit, NULL);
	cr_calls_add_stream(&r, p, T0);
	cr_calls_add_stream(&r, c, T0);
	assert_int_equal(cr_calls_count(&r), 1);
	call = r.calls;

	/* someone else: not their call */
	o = run(&r, "pause", 1001, T0 + MS(100));
	assert_non_null(json_object_get(o, "error"));
	json_decref(o);
	assert_false(call->paused);
	o = run(&r, "tag ticket=1", 1001, T0 + MS(100));
	assert_non_null(json_object_get(o, "error"));
	json_decref(o);
	assert_int_equal(call->ntags, 0);

	/* the owner */
	assert_true(is_ok(run(&r, "pause", 1000, T0 + MS(1000))));
	assert_true(call->paused);
	o = run(&r, "pause", 1000, T0 + MS(1100));
	assert_string_equal(json_string_value(json_object_get(o, "error")), "already paused");
	json_decref(o);
	assert_true(is_ok(run(&r, "resume", 1000, T0 + MS(3500))));
	assert_int_equal(call->npauses, 1);
	assert_int_equal(call->pauses[0].start_ms, 1000);
	assert_int_equal(call->pauses[0].length_ms, 2500);

	/* root may act on every call; tags replace by key, at most 32 */
	assert_true(is_ok(run(&r, "tag ticket=4711", 0, T0 + MS(3600))));
	assert_true(is_ok(run(&r, "tag ticket=4712", 1000, T0 + MS(3600))));
	assert_int_equal(call->ntags, 1);
	assert_string_equal(call->tags[0].value, "4712");
	for (int i = 1; i < CR_TAGS_MAX; i++) {
		char t[32];
		snprintf(t, sizeof(t), "tag k%d=v", i);
		assert_true(is_ok(run(&r, t, 1000, T0 + MS(3700))));
	}
	o = run(&r, "tag one.too.many=v", 1000, T0 + MS(3800));
	assert_non_null(json_object_get(o, "error"));
	json_decref(o);

	/* private by another user: marks that user's next call, leaves this one alone */
	o = run(&r, "private", 1001, T0 + MS(3900));
	assert_true(json_is_true(json_object_get(o, "next_call_private")));
	json_decref(o);
	assert_int_equal(cr_calls_count(&r), 1);
	assert_int_equal(nerased, 0);
	assert_true(cr_calls_private_pending(&r, 1001));

	/* private by the owner mid-call: erased, forgotten without a CALL_CLOSE */
	uint8_t id[CR_CALL_ID_BYTES];
	memcpy(id, call->id, sizeof(id));
	size_t before = ntypes;
	assert_true(is_ok(run(&r, "private", 1000, T0 + MS(4000))));
	assert_int_equal(cr_calls_count(&r), 0);
	assert_int_equal(nerased, 1);
	assert_memory_equal(erased[0], id, sizeof(id));
	cr_calls_tick(&r, T0 + MS(4100));
	cr_calls_tick(&r, T0 + MS(9000));
	for (size_t i = before; i < ntypes; i++)
		assert_int_not_equal(types[i], CR_F_CALL_CLOSE);
	/* its streams stay unrecorded while the process keeps them */
	assert_int_equal(cr_calls_count(&r), 0);
	cr_calls_remove_stream(&r, c, T0 + MS(9000));
	cr_calls_remove_stream(&r, p, T0 + MS(9000));
	cr_calls_shutdown(&r, T0 + MS(10000));
}

static void test_private_next_call(void **state)
{
	struct cr_calls r;
	json_t *o;

	(void)state;
	ntypes = nerased = 0;
	cr_calls_init(&r, 1000, record_emit, NULL);
	o = run(&r, "private", 1000, T0);
	assert_true(json_is_true(json_object_get(o, "next_call_private")));
	json_decref(o);
	/* another user's call is recorded */
	struct cr_stream *p2 = new_stream(401, 1002, CR_DIR_PLAYBACK);
	struct cr_stream *c2 = new_stream(401, 1002, CR_DIR_CAPTURE);
	cr_calls_add_stream(&r, p2, T0 + MS(10));
	cr_calls_add_stream(&r, c2, T0 + MS(10));
	assert_int_equal(cr_calls_count(&r), 1);
	/* the marked user's call is not */
	struct cr_stream *p = new_stream(400, 1000, CR_DIR_PLAYBACK);
	struct cr_stream *c = new_stream(400, 1000, CR_DIR_CAPTURE);
	cr_calls_add_stream(&r, p, T0 + MS(20));
	cr_calls_add_stream(&r, c, T0 + MS(20));
	cr_calls_tick(&r, T0 + MS(40));
	assert_int_equal(cr_calls_count(&r), 1);
	assert_false(cr_calls_private_pending(&r, 1000));
	/* a reopened direction within the grace period stays part of the private call */
	cr_calls_remove_stream(&r, c, T0 + MS(100));
	cr_calls_tick(&r, T0 + MS(120));
	c = new_stream(400, 1000, CR_DIR_CAPTURE);
	cr_calls_add_stream(&r, c, T0 + MS(500));
	cr_calls_tick(&r, T0 + MS(520));
	assert_int_equal(cr_calls_count(&r), 1);
	/* once the process has had no stream for the grace period, its next call counts */
	cr_calls_remove_stream(&r, c, T0 + MS(600));
	cr_calls_remove_stream(&r, p, T0 + MS(600));
	cr_calls_tick(&r, T0 + MS(620));
	cr_calls_tick(&r, T0 + MS(620) + CR_CALL_GRACE_NS + MS(20));
	p = new_stream(400, 1000, CR_DIR_PLAYBACK);
	c = new_stream(400, 1000, CR_DIR_CAPTURE);
	cr_calls_add_stream(&r, p, T0 + MS(5000));
	cr_calls_add_stream(&r, c, T0 + MS(5000));
	assert_int_equal(cr_calls_count(&r), 2);
	cr_calls_shutdown(&r, T0 + MS(6000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_validate),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_commands_on_calls),
		cmocka_unit_test(test_private_next_call),
	};
	cr_log_init("test_agent_commands", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
