/* The checks of `callrec-archive verify` on bytes already in memory: the archive's public key,
 * the signed checkpoint and its timestamp, one exported call's files, and the bundle's
 * summary. No file is opened here (verify.c finds and reads the files), so the parsing of an
 * untrusted bundle can be fuzzed without a disk.
 * Each check prints its findings on the verifier's stream in the wording scripts rely on. */
#ifndef CALLREC_ARCHIVE_VERIFY_CORE_H
#define CALLREC_ARCHIVE_VERIFY_CORE_H

#include <gnutls/abstract.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pubkey.h"

/* One file of a bundle: data NULL when it is missing (or could not be read). */
struct cra_vfile {
	const char *data;
	size_t len;
};

/* An exported call: ID.manifest.json, ID.wav, ID.manifest.sig, ID.proof.json, ID.proof.sig. */
struct cra_call_files {
	struct cra_vfile manifest, wav, sig, proof, proof_sig;
};

struct cra_verifier {
	gnutls_pubkey_t key; /* NULL until cra_verifier_key() succeeds */
	char fingerprint[CRA_FINGERPRINT_HEX]; /* the key's (pubkey.h), "" without one */
	const char *key_name; /* the pinned key's file name; NULL: the bundle's own signing.pub */
	uint8_t root[32];    /* the signed checkpoint's root hash ... */
	long long size;      /* ... and tree size, when have_cp */
	int have_cp;
	FILE *out;
};

void cra_verifier_init(struct cra_verifier *v, FILE *out);
void cra_verifier_free(struct cra_verifier *v);
/* Trust the Ed25519 public key in pem (PEM or DER) and take its fingerprint. `pinned` names
 * the file the verifier was given, NULL when it is the bundle's own signing.pub (then only the
 * bundle's consistency with itself can be shown). 0, or 1 after reporting what is wrong. */
int cra_verifier_key(struct cra_verifier *v, const char *pem, size_t len, const char *pinned);
/* With a pinned key: the bundle's signing.pub (data NULL when it has none) must be that key,
 * or a reader following the README would be checking against another. 0, or 1 reported. */
int cra_verifier_bundle_key(struct cra_verifier *v, const struct cra_vfile *pub);
/* Check the checkpoint JSON against its signature and remember its root and size. 0, or 1
 * after reporting what is missing or altered. Needs the key. */
int cra_verifier_checkpoint(struct cra_verifier *v, const struct cra_vfile *cp,
			    const struct cra_vfile *sig);
/* Check call `id` (32 lower-case hex digits): audio hash, manifest signature, proof signature
 * and log inclusion up to the checkpoint. 0 and an OK line, or 1 after an ALTERED line per
 * finding. Needs the key; without a checkpoint the inclusion cannot verify. */
int cra_verifier_call(struct cra_verifier *v, const char *id, const struct cra_call_files *f);
/* The checkpoint's RFC 3161 timestamp (tsr) against the authority's PEM certificate(s) the
 * verifier pinned (tsa; named tsa_name in the report). 0 and an OK line with the time, or 1. */
int cra_verifier_timestamp(struct cra_verifier *v, const struct cra_vfile *cp,
			   const struct cra_vfile *tsr, const struct cra_vfile *tsa,
			   const char *tsa_name);
/* summary.json against the calls the bundle holds (ids[0..n), 32 hex digits each): every call
 * it lists is there and every call there is listed, and its log size is the checkpoint's. So a
 * call taken out of a bundle is noticed unless summary.json was edited to match: it is not
 * signed by the archive (the operator's tool writes it). 0 and an OK line, or 1. */
int cra_verifier_summary(struct cra_verifier *v, const struct cra_vfile *summary,
			 char (*ids)[33], size_t n);

#endif
