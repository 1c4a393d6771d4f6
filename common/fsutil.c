/* Durable file operations (temp, fsync, rename, fsync directory), after the pattern of
 * OpenSMTPD's queue_fs.c: a crash leaves either the old file or the complete new one. For the
 * daemons' own directories; files written where a user said go through outdir.h. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cr_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cr_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	char *p;

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int cr_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int cr_write_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/%s", dir, name) >= (int)sizeof(final))
		return -ENAMETOOLONG;
	/* Never through a link at the temporary name; one left by a crash is removed first
	 * (unlink removes a link itself, not what it points to). */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	rc = cr_write_all(fd, data, len);
	if (rc < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, final) < 0) {
		rc = -errno;
		goto fail;
	}
	return cr_fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int cr_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		rc = -EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	*out = buf;
	if (len)
		*len = got;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}

int cr_unlink_durable(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (unlink(path) < 0)
		return -errno;
	return cr_fsync_dir(dir);
}

void cr_dirname(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(out, outlen, ".");
		return;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* "/file" -> "/" */
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}
