/* Choosing the index backend. See index.h and backends.h. */
#include "index/backends.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int ad_index_open(const char *spec, const char *data_dir, struct ad_index **out)
{
	if (!spec || strcmp(spec, "sqlite") == 0)
		return ad_index_sqlite_open(data_dir, out);
	cr_err("index: unknown index '%s'", spec);
	return -EINVAL;
}

int ad_ids_add(void *arg, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct ad_ids *ids = arg;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 16;
		void *v = realloc(ids->v, cap * CR_CALL_ID_BYTES);

		if (!v)
			return -ENOMEM;
		ids->v = v;
		ids->cap = cap;
	}
	memcpy(ids->v[ids->n++], id, CR_CALL_ID_BYTES);
	return 0;
}

void ad_ids_free(struct ad_ids *ids)
{
	free(ids->v);
	memset(ids, 0, sizeof(*ids));
}
