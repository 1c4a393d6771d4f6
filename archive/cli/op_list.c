#include "op_list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "op_request.h"

struct column {
	const char *title, *key;
};

static const struct column columns[] = {
	{ "ID", "id" },         { "START", "start" }, { "SECONDS", "seconds" },
	{ "DEVICE", "device" }, { "USER", "user" },   { "APPLICATION", "application" },
	{ "STATE", "state" },
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* A cell's text: strings as they are, numbers plainly, anything else (missing) as "-". */
static void cell(json_t *call, const char *key, char *out, size_t outlen)
{
	json_t *v = json_object_get(call, key);

	if (json_is_string(v))
		snprintf(out, outlen, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, outlen, "%.1f", json_real_value(v));
	else
		snprintf(out, outlen, "-");
	/* The archive's data, but it lands on a terminal: no control characters. */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void print_cell(FILE *out, const char *text, size_t width, int last)
{
	if (last)
		fprintf(out, "%s\n", text);
	else
		fprintf(out, "%-*s  ", (int)width, text);
}

void cra_list_table(json_t *calls, FILE *out)
{
	size_t width[NCOLUMNS], i, k;
	char text[256];
	json_t *call;

	for (k = 0; k < NCOLUMNS; k++)
		width[k] = strlen(columns[k].title);
	json_array_foreach(calls, i, call)
		for (k = 0; k < NCOLUMNS; k++) {
			cell(call, columns[k].key, text, sizeof(text));
			if (strlen(text) > width[k])
				width[k] = strlen(text);
		}
	for (k = 0; k < NCOLUMNS; k++)
		print_cell(out, columns[k].title, width[k], k + 1 == NCOLUMNS);
	json_array_foreach(calls, i, call)
		for (k = 0; k < NCOLUMNS; k++) {
			cell(call, columns[k].key, text, sizeof(text));
			print_cell(out, text, width[k], k + 1 == NCOLUMNS);
		}
	if (json_array_size(calls) == 0)
		fprintf(out, "(no calls)\n");
}

int cra_op_list(struct cra_conn *c, int json, FILE *out)
{
	return cra_op_list_filtered(c, json_object(), json, out);
}

int cra_op_list_filtered(struct cra_conn *c, json_t *req, int json, FILE *out)
{
	if (req)
		json_object_set_new(req, "op", json_string("list"));
	json_t *calls = json_array();
	struct cr_frame f;
	char err[256];
	int rc, status;

	if (!req || !calls) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cra_conn_send_json(c, CR_F_OP_REQUEST, req);
	while (rc == 0) {
		rc = cra_conn_recv(c, &f);
		if (rc < 0) {
			if (rc == -ECONNRESET)
				cra_error("the archive closed the connection before the end of the list");
			break;
		}
		if (f.type == CR_F_OP_END) {
			status = cra_op_end_status(&f, err, sizeof(err));
			if (status < 0) {
				cra_error("malformed end of list from the archive");
				rc = -EPROTO;
			} else if (status > 0) {
				cra_error("list failed: %s", err[0] ? err : strerror(status));
				rc = -status;
			}
			break;
		}
		if (f.type != CR_F_OP_REPLY) {
			cra_error("unexpected frame type 0x%02x in a list", f.type);
			rc = -EPROTO;
			break;
		}
		json_t *call = json_loadb((const char *)f.body, f.length, 0, NULL);
		if (!json_is_object(call)) {
			json_decref(call);
			cra_error("the archive sent a list entry that is not a JSON object");
			rc = -EPROTO;
			break;
		}
		if (json) {
			/* Re-encoded compactly: one object per line whatever the archive sent. */
			char *line = json_dumps(call, JSON_COMPACT | JSON_PRESERVE_ORDER);

			if (line)
				fprintf(out, "%s\n", line);
			free(line);
			json_decref(call);
		} else {
			json_array_append_new(calls, call);
		}
	}
	if (rc == 0 && !json)
		cra_list_table(calls, out);
	if (fflush(out) != 0 && rc == 0)
		rc = -EIO;
out:
	json_decref(req);
	json_decref(calls);
	return rc;
}

int cra_select(struct cra_conn *c, json_t *filter, json_t **ids)
{
	struct cra_answer a;
	json_t *v;
	size_t i;
	int rc;

	json_object_set_new(filter, "op", json_string("list"));
	rc = cra_request(c, filter, NULL, NULL, &a);
	json_decref(filter);
	if (rc == 0 && a.status) {
		cra_error("list: %s", a.error[0] ? a.error : strerror(a.status));
		rc = -a.status;
	}
	*ids = json_array();
	if (rc == 0)
		json_array_foreach(a.replies, i, v) {
			const char *st = json_string_value(json_object_get(v, "state"));

			if (st && (strcmp(st, "complete") == 0 || strcmp(st, "held") == 0))
				json_array_append(*ids, json_object_get(v, "id"));
		}
	cra_answer_free(&a);
	return rc;
}
