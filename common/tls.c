/* GnuTLS credentials and peer identity for callrec's mutual TLS. */
#include "tls.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <gnutls/x509.h>

int cr_tls_creds_load(gnutls_certificate_credentials_t *out, const char *ca, const char *cert,
		      const char *key, const char *crl)
{
	gnutls_certificate_credentials_t cred;
	int rc;

	rc = gnutls_certificate_allocate_credentials(&cred);
	if (rc < 0)
		return -ENOMEM;
	rc = gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM);
	if (rc <= 0) {
		cr_err("%s: cannot load CA certificate: %s", ca,
		       rc < 0 ? gnutls_strerror(rc) : "no certificate in file");
		goto fail;
	}
	if (crl && *crl) {
		rc = gnutls_certificate_set_x509_crl_file(cred, crl, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			cr_err("%s: cannot load CRL: %s", crl, gnutls_strerror(rc));
			goto fail;
		}
	}
	if (cert && key) {
		rc = gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			cr_err("%s, %s: cannot load certificate and key: %s", cert, key,
			       gnutls_strerror(rc));
			goto fail;
		}
	}
	*out = cred;
	return 0;
fail:
	gnutls_certificate_free_credentials(cred);
	return -EINVAL;
}

static int dn_part(gnutls_x509_crt_t crt, const char *oid, char out[CR_NAME_MAX])
{
	size_t len = CR_NAME_MAX;

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, out, &len) < 0)
		return -EACCES;
	out[CR_NAME_MAX - 1] = '\0';
	return 0;
}

int cr_tls_peer_identity(gnutls_session_t s, const char *hostname, char cn[CR_NAME_MAX],
			 char ou[CR_NAME_MAX])
{
	const gnutls_datum_t *certs;
	unsigned int n = 0, status = 0;
	gnutls_x509_crt_t crt;
	int rc;

	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0) {
		cr_warn("peer presented no certificate");
		return -EACCES;
	}
	rc = gnutls_certificate_verify_peers3(s, hostname, &status);
	if (rc < 0) {
		cr_warn("peer certificate verification failed: %s", gnutls_strerror(rc));
		return -EACCES;
	}
	if (status != 0) {
		gnutls_datum_t why = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) >= 0) {
			cr_warn("peer certificate refused: %s", why.data);
			gnutls_free(why.data);
		} else {
			cr_warn("peer certificate refused (status 0x%x)", status);
		}
		return -EACCES;
	}
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	rc = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
	if (rc >= 0)
		rc = dn_part(crt, GNUTLS_OID_X520_COMMON_NAME, cn);
	if (rc >= 0)
		rc = dn_part(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, ou);
	gnutls_x509_crt_deinit(crt);
	if (rc < 0) {
		cr_warn("peer certificate lacks CN or OU");
		return -EACCES;
	}
	if (!cr_name_valid(cn)) {
		cr_warn("peer certificate CN is not a valid name");
		return -EACCES;
	}
	return 0;
}

int cr_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
