#ifndef CALLREC_POLICY_LOAD_H
#define CALLREC_POLICY_LOAD_H

#include <stddef.h>
#include "policy.h"

#ifndef CR_DATADIR
#define CR_DATADIR "/usr/local/share/callrec"
#endif
/* Where bare announcement names (e.g. "nl-contract.wav") are looked up. */
#define CR_ANNOUNCE_DIR CR_DATADIR "/announcements"

/* Read, parse and validate a policy file, including its announcement files (looked up in
 * announce_dir, or CR_ANNOUNCE_DIR when NULL, unless absolute). 0, -EINVAL with diagnostics,
 * or a negative errno when the file cannot be read (also a diagnostic). */
int cr_policy_load(const char *path, const char *announce_dir, struct cr_policy **out,
		   struct cr_diags *d);
/* The file an announcement name refers to. */
int cr_policy_announcement_path(const char *announcement, const char *announce_dir, char *out,
				size_t outlen);

#endif
