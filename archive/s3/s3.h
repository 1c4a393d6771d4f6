/* A small S3 client for the archive's object store: the calls an archive needs on one bucket
 * of an S3 service with Object Lock (Ceph RGW, AWS S3, other compatible stores), over
 * libcurl with AWS Signature Version 4.
 *
 * Addressing is path-style (ENDPOINT/BUCKET/KEY), which every S3 implementation serves.
 * Every call returns 0 or a negative errno; s3_last_error() then has the details (HTTP
 * status, the service's error code and message) for the log. The mapping:
 *   -ENOENT     no such bucket, key or version (404), or a delete marker
 *   -EACCES     refused (403): bad credentials or signature, no permission, or Object Lock
 *               refusing a deletion or a shorter retention (the message tells which)
 *   -EINVAL     a request the service rejects as malformed (400), e.g. a retain-until date
 *               in the past
 *   -EEXIST     the bucket exists already;  -ERANGE  a byte range outside the object
 *   -EAGAIN     the service asks to slow down or is unavailable (503): retry later
 *   -EBADMSG    the body arrived damaged (checksum mismatch)
 *   -EIO        network failure, an answer that is not HTTP/S3, or a server error (5xx)
 *   -ETIMEDOUT  no connection or no progress within the configured time
 *   -ENOMEM, -EFBIG (a response larger than the caller allows)
 * The client never retries on its own: the caller knows whether a request may be repeated.
 *
 * Threads: a client owns one libcurl handle, whose connection to the service is reused from
 * one call to the next; a client must be used by one thread at a time. Give each thread its
 * own client (they are cheap: one handle and a few kilobytes) or share a small pool under a
 * lock. s3_client_new() may be called from any thread.
 *
 * Credentials: the caller reads them (s3_read_key_file() for the usual one-line files) and
 * passes them in; the client keeps a copy in memory only and wipes it when freed. */
#ifndef CALLREC_S3_H
#define CALLREC_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define S3_KEY_MAX 1024        /* bytes in an object key */
#define S3_VERSION_ID_MAX 1025 /* buffer for a version id (at most 1024 bytes) + NUL */
#define S3_ETAG_MAX 130        /* buffer for an ETag as the service sends it */

struct s3_config {
	const char *endpoint;   /* "http://HOST[:PORT]" or "https://HOST[:PORT]", no path */
	const char *region;     /* signing region: RGW's zonegroup ("default"), "us-east-1", ... */
	const char *bucket;     /* 3-63 characters: a-z 0-9 . - */
	const char *access_key;
	const char *secret_key;
	const char *ca_file;    /* https: the trust anchors (PEM); NULL: the system's */
	unsigned connect_timeout_ms; /* 0: 10 s */
	unsigned stall_timeout_ms;   /* no byte moving for this long fails the call; 0: 30 s */
};

/* Object Lock of one object version. */
enum s3_lock_mode {
	S3_LOCK_NONE = 0,
	S3_LOCK_GOVERNANCE, /* removable early by whoever holds the bypass permission */
	S3_LOCK_COMPLIANCE, /* no one can delete the version or shorten the date before it */
};

struct s3_lock {
	enum s3_lock_mode mode;
	time_t retain_until; /* whole seconds (S3 keeps no more); ignored for S3_LOCK_NONE */
};

struct s3_error {
	int err;                 /* the negative errno returned */
	long http_status;        /* 0 when no HTTP answer arrived */
	char code[64];           /* S3 error code ("AccessDenied"), or "" */
	char message[256];       /* the service's message, or libcurl's for network errors */
	char request_id[128];    /* x-amz-request-id, for the service's logs */
	char text[512];          /* all of it in one line: "PUT bucket/key: HTTP 403 ..." */
};

struct s3_client;

/* Body source for streamed uploads: copies up to len bytes to buf; returns the count (0 only
 * at the end) or a negative errno, which aborts the call and is returned by it. */
typedef long s3_read_fn(void *arg, void *buf, size_t len);
/* Body sink for downloads: consumes len bytes; 0 or a negative errno (aborts the call). */
typedef int s3_write_fn(void *arg, const void *data, size_t len);

struct s3_put {
	/* The body: in memory (data, len), or streamed (read, read_arg, size bytes). */
	const void *data;
	size_t len;
	s3_read_fn *read;
	void *read_arg;
	uint64_t size;
	/* Hex SHA-256 / base64 MD5 of the body if already known. For in-memory bodies the
	 * client computes both when NULL; streamed bodies without sha256_hex are sent as
	 * UNSIGNED-PAYLOAD (use https), without content_md5 unchecked by the service. Some
	 * services (AWS) require Content-MD5 on locked uploads: pass it for streams there. */
	const char *sha256_hex;
	const char *content_md5;
	struct s3_lock lock;     /* the new version's retention; S3_LOCK_NONE: none */
	bool legal_hold;         /* set the legal hold on the new version */
	const char *content_type; /* NULL: application/octet-stream */
};

struct s3_object_info {
	uint64_t size;            /* of the whole object */
	char etag[S3_ETAG_MAX];
	char version_id[S3_VERSION_ID_MAX]; /* "" when the bucket is not versioned */
	time_t last_modified;
	struct s3_lock lock;      /* S3_LOCK_NONE when the version has no retention */
	bool legal_hold;
	bool delete_marker;
};

/* One entry of a version listing. Strings are valid during the callback only. */
struct s3_version {
	const char *key;
	const char *version_id;
	const char *etag;        /* "" for delete markers */
	uint64_t size;
	time_t last_modified;
	bool is_latest;
	bool delete_marker;
};
/* 0 to go on, > 0 to stop the listing (s3_list_versions returns 0), < 0 to fail with it. */
typedef int s3_version_fn(void *arg, const struct s3_version *v);

/* A client for cfg->bucket. Copies everything it needs from cfg. 0 or -errno (-EINVAL for a
 * bad endpoint, bucket name or region). */
int s3_client_new(const struct s3_config *cfg, struct s3_client **out);
/* Closes the connection, wipes the credentials. NULL is fine. */
void s3_client_free(struct s3_client *c);
/* The details of the last failed call of this client (err == 0 after a successful one). */
const struct s3_error *s3_last_error(const struct s3_client *c);

/* Creates the bucket; with object_lock, with Object Lock enabled (which also turns on
 * versioning; S3 allows it only at creation). -EEXIST when it exists already, except that
 * some services (RGW among them) answer success when its owner creates it again, whatever
 * the Object Lock asked: check with s3_bucket_object_lock(). */
int s3_create_bucket(struct s3_client *c, bool object_lock);
/* Whether the bucket has Object Lock enabled (false when it has none configured). */
int s3_bucket_object_lock(struct s3_client *c, bool *enabled);

/* Stores a new version of key. version_id (S3_VERSION_ID_MAX bytes, may be NULL) receives
 * the new version's id, "" if the bucket is not versioned. */
int s3_put_object(struct s3_client *c, const char *key, const struct s3_put *put,
		  char *version_id);
/* Reads bytes [offset, offset + length) of a version (version_id NULL: the latest) into
 * write(); length 0 reads to the end. info (may be NULL) describes the object. -ERANGE when
 * offset is at or past the end of a non-empty object. */
int s3_get_object(struct s3_client *c, const char *key, const char *version_id,
		  uint64_t offset, uint64_t length, s3_write_fn *write, void *write_arg,
		  struct s3_object_info *info);
/* The same into a malloc()ed buffer (*data, *len; free() it), refusing with -EFBIG bodies
 * larger than max bytes. */
int s3_get_object_buf(struct s3_client *c, const char *key, const char *version_id,
		      uint64_t offset, uint64_t length, size_t max, void **data, size_t *len);
/* Metadata of a version (NULL: the latest). */
int s3_head_object(struct s3_client *c, const char *key, const char *version_id,
		   struct s3_object_info *info);
/* Deletes one version for good (refused with -EACCES while it is locked or held). With
 * version_id NULL, adds a delete marker instead (in a versioned bucket nothing is erased).
 * bypass_governance lifts a GOVERNANCE lock when the credentials may. */
int s3_delete_object(struct s3_client *c, const char *key, const char *version_id,
		     bool bypass_governance);

/* Sets a version's retention. Extending is always allowed; shortening or removing a
 * COMPLIANCE lock is refused (-EACCES), a GOVERNANCE one only with bypass_governance. */
int s3_put_retention(struct s3_client *c, const char *key, const char *version_id,
		     const struct s3_lock *lock, bool bypass_governance);
/* A version's retention; S3_LOCK_NONE when it has none. */
int s3_get_retention(struct s3_client *c, const char *key, const char *version_id,
		     struct s3_lock *lock);
/* Sets or releases a version's legal hold. */
int s3_put_legal_hold(struct s3_client *c, const char *key, const char *version_id, bool on);
/* Whether a version's legal hold is on (false when none was ever set). */
int s3_get_legal_hold(struct s3_client *c, const char *key, const char *version_id, bool *on);

/* Every version and delete marker whose key starts with prefix ("" or NULL: all), in key
 * order, newest version first within a key, page_size entries per request (0: 1000). */
int s3_list_versions(struct s3_client *c, const char *prefix, unsigned page_size,
		     s3_version_fn *fn, void *arg);

/* Reads a credential from a file holding it on its first line (trailing white space and
 * the line end are dropped) into out (size bytes). -EINVAL for an empty first line,
 * -ENAMETOOLONG if it does not fit, -errno of open/read otherwise. */
int s3_read_key_file(const char *path, char *out, size_t size);

/* "NONE", "GOVERNANCE", "COMPLIANCE". */
const char *s3_lock_mode_name(enum s3_lock_mode mode);

#endif
