/* libFuzzer target: the files of an export bundle that `callrec-archive verify` reads besides
 * the calls' own (those are fuzz_manifest's), from a bundle anyone may have edited:
 *  - checkpoint.tsr, an RFC 3161 time-stamp response: the DER reader around the token
 *    (cra_tsp_token), the TSTInfo (cra_tstinfo_parse), and the whole check against a fixed
 *    test authority (cra_tsp_verify: GnuTLS's CMS verification in between);
 *  - summary.json against the calls found in the bundle (cra_verifier_summary).
 * Input: one byte choosing what the rest is: 0 a response or token, 1 a TSTInfo, 2 a response
 * checked against the test authority for the data "checkpoint", 3 summary.json for two
 * fixed call ids. */
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../archive/cli/tsp.h"
#include "../../archive/cli/verify_core.h"

/* The test authority's CA (valid until 2126), which signed the corpus's responses: a
 * response that still verifies after mutation reaches the TSTInfo through GnuTLS. */
static const char test_ca[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBkjCCATmgAwIBAgIUVgwkVoHGrEhpu6Z1UCEAj6qDJp8wCgYIKoZIzj0EAwIw\n"
	"HjEcMBoGA1UEAwwTY2FsbHJlYyBmdXp6IFRTQSBDQTAgFw0yNjEyMDMxMDUyMzRa\n"
	"GA8yMTI2MTEwOTEwNTIzNFowHjEcMBoGA1UEAwwTY2FsbHJlYyBmdXp6IFRTQSBD\n"
	"QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMqpSalcLDWs0dm2dYC/BTIxN4vJ\n"
	"nxrUX1yWzyw/yxMVsO23YCJCsFR4kUPsZGi2rgt/l8JSfPTclcRENlGKNzGjUzBR\n"
	"MB0GA1UdDgQWBBRgVZg3/7efMWC3Plf5NPWocFI7UjAfBgNVHSMEGDAWgBRgVZg3\n"
	"/7efMWC3Plf5NPWocFI7UjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cA\n"
	"MEQCIFaCDZFF3I6mLXHbT9ZCIi+rXDqcFm+2bVJbASX7NZtzAiBfv2hUjeQK2GQV\n"
	"se5kCvaMPcWAgrIN2VJ6m4PKg7AUDA==\n"
	"-----END CERTIFICATE-----\n"
	;

/* Heap copies, so that ASan notices a read past the end. */
static void *dup_bytes(const uint8_t *d, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, d, n);
	p[n] = '\0';
	return p;
}

static void summary(const uint8_t *d, size_t n)
{
	char ids[2][33] = { "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210" };
	char *report = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&report, &len);
	struct cra_verifier v;
	struct cra_vfile f = { dup_bytes(d, n), n };
	int rc;

	if (!out)
		abort();
	cra_verifier_init(&v, out);
	v.have_cp = 1;
	v.size = 2;
	rc = cra_verifier_summary(&v, &f, ids, 2);
	fflush(out);
	/* The verdict and the report agree. */
	if ((rc != 0 && rc != 1) || (rc == 0) != !!strstr(report, "OK summary.json"))
		__builtin_trap();
	fclose(out);
	free(report);
	free((char *)f.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cra_tstinfo info;
	const uint8_t *tok;
	size_t tok_len;
	char why[256];
	uint8_t *copy;

	if (size == 0)
		return 0;
	copy = dup_bytes(data + 1, size - 1);
	switch (data[0] & 3) {
	case 0:
		if (cra_tsp_token(copy, size - 1, &tok, &tok_len) == 0 &&
		    (tok < copy || tok + tok_len > copy + size - 1))
			__builtin_trap();
		break;
	case 1:
		if (cra_tstinfo_parse(copy, size - 1, &info) == 0 &&
		    (info.imprint_len > sizeof(info.imprint) || !memchr(info.gen_time, 0, sizeof(info.gen_time))))
			__builtin_trap();
		break;
	case 2:
		if (cra_tsp_verify(copy, size - 1, test_ca, sizeof(test_ca) - 1, "checkpoint", 10,
				   &info, why, sizeof(why)) < 0 && !why[0])
			__builtin_trap(); /* a refusal always says why */
		break;
	default:
		summary(copy, size - 1);
	}
	free(copy);
	return 0;
}
