/* Small helpers shared by the callrec-archive verbs: error messages for a command-line tool
 * (no time stamps, program name first) and GnuTLS error translation. */
#ifndef CALLREC_ARCHIVE_CLI_UTIL_H
#define CALLREC_ARCHIVE_CLI_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#define CRA_PROGRAM "callrec-archive"

/* Exit codes: runtime failure 1, usage error 2 (as most Unix tools). */
#define CRA_EXIT_FAIL 1
#define CRA_EXIT_USAGE 2

/* "callrec-archive: message" on stderr. */
void cra_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a failed GnuTLS call ("WHAT: reason") and return the matching negative errno. */
int cra_gnutls_fail(const char *what, int gnutls_rc);

/* dir + "/" + name into out; -ENAMETOOLONG when it does not fit. */
int cra_path_join(char *out, size_t outlen, const char *dir, const char *name);

/* dir/name written the way every file of this tool is (common/outdir.h): the directory
 * checked (the user's own, writable by nobody else, not a link), the file created without
 * following links and renamed into place; an existing one is replaced only with flags
 * CR_OUT_REPLACE. Reported on stderr. 0 or -errno. */
int cra_write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
		   unsigned flags);

/* Does the path exist (any type)? */
int cra_exists(const char *path);

#endif
