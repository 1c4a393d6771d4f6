/* Objects: PUT (with Object Lock headers), GET (whole or a range), HEAD, DELETE. */
#include "s3_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_time.h"

/* "x-amz-object-lock-*" header lines for a new version, in bufs (3 lines of 64 bytes). */
static int lock_headers(struct s3_req *req, const struct s3_put *put, char bufs[3][64])
{
	char date[S3_TIME_LEN + 1];

	if (put->lock.mode != S3_LOCK_NONE) {
		if (put->lock.mode != S3_LOCK_GOVERNANCE && put->lock.mode != S3_LOCK_COMPLIANCE)
			return -EINVAL;
		if (s3_time_format(put->lock.retain_until, date) < 0)
			return -EINVAL;
		snprintf(bufs[0], 64, "x-amz-object-lock-mode: %s", s3_lock_mode_name(put->lock.mode));
		snprintf(bufs[1], 64, "x-amz-object-lock-retain-until-date: %s", date);
		s3_req_header(req, bufs[0]);
		s3_req_header(req, bufs[1]);
	}
	if (put->legal_hold) {
		snprintf(bufs[2], 64, "x-amz-object-lock-legal-hold: ON");
		s3_req_header(req, bufs[2]);
	}
	return 0;
}

static bool put_ok(const struct s3_put *put)
{
	bool mem = put->data || (!put->read && put->len == 0);

	/* Exactly one body source; a SHA-256 given must look like one. */
	if (mem == (put->read != NULL))
		return false;
	if (put->sha256_hex && strlen(put->sha256_hex) != 64)
		return false;
	if (put->content_md5 && strlen(put->content_md5) != 24)
		return false;
	return true;
}

int s3_put_object(struct s3_client *c, const char *key, const struct s3_put *put,
		  char *version_id)
{
	struct s3_req req = { .method = "PUT", .key = key };
	struct s3_resp resp;
	char lock[3][64], ctype[160];
	int rc;

	if (version_id)
		version_id[0] = '\0';
	if (!s3_valid_key(key) || !put_ok(put))
		return s3_fail(c, &req, -EINVAL, 0, "invalid key or body");
	if (put->read) {
		req.read = put->read;
		req.read_arg = put->read_arg;
		req.body_len = put->size;
	} else {
		req.body = put->data ? put->data : "";
		req.body_len = put->len;
	}
	req.sha256_hex = put->sha256_hex;
	req.content_md5 = put->content_md5;
	req.want_md5 = true; /* the service checks what arrived against it */
	rc = lock_headers(&req, put, lock);
	if (rc < 0)
		return s3_fail(c, &req, rc, 0, "invalid Object Lock mode or retain-until date");
	if (put->content_type && (strlen(put->content_type) > 100 ||
				  strpbrk(put->content_type, "\r\n")))
		return s3_fail(c, &req, -EINVAL, 0, "invalid content type");
	snprintf(ctype, sizeof(ctype), "Content-Type: %s",
		 put->content_type ? put->content_type : "application/octet-stream");
	s3_req_header(&req, ctype);
	rc = s3_request(c, &req, &resp);
	if (rc == 0 && version_id)
		memcpy(version_id, resp.info.version_id, sizeof(resp.info.version_id));
	s3_resp_free(&resp);
	return rc;
}

static void fill_info(const struct s3_resp *resp, struct s3_object_info *info)
{
	*info = resp->info;
	/* A version without retention carries no lock headers. */
	if (!resp->has_lock_mode || !resp->has_retain_until)
		info->lock = (struct s3_lock){ S3_LOCK_NONE, 0 };
}

static void version_param(struct s3_req *req, const char *version_id)
{
	if (version_id)
		s3_req_param(req, "versionId", version_id);
}

int s3_get_object(struct s3_client *c, const char *key, const char *version_id,
		  uint64_t offset, uint64_t length, s3_write_fn *write, void *write_arg,
		  struct s3_object_info *info)
{
	struct s3_req req = { .method = "GET", .key = key, .sink = write, .sink_arg = write_arg };
	struct s3_resp resp;
	int rc;

	if (!s3_valid_key(key) || !write || (version_id && !*version_id) ||
	    (length && offset > UINT64_MAX - length))
		return s3_fail(c, &req, -EINVAL, 0, "invalid key, version or range");
	version_param(&req, version_id);
	if (offset || length) {
		req.range = true;
		req.range_off = offset;
		req.range_len = length;
	}
	rc = s3_request(c, &req, &resp);
	if (rc == 0 && info)
		fill_info(&resp, info);
	s3_resp_free(&resp);
	return rc;
}

struct membuf {
	char *data;
	size_t len, cap, max;
};

static int membuf_write(void *arg, const void *data, size_t len)
{
	struct membuf *m = arg;
	size_t cap;
	char *nd;

	if (len > m->max - m->len)
		return -EFBIG;
	if (m->len + len > m->cap) {
		cap = m->cap ? m->cap : 65536;
		while (cap < m->len + len)
			cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
		nd = realloc(m->data, cap);
		if (!nd)
			return -ENOMEM;
		m->data = nd;
		m->cap = cap;
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return 0;
}

int s3_get_object_buf(struct s3_client *c, const char *key, const char *version_id,
		      uint64_t offset, uint64_t length, size_t max, void **data, size_t *len)
{
	struct membuf m = { .max = max };
	int rc;

	*data = NULL;
	*len = 0;
	rc = s3_get_object(c, key, version_id, offset, length, membuf_write, &m, NULL);
	if (rc < 0) {
		free(m.data);
		return rc;
	}
	/* An empty object still gets a buffer the caller can free() and read as a string. */
	if (!m.data && !(m.data = malloc(1)))
		return -ENOMEM;
	*data = m.data;
	*len = m.len;
	return 0;
}

int s3_head_object(struct s3_client *c, const char *key, const char *version_id,
		   struct s3_object_info *info)
{
	struct s3_req req = { .method = "HEAD", .key = key };
	struct s3_resp resp;
	int rc;

	if (!s3_valid_key(key) || (version_id && !*version_id))
		return s3_fail(c, &req, -EINVAL, 0, "invalid key or version");
	version_param(&req, version_id);
	rc = s3_request(c, &req, &resp);
	if (rc == 0)
		fill_info(&resp, info);
	s3_resp_free(&resp);
	return rc;
}

int s3_delete_object(struct s3_client *c, const char *key, const char *version_id,
		     bool bypass_governance)
{
	struct s3_req req = { .method = "DELETE", .key = key };
	struct s3_resp resp;
	int rc;

	if (!s3_valid_key(key) || (version_id && !*version_id))
		return s3_fail(c, &req, -EINVAL, 0, "invalid key or version");
	version_param(&req, version_id);
	if (bypass_governance)
		s3_req_header(&req, "x-amz-bypass-governance-retention: true");
	rc = s3_request(c, &req, &resp);
	s3_resp_free(&resp);
	return rc;
}
