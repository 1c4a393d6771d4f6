#!/bin/bash
# The recording plugin under valgrind memcheck (aplay, arecord, duplex: no invalid access, no
# use of uninitialised memory, no leak of the plugin's own allocations) and a ThreadSanitizer
# build of it (duplex: playback and capture from two threads, each with its own recorded PCM,
# disclosure mixed into capture) with no data race reported. Paced slaves, so that transfer and
# the agent's draining truly overlap in time.
. "$(dirname "$0")/../lib.sh"
RINGSINK=$BUILD/tests/ringsink
DUPLEX=$BUILD/tests/duplex
PY=/usr/bin/python3

head -c $((48000 * 4 * 2)) /dev/urandom >"$T/src.raw"
cp "$T/src.raw" "$T/in.raw"
sox -D -t raw -e signed -b 16 -c 2 -r 48000 "$T/src.raw" "$T/far.wav"
$PY -c "import os; open('$T/inj.raw', 'wb').write(os.urandom(2 * 9600))"

# ThreadSanitizer build of the plugin, loaded under a second type name (TESTING.md).
TSAN_SO=$T/libasound_module_pcm_callrec_tsan.so
gcc -std=c11 -D_GNU_SOURCE -DPIC -fPIC -shared -g -O1 -fsanitize=thread -I"$TOP/common" \
	"$TOP"/plugin/*.c "$TOP/common/ring.c" -o "$TSAN_SO" -lasound 2>"$T/tsan-build.log"
check "ThreadSanitizer build of the plugin" [ -s "$TSAN_SO" ]

alsa_conf "
pcm_type.callrec_tsan { lib \"$TSAN_SO\" open \"_snd_pcm_callrec_open\" }
pcm.paced_play { type rawfile file \"$T/play.raw\" pace yes }
pcm.paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.tap_play { type callrec slave.pcm \"paced_play\" agent \"$T/agent.sock\" }
pcm.tap_cap { type callrec slave.pcm \"paced_cap\" agent \"$T/agent.sock\" }
pcm.fast_play { type callrec slave.pcm \"raw_play\" agent \"$T/agent.sock\" }
pcm.fast_cap { type callrec slave.pcm \"raw_cap\" agent \"$T/agent.sock\" }
pcm.tone_play { type callrec slave.pcm \"raw_play\" agent \"$T/none.sock\" require_agent yes on_failure tone }
pcm.tsan_play { type callrec_tsan slave.pcm \"paced_play\" agent \"$T/agent.sock\" }
pcm.tsan_cap { type callrec_tsan slave.pcm \"paced_cap\" agent \"$T/agent.sock\" }
"

SINKS=0
start_sink() {
	SINKS=$((SINKS + 1))
	OUT=$T/sink$SINKS
	mkdir -p "$OUT"
	rm -f "$T/agent.sock"
	"$RINGSINK" "$@" "$T/agent.sock" "$OUT" 2>>"$T/ringsink.log" &
	SINK_PID=$!
	_pids+=("$SINK_PID")
	wait_file "$T/agent.sock" 5
}
stop_sink() { stop_pid "$SINK_PID"; }
# recorded DIR: ringsink recorded stream 1 of DIR, contiguously.
recorded() { grep -q '^rec ' "$OUT/$1.meta" && grep -q '^end .* gaps=0 ' "$OUT/$1.meta"; }

# memcheck: errors make the client exit 97; leaks of blocks allocated in the plugin count too
# (alsa-lib keeps its global configuration cache on purpose, so only the plugin's own
# allocations are looked at, by their stack).
memcheck() { # NAME CLIENT ARGS...
	local name=$1; shift
	valgrind --tool=memcheck --error-exitcode=97 --leak-check=full --show-leak-kinds=definite \
		--errors-for-leak-kinds=none --log-file="$T/memcheck.log" "$@" >>"$T/client.log" 2>&1
	local r=$?
	local leaks
	leaks=$(grep -A30 'definitely lost' "$T/memcheck.log" | grep -c 'libasound_module_pcm_callrec')
	grep -E 'ERROR SUMMARY|definitely lost' "$T/memcheck.log" | sed 's/^==[0-9]*== /# /'
	check "memcheck: $name without errors" [ $r -eq 0 ]
	check "memcheck: $name leaks nothing the plugin allocated" \
		bash -c "grep -q 'ERROR SUMMARY' '$T/memcheck.log' && [ $leaks -eq 0 ]"
}
P="-t raw -f S16_LE -c 2 -r 48000"
start_sink --inject "$T/inj.raw"
memcheck "recorded aplay RW" aplay -q -D fast_play $P "$T/in.raw"
memcheck "recorded aplay mmap" aplay -q -M -D fast_play $P "$T/in.raw"
memcheck "recorded arecord with disclosure, mmap" arecord -q -M -D fast_cap $P -s 48000 "$T/got.raw"
memcheck "recorded arecord with disclosure, RW" arecord -q -D fast_cap $P -s 48000 "$T/got.raw"
memcheck "duplex, both directions recorded, paced" "$DUPLEX" --playback tap_play --play "$T/far.wav" \
	--capture tap_cap --record "$T/near.wav" --seconds 1
stop_sink
memcheck "on_failure tone" aplay -q -D tone_play $P "$T/in.raw"

# ThreadSanitizer: duplex's two threads each drive one recorded PCM through the sanitized
# plugin while the agent drains both rings and injects disclosure into capture.
start_sink --inject "$T/inj.raw"
LIBTSAN=$(gcc -print-file-name=libtsan.so)
TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0" LD_PRELOAD=$LIBTSAN "$DUPLEX" \
	--playback tsan_play --play "$T/far.wav" --capture tsan_cap --record "$T/near.wav" \
	--seconds 2 >"$T/tsan.log" 2>&1
r=$?
stop_sink
grep -A12 'WARNING: ThreadSanitizer' "$T/tsan.log" | head -40 | sed 's/^/# /'
check "ThreadSanitizer: duplex through the sanitized plugin succeeds" [ $r -eq 0 ]
check "ThreadSanitizer: no warning" bash -c "[ -e '$T/tsan.log' ] && ! grep -q 'WARNING: ThreadSanitizer' '$T/tsan.log'"
check "ThreadSanitizer: both directions recorded, disclosure mixed into capture" bash -c "
	grep -q '^rec ' '$OUT'/*-playback.meta && grep -q '^rec ' '$OUT'/*-capture.meta &&
	grep -q 'injected=[1-9]' '$OUT'/*-capture.meta"
exit 0
