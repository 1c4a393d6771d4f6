/* A YAML document as a small tree with positions, built with libyaml from a buffer (no I/O),
 * with hard limits so that hostile input costs bounded memory and time. Configuration and
 * policy readers walk this tree and report problems with the node's line and column. */
#ifndef CALLREC_YAMLTREE_H
#define CALLREC_YAMLTREE_H

#include <stddef.h>
#include "diag.h"

#define CR_Y_MAX_DEPTH 16
#define CR_Y_MAX_NODES 4096
#define CR_Y_MAX_SCALAR 4096
#define CR_Y_MAX_INPUT (1024 * 1024)

enum cr_ytype { CR_Y_SCALAR = 1, CR_Y_SEQ, CR_Y_MAP };

struct cr_ynode {
	enum cr_ytype type;
	int line, col;         /* 1-based position of the node */
	char *value;           /* SCALAR: NUL-terminated text */
	size_t n;              /* SEQ: items; MAP: pairs */
	struct cr_ynode **items; /* SEQ: n items; MAP: 2n entries, key then value */
};

/* Parse one document. On a syntax error or exceeded limit, adds a diagnostic and returns
 * -EINVAL; *root is NULL. An empty document yields -EINVAL with "empty file". */
int cr_yaml_parse(const char *buf, size_t len, struct cr_ynode **root, struct cr_diags *d);
void cr_yaml_free(struct cr_ynode *root);

/* Map lookup (NULL if absent or if `map` is not a mapping). */
const struct cr_ynode *cr_ymap_get(const struct cr_ynode *map, const char *key);

/* Typed scalar readers: on a wrong type or bad value add a diagnostic and return -EINVAL. */
int cr_y_string(const struct cr_ynode *n, const char **out, struct cr_diags *d);
int cr_y_uint(const struct cr_ynode *n, unsigned long long min, unsigned long long max,
	      unsigned long long *out, struct cr_diags *d);
/* Sizes like 512M, 2G, 1048576 (binary units). */
int cr_y_size(const struct cr_ynode *n, unsigned long long *out, struct cr_diags *d);
int cr_y_bool(const struct cr_ynode *n, int *out, struct cr_diags *d);
/* Durations like 500ms, 1.5s, 3s, 90d, 5y (y = 365 d, m = 30 d) into milliseconds. */
int cr_y_duration_ms(const struct cr_ynode *n, unsigned long long *out, struct cr_diags *d);

/* Schema-driven reading of a mapping into a struct. Unknown keys and missing required keys
 * are reported. String values are copied (strdup) into char* fields; free them with
 * cr_cfg_free(). Paths that are relative are resolved against `base_dir` when given. */
enum cr_cfg_type { CR_CFG_STRING, CR_CFG_PATH, CR_CFG_UINT, CR_CFG_SIZE, CR_CFG_BOOL,
		   CR_CFG_DURATION_MS, CR_CFG_MAP };
struct cr_cfg_field {
	const char *key;
	enum cr_cfg_type type;
	size_t offset; /* of char* / unsigned long long / int within the output struct */
	int required;
	unsigned long long min, max;     /* CR_CFG_UINT */
	const struct cr_cfg_field *sub;  /* CR_CFG_MAP: fields of the nested mapping, same struct */
};
int cr_cfg_read(const struct cr_ynode *map, const struct cr_cfg_field *fields, void *out,
		const char *base_dir, struct cr_diags *d);
void cr_cfg_free(const struct cr_cfg_field *fields, void *out);

/* The one way a YAML file (configuration, policy, roles) is loaded: read it whole (at most
 * CR_Y_MAX_INPUT bytes) and parse it. 0 with *root set; a file that cannot be read is a
 * diagnostic without position ("cannot read: REASON") and its negative errno; a syntax error
 * or exceeded limit is -EINVAL with diagnostics at their line and column (print them with
 * cr_diags_print(), initialised with the file's name, for FILE:LINE:COL). When `text` is not
 * NULL it receives the file's bytes (malloc'd, NUL-terminated, *len of them) for callers that
 * also need the text itself, e.g. to hash it. */
int cr_yaml_load(const char *path, struct cr_ynode **root, char **text, size_t *len,
		 struct cr_diags *d);

/* cr_yaml_load() then cr_cfg_read() on the root mapping, relative paths resolved against the
 * file's directory. 0, -EINVAL with diagnostics, or a negative errno when unreadable. */
int cr_cfg_load(const char *path, const struct cr_cfg_field *fields, void *out,
		struct cr_diags *d);

#endif
