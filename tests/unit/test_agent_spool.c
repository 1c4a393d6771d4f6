/* The agent's spool: frames written as files before sending, found again by a scan after a
 * restart, deleted on acknowledgement (except the end marker of a call still open), calls
 * cut short by a restart closed with gap cause "agent", and invalid files left alone, temporary files of interrupted writes removed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include <cmocka.h>

#include "frame.h"
#include "fsutil.h"
#include "log.h"
#include "../../agent/chain.h"
#include "../../agent/spool.h"

static char root[64];

static int exists(const char *hex, const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s/%s", root, hex, name);
	return stat(p, &st) == 0;
}

static void put_call(struct cr_spool *s, const uint8_t id[CR_CALL_ID_BYTES], int chunks)
{
	struct cr_chain c;
	uint8_t *frame;
	size_t len;
	int16_t pcm[1600 * 2] = { 0 };

	assert_int_equal(cr_chain_open(&c, id, "{\"version\":1}", &frame, &len), 0);
	assert_int_equal(cr_spool_put(s, id, 0, CR_F_CALL_OPEN, frame, len), 0);
	free(frame);
	for (int i = 0; i < chunks; i++) {
		uint64_t seq = c.next_seq;
		assert_int_equal(cr_chain_chunk(&c, (uint64_t)i * 1600, 1600, 16000, 2, pcm, &frame,
						&len), 0);
		assert_int_equal(cr_spool_put(s, id, seq, CR_F_CHUNK, frame, len), 0);
		free(frame);
	}
}

static int setup(void **state)
{
	(void)state;
	cr_log_init("test_agent_spool", 0);
	strcpy(root, "/tmp/test_agent_spool.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_write_ack_scan_recover(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];
	uint64_t frames, bytes;

	memset(id, 0x5a, sizeof(id));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 2);
	assert_true(exists(hex, "0.frame") && exists(hex, "1.frame") && exists(hex, "2.frame"));
	cr_spool_backlog(&s, &frames, &bytes);
	assert_int_equal(frames, 3);
	assert_true(bytes > 2 * 1600 * 4);

	/* ACK of an earlier frame deletes it... */
	assert_true(cr_spool_ack(&s, id, 0) > 0);
	assert_false(exists(hex, "0.frame"));
	/* ...but the last frame of a call without CALL_CLOSE stays as its end marker. */
	assert_true(cr_spool_ack(&s, id, 2) > 0);
	assert_true(exists(hex, "2.frame"));
	cr_spool_backlog(&s, &frames, &bytes);
	assert_int_equal(frames, 1);
	assert_int_equal(cr_spool_ack(&s, id, 7), -ENOENT);
	cr_spool_close(&s);

	/* Restart: the scan finds 1 and 2; the call is closed with cause "agent" at seq 3. */
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_non_null(s.calls);
	assert_int_equal(s.calls->n, 2);
	assert_int_equal(s.calls->e[0].seq, 1);
	assert_int_equal(s.calls->e[1].seq, 2);
	assert_int_equal(cr_spool_close_orphans(&s), 1);
	assert_true(exists(hex, "3.frame"));

	uint8_t *buf;
	size_t len;
	struct cr_frame f;
	assert_int_equal(cr_spool_read(&s, s.calls, &s.calls->e[2], &buf, &len), 0);
	assert_int_equal(cr_frame_parse(buf, len, &f), (long)len);
	assert_int_equal(f.type, CR_F_CALL_CLOSE);
	json_t *o = json_loadb((const char *)f.body + CR_IDSEQ_WIRE, f.length - CR_IDSEQ_WIRE, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "frames")), 3200);
	json_t *g = json_array_get(json_object_get(o, "gaps"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "cause")), "agent");
	json_decref(o);
	free(buf);
	/* Closing again finds nothing to do. */
	assert_int_equal(cr_spool_close_orphans(&s), 0);

	/* Everything acknowledged: the call's directory disappears. */
	assert_true(cr_spool_ack(&s, id, 1) > 0);
	assert_true(cr_spool_ack(&s, id, 2) > 0);
	assert_true(cr_spool_ack(&s, id, 3) > 0);
	assert_null(s.calls);
	char dir[256];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/%s", root, hex);
	assert_int_not_equal(stat(dir, &st), 0);
	cr_spool_close(&s);
}

static void test_invalid_files_left_alone(void **state)
{
	(void)state;
	struct cr_spool s;
	uint8_t id[CR_CALL_ID_BYTES], other[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1], dir[256];

	memset(id, 0x11, sizeof(id));
	memset(other, 0x22, sizeof(other));
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	put_call(&s, id, 1);
	cr_spool_close(&s);
	/* Garbage, and a valid frame of another call stored under this call's name. */
	snprintf(dir, sizeof(dir), "%s/%s", root, hex);
	assert_int_equal(cr_write_atomic(dir, "5.frame", "garbage", 7, 0600), 0);
	struct cr_chain c;
	uint8_t *frame;
	size_t len;
	assert_int_equal(cr_chain_open(&c, other, "{}", &frame, &len), 0);
	assert_int_equal(cr_write_atomic(dir, "0.frame", frame, len, 0600), 0);
	free(frame);
	assert_int_equal(cr_write_atomic(root, "notacall", "x", 1, 0600), 0);
	/* A temporary file of a write the crash cut short: removed by the scan. */
	assert_int_equal(cr_write_atomic(dir, ".2.frame.tmp", "half", 4, 0600), 0);

	assert_int_equal(cr_spool_open(&s, root, 0), 0);
	assert_int_equal(cr_spool_scan(&s), 0);
	assert_non_null(s.calls);
	assert_null(s.calls->next);
	assert_int_equal(s.calls->n, 1); /* only 1.frame is valid */
	assert_int_equal(s.calls->e[0].seq, 1);
	assert_true(exists(hex, "5.frame")); /* not deleted: nothing is, before its ACK */
	assert_false(exists(hex, ".2.frame.tmp"));
	cr_spool_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_ack_scan_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_files_left_alone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
