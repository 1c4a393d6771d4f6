/* callrec-archive's audit chain check: an intact log passes; editing any line is reported
 * with that line's number (the last one through the archive's head hash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../archive/cli/commands.h"

/* Three chained lines like the archive writes; head into head[65]. */
static char *make_log(char head[65])
{
	static char log[2048];
	char prev[65];
	size_t len = 0;
	int i, k;

	memset(prev, '0', 64);
	prev[64] = '\0';
	log[0] = '\0';
	for (i = 1; i <= 3; i++) {
		uint8_t d[32];
		char *line = log + len;

		len += (size_t)snprintf(line, sizeof(log) - len,
					"{\"seq\":%d,\"actor\":\"op%d\",\"action\":\"export\","
					"\"prev\":\"%s\"}", i, i, prev);
		gnutls_hash_fast(GNUTLS_DIG_SHA256, line, strlen(line), d);
		for (k = 0; k < 32; k++)
			snprintf(prev + 2 * k, 3, "%02x", d[k]);
		log[len++] = '\n';
		log[len] = '\0';
	}
	memcpy(head, prev, 65);
	return log;
}

static void test_intact(void **state)
{
	char head[65], *log = make_log(head);
	FILE *err = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(cra_audit_check(log, strlen(log), head, err), 0);
	assert_int_equal(cra_audit_check(log, strlen(log), NULL, err), 0);
	assert_int_equal(cra_audit_check("", 0, NULL, err), 0);
	fclose(err);
}

static void test_each_line_edited(void **state)
{
	char head[65], *log;
	FILE *err = fopen("/dev/null", "w");
	int line;

	(void)state;
	for (line = 1; line <= 3; line++) {
		char *p, *actor;
		int i;

		log = make_log(head);
		p = log;
		for (i = 1; i < line; i++)
			p = strchr(p, '\n') + 1;
		actor = strstr(p, "\"op");
		actor[3] = 'X'; /* "opX" */
		assert_int_equal(cra_audit_check(log, strlen(log), head, err), line);
	}
	/* A line removed from the middle breaks the chain too. */
	log = make_log(head);
	{
		char *l2 = strchr(log, '\n') + 1, *l3 = strchr(l2, '\n') + 1;

		memmove(l2, l3, strlen(l3) + 1);
	}
	assert_true(cra_audit_check(log, strlen(log), head, err) > 0);
	fclose(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_each_line_edited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
