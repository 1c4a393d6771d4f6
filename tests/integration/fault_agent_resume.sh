#!/bin/bash
# Agent killed (-9) mid-call, recording resumes. A 10 s duplex call; the
# agent is killed at ~3 s and restarted at once. The plugin's control thread notices the
# hang-up, reconnects to the restarted agent every 250 ms with the stream's HELLO and switches
# the stream to the new ring (plugin/reconnect.h). What this checks:
#   - the interrupted call is closed with a gap of cause "agent" in its manifest;
#   - the rest of the call is a new call of the same application (docs/faults.md) that holds
#     all but at most 2 s of the audio played after the agent was back;
#   - its channel 2 is what passed the plugin after the restart;
#   - over both calls, >= 7 s of the 10 s call are archived; the softphone is undisturbed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"

CALL=10
start_fleet_call $CALL
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
require "agent restarts" start_agent
BACK_AT=$(get_played_seconds) # the agent is listening again (start_agent waited for it)
note "agent killed at ~3 s of the call, back at ${BACK_AT}s"
wait "$DUPLEX_PID"
check "the softphone finished its call undisturbed" test $? = 0

# Both calls complete: the interrupted one at once, the resumed one when duplex closed.
calls_of_duplex() {
	run_archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
cs = [c for c in map(json.loads, filter(str.strip, sys.stdin))
      if c.get("application") == "duplex" and c.get("state") == "complete"]
for c in cs:
    agent = [g for g in c.get("gaps") or [] if g.get("cause") == "agent"]
    print(c["id"], c["seconds"] or 0, len(agent))'
}
for _ in $(seq 1 60); do
	calls_of_duplex >"$T/calls.txt"
	[ "$(wc -l <"$T/calls.txt")" -ge 2 ] && break
	sleep 0.25
done
sed 's/^/# call /' "$T/calls.txt"
check "two complete calls of the application: interrupted and resumed" \
	test "$(wc -l <"$T/calls.txt")" = 2
read -r OLD OLD_SECS OLD_GAPS <<<"$(awk '$3 > 0' "$T/calls.txt" | head -1)"
read -r NEW NEW_SECS NEW_GAPS <<<"$(awk '$3 == 0' "$T/calls.txt" | head -1)"
check "the interrupted call's manifest ends with the gap of cause agent" \
	test -n "$OLD" -a "${OLD_GAPS:-0}" -ge 1
check "the resumed call is a separate call without an agent gap" test -n "$NEW"
note "resumed call: ${NEW_SECS}s of the $(awk "BEGIN{print $CALL - $BACK_AT}")s played after the restart"
check "recording resumed within 2 s of the agent's restart" \
	awk "BEGIN{exit !(${NEW_SECS:-0} >= $CALL - $BACK_AT - 2)}"
check "over both calls >= 7 s of the 10 s call archived" \
	awk "BEGIN{exit !(${OLD_SECS:-0} + ${NEW_SECS:-0} >= 7)}"
check "export the resumed call" export_call "$NEW"
sox -D -t raw -r 48000 -c 2 -b 16 -e signed-integer "$T/play_out.raw" "$T/played.wav"
# The resumed streams start at frame positions that are not multiples of 3, so the agent's
# 16 kHz grid sits at a phase of the 48 kHz audio that wavxcorr's integer lags never reach
# (ncc 0.98 instead of 0.9999 for identical audio): compare with the reference at each phase.
correlate_phases() { # NAME WAV CHANNEL REF REF_CHANNEL: the best of the three 48 kHz phases
	local k
	for k in 0 1 2; do
		sox -D "$4" "$T/phase$k.wav" trim "${k}s"
		correlate "$1 (phase $k/3)" "$2" "$3" "$T/phase$k.wav" "$5" --max-lag-ms 6000 \
			--min 0.99 && return 0
	done
	return 1
}
check "channel 1 of the resumed call is what the application captured after the restart" \
	correlate_phases "resumed ch1 vs captured" "$WAV" 1 "$T/captured.wav" 0
check "channel 2 of the resumed call is what passed the plugin after the restart" \
	correlate_phases "resumed ch2 vs played" "$WAV" 2 "$T/played.wav" 0
check "the resumed call's chunks stored once" verify_chunks_once "$NEW"
