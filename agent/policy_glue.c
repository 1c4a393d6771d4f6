/* The agent's policy: see policy_glue.h. */
#include "policy_glue.h"

#include <errno.h>
#include <limits.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disclosure.h"
#include "log.h"
#include "policy_load.h"

#define ANNOUNCE_MAX_FRAMES (192000u * 120u) /* policy_load allows at most 120 s */

int cr_announce_read(const char *path, struct cr_announce *a)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	float *buf = NULL;
	sf_count_t got;
	int err = 0;

	memset(a, 0, sizeof(*a));
	if (!sf)
		return -ENOENT;
	if (info.channels < 1 || info.channels > 2 || info.samplerate < 8000 ||
	    info.samplerate > 192000 || info.frames <= 0 ||
	    (uint64_t)info.frames > ANNOUNCE_MAX_FRAMES) {
		err = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)info.frames * (size_t)info.channels * sizeof(float));
	a->s = malloc((size_t)info.frames * sizeof(float));
	if (!buf || !a->s) {
		err = -ENOMEM;
		goto out;
	}
	got = sf_readf_float(sf, buf, info.frames);
	if (got <= 0) {
		err = -EIO;
		goto out;
	}
	for (sf_count_t i = 0; i < got; i++)
		a->s[i] = info.channels == 2 ? 0.5f * (buf[2 * i] + buf[2 * i + 1]) : buf[i];
	a->n = (size_t)got;
	a->rate = (unsigned)info.samplerate;
	snprintf(a->path, sizeof(a->path), "%s", path);
out:
	free(buf);
	sf_close(sf);
	if (err) {
		free(a->s);
		a->s = NULL;
	}
	return err;
}

int cr_announce_at(struct cr_announce *a, unsigned rate, const int16_t **pcm, size_t *n)
{
	size_t slot = CR_ANNOUNCE_RATES - 1;
	int err;

	for (size_t i = 0; i < CR_ANNOUNCE_RATES; i++) {
		if (a->at[i].rate == rate && a->at[i].pcm) {
			*pcm = a->at[i].pcm;
			*n = a->at[i].n;
			return 0;
		}
		if (!a->at[i].pcm && slot == CR_ANNOUNCE_RATES - 1)
			slot = i;
	}
	free(a->at[slot].pcm); /* all taken: the last slot is recomputed */
	a->at[slot].pcm = NULL;
	err = cr_announce_resample(a->s, a->n, a->rate, rate, &a->at[slot].pcm, &a->at[slot].n);
	if (err)
		return err;
	a->at[slot].rate = rate;
	*pcm = a->at[slot].pcm;
	*n = a->at[slot].n;
	return 0;
}

void cr_announce_free(struct cr_announce *a)
{
	for (size_t i = 0; i < CR_ANNOUNCE_RATES; i++)
		free(a->at[i].pcm);
	free(a->s);
	memset(a, 0, sizeof(*a));
}

static void pol_free(struct cr_pol *pol)
{
	if (pol->p && pol->ann)
		for (size_t i = 0; i < pol->p->npurposes; i++)
			cr_announce_free(&pol->ann[i]);
	free(pol->ann);
	cr_policy_free(pol->p);
	free(pol);
}

struct cr_pol *cr_pol_ref(struct cr_pol *pol)
{
	if (pol)
		pol->refs++;
	return pol;
}

void cr_pol_unref(struct cr_pol *pol)
{
	if (pol && --pol->refs == 0)
		pol_free(pol);
}

struct cr_pol *cr_pol_builtin(void)
{
	struct cr_pol *pol = calloc(1, sizeof(*pol));

	if (pol)
		pol->refs = 1;
	return pol;
}

int cr_pol_load(const char *path, const char *announce_dir, struct cr_pol **out,
		struct cr_diags *d)
{
	struct cr_pol *pol;
	int err;

	*out = NULL;
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		return -ENOMEM;
	pol->refs = 1;
	err = cr_policy_load(path, announce_dir, &pol->p, d);
	if (err)
		goto fail;
	for (size_t i = 0; i < sizeof(pol->p->hash); i++)
		snprintf(pol->sha256 + 2 * i, 3, "%02x", pol->p->hash[i]);
	pol->ann = calloc(pol->p->npurposes ? pol->p->npurposes : 1, sizeof(*pol->ann));
	if (!pol->ann) {
		err = -ENOMEM;
		goto fail;
	}
	/* Decoded now, once: a call must not wait for the disk to tell the other party. */
	for (size_t i = 0; i < pol->p->npurposes; i++) {
		const struct cr_purpose *pu = &pol->p->purposes[i];
		char file[PATH_MAX];

		if (pu->mode != CR_DISCLOSE_ANNOUNCE || !pu->announcement)
			continue;
		err = cr_policy_announcement_path(pu->announcement, announce_dir, file,
						  sizeof(file));
		if (!err)
			err = cr_announce_read(file, &pol->ann[i]);
		if (err) {
			cr_diag_add(d, pu->announcement_line, pu->announcement_col,
				    "announcement %s cannot be decoded: %s", file, strerror(-err));
			err = -EINVAL;
			goto fail;
		}
		/* Softphones' usual rates, ready before any call needs them. */
		static const unsigned common[] = { 48000, 16000, 8000, 44100 };
		for (size_t r = 0; r < sizeof(common) / sizeof(common[0]); r++) {
			const int16_t *pcm;
			size_t n;
			if (cr_announce_at(&pol->ann[i], common[r], &pcm, &n))
				break; /* then at call time */
		}
	}
	*out = pol;
	return 0;
fail:
	if (pol->p == NULL)
		free(pol);
	else
		pol_free(pol);
	return err;
}

int cr_pol_decide(const struct cr_pol *pol, const struct cr_peer *peer, const char *line,
		  int *rule, int *purpose)
{
	const char *groups[CR_PEER_MAX_GROUPS];
	struct cr_subject s = { .application = peer->application, .user = peer->user,
				.groups = groups, .ngroups = peer->ngroups,
				.line = line ? line : "" };
	const struct cr_purpose *pu;

	*rule = -1;
	*purpose = -1;
	if (!pol)
		return 0; /* no policy loaded (cannot happen once started): touch nothing */
	if (!pol->p)
		return 1; /* built-in rule: every stream is tapped, calls decide */
	for (unsigned i = 0; i < peer->ngroups && i < CR_PEER_MAX_GROUPS; i++)
		groups[i] = peer->groups[i];
	pu = cr_policy_match(pol->p, &s, rule);
	if (!pu)
		return 0;
	*purpose = (int)(pu - pol->p->purposes);
	return 1;
}

const struct cr_purpose *cr_pol_purpose(const struct cr_pol *pol, int purpose)
{
	if (!pol || !pol->p || purpose < 0 || (size_t)purpose >= pol->p->npurposes)
		return NULL;
	return &pol->p->purposes[purpose];
}
