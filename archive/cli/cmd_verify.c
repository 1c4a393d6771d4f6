/* `callrec-archive verify PATH [--key FILE] [--tsa-cert FILE]`: offline, so it takes none of
 * the connection options. Its own option table, because in the verbs' shared one `--key` is the
 * operator's TLS key: a pinned archive key silently read as that would leave verify trusting
 * whatever key a bundle carries. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "cli_util.h"
#include "commands.h"
#include "usage.h"

static const char verify_usage[] =
	"Usage: " CRA_PROGRAM " verify PATH [--key ARCHIVE.pub] [--tsa-cert TSA.pem]\n"
	"  Offline check of an export directory (or one call's ID.wav / ID.manifest.json):\n"
	"  audio hashes, manifest signatures, inclusion in the signed log, that no call is missing\n"
	"  from the bundle (summary.json), and the checkpoint's timestamp.\n"
	"  --key FILE        the archive's signing key (its signing.pub, got from the archive's\n"
	"                    operator, not from the bundle); also --archive-key. Without it the\n"
	"                    bundle's own signing.pub is used, which shows only that the bundle is\n"
	"                    consistent with itself: compare the printed fingerprint with the\n"
	"                    archive's (`" CRA_PROGRAM " pki fingerprint` on the archive's PKI).\n"
	"  --tsa-cert FILE   the time-stamping authority's certificate (or its CA), PEM: checks\n"
	"                    checkpoint.tsr, which must then be present.\n"
	"  Exit 0 intact, 1 altered, incomplete, or a given file missing or unusable.\n";

enum { OPT_KEY = 0x300, OPT_TSA };

static const struct option options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "archive-key", required_argument, NULL, OPT_KEY },
	{ "tsa-cert", required_argument, NULL, OPT_TSA },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define usage_error(...) cr_usage_error(CRA_PROGRAM, CRA_PROGRAM " verify", __VA_ARGS__)

int cra_cmd_verify(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_verify_opts o = { NULL, NULL };
	const char *path = NULL;
	int c;

	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode main() used */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_KEY:
			if (o.key)
				return usage_error("verify: one archive key only");
			o.key = optarg;
			break;
		case OPT_TSA:
			o.tsa_cert = optarg;
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return 0;
		default:
			return usage_error("verify: unknown option or missing value: %s",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (!path || optind < argc)
		return usage_error(path ? "verify: one PATH only" : "verify: missing PATH");
	/* Before the verb, --key is the connection's TLS key; taking it for the archive's would
	 * be a guess either way. (A --config there, as scripts pass to every verb, is harmless.) */
	if (conn->key)
		return usage_error("verify: --key before the verb is an operator's TLS key; pin the "
				   "archive's key after it: verify PATH --key ARCHIVE.pub");
	return cra_verify(path, &o, stdout);
}
