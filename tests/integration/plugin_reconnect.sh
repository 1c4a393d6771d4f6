#!/bin/bash
# The plugin reconnects a recorded stream whose agent went away (plugin/reconnect.h), against
# ringsink as the agent: a paced duplex call; after ~1 s the first agent ends (closing the
# control sockets) and a second one starts on the same socket path. Checks that the streams
# come back to the second agent as new streams with the same HELLO, that the position kept
# counting (the first record's pos is where the call was), that the stream parameters were
# written into the new ring, and that what reached the second ring is bit-exactly the call's
# audio at that position. Then the same under ThreadSanitizer (the control thread publishing a
# ring while transfer runs) and memcheck (replaced rings unmapped, nothing leaked at close).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
DUPLEX=$BUILD/tests/duplex
SECS=4

head -c $((48000 * 4 * SECS)) /dev/urandom >"$T/src.raw"
sox -D -t raw -e signed -b 16 -c 2 -r 48000 "$T/src.raw" "$T/far.wav"
check "ThreadSanitizer build of the plugin" add_tsan_pcm_type
add_alsa_conf "
pcm.paced_play { type rawfile file \"$T/play.raw\" pace yes }
pcm.paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.tap_play { type callrec slave.pcm \"paced_play\" agent \"$T/agent.sock\" line \"desk\" }
pcm.tap_cap { type callrec slave.pcm \"paced_cap\" agent \"$T/agent.sock\" line \"desk\" }
pcm.tsan_play { type callrec_tsan slave.pcm \"paced_play\" agent \"$T/agent.sock\" }
pcm.tsan_cap { type callrec_tsan slave.pcm \"paced_cap\" agent \"$T/agent.sock\" }
"

start_sink() { RINGSINK_OUT=$1 start_ringsink; } # OUTDIR
# wait_frames OUTDIR FRAMES: the sink has drained FRAMES frames of a playback stream.
wait_frames() {
	local i
	for i in $(seq 1 400); do
		[ "$(cat "$1"/*-playback.raw 2>/dev/null | wc -c)" -ge $(($2 * 4)) ] && return 0
		sleep 0.025
	done
	return 1
}

# run NAME PREFIX [WRAPPER...]: a paced duplex call through PREFIX_play/PREFIX_cap whose agent
# is replaced after 1 s; sinks in $T/NAME-1 and $T/NAME-2.
run() {
	local name=$1 prefix=$2
	shift 2
	rm -f "$T/play.raw"
	start_sink "$T/$name-1" || { not_ok "$name: first agent starts"; return 1; }
	"$@" "$DUPLEX" --playback "${prefix}_play" --play "$T/far.wav" --capture "${prefix}_cap" \
		--record "$T/near.wav" --seconds $SECS >"$T/$name.log" 2>&1 &
	local dpid=$!
	_pids+=("$dpid")
	wait_frames "$T/$name-1" 48000 || not_ok "$name: the call is recorded by the first agent"
	stop_ringsink
	start_sink "$T/$name-2" || { not_ok "$name: second agent starts"; return 1; }
	wait "$dpid"
	check "$name: the call ran to its end" test $? = 0
	stop_ringsink
}

# verify NAME: the second agent got both streams back, positions and audio continuing.
verify() {
	local d=$T/$1-2
	"$PY" - "$d" "$T/src.raw" <<'PYEOF'
import glob, re, sys
d, src = sys.argv[1], open(sys.argv[2], 'rb').read()
bad = 0
for direction in ("playback", "capture"):
    metas = glob.glob("%s/*-%s.meta" % (d, direction))
    if len(metas) != 1:
        print("# %s: %d streams at the second agent" % (direction, len(metas))); bad = 1; continue
    meta = open(metas[0]).read()
    recs = [dict(kv.split("=") for kv in l.split()[1:]) for l in meta.splitlines()
            if l.startswith("rec ")]
    params = re.search(r"^params rate=(\d+) channels=(\d+) format=(-?\d+)", meta, re.M)
    first = int(recs[0]["pos"]) if recs else 0
    print("# %s: %s, %d records from pos %d, params %s" % (direction, meta.splitlines()[0],
          len(recs), first, params.groups() if params else None))
    if not recs or first < 48000:
        print("# %s: position did not keep counting" % direction); bad = 1; continue
    if "line=desk" not in meta.splitlines()[0] and "tap" in d:
        print("# %s: HELLO without the line" % direction); bad = 1
    if not params or params.groups() != ("48000", "2", "2"):
        print("# %s: stream parameters not in the new ring" % direction); bad = 1
    gaps = [l for l in meta.splitlines() if l.startswith("gap ")]
    if len(gaps) != 1:
        print("# %s: %d gaps (want only the one before the first record)" % (direction, len(gaps)))
        bad = 1
    raw = open(metas[0][:-5] + ".raw", "rb").read()
    # capture: the slave reads src.raw from its start; playback: duplex plays far.wav = src.raw
    want = src[first * 4:first * 4 + len(raw)]
    if raw != want or len(raw) < 48000 * 4:
        print("# %s: %d bytes, not the call's audio at pos %d" % (direction, len(raw), first))
        bad = 1
sys.exit(bad)
PYEOF
}

run plain tap
check "plain: the second agent got both streams back, audio continuing bit-exactly" verify plain

run tsan tsan "${TSAN_RUN[@]}"
note_tsan_warnings "$T/tsan.log"
check "ThreadSanitizer: no warning across the reconnection" has_no_tsan_warning "$T/tsan.log"
check "ThreadSanitizer: the second agent got both streams back" verify tsan

run memcheck tap "${MEMCHECK[@]}" --log-file="$T/memcheck.log"
note_memcheck "$T/memcheck.log"
leaks=$(count_plugin_leaks "$T/memcheck.log")
check "memcheck: no leak of the plugin's allocations across the reconnection" \
	bash -c "grep -q 'ERROR SUMMARY: 0 errors' '$T/memcheck.log' && [ $leaks -eq 0 ]"
check "memcheck: the second agent got both streams back" verify memcheck

# At most 8 rings per stream stay mapped (reconnect.h): the agent replaced 8 times in one call,
# the first 7 replacements get both streams back, the 8th agent none.
has_both() { [ -s "$(echo "$1"/*-playback.raw)" ] && [ -s "$(echo "$1"/*-capture.raw)" ]; }
wait_both() {
	local i
	for i in $(seq 1 120); do has_both "$1" && return 0; sleep 0.025; done
	return 1
}
rm -f "$T/play.raw"
start_sink "$T/limit-1"
"$DUPLEX" --playback tap_play --play "$T/far.wav" --capture tap_cap --record "$T/near.wav" \
	--seconds 7 >"$T/limit.log" 2>&1 &
DPID=$!
_pids+=("$DPID")
got=0
for i in $(seq 1 8); do
	wait_both "$T/limit-$i" && got=$((got + 1))
	stop_ringsink
	start_sink "$T/limit-$((i + 1))"
done
# The 9th agent must have had time to be asked: the call still runs a second after it started.
sleep 1
check "limit: the call still ran a second after the 9th agent started" kill -0 "$DPID"
wait "$DPID"
check "limit: the call ran to its end" test $? = 0
stop_ringsink
note "limit: $got of 8 agents recorded both streams; the 9th: $(ls "$T/limit-9" | tr '\n' ' ')"
check "limit: the first agent and 7 replacements recorded both streams" test $got = 8
check "limit: the 8th replacement got no stream (8 rings mapped)" \
	bash -c "! ls '$T/limit-9' | grep -q meta"
