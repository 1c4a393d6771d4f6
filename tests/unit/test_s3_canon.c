/* The S3 client's pure pieces that end up in signed requests: URI encoding of keys, canonical
 * query strings (the order and "name=" form S3 servers rebuild), object paths, name checks,
 * body digests and ISO 8601 timestamps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../archive/s3/s3.h"
#include "../../archive/s3/s3_canon.h"
#include "../../archive/s3/s3_digest.h"
#include "../../archive/s3/s3_errmap.h"
#include "../../archive/s3/s3_time.h"

static void test_uri_encode(void **state)
{
	(void)state;
	char out[64];
	const char *utf8 = "\xC3\xA9"; /* é */

	assert_int_equal(s3_uri_encode("a b/c~d", 7, true, out, sizeof(out)), 9);
	assert_string_equal(out, "a%20b/c~d");
	assert_int_equal(s3_uri_encode("a b/c~d", 7, false, out, sizeof(out)), 11);
	assert_string_equal(out, "a%20b%2Fc~d");
	s3_uri_encode("+*%=&?#", 7, true, out, sizeof(out));
	assert_string_equal(out, "%2B%2A%25%3D%26%3F%23");
	s3_uri_encode(utf8, 2, true, out, sizeof(out));
	assert_string_equal(out, "%C3%A9");
	s3_uri_encode("AZaz09-_.~", 10, false, out, sizeof(out));
	assert_string_equal(out, "AZaz09-_.~");
	/* Bytes are encoded, including NUL and the high ones, in upper-case hex. */
	s3_uri_encode("\x00\xff", 2, false, out, sizeof(out));
	assert_string_equal(out, "%00%FF");
	/* The output and its NUL must fit exactly. */
	assert_int_equal(s3_uri_encode("abc", 3, false, out, 4), 3);
	assert_int_equal(s3_uri_encode("abc", 3, false, out, 3), -ENAMETOOLONG);
	assert_int_equal(s3_uri_encode(" ", 1, false, out, 4), 3);
	assert_int_equal(s3_uri_encode(" ", 1, false, out, 3), -ENAMETOOLONG);
}

static void test_canonical_query_order_and_form(void **state)
{
	(void)state;
	char out[256];
	/* As a caller writes them: the order S3 servers do NOT accept unsorted. */
	struct s3_param retention[] = { { "versionId", "V/1+x" }, { "retention", NULL } };
	struct s3_param list[] = {
		{ "versions", "" }, { "prefix", "calls/a b" }, { "max-keys", "2" },
		{ "version-id-marker", "v~1" }, { "key-marker", "k" },
	};
	struct s3_param same[] = { { "a", "2" }, { "B", "x" }, { "a", "1" } };

	assert_int_equal(s3_canonical_query(retention, 2, out, sizeof(out)), 30);
	assert_string_equal(out, "retention=&versionId=V%2F1%2Bx");
	s3_canonical_query(list, 5, out, sizeof(out));
	assert_string_equal(out, "key-marker=k&max-keys=2&prefix=calls%2Fa%20b&"
				 "version-id-marker=v~1&versions=");
	/* Byte order of the encoded names (upper case first), then values. */
	s3_canonical_query(same, 3, out, sizeof(out));
	assert_string_equal(out, "B=x&a=1&a=2");
	assert_int_equal(s3_canonical_query(NULL, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Too small: an error and an empty string, never a cut query. */
	assert_int_equal(s3_canonical_query(retention, 2, out, 30), -ENAMETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(s3_canonical_query(retention, 2, out, 31), 30);
}

static void test_object_path(void **state)
{
	(void)state;
	char out[64];

	assert_int_equal(s3_object_path("bkt", NULL, out, sizeof(out)), 4);
	assert_string_equal(out, "/bkt");
	assert_int_equal(s3_object_path("bkt", "calls/ab cd/wav", out, sizeof(out)), 22);
	assert_string_equal(out, "/bkt/calls/ab%20cd/wav");
	/* Dot segments stay as they are: S3 keys are names, not paths. */
	s3_object_path("bkt", "a/../b", out, sizeof(out));
	assert_string_equal(out, "/bkt/a/../b");
	assert_int_equal(s3_object_path("bkt", "abcdef", out, 8), -ENAMETOOLONG);
}

static void test_names(void **state)
{
	(void)state;
	char key[S3_KEY_MAX + 2];

	assert_true(s3_valid_bucket("abc"));
	assert_true(s3_valid_bucket("callrec.archive-01"));
	assert_false(s3_valid_bucket("ab"));
	assert_false(s3_valid_bucket("Abc"));
	assert_false(s3_valid_bucket("-abc"));
	assert_false(s3_valid_bucket("abc-"));
	assert_false(s3_valid_bucket("a_bc"));
	assert_false(s3_valid_bucket("a/bc"));
	assert_false(s3_valid_bucket(NULL));
	assert_true(s3_valid_bucket("a23456789012345678901234567890123456789012345678901234567890123"));
	assert_false(s3_valid_bucket("a234567890123456789012345678901234567890123456789012345678901234"));

	memset(key, 'k', sizeof(key));
	key[S3_KEY_MAX] = '\0';
	assert_true(s3_valid_key(key));
	key[S3_KEY_MAX] = 'k';
	key[S3_KEY_MAX + 1] = '\0';
	assert_false(s3_valid_key(key));
	assert_false(s3_valid_key(""));
	assert_false(s3_valid_key(NULL));

	assert_true(s3_valid_region("default"));
	assert_true(s3_valid_region("eu-central-1"));
	assert_false(s3_valid_region(""));
	assert_false(s3_valid_region("a b"));
	assert_false(s3_valid_region("a<b"));
	assert_false(s3_valid_region("a:b")); /* it is a field of "aws:amz:REGION:s3" */
}

static void test_digests(void **state)
{
	(void)state;
	char hex[S3_SHA256_HEX_LEN + 1], b64[S3_MD5_BASE64_LEN + 1];

	assert_int_equal(s3_sha256_hex("", 0, hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(s3_sha256_hex("hello\n", 6, hex), 0);
	assert_string_equal(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	assert_int_equal(s3_md5_base64("hello\n", 6, b64), 0);
	assert_string_equal(b64, "sZRqySSS0jR8YjW00mERhA==");
	assert_int_equal(s3_md5_base64("", 0, b64), 0);
	assert_string_equal(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

static void test_time_format(void **state)
{
	(void)state;
	char out[S3_TIME_LEN + 1];

	assert_int_equal(s3_time_format(0, out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	assert_int_equal(s3_time_format(1369353600, out), 0);
	assert_string_equal(out, "2013-05-24T00:00:00.000Z");
	assert_int_equal(s3_time_format(-1, out), -EINVAL);
	assert_int_equal(s3_time_format((time_t)253402300800LL, out), -EINVAL); /* year 10000 */
}

static time_t parse(const char *s)
{
	time_t t = -1;

	return s3_time_parse(s, strlen(s), &t) == 0 ? t : -1;
}

static void test_time_parse(void **state)
{
	(void)state;
	assert_int_equal(parse("2013-05-24T00:00:00Z"), 1369353600);
	assert_int_equal(parse("2013-05-24T00:00:00.000Z"), 1369353600);
	assert_int_equal(parse("2013-05-24T00:00:00.999999Z"), 1369353600);
	assert_int_equal(parse("2013-05-24T02:30:00+02:30"), 1369353600);
	assert_int_equal(parse("2013-05-23T22:00:00-02:00"), 1369353600);
	assert_int_equal(parse("2012-02-29T00:00:00Z"), 1330473600);
	assert_int_equal(parse("2000-02-29T00:00:00Z"), 951782400);
	assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse("9999-12-31T23:59:59Z"), 253402300799);
	assert_int_equal(parse("9999-12-31T23:59:59-00:01"), -1);
	/* A leap second counts as the second before it. */
	assert_int_equal(parse("2016-12-31T23:59:60Z"), 1483228799);
	/* Round trip. */
	char out[S3_TIME_LEN + 1];
	assert_int_equal(s3_time_format(1796292197, out), 0);
	assert_int_equal(parse(out), 1796292197);

	assert_int_equal(parse("2013-02-29T00:00:00Z"), -1);
	assert_int_equal(parse("1900-02-29T00:00:00Z"), -1);
	assert_int_equal(parse("2013-05-24T00:00:00"), -1);   /* no zone */
	assert_int_equal(parse("2013-05-24T24:00:00Z"), -1);
	assert_int_equal(parse("2013-13-24T00:00:00Z"), -1);
	assert_int_equal(parse("2013-05-24 00:00:00Z"), -1);
	assert_int_equal(parse("2013-05-24T00:00:00Zjunk"), -1);
	assert_int_equal(parse("2013-05-24T00:00:00.Z"), -1);
	assert_int_equal(parse("2013-05-24T00:00:00+0200"), -1);
	assert_int_equal(parse("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(parse("2013-5-24T00:00:00Z"), -1);
	assert_int_equal(parse(""), -1);
	assert_int_equal(parse("2013"), -1);
}

static void test_errno_mapping(void **state)
{
	(void)state;
	assert_int_equal(s3_errno_for(404, "NoSuchKey"), -ENOENT);
	assert_int_equal(s3_errno_for(404, "NoSuchVersion"), -ENOENT);
	assert_int_equal(s3_errno_for(404, NULL), -ENOENT); /* HEAD: no body */
	assert_int_equal(s3_errno_for(403, "AccessDenied"), -EACCES);
	assert_int_equal(s3_errno_for(403, "SignatureDoesNotMatch"), -EACCES);
	assert_int_equal(s3_errno_for(403, ""), -EACCES);
	assert_int_equal(s3_errno_for(400, "InvalidArgument"), -EINVAL);
	assert_int_equal(s3_errno_for(400, "BadDigest"), -EBADMSG);
	assert_int_equal(s3_errno_for(400, "XAmzContentSHA256Mismatch"), -EBADMSG);
	assert_int_equal(s3_errno_for(409, "BucketAlreadyOwnedByYou"), -EEXIST);
	assert_int_equal(s3_errno_for(409, "BucketAlreadyExists"), -EEXIST);
	assert_int_equal(s3_errno_for(409, "BucketNotEmpty"), -ENOTEMPTY);
	assert_int_equal(s3_errno_for(416, "InvalidRange"), -ERANGE);
	assert_int_equal(s3_errno_for(503, "SlowDown"), -EAGAIN);
	assert_int_equal(s3_errno_for(503, NULL), -EAGAIN);
	assert_int_equal(s3_errno_for(500, "InternalError"), -EIO);
	assert_int_equal(s3_errno_for(502, NULL), -EIO);
	assert_int_equal(s3_errno_for(301, "PermanentRedirect"), -EIO);
	assert_int_equal(s3_errno_for(403, "QuotaExceeded"), -EDQUOT);
	/* An unknown code falls back on the status. */
	assert_int_equal(s3_errno_for(404, "SomethingNew"), -ENOENT);
	assert_int_equal(s3_errno_for(418, "SomethingNew"), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_canonical_query_order_and_form),
		cmocka_unit_test(test_object_path),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_errno_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
