/* The console's pages, style sheet and scripts: plain files read into memory when the console
 * starts, served by name only (no paths, so nothing outside the directory can be asked for). */
#ifndef CALLREC_CONSOLE_WEBROOT_H
#define CALLREC_CONSOLE_WEBROOT_H

#include <stddef.h>

struct console_file {
	char name[64];
	const char *type; /* Content-Type */
	char *data;
	size_t len;
};

struct console_webroot {
	struct console_file *f;
	size_t n;
};

/* Where the pages are when --web is not given: the installed copy (DATADIR/console) when it
 * exists, else the source tree this program was built from (so a build runs uninstalled). */
const char *console_webroot_default(void);
/* Read every file of dir named like index.html, console.css or call.js. 0, or -errno
 * (reported). */
int console_webroot_load(struct console_webroot *w, const char *dir);
/* The file for a request path ("/" is index.html), or NULL. */
const struct console_file *console_webroot_get(const struct console_webroot *w, const char *path);
void console_webroot_free(struct console_webroot *w);

#endif
