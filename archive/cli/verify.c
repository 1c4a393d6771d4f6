/* `callrec-archive verify PATH`: offline check of an export, needing nothing from the
 * archive. For each call: the WAV's SHA-256 is the manifest's audio_sha256; the manifest's
 * Ed25519 signature verifies with the archive's public key; the manifest's leaf hash with
 * its inclusion proof leads (RFC 9162, 2.1.3.2) to the root of the signed checkpoint. This is
 * a separate implementation from the archive's, on purpose. */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "fsutil.h"

#define MAX_FILE (4ull << 30)

struct ctx {
	char dir[PATH_MAX];
	gnutls_pubkey_t key;
	uint8_t root[32];
	long long size;
	int have_cp;
	FILE *out;
};

static int unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (!s || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int read_all(const char *dir, const char *name, char **text, size_t *len)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return cr_read_file(path, (size_t)MAX_FILE, text, len);
}

static int sig_ok(gnutls_pubkey_t key, const char *data, size_t len, const char *sig, size_t slen)
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)len };
	gnutls_datum_t s = { (unsigned char *)sig, (unsigned)slen };

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
		if (unhex(json_string_value(json_object_get(e, "hash")), h, 32) < 0 || sn == 0)
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

static int bad(struct ctx *c, const char *id, const char *what)
{
	fprintf(c->out, "ALTERED %s: %s\n", id, what);
	return 1;
}

static int verify_call(struct ctx *c, const char *id)
{
	char name[PATH_MAX], *m = NULL, *sig = NULL, *proof = NULL, *wav = NULL, hex[65];
	size_t mlen, slen, plen, wlen;
	uint8_t digest[32], leaf[32];
	json_t *mj = NULL, *pj = NULL;
	const char *want;
	int rc = 0, i;

	snprintf(name, sizeof(name), "%s.manifest.json", id);
	if (read_all(c->dir, name, &m, &mlen) < 0)
		return bad(c, id, "manifest missing");
	mj = json_loadb(m, mlen, 0, NULL);
	snprintf(name, sizeof(name), "%s.wav", id);
	if (read_all(c->dir, name, &wav, &wlen) < 0) {
		rc = bad(c, id, "WAV missing");
		goto out;
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, wav, wlen, digest);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	want = mj ? json_string_value(json_object_get(mj, "audio_sha256")) : NULL;
	if (!mj || !want)
		rc = bad(c, id, "manifest is not a callrec manifest (altered?)");
	else if (strcmp(want, hex) != 0)
		rc = bad(c, id, "the WAV does not match the manifest's audio_sha256 (WAV altered)");
	else if (strcmp(json_string_value(json_object_get(mj, "id")) ?
			json_string_value(json_object_get(mj, "id")) : "", id) != 0)
		rc = bad(c, id, "the manifest belongs to another call");
	snprintf(name, sizeof(name), "%s.manifest.sig", id);
	if (read_all(c->dir, name, &sig, &slen) < 0)
		rc = bad(c, id, "signature missing");
	else if (!sig_ok(c->key, m, mlen, sig, slen))
		rc = bad(c, id, "the manifest's signature does not verify (manifest or signature "
				"altered)");
	snprintf(name, sizeof(name), "%s.proof.json", id);
	if (read_all(c->dir, name, &proof, &plen) == 0) {
		char *psig = NULL;
		size_t pslen;
		char sname[PATH_MAX];

		snprintf(sname, sizeof(sname), "%s.proof.sig", id);
		if (read_all(c->dir, sname, &psig, &pslen) < 0)
			rc = bad(c, id, "the proof's signature is missing");
		else if (!sig_ok(c->key, proof, plen, psig, pslen))
			rc = bad(c, id, "the proof's signature does not verify (proof or its "
					"signature altered)");
		free(psig);
		free(proof);
		proof = NULL;
	}
	{
		uint8_t b0 = 0;
		gnutls_hash_hd_t h;

		gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
		gnutls_hash(h, &b0, 1);
		gnutls_hash(h, m, mlen);
		gnutls_hash_deinit(h, leaf);
	}
	if (read_all(c->dir, name, &proof, &plen) < 0)
		rc = bad(c, id, "inclusion proof missing");
	else if (!(pj = json_loadb(proof, plen, 0, NULL)))
		rc = bad(c, id, "inclusion proof is not JSON (altered)");
	else if (!c->have_cp || proof_ok(pj, leaf, c->root, c->size) < 0)
		rc = bad(c, id, "the inclusion proof does not lead to the signed checkpoint "
				"(manifest or proof altered)");
	if (rc == 0)
		fprintf(c->out, "OK %s: audio, signature and log inclusion verify\n", id);
out:
	json_decref(mj);
	json_decref(pj);
	free(m);
	free(sig);
	free(proof);
	free(wav);
	return rc;
}

static int load_key(struct ctx *c, const char *key_pem)
{
	char *text = NULL;
	size_t len;
	gnutls_datum_t d;
	int rc;

	if (key_pem)
		rc = cr_read_file(key_pem, 65536, &text, &len);
	else
		rc = read_all(c->dir, "signing.pub", &text, &len);
	if (rc < 0) {
		fprintf(c->out, "MISSING the archive's public key (signing.pub)\n");
		return 1;
	}
	d.data = (unsigned char *)text;
	d.size = (unsigned)len;
	rc = gnutls_pubkey_init(&c->key) < 0 ||
	     gnutls_pubkey_import(c->key, &d, GNUTLS_X509_FMT_PEM) < 0;
	free(text);
	if (rc)
		fprintf(c->out, "ALTERED signing.pub: not a public key\n");
	return rc;
}

static int load_checkpoint(struct ctx *c)
{
	char *cp = NULL, *sig = NULL;
	size_t cl, sl;
	json_t *j = NULL;
	int rc = 0;

	if (read_all(c->dir, "checkpoint.json", &cp, &cl) < 0 ||
	    read_all(c->dir, "checkpoint.sig", &sig, &sl) < 0) {
		fprintf(c->out, "MISSING checkpoint.json or checkpoint.sig\n");
		rc = 1;
	} else if (!sig_ok(c->key, cp, cl, sig, sl)) {
		fprintf(c->out, "ALTERED checkpoint: its signature does not verify\n");
		rc = 1;
	} else if (!(j = json_loadb(cp, cl, 0, NULL)) ||
		   unhex(json_string_value(json_object_get(j, "root_hash")), c->root, 32) < 0 ||
		   !json_is_integer(json_object_get(j, "tree_size"))) {
		fprintf(c->out, "ALTERED checkpoint.json: not a checkpoint\n");
		rc = 1;
	} else {
		c->size = json_integer_value(json_object_get(j, "tree_size"));
		c->have_cp = 1;
	}
	json_decref(j);
	free(cp);
	free(sig);
	return rc;
}

/* The call id of a bundle file name (ID.wav, ID.manifest.json, ...), or -1. */
static int id_of(const char *name, char id[33])
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!strchr("0123456789abcdef", name[i]) || !name[i])
			return -1;
	if (name[32] != '.')
		return -1;
	memcpy(id, name, 32);
	id[32] = '\0';
	return 0;
}

int cra_verify(const char *path, const char *key_pem, FILE *out)
{
	struct ctx c = { .out = out };
	struct stat st;
	char one[33] = "";
	int rc = 0, n = 0;

	if (stat(path, &st) < 0) {
		fprintf(out, "MISSING %s\n", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(c.dir, sizeof(c.dir), "%s", path);
	} else {
		const char *base = strrchr(path, '/');

		cr_dirname(path, c.dir, sizeof(c.dir));
		if (id_of(base ? base + 1 : path, one) < 0) {
			fprintf(out, "%s: not a file of an exported call (ID.wav, ...)\n", path);
			return 1;
		}
	}
	if (load_key(&c, key_pem))
		return 1;
	rc = load_checkpoint(&c);
	if (one[0]) {
		rc |= verify_call(&c, one);
		n = 1;
	} else {
		DIR *d = opendir(c.dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char id[33];
			size_t l = strlen(e->d_name);

			if (l > 14 && strcmp(e->d_name + l - 14, ".manifest.json") == 0 &&
			    id_of(e->d_name, id) == 0) {
				rc |= verify_call(&c, id);
				n++;
			}
		}
		if (d)
			closedir(d);
	}
	if (n == 0) {
		fprintf(out, "MISSING no call in %s\n", path);
		rc = 1;
	}
	gnutls_pubkey_deinit(c.key);
	if (rc == 0)
		fprintf(out, "intact: %d call%s\n", n, n == 1 ? "" : "s");
	return rc ? 1 : 0;
}
