/* Canonical object paths and query strings. See s3_canon.h. */
#include "s3_canon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

static bool unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

long s3_uri_encode(const char *in, size_t len, bool keep_slash, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (unreserved(ch) || (keep_slash && ch == '/')) {
			if (o + 1 >= size)
				return -ENAMETOOLONG;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= size)
				return -ENAMETOOLONG;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (o >= size)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return (long)o;
}

struct encoded_param {
	char *name, *value;
};

static int cmp_param(const void *a, const void *b)
{
	const struct encoded_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	size_t size = 3 * len + 1;
	char *out = malloc(size);

	if (out && s3_uri_encode(s ? s : "", len, false, out, size) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

long s3_canonical_query(const struct s3_param *params, size_t n, char *out, size_t size)
{
	struct encoded_param *enc;
	size_t o = 0, i;
	long rc = 0;

	if (size == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (n == 0)
		return 0;
	enc = calloc(n, sizeof(*enc));
	if (!enc)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		enc[i].name = encode_dup(params[i].name);
		enc[i].value = encode_dup(params[i].value);
		if (!enc[i].name || !enc[i].value) {
			rc = -ENOMEM;
			goto out;
		}
	}
	qsort(enc, n, sizeof(*enc), cmp_param);
	for (i = 0; i < n; i++) {
		size_t nl = strlen(enc[i].name), vl = strlen(enc[i].value);

		/* '&' (if not first) NAME '=' VALUE and the final NUL */
		if (o + (i > 0) + nl + 1 + vl + 1 > size) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		if (i > 0)
			out[o++] = '&';
		memcpy(out + o, enc[i].name, nl);
		o += nl;
		out[o++] = '=';
		memcpy(out + o, enc[i].value, vl);
		o += vl;
	}
	out[o] = '\0';
	rc = (long)o;
out:
	for (i = 0; i < n; i++) {
		free(enc[i].name);
		free(enc[i].value);
	}
	free(enc);
	if (rc < 0)
		out[0] = '\0';
	return rc;
}

long s3_object_path(const char *bucket, const char *key, char *out, size_t size)
{
	size_t bl = strlen(bucket);
	long kl;

	if (bl + 2 > size)
		return -ENAMETOOLONG;
	out[0] = '/';
	memcpy(out + 1, bucket, bl);
	out[bl + 1] = '\0';
	if (!key)
		return (long)(bl + 1);
	if (bl + 3 > size)
		return -ENAMETOOLONG;
	out[bl + 1] = '/';
	kl = s3_uri_encode(key, strlen(key), true, out + bl + 2, size - bl - 2);
	if (kl < 0) {
		out[0] = '\0';
		return kl;
	}
	return (long)(bl + 2) + kl;
}

bool s3_valid_bucket(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len < 3 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && ((ch != '.' && ch != '-') || i == 0 || i == len - 1))
			return false;
	}
	return true;
}

bool s3_valid_key(const char *key)
{
	size_t len = key ? strlen(key) : 0;

	return len >= 1 && len <= S3_KEY_MAX;
}

bool s3_valid_region(const char *region)
{
	size_t len = region ? strlen(region) : 0;

	if (len < 1 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = region[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	return true;
}
