/* The search filters of the console's pages, split into what the archive's `list` request
 * filters itself (user, device, purpose, tag, state, and the period roughly) and what the
 * console checks on each answer (the period exactly, as times rather than text, and the
 * party, which the archive has no filter for). I/O-free. */
#ifndef CALLREC_CONSOLE_SEARCH_H
#define CALLREC_CONSOLE_SEARCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A request's parameter by name, or NULL when absent or empty. */
typedef const char *(*console_param_fn)(void *arg, const char *name);

/* from/to (to excluded), read with when.h in the zone of parameter tz (default local). */
struct console_period {
	int has_from, has_to;
	int64_t from_ms, to_ms;
};

struct console_search {
	struct console_period period;
	char party[128];   /* "" for any */
	json_t *archive;   /* the filters for the archive's list request */
};

/* 0, or -EINVAL with a message for the operator in why. */
int console_period_parse(console_param_fn get, void *arg, int64_t now_ms,
			 struct console_period *p, char *why, size_t whylen);
/* Whether the time text iso (as the archive writes times) lies in the period; without a
 * from or to, anything (even no time) does. */
int console_period_has(const struct console_period *p, const char *iso);

/* Parameters from, to, tz, user, device, purpose, party, tag (KEY=VALUE) and state. 0, or
 * -EINVAL (why says which and how). Free with console_search_free() either way. */
int console_search_parse(console_param_fn get, void *arg, int64_t now_ms,
			 struct console_search *s, char *why, size_t whylen);
/* Whether a call (a list entry) passes the filters the archive did not apply. */
int console_search_match(const struct console_search *s, json_t *call);
void console_search_free(struct console_search *s);

#endif
