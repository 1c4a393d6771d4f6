#!/bin/bash
# Disclosure audio (common/ring.h "Disclosure records"): the agent queues 16-bit mono
# records; the plugin mixes them into what a capturing application receives (what the other
# party hears) in the stream's own format and channels, and the recording contains exactly
# that. Also: records at another rate are skipped, records span transfers, CR_RING_CTL_MUTE
# hands the application silence, a playback ring's disclosure is heard locally while the ring
# keeps the application's own audio, and the stream's parameters reach the ring header.
# The fake agent (ringsink --inject) queues the disclosure before it answers, so the result is
# deterministic; the slave is the unpaced rawfile double.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"

cat >"$T/mixcheck.py" <<'PYEOF'
"""What the plugin's disclosure mixing must produce, computed independently of plugin/mix.c.

  plugin_mixcheck.py FMT CH KIND INJ SRC GOT K

INJ: signed 16-bit mono disclosure samples; SRC: the slave's raw audio; GOT: what the
application received. The first K frames of GOT must be SRC with INJ mixed into every channel
(KIND replace or add, saturating), and every later frame exactly SRC. Exit status 1 with a
message naming the first wrong frame otherwise. GOT may be shorter than K frames."""
import struct
import sys

fmt, ch, kind, inj_p, src_p, got_p, k = sys.argv[1:8]
ch, k = int(ch), int(k)
inj = open(inj_p, "rb").read()
src = open(src_p, "rb").read()
got = open(got_p, "rb").read()
width = {"S16_LE": 2, "S32_LE": 4, "S24_LE": 4, "S24_3LE": 3, "FLOAT_LE": 4, "U8": 1}[fmt]
fb = width * ch
add = kind == "add"


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def mixed(old, v):
    if fmt == "S16_LE":
        o = struct.unpack("<h", old)[0]
        return struct.pack("<h", clamp(o + v, -32768, 32767) if add else v)
    if fmt == "S32_LE":
        o = struct.unpack("<i", old)[0]
        return struct.pack("<i", clamp(o + (v << 16), -2**31, 2**31 - 1) if add else v << 16)
    if fmt == "S24_LE":
        raw = struct.unpack("<I", old)[0] & 0xFFFFFF
        o = raw - (1 << 24) if raw & 0x800000 else raw
        return struct.pack("<i", clamp(o + v * 256, -2**23, 2**23 - 1) if add else v * 256)
    if fmt == "S24_3LE":
        raw = old[0] | old[1] << 8 | old[2] << 16
        o = raw - (1 << 24) if raw & 0x800000 else raw
        r = clamp(o + v * 256, -2**23, 2**23 - 1) if add else v * 256
        return struct.pack("<i", r)[:3]
    if fmt == "FLOAT_LE":
        s = struct.unpack("<f", struct.pack("<f", v / 32768.0))[0]
        if add:
            s = struct.unpack("<f", struct.pack("<f", s + struct.unpack("<f", old)[0]))[0]
            s = clamp(s, -1.0, 1.0)
        return struct.pack("<f", s)
    if fmt == "U8":
        q = int(v / 256)  # C division truncates toward zero
        return bytes([(clamp(old[0] - 128 + q, -128, 127) if add else q) + 128])
    raise SystemExit("unknown format " + fmt)


if len(got) % fb or not got:
    sys.exit("got %d bytes, not whole frames of %d bytes" % (len(got), fb))
for f in range(len(got) // fb):
    want = src[f * fb:(f + 1) * fb]
    if f < k:
        v = struct.unpack("<h", inj[2 * f:2 * f + 2])[0]
        want = b"".join(mixed(want[c * width:(c + 1) * width], v) for c in range(ch))
    if got[f * fb:(f + 1) * fb] != want:
        sys.exit("frame %d: got %s, expected %s" % (f, got[f * fb:(f + 1) * fb].hex(), want.hex()))
PYEOF

add_alsa_conf "
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.tap_play { type callrec slave.pcm \"raw_play\" agent \"$T/agent.sock\" }
pcm.tap_cap { type callrec slave.pcm \"raw_cap\" agent \"$T/agent.sock\" }
pcm.paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.tap_paced_cap { type callrec slave.pcm \"paced_cap\" agent \"$T/agent.sock\" }
"
declare -A FMT_BYTES=([S16_LE]=2 [S32_LE]=4 [S24_LE]=4 [S24_3LE]=3 [FLOAT_LE]=4 [U8]=1)
declare -A FMT_NUM=([S16_LE]=2 [S32_LE]=10 [S24_LE]=6 [S24_3LE]=32 [FLOAT_LE]=14 [U8]=1)

# Sources: random bytes, except FLOAT_LE, which gets random samples in [-1, 1] (random bytes
# would be NaNs, whose bit patterns arithmetic does not preserve).
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/random.raw"
$PY - "$T" <<'PYEOF'
import random, struct, sys
t = sys.argv[1]
random.seed(4)
open(t + "/float.raw", "wb").write(b"".join(struct.pack("<f", random.uniform(-1, 1)) for _ in range(400000)))
# The disclosure: 4800 frames (0.1 s at 48 kHz) of loud random samples, so that adding them
# saturates often.
open(t + "/inj.raw", "wb").write(b"".join(struct.pack("<h", random.randint(-32768, 32767)) for _ in range(4800)))
PYEOF
INJ_FRAMES=4800

# meta_val FILE KEY: the value of KEY= on the "params" line.
meta_val() { sed -n "s/^params .*\b$2=\([-0-9]*\).*/\1/p" "$1"; }
marked() { awk '/^rec / { split($NF, a, /[=+]/); s += a[3] } END { print s + 0 }' "$1"; }

# capture_case FMT CH RATE ACCESS KIND [RINGSINK OPTIONS...]: arecord 0.3 s through tap_cap
# while the agent injects inj.raw; checks the application's audio against mixcheck.py, the
# ring against the application's audio, the records' marks and the header's counters.
capture_case() {
	local fmt=$1 ch=$2 rate=$3 acc=$4 kind=$5; shift 5
	local frames=$((rate * 3 / 10)) fb=$((FMT_BYTES[$fmt] * ch)) name
	local k
	name="capture $kind $fmt ${ch}ch $rate ${acc:-RW}${*:+ $*}"
	if [ "$fmt" = FLOAT_LE ]; then cp "$T/float.raw" "$T/src.raw"; else cp "$T/random.raw" "$T/src.raw"; fi
	start_ringsink --inject "$T/inj.raw" --inject-kind "$kind" --inject-rate "$rate" "$@" ||
		{ not_ok "$name: ringsink starts"; return; }
	rm -f "$T/got.raw"
	arecord -q $acc -D tap_cap -t raw -f "$fmt" -c "$ch" -r "$rate" -s $frames "$T/got.raw" 2>>"$T/alsa.log"
	local r=$?
	stop_ringsink
	local S=$OUT/1-capture
	# arecord reads whole periods and may get more than it writes to its file: the frames
	# the application received are the frames the ring carried.
	local delivered
	delivered=$(sed -n 's/^end .* frames=\([0-9]*\) .*/\1/p' "$S.meta")
	k=$((INJ_FRAMES < delivered ? INJ_FRAMES : delivered))
	check "$name: arecord succeeds" [ $r -eq 0 ]
	check "$name: the application got the disclosure mixed in" \
		$PY "$T/mixcheck.py" "$fmt" "$ch" "$kind" "$T/inj.raw" "$T/src.raw" "$T/got.raw" "$k"
	# RW capture has no read-ahead: the ring holds exactly what the application got. mmap
	# capture reads ahead, so the ring may hold more; its start must be what the application got.
	check "$name: the recording is what the application got" \
		cmp -s -n "$((frames * fb))" "$S.raw" "$T/got.raw"
	check "$name: records mark $k disclosure frames, header counts them" \
		[ "$(marked "$S.meta")" = "$k" -a "$(meta_val "$S.meta" injected)" = "$k" ]
	check "$name: stream parameters published in the ring header" \
		[ "$(meta_val "$S.meta" rate)" = "$rate" -a "$(meta_val "$S.meta" channels)" = "$ch" \
		  -a "$(meta_val "$S.meta" format)" = "${FMT_NUM[$fmt]}" ]
}

# Every format the test double offers, both kinds, mono and multichannel, RW and mmap,
# interleaved (the non-interleaved case follows).
for fmt in S16_LE S32_LE S24_LE S24_3LE FLOAT_LE U8; do
	capture_case $fmt 2 48000 "" replace
	capture_case $fmt 1 48000 -M add
done
capture_case S16_LE 6 44100 -M replace
capture_case S32_LE 8 8000 "" add
# Records of 777 frames: each spans transfer boundaries (periods are never 777 frames).
capture_case S16_LE 2 48000 "" replace --inject-frames 777
capture_case FLOAT_LE 2 48000 -M add --inject-frames 777
# A record at another rate than the stream's is skipped unplayed; the rest plays.
capture_case S16_LE 2 48000 "" replace --inject-wrong-rate 44100

# Non-interleaved application buffers: per-channel areas are mixed channel by channel.
cp "$T/random.raw" "$T/src.raw"
start_ringsink --inject "$T/inj.raw" --inject-kind replace --inject-rate 48000 || not_ok "ringsink starts"
rm -f "$T"/ni_got.raw.*
arecord -q -I -D tap_cap -t raw -f S16_LE -c 2 -r 48000 -s 14400 "$T/ni_got.raw" 2>>"$T/alsa.log"
r=$?
stop_ringsink
$PY - "$T" <<'PYEOF'
import sys
t = sys.argv[1]
a, b = (open("%s/ni_got.raw.%d" % (t, c), "rb").read() for c in range(2))
open(t + "/got.raw", "wb").write(b"".join(a[i:i + 2] + b[i:i + 2] for i in range(0, len(a), 2)))
PYEOF
check "non-interleaved capture: arecord succeeds" [ $r -eq 0 ]
check "non-interleaved capture: the disclosure is in every channel" \
	$PY "$T/mixcheck.py" S16_LE 2 replace "$T/inj.raw" "$T/src.raw" "$T/got.raw" $INJ_FRAMES
check "non-interleaved capture: the recording is what the application got" \
	cmp -s -n $((14400 * 4)) "$OUT/1-capture.raw" "$T/got.raw"

# CR_RING_CTL_MUTE (on_failure block while the agent runs): the application gets silence, the
# recording holds that silence, and queued disclosure waits (nobody would hear it).
cp "$T/random.raw" "$T/src.raw"
start_ringsink --mute --inject "$T/inj.raw" --inject-rate 48000 || not_ok "ringsink --mute starts"
rm -f "$T/got.raw"
arecord -q -D tap_cap -t raw -f S16_LE -c 2 -r 48000 -s 14400 "$T/got.raw" 2>>"$T/alsa.log"
r=$?
stop_ringsink
S=$OUT/1-capture
check "mute: arecord succeeds" [ $r -eq 0 ]
check "mute: the application got silence" cmp -s -n $((14400 * 4)) "$T/got.raw" /dev/zero
check "mute: the recording is that silence" \
	bash -c "n=\$(stat -c %s '$S.raw'); [ \$n -ge $((14400 * 4)) ] && cmp -s -n \$n '$S.raw' /dev/zero"
check "mute: disclosure not consumed while muted" \
	[ "$(meta_val "$S.meta" injected)" = 0 -a "$(meta_val "$S.meta" inject_pending)" -gt 0 ]

# An agent that must not let the microphone be heard before its announcement mutes the ring
# until the announcement is queued, then unmutes: the other party hears silence, then the whole
# announcement from the first unmuted frame, then the microphone; none of it before.
cp "$T/random.raw" "$T/src.raw"
start_ringsink --mute-ms 300 --inject "$T/inj.raw" --inject-rate 48000 || not_ok "ringsink --mute-ms starts"
rm -f "$T/got.raw"
arecord -q -D tap_paced_cap -t raw -f S16_LE -c 2 -r 48000 -s 48000 "$T/got.raw" 2>>"$T/alsa.log"
r=$?
stop_ringsink
S=$OUT/1-capture
check "mute then announce: arecord succeeds" [ $r -eq 0 ]
check "mute then announce: silence, the whole announcement, then the microphone" \
	$PY - "$T/got.raw" "$T/inj.raw" "$T/src.raw" "$S.raw" <<'PYEOF'
import struct, sys
got, inj, src, ring = (open(p, "rb").read() for p in sys.argv[1:5])
frames = [got[i:i + 4] for i in range(0, len(got), 4)]
k0 = next(i for i, f in enumerate(frames) if f != bytes(4))
# The first non-silent frame is the announcement's first sample (random data: never 0 twice).
assert k0 * 4 * 1000 // 192000 >= 250, ("unmuted too early", k0)
want = b"".join(inj[2 * i:2 * i + 2] * 2 for i in range(len(inj) // 2))
assert got[4 * k0:4 * k0 + len(want)] == want, "announcement not intact"
rest = 4 * k0 + len(want)
assert got[rest:] == src[rest:len(got)], "microphone after the announcement not bit-exact"
assert ring[:len(got)] == got, "recording differs from what the application got"
PYEOF
check "mute then announce: the records mark the announcement" \
	[ "$(marked "$S.meta")" = $INJ_FRAMES -a "$(meta_val "$S.meta" injected)" = $INJ_FRAMES ]

# Playback (also_local): the user hears the announcement instead of the application's audio;
# the ring holds the application's own audio (channel 2 of the call is the remote party).
for acc in "" -M; do
	cp "$T/random.raw" "$T/src.raw"
	head -c $((14400 * 4)) "$T/random.raw" >"$T/in.raw"
	start_ringsink --inject "$T/inj.raw" --inject-dir playback --inject-rate 48000 ||
		not_ok "ringsink --inject-dir playback starts"
	rm -f "$T/play.raw"
	aplay -q $acc -D tap_play -t raw -f S16_LE -c 2 -r 48000 "$T/in.raw" 2>>"$T/alsa.log"
	r=$?
	stop_ringsink
	S=$OUT/1-playback
	head -c $((14400 * 4)) "$T/play.raw" >"$T/played.raw"
	check "playback ${acc:-RW}: aplay succeeds" [ $r -eq 0 ]
	check "playback ${acc:-RW}: the user hears the disclosure, then the application" \
		$PY "$T/mixcheck.py" S16_LE 2 replace "$T/inj.raw" "$T/in.raw" "$T/played.raw" $INJ_FRAMES
	check "playback ${acc:-RW}: the ring holds the application's own audio" \
		cmp -s -n $((14400 * 4)) "$S.raw" "$T/in.raw"
	check "playback ${acc:-RW}: injected frames counted, records unmarked" \
		[ "$(meta_val "$S.meta" injected)" = $INJ_FRAMES -a "$(marked "$S.meta")" = 0 ]
done

# Without disclosure the capture path stays the single-pass copy and nothing is marked.
cp "$T/random.raw" "$T/src.raw"
start_ringsink || not_ok "plain ringsink starts"
arecord -q -D tap_cap -t raw -f S16_LE -c 2 -r 48000 -s 14400 "$T/got.raw" 2>>"$T/alsa.log"
stop_ringsink
check "no disclosure: capture bit-exact and unmarked" \
	bash -c "cmp -s -n $((14400 * 4)) '$T/got.raw' '$T/src.raw' && [ \"\$(awk '/^rec / && \$NF != \"inject=0+0\"' '$OUT/1-capture.meta')\" = '' ]"
