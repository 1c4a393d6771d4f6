#!/bin/bash
# Real-time safety of the plugin's transfer, shown rather than asserted: every path
# through callrec_transfer runs under callgrind with collection switched on only inside it
# (--toggle-collect), and tests/rt/cg_transfer.py fails if anything that ran there allocates,
# frees, locks, sleeps, does I/O, logs or makes a system call, or if transfer never ran.
# The checker's teeth are tested too: the test double's own transfer (which does pwrite and
# pread) must be rejected.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
CHECK="$PY $TOP/tests/rt/cg_transfer.py"

head -c $((48000 * 4)) /dev/urandom >"$T/in.raw"
cp "$T/in.raw" "$T/src.raw"
$PY -c "import os; open('$T/inj.raw', 'wb').write(os.urandom(2 * 9600))"
add_alsa_conf "
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.tap_play { type callrec slave.pcm \"raw_play\" agent \"$T/agent.sock\" }
pcm.tap_cap { type callrec slave.pcm \"raw_cap\" agent \"$T/agent.sock\" }
pcm.tone_play { type callrec slave.pcm \"raw_play\" agent \"$T/none.sock\" require_agent yes on_failure tone }
pcm.block_cap { type callrec slave.pcm \"raw_cap\" agent \"$T/none.sock\" require_agent yes on_failure block }
"

# profile FN CLIENT ARGS...: the client under callgrind, collecting only inside FN.
profile() {
	local fn=$1; shift
	rm -f "$T/cg.out"
	valgrind --tool=callgrind --dump-instr=no --collect-atstart=no --toggle-collect="$fn" \
		--collect-systime=yes --compress-strings=no --callgrind-out-file="$T/cg.out" \
		"$@" >>"$T/client.log" 2>&1
}
# rt_case NAME EXPECT SINK_OPTIONS|- CLIENT ARGS...: NAME's transfer path is real-time safe,
# and it is the path meant: the function EXPECT ran inside transfer.
rt_case() {
	local name=$1 expect=$2 sink=$3; shift 3
	[ "$sink" = - ] || start_ringsink $sink || { not_ok "$name: ringsink starts"; return; }
	profile callrec_transfer "$@"
	local r=$?
	[ "$sink" = - ] || stop_ringsink
	check "$name: client ran under callgrind" [ $r -eq 0 ]
	$CHECK "$T/cg.out" callrec_transfer --allow-syscall clock_gettime >"$T/check.log" 2>&1
	r=$?
	sed 's/^/  /' "$T/check.log"
	check "$name: transfer allocates, locks, sleeps, logs and calls the kernel never" [ $r -eq 0 ]
	check "$name: the path through $expect was taken" \
		grep -qE "^# +[1-9][0-9]* instr .* $expect\$" "$T/check.log"
}
P="-t raw -f S16_LE -c 2 -r 48000"
rt_case "recorded playback RW" copy_twice "" aplay -q -D tap_play $P "$T/in.raw"
rt_case "recorded playback mmap" copy_twice "" aplay -q -M -D tap_play $P "$T/in.raw"
rt_case "recorded playback non-interleaved" snd_pcm_areas_copy "" aplay -q -I -D tap_play $P "$T/in.raw" "$T/in.raw"
rt_case "recorded capture RW" copy_twice "" arecord -q -D tap_cap $P -s 48000 "$T/got.raw"
rt_case "recorded capture mmap" copy_twice "" arecord -q -M -D tap_cap $P -s 48000 "$T/got.raw"
rt_case "capture with disclosure (replace, S16)" mix_s16_mono "--inject $T/inj.raw --inject-frames 777" \
	arecord -q -D tap_cap $P -s 48000 "$T/got.raw"
rt_case "capture with disclosure (add, S24_3LE, wrong-rate record)" mix_s16_mono \
	"--inject $T/inj.raw --inject-kind add --inject-wrong-rate 8000" \
	arecord -q -M -D tap_cap -t raw -f S24_3LE -c 2 -r 48000 -s 48000 "$T/got.raw"
rt_case "capture muted by the agent" snd_pcm_areas_silence "--mute" arecord -q -D tap_cap $P -s 48000 "$T/got.raw"
rt_case "playback with local disclosure" mix_s16_mono "--inject $T/inj.raw --inject-dir playback" \
	aplay -q -D tap_play $P "$T/in.raw"
rt_case "full ring: dropping" cr_ring_drop "--stall-ms 5000 --ring-bytes 65536" aplay -q -D tap_play $P "$T/in.raw"
rt_case "on_failure tone playback" failtone_mix - aplay -q -D tone_play $P "$T/in.raw"
rt_case "on_failure block capture" snd_pcm_areas_silence - arecord -q -D block_cap $P -s 48000 "$T/got.raw"

# The checker has teeth: the rawfile double's transfer writes its file, so it must be rejected.
profile rawfile_transfer aplay -q -D raw_play $P "$T/in.raw"
$CHECK "$T/cg.out" rawfile_transfer --allow-syscall clock_gettime >"$T/check.log" 2>&1
r=$?
sed 's/^/  /' "$T/check.log"
check "checker rejects a transfer that makes system calls (the test double's)" \
	bash -c "[ $r -ne 0 ] && grep -q 'FAIL: pwrite' '$T/check.log'"
$CHECK "$T/cg.out" no_such_function >"$T/check.log" 2>&1
check "checker rejects a profile in which the function never ran" [ $? -ne 0 ]

# clock_gettime is a system call only under valgrind, which hides the vDSO. Natively, a whole
# recorded stream (whose transfer reads CLOCK_MONOTONIC once per period) enters the kernel for
# clock_gettime not once.
start_ringsink
strace -f -qq -e trace=clock_gettime -o "$T/strace.log" aplay -q -D tap_play $P "$T/in.raw"
r=$?
stop_ringsink
check "natively, clock_gettime never enters the kernel (vDSO)" \
	bash -c "[ $r -eq 0 ] && ! grep -q clock_gettime '$T/strace.log' && grep -q '^rec ' '$OUT/1-playback.meta'"
