/* `callrec-archive console`: a web interface on this computer's loopback address that speaks to
 * the archive as the operator running it, with the operator's certificate, over the same
 * requests as the command line. The archive sees an operator connection like any other: its
 * role checks and audit log apply to every page. */
#ifndef CALLREC_CONSOLE_H
#define CALLREC_CONSOLE_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stddef.h>

#include "../conn_params.h"
#include "../conn.h"
#include "../op_request.h"
#include "session.h"
#include "webroot.h"

struct console_cache;

#define CONSOLE_MAX_HOSTS 3
#define CONSOLE_HOST_LEN 96

struct console {
	struct cra_conn_params params; /* how to reach the archive */
	char identity[CR_NAME_MAX];    /* the archive's name for us (our role is its business) */
	struct console_sessions sessions;
	struct console_webroot web;
	struct console_cache *cache;
	/* Host header values a request may carry (anything else is DNS rebinding or a
	 * mistake), and the Origin of a page of ours. */
	char hosts[CONSOLE_MAX_HOSTS][CONSOLE_HOST_LEN];
	char origins[CONSOLE_MAX_HOSTS][CONSOLE_HOST_LEN];
	size_t nhosts;
	char cookie[48]; /* the session cookie's name: one per port, since cookies ignore ports */
	unsigned port;
	struct MHD_Daemon *mhd;
};

/* One HTTP request. */
struct console_req {
	struct console *con;
	struct MHD_Connection *mc;
	const char *method, *url;
	int post;
	char *body; /* a POST's body (NUL-terminated), at most CONSOLE_MAX_BODY bytes */
	size_t len;
	int too_big;
	char sid[CONSOLE_SECRET_LEN + 1]; /* the session, once checked */
};

#define CONSOLE_MAX_BODY (64u * 1024u)

/* --- http.c: the server and the checks every request passes ---------------------------- */
/* Listen on host:port (loopback only). 0 or -errno (reported). */
int console_http_start(struct console *con, const char *host, unsigned port);
void console_http_stop(struct console *con);

/* --- reply.c: responses, each with the security headers -------------------------------- */
/* Queue resp with status (resp is destroyed). */
enum MHD_Result console_queue(struct console_req *r, unsigned status, struct MHD_Response *resp);
/* A malloc'd text body of that Content-Type (consumed). */
enum MHD_Result console_reply_text(struct console_req *r, unsigned status, const char *type,
				   char *text);
/* JSON body (j consumed). */
enum MHD_Result console_reply_json(struct console_req *r, unsigned status, json_t *j);
/* {"error": text}. */
enum MHD_Result console_reply_error(struct console_req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* rc > 0: the archive refused with that errno, for reason why; rc < 0: it could not be
 * reached. */
enum MHD_Result console_reply_failure(struct console_req *r, int rc, const char *why);
/* The same for console_archive_call()'s result and answer (a->status > 0). */
enum MHD_Result console_reply_archive(struct console_req *r, int rc, const struct cra_answer *a);
/* A query argument, or NULL (an empty one counts as absent). */
const char *console_arg(struct console_req *r, const char *name);

/* --- archive.c: requests to the archive, each on its own connection -------------------- */
int console_archive_open(struct console *con, struct cra_conn *c);
/* Send req (not consumed) and read the answer. 0 when the archive answered (look at
 * a->status); -errno when it could not be reached (a is then empty but safe to free). */
int console_archive_call(struct console *con, json_t *req, cra_data_fn data, void *arg,
			 struct cra_answer *a);
/* A valid call id (32 lower-case hex digits) in id, else 0. */
int console_call_id(const char *text, char id[33]);

/* The "reason" of a POST's JSON body (parsed into *body, to be released by the caller), or
 * NULL unless it has 1 to 500 characters as the archive requires. */
const char *console_reason(struct console_req *r, json_t **body);

/* --- the pages' API (api_*.c); path is what follows "/api" --------------------------------- */
enum MHD_Result console_api_calls(struct console_req *r, const char *path);
enum MHD_Result console_api_subject(struct console_req *r, const char *path);
enum MHD_Result console_api_audit(struct console_req *r);

#endif
