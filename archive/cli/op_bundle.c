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

#define NSTREAMS 5
static const char *const suffix[NSTREAMS] = { ".wav", ".manifest.json", ".manifest.sig",
					      ".proof.json", ".proof.sig" };

struct cp_sink {
	struct cra_buf m[4]; /* 4 checkpoint.json, 5 checkpoint.sig, 6 signing.pub, 7 .tsr */
};

static int cp_data(void *arg, uint8_t stream, const uint8_t *d, size_t n)
{
	struct cp_sink *k = arg;

	if (stream < 4 || stream > 7)
		return 0;
	return cra_buf_add(&k->m[stream - 4], d, n);
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
		snprintf(k->final[i], PATH_MAX, "%s/%s%s", dir, id, suffix[i]);
		snprintf(k->tmp[i], PATH_MAX, "%s/.%s%s.XXXXXX", dir, id, suffix[i]);
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

/* The checkpoint, its signature, the public key (and a timestamp); *size = the tree size.
 * Kept in memory until a call has been exported, so that a refused export writes nothing. */
static int fetch_checkpoint(struct cra_conn *c, struct cp_sink *k, long long *size)
{
	json_t *req = json_pack("{ss}", "op", "checkpoint"), *ts;
	struct cra_answer a;
	int rc = cra_request(c, req, cp_data, k, &a);

	json_decref(req);
	if (rc == 0 && a.status) {
		cra_error("checkpoint: %s", a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	ts = a.end ? json_object_get(a.end, "tree_size") : NULL;
	if (rc == 0 && (!json_is_integer(ts) || !k->m[0].n || k->m[1].n != 64 || !k->m[2].n)) {
		cra_error("the archive sent an incomplete checkpoint");
		rc = -EPROTO;
	}
	if (rc == 0)
		*size = json_integer_value(ts);
	cra_answer_free(&a);
	return rc;
}

static int write_checkpoint(const char *dir, const struct cp_sink *k)
{
	int rc = write_file(dir, "checkpoint.json", k->m[0].p, k->m[0].n, 0644);

	if (rc == 0)
		rc = write_file(dir, "checkpoint.sig", k->m[1].p, k->m[1].n, 0644);
	if (rc == 0)
		rc = write_file(dir, "signing.pub", k->m[2].p, k->m[2].n, 0644);
	if (rc == 0 && k->m[3].n)
		rc = write_file(dir, "checkpoint.tsr", k->m[3].p, k->m[3].n, 0644);
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

static json_t *copy_or_null(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return v ? json_deep_copy(v) : json_null();
}

/* summary.json: what was recorded of the subject, why, on what basis, until when, and who
 * may see it: what a data subject is owed with the recordings. */
static int write_summary(const char *dir, const char *subject, json_t *ids, long long size)
{
	json_t *s = json_object(), *calls = json_array(), *purposes = json_object(), *v;
	char when[32], *text;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int rc;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		json_t *m = manifest_of(dir, id), *c;
		const char *purpose;

		if (!m)
			continue;
		c = json_object();
		json_object_set_new(c, "id", json_string(id));
		json_object_set_new(c, "start", copy_or_null(m, "start"));
		json_object_set_new(c, "end", copy_or_null(m, "end"));
		json_object_set_new(c, "user", copy_or_null(m, "user"));
		json_object_set_new(c, "device", copy_or_null(m, "device"));
		json_object_set_new(c, "purpose", copy_or_null(m, "purpose"));
		json_object_set_new(c, "legal_basis", copy_or_null(m, "legal_basis"));
		json_object_set_new(c, "retention", copy_or_null(m, "retention"));
		json_object_set_new(c, "erased_after", copy_or_null(m, "expires"));
		json_object_set_new(c, "recipients", copy_or_null(m, "access"));
		json_object_set_new(c, "tags", copy_or_null(m, "tags"));
		json_array_append_new(calls, c);
		purpose = json_string_value(json_object_get(m, "purpose"));
		if (!purpose)
			purpose = "(none)";
		if (!json_object_get(purposes, purpose))
			json_object_set_new(purposes, purpose, json_pack("{so so so so}",
				"description", copy_or_null(m, "description"),
				"legal_basis", copy_or_null(m, "legal_basis"),
				"retention", copy_or_null(m, "retention"),
				"recipients", copy_or_null(m, "access")));
		json_decref(m);
	}
	json_object_set_new(s, "generated", json_string(when));
	json_object_set_new(s, "subject", json_string(subject));
	json_object_set_new(s, "controller_note",
			    json_string("Recordings of telephone calls in which the subject took "
					"part, with the purpose, legal basis, retention and "
					"recipients of each."));
	json_object_set_new(s, "purposes", purposes);
	json_object_set_new(s, "calls", calls);
	json_object_set_new(s, "log_tree_size", json_integer(size));
	text = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(s);
	if (!text)
		return -ENOMEM;
	rc = write_file(dir, "summary.json", text, strlen(text), 0644);
	free(text);
	return rc;
}

static const char readme_head[] =
	"Call recordings exported from callrec\n"
	"=====================================\n\n"
	"Files, per call ID:\n"
	"  ID.wav             the recording (WAV, 16 kHz, 16-bit; channel 1 the local party,\n"
	"                     channel 2 the remote party)\n"
	"  ID.manifest.json   who, when, why (purpose, legal basis, retention), gaps, chunk\n"
	"                     hashes and the SHA-256 of ID.wav (audio_sha256)\n"
	"  ID.manifest.sig    the archive's Ed25519 signature of ID.manifest.json (raw bytes)\n"
	"  ID.proof.json      proof that the manifest is in the archive's append-only log\n"
	"  ID.proof.sig       the archive's Ed25519 signature of ID.proof.json\n"
	"Once:\n"
	"  checkpoint.json    the log's signed head (tree size, root hash, time)\n"
	"  checkpoint.sig     the archive's Ed25519 signature of checkpoint.json\n"
	"  signing.pub        the archive's public key (compare its fingerprint,\n"
	"                     `openssl pkey -pubin -in signing.pub -outform DER | sha256sum`,\n"
	"                     with the one the archive's operator publishes)\n"
	"  summary.json       purposes, legal bases, retention and recipients\n"
	"  checkpoint.tsr     (when the archive uses a time-stamping authority) an RFC 3161\n"
	"                     timestamp of checkpoint.json\n\n"
	"With callrec installed: `callrec-archive verify .` checks everything below.\n\n"
	"Without it, in this directory, with openssl, sha256sum and bash:\n\n"
	"  # The log head is signed by the archive:\n"
	"  openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in checkpoint.json \\\n"
	"      -sigfile checkpoint.sig\n"
	"  # If checkpoint.tsr exists: the log head existed at the time the authority states\n"
	"  # (TSA_CA = the time-stamping authority's CA certificate, obtained from it):\n"
	"  [ ! -e checkpoint.tsr ] || [ -z \"${TSA_CA:-}\" ] || \\\n"
	"      openssl ts -verify -data checkpoint.json -in checkpoint.tsr -CAfile \"$TSA_CA\"\n\n"
	"Then for each call (set ID first, e.g. ID=%s):\n\n"
	"  # 1. The audio is the one the manifest describes:\n"
	"  echo \"$(grep -o '\"audio_sha256\": \"[0-9a-f]*\"' $ID.manifest.json | cut -d'\"' -f4)  $ID.wav\" \\\n"
	"      | sha256sum -c\n"
	"  # 2. The manifest is signed by the archive:\n"
	"  openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in $ID.manifest.json \\\n"
	"      -sigfile $ID.manifest.sig\n"
	"  # 3. The proof is the archive's, every byte of it:\n"
	"  openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in $ID.proof.json \\\n"
	"      -sigfile $ID.proof.sig\n"
	"  # 4. The manifest is in the log the checkpoint signs (RFC 9162 hashing: a leaf is\n"
	"  #    SHA-256(0x00 || manifest), a node SHA-256(0x01 || left || right)):\n"
	"  hex2bin() { printf \"$(echo \"$1\" | sed 's/../\\\\x&/g')\"; }\n"
	"  h=$( (printf '\\000'; cat $ID.manifest.json) | openssl dgst -sha256 -r | cut -c1-64)\n"
	"  for s in $(tr -d ' \\n' < $ID.proof.json | grep -o '\"hash\":\"[0-9a-f]*\",\"side\":\"[a-z]*\"' \\\n"
	"            | sed 's/\"hash\":\"\\([0-9a-f]*\\)\",\"side\":\"\\([a-z]*\\)\"/\\2:\\1/'); do\n"
	"    p=${s#*:}\n"
	"    if [ \"${s%%%%:*}\" = left ]; then n=\"$p$h\"; else n=\"$h$p\"; fi\n"
	"    h=$( (printf '\\001'; hex2bin \"$n\") | openssl dgst -sha256 -r | cut -c1-64)\n"
	"  done\n"
	"  root=$(tr -d ' \\n' < checkpoint.json | grep -o '\"root_hash\":\"[0-9a-f]*\"' | cut -d'\"' -f4)\n"
	"  [ \"$h\" = \"$root\" ] && echo \"inclusion: OK\" || { echo \"inclusion: FAILED\"; false; }\n\n"
	"Any failure means the file named was altered (or does not come from this archive).\n\n"
	"Calls in this bundle:\n";

static int write_readme(const char *dir, json_t *ids)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);
	json_t *v;
	int rc;

	if (!f)
		return -errno;
	fprintf(f, readme_head, json_array_size(ids) ? json_string_value(json_array_get(ids, 0))
						     : "...");
	json_array_foreach(ids, i, v)
		fprintf(f, "  %s\n", json_string_value(v));
	if (fclose(f) != 0) {
		free(text);
		return -EIO;
	}
	rc = write_file(dir, "README", text, len, 0644);
	free(text);
	return rc;
}

int cra_export_bundle(struct cra_conn *c, json_t *ids, const char *subject, const char *dir)
{
	struct cp_sink k = { 0 };
	long long size = 0;
	json_t *done = json_array(), *v;
	size_t i;
	int rc, failed = 0;

	rc = cr_mkdir_p(dir, 0700);
	if (rc < 0) {
		cra_error("%s: %s", dir, strerror(-rc));
		json_decref(done);
		return rc;
	}
	rc = fetch_checkpoint(c, &k, &size);
	json_array_foreach(ids, i, v) {
		if (rc < 0)
			break;
		if (export_one(c, dir, json_string_value(v), size) == 0)
			json_array_append(done, v);
		else
			failed++;
	}
	/* The bundle's shared files only when it holds a call. */
	if (rc == 0 && json_array_size(done)) {
		rc = write_checkpoint(dir, &k);
		if (rc == 0)
			rc = write_summary(dir, subject, done, size);
		if (rc == 0)
			rc = write_readme(dir, done);
		if (rc == 0)
			rc = cr_fsync_dir(dir);
	}
	if (rc == 0)
		printf("%zu calls exported to %s%s\n", json_array_size(done), dir,
		       json_array_size(done) ? " (README, summary.json)" : "");
	json_decref(done);
	for (i = 0; i < 4; i++)
		free(k.m[i].p);
	if (rc == 0 && failed)
		rc = -EACCES;
	return rc;
}
