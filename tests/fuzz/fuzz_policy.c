/* libFuzzer target: the policy parser (no I/O) and matching on whatever it accepted. */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const groups[] = { "sales", "staff" };
	const struct cr_subject s = { "baresip", "alice", groups, 2, "desk-phone" };
	struct cr_policy *p = NULL;
	struct cr_diags d;
	int rule;

	cr_diags_init(&d, "fuzz.yaml");
	if (cr_policy_parse((const char *)data, size, &p, &d) == 0) {
		(void)cr_policy_match(p, &s, &rule);
		cr_policy_free(p);
	}
	return 0;
}
