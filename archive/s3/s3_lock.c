/* Object Lock: creating a locked bucket, reading its configuration, and a version's
 * retention and legal hold (sub-resources "?retention=" and "?legal-hold=", whose PUTs S3
 * accepts only with Content-MD5). */
#include "s3_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "s3_parse.h"
#include "s3_time.h"

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/* A 404 that only says "nothing configured": the answer is "none", not an error. */
static bool nothing_configured(const struct s3_client *c)
{
	return c->err.http_status == 404 &&
	       (strcmp(c->err.code, "ObjectLockConfigurationNotFoundError") == 0 ||
		strcmp(c->err.code, "NoSuchObjectLockConfiguration") == 0);
}

static int version_ok(struct s3_client *c, struct s3_req *req, const char *key,
		      const char *version_id)
{
	if (!s3_valid_key(key) || (version_id && !*version_id))
		return s3_fail(c, req, -EINVAL, 0, "invalid key or version");
	if (version_id)
		s3_req_param(req, "versionId", version_id);
	return 0;
}

int s3_create_bucket(struct s3_client *c, bool object_lock)
{
	struct s3_req req = { .method = "PUT" };
	struct s3_resp resp;
	char body[256];
	int rc;

	/* us-east-1 is the one region named by leaving the constraint out. */
	if (strcmp(c->region, "us-east-1") == 0)
		body[0] = '\0';
	else
		snprintf(body, sizeof(body),
			 "<CreateBucketConfiguration xmlns=\"" S3_XMLNS "\">"
			 "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
			 c->region);
	req.body = body;
	req.body_len = strlen(body);
	if (object_lock)
		s3_req_header(&req, "x-amz-bucket-object-lock-enabled: true");
	rc = s3_request(c, &req, &resp);
	s3_resp_free(&resp);
	return rc;
}

int s3_bucket_object_lock(struct s3_client *c, bool *enabled)
{
	struct s3_req req = { .method = "GET" };
	struct s3_resp resp;
	int rc;

	s3_req_param(&req, "object-lock", "");
	rc = s3_request(c, &req, &resp);
	if (rc == -ENOENT && nothing_configured(c)) {
		*enabled = false;
		s3_clear_error(c);
		rc = 0;
	} else if (rc == 0) {
		rc = s3_parse_object_lock_config(resp.body ? resp.body : "", resp.body_len, enabled);
		if (rc < 0)
			s3_fail(c, &req, rc, resp.status, "unreadable Object Lock configuration");
	}
	s3_resp_free(&resp);
	return rc;
}

int s3_put_retention(struct s3_client *c, const char *key, const char *version_id,
		     const struct s3_lock *lock, bool bypass_governance)
{
	struct s3_req req = { .method = "PUT", .key = key, .want_md5 = true };
	struct s3_resp resp;
	char date[S3_TIME_LEN + 1], body[256];
	int rc;

	s3_req_param(&req, "retention", "");
	rc = version_ok(c, &req, key, version_id);
	if (rc < 0)
		return rc;
	if (lock->mode == S3_LOCK_NONE) {
		/* Removing a retention: allowed by S3 only for GOVERNANCE with the bypass. */
		snprintf(body, sizeof(body), "<Retention xmlns=\"" S3_XMLNS "\"/>");
	} else {
		if ((lock->mode != S3_LOCK_GOVERNANCE && lock->mode != S3_LOCK_COMPLIANCE) ||
		    s3_time_format(lock->retain_until, date) < 0)
			return s3_fail(c, &req, -EINVAL, 0, "invalid mode or retain-until date");
		snprintf(body, sizeof(body),
			 "<Retention xmlns=\"" S3_XMLNS "\"><Mode>%s</Mode>"
			 "<RetainUntilDate>%s</RetainUntilDate></Retention>",
			 s3_lock_mode_name(lock->mode), date);
	}
	req.body = body;
	req.body_len = strlen(body);
	if (bypass_governance)
		s3_req_header(&req, "x-amz-bypass-governance-retention: true");
	rc = s3_request(c, &req, &resp);
	s3_resp_free(&resp);
	return rc;
}

int s3_get_retention(struct s3_client *c, const char *key, const char *version_id,
		     struct s3_lock *lock)
{
	struct s3_req req = { .method = "GET", .key = key };
	struct s3_resp resp;
	int rc;

	s3_req_param(&req, "retention", "");
	rc = version_ok(c, &req, key, version_id);
	if (rc < 0)
		return rc;
	rc = s3_request(c, &req, &resp);
	if (rc == -ENOENT && nothing_configured(c)) {
		*lock = (struct s3_lock){ S3_LOCK_NONE, 0 };
		s3_clear_error(c);
		rc = 0;
	} else if (rc == 0) {
		rc = s3_parse_retention(resp.body ? resp.body : "", resp.body_len, lock);
		if (rc < 0)
			s3_fail(c, &req, rc, resp.status, "unreadable retention");
	}
	s3_resp_free(&resp);
	return rc;
}

int s3_put_legal_hold(struct s3_client *c, const char *key, const char *version_id, bool on)
{
	struct s3_req req = { .method = "PUT", .key = key, .want_md5 = true };
	struct s3_resp resp;
	char body[160];
	int rc;

	s3_req_param(&req, "legal-hold", "");
	rc = version_ok(c, &req, key, version_id);
	if (rc < 0)
		return rc;
	snprintf(body, sizeof(body), "<LegalHold xmlns=\"" S3_XMLNS "\"><Status>%s</Status></LegalHold>",
		 on ? "ON" : "OFF");
	req.body = body;
	req.body_len = strlen(body);
	rc = s3_request(c, &req, &resp);
	s3_resp_free(&resp);
	return rc;
}

int s3_get_legal_hold(struct s3_client *c, const char *key, const char *version_id, bool *on)
{
	struct s3_req req = { .method = "GET", .key = key };
	struct s3_resp resp;
	int rc;

	s3_req_param(&req, "legal-hold", "");
	rc = version_ok(c, &req, key, version_id);
	if (rc < 0)
		return rc;
	rc = s3_request(c, &req, &resp);
	if (rc == -ENOENT && nothing_configured(c)) {
		*on = false; /* never set */
		s3_clear_error(c);
		rc = 0;
	} else if (rc == 0) {
		rc = s3_parse_legal_hold(resp.body ? resp.body : "", resp.body_len, on);
		if (rc < 0)
			s3_fail(c, &req, rc, resp.status, "unreadable legal hold");
	}
	s3_resp_free(&resp);
	return rc;
}
