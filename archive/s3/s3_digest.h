/* The body digests S3 requests carry: x-amz-content-sha256 (hex SHA-256, part of the
 * signature) and Content-MD5 (base64 MD5, which the service checks against what arrived). */
#ifndef CALLREC_S3_DIGEST_H
#define CALLREC_S3_DIGEST_H

#include <stddef.h>

#define S3_SHA256_HEX_LEN 64
#define S3_MD5_BASE64_LEN 24

/* 0 or -errno; out gets S3_SHA256_HEX_LEN lower-case hex digits and a NUL. */
int s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_LEN + 1]);
/* 0 or -errno; out gets S3_MD5_BASE64_LEN base64 characters and a NUL. */
int s3_md5_base64(const void *data, size_t len, char out[S3_MD5_BASE64_LEN + 1]);

#endif
