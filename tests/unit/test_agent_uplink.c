/* Delivery pieces of the agent that need no network: reconnect backoff (bounds, doubling,
 * full jitter, reset) and the heartbeat JSON (what the archive shows IT: state, backlog, last acknowledged
 * chunk, drop and eviction counters, version). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <cmocka.h>

#include "../../agent/backoff.h"
#include "../../agent/health.h"
#include "../../agent/uplink.h"

static void test_backoff_bounds_and_doubling(void **state)
{
	(void)state;
	struct cr_backoff b;
	static const unsigned steps[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };

	cr_backoff_init(&b, CR_UPLINK_BACKOFF_MIN_MS, CR_UPLINK_BACKOFF_MAX_MS);
	assert_int_equal(CR_UPLINK_BACKOFF_MIN_MS, 500);
	assert_int_equal(CR_UPLINK_BACKOFF_MAX_MS, 30000);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		/* random == step gives the top of the interval, step + 1 its bottom */
		struct cr_backoff copy = b;
		assert_int_equal(cr_backoff_next(&copy, steps[i]), steps[i]);
		copy = b;
		assert_int_equal(cr_backoff_next(&copy, steps[i] + 1), 0);
		assert_true(cr_backoff_next(&b, UINT32_MAX) <= steps[i]);
	}
	/* a success starts over */
	cr_backoff_reset(&b);
	assert_int_equal(cr_backoff_next(&b, 500), 500);
	assert_int_equal(cr_backoff_next(&b, 1000), 1000);
}

static void test_backoff_full_jitter(void **state)
{
	(void)state;
	struct cr_backoff b;
	unsigned lo = UINT32_MAX, hi = 0;
	double sum = 0;
	const int n = 20000;
	int below_quarter = 0;

	for (int i = 0; i < n; i++) {
		cr_backoff_init(&b, 500, 30000);
		b.step_ms = 30000;
		unsigned d = cr_backoff_next(&b, cr_backoff_random());
		assert_true(d <= 30000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += d;
		below_quarter += d < 7500;
	}
	/* uniform over [0, 30 s]: mean 15 s, a quarter below 7.5 s, both ends reached */
	print_message("# 30 s step: min %u ms, max %u ms, mean %.0f ms, %.1f%% below 7.5 s\n", lo,
		      hi, sum / n, 100.0 * below_quarter / n);
	assert_true(lo < 300);
	assert_true(hi > 29700);
	assert_in_range((long)(sum / n), 14400, 15600);
	assert_in_range(below_quarter, n / 4 - n / 40, n / 4 + n / 40);
}

static void test_heartbeat_json(void **state)
{
	(void)state;
	struct cr_health h = {
		.state = "running", .version = "9.9.9", .calls = 2, .backlog_frames = 7,
		.backlog_bytes = 45000, .last_ack_call = "00112233445566778899aabbccddeeff",
		.last_ack_seq = 41, .acked_frames = 1234, .refused_frames = 1, .dropped_frames = 96,
		.spool_bytes = 45000, .spool_max_bytes = 2147483648ULL, .spool_full = 1,
		.evict_oldest = 0, .refused_chunks = 30, .refused_frames_audio = 30 * 16000,
		.evicted_chunks = 4, .evicted_frames_audio = 4 * 16000, .rate = 16000,
		.tls_resumed = 3,
	};
	char *s = cr_health_json(&h);
	json_error_t e;
	json_t *o;

	assert_non_null(s);
	o = json_loads(s, 0, &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(o, "version")), "9.9.9");
	assert_string_equal(json_string_value(json_object_get(o, "software")), "callrec-agent 9.9.9");
	assert_int_equal(json_integer_value(json_object_get(o, "calls")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "backlog_frames")), 7);
	assert_int_equal(json_integer_value(json_object_get(o, "backlog_bytes")), 45000);
	json_t *bl = json_object_get(o, "backlog");
	assert_int_equal(json_integer_value(json_object_get(bl, "chunks")), 7);
	assert_int_equal(json_integer_value(json_object_get(bl, "bytes")), 45000);
	json_t *la = json_object_get(o, "last_ack");
	assert_string_equal(json_string_value(json_object_get(la, "call")),
			    "00112233445566778899aabbccddeeff");
	assert_int_equal(json_integer_value(json_object_get(la, "seq")), 41);
	assert_int_equal(json_integer_value(json_object_get(o, "acked_frames")), 1234);
	assert_int_equal(json_integer_value(json_object_get(o, "refused_frames")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "dropped_frames")), 96);
	assert_int_equal(json_integer_value(json_object_get(o, "tls_resumed")), 3);
	json_t *sp = json_object_get(o, "spool");
	assert_true(json_is_true(json_object_get(sp, "full")));
	assert_true(json_is_false(json_object_get(sp, "evict_oldest")));
	assert_int_equal(json_integer_value(json_object_get(sp, "max_bytes")), 2147483648LL);
	assert_int_equal(json_integer_value(json_object_get(sp, "refused_chunks")), 30);
	assert_true(json_real_value(json_object_get(sp, "refused_seconds")) == 30.0);
	assert_int_equal(json_integer_value(json_object_get(sp, "evicted_chunks")), 4);
	assert_true(json_real_value(json_object_get(sp, "evicted_seconds")) == 4.0);
	json_decref(o);
	free(s);

	/* Nothing acknowledged yet: last_ack is null, not an empty call id. */
	h.last_ack_call = "";
	s = cr_health_json(&h);
	o = json_loads(s, 0, &e);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "last_ack")));
	json_decref(o);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_bounds_and_doubling),
		cmocka_unit_test(test_backoff_full_jitter),
		cmocka_unit_test(test_heartbeat_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
