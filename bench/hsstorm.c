/* hsstorm: TLS 1.3 handshake storm against one server (SPEC 7; run by bench/tls_load.sh).
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
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "tls.h"

#define MAX_THREADS 64
#define now_s() ((double)cr_now_ns() / 1e9) /* seconds of the common clock */

struct storm {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t prio;
	int resume, echo;
	double end; /* monotonic seconds */
	atomic_ulong done, resumed, failed;
};

/* One connection. 1 = completed (2 = completed and resumed), 0 = failed. *data: session data
 * to offer (may be empty) and, on return, the newest session data. */
static int one(struct storm *st, gnutls_datum_t *data)
{
	static const char json[] = "{\"software\":\"hsstorm\"}";
	static const char line[] = "hsstorm: one line of about the size of HELLO\n";
	const void *msg;
	size_t len;
	uint8_t hello[CR_FRAME_HDR + 2 + sizeof(json) - 1], rx[256];
	gnutls_session_t s = NULL;
	int fd, rc, ok = 0, one_ = 1;
	ssize_t n;

	fd = socket(st->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	if (connect(fd, (struct sockaddr *)&st->addr, st->addrlen) < 0)
		goto out;
	if (gnutls_init(&s, GNUTLS_CLIENT) < 0)
		goto out;
	gnutls_priority_set(s, st->prio);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, st->creds);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
	gnutls_transport_set_int(s, fd);
	if (st->resume && data->size)
		gnutls_session_set_data(s, data->data, data->size);
	do
		rc = gnutls_handshake(s);
	while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
	if (rc < 0)
		goto out;
	cr_frame_put_hdr(hello, CR_F_HELLO, 2 + sizeof(json) - 1);
	cr_put_u16(hello + CR_FRAME_HDR, CR_ROLE_DEVICE);
	memcpy(hello + CR_FRAME_HDR + 2, json, sizeof(json) - 1);
	/* gnutls-serv's echo mode answers text lines (it drops a connection that sends NUL bytes,
	 * which a frame has): it gets a line of the same size class instead. */
	msg = st->echo ? (const void *)line : hello;
	len = st->echo ? sizeof(line) - 1 : sizeof(hello);
	do
		n = gnutls_record_send(s, msg, len);
	while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	if (n != (ssize_t)len)
		goto out;
	do
		n = gnutls_record_recv(s, rx, sizeof(rx));
	while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	if (n <= 0)
		goto out;
	/* The archive's answer must be HELLO_OK: an ERROR (a refused certificate) is no success. */
	if (!st->echo && (n < CR_FRAME_HDR || rx[0] != 'C' || rx[1] != 'R' || rx[3] != CR_F_HELLO_OK))
		goto out;
	ok = gnutls_session_is_resumed(s) ? 2 : 1;
	/* A TLS 1.3 ticket arrives after the handshake; by now it has been read. Without one,
	 * gnutls_session_get_data2() would wait for it, so ask only when it came. */
	if (st->resume && (gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET)) {
		gnutls_datum_t fresh = { NULL, 0 };
		if (gnutls_session_get_data2(s, &fresh) == 0) {
			gnutls_free(data->data);
			*data = fresh;
		}
	}
out:
	if (s)
		gnutls_deinit(s);
	close(fd);
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
	const char *addr = NULL, *ca = NULL, *cert = NULL, *key = NULL, *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *res;
	pthread_t th[MAX_THREADS];
	char host[256];
	int threads = 4, e;
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
	colon = strrchr(addr, ':');
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(host))
		goto usage;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	e = getaddrinfo(host, colon + 1, &hints, &res);
	if (e) {
		fprintf(stderr, "hsstorm: %s: %s\n", addr, gai_strerror(e));
		return 1;
	}
	memcpy(&st.addr, res->ai_addr, res->ai_addrlen);
	st.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	signal(SIGPIPE, SIG_IGN);
	gnutls_global_init();
	if (cr_tls_creds_load(&st.creds, ca, cert, key, NULL) < 0 ||
	    gnutls_priority_init(&st.prio, CR_TLS_PRIORITY, NULL) < 0) {
		fprintf(stderr, "hsstorm: cannot set up TLS\n");
		return 1;
	}
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
