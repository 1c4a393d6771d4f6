/* roles.yaml: `operators: { NAME: ROLE, ... }`. An operator certificate is admitted only when
 * its CN is listed here; the role decides what it may see (more once purposes land). */
#ifndef CALLREC_ARCHIVED_RIGHTS_ROLES_H
#define CALLREC_ARCHIVED_RIGHTS_ROLES_H

#include <stddef.h>
#include "diag.h"

struct ad_roles {
	size_t n;
	char **names;
	char **roles;
};

/* 0, or a negative errno with diagnostics (FILE:LINE:COL). *out is untouched on failure, so a
 * failed reload keeps the previous roles. */
int ad_roles_load(const char *path, struct ad_roles *out, struct cr_diags *d);
void ad_roles_free(struct ad_roles *r);
/* Role of an operator, or NULL when not listed. */
const char *ad_roles_lookup(const struct ad_roles *r, const char *name);

#endif
