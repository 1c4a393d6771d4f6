/* Responses. Every one carries the same security headers: the pages load nothing from
 * elsewhere and run no inline script (CSP), cannot be framed, are never sniffed as another
 * type, and are not kept in any cache (they hold people's calls). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

static const struct {
	const char *name, *value;
} security_headers[] = {
	{ "Content-Security-Policy",
	  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
	  "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
	  "form-action 'self'; frame-ancestors 'none'" },
	{ "X-Frame-Options", "DENY" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Cache-Control", "no-store" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cross-Origin-Resource-Policy", "same-origin" },
	{ "Permissions-Policy", "camera=(), microphone=(), geolocation=()" },
};

enum MHD_Result console_queue(struct console_req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	for (size_t i = 0; i < sizeof(security_headers) / sizeof(security_headers[0]); i++)
		MHD_add_response_header(resp, security_headers[i].name, security_headers[i].value);
	ret = MHD_queue_response(r->mc, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result console_reply_text(struct console_req *r, unsigned status, const char *type,
				   char *text)
{
	struct MHD_Response *resp;

	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	return console_queue(r, status, resp);
}

enum MHD_Result console_reply_json(struct console_req *r, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return console_reply_text(r, status, "application/json", text);
}

enum MHD_Result console_reply_error(struct console_req *r, unsigned status, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return console_reply_json(r, status, json_pack("{ss}", "error", text));
}

/* The HTTP status for the archive's errno. */
static unsigned status_of(int err)
{
	switch (err) {
	case EACCES:
		return MHD_HTTP_FORBIDDEN;
	case ENOENT:
		return MHD_HTTP_NOT_FOUND;
	case EINVAL:
		return MHD_HTTP_BAD_REQUEST;
	case EBUSY:
	case EALREADY:
	case ENOLINK:
	case EPERM: /* the release needs a second operator */
		return MHD_HTTP_CONFLICT;
	default:
		return MHD_HTTP_BAD_GATEWAY;
	}
}

enum MHD_Result console_reply_failure(struct console_req *r, int rc, const char *why)
{
	if (rc < 0)
		return console_reply_error(r, MHD_HTTP_BAD_GATEWAY,
					   "the archive could not be reached or did not answer (%s)",
					   strerror(-rc));
	return console_reply_error(r, status_of(rc), "%s", why && *why ? why : strerror(rc));
}

enum MHD_Result console_reply_archive(struct console_req *r, int rc, const struct cra_answer *a)
{
	return console_reply_failure(r, rc < 0 ? rc : a->status, a->error);
}

const char *console_arg(struct console_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->mc, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

/* The reason in a POST's JSON body, checked as the archive checks it. */
const char *console_reason(struct console_req *r, json_t **body)
{
	const char *reason;

	*body = r->body ? json_loads(r->body, 0, NULL) : NULL;
	reason = json_string_value(json_object_get(*body, "reason"));
	return reason && *reason && strlen(reason) <= 500 ? reason : NULL;
}
