/* Export bundles and their offline verification: for every call its audio, manifest, the
 * manifest's signature and its proof of inclusion in the archive's signed log, checkable
 * without the archive. */
#ifndef CALLREC_ARCHIVE_BUNDLE_H
#define CALLREC_ARCHIVE_BUNDLE_H

#include <jansson.h>
#include <stdio.h>

#include "conn.h"

/* Export the calls (array of id strings) with a checkpoint, README and summary.json into
 * dir. `subject` describes the request for the summary. 0, or -errno (a refused call makes
 * it -EACCES after exporting the others). */
int cra_export_bundle(struct cra_conn *c, json_t *ids, const char *subject, const char *dir);

/* Offline check of an export directory, or of one call's files (PATH is ID.wav,
 * ID.manifest.json, ...). key_pem: the archive's public key to trust (NULL: signing.pub next
 * to the files). Reports on out; 0 intact, 1 altered or incomplete. */
int cra_verify(const char *path, const char *key_pem, FILE *out);

#endif
