#!/bin/bash
# Disclosure by announcement end to end, with the real plugin: when the call
# starts, what the application captures (what the other party hears) is the announcement,
# replacing the microphone until it ends, then the microphone again, unchanged; with
# also_local the user hears it too (it is mixed into the playback); the announcement is in the
# recording, and the close metadata lists when it actually played.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

ANN=$BUILD/announcements/en-contract.wav
ALEN=$(soxi -D "$ANN")
SECS=$(awk "BEGIN{printf \"%d\", $ALEN + 4.5}")
make_speech "$T/a.wav" "$SECS" "Hello, this is Alice from sales. I agree to the offer, we will deliver on Monday at ten in the morning, and the price is final. The invoice follows by mail, payment within thirty days, and the warranty is two years from delivery. Thank you, goodbye." || exit 1
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1
# The remote party is silent: what the playback slave gets is the local announcement alone.
sox -D -n -r 48000 -c 2 -b 16 "$T/b.wav" trim 0 "$SECS" || exit 1
sox -D "$ANN" -r 48000 -c 1 "$T/ann48.wav" || exit 1
note "announcement $ALEN s, call $SECS s"

require "pki setup" setup_pki
require "operator legal1" add_operator legal1 legal
require "archive starts" start_archive
write_policy "$T/policy.yaml" \
	DISCLOSURE='mode: announce, announcement: en-contract.wav, also_local: true'
require "agent starts" start_call_agent "$T/policy.yaml"
check "the call runs" run_call "$T/cap.wav"

sox -D "$T/cap.wav" "$T/cap_head.wav" trim 0 "$ALEN"
sox -D "$T/a.wav" "$T/a_head.wav" trim 0 "$ALEN"
check "the other party hears the announcement first (ncc > 0.9)" \
	correlate "captured head vs announcement" "$T/cap_head.wav" 1 "$T/ann48.wav" 1 --max-lag-ms 300 --min 0.9
LAG=$CORR_LAG_MS
silent_before() { # what the application captured before the announcement began is silence
	"$PY" -c '
import array, sys, wave
w = wave.open(sys.argv[1]); x = array.array("h", w.readframes(w.getnframes()))
n = int(round(float(sys.argv[2]) * 48)) * 2
print("# %d frames before the announcement, peak %d" % (n // 2, max([abs(v) for v in x[:n]] or [0])))
sys.exit(0 if n >= 0 and all(v == 0 for v in x[:n]) else 1)' "$T/cap.wav" "${LAG:-x}"
}
check "nothing of the microphone before it (silence until it is queued)" silent_before
check "and none of the microphone while it plays" \
	is_below_min correlate "captured head vs microphone" "$T/cap_head.wav" 1 "$T/a_head.wav" 1 --max-lag-ms 300 --min 0.3
sox -D "$T/cap.wav" "$T/cap_tail.wav" trim "$(awk "BEGIN{print $ALEN + 0.3}")"
sox -D "$T/a.wav" "$T/a_tail.wav" trim "$(awk "BEGIN{print $ALEN + 0.3}")"
check "after it, the microphone passes unchanged" \
	correlate "captured tail vs microphone" "$T/cap_tail.wav" 1 "$T/a_tail.wav" 1 --max-lag-ms 5 --min 0.999
sox -D -t raw -r 48000 -c 2 -b 16 -e signed "$T/play_out.raw" "$T/play_out.wav"
check "also_local: the user hears it in the playback (ncc > 0.9)" \
	correlate "playback vs announcement" "$T/play_out.wav" 1 "$T/ann48.wav" 1 --max-lag-ms 300 --min 0.9

ID=$(OPERATOR=legal1 find_complete_call duplex 20)
check "the call is archived ($ID)" test -n "$ID"
check "export it" run_archive_as legal1 export --call "$ID" --out "$T/export"
# The recording begins with the announcement: its first 3 s (the whole of it is compared
# by ear in the demo; long-call alignment is the timeline's own test).
sox -D "$T/export/$ID.wav" "$T/rec_head.wav" trim 0 3
sox -D "$T/ann48.wav" "$T/ann_head.wav" trim 0 3
check "the recording's local channel begins with the announcement (ncc > 0.9)" \
	correlate "recorded ch1 vs announcement" "$T/rec_head.wav" 1 "$T/ann_head.wav" 1 --max-lag-ms 500 --min 0.9
close=$(get_close_metadata "$ID")
note "close metadata: $close"
events_ok() {
	"$PY" -c '
import json, sys
m = json.loads(sys.argv[1]); alen = float(sys.argv[2]) * 1000
ev = m["disclosure"]["events"]
print("# events:", ev)
sys.exit(0 if m["disclosure"]["mode"] == "announce" and len(ev) == 1 and ev[0]["kind"] == "announce"
         and ev[0]["start_ms"] < 500 and abs(ev[0]["length_ms"] - alen) < 50 else 1)' "$close" "$ALEN"
}
check "the metadata lists one announce event at the start, as long as the announcement" events_ok
check "the exported manifest has the same disclosure events" "$PY" -c '
import json, sys
m = json.load(open(sys.argv[1])); c = json.loads(sys.argv[2])
sys.exit(0 if m.get("disclosure", {}).get("events") == c["disclosure"]["events"] else 1)' \
	"$T/export/$ID.manifest.json" "$close"
check "agent still running" kill -0 "$AGENT_PID"
