/* Durable file operations. Every write that matters goes: temporary file in the same
 * directory, write, fsync, rename over the final name, fsync the directory. */
#ifndef CALLREC_FSUTIL_H
#define CALLREC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with `mode` for created components. Returns 0 or -errno. */
int cr_mkdir_p(const char *path, mode_t mode);
/* Write `len` bytes to dir/name atomically and durably (mode for a new file), through the
 * temporary name dir/.name.tmp, which is never followed if it is a link. For directories the
 * program owns (spool, archive data); a directory a user names goes through outdir.h.
 * 0 or -errno. */
int cr_write_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode);
/* fsync a directory by path. 0 or -errno. */
int cr_fsync_dir(const char *dir);
/* Read a whole file of at most `max` bytes into a malloc'd, NUL-terminated buffer.
 * 0, -EFBIG when larger than max, or -errno. */
int cr_read_file(const char *path, size_t max, char **out, size_t *len);
/* Write all bytes to fd, retrying on EINTR and short writes. 0 or -errno. */
int cr_write_all(int fd, const void *data, size_t len);
/* Remove dir/name and fsync dir. 0 or -errno (-ENOENT included). */
int cr_unlink_durable(const char *dir, const char *name);
/* Directory part of a path into out (".", when it has none). */
void cr_dirname(const char *path, char *out, size_t outlen);

#endif
