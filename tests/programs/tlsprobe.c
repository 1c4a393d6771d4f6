/* tlsprobe: a client that the archive must refuse, for refusal tests.
 *
 *   tlsprobe HOST:PORT --ca CA [--cert C --key K] [--tls12] [--server-name NAME]
 *            [--timeout-ms N]
 *
 * Connects with GnuTLS (callrec's TLS 1.3 priority, or TLS 1.2 only with --tls12), with the
 * given client certificate or none, sends HELLO (role device) and CALL_OPEN (random call id,
 * seq 0, minimal metadata) and reads frames until an ACK, an error, the end of the connection or
 * the timeout. Prints `handshake=ok|failed ack=yes|no` and exits 0 only if an ACK arrived: a
 * TLS 1.3 client can finish its side of the handshake before the server has checked (and
 * rejected) the client certificate, so only the archive's acknowledgement proves acceptance.
 * Exit status 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "hostport.h"
#include "tls_client.h"

#define TLS12_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.2"

struct probe_opts {
	char host[256];
	char port[8];
	const char *ca, *cert, *key, *server_name;
	int tls12;
	int timeout_ms;
};

static int send_hello_and_open(struct cr_conn *c, int64_t deadline)
{
	uint8_t hello[64];
	size_t hl = cr_hello_body(hello, sizeof(hello), CR_ROLE_DEVICE, "tlsprobe");
	int err = cr_conn_send_frame(c, CR_F_HELLO, hello, hl, (int)(deadline - cr_now_ms()));
	if (err)
		return err;

	uint8_t id[CR_CALL_ID_BYTES];
	if (gnutls_rnd(GNUTLS_RND_NONCE, id, sizeof id) < 0)
		return -EIO;
	char meta[512];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	int n = snprintf(meta, sizeof meta,
			 "{\"version\":1,\"user\":\"probe\",\"uid\":0,\"gid\":0,"
			 "\"application\":\"tlsprobe\",\"exe\":\"/usr/bin/tlsprobe\",\"pid\":%d,"
			 "\"line\":\"\",\"host\":\"probe\",\"start\":\"%04d-%02d-%02dT%02d:%02d:%02d.000Z\","
			 "\"rate\":16000,\"channels\":2,\"rule\":\"builtin:record-all\"}",
			 (int)getpid(), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec);
	uint8_t open_body[CR_IDSEQ_WIRE + sizeof meta];
	cr_idseq_encode(id, 0, open_body);
	memcpy(open_body + CR_IDSEQ_WIRE, meta, (size_t)n);
	return cr_conn_send_frame(c, CR_F_CALL_OPEN, open_body, CR_IDSEQ_WIRE + (size_t)n,
				  (int)(deadline - cr_now_ms()));
}

/* Read frames until an ACK (1), or refusal, close or timeout (0). */
static int wait_for_ack(struct cr_conn *c, int64_t deadline)
{
	for (;;) {
		struct cr_frame f;
		int rc = cr_conn_recv_frame(c, &f, (int)(deadline - cr_now_ms()));

		if (rc == -ETIMEDOUT) {
			fprintf(stderr, "tlsprobe: no answer in time\n");
			return 0;
		}
		if (rc < 0) {
			fprintf(stderr, "tlsprobe: connection ended: %s\n", c->why);
			return 0;
		}
		fprintf(stderr, "tlsprobe: received frame type 0x%02x, %u bytes\n", f.type, f.length);
		if (f.type == CR_F_ACK && f.length >= CR_IDSEQ_WIRE + 4) {
			fprintf(stderr, "tlsprobe: ACK status %u\n", cr_get_u32(f.body + CR_IDSEQ_WIRE));
			return 1;
		}
		if (f.type == CR_F_ERROR) {
			char text[256];
			uint32_t code = cr_error_text(&f, text, sizeof(text));

			fprintf(stderr, "tlsprobe: ERROR %u: %s\n", code, text);
		}
	}
}

static int parse_args(int argc, char **argv, struct probe_opts *o)
{
	const char *addr = NULL;
	unsigned port;

	*o = (struct probe_opts){ .server_name = "localhost", .timeout_ms = 5000 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--tls12"))
			o->tls12 = 1;
		else if (!strcmp(a, "--ca") && v)
			o->ca = argv[++i];
		else if (!strcmp(a, "--cert") && v)
			o->cert = argv[++i];
		else if (!strcmp(a, "--key") && v)
			o->key = argv[++i];
		else if (!strcmp(a, "--server-name") && v)
			o->server_name = argv[++i];
		else if (!strcmp(a, "--timeout-ms") && v)
			o->timeout_ms = atoi(argv[++i]);
		else if (a[0] != '-' && !addr)
			addr = a;
		else
			return -EINVAL;
	}
	if (!addr || !o->ca || !o->cert != !o->key || o->timeout_ms <= 0 ||
	    cr_split_hostport(addr, o->host, sizeof(o->host), &port) < 0)
		return -EINVAL;
	snprintf(o->port, sizeof(o->port), "%u", port);
	return 0;
}

int main(int argc, char **argv)
{
	struct probe_opts o;
	struct cr_tls_client tc;
	struct cr_conn c;
	int handshake_ok = 0, acked = 0;

	if (parse_args(argc, argv, &o)) {
		fputs("usage: tlsprobe HOST:PORT --ca CA [--cert C --key K] [--tls12]\n"
		      "                [--server-name NAME] [--timeout-ms N]\n",
		      stderr);
		return 2;
	}
	int64_t deadline = cr_now_ms() + o.timeout_ms;
	/* A server that refuses us closes the connection; writing then must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	cr_conn_init(&c);
	if (cr_tls_client_init(&tc, o.ca, o.cert, o.key, o.server_name,
			       o.tls12 ? TLS12_PRIORITY : NULL) < 0)
		goto report;
	tc.peer_ou = NULL; /* the chain and the name are checked; refusal tests use any server */
	if (cr_conn_open(&c, &tc, o.host, o.port, NULL, o.timeout_ms) < 0) {
		fprintf(stderr, "tlsprobe: %s: %s\n",
			c.state == CR_CONN_HANDSHAKE ? "handshake" : "connect", c.why);
		goto report;
	}
	handshake_ok = 1;
	char *desc = gnutls_session_get_desc(c.session);
	if (desc) {
		fprintf(stderr, "tlsprobe: session %s\n", desc);
		gnutls_free(desc);
	}
	if (send_hello_and_open(&c, deadline) == 0)
		acked = wait_for_ack(&c, deadline);
report:
	printf("handshake=%s ack=%s\n", handshake_ok ? "ok" : "failed", acked ? "yes" : "no");
	cr_conn_close(&c, 1);
	cr_tls_client_free(&tc);
	return acked ? 0 : 1;
}
