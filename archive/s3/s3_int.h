/* Inside the S3 client: the client itself and one HTTP exchange (s3_request.c), which the
 * calls of s3_object.c, s3_lock.c and s3_list.c describe. */
#ifndef CALLREC_S3_INT_H
#define CALLREC_S3_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "s3.h"
#include "s3_canon.h"

struct s3_client {
	CURL *curl; /* kept across calls: its connection cache holds the open connection */
	char *endpoint; /* without a trailing '/' */
	char *bucket;
	char *region;
	char *sigv4;    /* "aws:amz:REGION:s3" */
	char *access_key, *secret_key; /* wiped when freed */
	char *ca_file;
	long connect_timeout_ms;
	long stall_timeout_s;
	struct s3_error err;
};

#define S3_MAX_PARAMS 6
#define S3_MAX_HEADERS 6

struct s3_req {
	const char *method;  /* "GET", "HEAD", "PUT", "DELETE" */
	const char *key;     /* NULL: the bucket */
	struct s3_param params[S3_MAX_PARAMS];
	size_t n_params;
	/* PUT body: in memory (body, body_len) or streamed (read, read_arg, body_len bytes). */
	const void *body;
	uint64_t body_len;
	s3_read_fn *read;
	void *read_arg;
	const char *sha256_hex;  /* NULL: computed for in-memory bodies, else UNSIGNED-PAYLOAD */
	const char *content_md5; /* NULL: computed for in-memory bodies when want_md5 */
	bool want_md5;
	const char *headers[S3_MAX_HEADERS]; /* further "Name: value" lines */
	size_t n_headers;
	bool range;          /* GET bytes [range_off, range_off + range_len), range_len 0: to the end */
	uint64_t range_off, range_len;
	/* A 2xx body goes to sink if set; otherwise (and for errors) it is collected into
	 * s3_resp.body up to body_max bytes (0: 1 MiB), beyond which the call fails -EFBIG. */
	s3_write_fn *sink;
	void *sink_arg;
	size_t body_max;
};

struct s3_resp {
	long status;
	char *body;          /* NUL-terminated; free with s3_resp_free */
	size_t body_len, body_cap;
	struct s3_object_info info; /* what the headers said */
	bool has_lock_mode, has_retain_until;
	char request_id[128];
	/* private to s3_request.c */
	uint64_t received;   /* body bytes of the final response so far */
	uint64_t upload_sent;
	int cb_err;          /* an error raised inside a libcurl callback */
	bool bad_header;
	const struct s3_req *req;
	struct s3_client *client;
};

/* Sends req, waits for the whole answer. 0 for a 2xx answer; otherwise the client's error
 * (s3_last_error) is set and its errno returned. resp is always to be freed. */
int s3_request(struct s3_client *c, const struct s3_req *req, struct s3_resp *resp);
void s3_resp_free(struct s3_resp *resp);

/* Records an error found outside s3_request (e.g. an answer that does not parse). */
int s3_fail(struct s3_client *c, const struct s3_req *req, int err, long status,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Clears the client's error before a call. */
void s3_clear_error(struct s3_client *c);

/* Adds a query parameter; the request's list has room for S3_MAX_PARAMS. */
void s3_req_param(struct s3_req *req, const char *name, const char *value);
/* Adds a header line (the string must outlive the request). */
void s3_req_header(struct s3_req *req, const char *line);

#endif
