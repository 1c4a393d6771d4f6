/* Access decisions. See access.h. */
#include "rights/access.h"

#include <jansson.h>
#include <string.h>

int ad_may_retrieve(const char *role, const char *meta_json)
{
	json_t *m, *access, *v;
	size_t i;
	int ok = 0;

	if (!role)
		return 0;
	if (strcmp(role, "dpo") == 0)
		return 1;
	m = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
	access = m ? json_object_get(m, "access") : NULL;
	if (!json_is_array(access))
		ok = strcmp(role, "admin") == 0;
	else
		json_array_foreach(access, i, v)
			if (json_is_string(v) && strcmp(json_string_value(v), role) == 0)
				ok = 1;
	json_decref(m);
	return ok;
}

int ad_may(const char *role, enum ad_right right)
{
	if (!role)
		return 0;
	if (strcmp(role, "dpo") == 0 || strcmp(role, "admin") == 0)
		return 1;
	switch (right) {
	case AD_RIGHT_HOLD:
		return strcmp(role, "legal") == 0;
	case AD_RIGHT_AUDIT:
		return strcmp(role, "auditor") == 0;
	default:
		return 0;
	}
}
