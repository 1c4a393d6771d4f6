/* `callrec-archive verify PATH`: offline check of an export, needing nothing from the
 * archive. This file finds and reads the bundle's files; the checks themselves work on the
 * bytes in memory (verify_core.c), so that they can be fuzzed without a disk. */
#include "bundle.h"

#include <dirent.h>
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

/* The file at path into f; f->data stays NULL when it is missing, unreadable or too big. */
static void read_path(const char *path, size_t max, struct cra_vfile *f)
{
	char *text = NULL;
	size_t len = 0;

	f->data = cr_read_file(path, max, &text, &len) == 0 ? text : NULL;
	f->len = f->data ? len : 0;
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

static int load_key(struct ctx *c, const char *key_pem)
{
	struct cra_vfile f;
	int rc;

	if (key_pem)
		read_path(key_pem, 65536, &f);
	else
		read_one(c->dir, "signing.pub", &f);
	if (!f.data) {
		fprintf(c->v.out, "MISSING the archive's public key (signing.pub)\n");
		return 1;
	}
	rc = cra_verifier_key(&c->v, f.data, f.len);
	free((char *)f.data);
	return rc;
}

static int load_checkpoint(struct ctx *c)
{
	struct cra_vfile cp, sig;
	int rc;

	read_one(c->dir, "checkpoint.json", &cp);
	read_one(c->dir, "checkpoint.sig", &sig);
	rc = cra_verifier_checkpoint(&c->v, &cp, &sig);
	free((char *)cp.data);
	free((char *)sig.data);
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

int cra_verify(const char *path, const char *key_pem, FILE *out)
{
	struct ctx c;
	struct stat st;
	char one[33] = "";
	int rc = 0, n = 0;

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
	if (load_key(&c, key_pem))
		return 1; /* nothing to free: no key */
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
	cra_verifier_free(&c.v);
	if (rc == 0)
		fprintf(out, "intact: %d call%s\n", n, n == 1 ? "" : "s");
	return rc ? 1 : 0;
}
