/* Directory backend of the object storage. See blobs.h. */
#include "objects/objects.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

struct dir_blobs {
	struct ad_blobs base; /* first */
	char *calls;          /* DATA/calls */
};

struct ad_blob {
	int fd;
	char dir[4096];
	char tmp[4200], final[4200];
};

static int call_dir(struct dir_blobs *d, const uint8_t id[CR_CALL_ID_BYTES], char *out,
		    size_t len)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int n;

	/* Names come from the archive's own hex of the id, never from client text. */
	cr_id_to_hex(id, hex);
	n = snprintf(out, len, "%s/%s", d->calls, hex);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int valid_name(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 64;
}

static int d_create(struct ad_blobs *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		    struct ad_blob **out)
{
	struct ad_blob *o;
	int rc;

	if (!valid_name(name))
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = -1;
	rc = call_dir((struct dir_blobs *)b, id, o->dir, sizeof(o->dir));
	if (rc == 0)
		rc = cr_mkdir_p(o->dir, 0700);
	if (rc < 0) {
		free(o);
		return rc;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.tmp", o->dir, name);
	snprintf(o->final, sizeof(o->final), "%s/%s", o->dir, name);
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o->fd < 0) {
		rc = -errno;
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int d_write(struct ad_blob *o, const void *data, size_t len)
{
	return cr_write_all(o->fd, data, len);
}

static void d_abort(struct ad_blob *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp[0])
		unlink(o->tmp);
	free(o);
}

static int d_commit(struct ad_blob *o)
{
	int rc = 0;

	if (fsync(o->fd) < 0)
		rc = -errno;
	if (close(o->fd) < 0 && rc == 0)
		rc = -errno;
	o->fd = -1;
	if (rc == 0 && rename(o->tmp, o->final) < 0)
		rc = -errno;
	if (rc == 0) {
		o->tmp[0] = '\0';
		rc = cr_fsync_dir(o->dir);
	}
	d_abort(o);
	return rc;
}

static int d_open(struct ad_blobs *b, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		  struct ad_blob **out)
{
	struct ad_blob *o;
	int rc;

	if (!valid_name(name))
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	rc = call_dir((struct dir_blobs *)b, id, o->dir, sizeof(o->dir));
	snprintf(o->final, sizeof(o->final), "%s/%s", o->dir, name);
	o->fd = rc == 0 ? open(o->final, O_RDONLY | O_CLOEXEC) : -1;
	if (o->fd < 0) {
		rc = rc < 0 ? rc : -errno;
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

static ssize_t d_read(struct ad_blob *o, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(o->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int d_remove_call(struct ad_blobs *b, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct dir_blobs *d = (struct dir_blobs *)b;
	struct dirent *e;
	char dir[4096];
	DIR *dd;
	int r, rc = call_dir(d, id, dir, sizeof(dir));

	if (rc < 0)
		return rc;
	dd = opendir(dir);
	if (!dd)
		return errno == ENOENT ? 0 : -errno;
	/* Every object of the call, temporary ones included. */
	while ((e = readdir(dd))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		r = unlinkat(dirfd(dd), e->d_name, 0);
		if (r < 0 && errno != ENOENT && rc == 0)
			rc = -errno;
	}
	closedir(dd);
	if (rc == 0 && rmdir(dir) < 0 && errno != ENOENT)
		rc = -errno;
	if (rc == 0)
		rc = cr_fsync_dir(d->calls);
	return rc;
}

static void d_free(struct ad_blobs *b)
{
	struct dir_blobs *d = (struct dir_blobs *)b;

	if (d) {
		free(d->calls);
		free(d);
	}
}

static const struct ad_blobs_ops dir_ops = {
	.create = d_create,
	.write = d_write,
	.commit = d_commit,
	.abort = d_abort,
	.open = d_open,
	.read = d_read,
	.close = d_abort,
	.remove_call = d_remove_call,
	.free = d_free,
};

int ad_blobs_dir_new(const char *data_dir, struct ad_blobs **out)
{
	struct dir_blobs *d = calloc(1, sizeof(*d));
	size_t n = strlen(data_dir) + sizeof("/calls");

	if (!d)
		return -ENOMEM;
	d->calls = malloc(n);
	if (!d->calls) {
		free(d);
		return -ENOMEM;
	}
	snprintf(d->calls, n, "%s/calls", data_dir);
	d->base.ops = &dir_ops;
	*out = &d->base;
	return 0;
}
