/* YAML to a positioned tree with hard limits (libyaml event parser), and typed, schema-driven
 * readers that report every problem as FILE:LINE:COL. No I/O except cr_cfg_load(). */
#include "yamltree.h"
#include "fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct builder {
	yaml_parser_t parser;
	struct cr_diags *d;
	unsigned nodes;
};

static struct cr_ynode *node_new(struct builder *b, enum cr_ytype type, const yaml_mark_t *m)
{
	struct cr_ynode *n;

	if (++b->nodes > CR_Y_MAX_NODES) {
		cr_diag_add(b->d, (int)m->line + 1, (int)m->column + 1,
			    "document too large (more than %d nodes)", CR_Y_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		cr_diag_add(b->d, 0, 0, "out of memory");
		return NULL;
	}
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static int node_push(struct cr_ynode *parent, struct cr_ynode *child, size_t *cap)
{
	if (parent->n >= *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct cr_ynode **items = realloc(parent->items, ncap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		parent->items = items;
		*cap = ncap;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		cr_diag_add(b->d, (int)b->parser.problem_mark.line + 1,
			    (int)b->parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
			    b->parser.problem ? b->parser.problem : "unknown problem",
			    b->parser.context ? " " : "",
			    b->parser.context ? b->parser.context : "");
		return -EINVAL;
	}
	return 0;
}

static struct cr_ynode *build(struct builder *b, yaml_event_t *ev, int depth);

static int build_children_raw(struct builder *b, struct cr_ynode *n, yaml_event_type_t end,
			      int depth);

/* Fill a SEQ or MAP node with children until the matching end event. While building, a MAP's
 * n counts keys and values; it ends as the number of pairs, also on failure, so that
 * cr_yaml_free() sees a consistent node. */
static int build_children(struct builder *b, struct cr_ynode *n, yaml_event_type_t end, int depth)
{
	int rc = build_children_raw(b, n, end, depth);

	if (n->type == CR_Y_MAP) {
		if (n->n % 2) {
			cr_yaml_free(n->items[n->n - 1]);
			n->n--;
		}
		n->n /= 2;
	}
	return rc;
}

static int build_children_raw(struct builder *b, struct cr_ynode *n, yaml_event_type_t end,
			      int depth)
{
	size_t cap = 0, count = 0;
	yaml_event_t ev;

	for (;;) {
		struct cr_ynode *child;

		if (next_event(b, &ev) < 0)
			return -EINVAL;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		child = build(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child)
			return -EINVAL;
		if (n->type == CR_Y_MAP && count % 2 == 0) {
			size_t i;

			if (child->type != CR_Y_SCALAR) {
				cr_diag_add(b->d, child->line, child->col, "mapping keys must be plain text");
				cr_yaml_free(child);
				return -EINVAL;
			}
			for (i = 0; i + 1 < n->n; i += 2) {
				if (strcmp(n->items[i]->value, child->value) == 0) {
					cr_diag_add(b->d, child->line, child->col,
						    "duplicate key '%s' (first at line %d)", child->value,
						    n->items[i]->line);
					cr_yaml_free(child);
					return -EINVAL;
				}
			}
		}
		if (node_push(n, child, &cap) < 0) {
			cr_yaml_free(child);
			cr_diag_add(b->d, 0, 0, "out of memory");
			return -ENOMEM;
		}
		count++;
	}
	return 0;
}

static struct cr_ynode *build(struct builder *b, yaml_event_t *ev, int depth)
{
	struct cr_ynode *n = NULL;

	if (depth > CR_Y_MAX_DEPTH) {
		cr_diag_add(b->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			    "nesting deeper than %d levels", CR_Y_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.length > CR_Y_MAX_SCALAR) {
			cr_diag_add(b->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
				    "value longer than %d bytes", CR_Y_MAX_SCALAR);
			return NULL;
		}
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			cr_diag_add(b->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
				    "value contains a NUL character");
			return NULL;
		}
		n = node_new(b, CR_Y_SCALAR, &ev->start_mark);
		if (!n)
			return NULL;
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->value) {
			free(n);
			return NULL;
		}
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int is_map = ev->type == YAML_MAPPING_START_EVENT;

		n = node_new(b, is_map ? CR_Y_MAP : CR_Y_SEQ, &ev->start_mark);
		if (!n)
			return NULL;
		if (build_children(b, n, is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
				   depth) < 0) {
			cr_yaml_free(n);
			return NULL;
		}
		return n;
	}
	case YAML_ALIAS_EVENT:
		cr_diag_add(b->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			    "aliases (*name) are not supported");
		return NULL;
	default:
		cr_diag_add(b->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			    "unexpected YAML element");
		return NULL;
	}
}

int cr_yaml_parse(const char *buf, size_t len, struct cr_ynode **root, struct cr_diags *d)
{
	struct builder b = { .d = d };
	yaml_event_t ev;
	struct cr_ynode *doc = NULL;
	int rc = -EINVAL;

	*root = NULL;
	if (len > CR_Y_MAX_INPUT) {
		cr_diag_add(d, 0, 0, "file larger than %d bytes", CR_Y_MAX_INPUT);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&b.parser)) {
		cr_diag_add(d, 0, 0, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
	/* STREAM-START, then DOCUMENT-START or STREAM-END for an empty file. */
	if (next_event(&b, &ev) < 0)
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&b, &ev) < 0)
		goto out;
	if (ev.type != YAML_DOCUMENT_START_EVENT) {
		yaml_event_delete(&ev);
		cr_diag_add(d, 1, 1, "empty file");
		goto out;
	}
	yaml_event_delete(&ev);
	if (next_event(&b, &ev) < 0)
		goto out;
	doc = build(&b, &ev, 1);
	yaml_event_delete(&ev);
	if (!doc)
		goto out;
	if (next_event(&b, &ev) < 0) /* DOCUMENT-END */
		goto out;
	yaml_event_delete(&ev);
	if (next_event(&b, &ev) < 0)
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT) {
		cr_diag_add(d, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
			    "only one YAML document is allowed");
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);
	*root = doc;
	doc = NULL;
	rc = 0;
out:
	cr_yaml_free(doc);
	yaml_parser_delete(&b.parser);
	return rc;
}

void cr_yaml_free(struct cr_ynode *n)
{
	size_t i, count;

	if (!n)
		return;
	count = n->type == CR_Y_MAP ? 2 * n->n : n->type == CR_Y_SEQ ? n->n : 0;
	for (i = 0; i < count; i++)
		cr_yaml_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

const struct cr_ynode *cr_ymap_get(const struct cr_ynode *map, const char *key)
{
	size_t i;

	if (!map || map->type != CR_Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->items[2 * i]->value, key) == 0)
			return map->items[2 * i + 1];
	return NULL;
}

static const char *type_name(enum cr_ytype t)
{
	return t == CR_Y_MAP ? "a mapping" : t == CR_Y_SEQ ? "a list" : "a single value";
}

int cr_y_string(const struct cr_ynode *n, const char **out, struct cr_diags *d)
{
	if (n->type != CR_Y_SCALAR) {
		cr_diag_add(d, n->line, n->col, "expected a single value, found %s", type_name(n->type));
		return -EINVAL;
	}
	*out = n->value;
	return 0;
}

int cr_y_uint(const struct cr_ynode *n, unsigned long long min, unsigned long long max,
	      unsigned long long *out, struct cr_diags *d)
{
	const char *s;
	char *end;
	unsigned long long v;

	if (cr_y_string(n, &s, d) < 0)
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || s[0] == '+') {
		cr_diag_add(d, n->line, n->col, "expected a whole number, found '%s'", s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		cr_diag_add(d, n->line, n->col, "%llu is out of range (%llu to %llu)", v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A decimal number followed by a unit from `units`; value * multiplier into *out. */
struct unit { const char *name; double mult; };

static int number_with_unit(const struct cr_ynode *n, const struct unit *units, int unit_required,
			    const char *what, unsigned long long *out, struct cr_diags *d)
{
	const char *s;
	char *end;
	double v;
	const struct unit *u;

	if (cr_y_string(n, &s, d) < 0)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* Values beyond 2^64 (1.8e19) do not fit the result: refuse rather than wrap. */
	if (end == s || errno || v < 0 || s[0] == '-' || s[0] == '+' || !(v == v) || v > 1.8e19)
		goto bad;
	if (*end == '\0') {
		if (unit_required)
			goto bad;
		*out = (unsigned long long)v;
		return 0;
	}
	for (u = units; u->name; u++) {
		if (strcasecmp(end, u->name) == 0) {
			double r = v * u->mult;
			if (r > 1.8e19)
				goto bad;
			*out = (unsigned long long)(r + 0.5);
			return 0;
		}
	}
bad:
	cr_diag_add(d, n->line, n->col, "expected %s, found '%s'", what, s);
	return -EINVAL;
}

int cr_y_size(const struct cr_ynode *n, unsigned long long *out, struct cr_diags *d)
{
	static const struct unit units[] = {
		{ "B", 1 }, { "K", 1024.0 }, { "KiB", 1024.0 }, { "M", 1048576.0 },
		{ "MiB", 1048576.0 }, { "G", 1073741824.0 }, { "GiB", 1073741824.0 },
		{ "T", 1099511627776.0 }, { "TiB", 1099511627776.0 }, { NULL, 0 } };

	return number_with_unit(n, units, 0, "a size such as 512M or 2G", out, d);
}

int cr_y_duration_ms(const struct cr_ynode *n, unsigned long long *out, struct cr_diags *d)
{
	static const struct unit units[] = {
		{ "ms", 1 }, { "s", 1000.0 }, { "min", 60000.0 }, { "h", 3600000.0 },
		{ "d", 86400000.0 }, { "w", 604800000.0 }, { "m", 2592000000.0 },
		{ "y", 31536000000.0 }, { NULL, 0 } };

	/* strcasecmp would make "M" months and "MS" milliseconds: durations are lower case. */
	const char *s = n->type == CR_Y_SCALAR ? n->value : "";
	for (; *s; s++) {
		if (*s >= 'A' && *s <= 'Z') {
			cr_diag_add(d, n->line, n->col,
				    "expected a duration such as 500ms, 15s, 90d or 5y, found '%s'",
				    n->value);
			return -EINVAL;
		}
	}
	return number_with_unit(n, units, 1, "a duration such as 500ms, 15s, 90d or 5y", out, d);
}

int cr_y_bool(const struct cr_ynode *n, int *out, struct cr_diags *d)
{
	static const char *yes[] = { "yes", "true", "on", NULL };
	static const char *no[] = { "no", "false", "off", NULL };
	const char *s;
	int i;

	if (cr_y_string(n, &s, d) < 0)
		return -EINVAL;
	for (i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	cr_diag_add(d, n->line, n->col, "expected yes or no, found '%s'", s);
	return -EINVAL;
}

static int set_string(const struct cr_cfg_field *f, const struct cr_ynode *v, void *out,
		      const char *base_dir, struct cr_diags *d)
{
	char **slot = (char **)((char *)out + f->offset);
	const char *s;
	char *copy;

	if (cr_y_string(v, &s, d) < 0)
		return -EINVAL;
	if (f->type == CR_CFG_PATH && !*s) {
		cr_diag_add(d, v->line, v->col, "'%s' must not be empty", f->key);
		return -EINVAL;
	}
	if (f->type == CR_CFG_PATH && s[0] != '/' && base_dir) {
		if (asprintf(&copy, "%s/%s", base_dir, s) < 0)
			copy = NULL;
	} else {
		copy = strdup(s);
	}
	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int cr_cfg_read(const struct cr_ynode *map, const struct cr_cfg_field *fields, void *out,
		const char *base_dir, struct cr_diags *d)
{
	const struct cr_cfg_field *f;
	int rc = 0;
	size_t i;

	if (map->type != CR_Y_MAP) {
		cr_diag_add(d, map->line, map->col, "expected a mapping (key: value lines), found %s",
			    type_name(map->type));
		return -EINVAL;
	}
	for (i = 0; i < map->n; i++) {
		const struct cr_ynode *k = map->items[2 * i];
		for (f = fields; f->key; f++)
			if (strcmp(f->key, k->value) == 0)
				break;
		if (!f->key) {
			cr_diag_add(d, k->line, k->col, "unknown key '%s'", k->value);
			rc = -EINVAL;
		}
	}
	for (f = fields; f->key; f++) {
		const struct cr_ynode *v = cr_ymap_get(map, f->key);
		void *slot = (char *)out + f->offset;
		int r = 0;

		if (!v) {
			if (f->required) {
				cr_diag_add(d, map->line, map->col, "missing required key '%s'", f->key);
				rc = -EINVAL;
			}
			continue;
		}
		switch (f->type) {
		case CR_CFG_STRING:
		case CR_CFG_PATH:
			r = set_string(f, v, out, base_dir, d);
			break;
		case CR_CFG_UINT:
			r = cr_y_uint(v, f->min, f->max ? f->max : ULLONG_MAX, slot, d);
			break;
		case CR_CFG_SIZE:
			r = cr_y_size(v, slot, d);
			break;
		case CR_CFG_BOOL:
			r = cr_y_bool(v, slot, d);
			break;
		case CR_CFG_DURATION_MS:
			r = cr_y_duration_ms(v, slot, d);
			break;
		case CR_CFG_MAP:
			r = cr_cfg_read(v, f->sub, out, base_dir, d);
			break;
		}
		if (r < 0)
			rc = r;
	}
	return rc;
}

void cr_cfg_free(const struct cr_cfg_field *fields, void *out)
{
	const struct cr_cfg_field *f;

	for (f = fields; f->key; f++) {
		if (f->type == CR_CFG_STRING || f->type == CR_CFG_PATH) {
			char **slot = (char **)((char *)out + f->offset);
			free(*slot);
			*slot = NULL;
		} else if (f->type == CR_CFG_MAP) {
			cr_cfg_free(f->sub, out);
		}
	}
}

int cr_yaml_load(const char *path, struct cr_ynode **root, char **text, size_t *len,
		 struct cr_diags *d)
{
	char *buf = NULL;
	size_t n = 0;
	int rc;

	*root = NULL;
	if (text)
		*text = NULL;
	rc = cr_read_file(path, CR_Y_MAX_INPUT, &buf, &n);
	if (rc < 0) {
		cr_diag_add(d, 0, 0, "cannot read: %s", rc == -EFBIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = cr_yaml_parse(buf, n, root, d);
	if (rc == 0 && text) {
		*text = buf;
		*len = n;
		return 0;
	}
	free(buf);
	return rc;
}

int cr_cfg_load(const char *path, const struct cr_cfg_field *fields, void *out,
		struct cr_diags *d)
{
	char dir[PATH_MAX];
	struct cr_ynode *root = NULL;
	int rc;

	rc = cr_yaml_load(path, &root, NULL, NULL, d);
	if (rc == 0) {
		cr_dirname(path, dir, sizeof(dir));
		rc = cr_cfg_read(root, fields, out, dir, d);
	}
	if (rc < 0)
		cr_cfg_free(fields, out);
	cr_yaml_free(root);
	return rc;
}
