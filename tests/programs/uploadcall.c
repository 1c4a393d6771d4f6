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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "hostport.h"
#include "tls_client.h"

#define RATE 16000u
#define TIMEOUT_MS 15000

static struct cr_conn C;

static int die(const char *what)
{
	fprintf(stderr, "uploadcall: %s\n", what);
	return 1;
}

static int send_frame(uint8_t type, const uint8_t *body, size_t len)
{
	return cr_conn_send_frame(&C, type, body, len, TIMEOUT_MS);
}

/* Wait for `n` ACKs; every status must be 0. */
static int wait_acks(size_t n)
{
	while (n) {
		struct cr_frame f;

		if (cr_conn_recv_frame(&C, &f, TIMEOUT_MS) < 0)
			return die("no answer from the archive");
		if (f.type == CR_F_ERROR) {
			char text[256];

			cr_error_text(&f, text, sizeof(text));
			fprintf(stderr, "uploadcall: ERROR %s\n", text);
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
	unsigned seconds = 2, i, portnum;
	int erase = 0;
	struct cr_tls_client tc;
	char host[256], port[8];
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
	if (!addr || !*addr || !ca || !cert || !key || seconds < 1 || seconds > 600 || !*pattern ||
	    cr_split_hostport(addr, host, sizeof(host), &portnum) < 0) {
		fputs("usage: uploadcall HOST:PORT --ca CA --cert C --key K [--server-name N]\n"
		      "       [--meta JSON] [--close JSON] [--seconds N] [--pattern TEXT]\n"
		      "       [--start ISO] [--erase]\n", stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(port, sizeof(port), "%u", portnum);
	if (cr_tls_client_init(&tc, ca, cert, key, name, NULL) < 0)
		return die("cannot load the certificates");
	if (cr_conn_open(&C, &tc, host, port, NULL, TIMEOUT_MS) < 0)
		return die(C.why);

	{
		uint8_t hello[64];
		size_t hl = cr_hello_body(hello, sizeof(hello), CR_ROLE_DEVICE, "uploadcall");

		if (send_frame(CR_F_HELLO, hello, hl) < 0)
			return die("send failed");
		do
			if (cr_conn_recv_frame(&C, &f, TIMEOUT_MS) < 0)
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
	cr_conn_close(&C, 1);
	cr_tls_client_free(&tc);
	return 0;
}
