/* Manifest JSON. See manifest.h. Client metadata is copied field by field (known keys only)
 * so that a manifest never carries arbitrary client-supplied structure. */
#include "record/manifest.h"

#include <string.h>

#include "wallclock.h"

static json_t *field_or_null(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	return v ? json_incref(v) : json_null();
}

static json_t *chunk_list(const struct ad_manifest_in *in)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < in->nchunks; i++) {
		const struct ad_chunk_info *c = &in->chunks[i];
		char hex[2 * CR_HASH_BYTES + 1];

		cr_hex_encode(c->sha256, CR_HASH_BYTES, hex);
		json_array_append_new(arr, json_pack("{sI sI sI ss}", "seq", (json_int_t)c->seq,
						     "start_frame", (json_int_t)c->start_frame,
						     "frames", (json_int_t)c->frames, "sha256", hex));
	}
	return arr;
}

/* Whether the agent already reported the hole [start_ms, end_ms) as chunks it evicted or
 * found corrupt in its spool (and therefore never sent). */
static int reported_evicted(json_t *gaps, int64_t start_ms, int64_t end_ms)
{
	size_t i;
	json_t *g;

	json_array_foreach(gaps, i, g) {
		int64_t s0 = json_integer_value(json_object_get(g, "start_ms"));
		int64_t len = json_integer_value(json_object_get(g, "length_ms"));
		const char *cause = json_string_value(json_object_get(g, "cause"));

		/* 1 ms slack: both sides round frames to milliseconds. The agent's numbers may be
		 * anything: with s0 held to [0, start_ms + 1], end_ms - 1 - s0 cannot overflow
		 * where s0 + len could. */
		if (cause && (strcmp(cause, "evicted") == 0 || strcmp(cause, "corrupt") == 0) &&
		    s0 >= 0 && s0 <= start_ms + 1 &&
		    len >= end_ms - 1 - s0)
			return 1;
	}
	return 0;
}

/* The agent's gaps, then holes in the timeline nobody reported (never closed up). */
static json_t *gap_list(const struct ad_manifest_in *in, json_t *close, unsigned rate)
{
	json_t *gaps = close ? json_object_get(close, "gaps") : NULL;
	json_t *arr = json_is_array(gaps) ? json_deep_copy(gaps) : json_array();
	size_t i;

	for (i = 0; arr && i < in->nholes; i++) {
		int64_t start_ms = (int64_t)(in->holes[i].start_frame * 1000 / rate);
		int64_t len_ms = (int64_t)(in->holes[i].frames * 1000 / rate);

		if (reported_evicted(gaps, start_ms, start_ms + len_ms))
			continue;
		json_array_append_new(arr, json_pack("{sI sI si ss}", "start_ms",
			(json_int_t)start_ms, "length_ms", (json_int_t)len_ms, "channel", 0,
			"cause", "missing"));
	}
	return arr;
}

static json_t *expires_text(int64_t t)
{
	char buf[32];

	ad_format_time(t, buf);
	return json_string(buf);
}

json_t *ad_manifest_tags(json_t *meta, json_t *close)
{
	json_t *tags = json_object(), *src[2], *v;
	const char *k;
	int i;

	src[0] = meta ? json_object_get(meta, "tags") : NULL;
	src[1] = close ? json_object_get(close, "tags") : NULL;
	for (i = 0; tags && i < 2; i++)
		if (json_is_object(src[i]))
			json_object_foreach(src[i], k, v)
				if (json_is_string(v))
					json_object_set(tags, k, v);
	return tags ? tags : json_object();
}

json_t *ad_manifest_build(const struct ad_manifest_in *in)
{
	static const char *const copied[] = { "user", "uid", "application", "exe", "pid", "line",
					      "host", "start", "rule", "purpose", "description",
					      "legal_basis", "retention", "retention_ms",
					      "retention_until", "access", "policy_sha256",
					      "on_failure", "employees_notice" };
	const struct ad_call_info *c = in->call;
	json_t *meta = c->meta_json ? json_loads(c->meta_json, 0, NULL) : NULL;
	json_t *close = c->close_json ? json_loads(c->close_json, 0, NULL) : NULL;
	char open_hex[2 * CR_HASH_BYTES + 1];
	/* Refused at CALL_OPEN when invalid; only an older index could hold such a call. */
	unsigned rate = ad_meta_rate(meta) ? ad_meta_rate(meta) : AD_RATE;
	json_t *m = json_object();
	size_t i;

	cr_hex_encode(c->open_hash, CR_HASH_BYTES, open_hex);
	if (m) {
		json_object_set_new(m, "version", json_integer(1));
		json_object_set_new(m, "id", json_string(c->hex));
		json_object_set_new(m, "device", json_string(c->device ? c->device : ""));
		for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
			json_object_set_new(m, copied[i], field_or_null(meta, copied[i]));
		json_object_set_new(m, "end", field_or_null(close, "end"));
		json_object_set_new(m, "expires", in->expires ? expires_text(in->expires)
							      : json_null());
		/* The close's disclosure has the events; the open's says what was planned. */
		json_object_set_new(m, "disclosure", close && json_object_get(close, "disclosure") ?
				    field_or_null(close, "disclosure") :
				    field_or_null(meta, "disclosure"));
		json_object_set_new(m, "pauses", close && json_object_get(close, "pauses") ?
				    field_or_null(close, "pauses") : json_array());
		json_object_set_new(m, "tags", ad_manifest_tags(meta, close));
		json_object_set_new(m, "failures", close && json_object_get(close, "failures") ?
				    field_or_null(close, "failures") : json_array());
		json_object_set_new(m, "seconds",
				    json_real((double)in->total_frames / rate));
		json_object_set_new(m, "frames", json_integer((json_int_t)in->total_frames));
		json_object_set_new(m, "rate", json_integer(rate));
		json_object_set_new(m, "channels", json_integer(AD_CHANNELS));
		json_object_set_new(m, "gaps", gap_list(in, close, rate));
		json_object_set_new(m, "open_sha256", json_string(open_hex));
		json_object_set_new(m, "chunks", chunk_list(in));
		json_object_set_new(m, "audio_sha256", json_string(in->audio_sha256_hex));
		json_object_set_new(m, "software", json_string(AD_SOFTWARE));
		json_object_set_new(m, "agent_software",
				    c->software ? json_string(c->software) : json_null());
	}
	json_decref(meta);
	json_decref(close);
	return m;
}
