/* Policy version 1: YAML tree -> validated struct cr_policy. See policy.h.
 * Every check adds a diagnostic and parsing goes on, so `callrec policy check` can list all
 * mistakes at once. */
#include "policy.h"
#include "yamltree.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>

static const char *const basis_names[] = {
	[CR_BASIS_NONE] = "none",
	[CR_BASIS_CONSENT] = "consent",
	[CR_BASIS_CONTRACT] = "contract",
	[CR_BASIS_LEGAL_OBLIGATION] = "legal_obligation",
	[CR_BASIS_VITAL_INTERESTS] = "vital_interests",
	[CR_BASIS_PUBLIC_TASK] = "public_task",
	[CR_BASIS_LEGITIMATE_INTERESTS] = "legitimate_interests",
	[CR_BASIS_PERSONAL] = "personal",
};
static const char *const mode_names[] = { "none", "announce", "tone", "notice" };
static const char *const failure_names[] = { "continue", "tone", "block" };

const char *cr_legal_basis_name(enum cr_legal_basis b)
{
	return (unsigned)b < sizeof(basis_names) / sizeof(*basis_names) ? basis_names[b] : "?";
}

const char *cr_disclosure_name(enum cr_disclosure_mode m)
{
	return (unsigned)m < 4 ? mode_names[m] : "?";
}

const char *cr_on_failure_name(enum cr_on_failure f)
{
	return (unsigned)f < 3 ? failure_names[f] : "?";
}

/* Checks that a mapping holds only the allowed keys; reports the others. */
static int only_keys(const struct cr_ynode *map, const char *const *allowed, const char *where,
		     struct cr_diags *d)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < map->n; i++) {
		const struct cr_ynode *k = map->items[2 * i];
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strcmp(*a, k->value) == 0)
				break;
		if (!*a) {
			cr_diag_add(d, k->line, k->col, "unknown key '%s' in %s", k->value, where);
			rc = -EINVAL;
		}
	}
	return rc;
}

static int expect_map(const struct cr_ynode *n, const char *what, struct cr_diags *d)
{
	if (n->type == CR_Y_MAP)
		return 0;
	cr_diag_add(d, n->line, n->col, "%s must be a mapping (key: value)", what);
	return -EINVAL;
}

/* Index of `s` in names[0..n), or -1. */
static int lookup(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static char *dup_scalar(const struct cr_ynode *n, const char *what, struct cr_diags *d)
{
	const char *s;

	if (cr_y_string(n, &s, d) < 0)
		return NULL;
	if (!*s) {
		cr_diag_add(d, n->line, n->col, "%s must not be empty", what);
		return NULL;
	}
	return strdup(s);
}

/* A single name or a list of names. */
static int read_list(const struct cr_ynode *n, struct cr_strlist *out, const char *what,
		     struct cr_diags *d)
{
	size_t i, count = n->type == CR_Y_SEQ ? n->n : 1;

	if (n->type == CR_Y_MAP) {
		cr_diag_add(d, n->line, n->col, "%s must be a name or a list of names", what);
		return -EINVAL;
	}
	if (count == 0) {
		cr_diag_add(d, n->line, n->col, "%s must not be an empty list", what);
		return -EINVAL;
	}
	if (count > CR_POLICY_MAX_LIST) {
		cr_diag_add(d, n->line, n->col, "%s has more than %d entries", what, CR_POLICY_MAX_LIST);
		return -EINVAL;
	}
	out->v = calloc(count, sizeof(char *));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const struct cr_ynode *item = n->type == CR_Y_SEQ ? n->items[i] : n;
		char *s = dup_scalar(item, what, d);

		if (!s)
			return -EINVAL;
		out->v[out->n++] = s;
	}
	return 0;
}

static void free_list(struct cr_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* "-18dB", "-18 dB", "-18" -> -18.0 */
static int read_level(const struct cr_ynode *n, double *out, struct cr_diags *d)
{
	const char *s;
	char *end;
	double v;

	if (cr_y_string(n, &s, d) < 0)
		return -EINVAL;
	v = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (end == s || (*end && strcmp(end, "dB") != 0 && strcmp(end, "dBFS") != 0) ||
	    !isfinite(v) || v > 0 || v < -60) {
		cr_diag_add(d, n->line, n->col, "level must be between -60dB and 0dB, found '%s'", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int read_tone(const struct cr_ynode *n, struct cr_tone *t, struct cr_diags *d)
{
	static const char *const keys[] = { "frequency", "length", "every", "level", NULL };
	const struct cr_ynode *v;
	unsigned long long x;
	int rc;

	if (expect_map(n, "tone", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "tone", d);
	if ((v = cr_ymap_get(n, "frequency"))) {
		if (cr_y_uint(v, 100, 8000, &x, d) < 0)
			rc = -EINVAL;
		else
			t->frequency_hz = (unsigned)x;
	}
	if ((v = cr_ymap_get(n, "length"))) {
		if (cr_y_duration_ms(v, &x, d) < 0) {
			rc = -EINVAL;
		} else if (x < 50 || x > 5000) {
			cr_diag_add(d, v->line, v->col, "tone length must be between 50ms and 5s");
			rc = -EINVAL;
		} else {
			t->length_ms = (unsigned)x;
		}
	}
	if ((v = cr_ymap_get(n, "every"))) {
		if (cr_y_duration_ms(v, &x, d) < 0) {
			rc = -EINVAL;
		} else if (x < 1000 || x > 600000) {
			cr_diag_add(d, v->line, v->col, "tone interval must be between 1s and 10min");
			rc = -EINVAL;
		} else {
			t->every_ms = (unsigned)x;
		}
	}
	if ((v = cr_ymap_get(n, "level")) && read_level(v, &t->level_db, d) < 0)
		rc = -EINVAL;
	if (rc == 0 && t->length_ms >= t->every_ms) {
		cr_diag_add(d, n->line, n->col, "tone length must be shorter than its interval");
		rc = -EINVAL;
	}
	return rc;
}

static int read_disclosure(const struct cr_ynode *n, struct cr_purpose *p, struct cr_diags *d)
{
	static const char *const keys[] = { "mode", "announcement", "also_local", "tone", "notice",
					    NULL };
	const struct cr_ynode *v, *mode;
	const char *s;
	int rc, m;

	if (expect_map(n, "disclosure", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "disclosure", d);
	mode = cr_ymap_get(n, "mode");
	if (!mode) {
		cr_diag_add(d, n->line, n->col,
			    "disclosure needs a mode: announce, tone, notice or none");
		return -EINVAL;
	}
	if (cr_y_string(mode, &s, d) < 0)
		return -EINVAL;
	m = lookup(s, mode_names, 4);
	if (m < 0) {
		cr_diag_add(d, mode->line, mode->col,
			    "unknown disclosure mode '%s' (announce, tone, notice or none)", s);
		return -EINVAL;
	}
	p->mode = (enum cr_disclosure_mode)m;
	if ((v = cr_ymap_get(n, "announcement"))) {
		if (p->mode != CR_DISCLOSE_ANNOUNCE) {
			cr_diag_add(d, v->line, v->col, "'announcement' is only used with mode: announce");
			rc = -EINVAL;
		} else if (!(p->announcement = dup_scalar(v, "announcement", d))) {
			rc = -EINVAL;
		} else {
			p->announcement_line = v->line;
			p->announcement_col = v->col;
		}
	}
	if (p->mode == CR_DISCLOSE_ANNOUNCE && !cr_ymap_get(n, "announcement")) {
		cr_diag_add(d, mode->line, mode->col, "mode: announce needs an 'announcement' file");
		rc = -EINVAL;
	}
	if ((v = cr_ymap_get(n, "also_local"))) {
		if (p->mode != CR_DISCLOSE_ANNOUNCE) {
			cr_diag_add(d, v->line, v->col, "'also_local' is only used with mode: announce");
			rc = -EINVAL;
		} else if (cr_y_bool(v, &p->also_local, d) < 0) {
			rc = -EINVAL;
		}
	}
	if ((v = cr_ymap_get(n, "tone"))) {
		if (p->mode != CR_DISCLOSE_TONE) {
			cr_diag_add(d, v->line, v->col, "'tone' is only used with mode: tone");
			rc = -EINVAL;
		} else if (read_tone(v, &p->tone, d) < 0) {
			rc = -EINVAL;
		}
	}
	if ((v = cr_ymap_get(n, "notice"))) {
		if (p->mode != CR_DISCLOSE_NOTICE) {
			cr_diag_add(d, v->line, v->col, "'notice' is only used with mode: notice");
			rc = -EINVAL;
		} else if (!(p->notice = dup_scalar(v, "notice", d))) {
			rc = -EINVAL;
		}
	} else if (p->mode == CR_DISCLOSE_NOTICE) {
		cr_diag_add(d, mode->line, mode->col,
			    "mode: notice needs a 'notice' naming where the other party was told");
		rc = -EINVAL;
	}
	return rc;
}

static int read_purpose(const struct cr_ynode *key, const struct cr_ynode *n, struct cr_purpose *p,
			struct cr_diags *d)
{
	static const char *const keys[] = { "description", "legal_basis", "retention", "access",
					    "disclosure", NULL };
	const struct cr_ynode *v;
	const char *s;
	int rc, b;

	p->name = strdup(key->value);
	p->line = key->line;
	p->col = key->col;
	p->tone = (struct cr_tone){ 1400, 500, 15000, -18.0 };
	if (!p->name)
		return -ENOMEM;
	if (expect_map(n, "a purpose", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "a purpose", d);
	if ((v = cr_ymap_get(n, "description")) && !(p->description = dup_scalar(v, "description", d)))
		rc = -EINVAL;
	v = cr_ymap_get(n, "legal_basis");
	if (!v) {
		cr_diag_add(d, key->line, key->col, "purpose '%s' has no legal_basis", p->name);
		rc = -EINVAL;
	} else if (cr_y_string(v, &s, d) < 0) {
		rc = -EINVAL;
	} else if ((b = lookup(s, basis_names, 8)) <= 0) {
		cr_diag_add(d, v->line, v->col,
			    "unknown legal_basis '%s' (consent, contract, legal_obligation, "
			    "vital_interests, public_task, legitimate_interests or personal)", s);
		rc = -EINVAL;
	} else {
		p->basis = (enum cr_legal_basis)b;
	}
	v = cr_ymap_get(n, "retention");
	if (!v) {
		cr_diag_add(d, key->line, key->col, "purpose '%s' has no retention", p->name);
		rc = -EINVAL;
	} else if (cr_y_duration_ms(v, &p->retention_ms, d) < 0) {
		rc = -EINVAL;
	} else if (p->retention_ms < 86400000ull) {
		cr_diag_add(d, v->line, v->col, "retention must be at least 1d");
		rc = -EINVAL;
	}
	if ((v = cr_ymap_get(n, "access")) && read_list(v, &p->access, "access", d) < 0)
		rc = -EINVAL;
	if (p->basis != CR_BASIS_PERSONAL && p->basis != CR_BASIS_NONE && !cr_ymap_get(n, "access")) {
		cr_diag_add(d, key->line, key->col,
			    "purpose '%s' names no access roles: nobody could retrieve it", p->name);
		rc = -EINVAL;
	}
	v = cr_ymap_get(n, "disclosure");
	if (!v) {
		cr_diag_add(d, key->line, key->col,
			    "purpose '%s' has no disclosure (use mode: none only for personal use)",
			    p->name);
		rc = -EINVAL;
	} else if (read_disclosure(v, p, d) < 0) {
		rc = -EINVAL;
	} else if (p->mode == CR_DISCLOSE_NONE && p->basis != CR_BASIS_PERSONAL &&
		   p->basis != CR_BASIS_NONE) {
		const struct cr_ynode *m = cr_ymap_get(v, "mode");
		cr_diag_add(d, m->line, m->col,
			    "mode: none is only allowed with legal_basis: personal; a business must "
			    "tell the other party");
		rc = -EINVAL;
	}
	return rc;
}

static int read_match(const struct cr_ynode *n, struct cr_rule *r, struct cr_diags *d)
{
	static const char *const keys[] = { "application", "user", "group", "line", NULL };
	const struct cr_ynode *v;
	int rc;

	if (expect_map(n, "match", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "match", d);
	if ((v = cr_ymap_get(n, "application")) && read_list(v, &r->application, "application", d) < 0)
		rc = -EINVAL;
	if ((v = cr_ymap_get(n, "user")) && read_list(v, &r->user, "user", d) < 0)
		rc = -EINVAL;
	if ((v = cr_ymap_get(n, "group")) && read_list(v, &r->group, "group", d) < 0)
		rc = -EINVAL;
	if ((v = cr_ymap_get(n, "line")) && read_list(v, &r->line, "line", d) < 0)
		rc = -EINVAL;
	return rc;
}

static int find_purpose(const struct cr_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->npurposes; i++)
		if (strcmp(p->purposes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int read_rule(const struct cr_ynode *n, struct cr_policy *p, struct cr_rule *r,
		     struct cr_diags *d)
{
	static const char *const keys[] = { "match", "record", NULL };
	const struct cr_ynode *v;
	const char *s;
	int rc;

	r->line_no = n->line;
	r->col = n->col;
	r->purpose = -1;
	if (expect_map(n, "a rule", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "a rule", d);
	v = cr_ymap_get(n, "match");
	if (!v) {
		cr_diag_add(d, n->line, n->col, "rule has no 'match'");
		rc = -EINVAL;
	} else if (read_match(v, r, d) < 0) {
		rc = -EINVAL;
	}
	v = cr_ymap_get(n, "record");
	if (!v) {
		cr_diag_add(d, n->line, n->col, "rule has no 'record' (a purpose, or no)");
		return -EINVAL;
	}
	if (cr_y_string(v, &s, d) < 0)
		return -EINVAL;
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		return rc;
	r->purpose = find_purpose(p, s);
	if (r->purpose < 0) {
		cr_diag_add(d, v->line, v->col, "rule records for '%s', which is not a defined purpose",
			    s);
		rc = -EINVAL;
	}
	return rc;
}

static int read_employees(const struct cr_ynode *n, struct cr_policy *p, struct cr_diags *d)
{
	static const char *const keys[] = { "notice", "private_calls", NULL };
	const struct cr_ynode *v;
	const char *s;
	int rc;

	if (expect_map(n, "employees", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "employees", d);
	if ((v = cr_ymap_get(n, "notice")) && !(p->employees_notice = dup_scalar(v, "notice", d)))
		rc = -EINVAL;
	if ((v = cr_ymap_get(n, "private_calls"))) {
		if (cr_y_string(v, &s, d) < 0) {
			rc = -EINVAL;
		} else if (strcmp(s, "user_can_mark") != 0) {
			cr_diag_add(d, v->line, v->col,
				    "private_calls must be user_can_mark: employees can always mark a "
				    "call private");
			rc = -EINVAL;
		}
	}
	return rc;
}

static int read_recording(const struct cr_ynode *n, struct cr_policy *p, struct cr_diags *d)
{
	static const char *const keys[] = { "rate", "on_failure", NULL };
	const struct cr_ynode *v;
	unsigned long long x;
	const char *s;
	int rc, f;

	if (expect_map(n, "recording", d) < 0)
		return -EINVAL;
	rc = only_keys(n, keys, "recording", d);
	if ((v = cr_ymap_get(n, "rate"))) {
		if (cr_y_uint(v, 8000, 48000, &x, d) < 0) {
			rc = -EINVAL;
		} else if (x != 8000 && x != 16000 && x != 32000 && x != 48000) {
			cr_diag_add(d, v->line, v->col, "rate must be 8000, 16000, 32000 or 48000");
			rc = -EINVAL;
		} else {
			p->rate = (unsigned)x;
		}
	}
	if ((v = cr_ymap_get(n, "on_failure"))) {
		if (cr_y_string(v, &s, d) < 0) {
			rc = -EINVAL;
		} else if ((f = lookup(s, failure_names, 3)) < 0) {
			cr_diag_add(d, v->line, v->col,
				    "unknown on_failure '%s' (continue, tone or block)", s);
			rc = -EINVAL;
		} else {
			p->on_failure = (enum cr_on_failure)f;
		}
	}
	return rc;
}

static int read_policy(const struct cr_ynode *root, struct cr_policy *p, struct cr_diags *d)
{
	static const char *const keys[] = { "version", "purposes", "rules", "employees", "recording",
					    NULL };
	const struct cr_ynode *v, *purposes, *rules;
	unsigned long long x;
	int rc;
	size_t i;

	if (expect_map(root, "the policy", d) < 0)
		return -EINVAL;
	rc = only_keys(root, keys, "the policy", d);
	v = cr_ymap_get(root, "version");
	if (!v) {
		cr_diag_add(d, root->line, root->col, "missing 'version: 1'");
		rc = -EINVAL;
	} else if (cr_y_uint(v, 1, 1, &x, d) < 0) {
		rc = -EINVAL;
	} else {
		p->version = 1;
	}
	purposes = cr_ymap_get(root, "purposes");
	if (purposes && expect_map(purposes, "purposes", d) == 0) {
		if (purposes->n > CR_POLICY_MAX_PURPOSES) {
			cr_diag_add(d, purposes->line, purposes->col, "more than %d purposes",
				    CR_POLICY_MAX_PURPOSES);
			return -EINVAL;
		}
		p->purposes = calloc(purposes->n ? purposes->n : 1, sizeof(*p->purposes));
		if (!p->purposes)
			return -ENOMEM;
		for (i = 0; i < purposes->n; i++) {
			if (read_purpose(purposes->items[2 * i], purposes->items[2 * i + 1],
					 &p->purposes[p->npurposes++], d) < 0)
				rc = -EINVAL;
		}
	} else if (purposes) {
		rc = -EINVAL;
	}
	rules = cr_ymap_get(root, "rules");
	if (!rules) {
		cr_diag_add(d, root->line, root->col, "missing 'rules' (no rule means nothing is recorded)");
		rc = -EINVAL;
	} else if (rules->type != CR_Y_SEQ) {
		cr_diag_add(d, rules->line, rules->col, "rules must be a list (- match: ...)");
		rc = -EINVAL;
	} else if (rules->n > CR_POLICY_MAX_RULES) {
		cr_diag_add(d, rules->line, rules->col, "more than %d rules", CR_POLICY_MAX_RULES);
		return -EINVAL;
	} else {
		p->rules = calloc(rules->n ? rules->n : 1, sizeof(*p->rules));
		if (!p->rules)
			return -ENOMEM;
		for (i = 0; i < rules->n; i++)
			if (read_rule(rules->items[i], p, &p->rules[p->nrules++], d) < 0)
				rc = -EINVAL;
	}
	if ((v = cr_ymap_get(root, "employees")) && read_employees(v, p, d) < 0)
		rc = -EINVAL;
	if ((v = cr_ymap_get(root, "recording")) && read_recording(v, p, d) < 0)
		rc = -EINVAL;
	/* Recording for any purpose but personal use records employees' business calls: the law
	 * wants them told beforehand, so the policy must say where. */
	for (i = 0; i < p->nrules; i++) {
		const struct cr_rule *r = &p->rules[i];

		if (r->purpose >= 0 && p->purposes[r->purpose].basis != CR_BASIS_PERSONAL &&
		    !p->employees_notice) {
			cr_diag_add(d, r->line_no, r->col,
				    "this rule records employees' business calls for '%s', but "
				    "employees.notice does not say where employees were told",
				    p->purposes[r->purpose].name);
			rc = -EINVAL;
		}
	}
	return rc;
}

int cr_policy_parse(const char *buf, size_t len, struct cr_policy **out, struct cr_diags *d)
{
	struct cr_ynode *root = NULL;
	int rc;

	*out = NULL;
	rc = cr_yaml_parse(buf, len, &root, d);
	if (rc == 0)
		rc = cr_policy_from_yaml(root, buf, len, out, d);
	cr_yaml_free(root);
	return rc;
}

int cr_policy_from_yaml(const struct cr_ynode *root, const char *text, size_t len,
			struct cr_policy **out, struct cr_diags *d)
{
	struct cr_policy *p;
	int rc;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->rate = 16000;
	p->on_failure = CR_FAIL_CONTINUE;
	rc = read_policy(root, p, d);
	if (rc == 0 && gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, p->hash) < 0)
		rc = -EIO;
	if (rc < 0) {
		cr_policy_free(p);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	*out = p;
	return 0;
}

void cr_policy_free(struct cr_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->npurposes; i++) {
		struct cr_purpose *u = &p->purposes[i];
		free(u->name);
		free(u->description);
		free(u->announcement);
		free(u->notice);
		free_list(&u->access);
	}
	for (i = 0; i < p->nrules; i++) {
		free_list(&p->rules[i].application);
		free_list(&p->rules[i].user);
		free_list(&p->rules[i].group);
		free_list(&p->rules[i].line);
	}
	free(p->purposes);
	free(p->rules);
	free(p->employees_notice);
	free(p);
}

static int in_list(const struct cr_strlist *l, const char *s)
{
	size_t i;

	if (l->n == 0)
		return 1; /* not constrained */
	if (!s)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static int any_group(const struct cr_strlist *l, const struct cr_subject *s)
{
	size_t i;

	if (l->n == 0)
		return 1;
	for (i = 0; i < s->ngroups; i++)
		if (in_list(l, s->groups[i]))
			return 1;
	return 0;
}

const struct cr_purpose *cr_policy_match(const struct cr_policy *p, const struct cr_subject *s,
					 int *rule_index)
{
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct cr_rule *r = &p->rules[i];

		if (!in_list(&r->application, s->application) || !in_list(&r->user, s->user) ||
		    !any_group(&r->group, s) || !in_list(&r->line, s->line ? s->line : ""))
			continue;
		if (rule_index)
			*rule_index = (int)i;
		return r->purpose >= 0 ? &p->purposes[r->purpose] : NULL;
	}
	if (rule_index)
		*rule_index = -1;
	return NULL;
}
