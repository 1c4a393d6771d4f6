/* Operator verbs over an open connection (docs/design.md, "Operators send OP_REQUEST"). */
#ifndef CALLREC_ARCHIVE_OPS_H
#define CALLREC_ARCHIVE_OPS_H

#include <stdio.h>
#include <jansson.h>

#include "opconn.h"

/* `list`: one compact JSON object per line (json) or a table on `out`. */
int cra_op_list(struct cra_conn *c, int json, FILE *out);
/* The same with filters (a JSON object of list filters, consumed). */
int cra_op_list_filtered(struct cra_conn *c, json_t *filters, int json, FILE *out);
/* The readable table for an array of call objects. */
void cra_list_table(json_t *calls, FILE *out);

/* `export --call ID --out DIR`: DIR/ID.wav and DIR/ID.manifest.json. */
int cra_op_export(struct cra_conn *c, const char *call, const char *outdir);

#endif
