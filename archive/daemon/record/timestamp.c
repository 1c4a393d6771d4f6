/* RFC 3161 timestamps of checkpoints through an external command. See mlog.h. */
#include "record/mlog.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "store/internal.h"

extern char **environ;

static const char sql_get[] = "SELECT json, tsr FROM checkpoints WHERE size = ?1";
static const char sql_set[] = "UPDATE checkpoints SET tsr = ?2 WHERE size = ?1";

static int run(const char *cmd, const char *in, const char *out)
{
	char *argv[] = { "sh", "-c", NULL, "sh", (char *)in, (char *)out, NULL };
	char script[4200];
	pid_t pid;
	int st, rc;

	snprintf(script, sizeof(script), "%s \"$1\" \"$2\"", cmd);
	argv[2] = script;
	rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	if (rc != 0)
		return -rc;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int ad_mlog_timestamp(const struct ad_mlog *m, struct ad_store *s, uint64_t size)
{
	const char *cmd = m->timestamp_command;
	char in[4200], out[4200], *json = NULL, *tsr = NULL;
	sqlite3_stmt *st;
	size_t len = 0;
	int r, rc = 0, have = 0;

	if (!cmd)
		return 0;
	st = ad_stmt(s, sql_get);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json = strdup((const char *)sqlite3_column_text(st, 0));
		have = sqlite3_column_type(st, 1) != SQLITE_NULL;
	}
	ad_stmt_done(st);
	if (!json)
		return -ENOENT;
	if (have) {
		free(json);
		return 0;
	}
	snprintf(in, sizeof(in), "%s/.checkpoint-%llu.json", s->dir, (unsigned long long)size);
	snprintf(out, sizeof(out), "%s/.checkpoint-%llu.tsr", s->dir, (unsigned long long)size);
	rc = cr_write_atomic(s->dir, strrchr(in, '/') + 1, json, strlen(json), 0600);
	if (rc == 0)
		rc = run(cmd, in, out);
	if (rc == 0)
		rc = cr_read_file(out, 1u << 20, &tsr, &len);
	if (rc == 0 && len == 0)
		rc = -EIO;
	if (rc == 0) {
		st = ad_stmt(s, sql_set);
		rc = st ? 0 : -EIO;
		if (st) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
			sqlite3_bind_blob(st, 2, tsr, (int)len, SQLITE_STATIC);
			r = sqlite3_step(st);
			ad_stmt_done(st);
			if (r != SQLITE_DONE)
				rc = ad_sqlite_err(s, "store timestamp");
		}
	}
	unlink(in);
	unlink(out);
	if (rc < 0)
		cr_err("log: timestamp of the checkpoint at %llu failed (%s): %s",
		       (unsigned long long)size, cmd, strerror(-rc));
	else
		cr_info("log: checkpoint at %llu timestamped (%zu bytes)",
			(unsigned long long)size, len);
	free(json);
	free(tsr);
	return rc;
}

int ad_mlog_tsr(struct ad_store *s, uint64_t size, uint8_t **tsr, size_t *len)
{
	sqlite3_stmt *st = ad_stmt(s, sql_get);
	int rc = -ENOENT;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_BLOB) {
		*len = (size_t)sqlite3_column_bytes(st, 1);
		*tsr = malloc(*len ? *len : 1);
		if (*tsr) {
			memcpy(*tsr, sqlite3_column_blob(st, 1), *len);
			rc = 0;
		} else {
			rc = -ENOMEM;
		}
	}
	ad_stmt_done(st);
	return rc;
}
