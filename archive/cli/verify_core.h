/* The checks of `callrec-archive verify` on bytes already in memory: the archive's public key,
 * the signed checkpoint, and one exported call's files. No file is opened here (verify.c finds
 * and reads the files), so the parsing of an untrusted bundle can be fuzzed without a disk.
 * Each check prints its findings on the verifier's stream in the wording scripts rely on. */
#ifndef CALLREC_ARCHIVE_VERIFY_CORE_H
#define CALLREC_ARCHIVE_VERIFY_CORE_H

#include <gnutls/abstract.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
	uint8_t root[32];    /* the signed checkpoint's root hash ... */
	long long size;      /* ... and tree size, when have_cp */
	int have_cp;
	FILE *out;
};

void cra_verifier_init(struct cra_verifier *v, FILE *out);
void cra_verifier_free(struct cra_verifier *v);
/* Trust the PEM public key in pem. 0, or 1 after reporting that it is not a public key. */
int cra_verifier_key(struct cra_verifier *v, const char *pem, size_t len);
/* Check the checkpoint JSON against its signature and remember its root and size. 0, or 1
 * after reporting what is missing or altered. Needs the key. */
int cra_verifier_checkpoint(struct cra_verifier *v, const struct cra_vfile *cp,
			    const struct cra_vfile *sig);
/* Check call `id` (32 lower-case hex digits): audio hash, manifest signature, proof signature
 * and log inclusion up to the checkpoint. 0 and an OK line, or 1 after an ALTERED line per
 * finding. Needs the key; without a checkpoint the inclusion cannot verify. */
int cra_verifier_call(struct cra_verifier *v, const char *id, const struct cra_call_files *f);

#endif
