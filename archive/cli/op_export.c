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

enum { STREAM_WAV = 0, STREAM_MANIFEST = 1, NSTREAMS = 2 };

static const char *const suffix[NSTREAMS] = { ".wav", ".manifest.json" };

struct export_file {
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	int fd;
	unsigned long long bytes;
};

static int open_temp(struct export_file *ef, const char *dir, const char *id, const char *sfx)
{
	if (snprintf(ef->final, sizeof(ef->final), "%s/%s%s", dir, id, sfx) >=
		    (int)sizeof(ef->final) ||
	    snprintf(ef->tmp, sizeof(ef->tmp), "%s/.%s%s.XXXXXX", dir, id, sfx) >=
		    (int)sizeof(ef->tmp))
		return -ENAMETOOLONG;
	/* mkstemp: mode 0600, which suits recordings of people's calls. */
	ef->fd = mkostemp(ef->tmp, O_CLOEXEC);
	if (ef->fd < 0) {
		int rc = -errno;

		cra_error("%s: %s", ef->tmp, strerror(errno));
		ef->tmp[0] = '\0';
		return rc;
	}
	return 0;
}

/* fsync + close + rename; the directory is synced once by the caller. */
static int publish(struct export_file *ef)
{
	int rc = 0;

	if (fsync(ef->fd) < 0 || close(ef->fd) < 0)
		rc = -errno;
	ef->fd = -1;
	if (rc == 0 && rename(ef->tmp, ef->final) < 0)
		rc = -errno;
	if (rc < 0)
		cra_error("%s: %s", ef->final, strerror(-rc));
	else
		ef->tmp[0] = '\0';
	return rc;
}

static void discard(struct export_file *ef)
{
	if (ef->fd >= 0)
		close(ef->fd);
	ef->fd = -1;
	if (ef->tmp[0])
		unlink(ef->tmp);
	ef->tmp[0] = '\0';
}

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
		rc = cr_write_all(files[f.body[0]].fd, f.body + 1, f.length - 1);
		if (rc < 0) {
			cra_error("%s: %s", files[f.body[0]].tmp, strerror(-rc));
			return rc;
		}
		files[f.body[0]].bytes += f.length - 1;
	}
}

int cra_op_export(struct cra_conn *c, const char *call, const char *outdir)
{
	uint8_t id[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1], err[256];
	struct export_file files[NSTREAMS];
	json_t *req = NULL;
	int rc, i;

	for (i = 0; i < NSTREAMS; i++) {
		files[i].fd = -1;
		files[i].tmp[0] = '\0';
		files[i].bytes = 0;
	}
	if (cr_id_from_hex(call, id) < 0) {
		cra_error("--call %s: expected a call id of %u hex digits (see `list`)", call,
			  2 * CR_CALL_ID_BYTES);
		return -EINVAL;
	}
	cr_id_to_hex(id, hex); /* file names from our own encoding, never the raw argument */
	rc = cr_mkdir_p(outdir, 0700);
	if (rc < 0) {
		cra_error("%s: %s", outdir, strerror(-rc));
		return rc;
	}
	for (i = 0; i < NSTREAMS && rc == 0; i++)
		rc = open_temp(&files[i], outdir, hex, suffix[i]);
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
	for (i = 0; i < NSTREAMS && rc == 0; i++)
		rc = publish(&files[i]);
	if (rc == 0)
		rc = cr_fsync_dir(outdir);
	if (rc == 0)
		for (i = 0; i < NSTREAMS; i++)
			printf("%s (%llu bytes)\n", files[i].final, files[i].bytes);
out:
	for (i = 0; i < NSTREAMS; i++)
		discard(&files[i]);
	json_decref(req);
	return rc;
}
