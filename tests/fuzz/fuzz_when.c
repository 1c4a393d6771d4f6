/* libFuzzer target: dates as operators type them (common/when.c), in a fixed zone and in the
 * local one. The first byte picks the zone's offset. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_tz tz = { 0, 0 };
	char text[128];
	int64_t ms;

	if (size == 0 || size >= sizeof(text))
		return 0;
	tz.local = data[0] == 0xff;
	tz.offset_min = ((int)data[0] - 128) * 11;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (cr_when_parse(text, &tz, 1796283960000LL, &ms, NULL) == 0) {
		char out[32];

		cr_when_format_utc(ms, out);
	}
	(void)cr_tz_parse(text, &tz);
	return 0;
}
