#!/bin/bash
# The two directions of a call stay aligned when the playback device's clock
# runs 0.1% fast (rawfile slave `rate_scale 1.001`: it consumes 48048 frames per second of
# CLOCK_MONOTONIC) and the capture device's runs at exactly 48 kHz.
#
# One noise signal X(t) is "said" and "heard" at the same real moments: the capture slave plays
# X sampled at 48000 Hz, the application plays X sampled at 48048 Hz to the fast playback
# device, so both directions carry X at real time t. In the archived call, channel 1 and
# channel 2 must then line up (wavxcorr of one against the other) within 20 ms in the first and
# in the second half, and in every 3 s window. Uncorrected, the playback channel would slip
# 1 ms per second (36 ms by the end); as a check that the device really ran fast, channel 2
# against the nominal-rate file drifts by about that much between the halves.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
SECS=${AGENT_DRIFT_SECS:-36} # tests/soak/agent_drift_soak.sh runs it for longer
HALF=$((SECS / 2))

sox -V1 -n -r 48000 -c 1 -b 16 "$T/x_mono.wav" synth $((SECS + 2)) pinknoise sinc -2000 vol 0.5 || exit 1
sox -V1 -D "$T/x_mono.wav" -c 2 "$T/x.wav" || exit 1
# What the capture device delivers: X at 48 kHz (plus a second of slack for its read-ahead).
sox -D "$T/x.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1
# What the application plays: X at 48048 Hz, labelled 48 kHz, for the fast device.
sox -V1 -D "$T/x.wav" -r 48048 -t raw "$T/b.raw" || exit 1
sox -V1 -D -t raw -r 48000 -e signed -b 16 -c 2 "$T/b.raw" "$T/b.wav" || exit 1

require "pki setup" setup_pki
require "archive starts" start_archive
require "agent starts" start_agent
add_call_pcms "rate_scale 1.001"

check "a ${SECS} s call through the plugin, playback device 0.1% fast" \
	run_call "$T/captured.wav" --seconds "$SECS"

require_complete_call "the archive has the complete call" duplex 30
check "export the call" export_call
secs=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: ${secs}s"
check "the recording lasts the call" awk "BEGIN{exit !($secs >= $SECS - 1 && $secs <= $SECS + 4)}"

sox -D "$WAV" "$T/h1.wav" trim 0 "$HALF" && sox -D "$WAV" "$T/h2.wav" trim "$HALF" "$HALF" || exit 1
xc() { correlate "wavxcorr $*" "$@" --max-lag-ms 300; }
within() { awk -v v="$1" -v t="$2" 'BEGIN{exit !(v != "" && v >= -t && v <= t)}'; }

check "first half: channel 2 matches channel 1" xc "$T/h1.wav" 1 "$T/h1.wav" 2 --min 0.4
L1=$CORR_LAG_MS
check "second half: channel 2 matches channel 1" xc "$T/h2.wav" 1 "$T/h2.wav" 2 --min 0.4
L2=$CORR_LAG_MS
note "channel 1 relative to channel 2: ${L1:-?} ms in the first half, ${L2:-?} ms in the second"
check "first half: the directions are aligned within 20 ms" within "${L1:-}" 20
check "second half: the directions are aligned within 20 ms" within "${L2:-}" 20
# Closer: 3 s windows over the whole call (the lag within one window is constant, so the
# correlation is high and the lag exact).
worst=0 bad=0
for w in $(seq 0 3 $((SECS - 3))); do
	sox -D "$WAV" "$T/w.wav" trim "$w" 3 || bad=1
	correlate "window ${w}-$((w + 3)) s" "$T/w.wav" 1 "$T/w.wav" 2 --max-lag-ms 300 --min 0.4 || bad=1
	l=$CORR_LAG_MS
	within "${l:-}" 20 || bad=1
	worst=$(awk -v a="$worst" -v b="${l:-999}" 'BEGIN{if (b < 0) b = -b; print (b > a) ? b : a}')
done
check "every 3 s window: the directions are aligned within 20 ms (worst ${worst} ms)" test "$bad" = 0

# The device really ran fast: against the nominal-rate file, channel 2 moves between the halves
# (what was heard came 0.1% faster than the file says: 1 ms per second).
sox -D "$T/b.wav" "$T/b1.wav" trim 0 "$HALF" && sox -D "$T/b.wav" "$T/b2.wav" trim "$HALF" "$HALF"
xc "$T/h1.wav" 2 "$T/b1.wav" 0 --min 0.5; P1=$CORR_LAG_MS
xc "$T/h2.wav" 2 "$T/b2.wav" 0 --min 0.5; P2=$CORR_LAG_MS
note "channel 2 against the nominal-rate file: ${P1:-?} ms, then ${P2:-?} ms"
# Each half spans HALF ms of slip; the two picks lie between HALF/2 and 2 HALF ms apart.
check "the playback clock ran 0.1% fast (channel 2 drifts against the file)" \
	awk -v a="${P1:-0}" -v b="${P2:-0}" -v h="$HALF" \
	'BEGIN{d = a - b; if (d < 0) d = -d; exit !(d >= h / 2 && d <= 2 * h + 4)}'
grep -E "TLS|measured|drift" "$T/agent.log" | head -5 | sed 's/^/# /'
check "agent still running" kill -0 "$AGENT_PID"
