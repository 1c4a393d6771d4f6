/* User commands: see commands.h. */
#include "commands.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int key_ok(const char *k, size_t n)
{
	if (n < 1 || n > CR_TAG_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = k[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return 0;
	}
	return 1;
}

/* Printable: no control characters; UTF-8 is checked by the JSON layer. */
static int value_ok(const char *v)
{
	size_t n = strlen(v);
	json_t *j;

	if (n > CR_TAG_VALUE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	j = json_string(v); /* NULL when not valid UTF-8 */
	json_decref(j);
	return j != NULL;
}

int cr_cmd_parse(const char *arg, struct cr_cmd *cmd, const char **why)
{
	static const struct { const char *name; enum cr_cmd_verb verb; } verbs[] = {
		{ "status", CR_CMD_STATUS }, { "private", CR_CMD_PRIVATE },
		{ "pause", CR_CMD_PAUSE }, { "resume", CR_CMD_RESUME },
	};
	const char *eq, *kv;

	memset(cmd, 0, sizeof(*cmd));
	*why = NULL;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(arg, verbs[i].name)) {
			cmd->verb = verbs[i].verb;
			return 0;
		}
	if (strncmp(arg, "tag ", 4)) {
		*why = "unknown command (status, private, pause, resume, tag KEY=VALUE)";
		return -EINVAL;
	}
	cmd->verb = CR_CMD_TAG;
	kv = arg + 4;
	eq = strchr(kv, '=');
	if (!eq) {
		*why = "tag needs KEY=VALUE";
		return -EINVAL;
	}
	if (!key_ok(kv, (size_t)(eq - kv))) {
		*why = "tag key must be 1 to 32 of a-z 0-9 _ . -";
		return -EINVAL;
	}
	if (!value_ok(eq + 1)) {
		*why = "tag value must be printable text of at most 128 bytes";
		return -EINVAL;
	}
	memcpy(cmd->key, kv, (size_t)(eq - kv));
	snprintf(cmd->value, sizeof(cmd->value), "%s", eq + 1);
	return 0;
}

int cr_cmd_may_act(uid_t who, uid_t owner)
{
	return who == 0 || who == owner;
}

static json_t *error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

json_t *cr_cmd_run(struct cr_calls *r, const struct cr_cmd *cmd, uid_t uid, uint64_t now_ns,
		   cr_erase_fn erase, void *erase_ctx)
{
	json_t *ids = json_array();
	struct cr_call *c, *next;
	int any = 0, done = 0, err = 0;

	if (!ids)
		return NULL;
	for (c = r->calls; c; c = next) {
		next = c->next; /* private frees c */
		if (!cr_cmd_may_act(uid, c->uid))
			continue;
		any = 1;
		switch (cmd->verb) {
		case CR_CMD_PRIVATE: {
			uint8_t id[CR_CALL_ID_BYTES];
			json_array_append_new(ids, json_string(c->hex));
			cr_calls_make_private(r, c, id);
			if (erase)
				erase(erase_ctx, id);
			done++;
			break;
		}
		case CR_CMD_PAUSE:
			err = cr_call_pause(c, now_ns);
			break;
		case CR_CMD_RESUME:
			err = cr_call_resume(c, now_ns);
			break;
		case CR_CMD_TAG:
			err = cr_call_tag(c, cmd->key, cmd->value);
			break;
		case CR_CMD_STATUS:
			break;
		}
		if (cmd->verb != CR_CMD_PRIVATE && !err) {
			json_array_append_new(ids, json_string(c->hex));
			done++;
		}
	}
	switch (cmd->verb) {
	case CR_CMD_PRIVATE:
		if (any)
			return json_pack("{s:b, s:o}", "ok", 1, "erased", ids);
		json_decref(ids);
		if (cr_calls_private_next(r, uid))
			return error("too many pending private marks");
		cr_notice("uid %u: the next call will not be recorded (private)", (unsigned)uid);
		return json_pack("{s:b, s:b}", "ok", 1, "next_call_private", 1);
	case CR_CMD_PAUSE:
	case CR_CMD_RESUME:
	case CR_CMD_TAG:
		if (!any) {
			json_decref(ids);
			return error("no call of yours is being recorded");
		}
		if (!done) {
			json_decref(ids);
			if (err == -ENOSPC)
				return error(cmd->verb == CR_CMD_TAG ? "too many tags (at most 32)"
								     : "too many pauses");
			return error(cmd->verb == CR_CMD_PAUSE ? "already paused" :
				     cmd->verb == CR_CMD_RESUME ? "not paused" : "cannot tag");
		}
		if (cmd->verb == CR_CMD_TAG)
			return json_pack("{s:b, s:o, s:{s:s}}", "ok", 1, "calls", ids, "tag",
					 cmd->key, cmd->value);
		return json_pack("{s:b, s:o}", "ok", 1,
				 cmd->verb == CR_CMD_PAUSE ? "paused" : "resumed", ids);
	case CR_CMD_STATUS:
		break;
	}
	json_decref(ids);
	return error("not a call command");
}

void cr_cmd_call_status(const struct cr_calls *r, const struct cr_call *c, json_t *o)
{
	const struct cr_purpose *pu = c->meta.purpose;
	const char *state = c->failing ? "impossible" : c->paused ? "paused" : "active";
	json_t *tags = json_object();
	int muted = 0;

	(void)r;
	for (const struct cr_stream *st = r->streams; st; st = st->next) {
		const struct cr_ring_hdr *h = st->ring.base ? cr_ring_hdr(&st->ring) : NULL;
		if (st->call == c && st->dir == CR_DIR_CAPTURE && h &&
		    (atomic_load_explicit(&h->control, memory_order_acquire) & CR_RING_CTL_MUTE))
			muted = 1;
	}
	json_object_set_new(o, "recording", json_string(state));
	if (c->failing) {
		json_object_set_new(o, "reason", json_string(c->fail_reason));
		json_object_set_new(o, "on_failure", json_string(cr_on_failure_name(
			pu ? c->meta.on_failure : CR_FAIL_CONTINUE)));
	}
	json_object_set_new(o, "outgoing_muted", json_boolean(muted));
	json_object_set_new(o, "purpose", json_string(pu ? pu->name : "builtin:record-all"));
	if (pu) {
		json_object_set_new(o, "legal_basis", json_string(cr_legal_basis_name(pu->basis)));
		json_object_set_new(o, "disclosure", json_string(cr_disclosure_name(pu->mode)));
	}
	for (size_t i = 0; tags && i < c->ntags; i++)
		json_object_set_new(tags, c->tags[i].key, json_string(c->tags[i].value));
	json_object_set_new(o, "tags", tags ? tags : json_object());
}
