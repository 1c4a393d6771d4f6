# The two-baresip call over headless PipeWire, for baresip_call.sh, baresip_disclosure.sh and
# the soak (source after tests/lib.sh; it sources pipewire.bash and baresip.bash itself).
#
#   a (the near side, the desk being recorded): audio_player alsa,sp_spk and audio_source
#     alsa,sp_mic, both `type callrec` over PipeWire: sp_spk plays into the null sink "nullsink";
#     sp_mic records the monitor of the null sink "micsink" (PIPEWIRE_ALSA
#     stream.capture.sink), into which pw-play plays the near party's speech. The ALSA probe
#     (tests/softphone/alsaprobe.c, LD_PRELOAD) writes what a hands to and takes from ALSA,
#     with CLOCK_MONOTONIC times, into $T/probe/.
#   b (the far side): answermode=auto, audio_source aufile (the far party's speech, 8 kHz
#     mono), player into "nullsink" too (not recorded: the plain pipewire PCM), sndfile dumps
#     of what it sent (dump-*-enc.wav) and received (dump-*-dec.wav) in $T/sp/b/dump/.
#
#   make_softphone_speech     $T/near.wav (48 kHz stereo) and $T/far.wav (8 kHz mono),
#                             SPEECH_SECONDS (45) each: longer than the call (b ends the call
#                             when its file runs out)
#   setup_softphones          archive, PipeWire, agent, ALSA PCMs, baresip configurations
#                             (lines for desk1's agent.yaml go in between setup_pki and this;
#                             it calls setup_pki itself only if PKI is unset)
#   make_softphone_call SECONDS   a calls b, talks for SECONDS, hangs up; both baresips stop
#                             (b's dumps and the probe's files of an earlier call go first)
#   get_dump_path enc|dec     the path of b's dump
#   read_probe playback|capture   writes $T/probe-DIRECTION.wav from the longest such stream and
#                             sets PROBE_ANCHOR_MS: the CLOCK_MONOTONIC time (ms) of its sample
#                             0, PROBE_FIRST_MS: that time as the first call alone implies, and
#                             PROBE_SOUND_MS: when sample 0 was heard or spoken (snd_pcm_delay)
#   measure_offset WAV CH REF AT LEN GUESS_MS
#                             the offset (ms, position in WAV - position in REF) of the piece
#                             [AT, AT + LEN) s of WAV's channel CH, searched within +-1.5 s of
#                             GUESS_MS: sets OFFSET_MS and OFFSET_NCC
#   is_aligned_at AT NAME     after export_call and read_probe of both directions (P_CAP,
#                             P_PLAY set from PROBE_ANCHOR_MS; GUESS_CAP, GUESS_PLAY from
#                             whole-call or earlier offsets): notes the alignment error of the
#                             recording's channels in the 4 s piece at AT s (ALIGN_ERR_MS,
#                             ALIGN_CAP_MS, ALIGN_PLAY_MS; the pieces' NCC in ALIGN_NCC_CAP,
#                             ALIGN_NCC_PLAY) and succeeds when it is within 20 ms
_softphone_dir=$TOP/tests/softphone
. "$TOP/tests/lib/pipewire.bash"
. "$TOP/tests/lib/baresip.bash"

SPEECH_SECONDS=${SPEECH_SECONDS:-45}
# _say OUT.wav VOICE RATE CHANNELS TEXT: SPEECH_SECONDS of speech (repeated).
_say() {
	espeak-ng -v "$2" -w "$1.tmp.wav" "$5" &&
		sox -V1 -D "$1.tmp.wav" -r "$3" -c "$4" -b 16 "$1" \
			repeat $((SPEECH_SECONDS / 10 + 1)) trim 0 "$SPEECH_SECONDS" &&
		rm -f "$1.tmp.wav"
}
make_softphone_speech() {
	# Two voices and two texts, so that neither correlates with the other.
	_say "$T/near.wav" en+f3 48000 2 "Good morning, this is Alice from the sales desk. \
Thank you for calling. Let me check the stock for you, one moment please. Yes, we have enough \
in stock, and a delivery on Monday morning works for us. I will send the contract today." &&
		_say "$T/far.wav" en-us 8000 1 "This is Bob, the customer, calling about our order. \
I would like three hundred boxes of blue paper, delivered to our warehouse in Utrecht. Could you \
confirm the price per box, and the date of delivery, please? Then we have a deal."
}

setup_softphones() {
	if [ -z "${PKI:-}" ]; then setup_pki || return 1; fi
	start_archive || { echo "# archive did not start" >&2; return 1; }
	# The directories start_agent (tests/lib.sh) uses, set first: start_pipewire keeps them, and
	# the PipeWire clients and the agent must agree on XDG_RUNTIME_DIR.
	export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME"
	start_pipewire || return 1
	start_agent || { echo "# agent did not start" >&2; tail -5 "$T/agent.log" >&2; return 1; }
	add_alsa_conf "
pcm.sp_spk { type callrec slave.pcm \"pipewire:NODE=nullsink\" agent \"$SOCK\" }
pcm.sp_mic { type callrec slave.pcm \"pipewire:NODE=micsink\" agent \"$SOCK\" }"
	# The probe is test instrumentation (make test-build).
	PROBE_SO=$BUILD/tests/alsaprobe.so
	[ -e "$PROBE_SO" ] || { echo "# $PROBE_SO is missing: make test-build" >&2; return 1; }
	mkdir -p "$T/probe"
	pick_baresip_ports || return 1
	write_baresip_config a "$SIP_PORT_A" "$CTRL_PORT_A" alsa,sp_spk alsa,sp_mic \
		"<sip:a@127.0.0.1:$SIP_PORT_A>;regint=0;audio_codecs=PCMU" || return 1
	write_baresip_config b "$SIP_PORT_B" "$CTRL_PORT_B" "alsa,pipewire:NODE=nullsink" "aufile,$T/far.wav" \
		"<sip:b@127.0.0.1:$SIP_PORT_B>;regint=0;answermode=auto;audio_codecs=PCMU" \
		aufile.so sndfile.so
}

make_softphone_call() {
	local rc=0
	_feed_pid=
	# Each call starts with no dumps and no probe files: what is found afterwards is its own.
	rm -f "$T"/sp/b/dump/* "$T"/probe/*
	_run_softphone_call "$1" || rc=1
	# Whatever happened, nothing of this call keeps running into the next one.
	stop_baresip a
	stop_baresip b
	[ -n "$_feed_pid" ] && stop_pid "$_feed_pid"
	return $rc
}
_run_softphone_call() {
	start_baresip b || return 1
	start_baresip a "PIPEWIRE_ALSA={ stream.capture.sink=true }" "LD_PRELOAD=$PROBE_SO" \
		"ALSAPROBE_DIR=$T/probe" "ALSAPROBE_PCMS=sp_spk,sp_mic" || return 1
	# The near party talks into the microphone from before the call until after it.
	pw-play --target micsink "$T/near.wav" 2>>"$T/pw-play.log" &
	_feed_pid=$!
	_pids+=("$_feed_pid")
	send_baresip_command a dial "sip:b@127.0.0.1:$SIP_PORT_B" >/dev/null || return 1
	if ! wait_baresip_log a "Call established" 10 || ! wait_baresip_log b "Call established" 5; then
		echo "# the call was not established" >&2
		return 1
	fi
	sleep "$1" # the call itself: real time is what is being tested
	send_baresip_command a hangup >/dev/null
	wait_baresip_log b "terminated" 5 || echo "# b did not see the hangup" >&2
	# Both must still have been in the call when a hung up: b ends the call with "audio error"
	# when its file runs out, and the side that receives a BYE logs "session closed".
	if grep -q "audio error" "$T/sp/b.log" || grep -q "session closed" "$T/sp/a.log"; then
		echo "# the call ended before the hangup" >&2
		return 1
	fi
}

declare -A _probe_idx _probe_rate
get_dump_path() { ls "$T"/sp/b/dump/dump-*-"$1".wav 2>/dev/null | head -1; }

read_probe() {
	local dir=$1 best= frames=0 f n rate ch fmt
	for f in "$T"/probe/*.idx; do
		[ -e "$f" ] || continue
		head -1 "$f" | grep -q "^stream $dir " || continue
		n=$(awk 'NR > 1 { s += $3 } END { print s + 0 }' "$f")
		[ "$n" -gt "$frames" ] && { frames=$n; best=$f; }
	done
	[ -n "$best" ] || return 1
	read -r _ _ _ _ _ rate _ ch _ fmt < <(head -1 "$best")
	[ "$fmt" = S16_LE ] || { echo "# probe: unexpected format $fmt" >&2; return 1; }
	_probe_idx[$dir]=$best _probe_rate[$dir]=$rate
	sox -D -t raw -r "$rate" -c "$ch" -e signed -b 16 "${best%.idx}.raw" "$T/probe-$dir.wav" ||
		return 1
	# Sample 0's time. Playback: the first writei, when the buffer is empty (what is written
	# later waits behind what is queued, so later calls say less). Capture: readi returns after
	# its last frame was captured, later when the thread wakes late, so the earliest
	# (time - (pos + frames) / rate) over all calls is the best estimate.
	# The acoustic estimate (PROBE_SOUND_MS) uses snd_pcm_delay instead: frame pos + frames
	# - 1 is heard delay - 1 frames after the delay was read (playback), or was spoken
	# delay frames before it (capture); the median over all calls.
	read -r PROBE_ANCHOR_MS PROBE_FIRST_MS < <(awk -v dir="$dir" -v rate="$rate" 'NR > 1 {
		t = $1 / 1e6
		if (dir == "playback") v = t - $2 * 1000 / rate
		else v = t - ($2 + $3) * 1000 / rate
		if (NR == 2) first = v
		if (NR == 2 || (dir == "capture" && v < a)) a = v
	} END { printf "%.3f %.3f\n", a, first }' "$best")
	PROBE_SOUND_MS=$(_probe_sound_ms "$dir" 0 1e12)
	PROBE_SOUND_MS=${PROBE_SOUND_MS:-$PROBE_ANCHOR_MS}
}

# _probe_sound_ms DIR FROM TO: the median, over the probe's calls for stream positions FROM..TO
# s, of when sample 0 was heard or spoken by snd_pcm_delay. Compared between two parts of a call
# it shows how far the device's clock moved against CLOCK_MONOTONIC in between.
_probe_sound_ms() {
	awk -v dir="$1" -v rate="${_probe_rate[$1]}" -v from="$2" -v to="$3" '
	NR > 1 && $4 >= 0 && $2 >= from * rate && $2 < to * rate {
		td = $5 / 1e6
		if (dir == "playback") printf "%.3f\n", td + ($4 - $2 - $3) * 1000 / rate
		else printf "%.3f\n", td - ($4 + $2 + $3) * 1000 / rate
	}' "${_probe_idx[$1]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# A local offset follows a timeline that drifts or warps, where one lag for the whole call
# cannot; only a piece of the reference around the guess is searched, so speech that repeats
# (the 45 s files repeat their text) cannot match the wrong repetition.
measure_offset() {
	local wav=$1 ch=$2 ref=$3 at=$4 len=$5 guess=$6 r out lag
	OFFSET_MS= OFFSET_NCC=
	r=$(awk "BEGIN{r = $at - ($guess) / 1000 - 1.5; printf \"%.4f\", r < 0 ? 0 : r}")
	sox "$wav" "$T/piece.wav" remix "$ch" trim "$at" "$len" 2>/dev/null &&
		sox "$ref" "$T/piece-ref.wav" trim "$r" "$(awk "BEGIN{print $len + 3}")" 2>/dev/null ||
		return 1
	out=$("$BUILD/tests/wavxcorr" "$T/piece.wav" 1 "$T/piece-ref.wav" 1 --max-lag-ms 3000 --min 0) ||
		return 1
	OFFSET_NCC=$(sed -n 's/.*ncc=\([-0-9.]*\).*/\1/p' <<<"$out")
	lag=$(sed -n 's/.*lag_ms=\([-0-9.]*\).*/\1/p' <<<"$out")
	OFFSET_MS=$(awk "BEGIN{printf \"%.1f\", ($at - $r) * 1000 + $lag}")
}

# The alignment error (baresip_call.sh explains it): channel 1's offset against what a read,
# minus channel 2's offset against what a wrote, minus how much later a's capture started.
# The probe's references put frame N at anchor + N / rate; if a device's clock runs off
# CLOCK_MONOTONIC, that is wrong later in a call by however far the clock moved, which
# snd_pcm_delay shows (_probe_sound_ms): the anchors are corrected by it (DRIFT_CAP_MS,
# DRIFT_PLAY_MS: how far each direction's clock moved between the call's first 10 s and the
# 10 s around the piece).
is_aligned_at() {
	ALIGN_ERR_MS= ALIGN_CAP_MS= ALIGN_PLAY_MS= ALIGN_NCC_CAP= ALIGN_NCC_PLAY=
	measure_offset "$WAV" 1 "$T/probe-capture.wav" "$1" 4 "${GUESS_CAP:-0}" || return 1
	ALIGN_CAP_MS=$OFFSET_MS ALIGN_NCC_CAP=$OFFSET_NCC
	note "$2: channel 1 offset $ALIGN_CAP_MS ms (piece NCC $OFFSET_NCC)"
	measure_offset "$WAV" 2 "$T/probe-playback.wav" "$1" 4 "${GUESS_PLAY:-0}" || return 1
	ALIGN_PLAY_MS=$OFFSET_MS ALIGN_NCC_PLAY=$OFFSET_NCC
	note "$2: channel 2 offset $ALIGN_PLAY_MS ms (piece NCC $OFFSET_NCC)"
	local rc rp s0c s0p s1c s1p
	rc=$(awk "BEGIN{print $1 - $ALIGN_CAP_MS / 1000}") rp=$(awk "BEGIN{print $1 - $ALIGN_PLAY_MS / 1000}")
	s0c=$(_probe_sound_ms capture 0 10) s1c=$(_probe_sound_ms capture "$(awk "BEGIN{print $rc - 5}")" "$(awk "BEGIN{print $rc + 5}")")
	s0p=$(_probe_sound_ms playback 0 10) s1p=$(_probe_sound_ms playback "$(awk "BEGIN{print $rp - 5}")" "$(awk "BEGIN{print $rp + 5}")")
	DRIFT_CAP_MS=$(awk "BEGIN{printf \"%.1f\", ${s1c:-0} - (${s0c:-0})}")
	DRIFT_PLAY_MS=$(awk "BEGIN{printf \"%.1f\", ${s1p:-0} - (${s0p:-0})}")
	note "$2: since the start, a's capture clock moved $DRIFT_CAP_MS ms, its playback clock $DRIFT_PLAY_MS ms against CLOCK_MONOTONIC"
	ALIGN_ERR_MS=$(awk "BEGIN{printf \"%.1f\", ($ALIGN_CAP_MS - ($ALIGN_PLAY_MS)) - (($P_CAP + $DRIFT_CAP_MS) - ($P_PLAY + $DRIFT_PLAY_MS))}")
	note "$2: alignment error (channel 1 - channel 2) $ALIGN_ERR_MS ms"
	awk "BEGIN{exit !($ALIGN_ERR_MS >= -20 && $ALIGN_ERR_MS <= 20)}"
}
