#!/bin/bash
# Softphone killed mid-call: everything that passed the plugin is archived. duplex
# (the softphone stand-in) plays B and captures A through `type callrec` over paced slaves; it
# is killed with -9 after about 4 s. The agent still holds the rings (memfd) and drains them;
# the call closes after the grace period. The archived call must carry, on channel 2, what
# reached the playback slave (the reference: every byte that passed the plugin) with its
# length within one chunk (1 s), channel 1 must be A, and no chunk is stored twice.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"

start_fleet_call 10 4
kill -9 "$DUPLEX_PID"
wait "$DUPLEX_PID" 2>/dev/null
PLAYED=$(get_played_seconds)
note "duplex killed with -9 after ${PLAYED}s of playback"
check "the softphone died mid-call (less than the 10 s played)" awk "BEGIN{exit !($PLAYED < 9)}"
check "the archive lists the call complete within 20 s" wait_complete_call duplex 20
check "export the call" export_call
sox -D -t raw -r 48000 -c 2 -b 16 -e signed-integer "$T/play_out.raw" "$T/played.wav"
SECS=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived ${SECS}s, played through the plugin ${PLAYED}s"
check "the archived length is what passed the plugin, within one chunk" \
	awk "BEGIN{d = $SECS - $PLAYED; exit !(d >= -1 && d <= 1)}"
check "channel 2 is what passed the plugin to the slave" \
	correlate "ch2 vs played" "$WAV" 2 "$T/played.wav" 0 --min 0.99
# The capture thread runs a period or so behind playback: the last ~0.1 s of channel 1 is
# the agent's lag silence (frames the capture side never moved). Compare up to 0.25 s before
# the end.
sox -D "$WAV" "$T/ch_head.wav" trim 0 "$(awk "BEGIN{print $SECS - 0.25}")"
check "channel 1 is what was captured (A), up to the capture side's last period" \
	correlate "ch1 vs A" "$T/ch_head.wav" 1 "$T/a.wav" 0 --min 0.99
check "no chunk stored twice, none missing" verify_chunks_once "$ID"
check "agent still running" kill -0 "$AGENT_PID"
