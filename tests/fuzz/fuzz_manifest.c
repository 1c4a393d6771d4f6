/* libFuzzer target: manifests from untrusted sources, both ends.
 *  - the archive building a call's manifest (and its retention deadline, access decisions
 *    and `list` entry) from the CALL_OPEN metadata and CALL_CLOSE JSON an agent sent: the
 *    agent is authenticated but not trusted;
 *  - `callrec-archive verify` checking one exported call: the manifest, its inclusion proof
 *    and the checkpoint come from a bundle anyone may have edited.
 *
 * Input: one flag byte, then parts separated by 0xff (never in JSON or PEM text); a part that
 * is the single byte 0xfe, or is left out at the end, is a missing file or field; the last
 * part (the WAV) takes the rest:
 *   meta, close, software, timeline, manifest, proof, checkpoint, id, manifest.sig,
 *   proof.sig, checkpoint.sig, key, wav
 * timeline: byte pairs (silence before the chunk, chunk length) in 10 ms units, an odd last
 * byte is silence after the last chunk; it stands for what the assembler found in the index.
 * Flags: SIGN replaces the three signatures by valid ones from a fixed test key, so that
 * mutated manifests, proofs and checkpoints get past the signature checks into parsing;
 * KEY trusts the key part (PEM) instead of the test key. The other bits pick the call's state. */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../archive/cli/verify_core.h"
#include "rights/access.h"
#include "record/manifest.h"
#include "ops/request.h"
#include "rights/retention.h"

enum {
	P_META, P_CLOSE, P_SOFTWARE, P_TIMELINE, P_MANIFEST, P_PROOF, P_CHECKPOINT, P_ID, P_SIG,
	P_PROOF_SIG, P_CP_SIG, P_KEY, P_WAV, NPARTS
};
#define F_SIGN 0x01
#define F_KEY 0x02
#define F_HOLD 0x04
#define F_ERASED 0x08
#define F_STATE 0x30 /* two bits: which state a live call is in */
#define UNIT 160u    /* 10 ms at 16 kHz */
#define MAX_CHUNKS 256

/* Parts as the product sees them: NUL-terminated heap copies (files and index rows are), so
 * that ASan notices a read past the end. */
struct part {
	char *data; /* NULL: missing */
	size_t len;
};

static gnutls_privkey_t test_key;
static char *test_pem;
static size_t test_pem_len;

/* RFC 8032 7.1 TEST 1: a published key, so it can sign nothing that matters. */
static const uint8_t k_priv[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c,
	0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
	0x7f, 0x60 };
static const uint8_t k_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07,
	0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
	0x51, 0x1a };

static void setup(void)
{
	gnutls_datum_t x = { (unsigned char *)k_pub, 32 }, k = { (unsigned char *)k_priv, 32 };
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_pubkey_t pub;

	if (gnutls_privkey_init(&test_key) < 0 ||
	    gnutls_privkey_import_ecc_raw(test_key, GNUTLS_ECC_CURVE_ED25519, &x, NULL, &k) < 0 ||
	    gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_privkey(pub, test_key, 0, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &pem) < 0)
		abort();
	gnutls_pubkey_deinit(pub);
	test_pem = malloc(pem.size + 1);
	if (!test_pem)
		abort();
	memcpy(test_pem, pem.data, pem.size);
	test_pem[pem.size] = '\0';
	test_pem_len = pem.size;
	gnutls_free(pem.data);
}

static void split(const uint8_t *data, size_t size, struct part *p)
{
	size_t i, start = 0;
	int n = 0;

	memset(p, 0, NPARTS * sizeof(*p));
	for (i = 0; i <= size && n < NPARTS; i++) {
		size_t len = i - start;

		if (i < size && (data[i] != 0xff || n == NPARTS - 1))
			continue;
		if (len != 1 || data[start] != 0xfe) {
			p[n].data = malloc(len + 1);
			if (!p[n].data)
				abort();
			memcpy(p[n].data, data + start, len);
			p[n].data[len] = '\0';
			p[n].len = len;
		}
		n++;
		start = i + 1;
	}
}

/* What the archive keeps of a CALL_OPEN or CALL_CLOSE (store_stage.c): a JSON object of
 * bounded size without NUL bytes; anything else never reaches the index. */
static const char *as_stored(const struct part *p)
{
	json_t *j;
	int ok;

	if (!p->data || p->len > CR_FRAME_MAX_JSON || memchr(p->data, 0, p->len))
		return NULL;
	j = json_loadb(p->data, p->len, JSON_REJECT_DUPLICATES, NULL);
	ok = json_is_object(j);
	json_decref(j);
	return ok ? p->data : NULL;
}

/* Chunks and holes as the assembler finds them (assemble.c write_audio). */
static size_t timeline(const struct part *p, struct ad_chunk_info *c, struct ad_hole *h,
		       size_t *nholes, uint64_t *total)
{
	const uint8_t *b = (const uint8_t *)p->data;
	uint64_t pos = 0;
	size_t i, n = 0;

	*nholes = 0;
	for (i = 0; b && i + 1 < p->len && n < MAX_CHUNKS; i += 2, n++) {
		if (b[i]) {
			h[*nholes].start_frame = pos;
			h[(*nholes)++].frames = (uint64_t)b[i] * UNIT;
			pos += (uint64_t)b[i] * UNIT;
		}
		memset(&c[n], 0, sizeof(c[n]));
		c[n].seq = n + 1;
		c[n].start_frame = pos;
		c[n].frames = (uint32_t)(b[i + 1] + 1u) * UNIT;
		memset(c[n].sha256, (int)(n & 0xff), sizeof(c[n].sha256));
		pos += c[n].frames;
	}
	if (b && i < p->len && n < MAX_CHUNKS && b[i]) {
		h[*nholes].start_frame = pos;
		h[(*nholes)++].frames = (uint64_t)b[i] * UNIT;
		pos += (uint64_t)b[i] * UNIT;
	}
	*total = pos;
	return n;
}

static void daemon_side(const struct part *p, const char *hex, uint8_t flags)
{
	static const char *const states[] = { "complete", "recording", "closing", "erasing" };
	static const char *const roles[] = { "dpo", "admin", "legal", "trainer", "" };
	static struct ad_chunk_info chunks[MAX_CHUNKS];
	static struct ad_hole holes[MAX_CHUNKS + 1];
	struct ad_call_info ci;
	struct ad_manifest_in in;
	json_t *m, *back, *entry;
	char *text;
	size_t i;

	memset(&ci, 0, sizeof(ci));
	memcpy(ci.hex, hex, sizeof(ci.hex));
	if (cr_id_from_hex(hex, ci.id) < 0)
		abort();
	ci.device = "desk1";
	ci.meta_json = as_stored(&p[P_META]);
	ci.close_json = as_stored(&p[P_CLOSE]);
	ci.software = p[P_SOFTWARE].data;
	ci.state = states[(flags & F_STATE) >> 4];
	ci.expires = ad_retention_deadline(ci.meta_json);
	if (flags & F_HOLD) {
		ci.hold_reason = "case 17";
		ci.hold_by = "legal1";
		ci.release_by = flags & F_SIGN ? "legal2" : NULL;
	}
	if (flags & F_ERASED) {
		ci.state = "erased";
		ci.erase_reason = "subject's request";
		ci.erased_at = ci.expires;
	}
	memset(&in, 0, sizeof(in));
	in.call = &ci;
	in.chunks = chunks;
	in.holes = holes;
	in.nchunks = timeline(&p[P_TIMELINE], chunks, holes, &in.nholes, &in.total_frames);
	in.audio_sha256_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	in.expires = ci.expires;

	/* As assemble.c writes it: the bytes that get signed and logged must be readable
	 * JSON again, or `show` and the export summary lose the call. */
	m = ad_manifest_build(&in);
	text = m ? json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!m || !text)
		abort();
	back = json_loads(text, 0, NULL);
	if (!back || !json_equal(back, m))
		__builtin_trap();
	json_decref(back);
	json_decref(m);
	free(text);

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		(void)ad_may_retrieve(roles[i], ci.meta_json);
	entry = ad_op_list_entry(&ci);
	text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	if (!entry || !text)
		abort();
	json_decref(entry);
	free(text);
}

static struct cra_vfile vf(const struct part *p)
{
	struct cra_vfile f = { p->data, p->len };

	return f;
}

/* Signature part `s`, or with F_SIGN a valid signature of part `d` (kept in *mine). */
static struct cra_vfile sig_of(const struct part *p, int d, int s, uint8_t flags,
			       gnutls_datum_t *mine)
{
	gnutls_datum_t data = { (unsigned char *)p[d].data, (unsigned)p[d].len };
	struct cra_vfile f = vf(&p[s]);

	if ((flags & F_SIGN) && p[d].data &&
	    gnutls_privkey_sign_data2(test_key, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, mine) == 0) {
		f.data = (const char *)mine->data;
		f.len = mine->size;
	}
	return f;
}

static void verify_side(const struct part *p, const char *id, uint8_t flags)
{
	gnutls_datum_t s[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	struct cra_verifier v;
	struct cra_call_files f;
	struct cra_vfile cp, cp_sig;
	char *report = NULL;
	size_t len = 0, mark;
	FILE *out = open_memstream(&report, &len);
	int rc, i;

	if (!out)
		abort();
	cra_verifier_init(&v, out);
	if (flags & F_KEY)
		rc = p[P_KEY].data ? cra_verifier_key(&v, p[P_KEY].data, p[P_KEY].len, "key") : 1;
	else
		rc = cra_verifier_key(&v, test_pem, test_pem_len, NULL);
	if (rc == 0) {
		cp = vf(&p[P_CHECKPOINT]);
		cp_sig = sig_of(p, P_CHECKPOINT, P_CP_SIG, flags, &s[0]);
		(void)cra_verifier_checkpoint(&v, &cp, &cp_sig);
		fflush(out);
		mark = len;
		f.manifest = vf(&p[P_MANIFEST]);
		f.wav = vf(&p[P_WAV]);
		f.sig = sig_of(p, P_MANIFEST, P_SIG, flags, &s[1]);
		f.proof = vf(&p[P_PROOF]);
		f.proof_sig = sig_of(p, P_PROOF, P_PROOF_SIG, flags, &s[2]);
		rc = cra_verifier_call(&v, id, &f);
		fflush(out);
		/* The verdict and the report agree: OK exactly when nothing was ALTERED. */
		if ((rc != 0 && rc != 1) || (rc == 0) != !strstr(report + mark, "ALTERED ") ||
		    (rc == 0) != !!strstr(report + mark, "OK "))
			__builtin_trap();
	}
	cra_verifier_free(&v);
	fclose(out);
	free(report);
	for (i = 0; i < 3; i++)
		gnutls_free(s[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part p[NPARTS];
	char id[33] = "0123456789abcdef0123456789abcdef";
	uint8_t flags;
	int i;

	if (!test_key)
		setup();
	if (size == 0)
		return 0;
	flags = data[0];
	split(data + 1, size - 1, p);
	if (p[P_ID].data && p[P_ID].len == 32 &&
	    strspn(p[P_ID].data, "0123456789abcdef") == 32)
		memcpy(id, p[P_ID].data, 32);
	daemon_side(p, id, flags);
	verify_side(p, id, flags);
	for (i = 0; i < NPARTS; i++)
		free(p[i].data);
	return 0;
}
