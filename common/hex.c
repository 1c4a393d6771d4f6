/* Hex codec: see hex.h. */
#include "hex.h"

#include <errno.h>
#include <string.h>

void cr_hex_encode(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cr_hex_decode(const char *hex, size_t len, void *out)
{
	uint8_t *b = out;
	size_t i;

	if (!hex || len % 2)
		return -EINVAL;
	for (i = 0; i < len / 2; i++) {
		int hi = digit(hex[2 * i]), lo;

		if (hi < 0)
			return -EINVAL; /* before reading past a NUL */
		lo = digit(hex[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int cr_hex_decode_str(const char *hex, void *out, size_t n)
{
	if (!hex || strlen(hex) != 2 * n)
		return -EINVAL;
	return cr_hex_decode(hex, 2 * n, out);
}
