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
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "record/manifest.h"
#include "rights/retention.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int fd = -1;
static char path_[4096];
static char head[65];
static long long next_seq;

static void line_hash(const char *line, size_t len, char out[65])
{
	uint8_t d[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, line, len, d);
	ad_hex(d, sizeof(d), out);
}

/* Walk the existing lines: the head and the next sequence number. */
static int scan(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	long long lineno = 0;
	int broken = 0;

	memset(head, '0', 64);
	head[64] = '\0';
	next_seq = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *j = json_loadb(p, n, 0, NULL);
		const char *prev = j ? json_string_value(json_object_get(j, "prev")) : NULL;

		lineno++;
		if (!broken && (!prev || strcmp(prev, head) != 0)) {
			cr_err("ALARM audit log %s: line %lld does not chain to the line before it",
			       path_, lineno);
			broken = 1;
		}
		if (j && json_is_integer(json_object_get(j, "seq")))
			next_seq = json_integer_value(json_object_get(j, "seq")) + 1;
		json_decref(j);
		line_hash(p, n, head);
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

int ad_audit_open(const char *dir)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&lock);
	snprintf(path_, sizeof(path_), "%s/audit.log", dir);
	rc = cr_read_file(path_, (size_t)1 << 30, &text, &len);
	if (rc == -ENOENT) {
		rc = 0;
		len = 0;
	}
	if (rc == 0)
		rc = scan(text ? text : "", len);
	free(text);
	if (rc == 0) {
		fd = open(path_, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			rc = -errno;
		else
			rc = cr_fsync_dir(dir);
	}
	if (rc < 0)
		cr_err("audit log %s: %s", path_, strerror(-rc));
	pthread_mutex_unlock(&lock);
	return rc;
}

void ad_audit_close(void)
{
	pthread_mutex_lock(&lock);
	if (fd >= 0)
		close(fd);
	fd = -1;
	pthread_mutex_unlock(&lock);
}

int ad_audit(const char *actor, const char *role, const char *action, const char *call_hex,
	     const char *outcome, const char *detail)
{
	char when[32], *line;
	json_t *j;
	int rc;

	pthread_mutex_lock(&lock);
	if (fd < 0) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	ad_format_time((int64_t)time(NULL), when);
	j = json_pack("{sI ss ss ss ss so ss ss ss}", "seq", (json_int_t)next_seq, "time", when,
		      "actor", actor ? actor : "", "role", role ? role : "", "action", action,
		      "call", call_hex ? json_string(call_hex) : json_null(), "outcome", outcome,
		      "detail", detail ? detail : "", "prev", head);
	line = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!line) {
		pthread_mutex_unlock(&lock);
		return -ENOMEM;
	}
	{
		size_t n = strlen(line);
		char *buf = malloc(n + 1);

		rc = buf ? 0 : -ENOMEM;
		if (rc == 0) {
			memcpy(buf, line, n);
			buf[n] = '\n';
			rc = cr_write_all(fd, buf, n + 1);
			if (rc == 0 && fdatasync(fd) < 0)
				rc = -errno;
			free(buf);
		}
		if (rc == 0) {
			line_hash(line, n, head);
			next_seq++;
		}
	}
	if (rc < 0)
		cr_err("audit log %s: cannot append: %s", path_, strerror(-rc));
	free(line);
	pthread_mutex_unlock(&lock);
	return rc;
}

int ad_audit_head(char path[4096], char h[65])
{
	int rc = 0;

	pthread_mutex_lock(&lock);
	if (fd < 0)
		rc = -ENOENT;
	else {
		snprintf(path, 4096, "%s", path_);
		memcpy(h, head, 65);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}
