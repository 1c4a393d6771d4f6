/* Body digests with GnuTLS. See s3_digest.h. */
#include "s3_digest.h"

#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "hex.h"

int s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_LEN + 1])
{
	unsigned char d[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d) < 0)
		return -EIO;
	cr_hex_encode(d, sizeof(d), out);
	return 0;
}

int s3_md5_base64(const void *data, size_t len, char out[S3_MD5_BASE64_LEN + 1])
{
	unsigned char d[16];
	gnutls_datum_t in = { d, sizeof(d) }, b64 = { NULL, 0 };
	int rc = -EIO;

	/* MD5 here is the service's transfer check that S3 defines, not a security measure. */
	if (gnutls_hash_fast(GNUTLS_DIG_MD5, data, len, d) < 0)
		return -EIO;
	if (gnutls_base64_encode2(&in, &b64) < 0)
		return -ENOMEM;
	if (b64.size == S3_MD5_BASE64_LEN) {
		memcpy(out, b64.data, S3_MD5_BASE64_LEN);
		out[S3_MD5_BASE64_LEN] = '\0';
		rc = 0;
	}
	gnutls_free(b64.data);
	return rc;
}
