/* callrec-agent: taps audio streams through the ALSA plugin, assembles calls, spools them and
 * delivers them to the archive. See callrec-agent(8). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: callrec-agent --config FILE [--user] [--ready-file FILE] [-v]\n"
		"  --config FILE      agent.yaml (archive address, certificates, spool)\n"
		"  --user             serve one user: socket under $XDG_RUNTIME_DIR/callrec,\n"
		"                     spool under $XDG_STATE_HOME/callrec (default ~/.local/state)\n"
		"  --ready-file FILE  write the socket path there once listening\n"
		"  -v, --verbose      debug log\n"
		"  -h, --help  -V, --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "user", no_argument, NULL, 'u' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *ready = NULL;
	int user_mode = 0, verbose = 0, c, err;
	struct cr_agent_config cfg;
	struct cr_diags d;
	static struct cr_agent agent;

	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'u': user_mode = 1; break;
		case 'r': ready = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("callrec-agent %s\n", CR_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!config) {
		if (user_mode) {
			fprintf(stderr, "callrec-agent: --user needs --config FILE\n");
			return 2;
		}
		config = "/etc/callrec/agent.yaml";
	}
	cr_log_init("callrec-agent", verbose);
	cr_diags_init(&d, config);
	err = cr_agent_config_load(config, user_mode, &cfg, &d);
	if (err) {
		cr_diags_print(&d, stderr);
		cr_agent_config_free(&cfg);
		return 1;
	}
	err = cr_agent_start(&agent, &cfg, config, user_mode, ready);
	if (err) {
		cr_agent_stop(&agent);
		return 1;
	}
	err = cr_agent_run(&agent);
	cr_agent_stop(&agent);
	return err ? 1 : 0;
}
