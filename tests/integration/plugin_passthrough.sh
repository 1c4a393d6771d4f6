#!/bin/bash
# The plugin passes audio through bit-exactly in both directions, for every format x channels x
# rate x access combination below, both when no agent answers (the application gets the slave
# itself) and when an agent records the stream (extplug + ring tap). With the fake agent
# (ringsink) the tapped bytes must equal the audio that passed. Slaves are the unpaced rawfile
# test double, so the whole matrix runs in seconds.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
PLUGIN=$BUILD/libasound_module_pcm_callrec.so

# --- the plugin binary -------------------------------------------------------------------------
check "plugin exports _snd_pcm_callrec_open" \
	bash -c "nm -D --defined-only '$PLUGIN' | grep -qw _snd_pcm_callrec_open"
# Direct dependencies: alsa-lib and libc only. All of ldd's list: those plus what they pull in.
check "plugin needs only libasound and libc" bash -c "
	n=\$(objdump -p '$PLUGIN' | awk '/NEEDED/ {print \$2}' | sort | tr '\n' ' ')
	[ \"\$n\" = 'libasound.so.2 libc.so.6 ' ] || { echo \"# NEEDED: \$n\"; exit 1; }"
check "ldd of the plugin lists only libasound, libc and the C runtime" bash -c "
	bad=\$(ldd '$PLUGIN' | awk '{print \$1}' | grep -vE '^(linux-vdso\.so\.1|libasound\.so\.2|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux[^ ]*)$')
	[ -z \"\$bad\" ] || { echo \"# unexpected: \$bad\"; exit 1; }"

# --- data and PCMs -----------------------------------------------------------------------------
head -c $((1024 * 1024)) /dev/urandom >"$T/src.raw"
OUT=$T/sink
mkdir -p "$OUT" "$T/xdg/callrec"
chmod 700 "$T/xdg"
NOAGENT="agent \"$T/no/such/agent.sock\""
TAPAGENT="agent \"$T/agent.sock\""
add_alsa_conf "
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.none_play { type callrec slave.pcm \"raw_play\" $NOAGENT }
pcm.none_cap { type callrec slave.pcm \"raw_cap\" $NOAGENT }
pcm.tap_play { type callrec slave.pcm \"raw_play\" $TAPAGENT line \"desk-phone\" }
pcm.tap_cap { type callrec slave.pcm \"raw_cap\" $TAPAGENT line \"desk-phone\" require_agent no }
pcm.inline_none_play { type callrec slave.pcm { type rawfile file \"$T/play.raw\" } $NOAGENT }
pcm.inline_none_cap { type callrec slave { pcm { type rawfile file \"$T/src.raw\" } } $NOAGENT }
pcm.inline_tap_play { type callrec slave.pcm { type rawfile file \"$T/play.raw\" } $TAPAGENT }
pcm.inline_tap_cap { type callrec slave.pcm { type rawfile file \"$T/src.raw\" } $TAPAGENT }
pcm.default_play { type callrec slave.pcm \"raw_play\" }
pcm.paced_play_slave { type rawfile file \"$T/play.raw\" pace yes }
pcm.paced_tap_play { type callrec slave.pcm \"paced_play_slave\" $TAPAGENT }
pcm.paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.fast_cap { type rawfile file \"$T/src.raw\" pace yes rate_scale 2.0 }
pcm.paced_tap_cap { type callrec slave.pcm \"paced_cap\" $TAPAGENT }
pcm.fast_tap_cap { type callrec slave.pcm \"fast_cap\" $TAPAGENT }
"

declare -A FMT_BYTES=([S16_LE]=2 [S32_LE]=4 [FLOAT_LE]=4)
declare -A FMT_NUM=([S16_LE]=2 [S32_LE]=10 [FLOAT_LE]=14)

# same_prefix A B N: the first N bytes of A and B are equal (and both have them).
same_prefix() {
	[ "$(stat -c %s "$1")" -ge "$3" ] && [ "$(stat -c %s "$2")" -ge "$3" ] &&
		cmp -s -n "$3" "$1" "$2"
}
# zero_tail FILE N: everything in FILE after its first N bytes is zero.
zero_tail() {
	local len
	len=$(stat -c %s "$1")
	[ "$len" -ge "$2" ] || return 1
	[ "$len" -eq "$2" ] && return 0
	tail -c +$(($2 + 1)) "$1" | cmp -s -n $((len - $2)) - /dev/zero
}


# meta_ok FILE CH RATE FMT: ringsink saw contiguous records of the right shape, no drops, and
# a producer that attached and closed cleanly (state 3).
meta_ok() {
	grep -q "^end .* gaps=0 dropped=0 state=3$" "$1" &&
		! grep -qv -e "^rec pos=[0-9]* frames=[0-9]* channels=$2 rate=$3 format=${FMT_NUM[$4]} " \
			-e '^stream ' -e '^params ' -e '^end ' "$1" &&
		grep -q '^rec ' "$1"
}

# play PCM FMT CH RATE ACCESSFLAG: aplay N frames of src.raw through PCM into play.raw.
play() {
	local fb=$((FMT_BYTES[$2] * $3))
	N=$(($4 * 3 / 10 * fb)) # 0.3 s
	head -c "$N" "$T/src.raw" >"$T/in.raw"
	rm -f "$T/play.raw"
	aplay -q $5 -D "$1" -t raw -f "$2" -c "$3" -r "$4" "$T/in.raw" 2>>"$T/alsa.log"
}
play_exact() { same_prefix "$T/play.raw" "$T/in.raw" "$N" && zero_tail "$T/play.raw" "$N"; }

# capture PCM FMT CH RATE ACCESSFLAG: arecord TENTHS/10 s (default 0.3 s) from src.raw through
# PCM into got.raw.
capture() {
	local fb=$((FMT_BYTES[$2] * $3)) frames=$(($4 * ${TENTHS:-3} / 10))
	N=$((frames * fb))
	rm -f "$T/got.raw"
	arecord -q $5 -D "$1" -t raw -f "$2" -c "$3" -r "$4" -s $frames "$T/got.raw" \
		2>>"$T/alsa.log"
}
capture_exact() { [ "$(stat -c %s "$T/got.raw")" -eq "$N" ] && same_prefix "$T/got.raw" "$T/src.raw" "$N"; }

# Tap checks. Playback: the ring carried exactly what reached the slave (aplay's silence padding
# included). Capture: the ring carried what the slave delivered, which is at least what the
# application read (mmap capture reads ahead) and is the source from its start.
tap_play_ok() { cmp -s "$S.raw" "$T/play.raw"; }
tap_cap_ok() {
	local len
	len=$(stat -c %s "$S.raw")
	[ "$len" -ge "$N" ] && same_prefix "$S.raw" "$T/got.raw" "$N" && same_prefix "$S.raw" "$T/src.raw" "$len"
}

# --- the matrix: no agent (slave handed over) ------------------------------------------------------
for fmt in S16_LE S32_LE FLOAT_LE; do
	for ch in 1 2; do
		for rate in 8000 48000; do
			for acc in "" -M; do
				c="$fmt ${ch}ch $rate ${acc:-RW}"
				play none_play $fmt $ch $rate "$acc" && play_exact
				check "no agent: playback $c bit-exact" [ $? -eq 0 ]
				capture none_cap $fmt $ch $rate "$acc" && capture_exact
				check "no agent: capture $c bit-exact" [ $? -eq 0 ]
			done
		done
	done
done
[ -z "$(ls "$OUT")" ]
check "no agent: nothing was tapped" [ $? -eq 0 ]

# --- the matrix: recorded through the fake agent ----------------------------------------------------
require "ringsink starts" start_ringsink
for fmt in S16_LE S32_LE FLOAT_LE; do
	for ch in 1 2; do
		for rate in 8000 48000; do
			for acc in "" -M; do
				c="$fmt ${ch}ch $rate ${acc:-RW}"
				play tap_play $fmt $ch $rate "$acc" && play_exact
				r=$?
				wait_sink_stream playback
				check "tapped: playback $c bit-exact" [ $r -eq 0 ]
				tap_play_ok && meta_ok "$S.meta" $ch $rate $fmt
				check "tapped: playback $c ring equals the audio" [ $? -eq 0 ]
				capture tap_cap $fmt $ch $rate "$acc" && capture_exact
				r=$?
				wait_sink_stream capture
				check "tapped: capture $c bit-exact" [ $r -eq 0 ]
				tap_cap_ok && meta_ok "$S.meta" $ch $rate $fmt
				check "tapped: capture $c ring equals the audio" [ $? -eq 0 ]
			done
		done
	done
done
check "HELLO carries line and PCM name" grep -q '^stream n=1 direction=playback line=desk-phone pcm=tap_play ' "$OUT/1-playback.meta"

# Inline (compound) slave definitions, with the agent and (below) without.
play inline_tap_play S16_LE 2 48000 -M && play_exact
r=$?
wait_sink_stream playback
check "tapped: inline slave playback bit-exact" [ $r -eq 0 ]
check "tapped: inline slave playback ring equals the audio" tap_play_ok
capture inline_tap_cap S16_LE 2 48000 "" && capture_exact
r=$?
wait_sink_stream capture
check "tapped: inline slave capture bit-exact" [ $r -eq 0 ]
check "tapped: inline slave capture ring equals the audio" tap_cap_ok

# Non-interleaved application buffers reach transfer as per-channel areas: the ring still holds
# interleaved frames.
"$PY" - "$T" <<'PY'
import sys
t = sys.argv[1]
src = open(t + "/src.raw", "rb").read()[:48000 * 4 * 3 // 10]
for c in range(2):
    open("%s/ni_in.raw.%d" % (t, c), "wb").write(b"".join(src[i + 2 * c:i + 2 * c + 2] for i in range(0, len(src), 4)))
open(t + "/in.raw", "wb").write(src)
PY
rm -f "$T/play.raw"
aplay -q -I -D tap_play -t raw -f S16_LE -c 2 -r 48000 "$T/ni_in.raw.0" "$T/ni_in.raw.1" 2>>"$T/alsa.log"
r=$?
N=$(stat -c %s "$T/in.raw")
wait_sink_stream playback
check "tapped: non-interleaved playback bit-exact" [ $r -eq 0 ] && play_exact
check "tapped: non-interleaved playback ring holds interleaved frames" tap_play_ok
rm -f "$T"/ni_got.raw.*
arecord -q -I -D tap_cap -t raw -f S16_LE -c 2 -r 48000 -s 14400 "$T/ni_got.raw" 2>>"$T/alsa.log"
r=$?
wait_sink_stream capture
"$PY" - "$T" <<'PY'
import sys
t = sys.argv[1]
a, b = (open("%s/ni_got.raw.%d" % (t, c), "rb").read() for c in range(2))
open(t + "/got.raw", "wb").write(b"".join(a[i:i + 2] + b[i:i + 2] for i in range(0, len(a), 2)))
PY
N=$((14400 * 4))
check "tapped: non-interleaved capture bit-exact" [ $r -eq 0 ] && capture_exact
check "tapped: non-interleaved capture ring holds interleaved frames" tap_cap_ok

# Paced slave: the tap keeps up with real time and loses nothing.
play paced_tap_play S16_LE 2 48000 "" && play_exact
r=$?
wait_sink_stream playback
check "tapped: paced playback bit-exact" [ $r -eq 0 ]
check "tapped: paced playback ring equals the audio" tap_play_ok

# Paced capture follows the double's clock: 1 s of audio takes about 1 s, and with rate_scale 2
# (a card whose clock runs twice too fast) about 0.5 s; both bit-exact and fully tapped.
for pcm in paced_tap_cap fast_tap_cap; do
	start=$(date +%s%N)
	TENTHS=10 capture $pcm S16_LE 2 48000 "" && capture_exact
	r=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	wait_sink_stream capture
	note "$pcm: 1 s of audio took $ms ms"
	check "$pcm: capture bit-exact" [ $r -eq 0 ]
	check "$pcm: ring equals the audio" tap_cap_ok
	if [ $pcm = paced_tap_cap ]; then
		check "$pcm: paced by the clock (took $ms ms)" [ "$ms" -ge 950 ]
	else
		check "$pcm: rate_scale 2 runs twice as fast (took $ms ms)" [ "$ms" -ge 450 -a "$ms" -lt 850 ]
	fi
done
stop_ringsink

# A full ring: the agent stops draining a small ring (64 KiB, a third of a second) for 300 ms
# while aplay fills half a second of buffer and then plays 1.5 s in real time (paced slave).
# The audio is unaffected, the plugin drops records and counts them, positions keep counting
# (the agent sees a gap), and every record that was stored holds the audio of its position.
start_ringsink --stall-ms 300 --ring-bytes 65536 || not_ok "stalled ringsink starts"
N=$((48000 * 2 * 4))
head -c "$N" "$T/src.raw" >"$T/in.raw"
rm -f "$T/play.raw"
aplay -q -D paced_tap_play -t raw -f S16_LE -c 2 -r 48000 "$T/in.raw" 2>>"$T/alsa.log" && play_exact
r=$?
wait_sink_stream playback
check "full ring: playback still bit-exact" [ $r -eq 0 ]
check "full ring: frames dropped and counted" grep -q '^end .* dropped=[1-9][0-9]* state=3$' "$S.meta"
check "full ring: stored + dropped frames = frames played, stored records hold their audio" \
	"$PY" - "$S.meta" "$S.raw" "$T/play.raw" <<'PY'
import re, sys
meta, raw, play = open(sys.argv[1]).read(), open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
end = dict(kv.split("=") for kv in re.search(r"^end (.*)$", meta, re.M).group(1).split())
recs = [(int(p), int(f)) for p, f in re.findall(r"^rec pos=(\d+) frames=(\d+) ", meta, re.M)]
stored = sum(f for _, f in recs)
assert stored + int(end["dropped"]) == len(play) // 4, (stored, end, len(play) // 4)
off = 0
for p, f in recs:
    assert raw[off:off + f * 4] == play[p * 4:(p + f) * 4], p
    off += f * 4
assert off == len(raw) and int(end["gaps"]) > 0
PY
stop_ringsink

# After fork() the child must not write into the parent's ring (single producer): the ring holds
# exactly what the parent played, before and after the child played through its copy of the PCM.
start_ringsink || not_ok "ringsink starts again"
"$PY" - "$T" <<'PY'
import ctypes, os, sys
t = sys.argv[1]
a = ctypes.CDLL("libasound.so.2")
a.snd_pcm_writei.restype = ctypes.c_long
src = open(t + "/src.raw", "rb").read()
pcm = ctypes.c_void_p()
assert a.snd_pcm_open(ctypes.byref(pcm), b"tap_play", 0, 0) == 0
assert a.snd_pcm_set_params(pcm, 2, 3, 2, 48000, 0, 500000) == 0  # S16_LE, RW interleaved
def play(data):
    assert a.snd_pcm_writei(pcm, data, ctypes.c_ulong(len(data) // 4)) == len(data) // 4
first, child, second = src[:19200], src[100000:119200], src[200000:219200]
play(first)
pid = os.fork()
if pid == 0:
    try:
        play(child)
        a.snd_pcm_close(pcm)
    finally:
        os._exit(0)
_, status = os.waitpid(pid, 0)
assert status == 0
play(second)
a.snd_pcm_drain(pcm)
a.snd_pcm_close(pcm)
open(t + "/fork_expected.raw", "wb").write(first + second)
PY
r=$?
wait_sink_stream playback
check "fork: parent and child play through a forked PCM" [ $r -eq 0 ]
check "fork: the ring holds only the parent's audio, contiguously" bash -c "
	cmp -s '$S.raw' '$T/fork_expected.raw' && grep -q '^end .* gaps=0 dropped=0 state=3$' '$S.meta'"
stop_ringsink

# The agent decides PASS: the application gets the slave, nothing is tapped.
start_ringsink --pass || not_ok "ringsink --pass starts"
play tap_play S16_LE 2 48000 -M && play_exact
r=$?
wait_sink_stream playback
check "PASS decision: playback bit-exact" [ $r -eq 0 ]
check "PASS decision: no ring" bash -c "grep -q decision=pass '$S.meta' && [ ! -e '$S.raw' ] && grep -q 'state=0' '$S.meta'"
stop_ringsink

# An agent that answers too late: the plugin gives up after CR_CTL_OPEN_TIMEOUT_MS (200 ms).
start_ringsink --delay-ms 3000 || not_ok "ringsink --delay-ms starts"
start=$(date +%s%N)
play tap_play S16_LE 2 48000 -M && play_exact
r=$?
ms=$((($(date +%s%N) - start) / 1000000))
note "late agent: aplay took $ms ms"
check "late agent: playback bit-exact" [ $r -eq 0 ]
check "late agent: open waits no longer than the timeout (took $ms ms)" [ "$ms" -lt 1500 ]
stop_ringsink
wait_sink_stream playback
check "late agent: the stream was never attached" grep -q 'state=0' "$S.meta"

# No inline slave agent: fallback with inline definitions.
play inline_none_play S16_LE 2 48000 -M && play_exact
check "no agent: inline slave playback bit-exact" [ $? -eq 0 ]
capture inline_none_cap S16_LE 2 48000 -M && capture_exact
check "no agent: inline slave capture bit-exact" [ $? -eq 0 ]

# Without an `agent` option the user agent's socket under XDG_RUNTIME_DIR is used.
RINGSINK_SOCK=$T/xdg/callrec/agent.sock start_ringsink || not_ok "ringsink on the XDG socket starts"
XDG_RUNTIME_DIR=$T/xdg play default_play S16_LE 2 48000 "" && play_exact
r=$?
wait_sink_stream playback
check "default agent path: playback bit-exact" [ $r -eq 0 ]
check "default agent path: \$XDG_RUNTIME_DIR/callrec/agent.sock recorded it" tap_play_ok
stop_ringsink
