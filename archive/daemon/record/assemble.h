/* Turning a closed call's chunks into its encrypted WAV and manifest (objects/objects.h),
 * then signing and logging the manifest (record/mlog.h), which marks the call complete. */
#ifndef CALLREC_ARCHIVED_RECORD_ASSEMBLE_H
#define CALLREC_ARCHIVED_RECORD_ASSEMBLE_H

#include "record/mlog.h"
#include "store/store.h"

/* Assemble one closed call and mark it complete: 0, -EBUSY when another thread or archive is
 * assembling it (claimed through the index), or -errno (logged). */
int ad_assemble_call(const struct ad_mlog *m, struct ad_store *s,
		     const uint8_t id[CR_CALL_ID_BYTES]);
/* Assemble every call whose close is stored but whose recording is not written yet (after a
 * commit, and at start-up after a crash), until *stop is set (stop may be NULL). The number
 * assembled, or -errno. */
int ad_assemble_closed(const struct ad_mlog *m, struct ad_store *s, const int *stop);

#endif
