/* Export bundles (a data subject's access request, or one call): for every call ID.wav, ID.manifest.json, ID.manifest.sig
 * (Ed25519, raw 64 bytes), ID.proof.json (inclusion in the manifest log); once per bundle
 * checkpoint.json + checkpoint.sig (the signed log head the proofs lead to), signing.pub
 * (the archive's public key), summary.json (purposes, legal bases, retention, recipients)
 * and README (how to check all of it with openssl and sha256sum only). */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "fsutil.h"
#include "op_request.h"

#define NSTREAMS CRA_BUNDLE_NSTREAMS

static int cp_data(void *arg, uint8_t stream, const uint8_t *d, size_t n)
{
	struct cra_checkpoint *cp = arg;
	struct cra_buf *slot[4] = { &cp->json, &cp->sig, &cp->pub, &cp->tsr };

	if (stream < 4 || stream > 7)
		return 0;
	return cra_buf_add(slot[stream - 4], d, n);
}

struct call_sink {
	char tmp[NSTREAMS][PATH_MAX], final[NSTREAMS][PATH_MAX];
	int fd[NSTREAMS];
};

static int call_data(void *arg, uint8_t stream, const uint8_t *d, size_t n)
{
	struct call_sink *k = arg;

	if (stream >= NSTREAMS)
		return 0;
	return cr_write_all(k->fd[stream], d, n);
}

static void sink_discard(struct call_sink *k)
{
	for (int i = 0; i < NSTREAMS; i++) {
		if (k->fd[i] >= 0)
			close(k->fd[i]);
		k->fd[i] = -1;
		if (k->tmp[i][0])
			unlink(k->tmp[i]);
		k->tmp[i][0] = '\0';
	}
}

static int sink_open(struct call_sink *k, const char *dir, const char *id)
{
	for (int i = 0; i < NSTREAMS; i++)
		k->fd[i] = -1, k->tmp[i][0] = '\0';
	for (int i = 0; i < NSTREAMS; i++) {
		snprintf(k->final[i], PATH_MAX, "%s/%s%s", dir, id, cra_bundle_suffix[i]);
		snprintf(k->tmp[i], PATH_MAX, "%s/.%s%s.XXXXXX", dir, id, cra_bundle_suffix[i]);
		k->fd[i] = mkostemp(k->tmp[i], O_CLOEXEC);
		if (k->fd[i] < 0) {
			int rc = -errno;

			k->tmp[i][0] = '\0';
			sink_discard(k);
			return rc;
		}
	}
	return 0;
}

static int sink_publish(struct call_sink *k)
{
	int rc = 0;

	for (int i = 0; i < NSTREAMS && rc == 0; i++) {
		if (fsync(k->fd[i]) < 0 || close(k->fd[i]) < 0)
			rc = -errno;
		k->fd[i] = -1;
		if (rc == 0 && rename(k->tmp[i], k->final[i]) < 0)
			rc = -errno;
		if (rc == 0)
			k->tmp[i][0] = '\0';
	}
	return rc;
}

static int write_file(const char *dir, const char *name, const void *d, size_t n, mode_t mode)
{
	int rc = cr_write_atomic(dir, name, d, n, mode);

	if (rc < 0)
		cra_error("%s/%s: %s", dir, name, strerror(-rc));
	return rc;
}

int cra_checkpoint_fetch(struct cra_conn *c, struct cra_checkpoint *cp)
{
	json_t *req = json_pack("{ss}", "op", "checkpoint"), *ts;
	struct cra_answer a;
	int rc;

	memset(cp, 0, sizeof(*cp));
	rc = cra_request(c, req, cp_data, cp, &a);
	json_decref(req);
	if (rc == 0 && a.status) {
		cra_error("checkpoint: %s", a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	ts = a.end ? json_object_get(a.end, "tree_size") : NULL;
	if (rc == 0 && (!json_is_integer(ts) || !cp->json.n || cp->sig.n != 64 || !cp->pub.n)) {
		cra_error("the archive sent an incomplete checkpoint");
		rc = -EPROTO;
	}
	if (rc == 0)
		cp->tree_size = json_integer_value(ts);
	cra_answer_free(&a);
	if (rc < 0)
		cra_checkpoint_free(cp);
	return rc;
}

void cra_checkpoint_free(struct cra_checkpoint *cp)
{
	struct cra_buf *b[4] = { &cp->json, &cp->sig, &cp->pub, &cp->tsr };

	for (int i = 0; i < 4; i++) {
		free(b[i]->p);
		b[i]->p = NULL;
		b[i]->n = 0;
	}
}

static int write_checkpoint(const char *dir, const struct cra_checkpoint *cp)
{
	int rc = write_file(dir, "checkpoint.json", cp->json.p, cp->json.n, 0644);

	if (rc == 0)
		rc = write_file(dir, "checkpoint.sig", cp->sig.p, cp->sig.n, 0644);
	if (rc == 0)
		rc = write_file(dir, "signing.pub", cp->pub.p, cp->pub.n, 0644);
	if (rc == 0 && cp->tsr.n)
		rc = write_file(dir, "checkpoint.tsr", cp->tsr.p, cp->tsr.n, 0644);
	return rc;
}

static int export_one(struct cra_conn *c, const char *dir, const char *id, long long size)
{
	json_t *req = json_pack("{ss ss sb sI}", "op", "export", "call", id, "bundle", 1,
				"tree_size", (json_int_t)size);
	struct call_sink k;
	struct cra_answer a;
	int rc = sink_open(&k, dir, id);

	if (rc < 0) {
		cra_error("%s: %s", dir, strerror(-rc));
		json_decref(req);
		return rc;
	}
	rc = cra_request(c, req, call_data, &k, &a);
	json_decref(req);
	if (rc == 0 && a.status) {
		cra_error("export of %s refused: %s", id, a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	if (rc == 0)
		rc = sink_publish(&k);
	sink_discard(&k);
	cra_answer_free(&a);
	if (rc == 0)
		printf("%s/%s.wav\n", dir, id);
	return rc;
}

static json_t *manifest_of(const char *dir, const char *id)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.manifest.json", dir, id);
	return json_load_file(path, 0, NULL);
}

/* summary.json: what was recorded of the subject, why, on what basis, until when, and who
 * may see it (from the manifests of the calls exported to dir): what a data subject is owed
 * with the recordings. */
static int write_summary(const char *dir, const char *subject, json_t *ids, long long size)
{
	json_t *manifests = json_array(), *s, *v;
	char *text;
	size_t i;
	int rc;

	json_array_foreach(ids, i, v) {
		json_t *m = manifest_of(dir, json_string_value(v));

		if (m)
			json_array_append_new(manifests, m);
	}
	s = cra_bundle_summary(subject, manifests, size);
	json_decref(manifests);
	text = s ? json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(s);
	if (!text)
		return -ENOMEM;
	rc = write_file(dir, "summary.json", text, strlen(text), 0644);
	free(text);
	return rc;
}

static int write_readme(const char *dir, json_t *ids)
{
	size_t len = 0;
	char *text = cra_bundle_readme(ids, &len);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = write_file(dir, "README", text, len, 0644);
	free(text);
	return rc;
}

int cra_export_bundle(struct cra_conn *c, json_t *ids, const char *subject, const char *dir)
{
	struct cra_checkpoint cp = { 0 };
	json_t *done = json_array(), *v;
	size_t i;
	int rc, failed = 0;

	rc = cr_mkdir_p(dir, 0700);
	if (rc < 0) {
		cra_error("%s: %s", dir, strerror(-rc));
		json_decref(done);
		return rc;
	}
	rc = cra_checkpoint_fetch(c, &cp);
	json_array_foreach(ids, i, v) {
		if (rc < 0)
			break;
		if (export_one(c, dir, json_string_value(v), cp.tree_size) == 0)
			json_array_append(done, v);
		else
			failed++;
	}
	/* The bundle's shared files only when it holds a call. */
	if (rc == 0 && json_array_size(done)) {
		rc = write_checkpoint(dir, &cp);
		if (rc == 0)
			rc = write_summary(dir, subject, done, cp.tree_size);
		if (rc == 0)
			rc = write_readme(dir, done);
		if (rc == 0)
			rc = cr_fsync_dir(dir);
	}
	if (rc == 0)
		printf("%zu calls exported to %s%s\n", json_array_size(done), dir,
		       json_array_size(done) ? " (README, summary.json)" : "");
	json_decref(done);
	cra_checkpoint_free(&cp);
	if (rc == 0 && failed)
		rc = -EACCES;
	return rc;
}
