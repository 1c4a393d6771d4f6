/* The configuration files `callrec-archive pki` writes (formats in docs/design.md):
 * DIR/archived.yaml, DIR/devices/NAME/agent.yaml, DIR/operators/NAME/archive.yaml and
 * DIR/roles.yaml. All are written atomically; paths in them are absolute. */
#ifndef CALLREC_ARCHIVE_PKI_CONFIG_H
#define CALLREC_ARCHIVE_PKI_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CRA_DEFAULT_LISTEN "127.0.0.1:7443"

/* Print a YAML scalar: plain when that reads back as the same string, double-quoted (with
 * escapes) otherwise. */
void cra_yaml_scalar(FILE *f, const char *s);

/* DIR/archived.yaml for a PKI directory DIR (absolute). */
int cra_write_archived_yaml(const char *dir, const char *listen);

struct cra_client_cfg {
	const char *address;     /* host:port of the archive */
	const char *server_name; /* name in the archive's certificate */
	const char *ca, *cert, *key;
};
/* OUTDIR/agent.yaml (device) and OUTDIR/archive.yaml (operator). */
int cra_write_agent_yaml(const char *outdir, const struct cra_client_cfg *c);
int cra_write_operator_yaml(const char *outdir, const struct cra_client_cfg *c);

/* DIR/roles.yaml with no operators. */
int cra_roles_init(const char *dir);
/* Set NAME: ROLE in DIR/roles.yaml, keeping every other entry (rewritten atomically). */
int cra_roles_set(const char *dir, const char *name, const char *role);

/* The `listen` value of DIR/archived.yaml. */
int cra_read_listen(const char *dir, char *out, size_t outlen);

#endif
