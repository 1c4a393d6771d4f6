#include "pki_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_util.h"
#include "fsutil.h"
#include "outdir.h"
#include "yamltree.h"

/* Words YAML 1.1 readers turn into booleans or null; quoted so any reader sees a string. */
static int yaml_reserved(const char *s)
{
	static const char *const words[] = { "null", "true", "false", "yes", "no", "on", "off",
					     "y", "n", "~" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static int yaml_plain_ok(const char *s)
{
	const char *p;
	int numeric = 1;

	if (!*s || yaml_reserved(s))
		return 0;
	if (!isalnum((unsigned char)s[0]) && s[0] != '/' && s[0] != '.' && s[0] != '_')
		return 0;
	for (p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("/._-:+@", *p))
			return 0;
		if (!isdigit((unsigned char)*p) && *p != '.')
			numeric = 0;
	}
	/* "1.5" would read back as a number in a typed reader; ':' at the end would start a map. */
	return !numeric && s[strlen(s) - 1] != ':';
}

void cra_yaml_scalar(FILE *f, const char *s)
{
	const unsigned char *p;

	if (yaml_plain_ok(s)) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* "  key: value\n" with the value as a YAML scalar. */
static void kv(FILE *f, const char *indent, const char *key, const char *value)
{
	fprintf(f, "%s%s: ", indent, key);
	cra_yaml_scalar(f, value);
	fputc('\n', f);
}

/* Close the memory stream and write its text to dir/name. */
static int finish(FILE *f, char **text, size_t *len, const char *dir, const char *name,
		  mode_t mode)
{
	int rc;

	if (fclose(f) != 0) {
		free(*text);
		return -ENOMEM;
	}
	rc = cra_write_file(dir, name, *text, *len, mode, CR_OUT_REPLACE);
	free(*text);
	return rc;
}

int cra_write_archived_yaml(const char *dir, const char *listen)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -errno;
	fputs("# callrec-archived configuration, written by `callrec-archive pki init`.\n", f);
	kv(f, "", "listen", listen);
	snprintf(path, sizeof(path), "%s/archive-data", dir);
	kv(f, "", "data", path);
	fputs("tls:\n", f);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	kv(f, "  ", "ca", path);
	snprintf(path, sizeof(path), "%s/archive.pem", dir);
	kv(f, "  ", "cert", path);
	snprintf(path, sizeof(path), "%s/archive.key", dir);
	kv(f, "  ", "key", path);
	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	kv(f, "  ", "crl", path);
	snprintf(path, sizeof(path), "%s/signing.key", dir);
	kv(f, "", "signing_key", path);
	snprintf(path, sizeof(path), "%s/archive-master.key", dir);
	kv(f, "", "master_key", path);
	snprintf(path, sizeof(path), "%s/roles.yaml", dir);
	kv(f, "", "roles", path);
	return finish(f, &text, &len, dir, "archived.yaml", 0644);
}

/* How a client reaches the archive, as agent.yaml (under `archive:`) and the operator's
 * archive.yaml (at the top, the address named `server`) both say it. */
static int write_client_yaml(const char *outdir, const char *file, const char *comment,
			     const char *section, const char *address_key,
			     const struct cra_client_cfg *c)
{
	const char *indent = section ? "  " : "";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -errno;
	fprintf(f, "# %s\n", comment);
	if (section)
		fprintf(f, "%s:\n", section);
	kv(f, indent, address_key, c->address);
	kv(f, indent, "server_name", c->server_name);
	kv(f, indent, "ca", c->ca);
	kv(f, indent, "cert", c->cert);
	kv(f, indent, "key", c->key);
	return finish(f, &text, &len, outdir, file, 0644);
}

int cra_write_agent_yaml(const char *outdir, const struct cra_client_cfg *c)
{
	return write_client_yaml(outdir, "agent.yaml",
				 "callrec-agent configuration, written by `callrec-archive pki device`.",
				 "archive", "address", c);
}

int cra_write_operator_yaml(const char *outdir, const struct cra_client_cfg *c)
{
	return write_client_yaml(outdir, "archive.yaml",
				 "callrec-archive --config, written by `callrec-archive pki operator`.",
				 NULL, "server", c);
}

struct role_pair {
	const char *name, *role;
};

static int roles_write(const char *dir, const struct role_pair *pairs, size_t n)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -errno;
	fputs("# operator certificate name (CN) -> archive role\n", f);
	if (n == 0)
		fputs("operators: {}\n", f);
	else
		fputs("operators:\n", f);
	for (i = 0; i < n; i++)
		kv(f, "  ", pairs[i].name, pairs[i].role);
	return finish(f, &text, &len, dir, "roles.yaml", 0644);
}

int cra_roles_init(const char *dir)
{
	return roles_write(dir, NULL, 0);
}

/* Parse a YAML file of the PKI directory into the tree *root; problems are printed. */
static int yaml_load(const char *path, struct cr_ynode **root)
{
	struct cr_diags d;
	int rc;

	cr_diags_init(&d, path);
	rc = cr_yaml_load(path, root, NULL, NULL, &d);
	if (rc < 0)
		cr_diags_print(&d, stderr);
	return rc;
}

int cra_roles_set(const char *dir, const char *name, const char *role)
{
	char path[PATH_MAX];
	struct cr_ynode *root = NULL;
	const struct cr_ynode *ops;
	struct role_pair *pairs = NULL;
	size_t n = 0, i;
	int rc, replaced = 0;

	rc = cra_path_join(path, sizeof(path), dir, "roles.yaml");
	if (rc < 0)
		return rc;
	rc = yaml_load(path, &root);
	if (rc < 0)
		return rc;
	ops = root->type == CR_Y_MAP ? cr_ymap_get(root, "operators") : NULL;
	if (!ops || ops->type != CR_Y_MAP) {
		cra_error("%s: expected a mapping `operators: {NAME: ROLE, ...}`", path);
		rc = -EINVAL;
		goto out;
	}
	pairs = calloc(ops->n + 1, sizeof(*pairs));
	if (!pairs) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ops->n; i++) {
		const struct cr_ynode *k = ops->items[2 * i], *v = ops->items[2 * i + 1];

		if (k->type != CR_Y_SCALAR || v->type != CR_Y_SCALAR) {
			cra_error("%s:%d:%d: expected NAME: ROLE", path, k->line, k->col);
			rc = -EINVAL;
			goto out;
		}
		pairs[n].name = k->value;
		pairs[n].role = v->value;
		if (strcmp(k->value, name) == 0) {
			pairs[n].role = role;
			replaced = 1;
		}
		n++;
	}
	if (!replaced) {
		pairs[n].name = name;
		pairs[n].role = role;
		n++;
	}
	rc = roles_write(dir, pairs, n);
out:
	free(pairs);
	cr_yaml_free(root);
	return rc;
}

int cra_read_listen(const char *dir, char *out, size_t outlen)
{
	char path[PATH_MAX];
	struct cr_ynode *root = NULL;
	const struct cr_ynode *listen;
	int rc;

	rc = cra_path_join(path, sizeof(path), dir, "archived.yaml");
	if (rc < 0)
		return rc;
	rc = yaml_load(path, &root);
	if (rc < 0)
		return rc;
	listen = root->type == CR_Y_MAP ? cr_ymap_get(root, "listen") : NULL;
	if (!listen || listen->type != CR_Y_SCALAR) {
		cra_error("%s: no `listen: HOST:PORT`", path);
		rc = -EINVAL;
	} else if (strlen(listen->value) >= outlen) {
		rc = -ENAMETOOLONG;
	} else {
		strcpy(out, listen->value);
	}
	cr_yaml_free(root);
	return rc;
}
