#!/bin/bash
# Verification a judge can rely on (issue 14): `verify --key ARCHIVE.pub` checks an export
# against the archive's own key, not against the signing.pub the bundle carries.
#  - a genuine bundle verifies with the archive's key, and verify prints that key's SHA-256
#    fingerprint, the same as `pki fingerprint` and as the README's openssl command;
#  - a forged bundle (audio spliced, manifest, proof and checkpoint re-signed with a fresh key,
#    the bundle's signing.pub replaced) passes a check without a pinned key, which says so
#    plainly, and fails with the archive's key;
#  - another key, a missing key file, a file that is no key, and --key before the verb (where
#    it is the operator's TLS key) all fail;
#  - a call taken out of a bundle is caught against summary.json.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
# run_verify ARGS...: callrec-archive verify; is_verified ARGS...: the same, quietly.
run_verify() { "$BUILD/callrec-archive" verify "$@"; }
is_verified() { run_verify "$@" >/dev/null 2>&1; }

require "pki setup" setup_pki
require "operators" add_operator dpo1 dpo
require "archive starts" start_archive
SUBJ='{"tags":{"remote":"+31201234567"}}'
A=$(upload_call --seconds 3 --meta "$SUBJ") && B=$(upload_call --seconds 2 --meta "$SUBJ") ||
	{ not_ok "calls uploaded"; exit 1; }
wait_call_state "$A" complete && wait_call_state "$B" complete || not_ok "calls assembled"
run_archive_as dpo1 export --subject remote=+31201234567 --out "$T/g" >/dev/null ||
	{ not_ok "export"; exit 1; }
KEY=$PKI/signing.pub
FPR=$("$BUILD/callrec-archive" pki fingerprint --dir "$PKI")
check "pki fingerprint prints 64 hex digits" grep -qxE '[0-9a-f]{64}' <<<"$FPR"
check "it is the README's openssl fingerprint of the key" \
	test "$FPR" = "$(openssl pkey -pubin -in "$KEY" -outform DER | sha256sum | cut -c1-64)"
check "the README tells the recipient how to compare the archive's fingerprint" \
	bash -c "grep -q 'Whose key' '$T/g/README' && grep -q 'pki fingerprint' '$T/g/README' && grep -q -- '--key ARCHIVE.pub' '$T/g/README'"

# --- a genuine bundle ----------------------------------------------------------------------
run_verify "$T/g" --key "$KEY" >"$T/genuine.txt" 2>&1
check "a genuine bundle verifies with the archive's key" test $? -eq 0
check "verify prints the fingerprint of the key that signed" \
	grep -q "intact: 2 calls, signed by the pinned key (SHA-256 fingerprint $FPR)" "$T/genuine.txt"
check "and checks the bundle against summary.json" grep -q "OK summary.json" "$T/genuine.txt"
check "--archive-key is the same option" is_verified "$T/g" --archive-key "$KEY"
check "one call's files verify with the key" is_verified "$T/g/$A.wav" --key "$KEY"
run_verify "$T/g" >"$T/nokey.txt" 2>&1
check "without a key a genuine bundle is consistent" test $? -eq 0
check "and verify says plainly that no key was pinned" grep -q "NOTE no key pinned" "$T/nokey.txt"
check "and what that means" grep -q "consistent with itself" "$T/nokey.txt"

# --- keys that must not be accepted ----------------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$T/other.key" 2>/dev/null &&
	openssl pkey -in "$T/other.key" -pubout -out "$T/other.pub" || not_ok "another key"
run_verify "$T/g" --key "$T/other.pub" >"$T/other.txt" 2>&1
check "another key fails (exit 1)" test $? -eq 1
check "and the signatures are named" grep -q "ALTERED $A: the manifest's signature" "$T/other.txt"
run_verify "$T/g" --key "$T/missing.pub" >"$T/missing.txt" 2>&1
check "a missing key file fails (exit 1)" test $? -eq 1
check "saying so" grep -q "MISSING key $T/missing.pub" "$T/missing.txt"
chmod 000 "$T/other.pub"
if [ "$(id -u)" -ne 0 ]; then
	run_verify "$T/g" --key "$T/other.pub" >/dev/null 2>&1
	check "an unreadable key file fails" test $? -eq 1
fi
chmod 644 "$T/other.pub"
run_verify "$T/g" --key "$T/g/summary.json" >"$T/notkey.txt" 2>&1
check "a file that is no key fails" test $? -eq 1
"$BUILD/callrec-archive" --key "$KEY" verify "$T/g" >/dev/null 2>"$T/before.txt"
check "--key before the verb (the TLS key) is refused, not ignored" test $? -eq 2
check "saying where the archive's key goes" grep -q "verify PATH --key" "$T/before.txt"
run_verify "$T/g" --tsa-cert "$T/none.pem" >/dev/null 2>&1
check "a missing TSA certificate fails" test $? -eq 1

# --- a forgery: audio spliced, everything re-signed with a fresh key ------------------------------
F=$T/forged
cp -r "$T/g" "$F"
openssl genpkey -algorithm ed25519 -out "$T/forger.key" 2>/dev/null || not_ok "forger's key"
openssl pkey -in "$T/forger.key" -pubout -out "$F/signing.pub"
"$PY" - "$F" "$A" <<'EOF'
import hashlib, json, os, struct, sys
d, a = sys.argv[1], sys.argv[2]
w = open(os.path.join(d, a + ".wav"), "rb").read()
data = w[44:]
q = len(data) // 4 // 4 * 4
data = data[:q] + data[2 * q:]          # half a second and more cut out
w = w[:4] + struct.pack("<I", 36 + len(data)) + w[8:40] + struct.pack("<I", len(data)) + data
open(os.path.join(d, a + ".wav"), "wb").write(w)
m = json.load(open(os.path.join(d, a + ".manifest.json")))
m["audio_sha256"] = hashlib.sha256(w).hexdigest()
mtext = json.dumps(m, indent=2).encode()
open(os.path.join(d, a + ".manifest.json"), "wb").write(mtext)
leaf = hashlib.sha256(b"\0" + mtext).hexdigest()
# A log of one manifest: its leaf is the root.
open(os.path.join(d, a + ".proof.json"), "w").write(json.dumps(
    {"leaf_index": 0, "tree_size": 1, "leaf_hash": leaf, "path": [], "root_hash": leaf}, indent=2))
cp = json.load(open(os.path.join(d, "checkpoint.json")))
cp["tree_size"], cp["root_hash"] = 1, leaf
open(os.path.join(d, "checkpoint.json"), "w").write(json.dumps(cp, indent=2))
s = json.load(open(os.path.join(d, "summary.json")))
s["calls"] = [c for c in s["calls"] if c["id"] == a]
s["log_tree_size"] = 1
open(os.path.join(d, "summary.json"), "w").write(json.dumps(s, indent=2))
EOF
rm -f "$F/$B".*
for f in "$A.manifest" "$A.proof" checkpoint; do
	openssl pkeyutl -sign -inkey "$T/forger.key" -rawin -in "$F/$f.json" -out "$F/$f.sig" ||
		not_ok "forger signs $f"
done
check "the forgery changed the audio" bash -c "! cmp -s '$T/g/$A.wav' '$F/$A.wav'"
run_verify "$F" >"$T/forged-nokey.txt" 2>&1
check "without a pinned key the forgery looks consistent (this is what --key is for)" test $? -eq 0
check "and verify says no key was pinned, with the forger's fingerprint" bash -c \
	"grep -q 'NOTE no key pinned' '$T/forged-nokey.txt' && ! grep -q '$FPR' '$T/forged-nokey.txt'"
run_verify "$F" --key "$KEY" >"$T/forged.txt" 2>&1
check "the forged bundle fails verify --key ARCHIVE.pub (exit 1)" test $? -eq 1
check "naming the replaced signing.pub" grep -q "ALTERED signing.pub: it is not the pinned key" "$T/forged.txt"
check "naming the checkpoint" grep -q "ALTERED checkpoint: its signature does not verify" "$T/forged.txt"
check "naming the spliced call" grep -q "ALTERED $A: the manifest's signature does not verify" "$T/forged.txt"
check "and never saying intact" bash -c "! grep -q '^intact' '$T/forged.txt'"
cp "$KEY" "$F/signing.pub"
run_verify "$F" --key "$KEY" >/dev/null 2>&1
check "with the genuine signing.pub put back it still fails" test $? -eq 1
run_verify "$F" >/dev/null 2>&1
check "and fails without --key too" test $? -eq 1

# --- a call taken out of a bundle ------------------------------------------------------------
R=$T/removed
cp -r "$T/g" "$R" && rm -f "$R/$B".*
run_verify "$R" --key "$KEY" >"$T/removed.txt" 2>&1
check "a call removed from the bundle fails verify" test $? -eq 1
check "naming the call summary.json lists" grep -q "MISSING $B: summary.json lists it" "$T/removed.txt"
run_verify "$R" >/dev/null 2>&1
check "also without a pinned key" test $? -eq 1
cp -r "$T/g" "$T/nosummary" && rm "$T/nosummary/summary.json"
run_verify "$T/nosummary" --key "$KEY" >"$T/nosummary.txt" 2>&1
check "a bundle without summary.json fails" test $? -eq 1
stop_pid "$ARCHIVED_PID"
