/* A call's export held in memory: the files `callrec-archive export` would write (WAV,
 * manifest, its signature, inclusion proof and the proof's signature) with the signed log
 * head they lead to, and the result of checking them with verify's own code. The player, the
 * timeline and the downloads read from here; nothing of it is ever written to disk.
 *
 * A small cache keeps the calls opened last so that the player can seek without fetching the
 * recording again; each fetch is an `export` request, which the archive checks against the
 * operator's role and writes to its audit log. */
#ifndef CALLREC_CONSOLE_EXPORTS_H
#define CALLREC_CONSOLE_EXPORTS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "../bundle.h"
#include "../conn.h"
#include "secbuf.h"

struct console;

struct console_export {
	char id[33];
	struct console_buf file[CRA_BUNDLE_NSTREAMS]; /* indexed like cra_bundle_suffix */
	struct cra_checkpoint cp; /* the log head its proof leads to (own copy) */
	json_t *verify;           /* {"intact": bool, "report": [lines]} */
	/* cache bookkeeping */
	int refs, cached;
	int64_t used_ms;
	struct console_export *next;
};

/* Fetch call id over c with its proof up to cp's log head (cp copied). 0; a positive errno
 * when the archive refused (its reason in why); -errno when it could not be reached. */
int console_export_fetch(struct cra_conn *c, const char *id, const struct cra_checkpoint *cp,
			 struct console_export **out, char *why, size_t whylen);
/* Free an export that is not in a cache. */
void console_export_free(struct console_export *e);

struct console_cache {
	pthread_mutex_t lock;  /* the list and the counts */
	pthread_mutex_t fetch; /* one fetch at a time: the player's requests for the same call
				* wait for the first instead of fetching it again */
	struct console_export *head;
	size_t bytes, max_bytes;
	int64_t idle_ms; /* an export unused this long is dropped */
};

int console_cache_init(struct console_cache *cc, size_t max_bytes);
/* Drop everything (at exit: every reference must have been put). */
void console_cache_free(struct console_cache *cc);
/* The export of call id, from memory or fetched now; a reference to release with
 * console_cache_put(). Returns as console_export_fetch(). */
int console_cache_get(struct console *con, const char *id, struct console_export **out,
		      char *why, size_t whylen);
void console_cache_put(struct console_cache *cc, struct console_export *e);
/* Drop what has not been used for idle_ms (called every minute, so that a recording does not
 * stay in memory while nobody uses the console). */
void console_cache_sweep(struct console_cache *cc);
/* Forget call id (after the archive refused it or erased it). */
void console_cache_forget(struct console_cache *cc, const char *id);

#endif
