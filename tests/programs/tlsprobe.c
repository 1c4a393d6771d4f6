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
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "tls.h"

#define TLS12_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.2"

struct probe_opts {
	char host[256];
	char port[16];
	const char *ca, *cert, *key, *server_name;
	int tls12;
	int timeout_ms;
};

/* Blocking TCP connect to the first address that answers. Returns fd or -errno. */
static int tcp_connect(const struct probe_opts *o)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -ECONNREFUSED;
	int e = getaddrinfo(o->host, o->port, &hints, &res);
	if (e) {
		fprintf(stderr, "tlsprobe: %s:%s: %s\n", o->host, o->port, gai_strerror(e));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		fd = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "tlsprobe: connect %s:%s: %s\n", o->host, o->port, strerror(-fd));
	return fd;
}

static int send_all(gnutls_session_t s, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = gnutls_record_send(s, p, n);
		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w < 0) {
			fprintf(stderr, "tlsprobe: send: %s\n", gnutls_strerror((int)w));
			return -EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_frame(gnutls_session_t s, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t hdr[CR_FRAME_HDR];
	cr_frame_put_hdr(hdr, type, (uint32_t)len);
	int err = send_all(s, hdr, sizeof hdr);
	return err ? err : send_all(s, body, len);
}

static int send_hello_and_open(gnutls_session_t s)
{
	static const char hello_json[] = "{\"software\":\"tlsprobe\"}";
	uint8_t hello[2 + sizeof hello_json];
	cr_put_u16(hello, CR_ROLE_DEVICE);
	memcpy(hello + 2, hello_json, sizeof hello_json - 1);
	int err = send_frame(s, CR_F_HELLO, hello, 2 + sizeof hello_json - 1);
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
	return send_frame(s, CR_F_CALL_OPEN, open_body, CR_IDSEQ_WIRE + (size_t)n);
}

/* Read frames until an ACK (1), or refusal, close or timeout (0). */
static int wait_for_ack(gnutls_session_t s, int fd, long long deadline)
{
	static uint8_t buf[CR_FRAME_HDR + CR_FRAME_MAX_BODY];
	size_t have = 0;

	for (;;) {
		struct cr_frame f;
		long used = cr_frame_parse(buf, have, &f);
		if (used < 0) {
			fprintf(stderr, "tlsprobe: malformed frame from the server\n");
			return 0;
		}
		if (used > 0) {
			fprintf(stderr, "tlsprobe: received frame type 0x%02x, %u bytes\n", f.type,
				f.length);
			if (f.type == CR_F_ACK && f.length >= CR_IDSEQ_WIRE + 4) {
				fprintf(stderr, "tlsprobe: ACK status %u\n",
					cr_get_u32(f.body + CR_IDSEQ_WIRE));
				return 1;
			}
			if (f.type == CR_F_ERROR && f.length >= 4)
				fprintf(stderr, "tlsprobe: ERROR %u: %.*s\n", cr_get_u32(f.body),
					(int)(f.length - 4), (const char *)f.body + 4);
			memmove(buf, buf + used, have - (size_t)used);
			have -= (size_t)used;
			continue;
		}
		if (gnutls_record_check_pending(s) == 0) {
			long long left = deadline - cr_now_ms();
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
				fprintf(stderr, "tlsprobe: no answer in time\n");
				return 0;
			}
		}
		ssize_t r = gnutls_record_recv(s, buf + have, sizeof buf - have);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0) {
			fprintf(stderr, "tlsprobe: connection ended: %s\n",
				r == 0 ? "closed by the server" : gnutls_strerror((int)r));
			return 0;
		}
		have += (size_t)r;
	}
}

static int parse_args(int argc, char **argv, struct probe_opts *o)
{
	const char *addr = NULL;
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
	if (!addr || !o->ca || !o->cert != !o->key || o->timeout_ms <= 0)
		return -EINVAL;
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof o->host ||
	    strlen(colon + 1) >= sizeof o->port || !colon[1])
		return -EINVAL;
	memcpy(o->host, addr, (size_t)(colon - addr));
	o->host[colon - addr] = '\0';
	strcpy(o->port, colon + 1);
	return 0;
}

int main(int argc, char **argv)
{
	struct probe_opts o;
	gnutls_certificate_credentials_t creds = NULL;
	gnutls_session_t s = NULL;
	int fd = -1, handshake_ok = 0, acked = 0, e;

	if (parse_args(argc, argv, &o)) {
		fputs("usage: tlsprobe HOST:PORT --ca CA [--cert C --key K] [--tls12]\n"
		      "                [--server-name NAME] [--timeout-ms N]\n",
		      stderr);
		return 2;
	}
	long long deadline = cr_now_ms() + o.timeout_ms;
	/* A server that refuses us closes the connection; writing then must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if (gnutls_certificate_allocate_credentials(&creds) < 0)
		goto report;
	e = gnutls_certificate_set_x509_trust_file(creds, o.ca, GNUTLS_X509_FMT_PEM);
	if (e <= 0) {
		fprintf(stderr, "tlsprobe: CA %s: %s\n", o.ca, e < 0 ? gnutls_strerror(e) : "empty");
		goto report;
	}
	if (o.cert) {
		e = gnutls_certificate_set_x509_key_file(creds, o.cert, o.key, GNUTLS_X509_FMT_PEM);
		if (e < 0) {
			fprintf(stderr, "tlsprobe: %s / %s: %s\n", o.cert, o.key, gnutls_strerror(e));
			goto report;
		}
	}
	fd = tcp_connect(&o);
	if (fd < 0)
		goto report;
	if (gnutls_init(&s, GNUTLS_CLIENT) < 0)
		goto report;
	const char *err_pos = NULL;
	e = gnutls_priority_set_direct(s, o.tls12 ? TLS12_PRIORITY : CR_TLS_PRIORITY, &err_pos);
	if (e < 0) {
		fprintf(stderr, "tlsprobe: priority: %s at '%s'\n", gnutls_strerror(e), err_pos);
		goto report;
	}
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, o.server_name, strlen(o.server_name));
	gnutls_session_set_verify_cert(s, o.server_name, 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, (unsigned)o.timeout_ms);
	do
		e = gnutls_handshake(s);
	while (e < 0 && !gnutls_error_is_fatal(e));
	if (e < 0) {
		fprintf(stderr, "tlsprobe: handshake: %s\n", gnutls_strerror(e));
		goto report;
	}
	handshake_ok = 1;
	char *desc = gnutls_session_get_desc(s);
	if (desc) {
		fprintf(stderr, "tlsprobe: session %s\n", desc);
		gnutls_free(desc);
	}
	if (send_hello_and_open(s) == 0)
		acked = wait_for_ack(s, fd, deadline);
	gnutls_bye(s, GNUTLS_SHUT_WR);
report:
	printf("handshake=%s ack=%s\n", handshake_ok ? "ok" : "failed", acked ? "yes" : "no");
	if (s)
		gnutls_deinit(s);
	if (fd >= 0)
		close(fd);
	if (creds)
		gnutls_certificate_free_credentials(creds);
	return acked ? 0 : 1;
}
