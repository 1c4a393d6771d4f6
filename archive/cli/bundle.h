/* Export bundles and their offline verification: for every call its audio, manifest, the
 * manifest's signature and its proof of inclusion in the archive's signed log, checkable
 * without the archive. */
#ifndef CALLREC_ARCHIVE_BUNDLE_H
#define CALLREC_ARCHIVE_BUNDLE_H

#include <jansson.h>
#include <stdio.h>

#include "conn.h"
#include "op_request.h"

/* Export the calls (array of id strings) with a checkpoint, README and summary.json into
 * dir, made if missing; every file through common/outdir.h, so dir must be the user's own and
 * writable by nobody else. Without `force` dir must be empty and no file is replaced; with
 * it, files of the same names are. `subject` describes the request for the summary. 0, or
 * -errno (a refused call makes it -EACCES after exporting the others). */
int cra_export_bundle(struct cra_conn *c, json_t *ids, const char *subject, const char *dir,
		      int force);

/* What `verify` is told to trust. */
struct cra_verify_opts {
	const char *key;      /* the archive's public key (file); NULL: the bundle's signing.pub,
			       * which shows only that the bundle is consistent with itself */
	const char *tsa_cert; /* the time-stamping authority's certificate(s) (PEM file); NULL:
			       * a checkpoint.tsr is not checked */
};

/* Offline check of an export directory, or of one call's files (PATH is ID.wav,
 * ID.manifest.json, ...). Reports on out; 0 intact, 1 altered, incomplete, or a pinned file
 * missing or unusable. */
int cra_verify(const char *path, const struct cra_verify_opts *o, FILE *out);

/* The files of one call in a bundle, in the order of the archive's export streams (0 the WAV,
 * 1 the manifest, 2 its signature, 3 the inclusion proof, 4 the proof's signature): the call's
 * id followed by these suffixes. */
#define CRA_BUNDLE_NSTREAMS 5
extern const char *const cra_bundle_suffix[CRA_BUNDLE_NSTREAMS];

/* The archive's signed log head, as `op checkpoint` sends it: checkpoint.json,
 * checkpoint.sig, signing.pub and (when the archive has one) checkpoint.tsr. */
struct cra_checkpoint {
	struct cra_buf json, sig, pub, tsr;
	long long tree_size;
};
/* 0, or -errno (reported). Free with cra_checkpoint_free() in either case. */
int cra_checkpoint_fetch(struct cra_conn *c, struct cra_checkpoint *cp);
void cra_checkpoint_free(struct cra_checkpoint *cp);

/* summary.json of a bundle for `subject` (how the calls were selected), from the manifests
 * (an array of manifest objects) of the calls it holds. A new object, or NULL. */
json_t *cra_bundle_summary(const char *subject, json_t *manifests, long long tree_size);
/* The bundle's README for these call ids: malloc'd text of *len bytes, or NULL. */
char *cra_bundle_readme(json_t *ids, size_t *len);

#endif
