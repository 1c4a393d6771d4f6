#!/bin/bash
# The policy in the agent: an invalid policy stops the agent at start with
# FILE:LINE:COL diagnostics; an application no rule matches gets PASS (the plugin hands it the
# slave: its audio is untouched and nothing is recorded or archived); SIGHUP with an invalid
# policy keeps the previous one; SIGHUP with a policy that matches records the call with the
# purpose, legal basis, retention and policy hash in its metadata and manifest.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

require "signals" make_call_signals 4
require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
require "archive starts" start_archive
export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME"

# --- an invalid policy at start ----------------------------------------------------------------
BAD=$TOP/tests/policy/bad/04-undefined-purpose.yaml
want=$(sed -n '1s/^# expect: //p' "$BAD")
set_agent_policy "$BAD"
"$BUILD/callrec-agent" --user --config "$PKI/devices/desk1/agent.yaml" 2>"$T/bad-start.log" &
badpid=$!
wait $badpid
check "the agent refuses to start on an invalid policy (exit 1)" test $? -eq 1
check "and says where: $BAD:${want%%: *}" grep -qF "$BAD:${want%%: *}: " "$T/bad-start.log"

# --- a policy that does not match the application ---------------------------------------------------
POL=$T/policy.yaml
write_policy "$POL" MATCH='application: [baresip, linphone]'
require "agent starts with a valid policy" start_call_agent "$POL"
SHA1=$(sha256sum "$POL" | cut -d' ' -f1)
check "status names the policy by its hash" test "$(get_status_field 's["policy"]["sha256"]')" = "$SHA1"

check "unmatched application: the call runs" run_call "$T/cap1.wav"
check "the agent log says PASS for duplex" grep -q 'pid [0-9]* (duplex.*PASS (no rule matches)' "$T/agent.log"
check "no call was started" bash -c "! grep -q 'call [0-9a-f]* started' '$T/agent.log'"
sox -D "$T/cap1.wav" -t raw "$T/cap1.raw"
check "the unmatched application captured its audio bit-exactly (the slave itself)" \
	cmp -s -n "$(stat -c %s "$T/cap1.raw")" "$T/cap1.raw" "$T/a_capture.raw"
check "nothing in the spool" test -z "$(find "$XDG_STATE_HOME/callrec/spool" -type f 2>/dev/null)"
check "nothing in the archive" test -z "$(run_archive_as legal1 list --json 2>>"$T/cli.log")$(run_archive_as op1 list --json 2>/dev/null)"

# --- SIGHUP with an invalid policy keeps the previous one ------------------------------------------
cp "$POL" "$T/policy.good"
printf 'version: 1\npurposes:\n  x: {description: y}\nrules: []\nbogus: 1\n' >"$POL"
kill -HUP "$AGENT_PID"
check "an invalid reload is refused" wait_for grep -q 'policy reload failed; keeping the previous policy' "$T/agent.log"
check "with FILE:LINE:COL diagnostics in the log" grep -qE "^$POL:[0-9]+:[0-9]+: " "$T/agent.log"
check "the previous policy stays" test "$(get_status_field 's["policy"]["sha256"]')" = "$SHA1"

# --- SIGHUP with a policy that matches: recorded, with the purpose in the metadata ------------------
sed 's/application: \[baresip, linphone\]/application: [baresip, duplex]/' "$T/policy.good" >"$POL"
SHA2=$(sha256sum "$POL" | cut -d' ' -f1)
kill -HUP "$AGENT_PID"
check "a valid reload takes effect" wait_for test "$(get_status_field 's["policy"]["sha256"]')" = "$SHA2"
check "matched application: the call runs" run_call "$T/cap2.wav"
ID=$(OPERATOR=legal1 find_complete_call duplex 20)
check "the archive lists the recorded call ($ID)" test -n "$ID"
meta=$(sed -n "s/.*call $ID metadata: //p" "$T/agent.log")
note "CALL_OPEN metadata: $meta"
meta_has() { "$PY" -c 'import json,sys; m = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$meta" "$1"; }
check "metadata: purpose contract, legal basis contract" meta_has 'm["purpose"] == "contract" and m["legal_basis"] == "contract"'
check "metadata: retention 5y with a deadline 5 years after the start" \
	meta_has 'm["retention"].startswith("P") and int(m["retention_until"][:4]) - int(m["start"][:4]) == 5'
check "metadata: policy hash and rule" meta_has "m['policy_sha256'] == '$SHA2' and m['rule_index'] == 0"
check "metadata: access roles and notice" \
	meta_has 'm["access"] == ["legal"] and m["disclosure"]["mode"] == "notice" and m["disclosure"]["notice"].startswith("Terms")'
check "export the call" run_archive_as legal1 export --call "$ID" --out "$T/export"
MANIFEST=$T/export/$ID.manifest.json
man_has() { "$PY" -c 'import json,sys; m = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$MANIFEST" "$1" "$meta"; }
check "the exported manifest carries the purpose and legal basis" \
	man_has 'm.get("purpose") == "contract" and m.get("legal_basis") == "contract"'
check "the exported manifest carries the retention deadline, access roles and policy hash" \
	man_has "m.get('retention_until') == json.loads(sys.argv[3])['retention_until'] and m.get('access') == ['legal'] and m.get('policy_sha256') == '$SHA2'"
check "the exported manifest carries the disclosure notice" \
	man_has 'm.get("disclosure", {}).get("mode") == "notice" and m["disclosure"]["notice"].startswith("Terms")'
check "agent still running" kill -0 "$AGENT_PID"
