/* Call objects of the directory backend: DATA/calls/HEX/NAME. See dir.h. */
#include "objects/dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

struct ad_object {
	int fd;
	char dir[4096];
	char tmp[4200], final[4200];
};

static int call_dir(const struct dir_objects *d, const uint8_t id[CR_CALL_ID_BYTES], char *out,
		    size_t len)
{
	char hex[2 * CR_CALL_ID_BYTES + 1];
	int n;

	/* Names come from the archive's own hex of the id, never from client text. */
	cr_id_to_hex(id, hex);
	n = snprintf(out, len, "%s/%s", d->calls, hex);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A handle for object `name` of the call (its paths set, no file open yet). */
static int object_new(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES],
		      const char *name, struct ad_object **out)
{
	struct ad_object *o;
	int rc;

	if (!name[0] || name[0] == '.' || strchr(name, '/') || strlen(name) >= 64)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = -1;
	rc = call_dir((struct dir_objects *)ob, id, o->dir, sizeof(o->dir));
	if (rc < 0) {
		free(o);
		return rc;
	}
	snprintf(o->final, sizeof(o->final), "%s/%s", o->dir, name);
	*out = o;
	return 0;
}

int ad_dir_create(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		  struct ad_object **out)
{
	struct ad_object *o;
	int rc = object_new(ob, id, name, &o);

	if (rc < 0)
		return rc;
	rc = cr_mkdir_p(o->dir, 0700);
	if (rc == 0) {
		snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.tmp", o->dir, name);
		o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (o->fd < 0)
			rc = -errno;
	}
	if (rc < 0) {
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

int ad_dir_write(struct ad_object *o, const void *data, size_t len)
{
	return cr_write_all(o->fd, data, len);
}

void ad_dir_abort(struct ad_object *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp[0])
		unlink(o->tmp);
	free(o);
}

int ad_dir_commit(struct ad_object *o)
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
	ad_dir_abort(o);
	return rc;
}

int ad_dir_open(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES], const char *name,
		struct ad_object **out)
{
	struct ad_object *o;
	int rc = object_new(ob, id, name, &o);

	if (rc < 0)
		return rc;
	o->fd = open(o->final, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0) {
		rc = -errno;
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

ssize_t ad_dir_read(struct ad_object *o, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(o->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int ad_dir_remove_call(struct ad_objects *ob, const uint8_t id[CR_CALL_ID_BYTES])
{
	struct dir_objects *d = (struct dir_objects *)ob;
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
