/* See outdir.h. */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

static int say(char *why, size_t whylen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int say(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return rc;
}

int cr_outdir_open(struct cr_outdir *d, const char *path, unsigned flags, char *why,
		   size_t whylen)
{
	struct stat st;
	int rc;

	d->fd = -1;
	why[0] = '\0';
	if (!path[0] || strlen(path) >= sizeof(d->path))
		return say(why, whylen, -EINVAL, "'%s': not a usable directory name", path);
	snprintf(d->path, sizeof(d->path), "%s", path);
	if ((flags & CR_OUTDIR_CREATE) && (rc = cr_mkdir_p(path, 0700)) < 0)
		return say(why, whylen, rc, "%s: cannot create it: %s", path, strerror(-rc));
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		rc = -errno;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return say(why, whylen, -ELOOP, "%s is a symbolic link: name the directory "
				   "itself, so that nobody can redirect what is written", path);
		if (rc == -ENOTDIR)
			return say(why, whylen, rc, "%s is not a directory", path);
		return say(why, whylen, rc, "%s: %s", path, strerror(-rc));
	}
	if (fstat(d->fd, &st) < 0) {
		rc = -errno;
		cr_outdir_close(d);
		return say(why, whylen, rc, "%s: %s", path, strerror(-rc));
	}
	if (st.st_uid != geteuid()) {
		cr_outdir_close(d);
		return say(why, whylen, -EPERM, "%s belongs to another user (uid %lu): write into "
			   "a directory of your own", path, (unsigned long)st.st_uid);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		cr_outdir_close(d);
		return say(why, whylen, -EACCES, "%s is writable by group or others (mode %04lo): "
			   "they could plant files or links in it; use a directory only you can "
			   "write (chmod go-w)", path, (unsigned long)(st.st_mode & 07777));
	}
	return 0;
}

void cr_outdir_close(struct cr_outdir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int cr_outdir_is_empty(const struct cr_outdir *d)
{
	int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), empty = 1;
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	while (empty && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(dir);
	return empty;
}

int cr_outdir_sync(const struct cr_outdir *d)
{
	return fsync(d->fd) < 0 ? -errno : 0;
}

static int plain_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       strlen(name) <= NAME_MAX - 8;
}

/* Unpredictable enough that nobody can plant a link at the name in advance; O_EXCL makes a
 * collision (or a planted name) a retry, never an open of what is there. */
static uint32_t temp_suffix(void)
{
	static uint32_t counter;
	uint32_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r & 0xffffffu;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 8 ^ ++counter * 2654435761u) &
	       0xffffffu;
}

int cr_outfile_open(const struct cr_outdir *d, struct cr_outfile *f, const char *name,
		    mode_t mode)
{
	int tries;

	f->fd = -1;
	f->tmp[0] = '\0';
	if (!plain_name(name))
		return -EINVAL;
	snprintf(f->name, sizeof(f->name), "%s", name);
	for (tries = 0; tries < 100; tries++) {
		snprintf(f->tmp, sizeof(f->tmp), ".%s.%06x", name, temp_suffix());
		f->fd = openat(d->fd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			       mode);
		if (f->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	f->tmp[0] = '\0';
	return errno == EEXIST ? -EEXIST : -errno;
}

/* rename without replacing: renameat2 where the file system has it, else a hard link (which
 * fails on an existing name too) and the temporary name removed. */
static int rename_noreplace(int dfd, const char *from, const char *to)
{
	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (linkat(dfd, from, dfd, to, 0) < 0)
		return -errno;
	unlinkat(dfd, from, 0);
	return 0;
}

int cr_outfile_publish(const struct cr_outdir *d, struct cr_outfile *f, unsigned flags)
{
	int rc = 0;

	if (f->fd < 0)
		return -EBADF;
	if (fsync(f->fd) < 0)
		rc = -errno;
	if (close(f->fd) < 0 && rc == 0)
		rc = -errno;
	f->fd = -1;
	if (rc == 0) {
		if (flags & CR_OUT_REPLACE)
			rc = renameat(d->fd, f->tmp, d->fd, f->name) < 0 ? -errno : 0;
		else
			rc = rename_noreplace(d->fd, f->tmp, f->name);
	}
	if (rc == 0)
		f->tmp[0] = '\0';
	else
		cr_outfile_discard(d, f);
	return rc;
}

void cr_outfile_discard(const struct cr_outdir *d, struct cr_outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp[0])
		unlinkat(d->fd, f->tmp, 0);
	f->tmp[0] = '\0';
}

int cr_outdir_write(const struct cr_outdir *d, const char *name, const void *data, size_t len,
		    mode_t mode, unsigned flags)
{
	struct cr_outfile f;
	int rc = cr_outfile_open(d, &f, name, mode);

	if (rc < 0)
		return rc;
	rc = cr_write_all(f.fd, data, len);
	if (rc < 0) {
		cr_outfile_discard(d, &f);
		return rc;
	}
	rc = cr_outfile_publish(d, &f, flags);
	return rc < 0 ? rc : cr_outdir_sync(d);
}

int cr_outdir_open_read(const struct cr_outdir *d, const char *name)
{
	int fd;

	if (!plain_name(name))
		return -EINVAL;
	fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cr_write_file_safely(const char *path, const void *data, size_t len, mode_t mode,
			 unsigned flags, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	struct cr_outdir d;
	int rc;

	if (!plain_name(name))
		return say(why, whylen, -EINVAL, "%s: not the name of a file", path);
	cr_dirname(path, dir, sizeof(dir));
	rc = cr_outdir_open(&d, dir, 0, why, whylen);
	if (rc < 0)
		return rc;
	rc = cr_outdir_write(&d, name, data, len, mode, flags);
	cr_outdir_close(&d);
	if (rc == -EEXIST)
		say(why, whylen, rc, "%s exists: give --force to replace it", path);
	else if (rc < 0)
		say(why, whylen, rc, "%s: %s", path, strerror(-rc));
	return rc;
}
