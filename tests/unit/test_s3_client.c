/* The S3 client's handling of answers and failures, against canned responses on loopback:
 * which errno each failure becomes and what s3_last_error keeps, "nothing configured"
 * answers that are not errors, a server ignoring Range, size limits, broken answers,
 * refused and stalled connections, short streams; configuration and key file checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <cmocka.h>

#include "../../archive/s3/s3.h"
#include "test_s3_helpers.h"

static struct s3_client *client_at(int port, unsigned stall_ms)
{
	char endpoint[64];
	struct s3_config cfg = { .endpoint = endpoint, .region = "us-east-1", .bucket = "bkt",
				 .access_key = "AK", .secret_key = "SK", .stall_timeout_ms = stall_ms,
				 .connect_timeout_ms = 2000 };
	struct s3_client *c;

	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/", port);
	assert_int_equal(s3_client_new(&cfg, &c), 0);
	return c;
}

struct collected {
	char data[256];
	size_t len;
};

static int collect(void *arg, const void *data, size_t len)
{
	struct collected *c = arg;

	if (len > sizeof(c->data) - c->len)
		return -ENOSPC;
	memcpy(c->data + c->len, data, len);
	c->len += len;
	return 0;
}

static void test_error_answers(void **state)
{
	static const struct canned replies[] = {
		{ "HTTP/1.1 403 Forbidden\r\nx-amz-request-id: tx1",
		  "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
		  "<Message>forbidden by object lock</Message></Error>" },
		{ "HTTP/1.1 404 Not Found\r\nContent-Length: 0", NULL },              /* HEAD */
		{ "HTTP/1.1 404 Not Found\r\nx-amz-delete-marker: true",
		  "<Error><Code>NoSuchKey</Code></Error>" },
		{ "HTTP/1.1 405 Method Not Allowed\r\nx-amz-delete-marker: true",
		  "<Error><Code>MethodNotAllowed</Code></Error>" },
		{ "HTTP/1.1 503 Slow Down", "<Error><Code>SlowDown</Code></Error>" },
		{ "HTTP/1.1 502 Bad Gateway", "<html><body>bad gateway</body></html>" },
		{ "HTTP/1.1 409 Conflict", "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>" },
		{ "HTTP/1.1 400 Bad Request",
		  "<Error><Code>InvalidArgument</Code><Message>the retain-until date must be in the "
		  "future</Message></Error>" },
	};
	struct s3_lock lock = { S3_LOCK_COMPLIANCE, 1000 };
	struct s3_object_info info;
	struct collected out = { 0 };
	const struct s3_error *e;
	struct capture cap;
	struct s3_client *c;

	(void)state;
	cap_start(&cap, replies, 8);
	c = client_at(cap.port, 0);
	e = s3_last_error(c);
	assert_int_equal(s3_delete_object(c, "k", "v1", false), -EACCES);
	assert_int_equal(e->err, -EACCES);
	assert_int_equal(e->http_status, 403);
	assert_string_equal(e->code, "AccessDenied");
	assert_string_equal(e->message, "forbidden by object lock");
	assert_string_equal(e->request_id, "tx1");
	assert_string_equal(e->text, "DELETE bkt/k: HTTP 403 AccessDenied: forbidden by object lock "
				     "(request tx1)");
	assert_int_equal(s3_head_object(c, "k", NULL, &info), -ENOENT);
	assert_int_equal(e->http_status, 404);
	assert_string_equal(e->code, "");
	assert_int_equal(s3_get_object(c, "k", NULL, 0, 0, collect, &out, NULL), -ENOENT);
	assert_int_equal(s3_get_object(c, "k", "m1", 0, 0, collect, &out, NULL), -ENOENT);
	assert_int_equal(out.len, 0); /* error bodies never reach the caller's sink */
	assert_int_equal(s3_get_object(c, "k", NULL, 0, 0, collect, &out, NULL), -EAGAIN);
	assert_int_equal(s3_get_object(c, "k", NULL, 0, 0, collect, &out, NULL), -EIO);
	assert_int_equal(e->http_status, 502);
	assert_int_equal(s3_create_bucket(c, true), -EEXIST);
	assert_int_equal(s3_put_retention(c, "k", "v1", &lock, false), -EINVAL);
	assert_string_equal(e->message, "the retain-until date must be in the future");
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);
}

static void test_nothing_configured_is_not_an_error(void **state)
{
	static const struct canned replies[] = {
		{ "HTTP/1.1 404 Not Found", "<Error><Code>ObjectLockConfigurationNotFoundError</Code></Error>" },
		{ "HTTP/1.1 404 Not Found", "<Error><Code>NoSuchObjectLockConfiguration</Code></Error>" },
		{ "HTTP/1.1 404 Not Found", "<Error><Code>ObjectLockConfigurationNotFoundError</Code></Error>" },
		{ "HTTP/1.1 404 Not Found", "<Error><Code>NoSuchKey</Code></Error>" },
		{ "HTTP/1.1 200 OK", "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>"
				     "2031-05-01T12:00:00Z</RetainUntilDate></Retention>" },
		{ "HTTP/1.1 200 OK", "<Retention><Mode>GOVERNANCE</Mode></Retention>" },
	};
	struct s3_lock lock = { S3_LOCK_COMPLIANCE, 5 };
	struct capture cap;
	struct s3_client *c;
	bool on = true, enabled = true;

	(void)state;
	cap_start(&cap, replies, 6);
	c = client_at(cap.port, 0);
	assert_int_equal(s3_get_legal_hold(c, "k", "v", &on), 0);
	assert_false(on);
	assert_int_equal(s3_get_retention(c, "k", "v", &lock), 0);
	assert_int_equal(lock.mode, S3_LOCK_NONE);
	assert_int_equal(s3_last_error(c)->err, 0);
	assert_int_equal(s3_bucket_object_lock(c, &enabled), 0);
	assert_false(enabled);
	/* But a missing object stays missing. */
	assert_int_equal(s3_get_retention(c, "k", "v", &lock), -ENOENT);
	assert_int_equal(s3_get_retention(c, "k", "v", &lock), 0);
	assert_int_equal(lock.mode, S3_LOCK_GOVERNANCE);
	assert_int_equal(lock.retain_until, 1935403200);
	assert_int_equal(s3_get_retention(c, "k", "v", &lock), -EBADMSG);
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);
}

static void test_reads(void **state)
{
	static const struct canned replies[] = {
		/* A server that ignores Range sends everything: the client passes on the part. */
		{ "HTTP/1.1 200 OK", "0123456789" },
		{ "HTTP/1.1 200 OK", "0123456789" },
		{ "HTTP/1.1 200 OK\r\nx-amz-object-lock-mode: COMPLIANCE\r\n"
		  "x-amz-object-lock-retain-until-date: 2031-05-01T12:00:00.000Z\r\n"
		  "x-amz-object-lock-legal-hold: ON\r\nx-amz-version-id: v7\r\nETag: \"e\"\r\n"
		  "Last-Modified: Wed, 03 Dec 2026 10:00:00 GMT", "0123456789" },
		{ "HTTP/1.1 200 OK", "0123456789" },
		{ "HTTP/1.1 200 OK", "" },
		/* A retain-until date that is not one: the answer is broken. */
		{ "HTTP/1.1 200 OK\r\nx-amz-object-lock-mode: COMPLIANCE\r\n"
		  "x-amz-object-lock-retain-until-date: soon\r\nContent-Length: 3", NULL },
	};
	struct collected out = { 0 };
	struct s3_object_info info;
	struct capture cap;
	struct s3_client *c;
	void *data;
	size_t len;

	(void)state;
	cap_start(&cap, replies, 6);
	c = client_at(cap.port, 0);
	assert_int_equal(s3_get_object(c, "k", NULL, 3, 4, collect, &out, NULL), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "3456", 4);
	out.len = 0;
	assert_int_equal(s3_get_object(c, "k", NULL, 8, 0, collect, &out, NULL), 0);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "89", 2);
	assert_int_equal(s3_get_object_buf(c, "k", NULL, 0, 0, 10, &data, &len), 0);
	assert_int_equal(len, 10);
	free(data);
	assert_int_equal(s3_get_object_buf(c, "k", NULL, 0, 0, 9, &data, &len), -EFBIG);
	assert_null(data);
	assert_int_equal(s3_get_object_buf(c, "k", NULL, 0, 0, 9, &data, &len), 0);
	assert_int_equal(len, 0);
	free(data);
	assert_int_equal(s3_head_object(c, "k", NULL, &info), -EIO);
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);

	/* Object Lock and the rest from the headers. */
	static const struct canned head[] = {
		{ "HTTP/1.1 200 OK\r\nx-amz-object-lock-mode: COMPLIANCE\r\n"
		  "x-amz-object-lock-retain-until-date: 2031-05-01T12:00:00.000Z\r\n"
		  "x-amz-object-lock-legal-hold: ON\r\nx-amz-version-id: v7\r\nETag: \"e\"\r\n"
		  "Last-Modified: Wed, 03 Dec 2026 10:00:00 GMT\r\nContent-Length: 10", NULL },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 10", NULL },
	};
	cap_start(&cap, head, 2);
	c = client_at(cap.port, 0);
	assert_int_equal(s3_head_object(c, "k", NULL, &info), 0);
	assert_int_equal(info.size, 10);
	assert_int_equal(info.lock.mode, S3_LOCK_COMPLIANCE);
	assert_int_equal(info.lock.retain_until, 1935403200);
	assert_true(info.legal_hold);
	assert_string_equal(info.version_id, "v7");
	assert_string_equal(info.etag, "\"e\"");
	assert_int_equal(info.last_modified, 1796292000);
	assert_int_equal(s3_head_object(c, "k", NULL, &info), 0);
	assert_int_equal(info.lock.mode, S3_LOCK_NONE);
	assert_false(info.legal_hold);
	assert_string_equal(info.version_id, "");
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);
}

static void test_broken_listings(void **state)
{
	static const struct canned replies[] = {
		{ "HTTP/1.1 200 OK", "<ListVersionsResult><IsTruncated>true" },
		/* "more follows" with nothing on the page: the listing would never end */
		{ "HTTP/1.1 200 OK", "<ListVersionsResult><IsTruncated>true</IsTruncated><NextKeyMarker>"
				     "k</NextKeyMarker></ListVersionsResult>" },
	};
	struct capture cap;
	struct s3_client *c;

	(void)state;
	cap_start(&cap, replies, 2);
	c = client_at(cap.port, 0);
	assert_int_equal(s3_list_versions(c, NULL, 0, NULL, NULL), -EBADMSG);
	assert_int_equal(s3_list_versions(c, NULL, 0, NULL, NULL), -EIO);
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);
}

static void test_network_failures(void **state)
{
	static const struct canned stall[] = { { "HTTP/1.1 200 OK", "late", 2500 } };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct collected out = { 0 };
	struct capture cap;
	struct s3_client *c;
	int fd;

	(void)state;
	/* Nobody listens on a port just released. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	c = client_at(ntohs(a.sin_port), 0);
	assert_int_equal(s3_get_object(c, "k", NULL, 0, 0, collect, &out, NULL), -EIO);
	assert_int_equal(s3_last_error(c)->http_status, 0);
	assert_string_not_equal(s3_last_error(c)->message, "");
	s3_client_free(c);

	/* A server that accepts and says nothing for longer than the stall limit. */
	cap_start(&cap, stall, 1);
	c = client_at(cap.port, 1000);
	assert_int_equal(s3_get_object(c, "k", NULL, 0, 0, collect, &out, NULL), -ETIMEDOUT);
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);
}

struct stream {
	size_t left;
	int err;
};

static long short_read(void *arg, void *buf, size_t len)
{
	struct stream *s = arg;

	if (s->left == 0)
		return s->err;
	if (len > s->left)
		len = s->left;
	memset(buf, 'x', len);
	s->left -= len;
	return (long)len;
}

static void test_upload_failures(void **state)
{
	struct stream st = { 10, 0 };
	struct s3_put put = { .read = short_read, .read_arg = &st, .size = 100 };
	struct s3_put both = { .data = "x", .len = 1, .read = short_read, .read_arg = &st, .size = 1 };
	struct s3_put badlock = { .data = "x", .len = 1, .lock = { S3_LOCK_COMPLIANCE, -5 } };
	static const struct canned replies[] = { { "HTTP/1.1 200 OK", "" }, { "HTTP/1.1 200 OK", "" } };
	struct capture cap;
	struct s3_client *c;

	(void)state;
	cap_start(&cap, replies, 2);
	c = client_at(cap.port, 2000);
	/* A stream that ends before its announced size, then one that fails. */
	assert_int_equal(s3_put_object(c, "k", &put, NULL), -EIO);
	st = (struct stream){ 10, -ENOSPC };
	assert_int_equal(s3_put_object(c, "k", &put, NULL), -ENOSPC);
	assert_int_equal(s3_put_object(c, "k", &both, NULL), -EINVAL);
	assert_int_equal(s3_put_object(c, "k", &badlock, NULL), -EINVAL);
	assert_int_equal(s3_put_object(c, "", &badlock, NULL), -EINVAL);
	s3_client_free(c);
	cap_stop(&cap);
	cap_free(&cap);
}

static void test_config_checks(void **state)
{
	struct s3_config good = { .endpoint = "https://s3.example.net:8443", .region = "default",
				  .bucket = "bkt", .access_key = "a", .secret_key = "s" };
	struct s3_config cfg;
	struct s3_client *c;

	(void)state;
	assert_int_equal(s3_client_new(&good, &c), 0);
	s3_client_free(c);
	s3_client_free(NULL);
	cfg = good;
	cfg.endpoint = "https://s3.example.net/path";
	assert_int_equal(s3_client_new(&cfg, &c), -EINVAL);
	assert_null(c);
	cfg.endpoint = "ftp://s3.example.net";
	assert_int_equal(s3_client_new(&cfg, &c), -EINVAL);
	cfg.endpoint = "http://user:pw@s3.example.net";
	assert_int_equal(s3_client_new(&cfg, &c), -EINVAL);
	cfg = good;
	cfg.bucket = "Bkt";
	assert_int_equal(s3_client_new(&cfg, &c), -EINVAL);
	cfg = good;
	cfg.region = "a:b";
	assert_int_equal(s3_client_new(&cfg, &c), -EINVAL);
	cfg = good;
	cfg.secret_key = "";
	assert_int_equal(s3_client_new(&cfg, &c), -EINVAL);
}

static int key_file(const char *content, size_t len, char *out, size_t size)
{
	char path[] = "/tmp/test_s3_key.XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	rc = s3_read_key_file(path, out, size);
	unlink(path);
	return rc;
}

static void test_key_files(void **state)
{
	char out[64], big[600];

	(void)state;
	assert_int_equal(key_file("AKIAEXAMPLE\n", 12, out, sizeof(out)), 0);
	assert_string_equal(out, "AKIAEXAMPLE");
	assert_int_equal(key_file("secret/+key \t\r\nsecond line\n", 27, out, sizeof(out)), 0);
	assert_string_equal(out, "secret/+key");
	assert_int_equal(key_file("no-newline", 10, out, sizeof(out)), 0);
	assert_string_equal(out, "no-newline");
	assert_int_equal(key_file("", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(key_file("\nkey\n", 5, out, sizeof(out)), -EINVAL);
	assert_int_equal(key_file("a\0b\n", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(key_file("0123456789\n", 11, out, 10), -ENAMETOOLONG);
	assert_int_equal(key_file("0123456789\n", 11, out, 11), 0);
	memset(big, 'k', sizeof(big));
	assert_int_equal(key_file(big, sizeof(big), out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(s3_read_key_file("/nonexistent/key", out, sizeof(out)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_answers),
		cmocka_unit_test(test_nothing_configured_is_not_an_error),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_broken_listings),
		cmocka_unit_test(test_network_failures),
		cmocka_unit_test(test_upload_failures),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_key_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
