#!/bin/bash
# A chunk altered in the spool is caught by the agent itself (SPEC 8, docs/faults.md
# "fault_spool_corrupt"). A 4 s call is spooled with the archive down; the agent stops; 4 audio
# bytes of chunk 2 are overwritten; archive and agent start. The agent recomputes the chunk's
# hash when it scans the spool, reports it, never sends it, keeps it as 2.frame.corrupt and
# closes the call with seq 2 in "evicted_seqs" and a gap {cause "corrupt"}: the archive
# completes the call with the other chunks.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../faults/common.sh"

pki_setup || { not_ok "pki setup"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
call_setup 4 || { not_ok "signals and ALSA set-up"; exit 1; }
duplex_start
wait "$DUPLEX_PID"
SPOOL=$XDG_STATE_HOME/callrec/spool
for _ in $(seq 1 40); do grep -q 'ended:' "$T/agent.log" && break; sleep 0.25; done
stop_pid "$AGENT_PID"
CALL=$(basename "$(find "$SPOOL" -mindepth 1 -maxdepth 1 -type d | head -1)")
note "spooled call $CALL: $(ls "$SPOOL/$CALL" | tr '\n' ' ')"
check "the call is spooled with chunk 2" test -e "$SPOOL/$CALL/2.frame"
printf '\xff\x7f\x00\x80' | dd of="$SPOOL/$CALL/2.frame" bs=1 seek=300 conv=notrunc status=none
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
state() { archive_cli list --json 2>/dev/null | grep "\"$CALL\"" | grep -o '"state":"[a-z]*"'; }
for _ in $(seq 1 60); do [ "$(state)" = '"state":"complete"' ] && break; sleep 0.25; done
check "the call is complete in the archive" test "$(state)" = '"state":"complete"'
check "the agent did not send the altered chunk" \
	bash -c "! grep -q 'call $CALL seq 2' '$T/archived.log'"
check "the agent reported the altered chunk" \
	grep -q "spool: .*$CALL/2.frame is corrupt (hash does not verify)" "$T/agent.log"
check "the altered chunk is kept for inspection as 2.frame.corrupt" \
	test -e "$SPOOL/$CALL/2.frame.corrupt"
# the close's ACK reaches the agent just after the archive commits it
for _ in $(seq 1 20); do [ "$(ls "$SPOOL/$CALL")" = 2.frame.corrupt ] && break; sleep 0.25; done
check "nothing else of the call is left in the spool" \
	test "$(ls "$SPOOL/$CALL")" = 2.frame.corrupt
stored() { index "SELECT group_concat(seq) FROM (SELECT seq FROM chunks WHERE call_id = x'$CALL' ORDER BY seq)"; }
check "chunks 1, 3, 4 and 5 are stored, 2 is not" test "$(stored)" = "1,3,4,5"
CLOSE=$(index "SELECT close_json FROM calls WHERE id = x'$CALL'")
note "close: $CLOSE"
check "the close lists seq 2 as lost" grep -q '"evicted_seqs":\[2\]' <<<"$CLOSE"
check "the close has a gap \"corrupt\" on both channels at chunk 2's place" \
	"$PY" -c '
import json, sys
g = [x for x in json.loads(sys.argv[1])["gaps"] if x["cause"] == "corrupt"]
sys.exit(not (sorted(x["channel"] for x in g) == [1, 2] and
	      all(x["start_ms"] == 1000 and x["length_ms"] == 1000 for x in g)))' "$CLOSE"
check "the agent keeps running" kill -0 "$AGENT_PID"
