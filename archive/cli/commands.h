/* The verbs of callrec-archive: each parses its own arguments (argv[0] is the verb) and
 * returns the process exit status (0, CRA_EXIT_FAIL or CRA_EXIT_USAGE). */
#ifndef CALLREC_ARCHIVE_COMMANDS_H
#define CALLREC_ARCHIVE_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

#include "conn_opts.h"

int cra_cmd_pki(int argc, char **argv);
/* Operator verbs; `conn` holds connection options given before the verb. */
int cra_cmd_list(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_export(int argc, char **argv, struct cra_conn_opts *conn);
/* `devices`: desktops' health (cmd_devices.c). */
int cra_cmd_devices(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_show(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_erase(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_hold(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_release(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_audit(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_verify(int argc, char **argv, struct cra_conn_opts *conn);

void cra_usage_main(FILE *out);

struct cra_conn;
/* Resolve the connection options and connect: an exit status, 0 when connected. */
int cra_connect(const struct cra_conn_opts *conn, struct cra_conn *c);
/* Ids of the finished calls a `list` request with these filters returns (the filter object
 * is consumed). 0 or -errno. */
#include <jansson.h>
int cra_select(struct cra_conn *c, json_t *filter, json_t **ids);
/* Audit log chain check: 0, or the number of the first altered line (reported on err). */
long cra_audit_check(const char *text, size_t len, const char *head, FILE *err);

#endif
