/* s3probe: drives the archive's S3 client (archive/s3/) from the command line, one call per
 * run, for integration tests against a real S3 service. Prints results on stdout; a failed
 * call prints "s3probe: ERRNAME: details" on stderr and exits 2 (1 for usage errors).
 *
 *   s3probe OPTIONS COMMAND ARGS
 *   options: --endpoint URL --region NAME --bucket NAME --access-key-file F --secret-key-file F
 *   commands:
 *     mkbucket [--lock]                     create the bucket (with Object Lock)
 *     bucket-lock                           "enabled" or "disabled"
 *     put KEY FILE [--mode compliance|governance --until EPOCH] [--hold] [--stream]
 *                                           prints the new version id (FILE "-": stdin)
 *     get KEY [--version V] [--range OFF:LEN]   body to stdout
 *     head KEY [--version V]                key=value lines
 *     delete KEY [--version V] [--bypass]
 *     retention KEY --version V --mode M --until EPOCH [--bypass]
 *     get-retention KEY --version V         "MODE EPOCH" ("NONE 0" without one)
 *     hold KEY --version V on|off
 *     get-hold KEY --version V              "ON" or "OFF"
 *     list [PREFIX] [--page N]              "KEY VERSION latest|old version|marker SIZE" lines */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../archive/s3/s3.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: s3probe --endpoint URL --region NAME --bucket NAME --access-key-file F\n"
		"               --secret-key-file F COMMAND [ARGS] (see the source's header)\n");
	exit(1);
}

static int fail(struct s3_client *c, int rc)
{
	const char *name = strerrorname_np(-rc);

	fprintf(stderr, "s3probe: %s: %s\n", name ? name : "?", s3_last_error(c)->text);
	return 2;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

static enum s3_lock_mode mode_arg(const char *s)
{
	if (strcmp(s, "compliance") == 0)
		return S3_LOCK_COMPLIANCE;
	if (strcmp(s, "governance") == 0)
		return S3_LOCK_GOVERNANCE;
	if (strcmp(s, "none") == 0)
		return S3_LOCK_NONE;
	usage();
	return S3_LOCK_NONE;
}

static int write_stdout(void *arg, const void *data, size_t len)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) == len ? 0 : -EIO;
}

/* Streams a buffer in small pieces, as a file-backed upload would. */
struct stream {
	const char *data;
	size_t len, pos;
};

static long stream_read(void *arg, void *buf, size_t len)
{
	struct stream *s = arg;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (n > 1000)
		n = 1000;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (long)n;
}

static int print_version(void *arg, const struct s3_version *v)
{
	(void)arg;
	printf("%s %s %s %s %" PRIu64 "\n", v->key, v->version_id, v->is_latest ? "latest" : "old",
	       v->delete_marker ? "marker" : "version", v->size);
	return 0;
}

int main(int argc, char **argv)
{
	struct s3_config cfg = { 0 };
	const char *akf = NULL, *skf = NULL, *cmd, *key = NULL, *version = NULL, *file = NULL;
	const char *prefix = NULL, *onoff = NULL;
	char access[256], secret[256], vid[S3_VERSION_ID_MAX];
	struct s3_client *c;
	enum s3_lock_mode mode = S3_LOCK_NONE;
	long long until = 0;
	unsigned long long off = 0, len = 0;
	unsigned page = 0;
	bool lock = false, hold = false, bypass = false, stream = false;
	int i, rc;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--help") == 0 || i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--endpoint") == 0)
			cfg.endpoint = argv[i + 1];
		else if (strcmp(argv[i], "--region") == 0)
			cfg.region = argv[i + 1];
		else if (strcmp(argv[i], "--bucket") == 0)
			cfg.bucket = argv[i + 1];
		else if (strcmp(argv[i], "--access-key-file") == 0)
			akf = argv[i + 1];
		else if (strcmp(argv[i], "--secret-key-file") == 0)
			skf = argv[i + 1];
		else
			usage();
	}
	if (i >= argc || !akf || !skf)
		usage();
	cmd = argv[i++];
	/* Positional arguments and command options, in any order. */
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--lock") == 0) {
			lock = true;
		} else if (strcmp(a, "--hold") == 0) {
			hold = true;
		} else if (strcmp(a, "--bypass") == 0) {
			bypass = true;
		} else if (strcmp(a, "--stream") == 0) {
			stream = true;
		} else if (strncmp(a, "--", 2) == 0) {
			if (i + 1 >= argc)
				usage();
			const char *v = argv[++i];

			if (strcmp(a, "--version") == 0)
				version = v;
			else if (strcmp(a, "--mode") == 0)
				mode = mode_arg(v);
			else if (strcmp(a, "--until") == 0)
				until = strtoll(v, NULL, 10);
			else if (strcmp(a, "--range") == 0) {
				if (sscanf(v, "%llu:%llu", &off, &len) != 2)
					usage();
			} else if (strcmp(a, "--page") == 0)
				page = (unsigned)strtoul(v, NULL, 10);
			else
				usage();
		} else if (strcmp(cmd, "list") == 0 && !prefix) {
			prefix = a;
		} else if (!key) {
			key = a;
		} else if (!file && strcmp(cmd, "put") == 0) {
			file = a;
		} else if (!onoff && strcmp(cmd, "hold") == 0) {
			onoff = a;
		} else {
			usage();
		}
	}
	rc = s3_read_key_file(akf, access, sizeof(access));
	if (rc == 0)
		rc = s3_read_key_file(skf, secret, sizeof(secret));
	if (rc < 0) {
		fprintf(stderr, "s3probe: reading the keys: %s\n", strerror(-rc));
		return 1;
	}
	cfg.access_key = access;
	cfg.secret_key = secret;
	rc = s3_client_new(&cfg, &c);
	if (rc < 0) {
		fprintf(stderr, "s3probe: %s\n", strerror(-rc));
		return 1;
	}
	if (strcmp(cmd, "mkbucket") == 0) {
		rc = s3_create_bucket(c, lock);
	} else if (strcmp(cmd, "bucket-lock") == 0) {
		bool on;

		rc = s3_bucket_object_lock(c, &on);
		if (rc == 0)
			printf("%s\n", on ? "enabled" : "disabled");
	} else if (strcmp(cmd, "put") == 0 && key && file) {
		struct s3_put put = { .lock = { mode, (time_t)until }, .legal_hold = hold };
		size_t n;
		char *data = read_all(file, &n);
		struct stream st = { data, n, 0 };

		if (!data) {
			perror(file);
			return 1;
		}
		if (stream) {
			put.read = stream_read;
			put.read_arg = &st;
			put.size = n;
		} else {
			put.data = data;
			put.len = n;
		}
		rc = s3_put_object(c, key, &put, vid);
		if (rc == 0)
			printf("%s\n", vid);
		free(data);
	} else if (strcmp(cmd, "get") == 0 && key) {
		rc = s3_get_object(c, key, version, off, len, write_stdout, NULL, NULL);
	} else if (strcmp(cmd, "head") == 0 && key) {
		struct s3_object_info info;

		rc = s3_head_object(c, key, version, &info);
		if (rc == 0)
			printf("size=%" PRIu64 "\nversion=%s\nmode=%s\nretain_until=%lld\nlegal_hold=%s\n"
			       "etag=%s\nlast_modified=%lld\n",
			       info.size, info.version_id, s3_lock_mode_name(info.lock.mode),
			       (long long)info.lock.retain_until, info.legal_hold ? "ON" : "OFF",
			       info.etag, (long long)info.last_modified);
	} else if (strcmp(cmd, "delete") == 0 && key) {
		rc = s3_delete_object(c, key, version, bypass);
	} else if (strcmp(cmd, "retention") == 0 && key && version) {
		struct s3_lock l = { mode, (time_t)until };

		rc = s3_put_retention(c, key, version, &l, bypass);
	} else if (strcmp(cmd, "get-retention") == 0 && key) {
		struct s3_lock l;

		rc = s3_get_retention(c, key, version, &l);
		if (rc == 0)
			printf("%s %lld\n", s3_lock_mode_name(l.mode), (long long)l.retain_until);
	} else if (strcmp(cmd, "hold") == 0 && key && onoff &&
		   (strcmp(onoff, "on") == 0 || strcmp(onoff, "off") == 0)) {
		rc = s3_put_legal_hold(c, key, version, strcmp(onoff, "on") == 0);
	} else if (strcmp(cmd, "get-hold") == 0 && key) {
		bool on;

		rc = s3_get_legal_hold(c, key, version, &on);
		if (rc == 0)
			printf("%s\n", on ? "ON" : "OFF");
	} else if (strcmp(cmd, "list") == 0) {
		rc = s3_list_versions(c, prefix, page, print_version, NULL);
	} else {
		usage();
	}
	if (rc < 0)
		rc = fail(c, rc);
	s3_client_free(c);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}
