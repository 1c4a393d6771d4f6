/* `callrec-archive devices [--json] [--stale SECONDS] [--unhealthy]`: the desktops that sent
 * heartbeats, with their last heartbeat, backlog and drop counters, the unhealthy flagged
 * (IT's view of the fleet, docs/fleet.md). The archive decides health (no heartbeat for longer than --stale, default
 * 120 s; backlog growing over its last heartbeats; frames dropped); this only prints it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "conn.h"
#include "verb_args.h"

static const char devices_usage[] =
	"Usage: " CRA_PROGRAM " devices [--json] [--stale SECONDS] [--unhealthy]\n"
	"Desktops with their last heartbeat, spool backlog and drop counters. Unhealthy: no\n"
	"heartbeat for longer than --stale (default 120 s), backlog growing, frames dropped.\n"
	"  --json        one JSON object per device and line\n"
	"  --unhealthy   only the unhealthy ones; exit status 3 when there is any\n";

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
	struct cra_verb_args a;
	struct cra_conn c;
	int rc = cra_verb_parse(argc, argv, CRA_V_JSON | CRA_V_STALE | CRA_V_UNHEALTHY, conn, &a);

	if (rc)
		return rc;
	if (a.help) {
		fputs(devices_usage, stdout);
		return 0;
	}
	rc = cra_connect(conn, &c);
	if (rc)
		return rc;
	rc = devices(&c, a.stale, a.json, a.unhealthy, stdout);
	cra_conn_close(&c);
	if (rc < 0)
		return CRA_EXIT_FAIL;
	return a.unhealthy && rc > 0 ? 3 : 0;
}
