/* `callrec-archive pki init|device|operator|revoke`: argument parsing; the work is in pki.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "pki.h"
#include "pki_config.h"
#include "usage.h"

static const char usage_text[] =
	"Usage: " CRA_PROGRAM " pki VERB ...   (fleet PKI; no certtool needed)\n"
	"  pki init DIR [--listen HOST:PORT] [--name SERVERNAME]\n"
	"        fleet CA, archive certificate, signing key, empty CRL, roles.yaml and\n"
	"        DIR/archived.yaml (listen default " CRA_DEFAULT_LISTEN ", name localhost)\n"
	"  pki device NAME [--dir DIR]\n"
	"        DIR/devices/NAME/{device.pem,device.key,agent.yaml}\n"
	"  pki operator NAME --role ROLE [--dir DIR]\n"
	"        DIR/operators/NAME/{operator.pem,operator.key,archive.yaml}; NAME: ROLE in\n"
	"        DIR/roles.yaml\n"
	"  pki revoke NAME [--dir DIR]\n"
	"        add NAME's certificate to DIR/crl.pem (then SIGHUP callrec-archived)\n"
	"  pki fingerprint [--dir DIR]\n"
	"        the SHA-256 fingerprint of the archive's signing key (DIR/signing.pub), for\n"
	"        recipients of exports to compare with what `verify` prints\n"
	"--dir defaults to the current directory. NAME: 1-63 of A-Z a-z 0-9 . _ -\n";

#define usage_error(...) cr_usage_error(CRA_PROGRAM, CRA_PROGRAM " pki", __VA_ARGS__)

enum { OPT_DIR = 0x200, OPT_LISTEN, OPT_NAME, OPT_ROLE };

static const struct option pki_options[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct pki_args {
	const char *dir, *listen, *name, *role;
	const char *positional; /* DIR for init, NAME for the others */
	int help;
};

/* argv[0] is the pki verb. Which options a verb accepts is checked by the caller. */
static int parse(int argc, char **argv, struct pki_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode main() used */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", pki_options, NULL)) != -1) {
		switch (c) {
		case OPT_DIR: a->dir = optarg; break;
		case OPT_LISTEN: a->listen = optarg; break;
		case OPT_NAME: a->name = optarg; break;
		case OPT_ROLE: a->role = optarg; break;
		case 'h': a->help = 1; break;
		default:
			return usage_error("pki: unknown option or missing value: %s",
					   argv[optind - 1]);
		}
	}
	/* getopt_long moved the positional arguments behind the options. */
	if (optind < argc)
		a->positional = argv[optind++];
	if (optind < argc)
		return usage_error("pki: unexpected argument '%s'", argv[optind]);
	return 0;
}

static int exit_code(int rc)
{
	return rc == 0 ? 0 : CRA_EXIT_FAIL;
}

int cra_cmd_pki(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	struct pki_args a;
	int rc;

	if (!verb)
		return usage_error("pki: missing verb (init, device, operator, revoke, fingerprint)");
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	rc = parse(argc - 1, argv + 1, &a);
	if (rc)
		return rc;
	if (a.help) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(verb, "init") == 0) {
		struct cra_pki_init_opts o = { a.positional, a.listen, a.name };

		if (!a.positional)
			return usage_error("pki init: missing DIR");
		if (a.dir || a.role)
			return usage_error("pki init: takes DIR, --listen and --name only");
		return exit_code(cra_pki_init(&o));
	}
	if (strcmp(verb, "fingerprint") == 0) {
		if (a.positional || a.listen || a.name || a.role)
			return usage_error("pki fingerprint: takes --dir only");
		return exit_code(cra_pki_fingerprint(a.dir ? a.dir : "."));
	}
	if (strcmp(verb, "device") != 0 && strcmp(verb, "operator") != 0 &&
	    strcmp(verb, "revoke") != 0)
		return usage_error("pki: unknown verb '%s' (init, device, operator, revoke, "
				   "fingerprint)", verb);
	if (!a.positional)
		return usage_error("pki %s: missing NAME", verb);
	if (a.listen || a.name)
		return usage_error("pki %s: --listen and --name belong to pki init", verb);
	if (!a.dir)
		a.dir = ".";
	if (strcmp(verb, "operator") == 0) {
		if (!a.role)
			return usage_error("pki operator: missing --role ROLE");
		return exit_code(cra_pki_operator(a.dir, a.positional, a.role));
	}
	if (a.role)
		return usage_error("pki %s: --role belongs to pki operator", verb);
	if (strcmp(verb, "device") == 0)
		return exit_code(cra_pki_device(a.dir, a.positional));
	return exit_code(cra_pki_revoke(a.dir, a.positional));
}
