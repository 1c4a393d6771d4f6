/* The texts of an export bundle, built in memory: summary.json (purposes, legal bases,
 * retention and recipients of the calls exported) and the README (how to check the bundle with
 * openssl and sha256sum only). `export` writes them to files; the console streams them. */
#include "bundle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const cra_bundle_suffix[CRA_BUNDLE_NSTREAMS] = { ".wav", ".manifest.json",
								 ".manifest.sig", ".proof.json",
								 ".proof.sig" };

static json_t *copy_or_null(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return v ? json_deep_copy(v) : json_null();
}

json_t *cra_bundle_summary(const char *subject, json_t *manifests, long long tree_size)
{
	json_t *s = json_object(), *calls = json_array(), *purposes = json_object(), *m;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (!s || !calls || !purposes) {
		json_decref(s);
		json_decref(calls);
		json_decref(purposes);
		return NULL;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_array_foreach(manifests, i, m) {
		json_t *c = json_object();
		const char *purpose;

		json_object_set_new(c, "id", copy_or_null(m, "id"));
		json_object_set_new(c, "start", copy_or_null(m, "start"));
		json_object_set_new(c, "end", copy_or_null(m, "end"));
		json_object_set_new(c, "user", copy_or_null(m, "user"));
		json_object_set_new(c, "device", copy_or_null(m, "device"));
		json_object_set_new(c, "purpose", copy_or_null(m, "purpose"));
		json_object_set_new(c, "legal_basis", copy_or_null(m, "legal_basis"));
		json_object_set_new(c, "retention", copy_or_null(m, "retention"));
		json_object_set_new(c, "erased_after", copy_or_null(m, "expires"));
		json_object_set_new(c, "recipients", copy_or_null(m, "access"));
		json_object_set_new(c, "tags", copy_or_null(m, "tags"));
		json_array_append_new(calls, c);
		purpose = json_string_value(json_object_get(m, "purpose"));
		if (!purpose)
			purpose = "(none)";
		if (!json_object_get(purposes, purpose))
			json_object_set_new(purposes, purpose, json_pack("{so so so so}",
				"description", copy_or_null(m, "description"),
				"legal_basis", copy_or_null(m, "legal_basis"),
				"retention", copy_or_null(m, "retention"),
				"recipients", copy_or_null(m, "access")));
	}
	json_object_set_new(s, "generated", json_string(when));
	json_object_set_new(s, "subject", json_string(subject));
	json_object_set_new(s, "controller_note",
			    json_string("Recordings of telephone calls in which the subject took "
					"part, with the purpose, legal basis, retention and "
					"recipients of each."));
	json_object_set_new(s, "purposes", purposes);
	json_object_set_new(s, "calls", calls);
	json_object_set_new(s, "log_tree_size", json_integer(tree_size));
	return s;
}

static const char readme_head[] =
	"Call recordings exported from callrec\n"
	"=====================================\n\n"
	"Files, per call ID:\n"
	"  ID.wav             the recording (WAV, 16 kHz, 16-bit; channel 1 the local party,\n"
	"                     channel 2 the remote party)\n"
	"  ID.manifest.json   who, when, why (purpose, legal basis, retention), gaps, chunk\n"
	"                     hashes and the SHA-256 of ID.wav (audio_sha256)\n"
	"  ID.manifest.sig    the archive's Ed25519 signature of ID.manifest.json (raw bytes)\n"
	"  ID.proof.json      proof that the manifest is in the archive's append-only log\n"
	"  ID.proof.sig       the archive's Ed25519 signature of ID.proof.json\n"
	"Once:\n"
	"  checkpoint.json    the log's signed head (tree size, root hash, time)\n"
	"  checkpoint.sig     the archive's Ed25519 signature of checkpoint.json\n"
	"  signing.pub        the archive's public key (see \"Whose key?\" below)\n"
	"  summary.json       purposes, legal bases, retention and recipients\n"
	"  checkpoint.tsr     (when the archive uses a time-stamping authority) an RFC 3161\n"
	"                     timestamp of checkpoint.json\n\n"
	"Whose key?\n"
	"  Anyone can sign files with a key of their own: the checks below prove what this\n"
	"  export says only with the archive's key, which signing.pub merely claims to be. Get\n"
	"  the fingerprint of the archive's signing key from the organisation that keeps the\n"
	"  recordings by another way than the one this export came by (its website, a letter,\n"
	"  a call; its operators print it with `callrec-archive pki fingerprint`), and compare:\n"
	"    openssl pkey -pubin -in signing.pub -outform DER | sha256sum\n"
	"  Both must show the same 64 hexadecimal digits.\n\n"
	"With callrec installed, `callrec-archive verify . --key ARCHIVE.pub` checks everything\n"
	"below against the archive's own key (ARCHIVE.pub, got from that organisation; it prints\n"
	"the key's fingerprint), and that no call listed in summary.json is missing. Add\n"
	"`--tsa-cert TSA.pem` (the time-stamping authority's certificate) to check\n"
	"checkpoint.tsr. Without --key it trusts signing.pub and says so.\n\n"
	"Without it, in this directory, with openssl, sha256sum and bash:\n\n"
	"  # The log head is signed by the archive:\n"
	"  openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in checkpoint.json \\\n"
	"      -sigfile checkpoint.sig\n"
	"  # If checkpoint.tsr exists: the log head existed at the time the authority states\n"
	"  # (TSA_CA = the time-stamping authority's CA certificate, obtained from it):\n"
	"  [ ! -e checkpoint.tsr ] || [ -z \"${TSA_CA:-}\" ] || \\\n"
	"      openssl ts -verify -data checkpoint.json -in checkpoint.tsr -CAfile \"$TSA_CA\"\n\n"
	"Then for each call (set ID first, e.g. ID=%s):\n\n"
	"  # 1. The audio is the one the manifest describes:\n"
	"  echo \"$(grep -o '\"audio_sha256\": \"[0-9a-f]*\"' $ID.manifest.json | cut -d'\"' -f4)  $ID.wav\" \\\n"
	"      | sha256sum -c\n"
	"  # 2. The manifest is signed by the archive:\n"
	"  openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in $ID.manifest.json \\\n"
	"      -sigfile $ID.manifest.sig\n"
	"  # 3. The proof is the archive's, every byte of it:\n"
	"  openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in $ID.proof.json \\\n"
	"      -sigfile $ID.proof.sig\n"
	"  # 4. The manifest is in the log the checkpoint signs (RFC 9162 hashing: a leaf is\n"
	"  #    SHA-256(0x00 || manifest), a node SHA-256(0x01 || left || right)):\n"
	"  hex2bin() { printf \"$(echo \"$1\" | sed 's/../\\\\x&/g')\"; }\n"
	"  h=$( (printf '\\000'; cat $ID.manifest.json) | openssl dgst -sha256 -r | cut -c1-64)\n"
	"  for s in $(tr -d ' \\n' < $ID.proof.json | grep -o '\"hash\":\"[0-9a-f]*\",\"side\":\"[a-z]*\"' \\\n"
	"            | sed 's/\"hash\":\"\\([0-9a-f]*\\)\",\"side\":\"\\([a-z]*\\)\"/\\2:\\1/'); do\n"
	"    p=${s#*:}\n"
	"    if [ \"${s%%%%:*}\" = left ]; then n=\"$p$h\"; else n=\"$h$p\"; fi\n"
	"    h=$( (printf '\\001'; hex2bin \"$n\") | openssl dgst -sha256 -r | cut -c1-64)\n"
	"  done\n"
	"  root=$(tr -d ' \\n' < checkpoint.json | grep -o '\"root_hash\":\"[0-9a-f]*\"' | cut -d'\"' -f4)\n"
	"  [ \"$h\" = \"$root\" ] && echo \"inclusion: OK\" || { echo \"inclusion: FAILED\"; false; }\n\n"
	"Any failure means the file named was altered (or does not come from this archive).\n\n"
	"Calls in this bundle:\n";

char *cra_bundle_readme(json_t *ids, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	json_t *v;
	size_t i;

	if (!f)
		return NULL;
	fprintf(f, readme_head, json_array_size(ids) ? json_string_value(json_array_get(ids, 0))
						     : "...");
	json_array_foreach(ids, i, v)
		fprintf(f, "  %s\n", json_string_value(v));
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
