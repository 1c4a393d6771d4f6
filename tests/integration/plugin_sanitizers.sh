#!/bin/bash
# The recording plugin under valgrind memcheck (aplay, arecord, duplex: no invalid access, no
# use of uninitialised memory, no leak of the plugin's own allocations) and a ThreadSanitizer
# build of it (make tsan's, which make test-build builds too: duplex plays and captures from two
# threads, each with its own recorded PCM, disclosure mixed into capture) with no data race
# reported. Paced slaves, so that transfer and the agent's draining truly overlap in time.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
DUPLEX=$BUILD/tests/duplex

head -c $((48000 * 4 * 2)) /dev/urandom >"$T/src.raw"
cp "$T/src.raw" "$T/in.raw"
sox -D -t raw -e signed -b 16 -c 2 -r 48000 "$T/src.raw" "$T/far.wav"
$PY -c "import os; open('$T/inj.raw', 'wb').write(os.urandom(2 * 9600))"

# The ThreadSanitizer build of the plugin, loaded under a second type name.
check "ThreadSanitizer build of the plugin" add_tsan_pcm_type

add_alsa_conf "
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

# memcheck NAME CLIENT ARGS...: no error, and no leak of what the plugin allocated.
memcheck() {
	local name=$1; shift
	"${MEMCHECK[@]}" --log-file="$T/memcheck.log" "$@" >>"$T/client.log" 2>&1
	local r=$?
	local leaks
	leaks=$(count_plugin_leaks "$T/memcheck.log")
	note_memcheck "$T/memcheck.log"
	check "memcheck: $name without errors" [ $r -eq 0 ]
	check "memcheck: $name leaks nothing the plugin allocated" \
		bash -c "grep -q 'ERROR SUMMARY' '$T/memcheck.log' && [ $leaks -eq 0 ]"
}
P="-t raw -f S16_LE -c 2 -r 48000"
start_ringsink --inject "$T/inj.raw"
memcheck "recorded aplay RW" aplay -q -D fast_play $P "$T/in.raw"
memcheck "recorded aplay mmap" aplay -q -M -D fast_play $P "$T/in.raw"
memcheck "recorded arecord with disclosure, mmap" arecord -q -M -D fast_cap $P -s 48000 "$T/got.raw"
memcheck "recorded arecord with disclosure, RW" arecord -q -D fast_cap $P -s 48000 "$T/got.raw"
memcheck "duplex, both directions recorded, paced" "$DUPLEX" --playback tap_play --play "$T/far.wav" \
	--capture tap_cap --record "$T/near.wav" --seconds 1
stop_ringsink
memcheck "on_failure tone" aplay -q -D tone_play $P "$T/in.raw"

# ThreadSanitizer: duplex's two threads each drive one recorded PCM through the sanitized
# plugin while the agent drains both rings and injects disclosure into capture.
start_ringsink --inject "$T/inj.raw"
"${TSAN_RUN[@]}" "$DUPLEX" --playback tsan_play --play "$T/far.wav" --capture tsan_cap --record "$T/near.wav" \
	--seconds 2 >"$T/tsan.log" 2>&1
r=$?
stop_ringsink
note_tsan_warnings "$T/tsan.log"
check "ThreadSanitizer: duplex through the sanitized plugin succeeds" [ $r -eq 0 ]
check "ThreadSanitizer: no warning" has_no_tsan_warning "$T/tsan.log"
check "ThreadSanitizer: both directions recorded, disclosure mixed into capture" bash -c "
	grep -q '^rec ' '$OUT'/*-playback.meta && grep -q '^rec ' '$OUT'/*-capture.meta &&
	grep -q 'injected=[1-9]' '$OUT'/*-capture.meta"
