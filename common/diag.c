#include "diag.h"

#include <stdarg.h>
#include <string.h>

void cr_diags_init(struct cr_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

void cr_diag_add(struct cr_diags *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	d->total++;
	if (d->n >= CR_DIAG_MAX)
		return;
	d->items[d->n].line = line;
	d->items[d->n].col = col;
	va_start(ap, fmt);
	vsnprintf(d->items[d->n].msg, sizeof(d->items[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
}

void cr_diags_print(const struct cr_diags *d, FILE *out)
{
	unsigned i;
	const char *file = d->file ? d->file : "<input>";

	for (i = 0; i < d->n; i++) {
		if (d->items[i].line > 0)
			fprintf(out, "%s:%d:%d: %s\n", file, d->items[i].line, d->items[i].col,
				d->items[i].msg);
		else
			fprintf(out, "%s: %s\n", file, d->items[i].msg);
	}
	if (d->total > d->n)
		fprintf(out, "%s: %u more problems not shown\n", file, d->total - d->n);
}
