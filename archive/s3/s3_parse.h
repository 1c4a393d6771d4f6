/* The S3 response documents the client reads: errors, a version's legal hold and retention,
 * a bucket's Object Lock configuration, and pages of a version listing. Pure functions over
 * a buffer (s3_xml.h underneath); each returns 0, -EBADMSG for a document that is not the
 * expected one (malformed, wrong root, a required value missing or out of range), or what a
 * callback returned. */
#ifndef CALLREC_S3_PARSE_H
#define CALLREC_S3_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "s3.h"

struct s3_error_doc {
	char code[64];        /* truncated if longer; "" if absent */
	char message[256];
	char request_id[128];
};

/* <Error><Code>..</Code><Message>..</Message><RequestId>..</RequestId></Error>; Code is
 * required. */
int s3_parse_error(const char *doc, size_t len, struct s3_error_doc *out);

/* <LegalHold><Status>ON|OFF</Status></LegalHold> */
int s3_parse_legal_hold(const char *doc, size_t len, bool *on);

/* <Retention><Mode>GOVERNANCE|COMPLIANCE</Mode><RetainUntilDate>ISO 8601</RetainUntilDate>
 * </Retention>: both required. */
int s3_parse_retention(const char *doc, size_t len, struct s3_lock *out);

/* <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>... */
int s3_parse_object_lock_config(const char *doc, size_t len, bool *enabled);

struct s3_versions_page {
	bool truncated;                              /* IsTruncated: more pages follow */
	char next_key_marker[S3_KEY_MAX + 1];        /* where the next page starts */
	char next_version_id_marker[S3_VERSION_ID_MAX];
	unsigned entries;                            /* Version and DeleteMarker entries seen */
};

/* <ListVersionsResult>: calls fn for each Version and DeleteMarker (Key and VersionId
 * required) in document order. A positive value from fn stops the parse and is returned. */
int s3_parse_versions(const char *doc, size_t len, struct s3_versions_page *page,
		      s3_version_fn *fn, void *arg);

/* S3_LOCK_GOVERNANCE or S3_LOCK_COMPLIANCE from the mode's name; -EINVAL otherwise. */
int s3_lock_mode_parse(const char *name, enum s3_lock_mode *mode);

#endif
