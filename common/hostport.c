#include "hostport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int split(const char *s, char *host, size_t hostlen, unsigned *port, unsigned long min)
{
	const char *colon, *hend, *hstart = s;
	unsigned long p;
	char *end;

	if (s[0] == '[') {
		hstart = s + 1;
		hend = strchr(hstart, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* an IPv6 address needs brackets */
		hend = colon;
	}
	if (hend == hstart || (size_t)(hend - hstart) >= hostlen)
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || colon[1] == '-' || colon[1] == '+' || p < min ||
	    p > 65535)
		return -EINVAL;
	memcpy(host, hstart, (size_t)(hend - hstart));
	host[hend - hstart] = '\0';
	*port = (unsigned)p;
	return 0;
}

int cr_split_hostport(const char *s, char *host, size_t hostlen, unsigned *port)
{
	return split(s, host, hostlen, port, 1);
}

int cr_split_listen(const char *s, char *host, size_t hostlen, unsigned *port)
{
	return split(s, host, hostlen, port, 0);
}
