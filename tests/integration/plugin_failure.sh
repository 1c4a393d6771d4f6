#!/bin/bash
# Failure behaviour (docs/plugin.md): `require_agent yes` with no agent answering at
# open applies the PCM's `on_failure`: continue passes audio through untouched, block hands a
# capturing application silence, tone adds the failure tone (2 x 200 ms of 425 Hz at -20 dBFS
# every 5 s) to what the user hears. Without require_agent, on_failure changes nothing.
# And an agent that stops (SIGSTOP) mid-stream never changes the application's timing: frames
# are dropped and counted, and the agent sees the gap once it runs again.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
NOAGENT="agent \"$T/no/such/agent.sock\""

head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/src.raw"
add_alsa_conf "
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.cont_play { type callrec slave.pcm \"raw_play\" $NOAGENT require_agent yes on_failure continue }
pcm.cont_cap { type callrec slave.pcm \"raw_cap\" $NOAGENT require_agent yes }
pcm.block_play { type callrec slave.pcm \"raw_play\" $NOAGENT require_agent yes on_failure block }
pcm.block_cap { type callrec slave.pcm \"raw_cap\" $NOAGENT require_agent yes on_failure block }
pcm.tone_play { type callrec slave.pcm \"raw_play\" $NOAGENT require_agent yes on_failure tone }
pcm.tone_cap { type callrec slave.pcm \"raw_cap\" $NOAGENT require_agent yes on_failure tone }
pcm.optional_cap { type callrec slave.pcm \"raw_cap\" $NOAGENT require_agent no on_failure block }
pcm.agent_block_cap { type callrec slave.pcm \"raw_cap\" agent \"$T/agent.sock\" require_agent yes on_failure block }
pcm.bad_play { type callrec slave.pcm \"raw_play\" $NOAGENT on_failure sometimes }
pcm.paced_slave { type rawfile file \"$T/play.raw\" pace yes }
pcm.paced_tap { type callrec slave.pcm \"paced_slave\" agent \"$T/agent.sock\" }
"

# play PCM FMT CH RATE FLAGS: aplay in.raw into play.raw.
play() { rm -f "$T/play.raw"; aplay -q $5 -D "$1" -t raw -f "$2" -c "$3" -r "$4" "$T/in.raw" 2>>"$T/alsa.log"; }
# capture PCM FRAMES FLAGS: arecord S16_LE stereo 48 kHz into got.raw.
capture() { rm -f "$T/got.raw"; arecord -q $3 -D "$1" -t raw -f S16_LE -c 2 -r 48000 -s "$2" "$T/got.raw" 2>>"$T/alsa.log"; }

head -c $((48000 * 4)) "$T/src.raw" >"$T/in.raw"
N=$((48000 * 4))

# continue (explicit and by default): both directions bit-exact.
play cont_play S16_LE 2 48000 "" && cmp -s -n $N "$T/play.raw" "$T/in.raw"
check "continue: playback bit-exact" [ $? -eq 0 ]
capture cont_cap 48000 -M && cmp -s "$T/got.raw" <(head -c $N "$T/src.raw")
check "continue (default): capture bit-exact" [ $? -eq 0 ]

# block: capture is silence (RW and mmap), playback untouched.
for acc in "" -M; do
	capture block_cap 48000 "$acc" && [ "$(stat -c %s "$T/got.raw")" -eq $N ] &&
		cmp -s "$T/got.raw" <(head -c $N /dev/zero)
	check "block: capture ${acc:-RW} hands the application silence" [ $? -eq 0 ]
done
rm -f "$T/got.raw"
arecord -q -D block_cap -t raw -f U8 -c 1 -r 8000 -s 8000 "$T/got.raw" 2>>"$T/alsa.log" &&
	"$PY" -c "import sys; d = open('$T/got.raw', 'rb').read(); sys.exit(d != b'\x80' * 8000)"
check "block: U8 capture is U8 silence (0x80)" [ $? -eq 0 ]
play block_play S16_LE 2 48000 "" && cmp -s -n $N "$T/play.raw" "$T/in.raw"
check "block: playback untouched" [ $? -eq 0 ]
capture optional_cap 48000 "" && cmp -s "$T/got.raw" <(head -c $N "$T/src.raw")
check "block without require_agent: capture bit-exact" [ $? -eq 0 ]

# tone: 11 s of silence played at 8 kHz mono and 48 kHz stereo (RW and mmap) carry the pattern.
tone_ok() { # RATE CH FILE
	$PY - "$@" <<'PYEOF'
import struct, sys
rate, ch, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
raw = open(path, "rb").read()
s = struct.unpack("<%dh" % (len(raw) // 2), raw)
frames = len(s) // ch
assert frames >= 11 * rate, frames
for c in range(1, ch):  # every channel carries the same tone
    assert all(s[f * ch + c] == s[f * ch] for f in range(frames)), c
x = [s[f * ch] for f in range(frames)]
b = rate // 5
def seg(a, n): return x[a:a + n]
for cycle in (0, 5 * rate, 10 * rate):
    for start in (cycle, cycle + 2 * b):
        beep = seg(start, b)
        peak = max(abs(v) for v in beep)
        assert 3000 <= peak <= 3277, ("peak", start, peak)
        # 425 Hz for 200 ms: 85 periods, 170 sign changes (a few fewer at the faded ends).
        zc = sum(1 for i in range(1, len(beep)) if (beep[i - 1] < 0) != (beep[i] < 0))
        assert 160 <= zc <= 172, ("zero crossings", start, zc)
    assert not any(seg(cycle + b, b)), ("gap not silent", cycle)
    assert not any(seg(cycle + 3 * b, 5 * rate - 3 * b)), ("pause not silent", cycle)
PYEOF
}
head -c $((8000 * 2 * 11)) /dev/zero >"$T/in.raw"
play tone_play S16_LE 1 8000 ""
check "tone: 8 kHz mono playback carries two 425 Hz beeps every 5 s" tone_ok 8000 1 "$T/play.raw"
head -c $((48000 * 4 * 11)) /dev/zero >"$T/in.raw"
for acc in "" -M; do
	play tone_play S16_LE 2 48000 "$acc"
	check "tone: 48 kHz stereo ${acc:-RW} playback carries the tone in both channels" tone_ok 48000 2 "$T/play.raw"
done
capture tone_cap 48000 "" && cmp -s "$T/got.raw" <(head -c $N "$T/src.raw")
check "tone: capture untouched" [ $? -eq 0 ]
head -c $N "$T/src.raw" >"$T/in.raw"
play bad_play S16_LE 2 48000 ""
check "an unknown on_failure value refuses to open" [ $? -ne 0 ]

# With an agent answering, on_failure does not apply: recorded and bit-exact.
start_ringsink
capture agent_block_cap 48000 "" && cmp -s "$T/got.raw" <(head -c $N "$T/src.raw")
check "block with an agent answering: capture bit-exact" [ $? -eq 0 ]
stop_ringsink
check "block with an agent answering: recorded" cmp -s -n $N "$OUT/1-capture.raw" "$T/got.raw"

# A stopped agent: 3 s through a paced slave, once with the agent running throughout and once
# with it stopped (SIGSTOP) for 1.5 s in the middle. A 256 KiB ring holds 1.36 s of audio,
# so the plugin must drop; the application's wall time must not change (within 5 %).
head -c $((48000 * 4 * 3)) "$T/src.raw" >"$T/in.raw"
timed_play() { # OUTDIR STOP(0|1): prints aplay's wall time in ms
	RINGSINK_OUT=$1 start_ringsink --ring-bytes 262144 || return 1
	local start end
	start=$(date +%s%N)
	rm -f "$T/play.raw"
	aplay -q -D paced_tap -t raw -f S16_LE -c 2 -r 48000 "$T/in.raw" 2>>"$T/alsa.log" &
	local aplay_pid=$!
	if [ "$2" = 1 ]; then
		# Stop the agent once the stream is flowing (its first records reached the file).
		for i in $(seq 200); do [ -s "$1/1-playback.raw" ] && break; sleep 0.01; done
		sleep 0.3
		kill -STOP "$RINGSINK_PID"
		sleep 1.5
		kill -CONT "$RINGSINK_PID"
	fi
	wait "$aplay_pid" || return 1
	end=$(date +%s%N)
	stop_ringsink
	echo $(((end - start) / 1000000))
}
base_ms=$(timed_play "$T/run_free" 0)
stop_ms=$(timed_play "$T/run_stopped" 1)
note "3 s through a paced slave: agent running ${base_ms} ms, agent stopped 1.5 s ${stop_ms} ms"
check "stopped agent: playback bit-exact" cmp -s -n $((48000 * 4 * 3)) "$T/play.raw" "$T/in.raw"
check "stopped agent: wall time unchanged within 5% (${base_ms} vs ${stop_ms} ms)" \
	[ -n "$base_ms" ] && [ -n "$stop_ms" ] && [ $((stop_ms * 100)) -le $((base_ms * 105)) ] &&
	[ $((stop_ms * 100)) -ge $((base_ms * 95)) ]
check "running agent: nothing dropped" grep -q '^end .* gaps=0 dropped=0 state=3$' "$T/run_free/1-playback.meta"
check "stopped agent: frames dropped and counted in the ring" \
	grep -q '^end .* dropped=[1-9][0-9]* state=3$' "$T/run_stopped/1-playback.meta"
check "stopped agent: after SIGCONT the agent sees the gap" \
	$PY - "$T/run_stopped/1-playback.meta" "$(($(stat -c %s "$T/play.raw") / 4))" <<'PYEOF'
import re, sys
meta = open(sys.argv[1]).read()
gaps = sum(int(f) for f in re.findall(r"^gap pos=\d+ frames=(\d+)", meta, re.M))
dropped = int(re.search(r"^end .* dropped=(\d+)", meta, re.M).group(1))
stored = sum(int(f) for f in re.findall(r"^rec pos=\d+ frames=(\d+)", meta, re.M))
# Every dropped frame is in a gap, and stored + gaps = everything played (aplay's padding of
# the last period included).
assert gaps == dropped > 0, (gaps, dropped)
assert stored + gaps == int(sys.argv[2]), (stored, gaps, sys.argv[2])
PYEOF
