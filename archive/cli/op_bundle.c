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
#include "outdir.h"

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
	const struct cr_outdir *d;
	struct cr_outfile f[NSTREAMS];
};

static int call_data(void *arg, uint8_t stream, const uint8_t *d, size_t n)
{
	struct call_sink *k = arg;

	if (stream >= NSTREAMS)
		return 0;
	return cr_write_all(k->f[stream].fd, d, n);
}

static void sink_discard(struct call_sink *k)
{
	for (int i = 0; i < NSTREAMS; i++)
		cr_outfile_discard(k->d, &k->f[i]);
}

/* Recordings of people's calls: mode 0600. */
static int sink_open(struct call_sink *k, const struct cr_outdir *d, const char *id)
{
	char name[NAME_MAX + 1];
	int rc = 0;

	k->d = d;
	for (int i = 0; i < NSTREAMS; i++)
		k->f[i].fd = -1, k->f[i].tmp[0] = '\0';
	for (int i = 0; i < NSTREAMS && rc == 0; i++) {
		snprintf(name, sizeof(name), "%s%s", id, cra_bundle_suffix[i]);
		rc = cr_outfile_open(d, &k->f[i], name, 0600);
	}
	if (rc < 0)
		sink_discard(k);
	return rc;
}

static int sink_publish(struct call_sink *k, unsigned flags)
{
	int rc = 0;

	for (int i = 0; i < NSTREAMS && rc == 0; i++)
		rc = cr_outfile_publish(k->d, &k->f[i], flags);
	return rc;
}

static int write_file(const struct cr_outdir *d, const char *name, const void *data, size_t n,
		      mode_t mode, unsigned flags)
{
	int rc = cr_outdir_write(d, name, data, n, mode, flags);

	if (rc == -EEXIST)
		cra_error("%s/%s exists; give --force to replace it", d->path, name);
	else if (rc < 0)
		cra_error("%s/%s: %s", d->path, name, strerror(-rc));
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

static int write_checkpoint(const struct cr_outdir *d, const struct cra_checkpoint *cp,
			    unsigned flags)
{
	int rc = write_file(d, "checkpoint.json", cp->json.p, cp->json.n, 0644, flags);

	if (rc == 0)
		rc = write_file(d, "checkpoint.sig", cp->sig.p, cp->sig.n, 0644, flags);
	if (rc == 0)
		rc = write_file(d, "signing.pub", cp->pub.p, cp->pub.n, 0644, flags);
	if (rc == 0 && cp->tsr.n)
		rc = write_file(d, "checkpoint.tsr", cp->tsr.p, cp->tsr.n, 0644, flags);
	return rc;
}

static int export_one(struct cra_conn *c, const struct cr_outdir *d, const char *id,
		      long long size, unsigned flags)
{
	json_t *req = json_pack("{ss ss sb sI}", "op", "export", "call", id, "bundle", 1,
				"tree_size", (json_int_t)size);
	struct call_sink k;
	struct cra_answer a;
	int rc = sink_open(&k, d, id);

	if (rc < 0) {
		cra_error("%s: %s", d->path, strerror(-rc));
		json_decref(req);
		return rc;
	}
	rc = cra_request(c, req, call_data, &k, &a);
	json_decref(req);
	if (rc == 0 && a.status) {
		cra_error("export of %s refused: %s", id, a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	if (rc == 0) {
		rc = sink_publish(&k, flags);
		if (rc == -EEXIST)
			cra_error("%s: a file of call %s exists; give --force to replace it",
				  d->path, id);
		else if (rc < 0)
			cra_error("%s: call %s: %s", d->path, id, strerror(-rc));
	}
	sink_discard(&k);
	cra_answer_free(&a);
	if (rc == 0)
		printf("%s/%s.wav\n", d->path, id);
	return rc;
}

/* The manifest just written, read back through the directory, never through a link. */
static json_t *manifest_of(const struct cr_outdir *d, const char *id)
{
	char name[NAME_MAX + 1];
	json_t *m;
	int fd;

	snprintf(name, sizeof(name), "%s.manifest.json", id);
	fd = cr_outdir_open_read(d, name);
	if (fd < 0)
		return NULL;
	m = json_loadfd(fd, 0, NULL);
	close(fd);
	return m;
}

/* summary.json: what was recorded of the subject, why, on what basis, until when, and who
 * may see it (from the manifests of the calls exported to d): what a data subject is owed
 * with the recordings. */
static int write_summary(const struct cr_outdir *d, const char *subject, json_t *ids,
			 long long size, unsigned flags)
{
	json_t *manifests = json_array(), *s, *v;
	char *text;
	size_t i;
	int rc;

	json_array_foreach(ids, i, v) {
		json_t *m = manifest_of(d, json_string_value(v));

		if (m)
			json_array_append_new(manifests, m);
	}
	s = cra_bundle_summary(subject, manifests, size);
	json_decref(manifests);
	text = s ? json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(s);
	if (!text)
		return -ENOMEM;
	rc = write_file(d, "summary.json", text, strlen(text), 0644, flags);
	free(text);
	return rc;
}

static int write_readme(const struct cr_outdir *d, json_t *ids, unsigned flags)
{
	size_t len = 0;
	char *text = cra_bundle_readme(ids, &len);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = write_file(d, "README", text, len, 0644, flags);
	free(text);
	return rc;
}

int cra_export_bundle(struct cra_conn *c, json_t *ids, const char *subject, const char *dir,
		      int force)
{
	const unsigned flags = force ? CR_OUT_REPLACE : 0;
	struct cra_checkpoint cp = { 0 };
	struct cr_outdir d;
	json_t *done, *v;
	char why[PATH_MAX + 200];
	size_t i;
	int rc, failed = 0;

	rc = cr_outdir_open(&d, dir, CR_OUTDIR_CREATE, why, sizeof(why));
	if (rc < 0) {
		cra_error("%s", why);
		return rc;
	}
	/* One bundle per directory: mixed with an earlier one, its summary and README would not
	 * describe the calls beside them. */
	if (!force && cr_outdir_is_empty(&d) != 1) {
		cra_error("%s already holds files (an earlier export?): export into a new or empty "
			  "directory, or give --force to replace this export's files there", dir);
		cr_outdir_close(&d);
		return -EEXIST;
	}
	done = json_array();
	rc = cra_checkpoint_fetch(c, &cp);
	json_array_foreach(ids, i, v) {
		if (rc < 0)
			break;
		if (export_one(c, &d, json_string_value(v), cp.tree_size, flags) == 0)
			json_array_append(done, v);
		else
			failed++;
	}
	/* The bundle's shared files only when it holds a call. */
	if (rc == 0 && json_array_size(done)) {
		rc = write_checkpoint(&d, &cp, flags);
		if (rc == 0)
			rc = write_summary(&d, subject, done, cp.tree_size, flags);
		if (rc == 0)
			rc = write_readme(&d, done, flags);
		if (rc == 0)
			rc = cr_outdir_sync(&d);
	}
	if (rc == 0)
		printf("%zu calls exported to %s%s\n", json_array_size(done), dir,
		       json_array_size(done) ? " (README, summary.json)" : "");
	json_decref(done);
	cr_outdir_close(&d);
	cra_checkpoint_free(&cp);
	if (rc == 0 && failed)
		rc = -EACCES;
	return rc;
}
