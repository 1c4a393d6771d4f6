/* The checks of `callrec-archive verify`, on bytes in memory. See verify_core.h. For each
 * call: the WAV's SHA-256 is the manifest's audio_sha256; the manifest's Ed25519 signature
 * verifies with the archive's public key; the manifest's leaf hash with its inclusion proof
 * leads (RFC 9162, 2.1.3.2) to the root of the signed checkpoint. This is a separate
 * implementation from the archive's, on purpose. */
#include "verify_core.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>

#include "hex.h"
#include "tsp.h"

void cra_verifier_init(struct cra_verifier *v, FILE *out)
{
	memset(v, 0, sizeof(*v));
	v->out = out;
}

void cra_verifier_free(struct cra_verifier *v)
{
	if (v->key)
		gnutls_pubkey_deinit(v->key);
	v->key = NULL;
	v->fingerprint[0] = '\0';
}

/* Without a trusted key nothing verifies; nor does a file too big for a gnutls_datum_t
 * (a 4 GiB manifest would otherwise be checked as the empty message). */
static int sig_ok(gnutls_pubkey_t key, const struct cra_vfile *data, const struct cra_vfile *sig)
{
	gnutls_datum_t d = { (unsigned char *)data->data, (unsigned)data->len };
	gnutls_datum_t s = { (unsigned char *)sig->data, (unsigned)sig->len };

	if (!key || data->len > UINT_MAX || sig->len > UINT_MAX)
		return 0;
	return gnutls_pubkey_verify_data2(key, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s) >= 0;
}

static void node(const uint8_t *l, const uint8_t *r, uint8_t *out)
{
	uint8_t b[65];

	b[0] = 1;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, b, sizeof(b), out);
}

/* RFC 9162 2.1.3.2. 0 when the proof leads to `root`. */
static int proof_ok(json_t *p, const uint8_t leaf[32], const uint8_t root[32], long long size)
{
	json_t *path = json_object_get(p, "path"), *e;
	json_t *ix = json_object_get(p, "leaf_index"), *ts = json_object_get(p, "tree_size");
	uint64_t fn, sn;
	uint8_t r[32], h[32];
	size_t i;

	if (!json_is_integer(ix) || !json_is_integer(ts) || !json_is_array(path) ||
	    json_integer_value(ts) != size || json_integer_value(ix) < 0 ||
	    json_integer_value(ix) >= size)
		return -1;
	fn = (uint64_t)json_integer_value(ix);
	sn = (uint64_t)size - 1;
	memcpy(r, leaf, 32);
	json_array_foreach(path, i, e) {
		if (cr_hex_decode_str(json_string_value(json_object_get(e, "hash")), h, 32) < 0 || sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			node(h, r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			node(r, h, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0 ? 0 : -1;
}

static int bad(struct cra_verifier *v, const char *id, const char *what)
{
	fprintf(v->out, "ALTERED %s: %s\n", id, what);
	return 1;
}

int cra_verifier_key(struct cra_verifier *v, const char *pem, size_t len, const char *pinned)
{
	int rc = cra_pubkey_import(pem, len, &v->key);

	v->key_name = pinned;
	if (rc == 0 && cra_pubkey_fingerprint(v->key, v->fingerprint) == 0)
		return 0;
	cra_verifier_free(v);
	if (pinned)
		fprintf(v->out, "BAD KEY %s: %s\n", pinned,
			rc == -EINVAL ? "not an Ed25519 key" : "not a public key");
	else
		fprintf(v->out, "ALTERED signing.pub: %s\n",
			rc == -EINVAL ? "not an Ed25519 key" : "not a public key");
	return 1;
}

int cra_verifier_bundle_key(struct cra_verifier *v, const struct cra_vfile *pub)
{
	gnutls_pubkey_t k = NULL;
	char fpr[CRA_FINGERPRINT_HEX] = "";
	int rc = 0;

	if (!pub->data)
		return 0; /* the pinned key is all that is needed */
	if (cra_pubkey_import(pub->data, pub->len, &k) < 0 || cra_pubkey_fingerprint(k, fpr) < 0) {
		fprintf(v->out, "ALTERED signing.pub: not an Ed25519 public key\n");
		rc = 1;
	} else if (strcmp(fpr, v->fingerprint) != 0) {
		fprintf(v->out, "ALTERED signing.pub: it is not the pinned key (its fingerprint is "
			"%s)\n", fpr);
		rc = 1;
	}
	if (k)
		gnutls_pubkey_deinit(k);
	return rc;
}

int cra_verifier_checkpoint(struct cra_verifier *v, const struct cra_vfile *cp,
			    const struct cra_vfile *sig)
{
	json_t *j = NULL;
	int rc = 0;

	if (!cp->data || !sig->data) {
		fprintf(v->out, "MISSING checkpoint.json or checkpoint.sig\n");
		rc = 1;
	} else if (!sig_ok(v->key, cp, sig)) {
		fprintf(v->out, "ALTERED checkpoint: its signature does not verify\n");
		rc = 1;
	} else if (!(j = json_loadb(cp->data, cp->len, 0, NULL)) ||
		   cr_hex_decode_str(json_string_value(json_object_get(j, "root_hash")), v->root, 32) < 0 ||
		   !json_is_integer(json_object_get(j, "tree_size"))) {
		fprintf(v->out, "ALTERED checkpoint.json: not a checkpoint\n");
		rc = 1;
	} else {
		v->size = json_integer_value(json_object_get(j, "tree_size"));
		v->have_cp = 1;
	}
	json_decref(j);
	return rc;
}

/* The manifest's leaf hash in the log (RFC 9162: SHA-256 of 0x00 || entry). */
static void leaf_hash(const struct cra_vfile *m, uint8_t leaf[32])
{
	uint8_t b0 = 0;
	gnutls_hash_hd_t h;

	gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
	gnutls_hash(h, &b0, 1);
	gnutls_hash(h, m->data, m->len);
	gnutls_hash_deinit(h, leaf);
}

int cra_verifier_call(struct cra_verifier *v, const char *id, const struct cra_call_files *f)
{
	uint8_t digest[32], wanted[32], leaf[32];
	json_t *mj = NULL, *pj = NULL;
	const char *want, *mid;
	int rc = 0;

	if (!f->manifest.data)
		return bad(v, id, "manifest missing");
	if (!f->wav.data)
		return bad(v, id, "WAV missing");
	mj = json_loadb(f->manifest.data, f->manifest.len, 0, NULL);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, f->wav.data, f->wav.len, digest);
	want = mj ? json_string_value(json_object_get(mj, "audio_sha256")) : NULL;
	mid = mj ? json_string_value(json_object_get(mj, "id")) : NULL;
	if (!mj || !want)
		rc = bad(v, id, "manifest is not a callrec manifest (altered?)");
	else if (cr_hex_decode_str(want, wanted, sizeof(wanted)) < 0 ||
		 memcmp(wanted, digest, sizeof(digest)) != 0)
		rc = bad(v, id, "the WAV does not match the manifest's audio_sha256 (WAV altered)");
	else if (strcmp(mid ? mid : "", id) != 0)
		rc = bad(v, id, "the manifest belongs to another call");
	if (!f->sig.data)
		rc = bad(v, id, "signature missing");
	else if (!sig_ok(v->key, &f->manifest, &f->sig))
		rc = bad(v, id, "the manifest's signature does not verify (manifest or signature "
				"altered)");
	if (f->proof.data && !f->proof_sig.data)
		rc = bad(v, id, "the proof's signature is missing");
	else if (f->proof.data && !sig_ok(v->key, &f->proof, &f->proof_sig))
		rc = bad(v, id, "the proof's signature does not verify (proof or its "
				"signature altered)");
	leaf_hash(&f->manifest, leaf);
	if (!f->proof.data)
		rc = bad(v, id, "inclusion proof missing");
	else if (!(pj = json_loadb(f->proof.data, f->proof.len, 0, NULL)))
		rc = bad(v, id, "inclusion proof is not JSON (altered)");
	else if (!v->have_cp || proof_ok(pj, leaf, v->root, v->size) < 0)
		rc = bad(v, id, "the inclusion proof does not lead to the signed checkpoint "
				"(manifest or proof altered)");
	if (rc == 0)
		fprintf(v->out, "OK %s: audio, signature and log inclusion verify\n", id);
	json_decref(mj);
	json_decref(pj);
	return rc;
}

int cra_verifier_timestamp(struct cra_verifier *v, const struct cra_vfile *cp,
			   const struct cra_vfile *tsr, const struct cra_vfile *tsa,
			   const char *tsa_name)
{
	struct cra_tstinfo info;
	char why[256];

	if (!tsr->data) {
		fprintf(v->out, "MISSING checkpoint.tsr: the bundle has no timestamp to check "
			"against %s\n", tsa_name);
		return 1;
	}
	if (!cp->data) /* reported by cra_verifier_checkpoint */
		return 1;
	if (cra_tsp_verify(tsr->data, tsr->len, tsa->data, tsa->len, cp->data, cp->len, &info,
			   why, sizeof(why)) < 0) {
		fprintf(v->out, "ALTERED checkpoint.tsr: %s (authority %s)\n", why, tsa_name);
		return 1;
	}
	fprintf(v->out, "OK checkpoint.tsr: checkpoint.json existed at %s, says the time-stamping "
		"authority of %s\n", info.gen_time, tsa_name);
	return 0;
}

static int listed(json_t *calls, const char *id)
{
	size_t i;
	json_t *c;

	json_array_foreach(calls, i, c) {
		const char *s = json_string_value(json_object_get(c, "id"));

		if (s && strcmp(s, id) == 0)
			return 1;
	}
	return 0;
}

int cra_verifier_summary(struct cra_verifier *v, const struct cra_vfile *summary,
			 char (*ids)[33], size_t n)
{
	json_t *s, *calls, *c, *size;
	size_t i, k, found = 0;
	int rc = 0;

	if (!summary->data) {
		fprintf(v->out, "MISSING summary.json: the list of the bundle's calls\n");
		return 1;
	}
	s = json_loadb(summary->data, summary->len, 0, NULL);
	calls = json_object_get(s, "calls");
	size = json_object_get(s, "log_tree_size");
	if (!json_is_array(calls)) {
		fprintf(v->out, "ALTERED summary.json: not a bundle summary\n");
		json_decref(s);
		return 1;
	}
	json_array_foreach(calls, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));

		for (k = 0; id && k < n && strcmp(ids[k], id) != 0; k++)
			;
		if (!id || strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32) {
			fprintf(v->out, "ALTERED summary.json: call %zu has no valid id\n", i + 1);
			rc = 1;
		} else if (k == n) {
			fprintf(v->out, "MISSING %s: summary.json lists it, the bundle does not hold "
				"it (removed?)\n", id);
			rc = 1;
		} else {
			found++;
		}
	}
	for (k = 0; k < n; k++)
		if (!listed(calls, ids[k])) {
			fprintf(v->out, "ALTERED %s: in the bundle but not listed in summary.json\n",
				ids[k]);
			rc = 1;
		}
	if (v->have_cp && (!json_is_integer(size) || json_integer_value(size) != v->size)) {
		fprintf(v->out, "ALTERED summary.json: its log_tree_size is not the checkpoint's\n");
		rc = 1;
	}
	if (rc == 0)
		fprintf(v->out, "OK summary.json: lists exactly the %zu call%s of the bundle\n", found,
			found == 1 ? "" : "s");
	json_decref(s);
	return rc;
}
