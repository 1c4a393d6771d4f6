#include "conn_params.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "hostport.h"
#include "yamltree.h"

int cra_conn_opt(struct cra_conn_opts *o, int code, const char *arg)
{
	char *end;
	unsigned long v;

	switch (code) {
	case CRA_OPT_CONFIG: o->config = arg; return 1;
	case CRA_OPT_SERVER: o->server = arg; return 1;
	case CRA_OPT_SERVER_NAME: o->server_name = arg; return 1;
	case CRA_OPT_CA: o->ca = arg; return 1;
	case CRA_OPT_CERT: o->cert = arg; return 1;
	case CRA_OPT_KEY: o->key = arg; return 1;
	case CRA_OPT_TIMEOUT:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || end == arg || v == 0 || v > 3600) {
			cra_error("--timeout %s: expected seconds, 1..3600", arg);
			return -EINVAL;
		}
		o->timeout_s = (unsigned)v;
		return 1;
	default:
		return 0;
	}
}

/* The operator config file, as docs/design.md describes it. */
struct file_cfg {
	char *server, *server_name, *ca, *cert, *key;
};

static const struct cr_cfg_field file_fields[] = {
	{ "server", CR_CFG_STRING, offsetof(struct file_cfg, server), 1 },
	{ "server_name", CR_CFG_STRING, offsetof(struct file_cfg, server_name), 0 },
	{ "ca", CR_CFG_PATH, offsetof(struct file_cfg, ca), 1 },
	{ "cert", CR_CFG_PATH, offsetof(struct file_cfg, cert), 1 },
	{ "key", CR_CFG_PATH, offsetof(struct file_cfg, key), 1 },
	{ NULL },
};

/* Command line first, then the file; NULL when neither. */
static int pick(char **out, const char *cli, char *file)
{
	const char *v = cli ? cli : file;

	*out = NULL;
	if (!v)
		return 0;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

int cra_conn_resolve(const struct cra_conn_opts *o, struct cra_conn_params *p)
{
	struct file_cfg fc = { NULL };
	char host[256];
	unsigned port;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (o->config) {
		struct cr_diags d;

		cr_diags_init(&d, o->config);
		rc = cr_cfg_load(o->config, file_fields, &fc, &d);
		if (rc < 0) {
			cr_diags_print(&d, stderr);
			cr_cfg_free(file_fields, &fc);
			return rc == -EINVAL ? -EIO : rc; /* a bad file is not a usage error */
		}
	}
	if ((rc = pick(&p->server, o->server, fc.server)) < 0 ||
	    (rc = pick(&p->server_name, o->server_name, fc.server_name)) < 0 ||
	    (rc = pick(&p->ca, o->ca, fc.ca)) < 0 || (rc = pick(&p->cert, o->cert, fc.cert)) < 0 ||
	    (rc = pick(&p->key, o->key, fc.key)) < 0)
		goto fail;
	p->timeout_s = o->timeout_s ? o->timeout_s : CRA_DEFAULT_TIMEOUT_S;
	if (!p->server || !p->ca || !p->cert || !p->key) {
		cra_error("no archive to talk to: give --config FILE, or --server HOST:PORT --ca FILE "
			  "--cert FILE --key FILE");
		rc = -EINVAL;
		goto fail;
	}
	if (cr_split_hostport(p->server, host, sizeof(host), &port) < 0) {
		cra_error("server %s: expected HOST:PORT", p->server);
		rc = -EINVAL;
		goto fail;
	}
	/* The archive's certificate carries its host name by default (pki init --name). */
	if (!p->server_name && !(p->server_name = strdup(host))) {
		rc = -ENOMEM;
		goto fail;
	}
	cr_cfg_free(file_fields, &fc);
	return 0;
fail:
	cr_cfg_free(file_fields, &fc);
	cra_conn_params_free(p);
	return rc;
}

void cra_conn_params_free(struct cra_conn_params *p)
{
	free(p->server);
	free(p->server_name);
	free(p->ca);
	free(p->cert);
	free(p->key);
	memset(p, 0, sizeof(*p));
}
