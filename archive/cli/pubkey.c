/* See pubkey.h. */
#include "pubkey.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <limits.h>

#include "hex.h"

int cra_pubkey_import(const void *data, size_t len, gnutls_pubkey_t *out)
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)len };
	gnutls_pubkey_t key;
	int rc;

	*out = NULL;
	if (len > UINT_MAX)
		return -EBADMSG;
	if (gnutls_pubkey_init(&key) < 0)
		return -ENOMEM;
	/* PEM as signing.pub is written; DER as `openssl pkey -outform DER` gives it. */
	if (gnutls_pubkey_import(key, &d, GNUTLS_X509_FMT_PEM) < 0 &&
	    gnutls_pubkey_import(key, &d, GNUTLS_X509_FMT_DER) < 0) {
		rc = -EBADMSG;
		goto fail;
	}
	if (gnutls_pubkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_EDDSA_ED25519) {
		rc = -EINVAL;
		goto fail;
	}
	*out = key;
	return 0;
fail:
	gnutls_pubkey_deinit(key);
	return rc;
}

int cra_pubkey_fingerprint(gnutls_pubkey_t key, char hex[CRA_FINGERPRINT_HEX])
{
	gnutls_datum_t der = { NULL, 0 };
	unsigned char digest[32];
	int rc = 0;

	if (gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, digest) < 0)
		rc = -EIO;
	else
		cr_hex_encode(digest, sizeof(digest), hex);
	gnutls_free(der.data);
	return rc;
}
