/* Holds. See hold.h. */
#include "rights/hold.h"

#include <errno.h>
#include <string.h>

int ad_hold_place(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		  const char *who, int64_t now)
{
	struct ad_index *ix = ad_store_index(s);

	return ix->ops->hold_place(ix, id, reason, who, now);
}

int ad_hold_release(struct ad_store *s, const uint8_t id[CR_CALL_ID_BYTES], const char *reason,
		    const char *who, int *released)
{
	struct ad_index *ix = ad_store_index(s);
	struct ad_call_info c;
	int rc = ix->ops->call_get(ix, id, &c);

	*released = 0;
	if (rc < 0)
		return rc;
	if (!c.hold_reason)
		return -ENOLINK;
	/* The first operator asks; a second, different one completes the release. */
	if (!c.release_by)
		return ix->ops->hold_request_release(ix, id, who, reason);
	if (strcmp(c.release_by, who) == 0)
		return -EPERM;
	rc = ix->ops->hold_clear(ix, id, c.release_by);
	if (rc == -ESTALE)
		rc = -EAGAIN; /* released or placed again meanwhile: the operator may retry */
	if (rc == 0)
		*released = 1;
	return rc;
}
