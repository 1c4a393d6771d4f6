/* Operator requests (OP_REQUEST JSON): "list" and "export". */
#ifndef CALLREC_ARCHIVED_OP_H
#define CALLREC_ARCHIVED_OP_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

#define AD_OP_DATA_MAX (256u * 1024u)  /* OP_DATA body limit, stream byte included */
#define AD_EXPORT_LOW_WATER (64u * 1024u) /* refill tx below this */

/* Handle one request; replies go to c->tx. 0 or -errno (close the connection). */
int ad_op_request(struct ad_conn *c, struct ad_ctx *ctx, const uint8_t *body, size_t len);
/* Append OP_REPLY objects for every call, then OP_END. */
int ad_op_list(struct ad_conn *c, struct ad_ctx *ctx);
/* Start an export (OP_END with an error at once for an unknown or unfinished call). */
int ad_export_start(struct ad_conn *c, struct ad_ctx *ctx, const char *hex);
/* Append more OP_DATA while tx is short; OP_END at the end. 0 or -errno. */
int ad_export_pump(struct ad_conn *c);
void ad_export_free(struct ad_export *e);
/* Append OP_END {"status":status[,"error":error]}. */
int ad_op_end(struct ad_conn *c, int status, const char *error);

#endif
