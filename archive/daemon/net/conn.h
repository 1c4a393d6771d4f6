/* One client connection's protocol state, without sockets or TLS: bytes in (rx), frames
 * handled, bytes out (tx). The server moves bytes between TLS and these buffers; unit tests
 * feed bytes directly. */
#ifndef CALLREC_ARCHIVED_NET_CONN_H
#define CALLREC_ARCHIVED_NET_CONN_H

#include <stdint.h>

#include "archive.h"
#include "frame.h"
#include "net/buf.h"
#include "tls.h"

enum ad_conn_state {
	AD_CONN_HANDSHAKE, /* no identity yet: nothing is parsed */
	AD_CONN_HELLO,     /* identity known, waiting for HELLO */
	AD_CONN_DEVICE,
	AD_CONN_OPERATOR,
};

struct ad_export;

struct ad_conn {
	enum ad_conn_state state;
	char cn[CR_NAME_MAX];
	char ou[CR_NAME_MAX];
	char grant[CR_NAME_MAX]; /* operator's role from roles.yaml */
	char *software;          /* from HELLO */
	struct ad_buf rx, tx;
	struct ad_export *exp;   /* operator export in progress */
	int closing;             /* flush tx, then close */
	unsigned staged;         /* items staged by this connection in the current turn */
};

void ad_conn_init(struct ad_conn *c);
void ad_conn_release(struct ad_conn *c);
/* After the TLS handshake: the verified certificate identity. 0 or -EACCES (OU neither
 * device nor operator, invalid CN). */
int ad_conn_set_identity(struct ad_conn *c, const char *cn, const char *ou);
/* Handle every complete frame in rx. 0, or -errno: close the connection now (protocol
 * error, oversized frame). A refusal that the client should read sets `closing` instead. */
int ad_conn_process(struct ad_conn *c, struct ad_archive *ar);
/* Whether the server should read more for this connection now (backpressure while an
 * export is being sent or when closing). */
int ad_conn_wants_input(const struct ad_conn *c);
/* Append the next pieces of a running export once tx has drained. */
int ad_conn_pump(struct ad_conn *c);
/* The outcome of a staged item (see ad_ack_fn): an ACK frame, or for a storage failure an
 * ERROR frame and `closing`. */
void ad_conn_ack(struct ad_conn *c, const uint8_t id[CR_CALL_ID_BYTES], uint64_t seq, int status);
/* Queue an ERROR frame (u32 code, text) and close after it. */
void ad_conn_error(struct ad_conn *c, uint32_t code, const char *text);

#endif
