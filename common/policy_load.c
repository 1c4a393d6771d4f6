/* Loading a policy file: the I/O around the I/O-free parser. Reads the file, parses it, and
 * checks what only the file system can tell: that each announcement exists and is speech-length
 * audio. Used by the agent (start and SIGHUP) and by `callrec policy check`. */
#include "policy_load.h"
#include "yamltree.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>

int cr_policy_announcement_path(const char *announcement, const char *announce_dir, char *out,
				size_t outlen)
{
	int n;

	if (announcement[0] == '/')
		n = snprintf(out, outlen, "%s", announcement);
	else
		n = snprintf(out, outlen, "%s/%s", announce_dir ? announce_dir : CR_ANNOUNCE_DIR,
			     announcement);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static int check_announcement(const struct cr_purpose *p, const char *announce_dir,
			      struct cr_diags *d)
{
	char path[PATH_MAX];
	SF_INFO info = { 0 };
	SNDFILE *sf;
	double seconds;

	if (cr_policy_announcement_path(p->announcement, announce_dir, path, sizeof(path)) < 0) {
		cr_diag_add(d, p->announcement_line, p->announcement_col, "announcement path too long");
		return -EINVAL;
	}
	sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		FILE *f = fopen(path, "rb");
		if (!f) {
			cr_diag_add(d, p->announcement_line, p->announcement_col,
				    "announcement %s: %s", path, strerror(errno));
		} else {
			fclose(f);
			cr_diag_add(d, p->announcement_line, p->announcement_col,
				    "announcement %s is not an audio file libsndfile can read", path);
		}
		return -EINVAL;
	}
	sf_close(sf);
	seconds = info.samplerate > 0 ? (double)info.frames / info.samplerate : 0;
	if (info.channels < 1 || info.channels > 2 || seconds < 1.0 || seconds > 120.0) {
		cr_diag_add(d, p->announcement_line, p->announcement_col,
			    "announcement %s must be speech: 1 to 120 seconds, mono or stereo "
			    "(it is %.1f s, %d channels)", path, seconds, info.channels);
		return -EINVAL;
	}
	return 0;
}

int cr_policy_load(const char *path, const char *announce_dir, struct cr_policy **out,
		   struct cr_diags *d)
{
	struct cr_policy *p = NULL;
	struct cr_ynode *root = NULL;
	char *text = NULL;
	size_t len = 0, i;
	int rc;

	*out = NULL;
	rc = cr_yaml_load(path, &root, &text, &len, d);
	if (rc == 0)
		rc = cr_policy_from_yaml(root, text, len, &p, d);
	cr_yaml_free(root);
	free(text);
	if (rc < 0)
		return rc;
	for (i = 0; i < p->npurposes; i++)
		if (p->purposes[i].mode == CR_DISCLOSE_ANNOUNCE &&
		    check_announcement(&p->purposes[i], announce_dir, d) < 0)
			rc = -EINVAL;
	if (rc < 0) {
		cr_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
