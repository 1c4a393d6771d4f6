/* See tsp.h. The DER reader below takes definite lengths of at most four bytes and one-byte
 * tags, which is all DER of these structures needs, and checks every length against what is
 * left before it looks at a byte. */
#include "tsp.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

enum { T_INTEGER = 0x02, T_OCTETS = 0x04, T_OID = 0x06, T_GENTIME = 0x18, T_SEQ = 0x30 };

/* A span of DER still to be read. */
struct der {
	const uint8_t *p;
	size_t n;
};

/* The next element of *d: its tag, its value (into *val) and its whole encoding (into *all,
 * when not NULL); *d moves past it. 0 or -1 when malformed. */
static int der_take(struct der *d, uint8_t *tag, struct der *val, struct der *all)
{
	size_t len, head = 2, k;

	if (d->n < 2 || (d->p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = d->p[0];
	len = d->p[1];
	if (len & 0x80) {
		size_t nl = len & 0x7f;

		if (nl == 0 || nl > 4 || d->n - 2 < nl)
			return -1; /* 0: indefinite length, never DER */
		for (len = 0, k = 0; k < nl; k++)
			len = len << 8 | d->p[2 + k];
		head += nl;
	}
	if (len > d->n - head)
		return -1;
	val->p = d->p + head;
	val->n = len;
	if (all) {
		all->p = d->p;
		all->n = head + len;
	}
	d->p += head + len;
	d->n -= head + len;
	return 0;
}

/* The next element, which must have tag `want`. */
static int der_expect(struct der *d, uint8_t want, struct der *val)
{
	uint8_t tag;

	return der_take(d, &tag, val, NULL) == 0 && tag == want ? 0 : -1;
}

/* A small non-negative INTEGER (PKIStatus, version). */
static int der_small_int(const struct der *v, long *out)
{
	if (v->n < 1 || v->n > 2 || (v->p[0] & 0x80))
		return -1;
	*out = v->n == 1 ? v->p[0] : (long)v->p[0] << 8 | v->p[1];
	return 0;
}

int cra_tsp_token(const uint8_t *d, size_t n, const uint8_t **tok, size_t *tok_len)
{
	struct der in = { d, n }, outer, first, firstval, status, rest;
	uint8_t tag;
	long st;

	if (der_expect(&in, T_SEQ, &outer) < 0 || in.n != 0)
		return -EBADMSG;
	rest = outer;
	if (der_take(&rest, &tag, &firstval, &first) < 0)
		return -EBADMSG;
	if (tag == T_OID) {
		/* A ContentInfo: the token itself. */
		*tok = d;
		*tok_len = n;
		return 0;
	}
	/* TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL } */
	if (tag != T_SEQ || der_expect(&firstval, T_INTEGER, &status) < 0 ||
	    der_small_int(&status, &st) < 0)
		return -EBADMSG;
	if (st != 0 && st != 1)
		return -EACCES; /* rejection, waiting, revocation...: no timestamp */
	if (rest.n == 0)
		return -EACCES;
	if (der_take(&rest, &tag, &firstval, &first) < 0 || tag != T_SEQ || rest.n != 0)
		return -EBADMSG;
	*tok = first.p;
	*tok_len = first.n;
	return 0;
}

/* id-sha256, -384, -512 (2.16.840.1.101.3.4.2.1, .2, .3) without their last byte. */
static const uint8_t sha2_prefix[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02 };

static int imprint_alg(const struct der *oid, gnutls_digest_algorithm_t *alg, size_t *len)
{
	if (oid->n != sizeof(sha2_prefix) + 1 || memcmp(oid->p, sha2_prefix, sizeof(sha2_prefix)))
		return -1;
	switch (oid->p[sizeof(sha2_prefix)]) {
	case 1: *alg = GNUTLS_DIG_SHA256; *len = 32; return 0;
	case 2: *alg = GNUTLS_DIG_SHA384; *len = 48; return 0;
	case 3: *alg = GNUTLS_DIG_SHA512; *len = 64; return 0;
	default: return -1;
	}
}

/* GeneralizedTime "YYYYMMDDHHMMSS[.f...]Z" (RFC 3161 2.4.2: UTC, no local time) as ISO 8601. */
static int gen_time(const struct der *v, char *out, size_t outlen)
{
	const char *s = (const char *)v->p;
	size_t i, frac = 0;

	if (v->n < 15 || v->n > 14 + 1 + 9 + 1 || s[v->n - 1] != 'Z')
		return -1;
	for (i = 0; i < 14; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (v->n > 15) {
		if (s[14] != '.' || v->n < 17)
			return -1;
		frac = v->n - 16;
		for (i = 15; i < v->n - 1; i++)
			if (s[i] < '0' || s[i] > '9')
				return -1;
	}
	snprintf(out, outlen, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%s%.*sZ", s, s + 4, s + 6, s + 8,
		 s + 10, s + 12, frac ? "." : "", (int)frac, s + 15);
	return 0;
}

int cra_tstinfo_parse(const uint8_t *d, size_t n, struct cra_tstinfo *out)
{
	struct der in = { d, n }, tst, version, policy, imprint, algid, oid, hashed, serial, when;
	long v;

	memset(out, 0, sizeof(*out));
	/* TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy OID, messageImprint,
	 *   serialNumber INTEGER, genTime GeneralizedTime, ...optional fields } */
	if (der_expect(&in, T_SEQ, &tst) < 0 || in.n != 0 ||
	    der_expect(&tst, T_INTEGER, &version) < 0 || der_small_int(&version, &v) < 0 ||
	    v != 1 || der_expect(&tst, T_OID, &policy) < 0 ||
	    der_expect(&tst, T_SEQ, &imprint) < 0 || der_expect(&tst, T_INTEGER, &serial) < 0 ||
	    der_expect(&tst, T_GENTIME, &when) < 0)
		return -EBADMSG;
	/* MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage } */
	if (der_expect(&imprint, T_SEQ, &algid) < 0 || der_expect(&imprint, T_OCTETS, &hashed) < 0 ||
	    imprint.n != 0 || der_expect(&algid, T_OID, &oid) < 0 ||
	    imprint_alg(&oid, &out->alg, &out->imprint_len) < 0 || hashed.n != out->imprint_len ||
	    gen_time(&when, out->gen_time, sizeof(out->gen_time)) < 0)
		return -EBADMSG;
	memcpy(out->imprint, hashed.p, hashed.n);
	return 0;
}

#define TSTINFO_OID "1.2.840.113549.1.9.16.1.4" /* id-ct-TSTInfo */

static int fail(char *why, size_t whylen, int rc, const char *text, int gnutls_rc)
{
	snprintf(why, whylen, "%s%s%s", text, gnutls_rc ? ": " : "",
		 gnutls_rc ? gnutls_strerror(gnutls_rc) : "");
	return rc;
}

int cra_tsp_verify(const void *resp, size_t resp_len, const void *trust, size_t trust_len,
		   const void *data, size_t data_len, struct cra_tstinfo *info, char *why,
		   size_t whylen)
{
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
					   (unsigned char *)GNUTLS_KP_TIME_STAMPING, 0 };
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_pkcs7_t p7 = NULL;
	gnutls_datum_t tok, anchors = { (unsigned char *)trust, (unsigned)trust_len };
	gnutls_datum_t tst = { NULL, 0 };
	const char *oid;
	uint8_t digest[64];
	size_t tok_len;
	int rc, g;

	why[0] = '\0';
	if (resp_len > UINT_MAX || trust_len > UINT_MAX)
		return fail(why, whylen, -EFBIG, "too big", 0);
	rc = cra_tsp_token(resp, resp_len, (const uint8_t **)&tok.data, &tok_len);
	if (rc < 0)
		return fail(why, whylen, rc, rc == -EACCES ? "the authority refused the request, it "
				"holds no timestamp" : "not an RFC 3161 time-stamp response", 0);
	tok.size = (unsigned)tok_len;
	if (gnutls_pkcs7_init(&p7) < 0 || gnutls_x509_trust_list_init(&tl, 0) < 0) {
		rc = fail(why, whylen, -ENOMEM, "out of memory", 0);
		goto out;
	}
	g = gnutls_x509_trust_list_add_trust_mem(tl, &anchors, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	if (g <= 0) {
		rc = fail(why, whylen, -EINVAL, "the pinned file holds no PEM certificate", g < 0 ? g : 0);
		goto out;
	}
	g = gnutls_pkcs7_import(p7, &tok, GNUTLS_X509_FMT_DER);
	oid = g < 0 ? NULL : gnutls_pkcs7_get_embedded_data_oid(p7);
	if (!oid || strcmp(oid, TSTINFO_OID) != 0) {
		rc = fail(why, whylen, -EBADMSG, "not a time-stamp token", g);
		goto out;
	}
	/* The signature over the signed attributes, their digest of the TSTInfo, and the signer's
	 * certificate: the pinned one, or issued under it, allowed to stamp time. */
	g = gnutls_pkcs7_verify(p7, tl, &purpose, 1, 0, NULL, 0);
	if (g < 0) {
		rc = fail(why, whylen, -EKEYREJECTED, "not signed by the pinned time-stamping "
			  "authority", g);
		goto out;
	}
	g = gnutls_pkcs7_get_embedded_data(p7, 0, &tst);
	if (g < 0 || cra_tstinfo_parse(tst.data, tst.size, info) < 0) {
		rc = fail(why, whylen, -EBADMSG, "its TSTInfo cannot be read", g < 0 ? g : 0);
		goto out;
	}
	if (gnutls_hash_fast(info->alg, data, data_len, digest) < 0 ||
	    memcmp(digest, info->imprint, info->imprint_len) != 0) {
		rc = fail(why, whylen, -EBADMSG, "it stamps other data", 0);
		goto out;
	}
	rc = 0;
out:
	gnutls_free(tst.data);
	if (p7)
		gnutls_pkcs7_deinit(p7);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	return rc;
}
