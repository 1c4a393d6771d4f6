/* Export bundles as tar downloads. See bundle_tar.h. */
#include "bundle_tar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli_util.h"
#include "console.h"
#include "exports.h"
#include "tar.h"

struct console_bundle {
	struct cra_conn conn;
	int connected;
	struct cra_checkpoint cp;
	json_t *ids;
	size_t next;                  /* the next id to fetch */
	struct console_export *first; /* fetched by start, not yet in the tar */
	struct console_export *cur;   /* the call being read */
	json_t *done, *manifests;     /* exported ids and their manifests, for the summary */
	char *summary, *readme, *skipped;
	size_t readme_len;
	int tail_added;
	char subject[600], dir[64];
	struct console_tar tar;
};

static int add(struct console_bundle *b, const char *name, const void *data, size_t len)
{
	char path[100];

	if (snprintf(path, sizeof(path), "%s/%s", b->dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return console_tar_add(&b->tar, path, data, len);
}

static int add_call(struct console_bundle *b, struct console_export *e)
{
	json_t *m = json_loadb((const char *)e->file[1].p, e->file[1].len, 0, NULL);
	char name[64];
	int rc = 0;

	if (m)
		json_array_append_new(b->manifests, m);
	json_array_append_new(b->done, json_string(e->id));
	for (int i = 0; i < CRA_BUNDLE_NSTREAMS && rc == 0; i++) {
		snprintf(name, sizeof(name), "%s%s", e->id, cra_bundle_suffix[i]);
		rc = add(b, name, e->file[i].p, e->file[i].len);
	}
	return rc;
}

/* The files once per bundle, after its calls. */
static int add_tail(struct console_bundle *b)
{
	json_t *s = cra_bundle_summary(b->subject, b->manifests, b->cp.tree_size);
	int rc;

	b->summary = s ? json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(s);
	b->readme = cra_bundle_readme(b->done, &b->readme_len);
	if (!b->summary || !b->readme)
		return -ENOMEM;
	if (json_array_size(b->done) == 0)
		rc = 0; /* nothing exported: no checkpoint, summary or README to go with it */
	else if ((rc = add(b, "checkpoint.json", b->cp.json.p, b->cp.json.n)) == 0 &&
		 (rc = add(b, "checkpoint.sig", b->cp.sig.p, b->cp.sig.n)) == 0 &&
		 (rc = add(b, "signing.pub", b->cp.pub.p, b->cp.pub.n)) == 0 &&
		 (!b->cp.tsr.n || (rc = add(b, "checkpoint.tsr", b->cp.tsr.p, b->cp.tsr.n)) == 0) &&
		 (rc = add(b, "summary.json", b->summary, strlen(b->summary))) == 0)
		rc = add(b, "README", b->readme, b->readme_len);
	if (rc == 0 && b->skipped)
		rc = add(b, "NOT-EXPORTED.txt", b->skipped, strlen(b->skipped));
	return rc;
}

/* A call the archive refused: named in NOT-EXPORTED.txt with its reason. */
static int skip(struct console_bundle *b, const char *id, const char *why)
{
	char *text = NULL;
	int n = asprintf(&text, "%s%s %s: %s\n", b->skipped ? b->skipped : "",
			 b->skipped ? "" : "The archive did not export these calls:\n", id, why);

	if (n < 0)
		return -ENOMEM;
	free(b->skipped);
	b->skipped = text;
	return 0;
}

/* console_tar's more(): the next call, or the closing files. */
static int more(void *arg, struct console_tar *t)
{
	struct console_bundle *b = arg;
	char why[256];
	int rc;

	(void)t;
	console_export_free(b->cur); /* its files have all been read */
	b->cur = NULL;
	while (b->first || b->next < json_array_size(b->ids)) {
		const char *id;

		if (b->first) {
			b->cur = b->first;
			b->first = NULL;
			return add_call(b, b->cur);
		}
		id = json_string_value(json_array_get(b->ids, b->next++));
		rc = console_export_fetch(&b->conn, id, &b->cp, &b->cur, why, sizeof(why));
		if (rc < 0)
			return rc; /* the connection is gone: the download fails visibly */
		if (rc > 0) {
			if ((rc = skip(b, id, why)) < 0)
				return rc;
			continue;
		}
		return add_call(b, b->cur);
	}
	if (b->tail_added)
		return 0;
	b->tail_added = 1;
	return add_tail(b);
}

static void bundle_free(struct console_bundle *b)
{
	if (!b)
		return;
	if (b->connected)
		cra_conn_close(&b->conn);
	cra_checkpoint_free(&b->cp);
	console_export_free(b->first);
	console_export_free(b->cur);
	json_decref(b->ids);
	json_decref(b->done);
	json_decref(b->manifests);
	free(b->summary);
	free(b->readme);
	free(b->skipped);
	free(b);
}

int console_bundle_start(struct console *con, json_t *ids, const char *subject,
			 const char *dir, struct console_bundle **out, char *why, size_t whylen)
{
	struct console_bundle *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->ids = json_incref(ids);
	b->done = json_array();
	b->manifests = json_array();
	snprintf(b->subject, sizeof(b->subject), "%s", subject);
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	console_tar_init(&b->tar, (long long)time(NULL), more, b);
	rc = console_archive_open(con, &b->conn);
	b->connected = rc == 0;
	if (rc == 0)
		rc = cra_checkpoint_fetch(&b->conn, &b->cp);
	while (rc == 0 && !b->first && b->next < json_array_size(ids)) {
		const char *id = json_string_value(json_array_get(ids, b->next++));

		rc = console_export_fetch(&b->conn, id, &b->cp, &b->first, why, whylen);
		/* One call: its refusal is the answer. Several: the others may still go. */
		if (rc > 0 && json_array_size(ids) > 1)
			rc = skip(b, id, why);
	}
	if (rc != 0) {
		bundle_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

static ssize_t read_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct console_bundle *b = cls;
	ssize_t n = console_tar_read(&b->tar, (uint8_t *)buf, max);

	(void)pos; /* MHD reads the stream in order */
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void free_cb(void *cls)
{
	bundle_free(cls);
}

struct MHD_Response *console_bundle_response(struct console_bundle *b)
{
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
								     read_cb, b, free_cb);
	char disp[128];

	if (!resp) {
		bundle_free(b);
		return NULL;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.tar\"", b->dir);
	MHD_add_response_header(resp, "Content-Type", "application/x-tar");
	MHD_add_response_header(resp, "Content-Disposition", disp);
	return resp;
}
