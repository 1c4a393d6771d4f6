#include "status_print.h"

#include <string.h>

/* A JSON value on one line: strings bare, objects as "k=v, k=v", arrays as "a, b". Control
 * characters (the agent copies application names) are shown as '?'. */
static void value_text(json_t *v, FILE *out)
{
	const char *key, *p;
	json_t *item;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_STRING:
		for (p = json_string_value(v); *p; p++)
			fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, out);
		break;
	case JSON_INTEGER:
		fprintf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("yes", out);
		break;
	case JSON_FALSE:
		fputs("no", out);
		break;
	case JSON_NULL:
		fputs("-", out);
		break;
	case JSON_OBJECT:
		json_object_foreach(v, key, item) {
			fprintf(out, "%s%s=", first ? "" : ", ", key);
			value_text(item, out);
			first = 0;
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, item) {
			fputs(first ? "" : ", ", out);
			value_text(item, out);
			first = 0;
		}
		break;
	}
}

static void human_bytes(json_int_t b, FILE *out)
{
	if (b >= 1024 * 1024)
		fprintf(out, "%.1f MiB", (double)b / (1024.0 * 1024.0));
	else if (b >= 1024)
		fprintf(out, "%.1f KiB", (double)b / 1024.0);
	else
		fprintf(out, "%lld bytes", (long long)b);
}

static void print_spool(json_t *spool, FILE *out)
{
	json_t *chunks = json_object_get(spool, "chunks"), *bytes = json_object_get(spool, "bytes");

	fputs("Spool:    ", out);
	if (json_is_integer(chunks) && json_is_integer(bytes) && json_object_size(spool) == 2) {
		fprintf(out, "%lld chunk%s waiting (", (long long)json_integer_value(chunks),
			json_integer_value(chunks) == 1 ? "" : "s");
		human_bytes(json_integer_value(bytes), out);
		fputs(")\n", out);
	} else {
		value_text(spool, out);
		fputc('\n', out);
	}
}

static void print_calls(json_t *calls, FILE *out)
{
	json_t *call;
	size_t i;

	if (!json_is_array(calls)) {
		fputs("Calls:    ", out);
		value_text(calls, out);
		fputc('\n', out);
		return;
	}
	if (json_array_size(calls) == 0) {
		fputs("Calls:    none\n", out);
		return;
	}
	fprintf(out, "Calls:    %zu active\n", json_array_size(calls));
	json_array_foreach(calls, i, call) {
		fputs("  - ", out);
		value_text(call, out);
		fputc('\n', out);
	}
}

/* The control socket's limits per user and what was refused (per uid: a user sees their own,
 * root everyone's; the rest as one number). */
static void print_control(json_t *ctl, FILE *out)
{
	json_t *refused = json_object_get(ctl, "refused"), *r, *others;
	size_t i;

	fprintf(out, "Control:  at most %lld recorded streams and %lld connections without a "
		"HELLO per user\n", (long long)json_integer_value(json_object_get(ctl,
		"streams_per_user")), (long long)json_integer_value(json_object_get(ctl,
		"pending_per_user")));
	json_array_foreach(refused, i, r) {
		json_t *user = json_object_get(r, "user");

		fputs(i == 0 ? "Refused:  " : "          ", out);
		if (json_is_string(user)) {
			value_text(user, out);
			fputc(' ', out);
		}
		fprintf(out, "(uid %lld): %lld connections, %lld streams\n",
			(long long)json_integer_value(json_object_get(r, "uid")),
			(long long)json_integer_value(json_object_get(r, "connections")),
			(long long)json_integer_value(json_object_get(r, "streams")));
	}
	others = json_object_get(ctl, "refused_others");
	if (!others)
		others = json_object_get(ctl, "refused_unattributed");
	if (json_integer_value(others) > 0)
		fprintf(out, "%s%lld refused for other users or for want of descriptors\n",
			json_array_size(refused) ? "          " : "Refused:  ",
			(long long)json_integer_value(others));
}

void cru_status_print(json_t *status, FILE *out)
{
	static const char *const known[] = { "state", "archive", "spool", "calls", "control" };
	const char *key;
	json_t *v;
	size_t k;

	if ((v = json_object_get(status, "state"))) {
		fputs("Agent:    ", out);
		value_text(v, out);
		fputc('\n', out);
	}
	if ((v = json_object_get(status, "archive"))) {
		fputs("Archive:  ", out);
		value_text(v, out);
		fputc('\n', out);
	}
	if ((v = json_object_get(status, "spool")))
		print_spool(v, out);
	if ((v = json_object_get(status, "calls")))
		print_calls(v, out);
	if ((v = json_object_get(status, "control")) && json_is_object(v))
		print_control(v, out);
	json_object_foreach(status, key, v) {
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(key, known[k]) == 0)
				break;
		if (k < sizeof(known) / sizeof(known[0]))
			continue;
		fprintf(out, "%s: ", key);
		value_text(v, out);
		fputc('\n', out);
	}
}
