/* Operator request "export": the call's WAV (stream 0, decrypted from its object), its
 * manifest (stream 1) and, when the request asks for a bundle, the manifest's Ed25519
 * signature (stream 2, 64 raw bytes), its inclusion proof in the log (stream 3, JSON) and the
 * proof's own Ed25519 signature (stream 4: the proof's position and size are then bound to
 * the archive as much as its hashes, so no byte of it can change unnoticed) as OP_DATA
 * frames, produced a piece at a time as the socket drains so a large export never blocks the
 * loop or sits in memory whole. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ops/request.h"
#include "record/mlog.h"
#include "rights/access.h"
#include "rights/audit.h"
#include "vault/crypt.h"

#define NSTREAMS 5

struct ad_export {
	struct ad_obj_reader rd[2]; /* 0 audio.wav, 1 manifest.json */
	int open[2];
	uint8_t *mem[NSTREAMS];     /* 2 signature, 3 proof, 4 proof signature */
	size_t memlen[NSTREAMS], memoff[NSTREAMS];
	int stream;
};

void ad_export_free(struct ad_export *e)
{
	if (!e)
		return;
	for (int i = 0; i < 2; i++)
		if (e->open[i])
			ad_obj_close(&e->rd[i]);
	for (int i = 0; i < NSTREAMS; i++)
		free(e->mem[i]);
	free(e);
}

static int proof_text(struct ad_archive *ar, const uint8_t *id, uint64_t size,
		      struct ad_export *e)
{
	json_t *p = NULL;
	char *text;
	int rc = ad_mlog_proof(ar->store, id, size, &p);

	if (rc < 0)
		return rc;
	text = json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(p);
	if (!text)
		return -ENOMEM;
	e->mem[3] = (uint8_t *)text;
	e->memlen[3] = strlen(text);
	e->mem[4] = malloc(AD_SIG_BYTES);
	if (!e->mem[4])
		return -ENOMEM;
	e->memlen[4] = AD_SIG_BYTES;
	return ad_vault_sign(ar->vault, e->mem[3], e->memlen[3], e->mem[4]);
}

/* The export of a call the operator may retrieve, in state `state`. */
static int export_start(struct ad_conn *c, struct ad_archive *ar, const uint8_t *id,
			const char *hex, const char *state, int bundle, uint64_t tree_size)
{
	uint8_t key[AD_KEY_BYTES];
	struct ad_export *e;
	int rc;

	if (strcmp(state, "erased") == 0 || strcmp(state, "erasing") == 0)
		return ad_op_end(c, ENOENT, "call erased");
	if (strcmp(state, "complete") != 0)
		return ad_op_end(c, EBUSY, "call still recording");
	rc = ad_store_call_key(ar->store, id, key);
	if (rc < 0)
		return ad_op_end(c, rc == -ENOENT ? ENOENT : EIO, "call key unavailable");
	e = calloc(1, sizeof(*e));
	if (!e) {
		gnutls_memset(key, 0, sizeof(key));
		return -ENOMEM;
	}
	rc = ad_obj_open(&e->rd[0], key, AD_OBJ_AUDIO, ad_store_objects(ar->store), id,
			 "audio.wav");
	e->open[0] = rc == 0;
	if (rc == 0) {
		rc = ad_obj_open(&e->rd[1], key, AD_OBJ_MANIFEST, ad_store_objects(ar->store), id,
				 "manifest.json");
		e->open[1] = rc == 0;
	}
	gnutls_memset(key, 0, sizeof(key));
	if (rc == 0 && bundle) {
		e->mem[2] = malloc(AD_SIG_BYTES);
		rc = e->mem[2] ? ad_mlog_signature(ar->store, id, e->mem[2]) : -ENOMEM;
		e->memlen[2] = AD_SIG_BYTES;
	}
	if (rc == 0 && bundle && tree_size)
		rc = proof_text(ar, id, tree_size, e);
	if (rc < 0) {
		cr_err("export %s: cannot open the recording: %s", hex, strerror(-rc));
		ad_export_free(e);
		return ad_op_end(c, EIO, "recording unreadable");
	}
	c->exp = e;
	return ad_export_pump(c);
}

int ad_op_export(struct ad_conn *c, struct ad_archive *ar, json_t *j)
{
	uint8_t id[CR_CALL_ID_BYTES];
	struct ad_call_info ci;
	json_t *size = json_object_get(j, "tree_size");
	char hex[33];
	int rc;

	if (ad_op_call_id(c, j, id, hex) < 0) {
		ad_audit(ar->audit, c->cn, c->grant, "export", NULL, "refused", "no such call");
		return 0;
	}
	rc = ar->index->ops->call_get(ar->index, id, &ci);
	if (rc == 0 && !ad_may_retrieve(c->grant, ci.meta_json)) {
		cr_warn("operator %s (%s): export of %s refused: role not in the purpose's access",
			c->cn, c->grant, hex);
		ad_audit(ar->audit, c->cn, c->grant, "export", hex, "refused",
			 "role not in the purpose's access list");
		return ad_op_end(c, EACCES, "your role may not retrieve this recording");
	}
	ad_audit(ar->audit, c->cn, c->grant, "export", hex, rc == 0 ? "ok" : "error",
		 rc == 0 ? "" : "no such call");
	if (rc == -ENOENT)
		return ad_op_end(c, ENOENT, "no such call");
	if (rc < 0)
		return ad_op_end(c, -rc, "index unavailable");
	return export_start(c, ar, id, hex, ci.state, json_is_true(json_object_get(j, "bundle")),
			    json_is_integer(size) && json_integer_value(size) > 0 ?
			    (uint64_t)json_integer_value(size) : 0);
}

/* Next bytes of the current stream into p (at most max); 0 at its end, <0 on error. */
static ssize_t next_bytes(struct ad_export *e, uint8_t *p, size_t max)
{
	int s = e->stream;
	size_t n;

	if (s < 2)
		return ad_obj_read(&e->rd[s], p, max);
	n = e->memlen[s] - e->memoff[s];
	if (n > max)
		n = max;
	if (n)
		memcpy(p, e->mem[s] + e->memoff[s], n);
	e->memoff[s] += n;
	return (ssize_t)n;
}

int ad_export_pump(struct ad_conn *c)
{
	struct ad_export *e = c->exp;
	int rc;

	while (e && ad_buf_used(&c->tx) < AD_EXPORT_LOW_WATER) {
		uint8_t *p;
		ssize_t n;

		if (e->stream >= NSTREAMS) {
			ad_export_free(e);
			c->exp = NULL;
			return ad_op_end(c, 0, NULL);
		}
		rc = ad_buf_reserve(&c->tx, CR_FRAME_HDR + AD_OP_DATA_MAX);
		if (rc < 0)
			return rc;
		/* Decrypt straight into the frame's place in tx; the header follows the read. */
		p = ad_buf_tail(&c->tx);
		n = next_bytes(e, p + CR_FRAME_HDR + 1, AD_OP_DATA_MAX - 1);
		if (n < 0) {
			cr_err("export: stream %d unreadable: %s", e->stream, strerror((int)-n));
			ad_export_free(e);
			c->exp = NULL;
			return ad_op_end(c, EIO, n == -EBADMSG ? "recording altered on disk"
								: "read error");
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
