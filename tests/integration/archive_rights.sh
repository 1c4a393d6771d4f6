#!/bin/bash
# The archive as a system of record (issue 6): roles per purpose (refusals audited), legal
# holds with a two-operator release, erasure by subject, a subject-access export that verifies
# with `callrec-archive verify` and with the README's openssl/sha256sum steps (and fails both
# once any byte of audio, manifest, signature or proof is flipped), the audit chain, a private
# call erased by its device, and no plaintext audio anywhere on the archive's disk.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"

require "pki setup" setup_pki
for op in dpo1:dpo legal1:legal legal2:legal trainer1:trainer; do
	require "operators" add_operator "${op%:*}" "${op#*:}"
done
require "archive starts" start_archive
DAY=86400000
SUBJ='{"remote":"+31201234567"}'
A=$(upload_call --meta "$(make_purpose_meta contract legal $DAY "$SUBJ")") &&
B=$(upload_call --meta "$(make_purpose_meta contract legal $DAY '{}')" --close "{\"tags\":$SUBJ}") &&
C=$(upload_call --meta "$(make_purpose_meta training trainer $DAY '{"remote":"+4930123"}')") ||
	{ not_ok "calls uploaded"; exit 1; }
for id in $A $B $C; do wait_call_state $id complete || not_ok "call $id assembled"; done

# --- roles -------------------------------------------------------------------------------
run_archive_as trainer1 export --call "$A" --out "$T/t1" 2>"$T/refusal.txt"
check "a role outside the purpose's access is refused" test $? -ne 0
check "the refusal says why" grep -q "role may not retrieve" "$T/refusal.txt"
check "nothing was written for the refused export" test ! -e "$T/t1/$A.wav"
run_archive_as legal1 audit >/dev/null 2>&1
check "legal may not read the audit log" test $? -ne 0
run_archive_as op1 audit >"$T/audit.txt" 2>"$T/audit.err"
check "admin reads the audit log and its chain verifies" test $? -eq 0
check "the refusal is audited" grep -q "\"actor\":\"trainer1\",\"role\":\"trainer\",\"action\":\"export\",\"call\":\"$A\",\"outcome\":\"refused\"" "$T/audit.txt"
check "trainer lists only training calls" test "$(run_archive_as trainer1 list --json | grep -c '"id"')" -eq 1
check "legal retrieves a contract call" run_archive_as legal1 export --call "$A" --out "$T/l1"

# --- list filters and show ---------------------------------------------------------------
check "list --tag finds the subject's two calls" \
	test "$(run_archive_as dpo1 list --json --tag remote=+31201234567 | grep -c '"id"')" -eq 2
check "list --purpose" test "$(run_archive_as dpo1 list --json --purpose training | grep -c "$C")" -eq 1
check "list --from in the future finds nothing" test -z "$(run_archive_as dpo1 list --json --from 2999-01-01)"
check "show prints the manifest" bash -c "'$BUILD/callrec-archive' --config '$PKI/operators/dpo1/archive.yaml' show $A | grep -q audio_sha256"

# --- holds -------------------------------------------------------------------------------
check "legal1 holds the training call" run_archive_as legal1 hold --call "$C" --reason "case 2026-17"
check "list shows it held" bash -c "'$BUILD/callrec-archive' --config '$PKI/operators/dpo1/archive.yaml' list --json --state held | grep -q $C"
check "legal1 requests its release" run_archive_as legal1 release --call "$C" --reason "case closed"
run_archive_as legal1 release --call "$C" --reason "case closed" 2>/dev/null
check "the same operator cannot complete the release" test $? -ne 0
check "still held after one operator" test -n "$(query_index "SELECT hold_reason FROM calls WHERE id = x'$C'")"
run_archive_as dpo1 erase --call "$C" --reason "test" 2>"$T/held.txt"
check "erasing a held call is refused" test $? -ne 0
check "the refusal says it is on hold" grep -q "legal hold" "$T/held.txt"
check "a second operator completes the release" run_archive_as legal2 release --call "$C" --reason "agreed"
check "no longer held" test -z "$(query_index "SELECT hold_reason FROM calls WHERE id = x'$C'")"

# --- subject access: export, verify, README ----------------------------------------------
run_archive_as dpo1 export --subject remote=+31201234567 --out "$T/sar" >/dev/null
check "DPO exports the subject's calls" test $? -eq 0
check "the bundle has both calls and nothing else" bash -c "ls '$T/sar' | grep -c '\.wav$' | grep -qx 2 && test -e '$T/sar/$A.wav' && test -e '$T/sar/$B.wav'"
for f in README summary.json checkpoint.json checkpoint.sig signing.pub $A.manifest.sig $A.proof.json $A.proof.sig; do
	check "bundle has $f" test -s "$T/sar/$f"
done
check "summary lists purpose, legal basis, retention, recipients" bash -c \
	"grep -q '\"legal_basis\": \"contract\"' '$T/sar/summary.json' && grep -q '\"recipients\"' '$T/sar/summary.json' && grep -q '\"retention\"' '$T/sar/summary.json'"
check "callrec-archive verify accepts the bundle" run_archive_as op1 verify "$T/sar"
check "verify accepts one call's files" run_archive_as op1 verify "$T/sar/$A.wav"
sed -n '/^Without it/,/^Any failure/p' "$T/sar/README" | grep '^  ' | sed 's/^  //' >"$T/steps.sh"
readme_ok() { (cd "$1" && ID=$2 bash -e -o pipefail "$T/steps.sh") >/dev/null 2>&1; }
check "the README's openssl steps pass" readme_ok "$T/sar" "$A"
# flip DIR FILE OFFSET: one byte changed in a copy of the bundle
flip() {
	rm -rf "$T/bad" && cp -r "$T/sar" "$T/bad" &&
	"$PY" -c "import sys;p=sys.argv[1];o=int(sys.argv[2]);b=bytearray(open(p,'rb').read());o=o%len(b);b[o]^=1;open(p,'wb').write(b)" "$T/bad/$1" "$2"
}
hashpos=$(grep -bo '"hash": "' "$T/sar/$A.proof.json" | head -1 | cut -d: -f1)
# The proof's position in the log and its JSON punctuation count as much as its hashes.
ixpos=$(grep -bo '"leaf_index": ' "$T/sar/$A.proof.json" | head -1 | cut -d: -f1)
for spec in "$A.wav 1000" "$A.wav 60" "$A.manifest.json 40" "$A.manifest.json 300" \
	    "$A.manifest.sig 10" "$A.proof.json $((hashpos + 12))" "$A.proof.json $((ixpos + 14))" \
	    "$A.proof.json 0" "$A.proof.sig 7"; do
	set -- $spec
	flip "$1" "$2"
	run_archive_as op1 verify "$T/bad" >"$T/verify.txt" 2>&1
	check "verify fails after flipping byte $2 of $1" test $? -eq 1
	check "verify names $A" grep -q "ALTERED $A" "$T/verify.txt"
	readme_ok "$T/bad" "$A"
	check "the README steps fail after flipping byte $2 of $1" test $? -ne 0
done

# --- erase by subject --------------------------------------------------------------------
run_archive_as dpo1 erase --subject remote=+31201234567 --reason "subject's request" >/dev/null
check "erase by subject succeeds" test $? -eq 0
check "every call with the tag is erased" bash -c "[ \"\$(sqlite3 -readonly '$ARCHIVE_DATA/index.sqlite' \"SELECT state FROM calls WHERE id IN (x'$A', x'$B')\" | sort -u)\" = erased ]"
check "their keys are gone" test "$(count_call_keys $A)$(count_call_keys $B)" = 00
check "their files are gone" test ! -e "$ARCHIVE_DATA/calls/$A" -a ! -e "$ARCHIVE_DATA/calls/$B"
check "the tombstone keeps no user, application or tags" test "$(query_index "SELECT meta FROM calls WHERE id = x'$A'")" = "{}"
check "the tombstone keeps the reason" test "$(query_index "SELECT erase_reason FROM calls WHERE id = x'$A'")" = "subject's request"
check "the other call is untouched" test "$(get_call_state $C)" = complete
run_archive_as dpo1 export --call "$A" --out "$T/gone" >/dev/null 2>&1
check "an erased call cannot be exported" test $? -ne 0
check "list --tag now shows only tombstones" bash -c "! '$BUILD/callrec-archive' --config '$PKI/operators/dpo1/archive.yaml' list --json --tag remote=+31201234567 | grep -q '\"state\":\"complete\"'"

# --- a private call: CALL_ERASE from its device ------------------------------------------
P=$(upload_call --erase --meta "$(make_purpose_meta contract legal $DAY '{}')")
check "CALL_ERASE is acknowledged" test -n "$P"
check "the private call's key is gone when its erasure is acknowledged" \
	test "$(count_call_keys "$P")" = 0
# An erasure that meets the call's assembly is finished by the worker when it stops.
check "the private call becomes a tombstone" wait_call_state "$P" erased
check "the private call is erased with reason private" \
	test "$(query_index "SELECT state || ' ' || erase_reason FROM calls WHERE id = x'$P'")" = "erased private"
check "nothing of the private call is left on disk" test ! -e "$ARCHIVE_DATA/calls/$P"

# --- the audit chain ---------------------------------------------------------------------
run_archive_as op1 audit >"$T/audit2.txt" 2>/dev/null
check "the audit log verifies before editing" test $? -eq 0
check "erasures, holds and releases are audited" bash -c "grep -q '\"action\":\"erase\",\"call\":\"$A\",\"outcome\":\"ok\"' '$T/audit2.txt' && grep -q '\"action\":\"hold\"' '$T/audit2.txt' && grep -q '\"action\":\"release\"' '$T/audit2.txt'"
LOG=$ARCHIVE_DATA/audit.log
# Edit line 3 in place (same inode, as an intruder's editor might): one character.
off=$(head -n 2 "$LOG" | wc -c)
off=$((off + $(sed -n 3p "$LOG" | grep -bo '"actor":"' | head -1 | cut -d: -f1) + 9))
printf 'X' | dd of="$LOG" bs=1 seek="$off" conv=notrunc status=none
run_archive_as op1 audit >/dev/null 2>"$T/audit.err"
check "an edited audit line makes audit fail" test $? -eq 1
check "audit names the edited line" grep -q "line 3 was altered" "$T/audit.err"

# --- nothing in the clear ----------------------------------------------------------------
sync
check "no plaintext audio anywhere in the archive's data (files, index, WAL)" \
	bash -c "! grep -rqa 'CALLREC-PLAINTEXT-AUDIO' '$ARCHIVE_DATA'"
check "the exported WAV does carry the audio (the pattern is findable)" \
	grep -qa 'CALLREC-PLAINTEXT-AUDIO' "$T/l1/$A.wav"
check "the master key is 0600" test "$(stat -c %a "$PKI/archive-master.key")" = 600
stop_pid "$ARCHIVED_PID"
