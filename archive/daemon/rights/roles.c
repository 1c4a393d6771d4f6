/* roles.yaml reader. See roles.h. */
#include "rights/roles.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tls.h"
#include "yamltree.h"

static int read_operators(const struct cr_ynode *ops, struct ad_roles *r, struct cr_diags *d)
{
	size_t i;
	int rc = 0;

	if (ops->type != CR_Y_MAP) {
		cr_diag_add(d, ops->line, ops->col, "operators: expected a mapping NAME: ROLE");
		return -EINVAL;
	}
	r->names = calloc(ops->n + 1, sizeof(char *));
	r->roles = calloc(ops->n + 1, sizeof(char *));
	if (!r->names || !r->roles)
		return -ENOMEM;
	for (i = 0; i < ops->n; i++) {
		const struct cr_ynode *k = ops->items[2 * i], *v = ops->items[2 * i + 1];
		const char *role;

		if (!cr_name_valid(k->value)) {
			cr_diag_add(d, k->line, k->col, "invalid operator name '%s'", k->value);
			rc = -EINVAL;
			continue;
		}
		if (cr_y_string(v, &role, d) < 0) {
			rc = -EINVAL;
			continue;
		}
		if (!cr_name_valid(role)) {
			cr_diag_add(d, v->line, v->col, "invalid role '%s'", role);
			rc = -EINVAL;
			continue;
		}
		r->names[r->n] = strdup(k->value);
		r->roles[r->n] = strdup(role);
		if (!r->names[r->n] || !r->roles[r->n])
			return -ENOMEM;
		r->n++;
	}
	return rc;
}

int ad_roles_load(const char *path, struct ad_roles *out, struct cr_diags *d)
{
	struct ad_roles r = { 0 };
	struct cr_ynode *root = NULL;
	const struct cr_ynode *ops;
	size_t i;
	int rc;

	rc = cr_yaml_load(path, &root, NULL, NULL, d);
	if (rc < 0)
		goto out;
	if (root->type != CR_Y_MAP) {
		cr_diag_add(d, root->line, root->col, "expected a mapping with key 'operators'");
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < root->n; i++) {
		const struct cr_ynode *k = root->items[2 * i];
		if (strcmp(k->value, "operators") != 0) {
			cr_diag_add(d, k->line, k->col, "unknown key '%s'", k->value);
			rc = -EINVAL;
		}
	}
	ops = cr_ymap_get(root, "operators");
	if (ops && ops->type == CR_Y_SCALAR && !ops->value[0])
		ops = NULL; /* "operators:" with nothing yet */
	if (ops) {
		int r2 = read_operators(ops, &r, d);
		if (r2 < 0)
			rc = r2;
	}
out:
	if (rc == 0) {
		ad_roles_free(out);
		*out = r;
	} else {
		ad_roles_free(&r);
	}
	cr_yaml_free(root);
	return rc;
}

void ad_roles_free(struct ad_roles *r)
{
	size_t i;

	for (i = 0; r->names && r->names[i]; i++)
		free(r->names[i]);
	for (i = 0; r->roles && r->roles[i]; i++)
		free(r->roles[i]);
	free(r->names);
	free(r->roles);
	memset(r, 0, sizeof(*r));
}

const char *ad_roles_lookup(const struct ad_roles *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->roles[i];
	return NULL;
}
