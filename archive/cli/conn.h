/* An operator's connection to callrec-archived: the common client connection (tls_client.h)
 * with the operator certificate, the archive's certificate checked (fleet CA, name, OU=archive),
 * HELLO/HELLO_OK, then frames; one request at a time, every wait bounded by --timeout. What
 * goes wrong is said to the operator in the tool's words. */
#ifndef CALLREC_ARCHIVE_CONN_H
#define CALLREC_ARCHIVE_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include <jansson.h>

#include "conn_params.h"
#include "frame.h"
#include "tls_client.h"

struct cra_conn {
	struct cr_tls_client tls; /* operator certificate, fleet CA, the archive's name */
	struct cr_conn conn;
	char identity[CR_NAME_MAX]; /* who the archive says we are (HELLO_OK) */
	char role[CR_NAME_MAX];
	int timeout_ms;
};

/* Connect, handshake, check the server, HELLO as operator. 0 or negative errno (reported). */
int cra_conn_open(const struct cra_conn_params *p, struct cra_conn *c);
/* Resolve the connection options (conn_params.h) and open: an exit status, 0 when connected
 * (CRA_EXIT_USAGE when the options do not say where to connect). */
int cra_connect(const struct cra_conn_opts *opts, struct cra_conn *c);
void cra_conn_close(struct cra_conn *c);

int cra_conn_send(struct cra_conn *c, uint8_t type, const void *body, size_t len);
/* Send a frame whose whole body is the compact JSON of `j`. */
int cra_conn_send_json(struct cra_conn *c, uint8_t type, json_t *j);

/* Next frame. Its body stays valid until the next call. An ERROR frame from the archive is
 * printed and returned as -ECONNABORTED; a closed connection is -ECONNRESET. */
int cra_conn_recv(struct cra_conn *c, struct cr_frame *f);

/* OP_END body {"status":N,"error":"..."}: returns N (>= 0) and copies the error text;
 * -EPROTO when malformed. */
int cra_op_end_status(const struct cr_frame *f, char *err, size_t errlen);

#endif
