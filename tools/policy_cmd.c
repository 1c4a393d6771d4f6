/* `callrec policy check FILE...`: validates policies before they are rolled out. Every
 * mistake is printed as FILE:LINE:COL: message; exit 1 when any file is invalid. */
#include "policy_cmd.h"
#include "policy_load.h"

#include <stdio.h>
#include <string.h>

static void explain(const char *file, const struct cr_policy *p)
{
	size_t i;

	printf("%s: valid policy, version %u, %zu purposes, %zu rules, archive rate %u Hz, "
	       "on failure: %s\n", file, p->version, p->npurposes, p->nrules, p->rate,
	       cr_on_failure_name(p->on_failure));
	for (i = 0; i < p->npurposes; i++) {
		const struct cr_purpose *u = &p->purposes[i];
		unsigned long long days = u->retention_ms / 86400000ull;
		size_t j;

		printf("  purpose %s: basis %s, kept %llu days, disclosure %s", u->name,
		       cr_legal_basis_name(u->basis), days, cr_disclosure_name(u->mode));
		if (u->access.n) {
			printf(", access");
			for (j = 0; j < u->access.n; j++)
				printf("%s%s", j ? ", " : " ", u->access.v[j]);
		}
		printf("\n");
	}
	for (i = 0; i < p->nrules; i++) {
		const struct cr_rule *r = &p->rules[i];
		printf("  rule %zu (line %d): %s\n", i + 1, r->line_no,
		       r->purpose >= 0 ? p->purposes[r->purpose].name : "not recorded");
	}
}

static int usage(FILE *out)
{
	fprintf(out, "usage: callrec policy check [--announcements DIR] [--quiet] FILE...\n"
		     "  Validates recording policies (file version 1). Errors are printed as\n"
		     "  FILE:LINE:COL: message; the exit status is 1 when any file is invalid.\n"
		     "  --announcements DIR  look up bare announcement names in DIR instead of\n"
		     "                       " CR_ANNOUNCE_DIR "\n"
		     "  --quiet              print nothing for valid files\n");
	return out == stdout ? 0 : 2;
}

int cmd_policy(int argc, char **argv)
{
	const char *announce_dir = NULL;
	int quiet = 0, i, bad = 0, files = 0;

	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help"))
			return usage(stdout);
		if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "--announcements") && i + 1 < argc) {
			announce_dir = argv[++i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "callrec policy check: unknown option %s\n", argv[i]);
			return usage(stderr);
		} else {
			struct cr_policy *p = NULL;
			struct cr_diags d;

			files++;
			cr_diags_init(&d, argv[i]);
			if (cr_policy_load(argv[i], announce_dir, &p, &d) < 0) {
				cr_diags_print(&d, stderr);
				bad = 1;
				continue;
			}
			if (!quiet)
				explain(argv[i], p);
			cr_policy_free(p);
		}
	}
	if (!files)
		return usage(stderr);
	return bad;
}
