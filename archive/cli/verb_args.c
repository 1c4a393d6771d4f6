/* Operator verb options: see verb_args.h. */
#include "verb_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "frame.h"
#include "usage.h"

/* getopt_long codes above the connection options'; the bit of enum cra_verb_opt is
 * code - OPT_BASE. */
#define OPT_BASE 0x400
#define OPT_LAST (OPT_BASE + 19)

static const struct option options[] = {
	CRA_CONN_LONGOPTS,
	{ "json", no_argument, NULL, OPT_BASE + 0 },
	{ "call", required_argument, NULL, OPT_BASE + 1 },
	{ "out", required_argument, NULL, OPT_BASE + 2 },
	{ "from", required_argument, NULL, OPT_BASE + 3 },
	{ "to", required_argument, NULL, OPT_BASE + 4 },
	{ "user", required_argument, NULL, OPT_BASE + 5 },
	{ "device", required_argument, NULL, OPT_BASE + 6 },
	{ "purpose", required_argument, NULL, OPT_BASE + 7 },
	{ "tag", required_argument, NULL, OPT_BASE + 8 },
	{ "state", required_argument, NULL, OPT_BASE + 9 },
	{ "subject", required_argument, NULL, OPT_BASE + 10 },
	{ "reason", required_argument, NULL, OPT_BASE + 11 },
	{ "force", no_argument, NULL, OPT_BASE + 12 },
	{ "stale", required_argument, NULL, OPT_BASE + 13 },
	{ "unhealthy", no_argument, NULL, OPT_BASE + 14 },
	{ "listen", required_argument, NULL, OPT_BASE + 16 },
	{ "url-file", required_argument, NULL, OPT_BASE + 17 },
	{ "web", required_argument, NULL, OPT_BASE + 18 },
	{ "cache-mb", required_argument, NULL, OPT_BASE + 19 },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cra_verb_usage_error(const char *verb, const char *what)
{
	char help[64];

	snprintf(help, sizeof(help), CRA_PROGRAM " %s", verb);
	return cr_usage_error(CRA_PROGRAM, help, "%s: %s", verb, what);
}

static int bad_arg(const char *verb, const char *what, const char *arg)
{
	char text[512];

	snprintf(text, sizeof(text), "%s%s", what, arg);
	return cra_verb_usage_error(verb, text);
}

/* The value of option `bit` into its field. 0 or CRA_EXIT_USAGE. */
static int take(struct cra_verb_args *a, unsigned bit, const char *verb, const char *val)
{
	const char **text[] = {
		[3] = &a->from, [4] = &a->to, [5] = &a->user, [6] = &a->device, [7] = &a->purpose,
		[8] = &a->tag, [9] = &a->state, [10] = &a->subject, [11] = &a->reason,
		[1] = &a->call, [2] = &a->out, [16] = &a->listen, [17] = &a->url_file,
		[18] = &a->web,
	};
	char *end;

	switch (bit) {
	case 0:
		a->json = 1;
		return 0;
	case 12:
		a->force = 1;
		return 0;
	case 13:
		errno = 0;
		a->stale = strtol(val, &end, 10);
		if (errno || *end || end == val || a->stale < 0 || a->stale > 365L * 86400)
			return bad_arg(verb, "--stale needs seconds: ", val);
		return 0;
	case 14:
		a->unhealthy = 1;
		return 0;
	case 19:
		errno = 0;
		a->cache_mb = strtoul(val, &end, 10);
		if (errno || *end || end == val || a->cache_mb < 16 || a->cache_mb > 1024 * 1024)
			return bad_arg(verb, "--cache-mb needs megabytes, 16 to 1048576: ", val);
		return 0;
	default:
		*text[bit] = val;
		return 0;
	}
}

int cra_verb_parse(int argc, char **argv, unsigned allowed, struct cra_conn_opts *conn,
		   struct cra_verb_args *a)
{
	const char *verb = argv[0];
	int c, rc, index = -1;

	memset(a, 0, sizeof(*a));
	a->stale = -1;
	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode main() used */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, &index)) != -1) {
		rc = cra_conn_opt(conn, c, optarg);
		if (rc < 0)
			return CRA_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (c == 'h') {
			a->help = 1;
			continue;
		}
		if (c >= OPT_BASE && c <= OPT_LAST && !(allowed & (1u << (c - OPT_BASE))))
			return bad_arg(verb, "not an option of this verb: --", options[index].name);
		if (c < OPT_BASE || c > OPT_LAST)
			return bad_arg(verb, "unknown option or missing value: ", argv[optind - 1]);
		rc = take(a, (unsigned)(c - OPT_BASE), verb, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc && (allowed & CRA_V_POSITIONAL))
		a->pos = argv[optind++];
	if (optind < argc)
		return bad_arg(verb, "unexpected argument: ", argv[optind]);
	return 0;
}

int cra_valid_call_id(const char *id)
{
	uint8_t b[CR_CALL_ID_BYTES];

	if (!id || cr_id_from_hex(id, b) < 0) {
		cra_error("expected a call id of %u hex digits (see `list`)", 2 * CR_CALL_ID_BYTES);
		return 0;
	}
	return 1;
}
