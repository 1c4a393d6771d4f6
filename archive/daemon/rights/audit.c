/* Audit log. See audit.h. */
#include "rights/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "record/manifest.h"

struct ad_audit {
	pthread_mutex_t lock;
	const struct ad_clock *clock;
	int fd;
	char path[4096];
	char head[65];
	long long next_seq;
};

static void line_hash(const char *line, size_t len, char out[65])
{
	uint8_t d[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, line, len, d);
	cr_hex_encode(d, sizeof(d), out);
}

/* Walk the existing lines: the head and the next sequence number. */
static void scan(struct ad_audit *a, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	long long lineno = 0;
	int broken = 0;

	memset(a->head, '0', 64);
	a->head[64] = '\0';
	a->next_seq = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *j = json_loadb(p, n, 0, NULL);
		const char *prev = j ? json_string_value(json_object_get(j, "prev")) : NULL;

		lineno++;
		if (!broken && (!prev || strcmp(prev, a->head) != 0)) {
			cr_err("ALARM audit log %s: line %lld does not chain to the line before it",
			       a->path, lineno);
			broken = 1;
		}
		if (j && json_is_integer(json_object_get(j, "seq")))
			a->next_seq = json_integer_value(json_object_get(j, "seq")) + 1;
		json_decref(j);
		line_hash(p, n, a->head);
		p += n + (nl ? 1 : 0);
	}
}

int ad_audit_open(const char *dir, const struct ad_clock *clock, struct ad_audit **out)
{
	struct ad_audit *a = calloc(1, sizeof(*a));
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->clock = clock;
	a->fd = -1;
	snprintf(a->path, sizeof(a->path), "%s/audit.log", dir);
	rc = cr_read_file(a->path, (size_t)1 << 30, &text, &len);
	if (rc == -ENOENT) {
		rc = 0;
		len = 0;
	}
	if (rc == 0)
		scan(a, text ? text : "", len);
	free(text);
	if (rc == 0) {
		a->fd = open(a->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		rc = a->fd < 0 ? -errno : cr_fsync_dir(dir);
	}
	if (rc < 0) {
		cr_err("audit log %s: %s", a->path, strerror(-rc));
		ad_audit_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

void ad_audit_close(struct ad_audit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* The line and its newline, appended and synced. Called with the lock held. */
static int append(struct ad_audit *a, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 1);
	int rc = buf ? 0 : -ENOMEM;

	if (rc == 0) {
		memcpy(buf, line, n);
		buf[n] = '\n';
		rc = cr_write_all(a->fd, buf, n + 1);
		if (rc == 0 && fdatasync(a->fd) < 0)
			rc = -errno;
		free(buf);
	}
	if (rc == 0) {
		line_hash(line, n, a->head);
		a->next_seq++;
	}
	return rc;
}

int ad_audit(struct ad_audit *a, const char *actor, const char *role, const char *action,
	     const char *call_hex, const char *outcome, const char *detail)
{
	char when[32], *line;
	json_t *j;
	int rc;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	ad_format_time(ad_clock_now(a->clock), when);
	j = json_pack("{sI ss ss ss ss so ss ss ss}", "seq", (json_int_t)a->next_seq, "time", when,
		      "actor", actor ? actor : "", "role", role ? role : "", "action", action,
		      "call", call_hex ? json_string(call_hex) : json_null(), "outcome", outcome,
		      "detail", detail ? detail : "", "prev", a->head);
	line = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	rc = line ? append(a, line) : -ENOMEM;
	if (rc < 0)
		cr_err("audit log %s: cannot append: %s", a->path, strerror(-rc));
	free(line);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int ad_audit_head(struct ad_audit *a, char path[4096], char head[65])
{
	if (!a)
		return -ENOENT;
	pthread_mutex_lock(&a->lock);
	snprintf(path, 4096, "%s", a->path);
	memcpy(head, a->head, 65);
	pthread_mutex_unlock(&a->lock);
	return 0;
}
