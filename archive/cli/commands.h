/* The verbs of callrec-archive: each parses its own arguments (argv[0] is the verb) and
 * returns the process exit status (0, CRA_EXIT_FAIL or CRA_EXIT_USAGE). */
#ifndef CALLREC_ARCHIVE_COMMANDS_H
#define CALLREC_ARCHIVE_COMMANDS_H

#include <stdio.h>

#include "conn_opts.h"

int cra_cmd_pki(int argc, char **argv);
/* Operator verbs; `conn` holds connection options given before the verb. */
int cra_cmd_list(int argc, char **argv, struct cra_conn_opts *conn);
int cra_cmd_export(int argc, char **argv, struct cra_conn_opts *conn);

void cra_usage_main(FILE *out);

#endif
