/* uploadcall: upload one synthetic call to callrec-archived as a device, for archive tests.
 *
 *   uploadcall HOST:PORT --ca CA --cert C --key K [--server-name NAME]
 *              [--meta JSON] [--close JSON] [--seconds N] [--pattern TEXT] [--start ISO]
 *              [--erase]
 *
 * Sends HELLO (device), CALL_OPEN (default metadata with the --meta object's fields merged
 * over it, e.g. purpose, access, retention_ms, tags), N one-second chunks hash-chained like the
 * agent's, whose audio bytes are TEXT repeated (so a test can grep for plaintext audio), and
 * CALL_CLOSE (end, frames, plus the --close object's fields, e.g. tags). Waits for every ACK
 * with status 0. --erase then sends CALL_ERASE (the user marked it private) and waits for its
 * ACK. Prints the call id (hex) on stdout; exit 0 when everything was acknowledged with 0. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "tls.h"

#define RATE 16000u
#define TIMEOUT_MS 15000

static gnutls_session_t S;
static int FD = -1;
static uint8_t rbuf[CR_FRAME_HDR + CR_FRAME_MAX_BODY];
static size_t rhave;

static int die(const char *what)
{
	fprintf(stderr, "uploadcall: %s\n", what);
	return 1;
}

static int tcp_connect(const char *addr)
{
	char host[256], port[16];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1;

	if (!colon || (size_t)(colon - addr) >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	strcpy(port, colon + 1);
	if (getaddrinfo(host, port, &hints, &res))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int send_all(const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n) {
		ssize_t w = gnutls_record_send(S, p, n);
		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_frame(uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t hdr[CR_FRAME_HDR];

	cr_frame_put_hdr(hdr, type, (uint32_t)len);
	return send_all(hdr, sizeof(hdr)) || send_all(body, len) ? -1 : 0;
}

/* Next frame into f (its body stays in rbuf until the next call). 0 or -1. */
static int recv_frame(struct cr_frame *f)
{
	static size_t consumed;

	if (consumed) {
		memmove(rbuf, rbuf + consumed, rhave - consumed);
		rhave -= consumed;
		consumed = 0;
	}
	for (;;) {
		long used = cr_frame_parse(rbuf, rhave, f);
		struct pollfd p = { .fd = FD, .events = POLLIN };
		ssize_t r;

		if (used < 0)
			return -1;
		if (used > 0) {
			consumed = (size_t)used;
			return 0;
		}
		if (!gnutls_record_check_pending(S) && poll(&p, 1, TIMEOUT_MS) <= 0)
			return -1;
		r = gnutls_record_recv(S, rbuf + rhave, sizeof(rbuf) - rhave);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			return -1;
		rhave += (size_t)r;
	}
}

/* Wait for `n` ACKs; every status must be 0. */
static int wait_acks(size_t n)
{
	while (n) {
		struct cr_frame f;

		if (recv_frame(&f) < 0)
			return die("no answer from the archive");
		if (f.type == CR_F_ERROR) {
			fprintf(stderr, "uploadcall: ERROR %.*s\n", (int)(f.length - 4),
				(const char *)f.body + 4);
			return 1;
		}
		if (f.type != CR_F_ACK || f.length < CR_IDSEQ_WIRE + 4)
			continue;
		if (cr_get_u32(f.body + CR_IDSEQ_WIRE) != 0) {
			fprintf(stderr, "uploadcall: ACK seq %llu status %u\n",
				(unsigned long long)cr_get_u64(f.body + CR_CALL_ID_BYTES),
				cr_get_u32(f.body + CR_IDSEQ_WIRE));
			return 1;
		}
		n--;
	}
	return 0;
}

static char *iso_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	return out;
}

static int merge(json_t *dst, const char *text)
{
	json_t *j;

	if (!text)
		return 0;
	j = json_loads(text, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	json_object_update(dst, j);
	json_decref(j);
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *ca = NULL, *cert = NULL, *key = NULL, *name = "localhost";
	const char *meta_arg = NULL, *close_arg = NULL, *pattern = "CALLREC-PLAINTEXT-AUDIO-",
		   *start = NULL;
	unsigned seconds = 2, i;
	int erase = 0, e;
	gnutls_certificate_credentials_t cred;
	uint8_t id[CR_CALL_ID_BYTES], prev[CR_HASH_BYTES], *body;
	char hex[2 * CR_CALL_ID_BYTES + 1], now[32], *text;
	json_t *meta, *cl;
	size_t plen, len;
	struct cr_frame f;

	for (i = 1; i < (unsigned)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (unsigned)argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--erase"))
			erase = 1;
		else if (!v)
			addr = addr ? (const char *)"" : a;
		else if (!strcmp(a, "--ca"))
			ca = argv[++i];
		else if (!strcmp(a, "--cert"))
			cert = argv[++i];
		else if (!strcmp(a, "--key"))
			key = argv[++i];
		else if (!strcmp(a, "--server-name"))
			name = argv[++i];
		else if (!strcmp(a, "--meta"))
			meta_arg = argv[++i];
		else if (!strcmp(a, "--close"))
			close_arg = argv[++i];
		else if (!strcmp(a, "--seconds"))
			seconds = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--pattern"))
			pattern = argv[++i];
		else if (!strcmp(a, "--start"))
			start = argv[++i];
		else if (a[0] != '-' && !addr)
			addr = a;
		else
			addr = "";
	}
	if (!addr || !*addr || !ca || !cert || !key || seconds < 1 || seconds > 600 || !*pattern) {
		fputs("usage: uploadcall HOST:PORT --ca CA --cert C --key K [--server-name N]\n"
		      "       [--meta JSON] [--close JSON] [--seconds N] [--pattern TEXT]\n"
		      "       [--start ISO] [--erase]\n", stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM) <= 0 ||
	    gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM) < 0)
		return die("cannot load the certificates");
	FD = tcp_connect(addr);
	if (FD < 0)
		return die("cannot connect");
	gnutls_init(&S, GNUTLS_CLIENT);
	gnutls_priority_set_direct(S, CR_TLS_PRIORITY, NULL);
	gnutls_credentials_set(S, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_server_name_set(S, GNUTLS_NAME_DNS, name, strlen(name));
	gnutls_session_set_verify_cert(S, name, 0);
	gnutls_transport_set_int(S, FD);
	gnutls_handshake_set_timeout(S, TIMEOUT_MS);
	do
		e = gnutls_handshake(S);
	while (e < 0 && !gnutls_error_is_fatal(e));
	if (e < 0)
		return die(gnutls_strerror(e));

	{
		uint8_t hello[2 + 32];
		static const char sw[] = "{\"software\":\"uploadcall\"}";

		cr_put_u16(hello, CR_ROLE_DEVICE);
		memcpy(hello + 2, sw, sizeof(sw) - 1);
		if (send_frame(CR_F_HELLO, hello, 2 + sizeof(sw) - 1) < 0)
			return die("send failed");
		do
			if (recv_frame(&f) < 0)
				return die("no HELLO_OK");
		while (f.type != CR_F_HELLO_OK && f.type != CR_F_ERROR);
		if (f.type == CR_F_ERROR)
			return die("refused at HELLO");
	}

	gnutls_rnd(GNUTLS_RND_NONCE, id, sizeof(id));
	cr_id_to_hex(id, hex);
	meta = json_pack("{si ss si si ss ss si ss ss ss si si ss}", "version", 1, "user", "alice",
			 "uid", 1000, "gid", 1000, "application", "uploadcall", "exe",
			 "/usr/bin/uploadcall", "pid", (int)getpid(), "line", "", "host", "desk1",
			 "start", start ? start : iso_now(now), "rate", RATE, "channels", 2, "rule",
			 "test");
	if (merge(meta, meta_arg) < 0)
		return die("--meta is not a JSON object");
	text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	len = CR_IDSEQ_WIRE + strlen(text);
	body = malloc(CR_CHUNK_HDR_WIRE + RATE * 4 + 65536);
	cr_idseq_encode(id, 0, body);
	memcpy(body + CR_IDSEQ_WIRE, text, strlen(text));
	free(text);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, body, len, prev);
	if (send_frame(CR_F_CALL_OPEN, body, len) < 0)
		return die("send failed");

	plen = strlen(pattern);
	for (i = 1; i <= seconds; i++) {
		struct cr_chunk_hdr h = { .seq = i, .start_frame = (uint64_t)(i - 1) * RATE,
					  .frames = RATE, .rate = RATE, .channels = 2,
					  .format = 1 };
		uint8_t *audio = body + CR_CHUNK_HDR_WIRE;
		size_t k;

		memcpy(h.call_id, id, CR_CALL_ID_BYTES);
		memcpy(h.prev_hash, prev, CR_HASH_BYTES);
		for (k = 0; k < RATE * 4; k++)
			audio[k] = (uint8_t)pattern[k % plen];
		cr_chunk_hash(&h, audio, RATE * 4, h.hash);
		cr_chunk_hdr_encode(&h, body);
		memcpy(prev, h.hash, CR_HASH_BYTES);
		if (send_frame(CR_F_CHUNK, body, CR_CHUNK_HDR_WIRE + RATE * 4) < 0)
			return die("send failed");
	}
	cl = json_pack("{ss sI so}", "end", iso_now(now), "frames", (json_int_t)seconds * RATE,
		       "gaps", json_array());
	if (merge(cl, close_arg) < 0)
		return die("--close is not a JSON object");
	text = json_dumps(cl, JSON_COMPACT);
	json_decref(cl);
	len = CR_IDSEQ_WIRE + strlen(text);
	cr_idseq_encode(id, seconds + 1, body);
	memcpy(body + CR_IDSEQ_WIRE, text, strlen(text));
	free(text);
	if (send_frame(CR_F_CALL_CLOSE, body, len) < 0)
		return die("send failed");
	if (wait_acks(seconds + 2))
		return 1;
	if (erase) {
		static const char why[] = "{\"reason\":\"private\"}";

		cr_idseq_encode(id, 0, body);
		memcpy(body + CR_IDSEQ_WIRE, why, sizeof(why) - 1);
		if (send_frame(CR_F_CALL_ERASE, body, CR_IDSEQ_WIRE + sizeof(why) - 1) < 0 ||
		    wait_acks(1))
			return die("CALL_ERASE not acknowledged");
	}
	printf("%s\n", hex);
	free(body);
	gnutls_bye(S, GNUTLS_SHUT_WR);
	close(FD);
	return 0;
}
