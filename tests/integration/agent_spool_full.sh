#!/bin/bash
# The spool's size cap while the archive is down. agent.yaml caps the spool
# at 200 KiB (about three 1 s chunks of 16 kHz stereo); a 10 s call is made with no archive.
# What fits is spooled; after that new audio is not spooled and the call's manifest lists the
# rest as a gap with cause "spool_full" on both channels (silence of that length in the WAV,
# never closed up). When the archive comes, the spool drains and the call completes. The
# heartbeat counts the refused chunks.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"
SECS=10

sox -V1 -n -r 48000 -c 2 -b 16 "$T/a.wav" synth $SECS pinknoise sinc -2000 vol 0.5 || exit 1
sox -V1 -n -r 48000 -c 2 -b 16 "$T/b.wav" synth $SECS pinknoise sinc -2000 vol 0.5 || exit 1
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1

require "pki setup" setup_pki
printf 'spool:\n  max_bytes: 200K\n' >>"$PKI/devices/desk1/agent.yaml"
require "agent starts (no archive)" start_agent
add_call_pcms

check "a ${SECS} s call with the archive down" run_call "$T/captured.wav" --seconds $SECS
check "the call ends in the agent" wait_log "$T/agent.log" "call [0-9a-f]+ ended" 10
check "the agent says the spool is full" grep -q 'spool: full' "$T/agent.log"
SPOOL=$XDG_STATE_HOME/callrec/spool
used=$(du -sb --apparent-size "$SPOOL" 2>/dev/null | awk '{print $1}')
note "spool holds $used bytes (cap 204800)"
files=$(find "$SPOOL" -name '*.frame' | wc -l)
note "spooled frames: $files"
check "the spool stayed near its cap (at most cap + CALL_CLOSE + directory)" \
	awk "BEGIN{exit !($used <= 204800 + 16384)}"
check "audio was refused, not spooled (fewer than $SECS chunks)" test "$files" -lt $((SECS + 2))

require "archive starts" start_archive
require_complete_call "the call completes in the archive once it is back" duplex 30
check "export the call" export_call
secs=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: ${secs}s"
check "the recording keeps the call's length (gap kept as silence)" \
	awk "BEGIN{exit !($secs >= $SECS - 1 && $secs <= $SECS + 4)}"
spool_gaps() { get_manifest_gaps | "$PY" -c '
import json, sys
gaps = json.load(sys.stdin)
full = [g for g in gaps if g.get("cause") == "spool_full"]
print("# spool_full gaps:", full)
chans = {g.get("channel") for g in full}
total = {c: sum(g["length_ms"] for g in full if g.get("channel") == c) for c in chans}
print("# spool_full per channel (ms):", total)
sys.exit(0 if chans >= {1, 2} and all(t >= 4000 for t in total.values()) else 1)'
}
check "the manifest lists the refused audio as gaps \"spool_full\" on both channels (>= 4 s)" spool_gaps
silent_tail() { # the last second of the recording is silence on both channels
	local rms
	rms=$(sox "$WAV" -n trim $((SECS - 2)) 1 stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
	note "RMS of second $((SECS - 2)) to $((SECS - 1)): $rms"
	awk -v r="${rms:-1}" 'BEGIN{exit !(r < 0.001)}'
}
check "where the spool was full the recording is silence" silent_tail
sox -D "$WAV" "$T/head.wav" trim 0 2 && sox -D "$T/a.wav" "$T/a_head.wav" trim 0 2
check "before the spool filled the recording is the call's audio" \
	correlate "head of ch1 vs A" "$T/head.wav" 1 "$T/a_head.wav" 0 --min 0.9
wait_for is_spool_empty
check "the spool drained" is_spool_empty

beat() {
	get_device_heartbeat desk1 | "$PY" -c '
import json, sys
h = json.loads(sys.stdin.read())
print("# heartbeat spool:", h.get("spool"))
s = h.get("spool", {})
sys.exit(0 if s.get("refused_chunks", 0) >= 4 and s.get("refused_seconds", 0) >= 4 and s.get("max_bytes") == 204800 else 1)'
}
check "the heartbeat reports the refused chunks and the cap" beat
check "agent still running" kill -0 "$AGENT_PID"
