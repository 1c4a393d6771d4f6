/* Signature Version 4 of the S3 client's requests, checked the way a server checks them:
 * the bytes the client sent are captured on loopback, the canonical request is rebuilt from
 * them (query decoded, re-encoded and sorted) and the signature recomputed. The checker is
 * itself checked against the example AWS publishes for S3, and shown to catch a query that
 * libcurl signs as written but a server reads sorted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "../../archive/s3/s3.h"
#include "test_s3_helpers.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static size_t discard(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

/* One request straight through libcurl's signer, as the client configures it. */
static void curl_signed_get(int port, const char *url, struct curl_slist *h)
{
	char connect_to[128];
	struct curl_slist *ct;
	CURL *curl = curl_easy_init();

	snprintf(connect_to, sizeof(connect_to), "examplebucket.s3.amazonaws.com:80:127.0.0.1:%d", port);
	ct = curl_slist_append(NULL, connect_to);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CONNECT_TO, ct);
	curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
	curl_easy_setopt(curl, CURLOPT_USERNAME, AK);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, SK);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_cleanup(curl);
	curl_slist_free_all(ct);
}

/* The example of AWS's S3 documentation ("GET Object", a range of examplebucket/test.txt on
 * 2013-05-24): libcurl's signature and the checker's both give the published value. */
static void test_checker_matches_aws_example(void **state)
{
	static const struct canned ok = { "HTTP/1.1 200 OK", "" };
	struct curl_slist *h = NULL;
	struct capture cap;
	char want[65], got[65];

	(void)state;
	h = curl_slist_append(h, "Range: bytes=0-9");
	h = curl_slist_append(h, "x-amz-content-sha256: " EMPTY_SHA);
	h = curl_slist_append(h, "x-amz-date: 20130524T000000Z");
	cap_start(&cap, &ok, 1);
	curl_signed_get(cap.port, "http://examplebucket.s3.amazonaws.com/test.txt", h);
	cap_stop(&cap);
	sig_check(&cap.req[0], SK, want, got);
	assert_string_equal(got, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_string_equal(want, got);
	curl_slist_free_all(h);
	cap_free(&cap);
}

/* Why the client writes queries canonical: libcurl signs "?versionId=V&retention" as written,
 * a server sorts and adds the "=", and the signatures differ (RGW: SignatureDoesNotMatch). */
static void test_checker_catches_unsorted_query(void **state)
{
	static const struct canned ok[2] = { { "HTTP/1.1 200 OK", "" }, { "HTTP/1.1 200 OK", "" } };
	struct curl_slist *h = NULL;
	struct capture cap;
	char want[65], got[65];

	(void)state;
	h = curl_slist_append(h, "x-amz-content-sha256: " EMPTY_SHA);
	cap_start(&cap, ok, 2);
	curl_signed_get(cap.port, "http://examplebucket.s3.amazonaws.com/k?versionId=V&retention", h);
	curl_signed_get(cap.port, "http://examplebucket.s3.amazonaws.com/k?retention=&versionId=V", h);
	cap_stop(&cap);
	sig_check(&cap.req[0], SK, want, got);
	assert_string_not_equal(want, got);
	sig_check(&cap.req[1], SK, want, got);
	assert_string_equal(want, got);
	curl_slist_free_all(h);
	cap_free(&cap);
}

static struct s3_client *client(int port)
{
	char endpoint[64];
	struct s3_config cfg = { .endpoint = endpoint, .region = "default", .bucket = "callrec-test",
				 .access_key = AK, .secret_key = SK };
	struct s3_client *c;

	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	assert_int_equal(s3_client_new(&cfg, &c), 0);
	return c;
}

static int count(void *arg, const struct s3_version *v)
{
	(void)v;
	++*(int *)arg;
	return 0;
}

static int sink(void *arg, const void *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

/* Every kind of request the client makes, with awkward keys and version ids, is signed so
 * that a server accepts it; all go over one connection. */
static void test_client_requests_verify(void **state)
{
	static const char page1[] =
		"<ListVersionsResult><IsTruncated>true</IsTruncated><NextKeyMarker>d/k +1"
		"</NextKeyMarker><NextVersionIdMarker>v/2+</NextVersionIdMarker><Version><Key>d/k +1"
		"</Key><VersionId>v/2+</VersionId></Version></ListVersionsResult>";
	static const char page2[] = "<ListVersionsResult><IsTruncated>false</IsTruncated>"
				    "<Version><Key>d/z</Key><VersionId>v3</VersionId></Version>"
				    "</ListVersionsResult>";
	const struct canned replies[] = {
		{ "HTTP/1.1 200 OK\r\nx-amz-version-id: V/1+=", "" },         /* PUT locked */
		{ "HTTP/1.1 200 OK", "" },                                      /* PUT retention */
		{ "HTTP/1.1 200 OK", "" },                                      /* PUT legal hold */
		{ "HTTP/1.1 200 OK", "<LegalHold><Status>ON</Status></LegalHold>" },
		{ "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2-4/10", "abc" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 10", NULL },             /* HEAD */
		{ "HTTP/1.1 200 OK", page1 },
		{ "HTTP/1.1 200 OK", page2 },
		{ "HTTP/1.1 204 No Content", NULL },                            /* DELETE */
		{ "HTTP/1.1 200 OK", "" },                                      /* PUT bucket */
	};
	const char *key = "d/k +1/é~*'()!$,;:@&=";
	struct s3_put put = { .data = "hello\n", .len = 6,
			      .lock = { S3_LOCK_COMPLIANCE, 1935403200 }, .legal_hold = true };
	struct s3_lock lock = { S3_LOCK_COMPLIANCE, 1935403260 };
	struct s3_object_info info;
	char vid[S3_VERSION_ID_MAX], want[65], got[65], v[256];
	struct capture cap;
	struct s3_client *c;
	bool on = false;
	int n = 0;

	(void)state;
	cap_start(&cap, replies, 10);
	c = client(cap.port);
	assert_int_equal(s3_put_object(c, key, &put, vid), 0);
	assert_string_equal(vid, "V/1+=");
	assert_int_equal(s3_put_retention(c, key, vid, &lock, false), 0);
	assert_int_equal(s3_put_legal_hold(c, key, vid, true), 0);
	assert_int_equal(s3_get_legal_hold(c, key, vid, &on), 0);
	assert_true(on);
	assert_int_equal(s3_get_object(c, key, vid, 2, 3, sink, NULL, &info), 0);
	assert_int_equal(info.size, 10);
	assert_int_equal(s3_head_object(c, key, vid, &info), 0);
	assert_int_equal(info.size, 10);
	assert_int_equal(s3_list_versions(c, "d/", 1, count, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s3_delete_object(c, key, vid, true), 0);
	assert_int_equal(s3_create_bucket(c, true), 0);
	s3_client_free(c);
	cap_stop(&cap);

	assert_int_equal(cap.served, 10);
	assert_int_equal(cap.accepts, 1); /* the connection was kept */
	for (int i = 0; i < 10; i++) {
		sig_check(&cap.req[i], SK, want, got);
		assert_string_equal(want, got);
	}
	/* What the requests said besides the signature. */
	assert_non_null(strstr(cap.req[0].raw, "PUT /callrec-test/d/k%20%2B1/%C3%A9~%2A%27%28%29%21"
						"%24%2C%3B%3A%40%26%3D HTTP/1.1"));
	assert_string_equal(cap_header(&cap.req[0], "x-amz-object-lock-mode", v, sizeof(v)), "COMPLIANCE");
	assert_string_equal(cap_header(&cap.req[0], "x-amz-object-lock-retain-until-date", v, sizeof(v)),
			    "2031-05-01T12:00:00.000Z");
	assert_string_equal(cap_header(&cap.req[0], "x-amz-object-lock-legal-hold", v, sizeof(v)), "ON");
	assert_string_equal(cap_header(&cap.req[0], "content-md5", v, sizeof(v)), "sZRqySSS0jR8YjW00mERhA==");
	assert_string_equal(cap.req[0].body, "hello\n");
	assert_non_null(strstr(cap.req[1].raw, "?retention=&versionId=V%2F1%2B%3D HTTP/1.1"));
	assert_non_null(strstr(cap.req[1].body, "<Mode>COMPLIANCE</Mode><RetainUntilDate>2031-05-01T12:01:00.000Z<"));
	assert_string_not_equal(cap_header(&cap.req[1], "content-md5", v, sizeof(v)), "");
	assert_non_null(strstr(cap.req[2].raw, "?legal-hold=&versionId=V%2F1%2B%3D HTTP/1.1"));
	assert_non_null(strstr(cap.req[2].body, "<Status>ON</Status>"));
	assert_string_not_equal(cap_header(&cap.req[2], "content-md5", v, sizeof(v)), "");
	assert_string_equal(cap_header(&cap.req[4], "range", v, sizeof(v)), "bytes=2-4");
	assert_non_null(strstr(cap.req[5].raw, "HEAD /callrec-test/d/"));
	assert_non_null(strstr(cap.req[6].raw, "GET /callrec-test?max-keys=1&prefix=d%2F&versions= HTTP"));
	assert_non_null(strstr(cap.req[7].raw, "GET /callrec-test?key-marker=d%2Fk%20%2B1&max-keys=1&"
						"prefix=d%2F&version-id-marker=v%2F2%2B&versions= HTTP"));
	assert_string_equal(cap_header(&cap.req[8], "x-amz-bypass-governance-retention", v, sizeof(v)), "true");
	assert_non_null(strstr(cap.req[8].raw, "DELETE /callrec-test/d/"));
	assert_string_equal(cap_header(&cap.req[9], "x-amz-bucket-object-lock-enabled", v, sizeof(v)), "true");
	assert_non_null(strstr(cap.req[9].body, "<LocationConstraint>default</LocationConstraint>"));
	cap_free(&cap);
}

/* A streamed upload without a known hash is sent as UNSIGNED-PAYLOAD, still signed. */
struct chunks {
	const char *data;
	size_t len, pos;
};

static long read_chunks(void *arg, void *buf, size_t len)
{
	struct chunks *ch = arg;
	size_t n = ch->len - ch->pos < len ? ch->len - ch->pos : len;

	if (n > 7)
		n = 7;
	memcpy(buf, ch->data + ch->pos, n);
	ch->pos += n;
	return (long)n;
}

static void test_streamed_upload(void **state)
{
	static const struct canned replies[] = { { "HTTP/1.1 200 OK\r\nx-amz-version-id: v9", "" } };
	static const char text[] = "a body longer than one chunk of seven bytes";
	struct chunks ch = { text, sizeof(text) - 1, 0 };
	struct s3_put put = { .read = read_chunks, .read_arg = &ch, .size = sizeof(text) - 1 };
	char vid[S3_VERSION_ID_MAX], want[65], got[65], v[128];
	struct capture cap;
	struct s3_client *c;

	(void)state;
	cap_start(&cap, replies, 1);
	c = client(cap.port);
	assert_int_equal(s3_put_object(c, "k", &put, vid), 0);
	assert_string_equal(vid, "v9");
	s3_client_free(c);
	cap_stop(&cap);
	assert_string_equal(cap.req[0].body, text);
	assert_string_equal(cap_header(&cap.req[0], "x-amz-content-sha256", v, sizeof(v)), "UNSIGNED-PAYLOAD");
	sig_check(&cap.req[0], SK, want, got);
	assert_string_equal(want, got);
	cap_free(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_matches_aws_example),
		cmocka_unit_test(test_checker_catches_unsorted_query),
		cmocka_unit_test(test_client_requests_verify),
		cmocka_unit_test(test_streamed_upload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
