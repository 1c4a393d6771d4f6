/* Creating and freeing a client, its last error. See s3.h. */
#include "s3_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	/* Once per process, whichever thread creates the first client. */
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool valid_endpoint(const char *e)
{
	const char *host;
	size_t len;

	if (!e)
		return false;
	if (strncmp(e, "http://", 7) == 0)
		host = e + 7;
	else if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else
		return false;
	/* A host (and port), perhaps a final '/'; no path, query or credentials. */
	len = strlen(host);
	while (len > 0 && host[len - 1] == '/')
		len--;
	return len > 0 && strcspn(host, "/?#@ \t\r\n") == len;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int s3_client_new(const struct s3_config *cfg, struct s3_client **out)
{
	struct s3_client *c;
	bool failed = false;
	size_t n;

	*out = NULL;
	if (!valid_endpoint(cfg->endpoint) || !s3_valid_bucket(cfg->bucket) ||
	    !s3_valid_region(cfg->region) || !cfg->access_key || !*cfg->access_key ||
	    !cfg->secret_key || !*cfg->secret_key)
		return -EINVAL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->endpoint = dup_or_null(cfg->endpoint, &failed);
	c->bucket = dup_or_null(cfg->bucket, &failed);
	c->region = dup_or_null(cfg->region, &failed);
	c->access_key = dup_or_null(cfg->access_key, &failed);
	c->secret_key = dup_or_null(cfg->secret_key, &failed);
	c->ca_file = dup_or_null(cfg->ca_file, &failed);
	n = strlen(cfg->region) + sizeof("aws:amz::s3");
	c->sigv4 = malloc(n);
	if (failed || !c->sigv4)
		goto fail;
	snprintf(c->sigv4, n, "aws:amz:%s:s3", cfg->region);
	n = strlen(c->endpoint);
	while (n > 0 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	c->connect_timeout_ms = cfg->connect_timeout_ms ? (long)cfg->connect_timeout_ms : 10000;
	c->stall_timeout_s = cfg->stall_timeout_ms ? ((long)cfg->stall_timeout_ms + 999) / 1000 : 30;
	c->curl = curl_easy_init();
	if (!c->curl)
		goto fail;
	*out = c;
	return 0;
fail:
	s3_client_free(c);
	return -ENOMEM;
}

void s3_client_free(struct s3_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->endpoint);
	free(c->bucket);
	free(c->region);
	free(c->sigv4);
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	free(c->ca_file);
	free(c);
}

const struct s3_error *s3_last_error(const struct s3_client *c)
{
	return &c->err;
}

void s3_clear_error(struct s3_client *c)
{
	memset(&c->err, 0, sizeof(c->err));
}

static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

int s3_fail(struct s3_client *c, const struct s3_req *req, int err, long status,
	    const char *fmt, ...)
{
	struct s3_error *e = &c->err;
	va_list ap;

	e->err = err;
	e->http_status = status;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	/* "PUT bucket/key: HTTP 403 AccessDenied: message (request ID)" */
	e->text[0] = '\0';
	append(e->text, sizeof(e->text), "%s %s%s%.200s:", req->method, c->bucket,
	       req->key ? "/" : "", req->key ? req->key : "");
	if (status)
		append(e->text, sizeof(e->text), " HTTP %ld", status);
	if (e->code[0])
		append(e->text, sizeof(e->text), " %s", e->code);
	if (e->message[0])
		append(e->text, sizeof(e->text), "%s %s", status || e->code[0] ? ":" : "", e->message);
	if (e->request_id[0])
		append(e->text, sizeof(e->text), " (request %s)", e->request_id);
	return err;
}

const char *s3_lock_mode_name(enum s3_lock_mode mode)
{
	switch (mode) {
	case S3_LOCK_GOVERNANCE:
		return "GOVERNANCE";
	case S3_LOCK_COMPLIANCE:
		return "COMPLIANCE";
	default:
		return "NONE";
	}
}
