/* The policy parser: every broken policy in tests/policy/bad yields the error its first line
 * announces ("# expect: LINE:COL: text"), the shipped examples are valid, and matching is
 * first-match-wins on what the kernel reports. Run from the top of the tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <cmocka.h>

#include "policy_load.h"

static const char *announce_dir(void)
{
	const char *b = getenv("BUILD");
	static char dir[512];

	snprintf(dir, sizeof(dir), "%s/announcements", b ? b : "build");
	return dir;
}

static int expect_error(const char *path)
{
	char first[256], want[256] = "";
	int line = 0, col = 0, found = 0;
	struct cr_policy *p = NULL;
	struct cr_diags d;
	FILE *f = fopen(path, "r");
	unsigned i;

	assert_non_null(f);
	assert_non_null(fgets(first, sizeof(first), f));
	fclose(f);
	first[strcspn(first, "\n")] = '\0';
	assert_int_equal(sscanf(first, "# expect: %d:%d: %255[^\n]", &line, &col, want), 3);
	cr_diags_init(&d, path);
	assert_int_equal(cr_policy_load(path, announce_dir(), &p, &d), -EINVAL);
	assert_null(p);
	for (i = 0; i < d.n; i++)
		if (d.items[i].line == line && d.items[i].col == col && strstr(d.items[i].msg, want))
			found = 1;
	if (!found) {
		print_error("%s: wanted %d:%d: %s; got:\n", path, line, col, want);
		cr_diags_print(&d, stderr);
	}
	return found;
}

static void test_broken_policies(void **state)
{
	(void)state;
	DIR *dir = opendir("tests/policy/bad");
	struct dirent *e;
	int n = 0, wrong = 0;

	assert_non_null(dir);
	while ((e = readdir(dir))) {
		char path[600];
		if (!strstr(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "tests/policy/bad/%s", e->d_name);
		wrong += !expect_error(path);
		n++;
	}
	closedir(dir);
	assert_true(n >= 20);
	assert_int_equal(wrong, 0);
}

static struct cr_policy *load_ok(const char *path)
{
	struct cr_policy *p = NULL;
	struct cr_diags d;

	cr_diags_init(&d, path);
	if (cr_policy_load(path, announce_dir(), &p, &d) < 0)
		cr_diags_print(&d, stderr);
	assert_non_null(p);
	return p;
}

static void test_examples_valid(void **state)
{
	(void)state;
	cr_policy_free(load_ok("conf/policy-contract.yaml"));
	cr_policy_free(load_ok("conf/policy-training.yaml"));
	cr_policy_free(load_ok("conf/policy-personal.yaml"));
}

static void test_match_first_wins(void **state)
{
	(void)state;
	struct cr_policy *p = load_ok("conf/policy-training.yaml");
	const char *desk[] = { "staff", "service-desk" }, *none[] = { "staff" };
	struct cr_subject s = { "baresip", "bob", desk, 2, "" };
	const struct cr_purpose *u;
	int rule;

	u = cr_policy_match(p, &s, &rule);
	assert_non_null(u);
	assert_string_equal(u->name, "training");
	assert_int_equal(rule, 1);
	assert_int_equal(u->mode, CR_DISCLOSE_TONE);
	assert_int_equal(u->tone.frequency_hz, 1400);
	assert_int_equal(u->tone.every_ms, 15000);
	/* The complaints line matches the first rule whatever the application. */
	s.line = "complaints-line";
	s.application = "firefox";
	u = cr_policy_match(p, &s, &rule);
	assert_non_null(u);
	assert_string_equal(u->name, "complaints");
	assert_int_equal(rule, 0);
	/* Not in the group, not on the line: not recorded. */
	s.line = "";
	s.application = "baresip";
	s.groups = none;
	s.ngroups = 1;
	assert_null(cr_policy_match(p, &s, &rule));
	assert_int_equal(rule, -1);
	cr_policy_free(p);
}

static void test_policy_hash_changes_with_text(void **state)
{
	(void)state;
	const char *a = "version: 1\nrules: []\n", *b = "version: 1\nrules: []\n# x\n";
	struct cr_policy *pa, *pb;
	struct cr_diags d;

	cr_diags_init(&d, "a");
	assert_int_equal(cr_policy_parse(a, strlen(a), &pa, &d), 0);
	assert_int_equal(cr_policy_parse(b, strlen(b), &pb, &d), 0);
	assert_memory_not_equal(pa->hash, pb->hash, 32);
	cr_policy_free(pa);
	cr_policy_free(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broken_policies),
		cmocka_unit_test(test_examples_valid),
		cmocka_unit_test(test_match_first_wins),
		cmocka_unit_test(test_policy_hash_changes_with_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
