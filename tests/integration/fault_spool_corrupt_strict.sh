#!/bin/bash
# A chunk altered in the spool is caught by the agent itself (docs/faults.md
# "fault_spool_corrupt"). A 4 s call is spooled with the archive down; the agent stops; 4 audio
# bytes of chunk 2 are overwritten; archive and agent start. The agent recomputes the chunk's
# hash when it scans the spool, reports it, never sends it, keeps it as 2.frame.corrupt and
# closes the call with seq 2 in "evicted_seqs" and a gap {cause "corrupt"}: the archive
# completes the call with the other chunks.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"

require "a call spooled while the archive is down" spool_call_offline 4
check "the call is spooled with chunk 2" test -e "$SPOOL/$CALL/2.frame"
printf '\xff\x7f\x00\x80' | dd of="$SPOOL/$CALL/2.frame" bs=1 seek=300 conv=notrunc status=none
require "archive starts" start_archive
require "agent starts" start_agent
check "the call is complete in the archive" wait_call_state "$CALL" complete 15
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
check "chunks 1, 3, 4 and 5 are stored, 2 is not" test "$(get_stored_seqs "$CALL")" = "1,3,4,5"
CLOSE=$(query_index "SELECT close_json FROM calls WHERE id = x'$CALL'")
note "close: $CLOSE"
check "the close lists seq 2 as lost" grep -q '"evicted_seqs":\[2\]' <<<"$CLOSE"
check "the close has a gap \"corrupt\" on both channels at chunk 2's place" \
	"$PY" -c '
import json, sys
g = [x for x in json.loads(sys.argv[1])["gaps"] if x["cause"] == "corrupt"]
sys.exit(not (sorted(x["channel"] for x in g) == [1, 2] and
	      all(x["start_ms"] == 1000 and x["length_ms"] == 1000 for x in g)))' "$CLOSE"
check "the agent keeps running" kill -0 "$AGENT_PID"
