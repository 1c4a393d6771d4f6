#!/bin/bash
# A corrupt spool. A 4 s call is recorded while the archive is down, so it stays in
# the agent's spool; the agent is stopped, one chunk file gets 4 audio bytes overwritten and
# another is truncated; then archive and agent start. Checks: the agent does not crash; it
# reports the truncated file (frame parse at start-up) and the altered one (hash recomputed at
# start-up), sends neither (so the archive never has to refuse them), and closes the call with
# both seqs as lost; everything else of the call is stored exactly once and the call completes;
# the archive keeps running. fault_spool_corrupt_strict.sh looks closer at the altered chunk.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"

require "a call spooled while the archive is down" spool_call_offline 4
check "the call ran with the archive down" test "$CALL_RC" = 0
check "the whole call is in the spool (open, 5 chunks, close)" test -e "$SPOOL/$CALL/6.frame"
printf '\xff\x7f\x00\x80' | dd of="$SPOOL/$CALL/2.frame" bs=1 seek=300 conv=notrunc status=none
truncate -s -100 "$SPOOL/$CALL/3.frame"
require "archive starts" start_archive
require "agent starts on a corrupt spool" start_agent
wait_call_state "$CALL" complete 15
check "the agent survives its corrupt spool" kill -0 "$AGENT_PID"
check "the agent reports the truncated spool file" \
	grep -q "spool: .*$CALL/3.frame is not a valid frame" "$T/agent.log"
check "the agent reports the altered chunk" \
	grep -q "spool: .*$CALL/2.frame is corrupt (hash does not verify)" "$T/agent.log"
check "the agent sent neither (the archive refused nothing)" \
	bash -c "! grep -q 'call $CALL seq [23]' '$T/archived.log'"
check "the call completes" test "$(get_call_state "$CALL")" = complete
CLOSE=$(query_index "SELECT close_json FROM calls WHERE id = x'$CALL'")
note "close: $CLOSE"
check "its close lists seqs 2 and 3 as lost" grep -q '"evicted_seqs":\[2,3\]' <<<"$CLOSE"
note "stored chunks of $CALL: $(get_stored_seqs "$CALL")"
check "the altered and the truncated chunk are not stored; 1, 4 and 5 are" test "$(get_stored_seqs "$CALL")" = "1,4,5"
check "no chunk stored twice" test "$(query_index "SELECT COUNT(*) - COUNT(DISTINCT seq) FROM chunks")" = 0
check "the archive keeps running" kill -0 "$ARCHIVED_PID"
