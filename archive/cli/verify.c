/* `callrec-archive verify PATH`: offline check of an export, needing nothing from the
 * archive. This file finds and reads the bundle's files; the checks themselves work on the
 * bytes in memory (verify_core.c), so that they can be fuzzed without a disk. */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "hex.h"
#include "verify_core.h"

#define MAX_FILE (4ull << 30)

struct ctx {
	char dir[PATH_MAX];
	struct cra_verifier v;
};

/* The file at path into f; f->data stays NULL when it is missing, unreadable or too big, and
 * the reason is returned (0 when read). */
static int read_path(const char *path, size_t max, struct cra_vfile *f)
{
	char *text = NULL;
	size_t len = 0;
	int rc = cr_read_file(path, max, &text, &len);

	f->data = rc == 0 ? text : NULL;
	f->len = f->data ? len : 0;
	return rc;
}

static void read_one(const char *dir, const char *name, struct cra_vfile *f)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	read_path(path, (size_t)MAX_FILE, f);
}

static int verify_call(struct ctx *c, const char *id)
{
	static const char *const suffix[] = { "manifest.json", "wav", "manifest.sig", "proof.json",
					      "proof.sig" };
	struct cra_call_files f;
	struct cra_vfile *files[] = { &f.manifest, &f.wav, &f.sig, &f.proof, &f.proof_sig };
	char name[PATH_MAX];
	size_t i;
	int rc;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(name, sizeof(name), "%s.%s", id, suffix[i]);
		read_one(c->dir, name, files[i]);
	}
	rc = cra_verifier_call(&c->v, id, &f);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		free((char *)files[i]->data);
	return rc;
}

/* A file the verifier was given (a key, a certificate): it must be there and readable, since
 * checking against nothing would look like checking. 0, or 1 after saying why. */
static int read_pinned(struct ctx *c, const char *what, const char *path, struct cra_vfile *f)
{
	int rc = read_path(path, 1u << 20, f);

	if (rc < 0)
		fprintf(c->v.out, "MISSING %s %s: %s\n", what, path,
			rc == -EINVAL ? "not a regular file" : strerror(-rc));
	return rc < 0;
}

/* The key the signatures must verify with: the pinned one, or else the bundle's own. */
static int load_key(struct ctx *c, const char *pinned)
{
	struct cra_vfile f, bundle;
	int rc;

	if (pinned && read_pinned(c, "key", pinned, &f))
		return 1;
	if (!pinned)
		read_one(c->dir, "signing.pub", &f);
	if (!f.data) {
		fprintf(c->v.out, "MISSING the archive's public key (signing.pub); give the "
			"archive's key with --key FILE\n");
		return 1;
	}
	rc = cra_verifier_key(&c->v, f.data, f.len, pinned);
	free((char *)f.data);
	if (rc)
		return rc;
	if (pinned) {
		fprintf(c->v.out, "key %s (pinned): SHA-256 fingerprint %s\n", pinned,
			c->v.fingerprint);
		read_one(c->dir, "signing.pub", &bundle);
		rc = cra_verifier_bundle_key(&c->v, &bundle);
		free((char *)bundle.data);
	} else {
		fprintf(c->v.out,
			"NOTE no key pinned: trusting the bundle's own signing.pub, SHA-256 "
			"fingerprint %s\n"
			"NOTE this shows only that the bundle is consistent with itself: anyone can "
			"make such a bundle with a key of their own\n"
			"NOTE to know the archive signed it, compare that fingerprint with the one the "
			"archive's operator publishes, or pin the archive's key: --key FILE\n",
			c->v.fingerprint);
	}
	return rc;
}

static int load_checkpoint(struct ctx *c, const char *tsa_cert)
{
	struct cra_vfile cp, sig, tsr, tsa = { NULL, 0 };
	int rc;

	read_one(c->dir, "checkpoint.json", &cp);
	read_one(c->dir, "checkpoint.sig", &sig);
	read_one(c->dir, "checkpoint.tsr", &tsr);
	rc = cra_verifier_checkpoint(&c->v, &cp, &sig);
	if (tsa_cert) {
		rc |= read_pinned(c, "time-stamping authority certificate", tsa_cert, &tsa);
		if (tsa.data)
			rc |= cra_verifier_timestamp(&c->v, &cp, &tsr, &tsa, tsa_cert);
	} else if (tsr.data) {
		fprintf(c->v.out, "NOTE checkpoint.tsr not checked: give the time-stamping "
			"authority's certificate with --tsa-cert FILE\n");
	}
	free((char *)cp.data);
	free((char *)sig.data);
	free((char *)tsr.data);
	free((char *)tsa.data);
	return rc;
}

/* The call id of a bundle file name (ID.wav, ID.manifest.json, ...), or -1. */
static int id_of(const char *name, char id[33])
{
	uint8_t bytes[16];

	if (cr_hex_decode(name, 32, bytes) < 0 || name[32] != '.')
		return -1;
	memcpy(id, name, 32);
	id[32] = '\0';
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The calls of a directory (by their manifests), sorted, into a malloc'd array. */
static int list_calls(const char *dir, char (**ids)[33], size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char(*a)[33] = NULL, (*grown)[33];
	size_t cap = 0;

	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char id[33];

		if (l <= 14 || strcmp(e->d_name + l - 14, ".manifest.json") != 0 ||
		    id_of(e->d_name, id) < 0 || strlen(e->d_name) != 32 + 14)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(a, cap * sizeof(*a));
			if (!grown) {
				free(a);
				closedir(d);
				return -ENOMEM;
			}
			a = grown;
		}
		memcpy(a[(*n)++], id, sizeof(id));
	}
	closedir(d);
	if (*n)
		qsort(a, *n, sizeof(*a), id_cmp);
	*ids = a;
	return 0;
}

int cra_verify(const char *path, const struct cra_verify_opts *o, FILE *out)
{
	struct ctx c;
	struct stat st;
	struct cra_vfile summary;
	char one[33] = "", (*ids)[33] = NULL;
	size_t n = 0, i;
	int rc = 0;

	cra_verifier_init(&c.v, out);
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
	rc = load_key(&c, o->key);
	if (!c.v.key)
		return 1; /* nothing verifies without a key */
	rc |= load_checkpoint(&c, o->tsa_cert);
	if (one[0]) {
		rc |= verify_call(&c, one);
		n = 1;
	} else {
		int err = list_calls(c.dir, &ids, &n);

		if (err < 0)
			fprintf(out, "MISSING %s: %s\n", c.dir, strerror(-err));
		for (i = 0; i < n; i++)
			rc |= verify_call(&c, ids[i]);
		/* The bundle as a whole: no call taken out of it. */
		read_one(c.dir, "summary.json", &summary);
		rc |= cra_verifier_summary(&c.v, &summary, ids, n);
		free((char *)summary.data);
		free(ids);
	}
	if (n == 0) {
		fprintf(out, "MISSING no call in %s\n", path);
		rc = 1;
	}
	if (rc == 0 && c.v.key_name)
		fprintf(out, "intact: %zu call%s, signed by the pinned key (SHA-256 fingerprint %s)\n",
			n, n == 1 ? "" : "s", c.v.fingerprint);
	else if (rc == 0)
		fprintf(out, "intact: %zu call%s, consistent with the bundle's own key (SHA-256 "
			"fingerprint %s); no key was pinned, so who signed it is not shown\n", n,
			n == 1 ? "" : "s", c.v.fingerprint);
	else
		fprintf(out, "NOT intact: see the lines above\n");
	cra_verifier_free(&c.v);
	return rc ? 1 : 0;
}
