/* One HTTP exchange with the S3 service through the client's libcurl handle, signed by
 * libcurl (CURLOPT_AWS_SIGV4). What libcurl 7.88 leaves to us, and the service insists on:
 *  - the payload hash header (x-amz-content-sha256) is ours to send; without it libcurl signs
 *    the hash of an empty body and the service answers SignatureDoesNotMatch;
 *  - the URL is signed as written, so path and query are made canonical first (s3_canon.h);
 *  - Content-MD5 where S3 requires it (Object Lock sub-resources);
 *  - libcurl signs every header line it is given, even "Name:" lines that only remove a
 *    header it would add, so none is given.
 * Responses: the status line, the headers S3 describes objects with, and the body, which
 * goes to the caller's sink or is collected (XML documents, error documents). */
#include "s3_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3_digest.h"
#include "s3_errmap.h"
#include "s3_parse.h"
#include "s3_time.h"

#define DEFAULT_BODY_MAX (1u << 20)
#define ERROR_BODY_MAX (64u << 10) /* of an error document, the rest is dropped */
#define SMALL_BODY (1u << 20)

void s3_req_param(struct s3_req *req, const char *name, const char *value)
{
	if (req->n_params < S3_MAX_PARAMS)
		req->params[req->n_params++] = (struct s3_param){ name, value };
}

void s3_req_header(struct s3_req *req, const char *line)
{
	if (req->n_headers < S3_MAX_HEADERS)
		req->headers[req->n_headers++] = line;
}

void s3_resp_free(struct s3_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = resp->body_cap = 0;
}

static bool success(long status)
{
	return status >= 200 && status < 300;
}

/* --- response headers --------------------------------------------------------------------- */

static bool header_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Copies a header value into a buffer; too long marks the answer malformed. */
static void header_copy(struct s3_resp *r, char *dst, size_t size, const char *v, size_t len)
{
	if (len >= size) {
		r->bad_header = true;
		return;
	}
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static void on_status_line(struct s3_resp *r, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	long status = 0;

	/* A new response (after "100 Continue", say): forget what the previous one said. */
	memset(&r->info, 0, sizeof(r->info));
	r->has_lock_mode = r->has_retain_until = r->bad_header = false;
	r->request_id[0] = '\0';
	r->received = 0;
	r->body_len = 0;
	if (sp && line + len - sp > 3) {
		for (int i = 1; i <= 3; i++) {
			char ch = sp[i];

			if (ch < '0' || ch > '9') {
				status = 0;
				break;
			}
			status = status * 10 + (ch - '0');
		}
	}
	r->status = status;
	if (!status)
		r->bad_header = true;
}

static void on_field(struct s3_resp *r, const char *name, size_t nlen, const char *v, size_t vlen)
{
	struct s3_object_info *info = &r->info;
	char tmp[64];

	if (header_is(name, nlen, "x-amz-version-id")) {
		header_copy(r, info->version_id, sizeof(info->version_id), v, vlen);
	} else if (header_is(name, nlen, "x-amz-delete-marker")) {
		info->delete_marker = vlen == 4 && strncasecmp(v, "true", 4) == 0;
	} else if (header_is(name, nlen, "content-length")) {
		/* The object's size unless this is a part of it (Content-Range below wins). */
		if (!r->info.size && !parse_u64(v, vlen, &info->size))
			r->bad_header = true;
	} else if (header_is(name, nlen, "content-range")) {
		/* "bytes FIRST-LAST/TOTAL" */
		const char *slash = memchr(v, '/', vlen);

		if (slash && !(slash[1] == '*' && vlen - (size_t)(slash + 1 - v) == 1) &&
		    !parse_u64(slash + 1, vlen - (size_t)(slash + 1 - v), &info->size))
			r->bad_header = true;
	} else if (header_is(name, nlen, "etag")) {
		header_copy(r, info->etag, sizeof(info->etag), v, vlen);
	} else if (header_is(name, nlen, "last-modified")) {
		header_copy(r, tmp, sizeof(tmp), v, vlen);
		if (!r->bad_header) {
			time_t t = curl_getdate(tmp, NULL);

			info->last_modified = t < 0 ? 0 : t;
		}
	} else if (header_is(name, nlen, "x-amz-object-lock-mode")) {
		header_copy(r, tmp, sizeof(tmp), v, vlen);
		if (!r->bad_header) {
			if (s3_lock_mode_parse(tmp, &info->lock.mode) < 0)
				r->bad_header = true;
			r->has_lock_mode = true;
		}
	} else if (header_is(name, nlen, "x-amz-object-lock-retain-until-date")) {
		if (s3_time_parse(v, vlen, &info->lock.retain_until) < 0)
			r->bad_header = true;
		r->has_retain_until = true;
	} else if (header_is(name, nlen, "x-amz-object-lock-legal-hold")) {
		info->legal_hold = vlen == 2 && strncasecmp(v, "ON", 2) == 0;
	} else if (header_is(name, nlen, "x-amz-request-id")) {
		header_copy(r, r->request_id, sizeof(r->request_id), v, vlen);
	}
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct s3_resp *r = arg;
	size_t len = size * n, nlen, vlen;
	const char *colon, *v;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		on_status_line(r, buf, len);
		return size * n;
	}
	colon = memchr(buf, ':', len);
	if (!colon)
		return size * n; /* the empty line ending the headers */
	nlen = (size_t)(colon - buf);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	on_field(r, buf, nlen, v, vlen);
	return size * n;
}

/* --- bodies ------------------------------------------------------------------------------- */

static int collect(struct s3_resp *r, const char *data, size_t len, size_t max)
{
	size_t cap;
	char *nb;

	if (len > max - r->body_len) {
		if (!success(r->status)) {
			len = max - r->body_len; /* an error document: its start is enough */
			if (len == 0)
				return 0;
		} else {
			return -EFBIG;
		}
	}
	if (r->body_len + len + 1 > r->body_cap) {
		cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + len + 1)
			cap *= 2;
		nb = realloc(r->body, cap);
		if (!nb)
			return -ENOMEM;
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct s3_resp *r = arg;
	const struct s3_req *req = r->req;
	size_t len = size * n;
	uint64_t start = r->received;
	int rc;

	r->received += len;
	if (success(r->status) && req->sink) {
		const char *p = data;
		size_t plen = len;

		if (req->range && r->status == 200) {
			/* The service sent the whole object despite the Range header: pass on the
			 * asked part only. */
			uint64_t from = req->range_off, to = req->range_len ? from + req->range_len : UINT64_MAX;
			uint64_t end = start + len;

			if (end <= from || start >= to)
				return len;
			if (start < from) {
				p += from - start;
				plen -= (size_t)(from - start);
				start = from;
			}
			if (end > to)
				plen -= (size_t)(end - to);
		}
		rc = req->sink(req->sink_arg, p, plen);
	} else {
		size_t max = success(r->status) ? (req->body_max ? req->body_max : DEFAULT_BODY_MAX)
						: ERROR_BODY_MAX;

		rc = collect(r, data, len, max);
	}
	if (rc < 0) {
		r->cb_err = rc;
		return 0; /* libcurl aborts the transfer */
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct s3_resp *r = arg;
	const struct s3_req *req = r->req;
	uint64_t left = req->body_len - r->upload_sent;
	size_t want = size * n;
	long got;

	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (req->body) {
		memcpy(buf, (const char *)req->body + r->upload_sent, want);
		got = (long)want;
	} else {
		got = req->read(req->read_arg, buf, want);
		if (got < 0 || got == 0 || (size_t)got > want) {
			/* An error, or a stream shorter than the size it announced. */
			r->cb_err = got < 0 ? (int)got : -EIO;
			return CURL_READFUNC_ABORT;
		}
	}
	r->upload_sent += (uint64_t)got;
	return (size_t)got;
}

/* libcurl rewinds the body when it must send the request again (a reused connection that
 * turned out closed); a stream cannot. */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct s3_resp *r = arg;

	if (!r->req->body || origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->upload_sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* --- the request -------------------------------------------------------------------------- */

static int curl_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		/* Name resolution, connection, TLS, a broken or truncated answer. */
		return -EIO;
	}
}

/* The URL: ENDPOINT/BUCKET[/KEY][?CANONICAL-QUERY], malloc()ed. */
static int build_url(struct s3_client *c, const struct s3_req *req, char **out)
{
	size_t psize = strlen(c->bucket) + 3 + (req->key ? 3 * strlen(req->key) : 0);
	size_t qsize = 1, usize;
	char *path = NULL, *query = NULL, *url = NULL;
	long pl, ql;
	int rc = -ENOMEM;

	for (size_t i = 0; i < req->n_params; i++)
		qsize += 3 * (strlen(req->params[i].name) +
			      (req->params[i].value ? strlen(req->params[i].value) : 0)) + 2;
	path = malloc(psize);
	query = malloc(qsize);
	if (!path || !query)
		goto out;
	pl = s3_object_path(c->bucket, req->key, path, psize);
	ql = s3_canonical_query(req->params, req->n_params, query, qsize);
	if (pl < 0 || ql < 0) {
		rc = pl < 0 ? (int)pl : (int)ql;
		goto out;
	}
	usize = strlen(c->endpoint) + (size_t)pl + (size_t)ql + 2;
	url = malloc(usize);
	if (!url)
		goto out;
	snprintf(url, usize, "%s%s%s%s", c->endpoint, path, ql ? "?" : "", query);
	*out = url;
	rc = 0;
out:
	free(path);
	free(query);
	return rc;
}

/* The header lines: the payload hash, Content-MD5, Range, the request's own. */
static int build_headers(const struct s3_req *req, struct curl_slist **out)
{
	char line[128], hash[S3_SHA256_HEX_LEN + 1], md5[S3_MD5_BASE64_LEN + 1];
	struct curl_slist *h = NULL, *t;
	const char *sha = req->sha256_hex;
	int rc;

#define ADD(s)                                   \
	do {                                     \
		t = curl_slist_append(h, (s));   \
		if (!t)                          \
			goto nomem;              \
		h = t;                           \
	} while (0)

	if (!sha && (req->body || !req->read)) {
		rc = s3_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, hash);
		if (rc < 0)
			goto fail;
		sha = hash;
	}
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", sha ? sha : "UNSIGNED-PAYLOAD");
	ADD(line);
	if (req->content_md5 || (req->want_md5 && req->body)) {
		const char *m = req->content_md5;

		if (!m) {
			rc = s3_md5_base64(req->body, req->body_len, md5);
			if (rc < 0)
				goto fail;
			m = md5;
		}
		snprintf(line, sizeof(line), "Content-MD5: %s", m);
		ADD(line);
	}
	if (req->range) {
		if (req->range_len)
			snprintf(line, sizeof(line), "Range: bytes=%" PRIu64 "-%" PRIu64, req->range_off,
				 req->range_off + req->range_len - 1);
		else
			snprintf(line, sizeof(line), "Range: bytes=%" PRIu64 "-", req->range_off);
		ADD(line);
	}
	/* No "Expect:" line to switch off "100 Continue": libcurl 7.88 would sign that header,
	 * which it does not send (see setup() for what is done instead). */
	for (size_t i = 0; i < req->n_headers; i++)
		ADD(req->headers[i]);
#undef ADD
	*out = h;
	return 0;
nomem:
	rc = -ENOMEM;
fail:
	curl_slist_free_all(h);
	return rc;
}

static int setup(struct s3_client *c, const struct s3_req *req, struct s3_resp *r,
		 const char *url, struct curl_slist *headers, char *errbuf)
{
	CURL *h = c->curl;
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                   \
	do {                                            \
		if (cc == CURLE_OK)                     \
			cc = curl_easy_setopt(h, opt, val); \
	} while (0)

	/* A reset keeps the handle's connections (and DNS cache): only options go. */
	curl_easy_reset(h);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_PATH_AS_IS, 1L); /* keys like "a/../b" must reach the service as they are */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_AWS_SIGV4, c->sigv4);
	SET(CURLOPT_USERNAME, c->access_key);
	SET(CURLOPT_PASSWORD, c->secret_key);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, c->stall_timeout_s);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, r);
	if (c->ca_file)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (strcmp(req->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "PUT") == 0) {
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, r);
		SET(CURLOPT_SEEKFUNCTION, on_seek);
		SET(CURLOPT_SEEKDATA, r);
		/* libcurl asks "Expect: 100-continue" on every PUT and waits up to a second for
		 * the go-ahead: a round trip per chunk, or a second where a proxy drops the
		 * header. Small bodies are sent at once; a large one waits, so a refusal (bad
		 * credentials, no bucket) saves sending it. */
		if (req->body_len <= SMALL_BODY)
			SET(CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	} else if (strcmp(req->method, "GET") != 0) {
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	return cc == CURLE_OK ? 0 : curl_errno(cc);
}

int s3_request(struct s3_client *c, const struct s3_req *req, struct s3_resp *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct s3_error_doc doc;
	char *url = NULL;
	CURLcode cc;
	int rc;

	memset(r, 0, sizeof(*r));
	r->req = req;
	r->client = c;
	s3_clear_error(c);
	rc = build_url(c, req, &url);
	if (rc < 0) {
		s3_fail(c, req, rc, 0, "cannot build the URL: %s", strerror(-rc));
		goto out;
	}
	rc = build_headers(req, &headers);
	if (rc == 0)
		rc = setup(c, req, r, url, headers, errbuf);
	if (rc < 0) {
		s3_fail(c, req, rc, 0, "cannot set up the request: %s", strerror(-rc));
		goto out;
	}
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		if (r->cb_err) {
			rc = s3_fail(c, req, r->cb_err, r->status, "transfer aborted: %s",
				     strerror(-r->cb_err));
		} else {
			rc = s3_fail(c, req, curl_errno(cc), r->status, "%s",
				     errbuf[0] ? errbuf : curl_easy_strerror(cc));
		}
		goto out;
	}
	memcpy(c->err.request_id, r->request_id, sizeof(r->request_id));
	if (success(r->status)) {
		rc = r->bad_header ? s3_fail(c, req, -EIO, r->status, "malformed response header")
				   : 0;
		if (rc == 0)
			s3_clear_error(c);
		goto out;
	}
	if (r->body_len && s3_parse_error(r->body, r->body_len, &doc) == 0) {
		memcpy(c->err.code, doc.code, sizeof(c->err.code));
		if (doc.request_id[0] && !c->err.request_id[0])
			memcpy(c->err.request_id, doc.request_id, sizeof(doc.request_id));
		rc = s3_errno_for(r->status, doc.code);
		/* A delete marker answers 404 (latest) or 405 (by version id). */
		if (r->info.delete_marker && (r->status == 404 || r->status == 405))
			rc = -ENOENT;
		s3_fail(c, req, rc, r->status, "%s", doc.message);
	} else {
		rc = s3_errno_for(r->status, NULL);
		if (r->info.delete_marker && (r->status == 404 || r->status == 405))
			rc = -ENOENT;
		s3_fail(c, req, rc, r->status, NULL);
	}
out:
	/* Drop the options pointing at this call's buffers; the connection stays. */
	curl_easy_reset(c->curl);
	curl_slist_free_all(headers);
	free(url);
	return rc;
}
