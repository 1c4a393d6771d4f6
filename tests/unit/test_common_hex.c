/* The one hex codec: lower case out, either case in, exact lengths, no reading past a short
 * string. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "frame.h"
#include "hex.h"

static void test_encode_lower_case(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(b) + 1];

	memset(out, 'x', sizeof(out));
	cr_hex_encode(b, sizeof(b), out);
	assert_string_equal(out, "0001abcdefff");
	cr_hex_encode(b, 0, out);
	assert_string_equal(out, "");
}

static void test_decode_either_case(void **state)
{
	(void)state;
	static const uint8_t want[] = { 0xab, 0xcd, 0xef, 0x09 };
	uint8_t got[4];

	assert_int_equal(cr_hex_decode_str("abcdef09", got, 4), 0);
	assert_memory_equal(got, want, 4);
	memset(got, 0, sizeof(got));
	assert_int_equal(cr_hex_decode_str("ABCDEF09", got, 4), 0);
	assert_memory_equal(got, want, 4);
	assert_int_equal(cr_hex_decode_str("AbCdEf09", got, 4), 0);
	assert_memory_equal(got, want, 4);
}

static void test_decode_refuses(void **state)
{
	(void)state;
	uint8_t got[4];

	assert_int_equal(cr_hex_decode_str("abcdef0", got, 4), -EINVAL);   /* short */
	assert_int_equal(cr_hex_decode_str("abcdef091", got, 4), -EINVAL); /* long */
	assert_int_equal(cr_hex_decode_str("abcdeg09", got, 4), -EINVAL);  /* not a digit */
	assert_int_equal(cr_hex_decode_str(" bcdef09", got, 4), -EINVAL);  /* sscanf would skip */
	assert_int_equal(cr_hex_decode_str("+bcdef09", got, 4), -EINVAL);
	assert_int_equal(cr_hex_decode_str(NULL, got, 4), -EINVAL);
	assert_int_equal(cr_hex_decode("abc", 3, got), -EINVAL); /* odd length */
}

static void test_decode_prefix_stops_at_nul(void **state)
{
	(void)state;
	/* A two-byte allocation: decoding 8 characters must stop at the NUL, not read on. */
	char *s = test_malloc(2);
	uint8_t got[4];

	s[0] = 'a';
	s[1] = '\0';
	assert_int_equal(cr_hex_decode(s, 8, got), -EINVAL);
	test_free(s);
	/* A prefix of a longer name: "ID.wav". */
	assert_int_equal(cr_hex_decode("00ff.wav", 4, got), 0);
	assert_int_equal(got[0], 0x00);
	assert_int_equal(got[1], 0xff);
}

static void test_call_id_round_trip(void **state)
{
	(void)state;
	uint8_t id[CR_CALL_ID_BYTES], back[CR_CALL_ID_BYTES];
	char hex[2 * CR_CALL_ID_BYTES + 1];

	for (unsigned i = 0; i < CR_CALL_ID_BYTES; i++)
		id[i] = (uint8_t)(i * 17 + 3);
	cr_id_to_hex(id, hex);
	assert_int_equal(cr_id_from_hex(hex, back), 0);
	assert_memory_equal(id, back, sizeof(id));
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	memset(back, 0, sizeof(back));
	assert_int_equal(cr_id_from_hex(hex, back), 0);
	assert_memory_equal(id, back, sizeof(id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_lower_case),
		cmocka_unit_test(test_decode_either_case),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_decode_prefix_stops_at_nul),
		cmocka_unit_test(test_call_id_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
