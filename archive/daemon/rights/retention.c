/* The retention sweeper. See retention.h. */
#include "rights/retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rights/audit.h"
#include "store/erase.h"

/* At most this many erasures per sweep: the next sweep takes the rest. */
#define SWEEP_MAX 256

int ad_retention_sweep(const struct ad_retention *rt, struct ad_store *s)
{
	struct ad_index *ix = ad_store_index(s);
	struct ad_ids ids = { 0 };
	size_t i;
	int r, done = 0;

	/* One sweeper at a time, however many threads or archives share the index. */
	r = ix->ops->claim(ix, AD_CLAIM_SWEEP, NULL);
	if (r < 0)
		return r == -EBUSY ? 0 : r;
	r = ix->ops->expired(ix, ad_clock_now(rt->clock), SWEEP_MAX, ad_ids_add, &ids);
	for (i = 0; r == 0 && i < ids.n; i++) {
		char hex[2 * CR_CALL_ID_BYTES + 1];
		int e;

		cr_id_to_hex(ids.v[i], hex);
		e = ad_erase_call(s, ids.v[i], "retention", NULL);
		ad_audit(rt->audit, "archive", "sweeper", "erase", hex, e == 0 ? "ok" : "error",
			 e == 0 ? "retention expired" : strerror(-e));
		if (e == 0) {
			cr_notice("retention: call %s expired and was erased", hex);
			done++;
		}
	}
	ix->ops->release(ix, AD_CLAIM_SWEEP, NULL);
	ad_ids_free(&ids);
	return r < 0 ? r : done;
}
