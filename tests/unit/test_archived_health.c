/* Desktop health view: backlog trend, drops, staleness (archive/daemon/ops/health.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ops/health.h"

static struct ad_health *health; /* fresh for every test */

static int setup(void **state)
{
	(void)state;
	return ad_health_new(&health);
}

static int teardown(void **state)
{
	(void)state;
	ad_health_free(health);
	return 0;
}

static void beat(const char *dev, const char *json)
{
	ad_health_beat(health, dev, json, strlen(json));
}

static json_t *view(const char *dev, const char *json, int64_t age, int64_t stale)
{
	json_t *o = ad_health_view(health, dev, json, 1000000, 1000000 + age, stale);

	assert_non_null(o);
	return o;
}

static void test_growing_backlog_flagged(void **state)
{
	const char *last = "{\"backlog_bytes\":300,\"dropped_frames\":0}";
	json_t *o;

	(void)state;
	beat("d1", "{\"backlog_bytes\":100}");
	beat("d1", "{\"backlog_bytes\":200}");
	o = view("d1", last, 0, 120);
	assert_false(json_is_true(json_object_get(o, "backlog_growing"))); /* only 2 so far */
	json_decref(o);
	beat("d1", last);
	o = view("d1", last, 0, 120);
	assert_true(json_is_true(json_object_get(o, "backlog_growing")));
	assert_false(json_is_true(json_object_get(o, "healthy")));
	assert_int_equal(json_integer_value(json_object_get(o, "backlog")), 300);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "problems"), 0)),
			    "backlog growing");
	json_decref(o);
	beat("d1", "{\"backlog_bytes\":300}"); /* flat: no longer growing */
	o = view("d1", last, 0, 120);
	assert_false(json_is_true(json_object_get(o, "backlog_growing")));
	assert_true(json_is_true(json_object_get(o, "healthy")));
	json_decref(o);
}

static void test_trends_are_per_device(void **state)
{
	json_t *o;

	(void)state;
	beat("a", "{\"backlog_bytes\":1}");
	beat("b", "{\"backlog_bytes\":2}");
	beat("a", "{\"backlog_bytes\":3}");
	beat("b", "{\"backlog_bytes\":1}");
	beat("a", "{\"backlog_bytes\":5}");
	beat("b", "{\"backlog_bytes\":9}");
	o = view("a", "{}", 0, 120);
	assert_true(json_is_true(json_object_get(o, "backlog_growing")));
	json_decref(o);
	o = view("b", "{}", 0, 120);
	assert_false(json_is_true(json_object_get(o, "backlog_growing")));
	json_decref(o);
}

static void test_drops_and_stale(void **state)
{
	json_t *o;

	(void)state;
	o = view("d", "{\"dropped_frames\":480,\"state\":\"running\"}", 10, 120);
	assert_int_equal(json_integer_value(json_object_get(o, "dropped")), 480);
	assert_false(json_is_true(json_object_get(o, "healthy")));
	assert_string_equal(json_string_value(json_object_get(o, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(o, "last_heartbeat")),
			    "1970-01-12T13:46:40Z");
	json_decref(o);
	o = view("d", "{\"dropped_frames\":0}", 121, 120);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "problems"), 0)),
			    "no heartbeat for 121s");
	json_decref(o);
	o = view("d", "{\"dropped_frames\":0}", 120, 120);
	assert_true(json_is_true(json_object_get(o, "healthy")));
	json_decref(o);
}

static void test_spool_losses_and_state(void **state)
{
	json_t *o, *p;

	(void)state;
	o = view("s", "{\"state\":\"spool_full\",\"backlog_bytes\":10,\"spool\":"
		      "{\"refused_seconds\":2.5,\"evicted_seconds\":0}}", 0, 120);
	p = json_object_get(o, "problems");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(json_string_value(json_array_get(p, 0)),
			    "2.5 s not spooled (spool full)");
	assert_string_equal(json_string_value(json_array_get(p, 1)), "state spool_full");
	assert_false(json_is_true(json_object_get(o, "healthy")));
	json_decref(o);
}

static void test_garbage_heartbeat_is_harmless(void **state)
{
	json_t *o;

	(void)state;
	beat("g", "not json");
	beat("g", "[1,2]");
	o = view("g", "not json either", 0, 120);
	assert_true(json_is_object(json_object_get(o, "heartbeat")));
	assert_int_equal(json_integer_value(json_object_get(o, "backlog")), -1);
	assert_true(json_is_true(json_object_get(o, "healthy")));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_growing_backlog_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trends_are_per_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drops_and_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_losses_and_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_heartbeat_is_harmless, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
