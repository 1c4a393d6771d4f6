/* Files the command-line tools write into a directory someone named on the command line
 * (export --out, audit --out, the PKI directory). Such a directory may be shared with people
 * who should not be able to make the tool overwrite another file: a link planted at a
 * predictable temporary or final name would otherwise be followed with the operator's rights.
 *
 * So the directory is opened once, checked (a directory, not a symbolic link, owned by the
 * user running the tool, writable by nobody else), and held by its descriptor; every file is
 * created in it with openat(O_CREAT | O_EXCL | O_NOFOLLOW) under a random temporary name,
 * written, fsynced, and renamed into place with renameat2 (RENAME_NOREPLACE unless replacing
 * was asked for), then the directory is fsynced. Nothing of the directory's path is looked
 * up again after the check. */
#ifndef CALLREC_OUTDIR_H
#define CALLREC_OUTDIR_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct cr_outdir {
	int fd;              /* -1 when closed */
	char path[PATH_MAX]; /* as given, for messages */
};

/* cr_outdir_open flags */
#define CR_OUTDIR_CREATE 1u /* make it (and missing parents, mode 0700) when it does not exist */

/* Opens and checks the directory. 0, or a negative errno with a sentence saying what is wrong
 * and what to do in why (always NUL-terminated): -ENOTDIR, -ELOOP (a symbolic link), -EPERM
 * (another user's), -EACCES (writable by group or others), or what open/mkdir said. */
int cr_outdir_open(struct cr_outdir *d, const char *path, unsigned flags, char *why,
		   size_t whylen);
void cr_outdir_close(struct cr_outdir *d);
/* 1 when the directory holds nothing, 0 when it holds something, or a negative errno. */
int cr_outdir_is_empty(const struct cr_outdir *d);
/* fsync the directory (after renames). 0 or -errno. */
int cr_outdir_sync(const struct cr_outdir *d);

/* One file being written into a directory: it appears under its name complete, or not at
 * all. `name` is a plain file name (no '/', not "." or ".."). */
struct cr_outfile {
	int fd; /* -1 when not open */
	char tmp[NAME_MAX + 1];
	char name[NAME_MAX + 1];
};

/* cr_outfile_publish / cr_outdir_write flags */
#define CR_OUT_REPLACE 1u /* an existing file of that name is replaced (else -EEXIST) */

/* Creates the temporary file for `name` (mode for the new file). 0 or -errno (-EINVAL for a
 * name that is not a plain file name). */
int cr_outfile_open(const struct cr_outdir *d, struct cr_outfile *f, const char *name,
		    mode_t mode);
/* fsync, close and rename into place (the directory is not synced: cr_outdir_sync once after
 * several). 0, -EEXIST when the name exists and CR_OUT_REPLACE was not given (the temporary
 * file is then removed), or -errno. */
int cr_outfile_publish(const struct cr_outdir *d, struct cr_outfile *f, unsigned flags);
/* Closes and removes the temporary file, if any. Idempotent. */
void cr_outfile_discard(const struct cr_outdir *d, struct cr_outfile *f);

/* The whole of one small file: open, write, publish, sync the directory. 0 or -errno. */
int cr_outdir_write(const struct cr_outdir *d, const char *name, const void *data, size_t len,
		    mode_t mode, unsigned flags);

/* Opens an existing file of the directory for reading, never through a link. fd or -errno. */
int cr_outdir_open_read(const struct cr_outdir *d, const char *name);

/* For a writer of a single file given as a path (audit --out FILE): the same checks of its
 * directory, then cr_outdir_write. 0, or -errno with the reason in why. */
int cr_write_file_safely(const char *path, const void *data, size_t len, mode_t mode,
			 unsigned flags, char *why, size_t whylen);

#endif
