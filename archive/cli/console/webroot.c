/* Static files. See webroot.h. */
#include "webroot.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli_util.h"
#include "fsutil.h"

#ifndef CR_DATADIR
#define CR_DATADIR "/usr/local/share/callrec"
#endif
#ifndef CRA_CONSOLE_BUILD_WEBDIR
#define CRA_CONSOLE_BUILD_WEBDIR "archive/cli/console/web"
#endif

#define MAX_FILES 64
#define MAX_FILE_BYTES (1u << 20)

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
};

/* The Content-Type for a name made of [a-z0-9-] and one known extension, else NULL. */
static const char *type_of(const char *name)
{
	const char *dot = strchr(name, '.');

	if (!dot || dot == name || strlen(name) >= sizeof(((struct console_file *)0)->name))
		return NULL;
	for (const char *p = name; p < dot; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

const char *console_webroot_default(void)
{
	static const char installed[] = CR_DATADIR "/console";

	return access(installed, R_OK | X_OK) == 0 ? installed : CRA_CONSOLE_BUILD_WEBDIR;
}

int console_webroot_load(struct console_webroot *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	if (!d) {
		rc = -errno;
		cra_error("console pages in %s: %s", dir, strerror(errno));
		return rc;
	}
	w->f = calloc(MAX_FILES, sizeof(*w->f));
	if (!w->f)
		rc = -ENOMEM;
	while (rc == 0 && (e = readdir(d))) {
		const char *type = type_of(e->d_name);
		struct console_file *f;
		char path[PATH_MAX];

		if (!type)
			continue;
		if (w->n == MAX_FILES) {
			cra_error("%s: more than %d files", dir, MAX_FILES);
			rc = -E2BIG;
			break;
		}
		f = &w->f[w->n];
		snprintf(f->name, sizeof(f->name), "%s", e->d_name);
		f->type = type;
		if (cra_path_join(path, sizeof(path), dir, e->d_name) < 0)
			rc = -ENAMETOOLONG;
		else
			rc = cr_read_file(path, MAX_FILE_BYTES, &f->data, &f->len);
		if (rc < 0)
			cra_error("%s: %s", path, strerror(-rc));
		else
			w->n++;
	}
	closedir(d);
	if (rc == 0 && !console_webroot_get(w, "/")) {
		cra_error("%s has no index.html: not the console's pages (see --web)", dir);
		rc = -ENOENT;
	}
	if (rc < 0)
		console_webroot_free(w);
	return rc;
}

const struct console_file *console_webroot_get(const struct console_webroot *w, const char *path)
{
	if (!path || path[0] != '/')
		return NULL;
	path = strcmp(path, "/") == 0 ? "index.html" : path + 1;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->f[i].name, path) == 0)
			return &w->f[i];
	return NULL;
}

void console_webroot_free(struct console_webroot *w)
{
	for (size_t i = 0; w->f && i < w->n; i++)
		free(w->f[i].data);
	free(w->f);
	memset(w, 0, sizeof(*w));
}
