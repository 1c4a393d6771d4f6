/* Operator requests (OP_REQUEST JSON): list, show, export, checkpoint, erase, hold, release,
 * audit. Every retrieval, erasure, hold and refusal is written to the audit log (audit.h);
 * who may do what is in access.h. */
#ifndef CALLREC_ARCHIVED_OPS_REQUEST_H
#define CALLREC_ARCHIVED_OPS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "net/conn.h"

#define AD_OP_DATA_MAX (256u * 1024u)  /* OP_DATA body limit, stream byte included */
#define AD_EXPORT_LOW_WATER (64u * 1024u) /* refill tx below this */

/* Handle one request; replies go to c->tx. 0 or -errno (close the connection). */
int ad_op_request(struct ad_conn *c, struct ad_archive *ar, const uint8_t *body, size_t len);
/* Start an export (OP_END with an error at once for an unknown or unfinished call). A bundle
 * adds the signature, and with a tree_size the inclusion proof in the tree of that size. */
int ad_export_start(struct ad_conn *c, struct ad_archive *ar, const char *hex, int bundle,
		    uint64_t tree_size);
/* Append more OP_DATA while tx is short; OP_END at the end. 0 or -errno. */
int ad_export_pump(struct ad_conn *c);
void ad_export_free(struct ad_export *e);
/* The other requests (op_rights.c); j is the request object. 0 or -errno. */
int ad_op_show(struct ad_conn *c, struct ad_archive *ar, json_t *j);
int ad_op_checkpoint(struct ad_conn *c, struct ad_archive *ar);
int ad_op_erase(struct ad_conn *c, struct ad_archive *ar, json_t *j);
int ad_op_hold(struct ad_conn *c, struct ad_archive *ar, json_t *j, int release);
int ad_op_audit(struct ad_conn *c, struct ad_archive *ar);
int ad_op_devices(struct ad_conn *c, struct ad_archive *ar, json_t *j);
/* The object `list --json` prints for a call (new reference). */
json_t *ad_op_list_entry(const struct ad_call_info *ci);
/* A call id from the request's "call": 0, or -ENOENT after an OP_END was queued. */
int ad_op_call_id(struct ad_conn *c, json_t *j, uint8_t id[CR_CALL_ID_BYTES], char hex[33]);
/* Append OP_DATA frames of one stream. 0 or -errno. */
int ad_op_data(struct ad_conn *c, uint8_t stream, const void *data, size_t len);
/* Append OP_END {"status":status[,"error":error]}. */
int ad_op_end(struct ad_conn *c, int status, const char *error);

#endif
