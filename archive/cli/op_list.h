/* `list`: the calls the operator's role may retrieve, as a table or JSON lines, and the ids
 * of finished calls for the verbs that act on a selection (export, erase by subject). */
#ifndef CALLREC_ARCHIVE_OP_LIST_H
#define CALLREC_ARCHIVE_OP_LIST_H

#include <stdio.h>
#include <jansson.h>

#include "conn.h"

/* `list`: one compact JSON object per line (json) or a table on `out`. */
int cra_op_list(struct cra_conn *c, int json, FILE *out);
/* The same with filters (a JSON object of list filters, consumed). */
int cra_op_list_filtered(struct cra_conn *c, json_t *filters, int json, FILE *out);
/* The readable table for an array of call objects. */
void cra_list_table(json_t *calls, FILE *out);
/* Ids of the finished calls (complete or held) a list request with these filters returns
 * (the filter object is consumed). 0 or -errno (reported). */
int cra_select(struct cra_conn *c, json_t *filter, json_t **ids);

#endif
