#!/bin/bash
# A plugin no ring owner can crash (issue 14): whoever holds a ring's memfd (the agent, or
# anyone it leaked to) can rewrite the shared header at any moment. `ringsink --mangle` answers
# every stream like the agent and, once the plugin has attached, overwrites every header field
# of the live ring (geometry, counters, flags) and the disclosure area with random and
# adversarial values in a loop, while aplay, arecord and pcmcheck play and capture through the plugin
# (read/write and mmap, interleaved and not, unpaced and paced, both directions at once). The
# applications must exit 0, and the audio between them and the slave must stay bit-exact: the
# recording may be lost, nothing else.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
PCMCHECK=$BUILD/tests/pcmcheck
SOCK=$T/agent.sock
SECONDS_UNPACED=20

head -c $((48000 * 4 * SECONDS_UNPACED)) /dev/urandom >"$T/src.raw"
head -c $((48000 * 4 * SECONDS_UNPACED)) /dev/urandom >"$T/in.raw"
add_alsa_conf "
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.paced_play { type rawfile file \"$T/pplay.raw\" pace yes }
pcm.paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.m_play { type callrec slave.pcm \"raw_play\" agent \"$SOCK\" }
pcm.m_cap { type callrec slave.pcm \"raw_cap\" agent \"$SOCK\" }
pcm.mp_play { type callrec slave.pcm \"paced_play\" agent \"$SOCK\" }
pcm.mp_cap { type callrec slave.pcm \"paced_cap\" agent \"$SOCK\" }
"
require "the hostile agent listens" start_ringsink --mangle

N=$((48000 * 4 * SECONDS_UNPACED))
for acc in "" -M; do
	name=${acc:-RW}
	name=${name/-M/mmap}
	rm -f "$T/play.raw"
	aplay -q $acc -D m_play -t raw -f S16_LE -c 2 -r 48000 "$T/in.raw" 2>>"$T/alsa.log"
	check "$name playback: aplay exits 0 under a mangled ring" test $? -eq 0
	check "$name playback: what reached the slave is bit-exact" cmp -s -n $N "$T/play.raw" "$T/in.raw"
	rm -f "$T/got.raw"
	arecord -q $acc -D m_cap -t raw -f S16_LE -c 2 -r 48000 -s $((48000 * SECONDS_UNPACED)) \
		"$T/got.raw" 2>>"$T/alsa.log"
	check "$name capture: arecord exits 0 under a mangled ring" test $? -eq 0
	check "$name capture: what the application got is bit-exact" \
		cmp -s "$T/got.raw" <(head -c $N "$T/src.raw")
done

# Non-interleaved access (another path through the plugin), both directions.
for flags in "" "--mmap"; do
	rm -f "$T/play.raw"
	"$PCMCHECK" --noninterleaved --format S16_LE --channels 2 --rate 48000 $flags \
		--out "$T/moved.raw" stream m_play >>"$T/pcmcheck.log" 2>&1
	check "non-interleaved ${flags:-RW} playback runs" test $? -eq 0
	check "non-interleaved ${flags:-RW} playback bit-exact" cmp -s "$T/play.raw" "$T/moved.raw"
	"$PCMCHECK" --capture --noninterleaved --format S16_LE --channels 2 --rate 48000 $flags \
		--out "$T/moved.raw" stream m_cap >>"$T/pcmcheck.log" 2>&1
	check "non-interleaved ${flags:-RW} capture runs" test $? -eq 0
	n=$(stat -c %s "$T/moved.raw")
	check "non-interleaved ${flags:-RW} capture bit-exact" cmp -s -n "$n" "$T/moved.raw" "$T/src.raw"
done

# Paced, both directions at once for 3 s: thousands of hostile writes between every two
# periods of the audio thread.
head -c $((48000 * 4 * 3)) "$T/in.raw" >"$T/in3.raw"
rm -f "$T/pplay.raw"
aplay -q -D mp_play -t raw -f S16_LE -c 2 -r 48000 "$T/in3.raw" 2>>"$T/alsa.log" & P=$!
arecord -q -M -D mp_cap -t raw -f S16_LE -c 2 -r 48000 -s $((48000 * 3)) "$T/pgot.raw" 2>>"$T/alsa.log"
rc_cap=$?
wait $P
rc_play=$?
note "paced exit statuses: playback $rc_play, capture $rc_cap (139: SIGSEGV)"
check "paced playback and capture together: both exit 0" test $rc_play -eq 0 -a $rc_cap -eq 0
check "paced playback bit-exact" cmp -s -n $((48000 * 4 * 3)) "$T/pplay.raw" "$T/in3.raw"
check "paced capture bit-exact" cmp -s "$T/pgot.raw" <(head -c $((48000 * 4 * 3)) "$T/src.raw")

stop_ringsink
note "$(grep mangled "$T/ringsink.log")"
streams=$(sed -n 's/.*: \([0-9]*\) streams mangled.*/\1/p' "$T/ringsink.log")
writes=$(sed -n 's/.* \([0-9]*\) hostile writes.*/\1/p' "$T/ringsink.log")
check "every stream was recorded into a mangled ring (10)" test "${streams:-0}" -ge 10
check "and mangled throughout (over a million hostile writes)" test "${writes:-0}" -gt 1000000
check "no application crashed (no core, no signal in the log)" \
	bash -c "! grep -qiE 'segmentation|signal|abort' '$T/alsa.log' '$T/pcmcheck.log'"
