#!/bin/bash
# A corrupt spool (SPEC 8). A 4 s call is recorded while the archive is down, so it stays in
# the agent's spool; the agent is stopped, one chunk file gets 4 audio bytes overwritten and
# another is truncated; then archive and agent start. Checks: the agent does not crash; it
# reports the truncated file (frame parse at start-up) and the altered one (hash recomputed at
# start-up), sends neither (so the archive never has to refuse them), and closes the call with
# both seqs as lost; everything else of the call is stored exactly once and the call completes;
# the archive keeps running. fault_spool_corrupt_strict.sh looks closer at the altered chunk.
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
state() { index "SELECT state FROM calls WHERE id = x'$CALL'"; }
for _ in $(seq 1 60); do [ "$(state)" = complete ] && break; sleep 0.25; done
check "the agent survives its corrupt spool" kill -0 "$AGENT_PID"
check "the agent reports the truncated spool file" \
	grep -q "spool: .*$CALL/3.frame is not a valid frame" "$T/agent.log"
check "the agent reports the altered chunk" \
	grep -q "spool: .*$CALL/2.frame is corrupt (hash does not verify)" "$T/agent.log"
check "the agent sent neither (the archive refused nothing)" \
	bash -c "! grep -q 'call $CALL seq [23]' '$T/archived.log'"
check "the call completes" test "$(state)" = complete
CLOSE=$(index "SELECT close_json FROM calls WHERE id = x'$CALL'")
note "close: $CLOSE"
check "its close lists seqs 2 and 3 as lost" grep -q '"evicted_seqs":\[2,3\]' <<<"$CLOSE"
stored() { index "SELECT group_concat(seq) FROM (SELECT seq FROM chunks WHERE call_id = x'$CALL' ORDER BY seq)"; }
note "stored chunks of $CALL: $(stored)"
check "the altered and the truncated chunk are not stored; 1, 4 and 5 are" test "$(stored)" = "1,4,5"
check "no chunk stored twice" test "$(index "SELECT COUNT(*) - COUNT(DISTINCT seq) FROM chunks")" = 0
check "the archive keeps running" kill -0 "$ARCHIVED_PID"
