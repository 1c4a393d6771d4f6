/* The options of the verbs that talk to the archive (list, show, export, erase, hold, release,
 * audit, devices, console): one option table and one parser. Each verb names the options it
 * takes; any other is refused as unknown, so a verb never silently ignores what it was given.
 * Connection options (conn_params.h) are accepted after the verb too. */
#ifndef CALLREC_ARCHIVE_VERB_ARGS_H
#define CALLREC_ARCHIVE_VERB_ARGS_H

#include "conn_params.h"

enum cra_verb_opt {
	CRA_V_JSON = 1u << 0,      /* --json */
	CRA_V_CALL = 1u << 1,      /* --call ID */
	CRA_V_OUT = 1u << 2,       /* --out DIR|FILE */
	CRA_V_FROM = 1u << 3,      /* --from T */
	CRA_V_TO = 1u << 4,        /* --to T */
	CRA_V_USER = 1u << 5,      /* --user U */
	CRA_V_DEVICE = 1u << 6,    /* --device D */
	CRA_V_PURPOSE = 1u << 7,   /* --purpose P */
	CRA_V_TAG = 1u << 8,       /* --tag KEY=VALUE */
	CRA_V_STATE = 1u << 9,     /* --state S */
	CRA_V_SUBJECT = 1u << 10,  /* --subject KEY=VALUE */
	CRA_V_REASON = 1u << 11,   /* --reason TEXT */
	CRA_V_FORCE = 1u << 12,    /* --force (replace files written before) */
	CRA_V_STALE = 1u << 13,    /* --stale SECONDS */
	CRA_V_UNHEALTHY = 1u << 14, /* --unhealthy */
	CRA_V_POSITIONAL = 1u << 15, /* one argument without an option */
	CRA_V_LISTEN = 1u << 16,   /* --listen HOST:PORT (console) */
	CRA_V_URL_FILE = 1u << 17, /* --url-file FILE (console) */
	CRA_V_WEB = 1u << 18,      /* --web DIR (console) */
	CRA_V_CACHE_MB = 1u << 19, /* --cache-mb N (console) */
};

struct cra_verb_args {
	int json, unhealthy, help, force;
	const char *call, *out, *from, *to, *user, *device, *purpose, *tag, *state, *subject,
		*reason, *pos, *listen, *url_file, *web;
	long stale;             /* -1 when not given */
	unsigned long cache_mb; /* 0 when not given */
};

/* argv[0] is the verb. 0, or CRA_EXIT_USAGE after saying what is wrong. */
int cra_verb_parse(int argc, char **argv, unsigned allowed, struct cra_conn_opts *conn,
		   struct cra_verb_args *a);
/* "callrec-archive: VERB: WHAT" and where to find the verb's help; returns CRA_EXIT_USAGE. */
int cra_verb_usage_error(const char *verb, const char *what);
/* A call id as given on the command line: 1 when it is one, else 0 (reported). */
int cra_valid_call_id(const char *id);

#endif
