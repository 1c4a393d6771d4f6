#!/bin/bash
# Agent killed (-9) mid-call (SPEC 8). A duplex call runs through the plugin; after ~3 s the
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
. "$(dirname "$0")/../faults/common.sh"

pki_setup || { not_ok "pki setup"; exit 1; }
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
call_setup 8 || { not_ok "signals and ALSA set-up"; exit 1; }
duplex_start
wait_played 3 || not_ok "the call is under way"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
KILLED_AT=$(played_seconds)
start_agent || { not_ok "agent restarts"; exit 1; }
note "agent killed at ${KILLED_AT}s of the call and restarted"
wait "$DUPLEX_PID"
check "the softphone finished its call undisturbed" test $? = 0
prefix_equal() { # EXPECTED ACTUAL: ACTUAL starts with EXPECTED, then only zeros
	local n
	n=$(stat -c %s "$1")
	cmp -s -n "$n" "$1" "$2" || return 1
	tail -c +$((n + 1)) "$2" | tr -d '\0' | cmp -s - /dev/null
}
sox -D "$T/b.wav" -t raw "$T/b.raw"
check "the playback slave received the whole of B bit-exactly" prefix_equal "$T/b.raw" "$T/play_out.raw"
check "the interrupted call is complete in the archive within 10 s" wait_call_complete 10
archive_cli list --json 2>>"$T/cli.log" | grep "\"$ID\"" >"$T/call.json"
gaps() { "$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
g = [x for x in c["gaps"] if x.get("cause") == "agent"]
print(len(g), min([x["length_ms"] for x in g] or [0]), c["seconds"])' "$T/call.json"; }
read -r NGAPS GAPLEN SECS <<<"$(gaps)"
note "call $ID: ${SECS}s archived, $NGAPS agent gaps, shortest ${GAPLEN} ms"
check "the manifest lists the agent gap with its length" \
	test "$NGAPS" -ge 1 -a "$GAPLEN" -gt 0
check "export the call" archive_cli export --call "$ID" --out "$T/export"
WAV=$T/export/$ID.wav
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
	xcorr "ch2 before the gap vs played" "$T/before.wav" 2 "$T/played.wav" 0 --min 0.99
check "no chunk stored twice, none missing" call_chunks_once "$ID"
SPOOL=$XDG_STATE_HOME/callrec/spool
spool_empty() { [ -z "$(find "$SPOOL" -type f 2>/dev/null)" ]; }
# The resumed call (recorded again after the restart) is spooled too until it closes, 3 s after
# the softphone's streams.
for _ in $(seq 1 40); do spool_empty && break; sleep 0.25; done
check "the restarted agent drained its spool" spool_empty
