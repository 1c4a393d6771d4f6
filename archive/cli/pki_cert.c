/* Certificate and CRL construction with the GnuTLS x509 API. See pki_cert.h. */
#include "pki_cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "cli_util.h"
#include "fsutil.h"

/* Certificates start a little in the past so that a desktop whose clock lags the archive host
 * by a few minutes still accepts them. */
#define CRA_BACKDATE_S 300

static int key_new(gnutls_pk_algorithm_t algo, unsigned bits, gnutls_x509_privkey_t *out)
{
	gnutls_x509_privkey_t key;
	int grc;

	grc = gnutls_x509_privkey_init(&key);
	if (grc < 0)
		return cra_gnutls_fail("key init", grc);
	grc = gnutls_x509_privkey_generate2(key, algo, bits, 0, NULL, 0);
	if (grc < 0) {
		gnutls_x509_privkey_deinit(key);
		return cra_gnutls_fail("key generation", grc);
	}
	*out = key;
	return 0;
}

int cra_key_new_ecdsa(gnutls_x509_privkey_t *out)
{
	return key_new(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), out);
}

int cra_key_new_ed25519(gnutls_x509_privkey_t *out)
{
	return key_new(GNUTLS_PK_EDDSA_ED25519, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519), out);
}

static int random_serial(uint8_t serial[CRA_SERIAL_BYTES])
{
	int grc = gnutls_rnd(GNUTLS_RND_NONCE, serial, CRA_SERIAL_BYTES);

	if (grc < 0)
		return cra_gnutls_fail("random serial", grc);
	/* DER integers are signed: keep it positive, and non-zero in the first byte so that its
	 * encoding (and hence the CRL entry) always has exactly CRA_SERIAL_BYTES bytes. */
	serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
	return 0;
}

static int set_dn(gnutls_x509_crt_t crt, const char *oid, const char *value)
{
	int grc = gnutls_x509_crt_set_dn_by_oid(crt, oid, 0, value, (unsigned)strlen(value));

	return grc < 0 ? cra_gnutls_fail("subject", grc) : 0;
}

static int set_sans(gnutls_x509_crt_t crt, const struct cra_cert_req *req)
{
	int grc, i;

	for (i = 0; i < CRA_MAX_SAN && req->dns[i]; i++) {
		grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, req->dns[i],
							   (unsigned)strlen(req->dns[i]),
							   GNUTLS_FSAN_APPEND);
		if (grc < 0)
			return cra_gnutls_fail("subjectAltName DNS", grc);
	}
	for (i = 0; i < CRA_MAX_SAN && req->ips[i]; i++) {
		unsigned char addr[16];
		unsigned len;

		/* GnuTLS wants the address in binary: 4 bytes for IPv4, 16 for IPv6. */
		if (inet_pton(AF_INET, req->ips[i], addr) == 1)
			len = 4;
		else if (inet_pton(AF_INET6, req->ips[i], addr) == 1)
			len = 16;
		else
			return -EINVAL;
		grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr, len,
							   GNUTLS_FSAN_APPEND);
		if (grc < 0)
			return cra_gnutls_fail("subjectAltName IP", grc);
	}
	return 0;
}

static int set_usage(gnutls_x509_crt_t crt, enum cra_cert_kind kind)
{
	int grc;

	if (kind == CRA_CERT_CA) {
		grc = gnutls_x509_crt_set_basic_constraints(crt, 1, 0);
		if (grc >= 0)
			grc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
								 GNUTLS_KEY_CRL_SIGN);
	} else {
		grc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
		if (grc >= 0)
			grc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
		if (grc >= 0)
			grc = gnutls_x509_crt_set_key_purpose_oid(
				crt, kind == CRA_CERT_SERVER ? GNUTLS_KP_TLS_WWW_SERVER
							     : GNUTLS_KP_TLS_WWW_CLIENT, 0);
	}
	return grc < 0 ? cra_gnutls_fail("key usage", grc) : 0;
}

/* Subject key id from our key; authority key id from the issuer's subject key id. */
static int set_key_ids(gnutls_x509_crt_t crt, const struct cra_issuer *issuer)
{
	unsigned char id[64];
	size_t len = sizeof(id);
	int grc;

	grc = gnutls_x509_crt_get_key_id(crt, 0, id, &len);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_subject_key_id(crt, id, len);
	if (grc >= 0 && issuer) {
		len = sizeof(id);
		grc = gnutls_x509_crt_get_subject_key_id(issuer->crt, id, &len, NULL);
		if (grc >= 0)
			grc = gnutls_x509_crt_set_authority_key_id(crt, id, len);
	} else if (grc >= 0) {
		grc = gnutls_x509_crt_set_authority_key_id(crt, id, len);
	}
	return grc < 0 ? cra_gnutls_fail("key identifiers", grc) : 0;
}

int cra_cert_new(const struct cra_cert_req *req, gnutls_x509_privkey_t key,
		 const struct cra_issuer *issuer, gnutls_x509_crt_t *out,
		 uint8_t serial[CRA_SERIAL_BYTES])
{
	gnutls_x509_crt_t crt = NULL;
	time_t now = time(NULL);
	int grc, rc;

	if ((req->kind == CRA_CERT_CA) != (issuer == NULL))
		return -EINVAL;
	grc = gnutls_x509_crt_init(&crt);
	if (grc < 0)
		return cra_gnutls_fail("certificate init", grc);
	rc = random_serial(serial);
	if (rc < 0)
		goto fail;
	grc = gnutls_x509_crt_set_version(crt, 3);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_serial(crt, serial, CRA_SERIAL_BYTES);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_activation_time(crt, now - CRA_BACKDATE_S);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)req->days * 86400);
	if (grc >= 0)
		grc = gnutls_x509_crt_set_key(crt, key);
	if (grc < 0) {
		rc = cra_gnutls_fail("certificate fields", grc);
		goto fail;
	}
	rc = set_dn(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, "callrec");
	if (rc == 0 && req->ou)
		rc = set_dn(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, req->ou);
	if (rc == 0)
		rc = set_dn(crt, GNUTLS_OID_X520_COMMON_NAME, req->cn);
	if (rc == 0)
		rc = set_sans(crt, req);
	if (rc == 0)
		rc = set_usage(crt, req->kind);
	if (rc == 0)
		rc = set_key_ids(crt, issuer);
	if (rc < 0)
		goto fail;
	if (issuer)
		grc = gnutls_x509_crt_sign2(crt, issuer->crt, issuer->key, GNUTLS_DIG_SHA256, 0);
	else
		grc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (grc < 0) {
		rc = cra_gnutls_fail("signing the certificate", grc);
		goto fail;
	}
	*out = crt;
	return 0;
fail:
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int cra_pem_cert(gnutls_x509_crt_t crt, gnutls_datum_t *out)
{
	int grc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, out);

	return grc < 0 ? cra_gnutls_fail("certificate export", grc) : 0;
}

int cra_pem_key(gnutls_x509_privkey_t key, gnutls_datum_t *out)
{
	int grc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
						    GNUTLS_PKCS_PLAIN, out);

	return grc < 0 ? cra_gnutls_fail("key export", grc) : 0;
}

int cra_pem_pubkey(gnutls_x509_privkey_t key, gnutls_datum_t *out)
{
	gnutls_privkey_t priv = NULL;
	gnutls_pubkey_t pub = NULL;
	int grc;

	grc = gnutls_privkey_init(&priv);
	if (grc >= 0)
		grc = gnutls_privkey_import_x509(priv, key, 0); /* borrows `key`, no copy */
	if (grc >= 0)
		grc = gnutls_pubkey_init(&pub);
	if (grc >= 0)
		grc = gnutls_pubkey_import_privkey(pub, priv, 0, 0);
	if (grc >= 0)
		grc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, out);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (priv)
		gnutls_privkey_deinit(priv);
	return grc < 0 ? cra_gnutls_fail("public key export", grc) : 0;
}

/* Read a PEM file into a datum (freed with free()). */
static int read_datum(const char *path, gnutls_datum_t *d)
{
	char *buf;
	size_t len;
	int rc = cr_read_file(path, 1024 * 1024, &buf, &len);

	if (rc < 0) {
		cra_error("%s: %s", path, strerror(-rc));
		return rc;
	}
	d->data = (unsigned char *)buf;
	d->size = (unsigned)len;
	return 0;
}

int cra_issuer_load(const char *cert_path, const char *key_path, struct cra_issuer *out)
{
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	int grc, rc;

	out->crt = NULL;
	out->key = NULL;
	rc = read_datum(cert_path, &cd);
	if (rc == 0)
		rc = read_datum(key_path, &kd);
	if (rc < 0)
		goto out;
	grc = gnutls_x509_crt_init(&out->crt);
	if (grc >= 0)
		grc = gnutls_x509_crt_import(out->crt, &cd, GNUTLS_X509_FMT_PEM);
	if (grc < 0) {
		rc = cra_gnutls_fail(cert_path, grc);
		goto out;
	}
	grc = gnutls_x509_privkey_init(&out->key);
	if (grc >= 0)
		grc = gnutls_x509_privkey_import2(out->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (grc < 0)
		rc = cra_gnutls_fail(key_path, grc);
out:
	if (kd.data) {
		gnutls_memset(kd.data, 0, kd.size); /* private key material */
		free(kd.data);
	}
	free(cd.data);
	if (rc < 0)
		cra_issuer_free(out);
	return rc;
}

void cra_issuer_free(struct cra_issuer *is)
{
	if (is->crt)
		gnutls_x509_crt_deinit(is->crt);
	if (is->key)
		gnutls_x509_privkey_deinit(is->key);
	is->crt = NULL;
	is->key = NULL;
}

int cra_crl_new(const struct cra_issuer *is, const uint8_t (*serials)[CRA_SERIAL_BYTES],
		const time_t *when, size_t n, unsigned long number, gnutls_datum_t *out)
{
	gnutls_x509_crl_t crl = NULL;
	unsigned char num[8], id[64];
	size_t idlen = sizeof(id), i;
	time_t now = time(NULL), ca_end;
	int grc;

	grc = gnutls_x509_crl_init(&crl);
	if (grc < 0)
		return cra_gnutls_fail("CRL init", grc);
	for (i = 0; i < sizeof(num); i++)
		num[i] = (unsigned char)((unsigned long long)number >> (8 * (7 - i)));
	/* nextUpdate: nothing re-issues the CRL on a schedule, so it stays valid as long as the
	 * CA does; every `pki revoke` issues a new one with a higher number. */
	ca_end = gnutls_x509_crt_get_expiration_time(is->crt);
	grc = gnutls_x509_crl_set_version(crl, 2);
	if (grc >= 0)
		grc = gnutls_x509_crl_set_this_update(crl, now - CRA_BACKDATE_S);
	if (grc >= 0)
		grc = gnutls_x509_crl_set_next_update(crl, ca_end > now ? ca_end : now + 86400);
	if (grc >= 0)
		grc = gnutls_x509_crl_set_number(crl, num, sizeof(num));
	if (grc >= 0 && gnutls_x509_crt_get_subject_key_id(is->crt, id, &idlen, NULL) >= 0)
		grc = gnutls_x509_crl_set_authority_key_id(crl, id, idlen);
	for (i = 0; grc >= 0 && i < n; i++)
		grc = gnutls_x509_crl_set_crt_serial(crl, serials[i], CRA_SERIAL_BYTES, when[i]);
	if (grc >= 0)
		grc = gnutls_x509_crl_sign2(crl, is->crt, is->key, GNUTLS_DIG_SHA256, 0);
	if (grc >= 0)
		grc = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, out);
	gnutls_x509_crl_deinit(crl);
	return grc < 0 ? cra_gnutls_fail("CRL", grc) : 0;
}

int cra_crl_number(const char *crl_path, unsigned long *out)
{
	gnutls_datum_t d;
	gnutls_x509_crl_t crl = NULL;
	unsigned char num[32];
	size_t len = sizeof(num), i;
	unsigned int critical;
	int grc, rc;

	rc = read_datum(crl_path, &d);
	if (rc < 0)
		return rc;
	grc = gnutls_x509_crl_init(&crl);
	if (grc >= 0)
		grc = gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_PEM);
	if (grc < 0) {
		rc = cra_gnutls_fail(crl_path, grc);
		goto out;
	}
	*out = 0;
	grc = gnutls_x509_crl_get_number(crl, num, &len, &critical);
	if (grc >= 0)
		for (i = 0; i < len; i++)
			*out = (*out << 8) | num[i];
out:
	if (crl)
		gnutls_x509_crl_deinit(crl);
	free(d.data);
	return rc;
}

int cra_cert_subject(const char *cert_path, char *cn, size_t cnlen, char *ou, size_t oulen)
{
	gnutls_datum_t d;
	gnutls_x509_crt_t crt = NULL;
	int grc, rc;

	rc = read_datum(cert_path, &d);
	if (rc < 0)
		return rc;
	grc = gnutls_x509_crt_init(&crt);
	if (grc >= 0)
		grc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (grc >= 0)
		grc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
						    &cnlen);
	if (grc >= 0)
		grc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME,
						    0, 0, ou, &oulen);
	if (grc < 0)
		rc = cra_gnutls_fail(cert_path, grc);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	free(d.data);
	return rc;
}
