/* `callrec-archive devices [--json] [--stale SECONDS] [--unhealthy]`: the desktops that sent
 * heartbeats, with their last heartbeat, backlog and drop counters, the unhealthy flagged
 * (SPEC 4.7, 6.3). The archive decides health (no heartbeat for longer than --stale, default
 * 120 s; backlog growing over its last heartbeats; frames dropped); this only prints it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "conn_opts.h"
#include "opconn.h"

static const char devices_usage[] =
	"Usage: " CRA_PROGRAM " devices [--json] [--stale SECONDS] [--unhealthy]\n"
	"Desktops with their last heartbeat, spool backlog and drop counters. Unhealthy: no\n"
	"heartbeat for longer than --stale (default 120 s), backlog growing, frames dropped.\n"
	"  --json        one JSON object per device and line\n"
	"  --unhealthy   only the unhealthy ones; exit status 3 when there is any\n";

enum { OPT_JSON = 1000, OPT_STALE, OPT_UNHEALTHY };

static const struct option devices_options[] = {
	CRA_CONN_LONGOPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "stale", required_argument, NULL, OPT_STALE },
	{ "unhealthy", no_argument, NULL, OPT_UNHEALTHY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, CRA_PROGRAM ": devices: %s%s\nTry '" CRA_PROGRAM " devices --help'.\n",
		what, arg);
	return CRA_EXIT_USAGE;
}

static void print_row(json_t *d, FILE *out)
{
	json_t *problems = json_object_get(d, "problems"), *p;
	char status[256] = "ok";
	size_t i, used = 0;

	if (json_array_size(problems)) {
		status[0] = '\0';
		json_array_foreach(problems, i, p) {
			int n = snprintf(status + used, sizeof(status) - used, "%s%s", i ? "; " : "",
					 json_string_value(p) ? json_string_value(p) : "?");
			if (n < 0 || (size_t)n >= sizeof(status) - used)
				break;
			used += (size_t)n;
		}
	}
	fprintf(out, "%-20s %-20s %8lld %12lld %10lld  %s%s\n",
		json_string_value(json_object_get(d, "device")) ?: "?",
		json_string_value(json_object_get(d, "last_heartbeat")) ?: "?",
		(long long)json_integer_value(json_object_get(d, "age_s")),
		(long long)json_integer_value(json_object_get(d, "backlog")),
		(long long)json_integer_value(json_object_get(d, "dropped")),
		json_is_true(json_object_get(d, "healthy")) ? "" : "UNHEALTHY: ", status);
}

/* Send the request and print the replies. Returns the number of unhealthy devices shown, or
 * -errno. */
static int devices(struct cra_conn *c, long stale, int json, int only_unhealthy, FILE *out)
{
	json_t *req = json_pack("{ss}", "op", "devices");
	struct cr_frame f;
	char err[256];
	int rc, unhealthy = 0, header = 0;

	if (!req)
		return -ENOMEM;
	if (stale >= 0)
		json_object_set_new(req, "stale_s", json_integer(stale));
	rc = cra_conn_send_json(c, CR_F_OP_REQUEST, req);
	json_decref(req);
	while (rc == 0) {
		json_t *d;
		int healthy;

		rc = cra_conn_recv(c, &f);
		if (rc < 0)
			break;
		if (f.type == CR_F_OP_END) {
			int status = cra_op_end_status(&f, err, sizeof(err));

			if (status != 0) {
				cra_error("devices failed: %s", status < 0 ? "malformed answer" :
								err[0] ? err : strerror(status));
				rc = status < 0 ? -EPROTO : -status;
			}
			break;
		}
		if (f.type != CR_F_OP_REPLY) {
			cra_error("unexpected frame type 0x%02x in the device list", f.type);
			rc = -EPROTO;
			break;
		}
		d = json_loadb((const char *)f.body, f.length, 0, NULL);
		if (!json_is_object(d)) {
			json_decref(d);
			cra_error("malformed device entry from the archive");
			rc = -EPROTO;
			break;
		}
		healthy = json_is_true(json_object_get(d, "healthy"));
		unhealthy += !healthy;
		if (!only_unhealthy || !healthy) {
			if (json) {
				fprintf(out, "%.*s\n", (int)f.length, (const char *)f.body);
			} else {
				if (!header++)
					fprintf(out, "%-20s %-20s %8s %12s %10s  %s\n", "DEVICE",
						"LAST HEARTBEAT", "AGE(s)", "BACKLOG", "DROPPED",
						"STATUS");
				print_row(d, out);
			}
		}
		json_decref(d);
	}
	return rc < 0 ? rc : unhealthy;
}

int cra_cmd_devices(int argc, char **argv, struct cra_conn_opts *conn)
{
	struct cra_conn_params p;
	struct cra_conn c;
	int opt, rc, json = 0, help = 0, only_unhealthy = 0;
	long stale = -1;
	char *end;

	optind = 0; /* 0, not 1: glibc then also forgets the "+" mode main() used */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", devices_options, NULL)) != -1) {
		rc = cra_conn_opt(conn, opt, optarg);
		if (rc < 0)
			return CRA_EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (opt) {
		case OPT_JSON: json = 1; break;
		case OPT_UNHEALTHY: only_unhealthy = 1; break;
		case OPT_STALE:
			errno = 0;
			stale = strtol(optarg, &end, 10);
			if (errno || *end || stale < 0 || stale > 365L * 86400)
				return usage_error("--stale needs seconds: ", optarg);
			break;
		case 'h': help = 1; break;
		default:
			return usage_error("unknown option or missing value: ", argv[optind - 1]);
		}
	}
	if (help) {
		fputs(devices_usage, stdout);
		return 0;
	}
	if (optind < argc)
		return usage_error("unexpected argument: ", argv[optind]);
	rc = cra_conn_resolve(conn, &p);
	if (rc < 0)
		return rc == -EINVAL ? CRA_EXIT_USAGE : CRA_EXIT_FAIL;
	rc = cra_conn_open(&p, &c);
	cra_conn_params_free(&p);
	if (rc < 0)
		return CRA_EXIT_FAIL;
	rc = devices(&c, stale, json, only_unhealthy, stdout);
	cra_conn_close(&c);
	if (rc < 0)
		return CRA_EXIT_FAIL;
	return only_unhealthy && rc > 0 ? 3 : 0;
}
