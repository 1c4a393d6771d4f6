/* How the operator commands reach the archive: `--config FILE` (the archive.yaml that
 * `pki operator` writes) and/or `--server HOST:PORT --ca --cert --key [--server-name]`;
 * options given on the command line win over the file. */
#ifndef CALLREC_ARCHIVE_CONN_PARAMS_H
#define CALLREC_ARCHIVE_CONN_PARAMS_H

#include <getopt.h>

#define CRA_DEFAULT_TIMEOUT_S 30

/* getopt_long codes of the connection options (above any short option character). */
enum {
	CRA_OPT_CONFIG = 0x100,
	CRA_OPT_SERVER,
	CRA_OPT_SERVER_NAME,
	CRA_OPT_CA,
	CRA_OPT_CERT,
	CRA_OPT_KEY,
	CRA_OPT_TIMEOUT,
};

#define CRA_CONN_LONGOPTS                                                  \
	{ "config", required_argument, NULL, CRA_OPT_CONFIG },             \
	{ "server", required_argument, NULL, CRA_OPT_SERVER },             \
	{ "server-name", required_argument, NULL, CRA_OPT_SERVER_NAME },   \
	{ "ca", required_argument, NULL, CRA_OPT_CA },                     \
	{ "cert", required_argument, NULL, CRA_OPT_CERT },                 \
	{ "key", required_argument, NULL, CRA_OPT_KEY },                   \
	{ "timeout", required_argument, NULL, CRA_OPT_TIMEOUT }

#define CRA_CONN_HELP                                                                         \
	"Connection (mutual TLS with an operator certificate):\n"                              \
	"  --config FILE        operator config (DIR/operators/NAME/archive.yaml)\n"            \
	"  --server HOST:PORT   archive address          --server-name NAME  name in its cert\n" \
	"  --ca FILE  --cert FILE  --key FILE            fleet CA, operator certificate, key\n"  \
	"  --timeout SECONDS    give up on a silent archive (default 30)\n"

/* What the command line said (pointers into argv). */
struct cra_conn_opts {
	const char *config, *server, *server_name, *ca, *cert, *key;
	unsigned timeout_s; /* 0: default */
};

/* Everything needed to connect, resolved (malloc'd strings). */
struct cra_conn_params {
	char *server, *server_name, *ca, *cert, *key;
	unsigned timeout_s;
};

/* Take one getopt result. 1: it was a connection option; 0: not ours; -EINVAL: bad value
 * (reported). */
int cra_conn_opt(struct cra_conn_opts *o, int code, const char *arg);

/* Merge the config file (if any) with the command line and check that nothing is missing.
 * 0, -EINVAL (reported, a usage problem) or another negative errno (config unreadable). */
int cra_conn_resolve(const struct cra_conn_opts *o, struct cra_conn_params *p);
void cra_conn_params_free(struct cra_conn_params *p);

#endif
