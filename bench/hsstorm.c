/* hsstorm: TLS 1.3 handshake storm against one server (run by bench/tls_load.sh).
 *
 *   hsstorm --address HOST:PORT --ca CA --cert CERT --key KEY [--threads N] [--seconds S]
 *           [--resume] [--echo]
 *
 * N client threads connect back to back for S seconds. Each connection: TCP connect, a
 * mutually authenticated TLS 1.3 handshake with callrec's priority string, one HELLO frame
 * (role device), then wait for the first byte of application data from the server. Waiting for
 * an answer matters: in TLS 1.3 the client finishes its side before the server has checked the
 * client certificate, so only an answer proves that the server completed the handshake.
 * callrec-archived answers HELLO_OK. With --echo (for `gnutls-serv --echo`, which echoes text
 * lines), a text line of about HELLO's size replaces the frame and its echo is the answer: one
 * small record each way in both cases, the same client work, so the two rates compare servers.
 *
 * --resume: each thread keeps the session data of its previous connection (TLS 1.3 session
 * ticket) and offers it; counts how many handshakes the server actually resumed. A server that
 * issues no tickets gets full handshakes, and the output says so (resumed=0).
 *
 * The client does not verify the server's certificate (same cost for every server).
 * Prints one line: "handshakes=N seconds=S per_s=R resumed=M failed=F".
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "frame.h"
#include "hostport.h"
#include "tls_client.h"

#define MAX_THREADS 64
#define now_s() ((double)cr_now_ns() / 1e9) /* seconds of the common clock */
#define TIMEOUT_MS 30000 /* a connection that takes longer counts as failed */

struct storm {
	char host[256], port[8];
	struct cr_tls_client tc;
	int resume, echo;
	double end; /* monotonic seconds */
	atomic_ulong done, resumed, failed;
};

/* gnutls-serv's echo mode answers text lines (it drops a connection that sends NUL bytes,
 * which a frame has): it gets a line of HELLO's size class instead, and any answer will do. */
static int echo_line(struct cr_conn *c)
{
	static const char line[] = "hsstorm: one line of about the size of HELLO\n";
	int64_t deadline = cr_now_ms() + TIMEOUT_MS;
	uint8_t rx[256];
	ssize_t n;

	while ((n = cr_conn_write(c, line, sizeof(line) - 1)) == -EAGAIN)
		if (cr_conn_wait(c, POLLOUT, deadline) < 0)
			return -1;
	if (n != (ssize_t)sizeof(line) - 1)
		return -1;
	while ((n = cr_conn_read(c, rx, sizeof(rx))) == -EAGAIN)
		if (cr_conn_wait(c, POLLIN, deadline) < 0)
			return -1;
	return n > 0 ? 0 : -1;
}

/* HELLO, and the archive's answer must be HELLO_OK: an ERROR (a refused certificate) is no
 * success. */
static int hello(struct cr_conn *c)
{
	uint8_t body[64];
	size_t len = cr_hello_body(body, sizeof(body), CR_ROLE_DEVICE, "hsstorm");
	struct cr_frame f;

	if (cr_conn_send_frame(c, CR_F_HELLO, body, len, TIMEOUT_MS) < 0 ||
	    cr_conn_recv_frame(c, &f, TIMEOUT_MS) < 0)
		return -1;
	return f.type == CR_F_HELLO_OK ? 0 : -1;
}

/* One connection. 1 = completed (2 = completed and resumed), 0 = failed. *data: session data
 * to offer (may be empty) and, on return, the newest session data. */
static int one(struct storm *st, gnutls_datum_t *data)
{
	struct cr_conn c;
	int ok = 0;

	cr_conn_init(&c);
	if (cr_conn_open(&c, &st->tc, st->host, st->port, st->resume ? data : NULL, TIMEOUT_MS) < 0)
		goto out;
	if (st->echo ? echo_line(&c) : hello(&c))
		goto out;
	ok = cr_conn_resumed(&c) ? 2 : 1;
	/* A TLS 1.3 ticket arrives after the handshake; by the server's answer it has been read. */
	if (st->resume)
		cr_conn_save_session(&c, data);
out:
	cr_conn_close(&c, 0);
	return ok;
}

static void *worker(void *arg)
{
	struct storm *st = arg;
	gnutls_datum_t data = { NULL, 0 };

	/* Resumption: a first full handshake to get a ticket, not counted. */
	if (st->resume)
		one(st, &data);
	while (now_s() < st->end) {
		int r = one(st, &data);
		if (r == 0)
			atomic_fetch_add(&st->failed, 1);
		else
			atomic_fetch_add(&st->done, 1);
		if (r == 2)
			atomic_fetch_add(&st->resumed, 1);
	}
	gnutls_free(data.data);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct storm st;
	const char *addr = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	pthread_t th[MAX_THREADS];
	unsigned port;
	int threads = 4;
	double seconds = 2, t0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--resume")) {
			st.resume = 1;
			continue;
		}
		if (!strcmp(a, "--echo")) {
			st.echo = 1;
			continue;
		}
		if (!v)
			goto usage;
		i++;
		if (!strcmp(a, "--address"))
			addr = v;
		else if (!strcmp(a, "--ca"))
			ca = v;
		else if (!strcmp(a, "--cert"))
			cert = v;
		else if (!strcmp(a, "--key"))
			key = v;
		else if (!strcmp(a, "--threads"))
			threads = atoi(v);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else
			goto usage;
	}
	if (!addr || !ca || !cert || !key || threads < 1 || threads > MAX_THREADS || seconds <= 0)
		goto usage;
	if (cr_split_hostport(addr, st.host, sizeof(st.host), &port) < 0)
		goto usage;
	snprintf(st.port, sizeof(st.port), "%u", port);
	signal(SIGPIPE, SIG_IGN);
	gnutls_global_init();
	if (cr_tls_client_init(&st.tc, ca, cert, key, "localhost", NULL) < 0) {
		fprintf(stderr, "hsstorm: cannot set up TLS\n");
		return 1;
	}
	st.tc.verify = 0; /* the same client work for every server */
	t0 = now_s();
	st.end = t0 + seconds;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, worker, &st) != 0) {
			fprintf(stderr, "hsstorm: cannot start threads\n");
			return 1;
		}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t0 = now_s() - t0;
	printf("handshakes=%lu seconds=%.2f per_s=%.1f resumed=%lu failed=%lu\n",
	       (unsigned long)st.done, t0, (double)st.done / t0, (unsigned long)st.resumed,
	       (unsigned long)st.failed);
	return st.done ? 0 : 1;
usage:
	fprintf(stderr, "usage: hsstorm --address HOST:PORT --ca CA --cert CERT --key KEY "
			"[--threads N] [--seconds S] [--resume] [--echo]\n");
	return 2;
}
