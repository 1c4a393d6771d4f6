/* What one local user may hold of the agent's control socket: limits per uid, refusals
 * counted per uid, and who sees whose refusals in `callrec status`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/uidlimits.h"

static void test_limits_per_uid(void **state)
{
	struct cr_uidlimits l;
	int i;

	(void)state;
	cr_uidlimits_init(&l, 3, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(cr_uid_admit_pending(&l, 1001), 0);
	assert_int_equal(cr_uid_admit_pending(&l, 1001), -EUSERS);
	assert_int_equal(cr_uid_admit_pending(&l, 1001), -EUSERS);
	/* another user is not affected */
	assert_int_equal(cr_uid_admit_pending(&l, 1002), 0);
	cr_uid_pending_done(&l, 1001);
	assert_int_equal(cr_uid_admit_pending(&l, 1001), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(cr_uid_admit_stream(&l, 1001), 0);
	assert_int_equal(cr_uid_admit_stream(&l, 1001), -EUSERS);
	assert_int_equal(cr_uid_admit_stream(&l, 1002), 0);
	cr_uid_stream_done(&l, 1001);
	assert_int_equal(cr_uid_admit_stream(&l, 1001), 0);
	assert_int_equal(cr_uid_find(&l, 1001)->refused_pending, 2);
	assert_int_equal(cr_uid_find(&l, 1001)->refused_streams, 1);
	assert_int_equal(cr_uid_find(&l, 1002)->refused_pending, 0);
	/* done more often than admitted never wraps */
	for (i = 0; i < 10; i++)
		cr_uid_stream_done(&l, 1002);
	assert_int_equal(cr_uid_find(&l, 1002)->streams, 0);
	cr_uidlimits_free(&l);
}

static void test_status_shows_own_refusals(void **state)
{
	struct cr_uidlimits l;
	json_t *s, *r;

	(void)state;
	cr_uidlimits_init(&l, 1, 1);
	assert_int_equal(cr_uid_admit_stream(&l, 1001), 0);
	assert_int_equal(cr_uid_admit_stream(&l, 1001), -EUSERS);
	assert_int_equal(cr_uid_admit_pending(&l, 1002), 0);
	assert_int_equal(cr_uid_admit_pending(&l, 1002), -EUSERS);
	assert_int_equal(cr_uid_admit_pending(&l, 1002), -EUSERS);
	/* root: every uid's */
	s = cr_uidlimits_status(&l, 0);
	assert_int_equal(json_array_size(json_object_get(s, "refused")), 2);
	assert_int_equal(json_integer_value(json_object_get(s, "streams_per_user")), 1);
	json_decref(s);
	/* a user: their own, the others' as one number */
	s = cr_uidlimits_status(&l, 1001);
	r = json_object_get(s, "refused");
	assert_int_equal(json_array_size(r), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "uid")), 1001);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "streams")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "refused_others")), 2);
	json_decref(s);
	cr_uidlimits_free(&l);
}

static void test_table_is_bounded(void **state)
{
	struct cr_uidlimits l;
	uid_t u;

	(void)state;
	cr_uidlimits_init(&l, 1, 1);
	/* users that hold something keep their entries; beyond the table, refused */
	for (u = 0; u < CR_UID_TABLE_MAX; u++)
		assert_int_equal(cr_uid_admit_pending(&l, 10000 + u), 0);
	assert_int_equal(cr_uid_admit_pending(&l, 99999), -EUSERS);
	assert_int_equal(l.refused_table, 1);
	/* a user who holds nothing any more makes room */
	cr_uid_pending_done(&l, 10000);
	assert_int_equal(cr_uid_admit_pending(&l, 99999), 0);
	cr_uidlimits_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_per_uid),
		cmocka_unit_test(test_status_shows_own_refusals),
		cmocka_unit_test(test_table_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
