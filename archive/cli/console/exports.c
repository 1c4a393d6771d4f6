/* Calls' exports in memory, and their cache. See exports.h. */
#include "exports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "../op_request.h"
#include "../verify_core.h"
#include "when.h"

#define IDLE_MS (10LL * 60 * 1000)

static int sink(void *arg, uint8_t stream, const uint8_t *data, size_t n)
{
	struct console_export *e = arg;

	/* Streams a newer archive may add are not part of the bundle this version knows. */
	if (stream >= CRA_BUNDLE_NSTREAMS)
		return 0;
	return console_buf_add(&e->file[stream], data, n);
}

static struct cra_vfile vfile(const struct console_buf *b)
{
	return (struct cra_vfile){ (const char *)b->p, b->len };
}

/* verify's checks on the bytes in memory, its report as lines. */
static json_t *check(const struct console_export *e)
{
	struct cra_call_files f = { vfile(&e->file[1]), vfile(&e->file[0]), vfile(&e->file[2]),
				    vfile(&e->file[3]), vfile(&e->file[4]) };
	struct cra_vfile cp = { e->cp.json.p, e->cp.json.n }, sig = { e->cp.sig.p, e->cp.sig.n };
	struct cra_verifier v;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *report = json_array();
	int bad;

	if (!out || !report) {
		if (out)
			fclose(out);
		free(text);
		json_decref(report);
		return NULL;
	}
	cra_verifier_init(&v, out);
	/* the key the archive itself sent over the authenticated connection */
	bad = cra_verifier_key(&v, e->cp.pub.p, e->cp.pub.n, NULL);
	if (!bad) {
		bad |= cra_verifier_checkpoint(&v, &cp, &sig);
		bad |= cra_verifier_call(&v, e->id, &f);
	}
	cra_verifier_free(&v);
	fclose(out);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		json_array_append_new(report, json_string(line));
	free(text);
	return json_pack("{sb so}", "intact", !bad, "report", report);
}

static int copy_buf(struct cra_buf *dst, const struct cra_buf *src)
{
	return src->n ? cra_buf_add(dst, (const uint8_t *)src->p, src->n) : 0;
}

int console_export_fetch(struct cra_conn *c, const char *id, const struct cra_checkpoint *cp,
			 struct console_export **out, char *why, size_t whylen)
{
	struct console_export *e = calloc(1, sizeof(*e));
	struct cra_answer a = { 0 };
	json_t *req = NULL;
	int rc;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->cp.tree_size = cp->tree_size;
	rc = copy_buf(&e->cp.json, &cp->json);
	if (rc == 0)
		rc = copy_buf(&e->cp.sig, &cp->sig);
	if (rc == 0)
		rc = copy_buf(&e->cp.pub, &cp->pub);
	if (rc == 0)
		rc = copy_buf(&e->cp.tsr, &cp->tsr);
	if (rc == 0 && !(req = json_pack("{ss ss sb sI}", "op", "export", "call", id, "bundle", 1,
					 "tree_size", (json_int_t)cp->tree_size)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = cra_request(c, req, sink, e, &a);
	json_decref(req);
	if (rc == 0 && a.status) {
		snprintf(why, whylen, "%s", a.error[0] ? a.error : strerror(a.status));
		rc = a.status;
	} else if (rc == 0 && !e->file[0].len) {
		snprintf(why, whylen, "the archive sent no audio for this call");
		rc = EIO;
	}
	cra_answer_free(&a);
	if (rc == 0 && !(e->verify = check(e)))
		rc = -ENOMEM;
	if (rc != 0) {
		console_export_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void console_export_free(struct console_export *e)
{
	if (!e)
		return;
	for (int i = 0; i < CRA_BUNDLE_NSTREAMS; i++)
		console_buf_wipe(&e->file[i]);
	cra_checkpoint_free(&e->cp);
	json_decref(e->verify);
	free(e);
}

static size_t size_of(const struct console_export *e)
{
	size_t n = 0;

	for (int i = 0; i < CRA_BUNDLE_NSTREAMS; i++)
		n += e->file[i].len;
	return n;
}

int console_cache_init(struct console_cache *cc, size_t max_bytes)
{
	memset(cc, 0, sizeof(*cc));
	cc->max_bytes = max_bytes;
	cc->idle_ms = IDLE_MS;
	if (pthread_mutex_init(&cc->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_mutex_init(&cc->fetch, NULL) != 0) {
		pthread_mutex_destroy(&cc->lock);
		return -ENOMEM;
	}
	return 0;
}

/* Take e out of the list (*link points at it); freed now unless someone still reads it. */
static void uncache(struct console_cache *cc, struct console_export **link)
{
	struct console_export *e = *link;

	*link = e->next;
	e->next = NULL;
	e->cached = 0;
	cc->bytes -= size_of(e);
	if (e->refs == 0)
		console_export_free(e);
}

/* Drop idle exports, then the least recently used until the cache fits its budget (lock
 * held). The newest always stays, however large. */
static void trim(struct console_cache *cc, int64_t now)
{
	struct console_export **link = &cc->head;

	while (*link) {
		if (now - (*link)->used_ms > cc->idle_ms && (*link)->refs == 0)
			uncache(cc, link);
		else
			link = &(*link)->next;
	}
	while (cc->bytes > cc->max_bytes && cc->head && cc->head->next) {
		struct console_export **oldest = &cc->head;

		for (link = &cc->head; *link; link = &(*link)->next)
			if ((*link)->used_ms < (*oldest)->used_ms)
				oldest = link;
		uncache(cc, oldest);
	}
}

static struct console_export *lookup(struct console_cache *cc, const char *id, int64_t now)
{
	struct console_export *e;

	pthread_mutex_lock(&cc->lock);
	trim(cc, now);
	for (e = cc->head; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			break;
	if (e) {
		e->refs++;
		e->used_ms = now;
	}
	pthread_mutex_unlock(&cc->lock);
	return e;
}

static int fetch(struct console *con, const char *id, struct console_export **out, char *why,
		 size_t whylen)
{
	struct cra_checkpoint cp = { 0 };
	struct cra_conn c;
	int rc = console_archive_open(con, &c);

	if (rc < 0)
		return rc;
	rc = cra_checkpoint_fetch(&c, &cp);
	if (rc == 0)
		rc = console_export_fetch(&c, id, &cp, out, why, whylen);
	cra_checkpoint_free(&cp);
	cra_conn_close(&c);
	return rc;
}

int console_cache_get(struct console *con, const char *id, struct console_export **out,
		      char *why, size_t whylen)
{
	struct console_cache *cc = con->cache;
	struct console_export *e;
	int rc = 0;

	pthread_mutex_lock(&cc->fetch);
	e = lookup(cc, id, cr_when_now_ms());
	if (!e) {
		rc = fetch(con, id, &e, why, whylen);
		if (rc == 0) {
			pthread_mutex_lock(&cc->lock);
			e->refs = 1;
			e->cached = 1;
			e->used_ms = cr_when_now_ms();
			e->next = cc->head;
			cc->head = e;
			cc->bytes += size_of(e);
			trim(cc, e->used_ms);
			pthread_mutex_unlock(&cc->lock);
		}
	}
	pthread_mutex_unlock(&cc->fetch);
	*out = rc == 0 ? e : NULL;
	return rc;
}

void console_cache_sweep(struct console_cache *cc)
{
	pthread_mutex_lock(&cc->lock);
	trim(cc, cr_when_now_ms());
	pthread_mutex_unlock(&cc->lock);
}

void console_cache_put(struct console_cache *cc, struct console_export *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&cc->lock);
	if (--e->refs == 0 && !e->cached)
		console_export_free(e);
	pthread_mutex_unlock(&cc->lock);
}

void console_cache_forget(struct console_cache *cc, const char *id)
{
	struct console_export **link;

	pthread_mutex_lock(&cc->lock);
	for (link = &cc->head; *link; link = &(*link)->next)
		if (strcmp((*link)->id, id) == 0) {
			uncache(cc, link);
			break;
		}
	pthread_mutex_unlock(&cc->lock);
}

void console_cache_free(struct console_cache *cc)
{
	pthread_mutex_lock(&cc->lock);
	while (cc->head)
		uncache(cc, &cc->head);
	pthread_mutex_unlock(&cc->lock);
	pthread_mutex_destroy(&cc->lock);
	pthread_mutex_destroy(&cc->fetch);
}
