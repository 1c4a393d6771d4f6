/* RFC 3161 timestamps of the log's checkpoints (checkpoint.tsr in a bundle), checked offline
 * against a time-stamping authority's certificate the verifier pins.
 *
 * GnuTLS has no time-stamp protocol API, but a timestamp token is a CMS SignedData, which
 * GnuTLS verifies (gnutls_pkcs7_verify: the signature, the signed attributes, the signer's
 * chain to the pinned certificate and its timeStamping key purpose). What is around it, the
 * response's status and the signed TSTInfo (message imprint, time), is DER read here by code
 * that does no I/O and is fuzzed (tests/fuzz/fuzz_bundle.c). So verify needs neither OpenSSL
 * nor a subprocess. */
#ifndef CALLREC_ARCHIVE_TSP_H
#define CALLREC_ARCHIVE_TSP_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

/* What a timestamp says (RFC 3161 2.4.2, TSTInfo). */
struct cra_tstinfo {
	gnutls_digest_algorithm_t alg; /* of the message imprint: SHA-256, -384 or -512 */
	uint8_t imprint[64];           /* the stamped data's hash */
	size_t imprint_len;
	char gen_time[40]; /* when, as the authority says: "2026-05-04T10:11:12[.fff]Z" */
};

/* The TimeStampToken (a CMS ContentInfo) of a TimeStampResp, or of the token itself when the
 * bytes are one. 0 with *tok and *tok_len pointing into d; -EACCES when the response is a
 * refusal (status neither granted nor grantedWithMods, or no token); -EBADMSG otherwise. */
int cra_tsp_token(const uint8_t *d, size_t n, const uint8_t **tok, size_t *tok_len);

/* The DER of a TSTInfo into *out. 0 or -EBADMSG (also for imprints of other hashes). */
int cra_tstinfo_parse(const uint8_t *d, size_t n, struct cra_tstinfo *out);

/* The whole check: `resp` is a timestamp of exactly `data`, signed by a certificate that is, or
 * chains to, one of the PEM certificates in `trust` and may stamp time. 0 with *info filled;
 * otherwise a negative errno with the reason in why (NUL-terminated). */
int cra_tsp_verify(const void *resp, size_t resp_len, const void *trust, size_t trust_len,
		   const void *data, size_t data_len, struct cra_tstinfo *info, char *why,
		   size_t whylen);

#endif
