/* The parts of a request that Signature Version 4 signs exactly as written: the encoded
 * object path and the query string. libcurl signs the URL it is given without normalising
 * it, while the service rebuilds the canonical form from what it received; the two agree
 * only if the URL is already canonical: every byte outside A-Z a-z 0-9 - _ . ~ encoded as
 * %XX (upper case), query parameters sorted by name, each written NAME=VALUE even when the
 * value is empty ("?retention=&versionId=V"). Pure functions, no I/O. */
#ifndef CALLREC_S3_CANON_H
#define CALLREC_S3_CANON_H

#include <stdbool.h>
#include <stddef.h>

struct s3_param {
	const char *name;
	const char *value; /* NULL is the same as "" */
};

/* Writes in (len bytes) URI-encoded to out (size bytes, NUL-terminated), keeping '/' when
 * keep_slash (object paths). Returns the encoded length or -ENAMETOOLONG. */
long s3_uri_encode(const char *in, size_t len, bool keep_slash, char *out, size_t size);

/* The canonical query string of n parameters (in any order) into out: returns its length
 * (0 for none) or -ENAMETOOLONG, -ENOMEM. */
long s3_canonical_query(const struct s3_param *params, size_t n, char *out, size_t size);

/* "/BUCKET/ENCODED-KEY" (key NULL: "/BUCKET") into out. Length or -ENAMETOOLONG. */
long s3_object_path(const char *bucket, const char *key, char *out, size_t size);

/* Names S3 accepts, checked before anything is sent: bucket 3-63 of a-z 0-9 . - starting
 * and ending with a letter or digit; key 1-S3_KEY_MAX bytes; region letters, digits, - _ . (it
 * ends up in the signature scope and in XML). */
bool s3_valid_bucket(const char *name);
bool s3_valid_key(const char *key);
bool s3_valid_region(const char *region);

#endif
