/* The console's HTTP server (libmicrohttpd, a thread per connection so that a page waiting for
 * the archive holds up no other) and the checks every request passes before any page or data:
 *  - the Host header must name the loopback address we listen on (a foreign name means DNS
 *    rebinding: someone's web page resolving its own name to 127.0.0.1);
 *  - a browser's request must come from our own pages (Sec-Fetch-Site), since another port of
 *    127.0.0.1 is the "same site" to a browser and SameSite cookies do not keep it out;
 *  - /login trades the one-time token for the session cookie; everything else needs it;
 *  - a POST (the only way to change anything) must carry our Origin, the session's CSRF token
 *    and a JSON body. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../cli_util.h"
#include "console.h"
#include "version.h"
#include "when.h"

static const char *header(struct console_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->mc, MHD_HEADER_KIND, name);
}

static int listed(const char *v, const char (*list)[CONSOLE_HOST_LEN], size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcasecmp(v, list[i]) == 0)
			return 1;
	return 0;
}

/* A refusal as the asker understands it: JSON for the pages' scripts, a short page for a
 * person who opened an address. */
static enum MHD_Result refuse(struct console_req *r, unsigned status, const char *why)
{
	static const char fmt[] =
		"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>callrec console</title></head><body><main><h1>callrec console</h1>"
		"<p>%s</p></main></body></html>\n";
	char *page;

	if (strncmp(r->url, "/api/", 5) == 0)
		return console_reply_error(r, status, "%s", why);
	if (asprintf(&page, fmt, why) < 0)
		return MHD_NO;
	return console_reply_text(r, status, "text/html; charset=utf-8", page);
}

static enum MHD_Result login(struct console_req *r)
{
	char sid[CONSOLE_SECRET_LEN + 1], cookie[160];
	struct MHD_Response *resp;

	if (console_token_redeem(&r->con->sessions, console_arg(r, "token"), cr_when_now_ms(),
				 sid) < 0)
		return refuse(r, MHD_HTTP_FORBIDDEN,
			      "This sign-in address was used already, or is not the current one. "
			      "Each address works once. For a new one, send the console SIGUSR1 "
			      "(it prints the address again) or restart it.");
	snprintf(cookie, sizeof(cookie), "%s=%s; HttpOnly; SameSite=Strict; Path=/",
		 r->con->cookie, sid);
	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Set-Cookie", cookie);
	/* Off the address with the token, so it is not left in the address bar or history. */
	MHD_add_response_header(resp, "Location", "/");
	return console_queue(r, MHD_HTTP_SEE_OTHER, resp);
}

static enum MHD_Result static_file(struct console_req *r)
{
	const struct console_file *f = console_webroot_get(&r->con->web, r->url);
	struct MHD_Response *resp;

	if (!f)
		return refuse(r, MHD_HTTP_NOT_FOUND, "No such page.");
	if (r->post)
		return refuse(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Pages are only read.");
	resp = MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", f->type);
	return console_queue(r, MHD_HTTP_OK, resp);
}

static enum MHD_Result session_info(struct console_req *r, const char *csrf)
{
	return console_reply_json(r, MHD_HTTP_OK,
				  json_pack("{ss ss ss ss}", "identity", r->con->identity,
					    "archive", r->con->params.server,
					    "csrf", csrf, "version", CR_VERSION));
}

/* What a POST must show besides the session. NULL when it passes, else why not. */
static const char *post_refusal(struct console_req *r, const char *csrf)
{
	const char *type = header(r, "Content-Type");

	if (!listed(header(r, "Origin"), r->con->origins, r->con->nhosts))
		return "refused: a change must come from the console's own pages (Origin)";
	if (!console_secret_equal(header(r, "X-CSRF-Token"), csrf))
		return "refused: missing or wrong CSRF token (reload the page)";
	if (!type || strncasecmp(type, "application/json", 16) != 0)
		return "refused: expected a JSON body";
	return NULL;
}

static enum MHD_Result route(struct console_req *r)
{
	struct console *con = r->con;
	const char *site = header(r, "Sec-Fetch-Site"), *why;
	char csrf[CONSOLE_SECRET_LEN + 1];

	if (!r->post && strcmp(r->method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(r->method, MHD_HTTP_METHOD_HEAD) != 0)
		return refuse(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed.");
	if (!listed(header(r, "Host"), con->hosts, con->nhosts))
		return refuse(r, MHD_HTTP_MISDIRECTED_REQUEST,
			      "This console answers only to its own loopback address.");
	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return refuse(r, MHD_HTTP_FORBIDDEN, "Requests from other sites are refused.");
	if (strcmp(r->url, "/login") == 0 && !r->post)
		return login(r);
	r->sid[0] = '\0';
	{
		const char *sid = MHD_lookup_connection_value(r->mc, MHD_COOKIE_KIND, con->cookie);

		if (!sid || console_session_get(&con->sessions, sid, cr_when_now_ms(), csrf) < 0)
			return refuse(r, MHD_HTTP_UNAUTHORIZED,
				      "Not signed in. Open the address that callrec-archive console "
				      "printed when it started (it works once).");
		snprintf(r->sid, sizeof(r->sid), "%s", sid);
	}
	if (r->post) {
		if (r->too_big)
			return refuse(r, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
		if ((why = post_refusal(r, csrf)))
			return refuse(r, MHD_HTTP_FORBIDDEN, why);
	}
	if (strncmp(r->url, "/api/", 5) != 0)
		return static_file(r);
	if (strcmp(r->url, "/api/session") == 0 && !r->post)
		return session_info(r, csrf);
	if (strcmp(r->url, "/api/logout") == 0 && r->post) {
		console_session_end(&con->sessions, r->sid);
		return console_reply_json(r, MHD_HTTP_OK, json_pack("{ss}", "result", "signed out"));
	}
	if (strcmp(r->url, "/api/calls") == 0 || strncmp(r->url, "/api/calls/", 11) == 0)
		return console_api_calls(r, r->url + 10);
	if (strncmp(r->url, "/api/subject/", 13) == 0)
		return console_api_subject(r, r->url + 12);
	if (strcmp(r->url, "/api/audit") == 0 && !r->post)
		return console_api_audit(r);
	return refuse(r, MHD_HTTP_NOT_FOUND, "No such request.");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **ctx)
{
	struct console_req *r = *ctx;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->con = cls;
		r->mc = mc;
		r->url = url;
		r->method = method;
		r->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
		*ctx = r;
		return MHD_YES; /* headers only so far; a body may follow */
	}
	if (*upload_size) {
		if (!r->too_big && r->len + *upload_size <= CONSOLE_MAX_BODY) {
			char *b = realloc(r->body, r->len + *upload_size + 1);

			if (!b)
				return MHD_NO;
			memcpy(b + r->len, upload, *upload_size);
			r->len += *upload_size;
			b[r->len] = '\0';
			r->body = b;
		} else {
			r->too_big = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return route(r);
}

static void on_done(void *cls, struct MHD_Connection *mc, void **ctx,
		    enum MHD_RequestTerminationCode why)
{
	struct console_req *r = *ctx;

	(void)cls, (void)mc, (void)why;
	if (r) {
		free(r->body);
		free(r);
	}
	*ctx = NULL;
}

/* The address to listen on, if it is this computer's own. */
static int loopback(const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		*len = sizeof(*in4);
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

static void allow_host(struct console *con, const char *host)
{
	if (con->nhosts == CONSOLE_MAX_HOSTS)
		return;
	snprintf(con->hosts[con->nhosts], sizeof(con->hosts[0]), "%s:%u", host, con->port);
	snprintf(con->origins[con->nhosts], sizeof(con->origins[0]), "http://%s:%u", host,
		 con->port);
	con->nhosts++;
}

int console_http_start(struct console *con, const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	char addr[INET6_ADDRSTRLEN + 2];
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;

	if (!loopback(host, &ss, &sslen)) {
		cra_error("console: %s is not a loopback address. The console serves only this "
			  "computer (plain HTTP, recordings in the clear): listen on 127.0.0.1 or "
			  "::1, and from another machine forward the port over SSH "
			  "(ssh -L PORT:127.0.0.1:PORT)", host);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port), flags |= MHD_USE_IPv6;
	con->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, con,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_NOTIFY_COMPLETED, on_done, con,
				    MHD_OPTION_CONNECTION_TIMEOUT, 300u,
				    MHD_OPTION_CONNECTION_LIMIT, 64u,
				    MHD_OPTION_END);
	if (!con->mhd) {
		cra_error("console: cannot listen on %s port %u (in use?)", host, port);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(con->mhd, MHD_DAEMON_INFO_BIND_PORT);
	con->port = info ? info->port : port;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
	} else {
		addr[0] = '[';
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr + 1,
			  sizeof(addr) - 2);
		strcat(addr, "]");
	}
	con->nhosts = 0;
	allow_host(con, addr);
	allow_host(con, "localhost");
	snprintf(con->cookie, sizeof(con->cookie), "callrec_console_%u", con->port);
	return 0;
}

void console_http_stop(struct console *con)
{
	if (con->mhd)
		MHD_stop_daemon(con->mhd);
	con->mhd = NULL;
}
