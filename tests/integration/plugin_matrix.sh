#!/bin/bash
# The plugin's format matrix against the rawfile test double: bit-exact in both directions for
# every format the double offers x channels 1, 2, 6, 8 x rates 8000..192000 x RW / mmap x
# interleaved / non-interleaved x blocking / non-blocking, unpaced and paced, with the stream
# recorded (fake agent: ringsink; the ring must hold exactly the audio) and not (no agent: the
# application gets the slave). The cross-product is covered pairwise: every format meets every
# channel count, every rate meets every access mode and blocking mode, each in both
# directions, so the whole runs in well under a minute (FULL=1: the whole cross-product, for
# tests/soak/plugin_matrix_soak.sh). Format x access x blocking x direction is covered whole,
# recorded and not, unpaced and paced. Then speaker-test, and pcmcheck for
# pause/resume, drain, drop, xrun recovery, 50 open/close cycles without descriptor leaks,
# concurrent playback and capture threads, poll-driven non-blocking I/O and snd_pcm_delay.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/ringsink.bash"
PCMCHECK=$BUILD/tests/pcmcheck

head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/src.raw"
AG="agent \"$T/agent.sock\""
NO="agent \"$T/none.sock\""
add_alsa_conf "
pcm.raw_play { type rawfile file \"$T/play.raw\" }
pcm.raw_cap { type rawfile file \"$T/src.raw\" }
pcm.paced_play { type rawfile file \"$T/play.raw\" pace yes }
pcm.paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.bare_play { type rawfile file \"$T/play2.raw\" }
pcm.bare_cap { type rawfile file \"$T/src.raw\" }
pcm.bare_paced_play { type rawfile file \"$T/play2.raw\" pace yes }
pcm.bare_paced_cap { type rawfile file \"$T/src.raw\" pace yes }
pcm.rec_play { type callrec slave.pcm \"raw_play\" $AG }
pcm.rec_cap { type callrec slave.pcm \"raw_cap\" $AG }
pcm.none_play { type callrec slave.pcm \"raw_play\" $NO }
pcm.none_cap { type callrec slave.pcm \"raw_cap\" $NO }
pcm.rec_paced_play { type callrec slave.pcm \"paced_play\" $AG }
pcm.rec_paced_cap { type callrec slave.pcm \"paced_cap\" $AG }
pcm.none_paced_play { type callrec slave.pcm \"paced_play\" $NO }
pcm.none_paced_cap { type callrec slave.pcm \"paced_cap\" $NO }
"
declare -A FMT_BYTES=([S16_LE]=2 [S32_LE]=4 [FLOAT_LE]=4 [S24_LE]=4 [S24_3LE]=3 [U8]=1)

RINGSINK_OUT=$T/sink require "ringsink starts" start_ringsink
STREAMS=0
# next_stream DIR: the files of the next stream ringsink saw, once complete.
next_stream() {
	STREAMS=$((STREAMS + 1))
	S=$T/sink/$STREAMS-$1
	wait_file "$S.done" 5
}

# silent_tail FILE N FMT: everything in FILE after N bytes is the format's silence (aplay pads
# its last period with it: 0x80 for U8, zero bytes otherwise).
silent_tail() {
	local len byte=0
	len=$(stat -c %s "$1")
	[ "$len" -ge "$2" ] || return 1
	[ "$3" = U8 ] && byte=128
	$PY -c "import sys; d = open('$1', 'rb').read()[$2:]; sys.exit(d != bytes([$byte]) * len(d))"
}

# one KIND(rec|none) PACE(""|paced_) FMT CH RATE FLAGS...: aplay then arecord 0.1 s (paced:
# 0.2 s) through the plugin, both bit-exact, and for rec the ring holds the audio.
one() {
	local kind=$1 pace=$2 fmt=$3 ch=$4 rate=$5; shift 5
	local flags="$*" fb=$((FMT_BYTES[$fmt] * ch)) frames=$((rate / 10)) n r
	[ -n "$pace" ] && frames=$((rate / 5))
	n=$((frames * fb))
	local name="$kind ${pace:-unpaced_}$fmt ${ch}ch $rate ${flags:-RW}"
	head -c $n "$T/src.raw" >"$T/in.raw"
	rm -f "$T/play.raw"
	aplay -q $flags -D ${kind}_${pace}play -t raw -f $fmt -c $ch -r $rate "$T/in.raw" 2>>"$T/alsa.log"
	r=$?
	cmp -s -n $n "$T/play.raw" "$T/in.raw" && silent_tail "$T/play.raw" $n $fmt
	check "$name: playback bit-exact" [ $r -eq 0 -a $? -eq 0 ]
	if [ $kind = rec ]; then
		next_stream playback
		check "$name: playback recorded exactly" cmp -s "$S.raw" "$T/play.raw"
	fi
	rm -f "$T/got.raw"
	arecord -q $flags -D ${kind}_${pace}cap -t raw -f $fmt -c $ch -r $rate -s $frames "$T/got.raw" 2>>"$T/alsa.log"
	r=$?
	[ "$(stat -c %s "$T/got.raw" 2>/dev/null)" = $n ] && cmp -s -n $n "$T/got.raw" "$T/src.raw"
	check "$name: capture bit-exact" [ $r -eq 0 -a $? -eq 0 ]
	if [ $kind = rec ]; then
		next_stream capture
		# The ring holds what the slave delivered: at least what arecord kept (mmap and
		# whole-period reads go further), and exactly the source from its start.
		local len
		len=$(stat -c %s "$S.raw")
		[ "$len" -ge $n ] && cmp -s -n "$len" "$S.raw" "$T/src.raw"
		check "$name: capture recorded exactly" [ $? -eq 0 ]
	fi
}

FORMATS=(S16_LE S32_LE FLOAT_LE S24_LE S24_3LE U8)
CHANNELS=(1 2 6 8)
RATES=(8000 44100 48000 96000 192000)
FLAGSETS=("" "-M" "-N" "-M -N")
if [ -n "${FULL:-}" ]; then
	# The whole cross-product (tests/soak/plugin_matrix_soak.sh; a few minutes).
	for fmt in "${FORMATS[@]}"; do
		for ch in "${CHANNELS[@]}"; do
			for rate in "${RATES[@]}"; do
				for flags in "${FLAGSETS[@]}"; do
					one rec "" $fmt $ch $rate $flags
					one none "" $fmt $ch $rate $flags
				done
			done
		done
		for flags in "${FLAGSETS[@]}"; do
			one rec paced_ $fmt 2 48000 $flags
			one none paced_ $fmt 2 48000 $flags
		done
	done
else
	# The whole format x access x blocking x direction matrix, recorded and not, unpaced and
	# paced (channels and rate rotating through it).
	i=0
	for fmt in "${FORMATS[@]}"; do
		for flags in "${FLAGSETS[@]}"; do
			ch=${CHANNELS[$((i % 4))]} rate=${RATES[$((i % 5))]}
			one rec "" $fmt $ch $rate $flags
			one none "" $fmt $ch $rate $flags
			one rec paced_ $fmt $ch $rate $flags
			[ $((i % 4)) = 3 ] && one none paced_ $fmt $ch $rate $flags
			i=$((i + 1))
		done
	done
	# Every format with every channel count, and every rate with every access and blocking
	# mode (the rest rotating).
	i=0
	for fmt in "${FORMATS[@]}"; do
		for ch in "${CHANNELS[@]}"; do
			kind=rec; [ $((i % 3)) = 2 ] && kind=none
			one $kind "" $fmt $ch ${RATES[$((i % 5))]} ${FLAGSETS[$(((i + 1) % 4))]}
			i=$((i + 1))
		done
	done
	i=0
	for rate in "${RATES[@]}"; do
		for flags in "${FLAGSETS[@]}"; do
			one rec "" ${FORMATS[$((i % 6))]} ${CHANNELS[$((i % 4))]} $rate $flags
			i=$((i + 1))
		done
	done
fi

# Non-interleaved access (pcmcheck --noninterleaved, RW and mmap, blocking and not): the frames
# it moved (--out, re-interleaved) are bit-exactly what reached the slave or came from it, and
# the ring holds interleaved frames.
ni() { # KIND PACE FMT CH RATE FLAGS...
	local kind=$1 pace=$2 fmt=$3 ch=$4 rate=$5; shift 5
	local name="$kind ${pace:-unpaced_}$fmt ${ch}ch $rate non-interleaved $*" n
	rm -f "$T/play.raw"
	"$PCMCHECK" --noninterleaved --format $fmt --channels $ch --rate $rate "$@" \
		--out "$T/moved.raw" stream ${kind}_${pace}play >>"$T/pcmcheck.log" 2>&1
	check "$name: playback runs" [ $? -eq 0 ]
	n=$(stat -c %s "$T/moved.raw")
	check "$name: playback bit-exact" cmp -s "$T/play.raw" "$T/moved.raw"
	if [ $kind = rec ]; then
		next_stream playback
		check "$name: playback recorded exactly" cmp -s "$S.raw" "$T/moved.raw"
	fi
	"$PCMCHECK" --capture --noninterleaved --format $fmt --channels $ch --rate $rate "$@" \
		--out "$T/moved.raw" stream ${kind}_${pace}cap >>"$T/pcmcheck.log" 2>&1
	check "$name: capture runs" [ $? -eq 0 ]
	n=$(stat -c %s "$T/moved.raw")
	check "$name: capture bit-exact" cmp -s -n $n "$T/moved.raw" "$T/src.raw"
	if [ $kind = rec ]; then
		next_stream capture
		check "$name: capture recorded exactly" cmp -s -n $n "$S.raw" "$T/moved.raw"
	fi
}
ni rec "" S16_LE 2 48000
ni rec "" S24_3LE 6 44100 --mmap
ni rec "" FLOAT_LE 8 8000 --nonblock
ni rec "" U8 1 192000 --mmap --nonblock
ni none "" S32_LE 2 96000 --mmap
ni rec paced_ S16_LE 2 48000 --mmap --nonblock

# speaker-test: one loop of a sine over both channels, recorded.
rm -f "$T/play.raw"
speaker-test -D rec_play -c 2 -r 48000 -F S16_LE -t sine -l 1 -p 50000 >>"$T/speaker-test.log" 2>&1
r=$?
next_stream playback
check "speaker-test -l 1 through the recorded plugin" [ $r -eq 0 ]
check "speaker-test: what reached the slave was recorded exactly, and is not silence" \
	bash -c "cmp -s '$S.raw' '$T/play.raw' && [ \$(stat -c %s '$T/play.raw') -gt 100000 ] &&
		! cmp -s -n 100000 '$T/play.raw' /dev/zero"

# pcmcheck behaviours, recorded, on paced slaves; the stream count tracks ringsink's files.
pc() { # NAME STREAMS ARGS...: pcmcheck ARGS succeeds; it opened STREAMS recorded streams
	local name=$1 streams=$2; shift 2
	"$PCMCHECK" "$@" >"$T/pc.log" 2>&1
	local r=$?
	sed 's/^/# /' "$T/pc.log" | grep -v 'delay running' | head -5
	check "pcmcheck $name" [ $r -eq 0 ]
	STREAMS=$((STREAMS + streams))
}
for dir in "" --capture; do
	d=play; [ -n "$dir" ] && d=cap
	for acc in "" --mmap "--mmap --noninterleaved --nonblock"; do
		pc "$d ${acc:-RW}: pause and resume" 1 $dir $acc pause rec_paced_$d
		pc "$d ${acc:-RW}: xrun and snd_pcm_recover" 1 $dir $acc xrun rec_paced_$d
		pc "$d ${acc:-RW}: drop, prepare, again" 1 $dir $acc drop rec_paced_$d
	done
	pc "$d: poll-driven non-blocking" 1 $dir poll rec_paced_$d
	pc "$d mmap: poll-driven non-blocking" 1 $dir --mmap poll rec_paced_$d
done
pc "drain: everything reaches the slave, state SETUP" 1 drain rec_paced_play
pc "playback and capture from two threads at once" 2 threads rec_paced_play rec_paced_cap
pc "recorded: 50 open/close cycles leak no descriptor" 51 reopen rec_play
pc "recorded capture mmap: 50 open/close cycles leak no descriptor" 51 --capture --mmap reopen rec_cap
pc "not recorded: 50 open/close cycles leak no descriptor" 0 reopen none_play
# snd_pcm_delay through callrec equals the bare slave's at the same point: to the frame on
# unpaced slaves; on paced ones within the frames the two clocks move between their starts;
# for mmap capture a plugin reports the delay as of its last transfer (pcmcheck explains).
pc "delay playback RW unpaced, exact" 1 --exact delay rec_play bare_play
pc "delay playback mmap unpaced, exact" 1 --exact --mmap delay rec_play bare_play
pc "delay capture RW unpaced, exact" 1 --exact --capture delay rec_cap bare_cap
pc "delay capture mmap unpaced, exact" 1 --exact --capture --mmap delay rec_cap bare_cap
pc "delay playback RW paced" 1 delay rec_paced_play bare_paced_play
pc "delay playback mmap paced" 1 --mmap delay rec_paced_play bare_paced_play
pc "delay capture RW paced" 1 --capture delay rec_paced_cap bare_paced_cap
pc "delay capture mmap paced (lags by at most a period)" 1 --lag-ok --capture --mmap delay rec_paced_cap bare_paced_cap
stop_ringsink
check "every recorded stream ended cleanly (state 3), none dropped frames" \
	bash -c "n=\$(ls '$T'/sink/*.meta | wc -l); [ \$n -eq $STREAMS ] &&
		[ \$(grep -l '^end .* dropped=0 state=3$' '$T'/sink/*.meta | wc -l) -eq \$n ]"
note "$STREAMS recorded streams"
