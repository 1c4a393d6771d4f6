/* Operator requests (OP_REQUEST JSON): the dispatch, and the reply helpers every request
 * uses. The requests themselves: calls.c (list, show), export.c, rights.c (erase, hold,
 * release, audit), checkpoint.c, devices.c. Every retrieval, erasure, hold and refusal is
 * written to the audit log (rights/audit.h) before it is answered; who may do what is
 * rights/access.h. */
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

/* The requests; j is the request object. 0 or -errno. */
int ad_op_list(struct ad_conn *c, struct ad_archive *ar, json_t *j);
int ad_op_show(struct ad_conn *c, struct ad_archive *ar, json_t *j);
int ad_op_export(struct ad_conn *c, struct ad_archive *ar, json_t *j);
int ad_op_checkpoint(struct ad_conn *c, struct ad_archive *ar);
int ad_op_erase(struct ad_conn *c, struct ad_archive *ar, json_t *j);
int ad_op_hold(struct ad_conn *c, struct ad_archive *ar, json_t *j, int release);
int ad_op_audit(struct ad_conn *c, struct ad_archive *ar);
int ad_op_devices(struct ad_conn *c, struct ad_archive *ar, json_t *j);

/* An export in progress (export.c): more OP_DATA while tx is short, OP_END at the end. */
int ad_export_pump(struct ad_conn *c);
void ad_export_free(struct ad_export *e);

/* The object `list --json` prints for a call (new reference). */
json_t *ad_op_list_entry(const struct ad_call_info *ci);

/* A call id from the request's "call": 0, or -ENOENT after an OP_END was queued. */
int ad_op_call_id(struct ad_conn *c, json_t *j, uint8_t id[CR_CALL_ID_BYTES], char hex[33]);
/* Append OP_DATA frames of one stream. 0 or -errno. */
int ad_op_data(struct ad_conn *c, uint8_t stream, const void *data, size_t len);
/* Append OP_REPLY with the object o (its reference is taken; NULL: -ENOMEM). */
int ad_op_reply(struct ad_conn *c, json_t *o);
/* Append OP_END {"status":status[,"error":error]}. */
int ad_op_end(struct ad_conn *c, int status, const char *error);
/* Append OP_END with the object `end` (its reference is taken; NULL: -ENOMEM). */
int ad_op_end_with(struct ad_conn *c, json_t *end);
/* A refusal: logged, audited as "refused" with `why`, and answered with OP_END err. */
int ad_op_refuse(struct ad_conn *c, struct ad_archive *ar, const char *action, const char *hex,
		 int err, const char *why);

#endif
