#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "outdir.h"

void cra_error(const char *fmt, ...)
{
	va_list ap;

	fputs(CRA_PROGRAM ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cra_gnutls_fail(const char *what, int gnutls_rc)
{
	cra_error("%s: %s", what, gnutls_strerror(gnutls_rc));
	switch (gnutls_rc) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_FILE_ERROR:
		return -EIO;
	default:
		return -EINVAL;
	}
}

int cra_path_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

int cra_write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
		   unsigned flags)
{
	struct cr_outdir d;
	char why[PATH_MAX + 200];
	int rc = cr_outdir_open(&d, dir, 0, why, sizeof(why));

	if (rc < 0) {
		cra_error("%s", why);
		return rc;
	}
	rc = cr_outdir_write(&d, name, data, len, mode, flags);
	cr_outdir_close(&d);
	if (rc == -EEXIST)
		cra_error("%s/%s exists; refusing to overwrite it", dir, name);
	else if (rc < 0)
		cra_error("%s/%s: %s", dir, name, strerror(-rc));
	return rc;
}

int cra_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
