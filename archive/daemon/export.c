/* Operator export: the call's WAV (stream 0) then its manifest (stream 1) as OP_DATA frames,
 * produced a piece at a time as the socket drains so a large export never blocks the loop or
 * sits in memory whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "op.h"

struct ad_export {
	int fd[2]; /* 0 audio.wav, 1 manifest.json */
	int stream;
};

void ad_export_free(struct ad_export *e)
{
	if (!e)
		return;
	for (int i = 0; i < 2; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	free(e);
}

int ad_export_start(struct ad_conn *c, struct ad_ctx *ctx, const char *hex)
{
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;
	struct ad_export *e;
	char dir[4096], path[4200];
	int rc;

	/* The path is built from the id we parsed and re-encode, never from the request text. */
	if (strlen(hex) != 2 * CR_CALL_ID_BYTES || cr_id_from_hex(hex, id) < 0)
		return ad_op_end(c, ENOENT, "no such call");
	rc = ad_store_call_get(ctx->store, id, &ci);
	if (rc == -ENOENT)
		return ad_op_end(c, ENOENT, "no such call");
	if (rc < 0)
		return ad_op_end(c, -rc, "index unavailable");
	if (strcmp(ci.state, "complete") != 0)
		return ad_op_end(c, EBUSY, "call still recording");
	rc = ad_store_call_dir(ctx->store, id, dir, sizeof(dir));
	if (rc < 0)
		return ad_op_end(c, -rc, "bad call directory");
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/audio.wav", dir);
	e->fd[0] = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	e->fd[1] = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd[0] < 0 || e->fd[1] < 0) {
		cr_err("export %s: cannot open the recording in %s: %m", ci.hex, dir);
		ad_export_free(e);
		return ad_op_end(c, EIO, "recording unreadable");
	}
	c->exp = e;
	return ad_export_pump(c);
}

int ad_export_pump(struct ad_conn *c)
{
	struct ad_export *e = c->exp;
	int rc;

	while (e && ad_buf_used(&c->tx) < AD_EXPORT_LOW_WATER) {
		uint8_t *p;
		ssize_t n;

		if (e->stream > 1) {
			ad_export_free(e);
			c->exp = NULL;
			return ad_op_end(c, 0, NULL);
		}
		rc = ad_buf_reserve(&c->tx, CR_FRAME_HDR + AD_OP_DATA_MAX);
		if (rc < 0)
			return rc;
		/* Read straight into the frame's place in tx; the header follows the read. */
		p = ad_buf_tail(&c->tx);
		do
			n = read(e->fd[e->stream], p + CR_FRAME_HDR + 1, AD_OP_DATA_MAX - 1);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			cr_err("export: read failed: %m");
			ad_export_free(e);
			c->exp = NULL;
			return ad_op_end(c, EIO, "read error");
		}
		if (n == 0) {
			e->stream++;
			continue;
		}
		cr_frame_put_hdr(p, CR_F_OP_DATA, (uint32_t)(n + 1));
		p[CR_FRAME_HDR] = (uint8_t)e->stream;
		ad_buf_commit(&c->tx, CR_FRAME_HDR + 1 + (size_t)n);
	}
	return 0;
}
