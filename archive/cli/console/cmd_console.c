/* `callrec-archive console`: options, the start (the archive must answer, the pages must be
 * there), the sign-in address, and the wait for a signal. See console.h. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli_util.h"
#include "../commands.h"
#include "console.h"
#include "exports.h"
#include "fsutil.h"
#include "../verb_args.h"
#include "hostport.h"
#include "outdir.h"

#define DEFAULT_CACHE_MB 512
#define DEFAULT_LISTEN "127.0.0.1:0"

static const char usage[] =
	"Usage: " CRA_PROGRAM " [CONNECTION] console [--listen HOST:PORT] [--url-file FILE]\n"
	"       [--web DIR] [--cache-mb N]\n"
	"  A web interface to the archive on this computer, as the operator whose certificate\n"
	"  the connection options give: search, listen with the timeline, verification, holds,\n"
	"  subject requests, the audit log, exports as downloads. It prints an address with a\n"
	"  one-time sign-in token to open in a browser here. The archive checks every request\n"
	"  against the operator's role and audits it, as for the other verbs. Runs until\n"
	"  interrupted; SIGUSR1 prints a fresh sign-in address.\n"
	"  --listen HOST:PORT  a loopback address (default 127.0.0.1:0, any free port)\n"
	"  --url-file FILE     also write the sign-in address to FILE (mode 0600)\n"
	"  --web DIR           the pages (default: the installed ones, else the build tree's)\n"
	"  --cache-mb N        memory for recordings being listened to (default 512)\n"
	CRA_CONN_HELP;

/* Who the archive says we are; also proves, before the sign-in address is printed, that the
 * configuration works. */
static int hello(struct console *con)
{
	struct cra_conn c;
	int rc = cra_conn_open(&con->params, &c);

	if (rc < 0)
		return rc;
	snprintf(con->identity, sizeof(con->identity), "%s", c.identity);
	cra_conn_close(&c);
	return 0;
}

/* Print (and write to url_file) a fresh sign-in address. */
static int announce(struct console *con, const char *url_file)
{
	char token[CONSOLE_SECRET_LEN + 1], url[256], why[PATH_MAX + 200];
	int rc = console_token_new(&con->sessions, token);

	if (rc < 0)
		return rc;
	snprintf(url, sizeof(url), "http://%s/login?token=%s", con->hosts[0], token);
	printf("Open this address in a browser on this computer (it signs you in once):\n"
	       "    %s\n", url);
	fflush(stdout);
	if (!url_file)
		return 0;
	strcat(url, "\n");
	/* A sign-in secret: only into a directory nobody else can plant a link in (outdir.h). */
	rc = cr_write_file_safely(url_file, url, strlen(url), 0600, CR_OUT_REPLACE, why,
				  sizeof(why));
	if (rc < 0)
		cra_error("console: %s", why);
	return rc;
}

/* HOST:PORT as elsewhere, where PORT may also be 0: any free port. */
static int listen_address(const char *s, char *host, size_t hostlen, unsigned *port)
{
	char text[300];
	size_t n = strlen(s);
	int any = n > 2 && strcmp(s + n - 2, ":0") == 0;

	if (n >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, n + 1);
	if (any)
		text[n - 1] = '1'; /* cr_split_hostport() wants a real port */
	if (cr_split_hostport(text, host, hostlen, port) < 0)
		return -EINVAL;
	if (any)
		*port = 0;
	return 0;
}

/* Serve until SIGINT or SIGTERM; SIGUSR1 makes a new sign-in address; every minute, idle
 * recordings leave memory. The signals are blocked before the server's threads start, so
 * that they all arrive here. */
static int serve(struct console *con, const struct cra_verb_args *a, const sigset_t *set)
{
	char host[256];
	unsigned port;
	struct timespec minute = { 60, 0 };
	int sig, rc;

	if (listen_address(a->listen ? a->listen : DEFAULT_LISTEN, host, sizeof(host), &port) < 0) {
		cra_error("console: --listen %s: expected HOST:PORT on a loopback address",
			  a->listen ? a->listen : DEFAULT_LISTEN);
		return -EINVAL;
	}
	rc = console_http_start(con, host, port);
	if (rc == 0 && (rc = hello(con)) < 0)
		rc = -EIO; /* reported; not a usage error */
	if (rc < 0) {
		console_http_stop(con);
		return rc;
	}
	printf(CRA_PROGRAM " console: operator %s at the archive %s\n", con->identity,
	       con->params.server);
	rc = announce(con, a->url_file);
	while (rc == 0) {
		sig = sigtimedwait(set, NULL, &minute);
		if (sig < 0 && (errno == EAGAIN || errno == EINTR)) {
			console_cache_sweep(con->cache);
			continue;
		}
		if (sig != SIGUSR1)
			break;
		rc = announce(con, a->url_file);
	}
	console_http_stop(con);
	return rc;
}

int cra_cmd_console(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct console con;
	struct console_cache cache;
	struct cra_verb_args a;
	sigset_t set, old;
	int rc = cra_verb_parse(argc, argv, CRA_V_LISTEN | CRA_V_URL_FILE | CRA_V_WEB | CRA_V_CACHE_MB,
				conn, &a);

	if (rc)
		return rc;
	if (a.help)
		return fputs(usage, stdout), 0;
	memset(&con, 0, sizeof(con));
	rc = cra_conn_resolve(conn, &con.params);
	if (rc < 0)
		return rc == -EINVAL ? CRA_EXIT_USAGE : CRA_EXIT_FAIL;
	rc = console_webroot_load(&con.web, a.web ? a.web : console_webroot_default());
	if (rc < 0) {
		cra_conn_params_free(&con.params);
		return CRA_EXIT_FAIL;
	}
	rc = console_cache_init(&cache, (a.cache_mb ? a.cache_mb : DEFAULT_CACHE_MB) << 20);
	if (rc < 0) {
		console_webroot_free(&con.web);
		cra_conn_params_free(&con.params);
		return CRA_EXIT_FAIL;
	}
	con.cache = &cache;
	console_sessions_init(&con.sessions);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	rc = serve(&con, &a, &set);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	console_sessions_free(&con.sessions);
	console_cache_free(&cache);
	console_webroot_free(&con.web);
	cra_conn_params_free(&con.params);
	return rc == 0 ? 0 : rc == -EINVAL ? CRA_EXIT_USAGE : CRA_EXIT_FAIL;
}
