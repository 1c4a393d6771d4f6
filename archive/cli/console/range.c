/* HTTP Range. See range.h. */
#include "range.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* Decimal digits at *p into *v (advanced). 0, or -1 when there are none or they overflow. */
static int number(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	*p = s;
	return 0;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int console_range_parse(const char *header, uint64_t size, uint64_t *first, uint64_t *last)
{
	const char *p;
	uint64_t a = 0, b = 0;
	int have_a, have_b;

	if (!header)
		return 0;
	p = skip_ws(header);
	if (strncasecmp(p, "bytes", 5) != 0)
		return 0;
	p = skip_ws(p + 5);
	if (*p++ != '=')
		return 0;
	p = skip_ws(p);
	have_a = number(&p, &a) == 0;
	if (*p++ != '-')
		return 0;
	have_b = number(&p, &b) == 0;
	p = skip_ws(p);
	/* Several ranges: allowed to answer with the whole resource, which a player handles. */
	if (*p || (!have_a && !have_b) || (have_a && have_b && b < a))
		return 0;
	if (!have_a) {
		/* The last b bytes. */
		if (b == 0 || size == 0)
			return -ERANGE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (a >= size)
		return -ERANGE;
	*first = a;
	*last = have_b && b < size - 1 ? b : size - 1;
	return 1;
}
