/* The agent's policy decision from a subject the kernel describes: first matching rule wins,
 * on application, user, groups (primary and supplementary, by name) and line; no match and
 * `record: no` pass; the built-in rule records; a policy that is invalid or unreadable is
 * refused with its diagnostics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "../../agent/policy_glue.h"

static const char policy_text[] =
	"version: 1\n"
	"purposes:\n"
	"  contract:\n"
	"    description: Proof of agreements\n"
	"    legal_basis: contract\n"
	"    retention: 5y\n"
	"    access: [legal]\n"
	"    disclosure: { mode: notice, notice: \"Terms 7.3\" }\n"
	"  training:\n"
	"    description: Coaching\n"
	"    legal_basis: legitimate_interests\n"
	"    retention: 90d\n"
	"    access: [trainer]\n"
	"    disclosure: { mode: tone }\n"
	"rules:\n"
	"  - match: { application: [firefox] }\n"
	"    record: no\n"
	"  - match: { application: [baresip, pjsua], group: [sales] }\n"
	"    record: contract\n"
	"  - match: { line: desk-phone }\n"
	"    record: training\n"
	"  - match: { user: [carol] }\n"
	"    record: training\n"
	"employees:\n"
	"  notice: \"Staff handbook 4.2\"\n"
	"recording:\n"
	"  on_failure: block\n";

static char path[64];

static int write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_agent_policy.%d.yaml", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static struct cr_pol *load(void)
{
	struct cr_diags d;
	struct cr_pol *pol = NULL;

	cr_diags_init(&d, path);
	assert_int_equal(write_file(policy_text), 0);
	if (cr_pol_load(path, NULL, &pol, &d)) {
		cr_diags_print(&d, stderr);
		fail();
	}
	unlink(path);
	return pol;
}

/* A peer as cr_peer_identify fills it; groups from a /proc "Groups:" line. gid 0 is "root"
 * on every system; unknown gids appear as numbers. */
static void peer(struct cr_peer *p, const char *app, const char *user, gid_t gid,
		 const char *groups_line)
{
	memset(p, 0, sizeof(*p));
	p->pid = 4242;
	p->uid = 1000;
	p->gid = gid;
	snprintf(p->application, sizeof(p->application), "%s", app);
	snprintf(p->user, sizeof(p->user), "%s", user);
	cr_peer_set_groups(p, groups_line);
}

static void test_groups_from_proc_line(void **state)
{
	struct cr_peer p;

	(void)state;
	peer(&p, "x", "alice", 0, "\t0 4000001 4000002 \n");
	assert_int_equal(p.ngroups, 3); /* primary 0 listed again: once */
	assert_string_equal(p.groups[0], "root");
	assert_string_equal(p.groups[1], "4000001");
	assert_string_equal(p.groups[2], "4000002");
	peer(&p, "x", "alice", 4000003, "");
	assert_int_equal(p.ngroups, 1);
	assert_string_equal(p.groups[0], "4000003");
}

static void test_first_match_wins(void **state)
{
	struct cr_pol *pol = load();
	const struct cr_purpose *pu;
	struct cr_peer p;
	int rule, purpose;

	(void)state;
	assert_int_equal(strlen(pol->sha256), 64);

	/* baresip in a group named 4000001 is not in sales: falls through to the line rule */
	peer(&p, "baresip", "alice", 4000001, "");
	assert_int_equal(cr_pol_decide(pol, &p, "desk-phone", &rule, &purpose), 1);
	assert_int_equal(rule, 2);
	pu = cr_pol_purpose(pol, purpose);
	assert_non_null(pu);
	assert_string_equal(pu->name, "training");

	/* and without the line, nothing matches: PASS */
	assert_int_equal(cr_pol_decide(pol, &p, "", &rule, &purpose), 0);
	assert_int_equal(rule, -1);

	/* firefox is excluded by the first rule even on the recorded line */
	peer(&p, "firefox", "carol", 4000001, "");
	assert_int_equal(cr_pol_decide(pol, &p, "desk-phone", &rule, &purpose), 0);
	assert_int_equal(rule, 0);

	/* a user rule */
	peer(&p, "linphone", "carol", 4000001, "");
	assert_int_equal(cr_pol_decide(pol, &p, "", &rule, &purpose), 1);
	assert_int_equal(rule, 3);
	assert_string_equal(cr_pol_purpose(pol, purpose)->name, "training");

	/* the application is the executable's name: "baresip-gtk" is not "baresip" */
	peer(&p, "baresip-gtk", "alice", 4000001, "");
	assert_int_equal(cr_pol_decide(pol, &p, "", &rule, &purpose), 0);
	assert_int_equal(pol->p->on_failure, CR_FAIL_BLOCK);
	cr_pol_unref(pol);
}

/* A supplementary group by name: the sales rule needs a group called "sales", which this
 * system may not have; "root" (gid 0) always exists, so match on it with a second policy. */
static void test_supplementary_group_by_name(void **state)
{
	static const char text[] =
		"version: 1\n"
		"purposes:\n"
		"  own:\n"
		"    description: My own calls\n"
		"    legal_basis: personal\n"
		"    retention: 30d\n"
		"    access: [me]\n"
		"    disclosure: { mode: none }\n"
		"rules:\n"
		"  - match: { group: [root] }\n"
		"    record: own\n";
	struct cr_diags d;
	struct cr_pol *pol = NULL;
	struct cr_peer p;
	int rule, purpose;

	(void)state;
	assert_int_equal(write_file(text), 0);
	cr_diags_init(&d, path);
	assert_int_equal(cr_pol_load(path, NULL, &pol, &d), 0);
	unlink(path);
	peer(&p, "pjsua", "bob", 4000001, "4000001 0");
	assert_int_equal(cr_pol_decide(pol, &p, "", &rule, &purpose), 1);
	assert_int_equal(rule, 0);
	peer(&p, "pjsua", "bob", 4000001, "4000001 4000002");
	assert_int_equal(cr_pol_decide(pol, &p, "", &rule, &purpose), 0);
	cr_pol_unref(pol);
}

static void test_builtin_records_everything(void **state)
{
	struct cr_pol *pol = cr_pol_builtin();
	struct cr_peer p;
	int rule = 7, purpose = 7;

	(void)state;
	peer(&p, "anything", "alice", 4000001, "");
	assert_int_equal(cr_pol_decide(pol, &p, "", &rule, &purpose), 1);
	assert_int_equal(purpose, -1);
	assert_null(cr_pol_purpose(pol, purpose));
	/* references: the agent's and a call's */
	cr_pol_ref(pol);
	cr_pol_unref(pol);
	cr_pol_unref(pol);
}

static void test_invalid_and_unreadable(void **state)
{
	struct cr_diags d;
	struct cr_pol *pol = (struct cr_pol *)1;

	(void)state;
	assert_int_equal(write_file("version: 1\npurposes: {}\n"
				    "rules:\n  - match: {}\n    record: nope\n"), 0);
	cr_diags_init(&d, path);
	assert_int_equal(cr_pol_load(path, NULL, &pol, &d), -EINVAL);
	assert_null(pol);
	assert_true(d.n >= 1);
	assert_true(d.items[0].line > 0 && d.items[0].col > 0);
	unlink(path);
	cr_diags_init(&d, path);
	int err = cr_pol_load(path, NULL, &pol, &d);
	assert_true(err < 0 && err != -EINVAL); /* unreadable: on_failure territory */
	assert_null(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_from_proc_line),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_supplementary_group_by_name),
		cmocka_unit_test(test_builtin_records_everything),
		cmocka_unit_test(test_invalid_and_unreadable),
	};
	cr_log_init("test_agent_policy", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
