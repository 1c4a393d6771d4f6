#include "op_export.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "fsutil.h"
#include "outdir.h"

enum { STREAM_WAV = 0, STREAM_MANIFEST = 1, NSTREAMS = 2 };

static const char *const suffix[NSTREAMS] = { ".wav", ".manifest.json" };

struct export_file {
	struct cr_outfile f;
	unsigned long long bytes;
};

/* Frames until OP_END; data goes to the temporary files. Returns the OP_END status (>= 0) or a
 * negative errno. */
static int receive(struct cra_conn *c, struct export_file *files, char *err, size_t errlen)
{
	struct cr_frame f;
	int rc, warned = 0;

	for (;;) {
		rc = cra_conn_recv(c, &f);
		if (rc == -ECONNRESET)
			cra_error("the archive closed the connection before the export was complete");
		if (rc < 0)
			return rc;
		if (f.type == CR_F_OP_END) {
			rc = cra_op_end_status(&f, err, errlen);
			if (rc < 0)
				cra_error("malformed end of export from the archive");
			return rc;
		}
		if (f.type != CR_F_OP_DATA || f.length < 1) {
			cra_error("unexpected frame type 0x%02x in an export", f.type);
			return -EPROTO;
		}
		if (f.body[0] >= NSTREAMS) {
			/* Streams this version does not know (signatures, proofs) are skipped, so
			 * a newer archive still gives the WAV and manifest. */
			if (!warned++)
				cra_error("warning: skipping export stream %u (not known to this "
					  "version)", f.body[0]);
			continue;
		}
		rc = cr_write_all(files[f.body[0]].f.fd, f.body + 1, f.length - 1);
		if (rc < 0) {
			cra_error("%s: %s", files[f.body[0]].f.name, strerror(-rc));
			return rc;
		}
		files[f.body[0]].bytes += f.length - 1;
	}
}

int cra_op_export(struct cra_conn *c, const char *call, const char *outdir)
{
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1], err[256], name[NAME_MAX + 1], why[PATH_MAX + 200];
	struct export_file files[NSTREAMS];
	struct cr_outdir d = { .fd = -1 };
	json_t *req = NULL;
	int rc, i;

	for (i = 0; i < NSTREAMS; i++) {
		files[i].f.fd = -1;
		files[i].f.tmp[0] = '\0';
		files[i].bytes = 0;
	}
	if (cr_id_from_hex(call, id) < 0) {
		cra_error("--call %s: expected a call id of %u hex digits (see `list`)", call,
			  2 * CR_CALL_ID_BYTES);
		return -EINVAL;
	}
	cr_id_to_hex(id, hex); /* file names from our own encoding, never the raw argument */
	rc = cr_outdir_open(&d, outdir, CR_OUTDIR_CREATE, why, sizeof(why));
	if (rc < 0) {
		cra_error("%s", why);
		return rc;
	}
	/* mode 0600, which suits recordings of people's calls */
	for (i = 0; i < NSTREAMS && rc == 0; i++) {
		snprintf(name, sizeof(name), "%s%s", hex, suffix[i]);
		rc = cr_outfile_open(&d, &files[i].f, name, 0600);
		if (rc < 0)
			cra_error("%s/%s: %s", outdir, name, strerror(-rc));
	}
	if (rc < 0)
		goto out;
	req = json_pack("{s:s,s:s}", "op", "export", "call", hex);
	if (!req) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cra_conn_send_json(c, CR_F_OP_REQUEST, req);
	if (rc == 0)
		rc = receive(c, files, err, sizeof(err));
	if (rc > 0) {
		cra_error("export of %s failed: %s", hex, err[0] ? err : strerror(rc));
		rc = -rc;
	}
	if (rc < 0)
		goto out;
	if (files[STREAM_WAV].bytes == 0)
		cra_error("warning: the archive sent no audio for %s", hex);
	for (i = 0; i < NSTREAMS && rc == 0; i++) {
		rc = cr_outfile_publish(&d, &files[i].f, 0);
		if (rc < 0)
			cra_error("%s/%s: %s", outdir, files[i].f.name,
				  rc == -EEXIST ? "exists; refusing to overwrite it" : strerror(-rc));
	}
	if (rc == 0)
		rc = cr_outdir_sync(&d);
	if (rc == 0)
		for (i = 0; i < NSTREAMS; i++)
			printf("%s/%s (%llu bytes)\n", outdir, files[i].f.name, files[i].bytes);
out:
	for (i = 0; i < NSTREAMS; i++)
		cr_outfile_discard(&d, &files[i].f);
	cr_outdir_close(&d);
	json_decref(req);
	return rc;
}
