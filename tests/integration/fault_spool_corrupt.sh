#!/bin/bash
# A corrupt spool (SPEC 8). A 4 s call is recorded while the archive is down, so it stays in
# the agent's spool; the agent is stopped, one chunk file gets 4 audio bytes overwritten and
# another is truncated; then archive and agent start. Checks: the agent does not crash; it
# reports the truncated file (frame parse at start-up); the altered chunk is never stored (the
# archive recomputes the hash chain and refuses it); everything else of the call is stored
# exactly once; the archive keeps running. tests/faults/spool_corrupt_strict.sh asserts more
# (the agent checks hashes itself, never sends the altered chunk, and closes the call with a
# gap): it fails until the agent does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../faults/common.sh"

pki_setup || { not_ok "pki setup"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
call_setup 4 || { not_ok "signals and ALSA set-up"; exit 1; }
duplex_start
wait "$DUPLEX_PID"
check "the call ran with the archive down" test $? = 0
SPOOL=$XDG_STATE_HOME/callrec/spool
for _ in $(seq 1 40); do grep -q 'ended:' "$T/agent.log" && break; sleep 0.25; done
stop_pid "$AGENT_PID"
CALL=$(basename "$(find "$SPOOL" -mindepth 1 -maxdepth 1 -type d | head -1)")
note "spooled call $CALL: $(ls "$SPOOL/$CALL" | tr '\n' ' ')"
check "the whole call is in the spool (open, 5 chunks, close)" test -e "$SPOOL/$CALL/6.frame"
printf '\xff\x7f\x00\x80' | dd of="$SPOOL/$CALL/2.frame" bs=1 seek=300 conv=notrunc status=none
truncate -s -100 "$SPOOL/$CALL/3.frame"
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts on a corrupt spool"; exit 1; }
for _ in $(seq 1 40); do index "SELECT COUNT(*) FROM chunks" | grep -q '^[2-9]' && break; sleep 0.25; done
sleep 1
check "the agent survives its corrupt spool" kill -0 "$AGENT_PID"
check "the agent reports the truncated spool file" \
	grep -q "spool: .*$CALL/3.frame is not a valid frame" "$T/agent.log"
check "the archive refused the altered chunk (hash chain)" \
	grep -q "call $CALL seq 2: hash chain does not verify" "$T/archived.log"
stored() { index "SELECT group_concat(seq) FROM (SELECT seq FROM chunks WHERE call_id = x'$CALL' ORDER BY seq)"; }
note "stored chunks of $CALL: $(stored)"
check "the altered and the truncated chunk are not stored; 1, 4 and 5 are" test "$(stored)" = "1,4,5"
check "no chunk stored twice" test "$(index "SELECT COUNT(*) - COUNT(DISTINCT seq) FROM chunks")" = 0
check "the archive keeps running" kill -0 "$ARCHIVED_PID"
