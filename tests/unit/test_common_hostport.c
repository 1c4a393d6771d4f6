/* HOST:PORT, the one parser every program uses for addresses: brackets for IPv6, port
 * 1..65535 in decimal, nothing else. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hostport.h"

static void test_split(void **state)
{
	char host[64];
	unsigned port = 0;

	(void)state;
	assert_int_equal(cr_split_hostport("127.0.0.1:7443", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7443);
	assert_int_equal(cr_split_hostport("[::1]:443", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	assert_int_equal(cr_split_hostport("archive.example.org:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "archive.example.org");
	assert_int_equal(cr_split_hostport("localhost", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport(":7443", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("h:0", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("h:65536", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("h:-1", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("h:12x", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("::1:443", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("[::1]443", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cr_split_hostport("averyveryverylonghostname:1", host, 8, &port), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
