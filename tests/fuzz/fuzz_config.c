/* libFuzzer target: YAML tree building and schema-driven reading with every value type. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "yamltree.h"

struct cfg {
	char *s, *p;
	unsigned long long u, size, dur;
	int b;
};

static const struct cr_cfg_field sub[] = {
	{ "path", CR_CFG_PATH, offsetof(struct cfg, p), 1, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};
static const struct cr_cfg_field fields[] = {
	{ "s", CR_CFG_STRING, offsetof(struct cfg, s), 0, 0, 0, NULL },
	{ "m", CR_CFG_MAP, 0, 0, 0, 0, sub },
	{ "u", CR_CFG_UINT, offsetof(struct cfg, u), 0, 1, 1000, NULL },
	{ "size", CR_CFG_SIZE, offsetof(struct cfg, size), 0, 0, 0, NULL },
	{ "d", CR_CFG_DURATION_MS, offsetof(struct cfg, dur), 0, 0, 0, NULL },
	{ "b", CR_CFG_BOOL, offsetof(struct cfg, b), 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_diags d;
	struct cr_ynode *root = NULL;
	struct cfg c;

	memset(&c, 0, sizeof(c));
	cr_diags_init(&d, "fuzz.yaml");
	if (cr_yaml_parse((const char *)data, size, &root, &d) == 0) {
		(void)cr_cfg_read(root, fields, &c, "/base", &d);
		cr_cfg_free(fields, &c);
	}
	cr_yaml_free(root);
	return 0;
}
