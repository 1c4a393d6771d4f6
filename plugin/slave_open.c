#include "slave_open.h"

#include <errno.h>

/* Exported by alsa-lib (and used by every slave-based plugin inside it) but not declared in its
 * public headers. With count 0 it only resolves the slave definition and returns a copy of its
 * `pcm` node. */
int snd_pcm_slave_conf(snd_config_t *root, snd_config_t *conf, snd_config_t **pcm_conf,
		       unsigned int count, ...);

/* Private name under which an inline slave definition is opened from a copy of the config. */
#define INLINE_SLAVE_ID "__callrec_inline_slave"

/* snd_pcm_open_fallback only opens PCMs by name, so an inline definition is given one: in a
 * private copy of the configuration tree (the global tree is shared by every thread and must
 * not change), added as pcm.INLINE_SLAVE_ID. The copy is only needed while opening. */
static int open_inline(snd_pcm_t **pcmp, snd_config_t *root, snd_config_t *pcm_conf,
		       const char *name, snd_pcm_stream_t stream, int mode)
{
	snd_config_t *copy = NULL, *pcms, *def = NULL;
	int err;

	err = snd_config_copy(&copy, root);
	if (err < 0)
		return err;
	err = snd_config_search(copy, "pcm", &pcms);
	if (err < 0) {
		err = snd_config_make_compound(&pcms, "pcm", 0);
		if (err < 0)
			goto out;
		err = snd_config_add(copy, pcms);
		if (err < 0) {
			snd_config_delete(pcms);
			goto out;
		}
	}
	err = snd_config_copy(&def, pcm_conf);
	if (err < 0)
		goto out;
	err = snd_config_set_id(def, INLINE_SLAVE_ID);
	if (err < 0)
		goto out_def;
	err = snd_config_add(pcms, def);
	if (err < 0)
		goto out_def;
	err = snd_pcm_open_fallback(pcmp, copy, INLINE_SLAVE_ID, name, stream, mode);
	goto out; /* def now belongs to the copy */
out_def:
	snd_config_delete(def);
out:
	snd_config_delete(copy);
	return err;
}

int slave_open_direct(snd_pcm_t **pcmp, snd_config_t *root, snd_config_t *slave,
		      const char *name, snd_pcm_stream_t stream, int mode)
{
	snd_config_t *pcm_conf = NULL;
	const char *slave_name;
	int err;

	err = snd_pcm_slave_conf(root, slave, &pcm_conf, 0);
	if (err < 0)
		return err;
	if (!pcm_conf)
		return -EINVAL;
	if (snd_config_get_string(pcm_conf, &slave_name) >= 0)
		err = snd_pcm_open_fallback(pcmp, root, slave_name, name, stream, mode);
	else
		err = open_inline(pcmp, root, pcm_conf, name, stream, mode);
	snd_config_delete(pcm_conf);
	return err;
}
