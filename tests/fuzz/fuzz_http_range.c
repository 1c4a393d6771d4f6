/* libFuzzer target: the console's HTTP Range parser (archive/cli/console/range.c) for
 * resources of several sizes; a range it accepts must lie inside the resource. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../archive/cli/console/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 0, 1, 44, 1000000, UINT64_MAX };
	char text[256];
	uint64_t first, last;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (console_range_parse(text, sizes[i], &first, &last) == 1 &&
		    (first > last || last >= sizes[i]))
			abort();
	return 0;
}
