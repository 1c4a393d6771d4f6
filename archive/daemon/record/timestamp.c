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

extern char **environ;

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
	struct ad_index *ix = ad_store_index(s);
	const char *cmd = m->timestamp_command, *dir = ad_store_dir(s);
	char in[4200], out[4200], *json = NULL, *tsr = NULL;
	uint8_t sig[AD_SIG_BYTES], *have = NULL;
	size_t len = 0;
	int rc;

	if (!cmd)
		return 0;
	rc = ix->ops->checkpoint_get(ix, size, &json, sig, &have, &len);
	if (rc < 0 || have) {
		free(json);
		free(have);
		return rc;
	}
	/* Scratch files in the daemon's own directory, for the command. */
	snprintf(in, sizeof(in), "%s/.checkpoint-%llu.json", dir, (unsigned long long)size);
	snprintf(out, sizeof(out), "%s/.checkpoint-%llu.tsr", dir, (unsigned long long)size);
	rc = cr_write_atomic(dir, strrchr(in, '/') + 1, json, strlen(json), 0600);
	if (rc == 0)
		rc = run(cmd, in, out);
	if (rc == 0)
		rc = cr_read_file(out, 1u << 20, &tsr, &len);
	if (rc == 0 && len == 0)
		rc = -EIO;
	if (rc == 0)
		rc = ix->ops->checkpoint_set_tsr(ix, size, (const uint8_t *)tsr, len);
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
	struct ad_index *ix = ad_store_index(s);
	uint8_t sig[AD_SIG_BYTES];
	char *json = NULL;
	int rc = ix->ops->checkpoint_get(ix, size, &json, sig, tsr, len);

	free(json);
	if (rc == 0 && !*tsr)
		rc = -ENOENT;
	return rc;
}
