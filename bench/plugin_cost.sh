#!/bin/bash
# Plugin cost, in instructions per second of 48 kHz stereo S16 audio (callgrind counts
# instructions: repeatable whatever the machine is doing). For each client access mode:
#   slave      aplay straight into `null`
#   copy       alsa-lib's copy plugin over `null` (one copy, no tap): the baseline
#              a recorded stream must not exceed
#   unrecorded type callrec over `null`, no agent records it (handed the slave at open)
#   recorded   type callrec over `null`, tapped into a ring drained by a stand-in agent
#              (tests/programs/ringsink; it needs its output directory to exist, or it refuses
#              every stream and the "recorded" runs silently measure the unrecorded path)
# cost per second = (count for a 10 s file - count for a 2 s file) / 8, so fixed start-up cost
# cancels out. Prints one line per figure: "plugin NAME ACCESS instr_per_s".
TAP_PLAN=no # a benchmark, not a test: no plan, its own exit status
source "$(dirname "$0")/../tests/lib.sh"
add_alsa_conf 'pcm.bench_copy { type copy slave.pcm "null" }'
add_alsa_conf 'pcm.bench_callrec { type callrec slave.pcm "null" agent "'"$T"'/agent.sock" }'

head -c $((48000 * 4 * 10)) /dev/urandom >"$T/a10.raw"
head -c $((48000 * 4 * 2)) /dev/urandom >"$T/a2.raw"

instr() { # PCM ACCESS_FLAG FILE
	rm -f "$T/cg.out" # never read an earlier run's count
	valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" aplay -q -D "$1" $2 -t raw \
		-f S16_LE -c 2 -r 48000 "$3" >/dev/null 2>&1
	sed -n 's/^summary: *//p' "$T/cg.out" 2>/dev/null | grep . || echo "# no profile for $1 $2 $3" >&2
}
per_second() { # PCM ACCESS_FLAG
	local big small
	big=$(instr "$1" "$2" "$T/a10.raw")
	small=$(instr "$1" "$2" "$T/a2.raw")
	echo $(((big - small) / 8))
}

for access in rw mmap; do
	flag=; [ $access = mmap ] && flag=-M
	echo "plugin slave $access $(per_second null "$flag")"
	echo "plugin copy $access $(per_second bench_copy "$flag")"
	echo "plugin unrecorded $access $(per_second bench_callrec "$flag")"
	mkdir -p "$T/sink" # ringsink refuses a stream whose files it cannot create
	"$BUILD/tests/ringsink" "$T/agent.sock" "$T/sink" >/dev/null 2>&1 &
	sink=$!
	_pids+=("$sink")
	wait_file "$T/agent.sock" 5
	echo "plugin recorded $access $(per_second bench_callrec "$flag")"
	kill $sink; wait $sink 2>/dev/null
	# A "recorded" figure is only one if the stand-in agent really got the audio.
	n=$(cat "$T"/sink/*-playback.raw 2>/dev/null | wc -c)
	[ "$n" -ge $((48000 * 4 * 12)) ] || echo "# $access: the recorded runs were not tapped ($n bytes)" >&2
	rm -rf "$T/sink"
	rm -f "$T/agent.sock"
done
