#!/bin/bash
# Agent killed (-9) mid-call. A duplex call runs through the plugin; after ~3 s the
# agent is killed and restarted at once. What this checks (what works today):
#   - what the agent had spooled before it died is archived: the call's audio up to the kill,
#     channel 2 matching what passed the plugin to the playback slave;
#   - the restarted agent closes the interrupted call at once from its spool, with the gap
#     in the manifest (cause "agent", its length), and the spool drains;
#   - the softphone is not disturbed: the call plays to its end, bit-exact on the slave;
#   - no chunk stored twice.
# The rest of the call, recorded again once the plugin has reconnected, is a separate call
# (tests/integration/fault_agent_resume.sh); this script looks at the interrupted one (the
# first listed).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"

start_fleet_call 8
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
KILLED_AT=$(get_played_seconds)
require "agent restarts" start_agent
note "agent killed at ${KILLED_AT}s of the call and restarted"
wait "$DUPLEX_PID"
check "the softphone finished its call undisturbed" test $? = 0
check "the playback slave received the whole of B bit-exactly" has_prefix_then_zeros "$T/b.raw" "$T/play_out.raw"
check "the interrupted call is complete in the archive within 10 s" wait_complete_call duplex 10
run_archive_cli list --json 2>>"$T/cli.log" | grep "\"$ID\"" >"$T/call.json"
gaps() { "$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
g = [x for x in c["gaps"] if x.get("cause") == "agent"]
print(len(g), min([x["length_ms"] for x in g] or [0]), c["seconds"])' "$T/call.json"; }
read -r NGAPS GAPLEN SECS <<<"$(gaps)"
note "call $ID: ${SECS}s archived, $NGAPS agent gaps, shortest ${GAPLEN} ms"
check "the manifest lists the agent gap with its length" \
	test "$NGAPS" -ge 1 -a "$GAPLEN" -gt 0
check "export the call" export_call
SECS=$(soxi -D "$WAV")
check "what was spooled before the kill is archived (within one chunk of the kill)" \
	awk "BEGIN{d = $KILLED_AT - $SECS; exit !(d >= 0 && d <= 1.5)}"
# Channel 2 before the gap against what passed the plugin.
GAP_START=$("$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(min(x["start_ms"] for x in c["gaps"] if x.get("cause") == "agent") / 1000)' "$T/call.json")
sox -D "$WAV" "$T/before.wav" trim 0 "$GAP_START"
sox -D -t raw -r 48000 -c 2 -b 16 -e signed-integer "$T/play_out.raw" "$T/played.wav"
check "channel 2 up to the gap is what passed the plugin" \
	correlate "ch2 before the gap vs played" "$T/before.wav" 2 "$T/played.wav" 0 --min 0.99
check "no chunk stored twice, none missing" verify_chunks_once "$ID"
# The resumed call (recorded again after the restart) is spooled too until it closes, 3 s after
# the softphone's streams.
wait_for is_spool_empty
check "the restarted agent drained its spool" is_spool_empty
