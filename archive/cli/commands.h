/* The verbs of callrec-archive: each parses its own arguments (argv[0] is the verb) and
 * returns the process exit status (0, CRA_EXIT_FAIL or CRA_EXIT_USAGE). */
#ifndef CALLREC_ARCHIVE_COMMANDS_H
#define CALLREC_ARCHIVE_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

#include "conn_params.h"

/* Fleet PKI, on a local directory (cmd_pki.c). */
int cra_cmd_pki(int argc, char **argv);
/* Verbs that talk to the archive; `conn` holds connection options given before the verb. */
/* Getting recordings out (cmd_retrieve.c). */
int cra_cmd_list(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_show(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_export(int argc, char **argv, struct cra_conn_opts *conn);
/* Erasure and legal holds (cmd_rights.c). */
int cra_cmd_erase(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_hold(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_release(int argc, char **argv, struct cra_conn_opts *conn);
/* The audit log (online) and export bundles (offline) (cmd_integrity.c). */
int cra_cmd_audit(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_verify(int argc, char **argv, struct cra_conn_opts *conn);
/* Desktops' health (cmd_devices.c). */
int cra_cmd_devices(int argc, char **argv, struct cra_conn_opts *conn);
/* The web interface on this computer (console/cmd_console.c). */
int cra_cmd_console(int argc, char **argv, struct cra_conn_opts *conn);

void cra_usage_main(FILE *out);

/* Audit log chain check: 0, or the number of the first altered line (reported on err). */
long cra_audit_check(const char *text, size_t len, const char *head, FILE *err);

#endif
