/* Keys, certificates and CRLs for the fleet PKI, built with the GnuTLS x509 API only (no
 * certtool on the archive host). Keys are ECDSA P-256 for TLS (fast handshakes) and Ed25519 for
 * manifest signatures; private keys are exported as unencrypted PKCS#8 PEM, which GnuTLS,
 * OpenSSL and the daemons all read. */
#ifndef CALLREC_ARCHIVE_PKI_CERT_H
#define CALLREC_ARCHIVE_PKI_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define CRA_SERIAL_BYTES 16
#define CRA_CA_DAYS (10 * 365)
#define CRA_LEAF_DAYS (2 * 365)
#define CRA_MAX_SAN 4

enum cra_cert_kind {
	CRA_CERT_CA,     /* self-signed fleet CA: keyCertSign, cRLSign */
	CRA_CERT_SERVER, /* the archive: TLS server usage */
	CRA_CERT_CLIENT, /* devices and operators: TLS client usage */
};

struct cra_cert_req {
	enum cra_cert_kind kind;
	const char *cn;
	const char *ou;
	unsigned days;
	const char *dns[CRA_MAX_SAN]; /* subjectAltName DNS entries, NULL-terminated if fewer */
	const char *ips[CRA_MAX_SAN]; /* subjectAltName IP addresses (text), likewise */
};

/* The CA that signs leaves and CRLs. */
struct cra_issuer {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

int cra_key_new_ecdsa(gnutls_x509_privkey_t *out);
int cra_key_new_ed25519(gnutls_x509_privkey_t *out);

/* Build and sign a certificate for `key`. issuer NULL: self-signed (the CA). The random serial
 * is returned in serial[]. */
int cra_cert_new(const struct cra_cert_req *req, gnutls_x509_privkey_t key,
		 const struct cra_issuer *issuer, gnutls_x509_crt_t *out,
		 uint8_t serial[CRA_SERIAL_BYTES]);

/* PEM exports; free out->data with gnutls_free(). */
int cra_pem_cert(gnutls_x509_crt_t crt, gnutls_datum_t *out);
int cra_pem_key(gnutls_x509_privkey_t key, gnutls_datum_t *out);    /* PKCS#8, unencrypted */
int cra_pem_pubkey(gnutls_x509_privkey_t key, gnutls_datum_t *out); /* SubjectPublicKeyInfo */

/* Load ca.pem + ca.key from files. */
int cra_issuer_load(const char *cert_path, const char *key_path, struct cra_issuer *out);
void cra_issuer_free(struct cra_issuer *is);

/* A CRL signed by the issuer listing `n` serials (each CRA_SERIAL_BYTES, revoked at
 * when[i]), with CRL number `number`, as PEM. */
int cra_crl_new(const struct cra_issuer *is, const uint8_t (*serials)[CRA_SERIAL_BYTES],
		const time_t *when, size_t n, unsigned long number, gnutls_datum_t *out);

/* CRL number of a PEM CRL file, 0 when it has none. */
int cra_crl_number(const char *crl_path, unsigned long *out);

/* CN and OU of a PEM certificate file (the archive's name for agent.yaml). */
int cra_cert_subject(const char *cert_path, char *cn, size_t cnlen, char *ou, size_t oulen);

#endif
