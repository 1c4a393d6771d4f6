#!/bin/bash
# Acceptance test, NOT in `make check` yet (fails until the agent verifies spooled chunks):
# a spooled chunk whose audio was altered must be detected by the agent itself (hash
# recomputed on load or before sending), reported, never sent, and the call closed with a gap
# for it, so that the rest of the call is archived complete.
#   BUILD=$PWD/build bash tests/faults/spool_corrupt_strict.sh
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

pki_setup || { not_ok "pki setup"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
call_setup 4 || { not_ok "signals and ALSA set-up"; exit 1; }
duplex_start
wait "$DUPLEX_PID"
SPOOL=$XDG_STATE_HOME/callrec/spool
for _ in $(seq 1 40); do grep -q 'ended:' "$T/agent.log" && break; sleep 0.25; done
stop_pid "$AGENT_PID"
CALL=$(basename "$(find "$SPOOL" -mindepth 1 -maxdepth 1 -type d | head -1)")
printf '\xff\x7f\x00\x80' | dd of="$SPOOL/$CALL/2.frame" bs=1 seek=300 conv=notrunc status=none
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
sleep 6
check "the agent did not send the altered chunk" \
	bash -c "! grep -q 'call $CALL seq 2: hash chain' '$T/archived.log'"
check "the agent reported the altered chunk" grep -qi "$CALL.*2.*\(hash\|corrupt\)" "$T/agent.log"
state() { archive_cli list --json 2>/dev/null | grep "\"$CALL\"" | grep -o '"state":"[a-z]*"'; }
check "the call is complete in the archive, with a gap for the chunk" \
	test "$(state)" = '"state":"complete"'
