/* Command-line usage errors: see usage.h. */
#include "usage.h"

#include <stdarg.h>
#include <stdio.h>

int cr_usage_error(const char *program, const char *help, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", help);
	return CR_EXIT_USAGE;
}
