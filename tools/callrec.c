/* callrec: the desktop user's command: `status`, `private`, `pause`, `resume`,
 * `tag KEY=VALUE` over the agent's socket, and `policy check` (tools/policy_cmd.c) for
 * whoever rolls a policy out. The agent decides whose calls a command may touch (its
 * SO_PEERCRED view of us), never this program. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agent_client.h"
#include "policy_cmd.h"
#include "policy_load.h"
#include "status_print.h"
#include "usage.h"
#include "version.h"

#define PROGRAM "callrec"

static void usage(FILE *out)
{
	fputs("Usage: " PROGRAM " [--socket PATH] VERB [OPTIONS]\n"
	      "Verbs:\n"
	      "  status [--json]\n"
	      "        is the agent recording, is the archive reachable, how much waits in the\n"
	      "        spool, which calls are being recorded\n"
	      "  private\n"
	      "        this call is not recorded: what was recorded of it is erased from\n"
	      "        the spool and the archive (a tombstone without audio remains); with\n"
	      "        no call active, your next call is not recorded\n"
	      "  pause | resume\n"
	      "        record silence from now on (a marked gap), e.g. while card details are\n"
	      "        given, until resume\n"
	      "  tag KEY=VALUE\n"
	      "        attach search metadata to your current call, e.g. remote=+31201234567;\n"
	      "        KEY: 1-32 of a-z 0-9 _ . -; VALUE: printable, at most 128 bytes\n"
	      "  policy check [--quiet] [--announcements DIR] FILE...\n"
	      "        validate recording policies (errors as FILE:LINE:COL: message, exit 1)\n"
	      "        and explain them; bare announcement names are looked up in DIR\n"
	      "        (default " CR_ANNOUNCE_DIR ")\n"
	      "Options:\n"
	      "  --socket PATH   the agent's socket (default: $XDG_RUNTIME_DIR/callrec/agent.sock\n"
	      "                  when it exists, else " CRU_SYSTEM_SOCKET ")\n"
	      "  -h, --help  -V, --version\n",
	      out);
}

#define usage_error(...) cr_usage_error(PROGRAM, PROGRAM, __VA_ARGS__)

enum { OPT_SOCKET = 0x100, OPT_JSON };

static const struct option main_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct option status_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Ask the agent `text`: 0 with its answer, a JSON object, in *answer; or exit status 1 after
 * saying why not. `idle` follows the "no agent" message. */
static int ask_agent(const char *socket_opt, const char *text, const char *idle, json_t **answer)
{
	char path[PATH_MAX], *reply = NULL;
	size_t len;
	int rc;

	rc = cru_socket_path(socket_opt, path, sizeof(path));
	if (rc < 0) {
		fprintf(stderr, PROGRAM ": socket path too long\n");
		return 1;
	}
	rc = cru_agent_command(path, text, &reply, &len);
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		fprintf(stderr, PROGRAM ": no callrec agent is running (nothing listens on %s)%s\n",
			path, idle);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, PROGRAM ": asking the agent at %s: %s\n", path,
			rc == -ETIMEDOUT ? "no answer in time" : strerror(-rc));
		return 1;
	}
	*answer = json_loadb(reply, len, 0, NULL);
	if (!json_is_object(*answer)) {
		fprintf(stderr, PROGRAM ": the agent's answer is not a JSON object: %.200s\n", reply);
		json_decref(*answer);
		free(reply);
		return 1;
	}
	free(reply);
	return 0;
}

static int show_status(const char *socket_opt, int json)
{
	json_t *st;

	if (ask_agent(socket_opt, "status", "; calls are not being recorded", &st))
		return 1;
	if (json) {
		char *line = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (line)
			printf("%s\n", line);
		free(line);
	} else {
		cru_status_print(st, stdout);
	}
	json_decref(st);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* One of the call commands: send `text`, print the agent's answer readably. Exit status 1
 * when the agent refuses or cannot be asked. */
static int call_command(const char *socket_opt, const char *text)
{
	json_t *o, *err, *v;
	const char *key;

	if (ask_agent(socket_opt, text, "", &o))
		return 1;
	err = json_object_get(o, "error");
	if (err || !json_is_true(json_object_get(o, "ok"))) {
		fprintf(stderr, PROGRAM ": %s\n", json_is_string(err) ? json_string_value(err)
								   : "the agent refused");
		json_decref(o);
		return 1;
	}
	if (json_is_true(json_object_get(o, "next_call_private")))
		printf("Your next call will not be recorded.\n");
	json_object_foreach(o, key, v) {
		size_t i;
		json_t *id;
		static const struct { const char *key, *what; } said[] = {
			{ "erased", "marked private; its recording is being erased" },
			{ "paused", "paused: silence is recorded until you resume" },
			{ "resumed", "recording again" },
			{ "calls", "tagged" },
		};
		for (size_t k = 0; k < sizeof(said) / sizeof(said[0]); k++)
			if (!strcmp(key, said[k].key) && json_is_array(v))
				json_array_foreach(v, i, id)
					printf("Call %s %s.\n", json_string_value(id) ?
					       json_string_value(id) : "?", said[k].what);
	}
	json_decref(o);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* argv[0] = verb: private, pause, resume (no arguments) or tag KEY=VALUE. */
static int cmd_call(int argc, char **argv, const char *socket_opt)
{
	char text[256];
	int c, want = strcmp(argv[0], "tag") == 0 ? 1 : 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", main_options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET: socket_opt = optarg; break;
		case 'h': usage(stdout); return 0;
		default: return usage_error("%s: unknown option or missing value: %s", argv[0],
					    argv[optind - 1]);
		}
	}
	if (argc - optind != want)
		return usage_error(want ? "tag needs one KEY=VALUE argument"
					: "%s takes no arguments", argv[0]);
	if (want) {
		if (!strchr(argv[optind], '='))
			return usage_error("tag needs KEY=VALUE, got: %s", argv[optind]);
		if (snprintf(text, sizeof(text), "tag %s", argv[optind]) >= (int)sizeof(text))
			return usage_error("tag: KEY=VALUE too long");
	} else {
		snprintf(text, sizeof(text), "%s", argv[0]);
	}
	return call_command(socket_opt, text);
}

/* argv[0] = "status". */
static int cmd_status(int argc, char **argv, const char *socket_opt)
{
	int c, json = 0;

	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode main() used */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", status_options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET: socket_opt = optarg; break;
		case OPT_JSON: json = 1; break;
		case 'h': usage(stdout); return 0;
		default: return usage_error("status: unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("status: unexpected argument: %s", argv[optind]);
	return show_status(socket_opt, json);
}

int main(int argc, char **argv)
{
	const char *socket_opt = NULL, *verb;
	int c;

	/* Options before the verb; "+" stops at the verb, which parses its own. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", main_options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET: socket_opt = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROGRAM " " CR_VERSION "\n"); return 0;
		default: return usage_error("unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	verb = argv[optind];
	if (strcmp(verb, "status") == 0)
		return cmd_status(argc - optind, argv + optind, socket_opt);
	if (!strcmp(verb, "private") || !strcmp(verb, "pause") || !strcmp(verb, "resume") ||
	    !strcmp(verb, "tag"))
		return cmd_call(argc - optind, argv + optind, socket_opt);
	if (strcmp(verb, "policy") == 0) {
		if (socket_opt)
			return usage_error("--socket belongs to status");
		return cmd_policy(argc - optind, argv + optind);
	}
	if (strcmp(verb, "help") == 0) {
		usage(stdout);
		return 0;
	}
	return usage_error("unknown verb: %s", verb);
}
