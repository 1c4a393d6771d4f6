/* The recording policy, file version 1: `purposes` (each with its description, legal basis,
 * retention, the roles that may access it, and how the other party is told: announcement,
 * tone or notice), `rules` that match a stream's application, user, group and line to a
 * purpose, `employees`, and `recording` (rate, what to do when recording fails). It is parsed
 * from a buffer into a validated structure by code that does no I/O and has hard limits, then
 * matched against a stream's subject.
 * Problems are reported as FILE:LINE:COL through cr_diags, all of them, not just the first. */
#ifndef CALLREC_POLICY_H
#define CALLREC_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "diag.h"

#define CR_POLICY_MAX_PURPOSES 64
#define CR_POLICY_MAX_RULES 256
#define CR_POLICY_MAX_LIST 64 /* entries in one match list or access list */

enum cr_legal_basis {
	CR_BASIS_NONE = 0,
	CR_BASIS_CONSENT,
	CR_BASIS_CONTRACT,
	CR_BASIS_LEGAL_OBLIGATION,
	CR_BASIS_VITAL_INTERESTS,
	CR_BASIS_PUBLIC_TASK,
	CR_BASIS_LEGITIMATE_INTERESTS,
	CR_BASIS_PERSONAL, /* a private person's own use, outside the GDPR */
};

enum cr_disclosure_mode { CR_DISCLOSE_NONE = 0, CR_DISCLOSE_ANNOUNCE, CR_DISCLOSE_TONE,
			  CR_DISCLOSE_NOTICE };
enum cr_on_failure { CR_FAIL_CONTINUE = 0, CR_FAIL_TONE, CR_FAIL_BLOCK };

struct cr_strlist {
	size_t n;
	char **v;
};

struct cr_tone {
	unsigned frequency_hz; /* 100..8000, default 1400 */
	unsigned length_ms;    /* default 500 */
	unsigned every_ms;     /* default 15000 */
	double level_db;       /* dBFS, -60..0, default -18 */
};

struct cr_purpose {
	char *name;
	char *description;
	enum cr_legal_basis basis;
	unsigned long long retention_ms;
	struct cr_strlist access; /* archive roles */
	enum cr_disclosure_mode mode;
	char *announcement; /* announce: path of a WAV file */
	int also_local;     /* announce: the desktop user hears it too */
	struct cr_tone tone;
	char *notice; /* notice: the reference the other party was given */
	int line, col;
	int announcement_line, announcement_col;
};

struct cr_rule {
	struct cr_strlist application, user, group, line; /* empty list: any */
	int purpose; /* index into purposes, or -1 for `record: no` */
	int line_no, col;
};

struct cr_policy {
	unsigned version;
	size_t npurposes;
	struct cr_purpose *purposes;
	size_t nrules;
	struct cr_rule *rules;
	char *employees_notice;
	unsigned rate; /* archive sample rate */
	enum cr_on_failure on_failure;
	uint8_t hash[32]; /* SHA-256 of the policy text */
};

/* What the agent knows about a stream, from the kernel rather than the client. */
struct cr_subject {
	const char *application; /* basename of /proc/PID/exe */
	const char *user;
	const char *const *groups; /* names of the user's groups */
	size_t ngroups;
	const char *line; /* the plugin's `line`, "" when none */
};

/* Parse and validate. Returns 0 and a policy, or -EINVAL with diagnostics. */
int cr_policy_parse(const char *buf, size_t len, struct cr_policy **out, struct cr_diags *d);
/* The same from a tree already parsed from `text` (whose SHA-256 identifies the policy). */
struct cr_ynode;
int cr_policy_from_yaml(const struct cr_ynode *root, const char *text, size_t len,
			struct cr_policy **out, struct cr_diags *d);
void cr_policy_free(struct cr_policy *p);

/* First matching rule's purpose, or NULL when nothing records this subject. */
const struct cr_purpose *cr_policy_match(const struct cr_policy *p, const struct cr_subject *s,
					 int *rule_index);

const char *cr_legal_basis_name(enum cr_legal_basis b);
const char *cr_disclosure_name(enum cr_disclosure_mode m);
const char *cr_on_failure_name(enum cr_on_failure f);

#endif
