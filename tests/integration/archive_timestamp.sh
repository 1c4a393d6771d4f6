#!/bin/bash
# Optional RFC 3161 timestamps of the manifest log's checkpoints (issue 6), against a local
# `openssl ts` authority made for the test: the archive runs the configured command for each
# checkpoint, the export carries checkpoint.tsr, and `openssl ts -verify` (the README's step)
# and `callrec-archive verify --tsa-cert` accept it for checkpoint.json and refuse it for an
# altered checkpoint, another authority's certificate, or a timestamp of other data.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"

# --- a time-stamping authority ----------------------------------------------------------
TSA=$T/tsa
mkdir -p "$TSA" && cd "$TSA" || exit 1
cp "$FIXTURES/tsa.cnf" ts.cnf || exit 1
echo 01 >serial
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -subj "/CN=test TSA CA" -days 2 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key \
	-out tsa.csr -subj "/CN=test TSA" 2>/dev/null &&
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out tsa.pem -days 2 \
	-extfile ts.cnf -extensions tsaext 2>/dev/null || { not_ok "TSA set up"; exit 1; }
fill_fixture tsa-stamp.sh.in "$TSA/stamp.sh" TSA="$TSA" || exit 1
chmod +x "$TSA/stamp.sh"
cd "$T" || exit 1

require "pki setup" setup_pki
require "operators" add_operator dpo1 dpo
printf 'checkpoint_every: 1\ntimestamp_command: %s\n' "$TSA/stamp.sh" >>"$PKI/archived.yaml"
require "archive starts" start_archive
A=$(upload_call --meta '{"tags":{"remote":"+31"}}') || { not_ok "upload"; exit 1; }
wait_call_state "$A" complete || not_ok "call assembled"
# The archive logs once the response is stored with the checkpoint.
wait_log "$T/archived.log" "checkpoint at 1 timestamped" 10
check "the archive ran the timestamp command for the checkpoint" test -s "$TSA/count"
check "and stored the response" grep -q "checkpoint at 1 timestamped" "$T/archived.log"
run_archive_as dpo1 export --call "$A" --out "$T/x" >/dev/null
check "the export succeeds" test $? -eq 0
check "the export carries checkpoint.tsr" test -s "$T/x/checkpoint.tsr"
check "openssl ts -verify accepts it for checkpoint.json" \
	openssl ts -verify -data "$T/x/checkpoint.json" -in "$T/x/checkpoint.tsr" -CAfile "$TSA/ca.pem"
check "the timestamp is of the checkpoint's tree size" \
	grep -q '"tree_size": 1' "$T/x/checkpoint.json"
sed -n '/^Without it/,/^Then for each/p' "$T/x/README" | grep '^  ' | sed 's/^  //' >"$T/head.sh"
check "the README's checkpoint steps pass with the authority's CA" \
	bash -c "cd '$T/x' && TSA_CA='$TSA/ca.pem' bash -e -o pipefail '$T/head.sh' >/dev/null 2>&1"
# verify checks the timestamp itself against the authority's certificate (issue 14).
# run_verify_pinned DIR ARGS...: verify $T/DIR against the archive's own key.
run_verify_pinned() { "$BUILD/callrec-archive" verify "$T/$1" --key "$PKI/signing.pub" "${@:2}"; }
run_verify_pinned x --tsa-cert "$TSA/ca.pem" >"$T/ts-ok.txt" 2>&1
check "verify --tsa-cert (the authority's CA) accepts the timestamp" test $? -eq 0
check "and says when the checkpoint existed" grep -q "OK checkpoint.tsr: checkpoint.json existed at 20" "$T/ts-ok.txt"
check "verify --tsa-cert with the authority's own certificate accepts it" \
	bash -c "'$BUILD/callrec-archive' verify '$T/x' --key '$PKI/signing.pub' --tsa-cert '$TSA/tsa.pem' >/dev/null"
run_verify_pinned x >"$T/ts-none.txt" 2>&1
check "without --tsa-cert verify says the timestamp was not checked" \
	bash -c "grep -q 'NOTE checkpoint.tsr not checked' '$T/ts-none.txt'"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o.key" \
	-out "$T/other-tsa.pem" -subj "/CN=another TSA" -days 2 2>/dev/null
run_verify_pinned x --tsa-cert "$T/other-tsa.pem" >"$T/ts-other.txt" 2>&1
check "a timestamp by another authority fails" test $? -eq 1
check "saying so" grep -q "ALTERED checkpoint.tsr: not signed by the pinned" "$T/ts-other.txt"
cp -r "$T/x" "$T/y" && echo "other data" >"$T/other.txt" && "$TSA/stamp.sh" "$T/other.txt" "$T/y/checkpoint.tsr"
run_verify_pinned y --tsa-cert "$TSA/ca.pem" >"$T/ts-swap.txt" 2>&1
check "a genuine timestamp of other data fails" test $? -eq 1
check "saying it stamps other data" grep -q "ALTERED checkpoint.tsr: it stamps other data" "$T/ts-swap.txt"
rm "$T/y/checkpoint.tsr"
run_verify_pinned y --tsa-cert "$TSA/ca.pem" >/dev/null 2>&1
check "with --tsa-cert a bundle without checkpoint.tsr fails" test $? -eq 1
head -c 200 "$T/x/checkpoint.tsr" >"$T/y/checkpoint.tsr"
run_verify_pinned y --tsa-cert "$TSA/ca.pem" >/dev/null 2>&1
check "a truncated timestamp fails" test $? -eq 1
sed -i 's/"tree_size": 1/"tree_size": 2/' "$T/x/checkpoint.json"
openssl ts -verify -data "$T/x/checkpoint.json" -in "$T/x/checkpoint.tsr" -CAfile "$TSA/ca.pem" \
	>/dev/null 2>&1
check "an altered checkpoint fails the timestamp check" test $? -ne 0
check "an altered checkpoint fails verify" bash -c "! '$BUILD/callrec-archive' verify '$T/x' >/dev/null"
run_verify_pinned x --tsa-cert "$TSA/ca.pem" >"$T/ts-alt.txt" 2>&1
check "and its timestamp no longer matches" grep -q "ALTERED checkpoint.tsr: it stamps other data" "$T/ts-alt.txt"
stop_pid "$ARCHIVED_PID"
