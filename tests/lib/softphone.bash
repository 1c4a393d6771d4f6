# The two-baresip call over headless PipeWire (tests/pipewire.sh), shared by
# tests/integration/baresip_call.sh and baresip_disclosure.sh (TESTING.md "A real softphone" and
# "PipeWire as a paced slave"). Source after tests/lib.sh.
#
#   a (near side, the desk being recorded): audio_player alsa,sp_spk and audio_source
#     alsa,sp_mic, both `type callrec` over PipeWire: sp_spk plays into the null sink
#     "nullsink"; sp_mic records the monitor of the null sink "micsink"
#     (PIPEWIRE_ALSA stream.capture.sink), into which pw-play plays the near party's speech.
#     The ALSA probe (alsaprobe.c, LD_PRELOAD) writes what a hands to and takes from ALSA, with
#     CLOCK_MONOTONIC times, to $T/probe/.
#   b (far side): answermode=auto, audio_source aufile (the far party's speech, 8 kHz mono),
#     player into "nullsink" too (not recorded: the plain pipewire PCM), sndfile dumps of
#     what it sent (dump-*-enc.wav) and received (dump-*-dec.wav) in $T/sp/b/dump/.
#
#   sc_speech                 $T/near.wav (48 kHz stereo) and $T/far.wav (8 kHz mono),
#                             SC_SPEECH_SECONDS (45) each: longer than the call (b ends the call
#                             when its file runs out)
#   sc_start                  archive, PipeWire, agent, ALSA PCMs, baresip configurations
#                             (append agent.yaml lines to $PKI/devices/desk1/agent.yaml between
#                             pki_setup and sc_start; sc_start calls pki_setup only if PKI unset)
#   sc_call SECONDS           a calls b, talks for SECONDS, hangs up; both baresips stop (b's
#                             dumps and the probe's files of an earlier call are removed first)
#   sc_wait_complete [SECS] [OLD_ID]  sets ID to the archive's complete call by baresip (not
#                             OLD_ID: a call already seen)
#   sc_export                 exports call ID into $T/export; sets WAV MANIFEST
#   sc_dump enc|dec           prints the path of b's dump
#   sc_probe playback|capture writes $T/probe-DIRECTION.wav from the longest such stream and
#                             sets PROBE_ANCHOR_MS: the CLOCK_MONOTONIC time (ms) of its sample 0,
#                             PROBE_FIRST_MS: that time as the first call alone implies, and
#                             PROBE_SOUND_MS: when sample 0 was heard or spoken (snd_pcm_delay)
#   xcorr NAME ARGS...        wavxcorr with a note; XCORR_NCC / XCORR_LAG hold its figures
#   sc_offset WAV CH REF AT LEN GUESS_MS
#                             the offset (ms, position in WAV - position in REF) of the piece
#                             [AT, AT + LEN) s of WAV's channel CH, searched within +-1.5 s of
#                             GUESS_MS: sets OFFSET_MS and OFFSET_NCC
#   sc_aligned_at AT NAME     after sc_export and sc_probe of both directions (P_CAP, P_PLAY set
#                             from PROBE_ANCHOR_MS, GUESS_CAP, GUESS_PLAY from whole-call or
#                             earlier offsets): notes the alignment error of the recording's
#                             channels in the 4 s piece at AT s (ALIGN_ERR_MS, ALIGN_CAP_MS,
#                             ALIGN_PLAY_MS; the pieces' NCC in ALIGN_NCC_CAP, ALIGN_NCC_PLAY)
#                             and succeeds when it is within 20 ms
SC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SC_DIR/../pipewire.sh"
. "$SC_DIR/baresip.sh"
PY=/usr/bin/python3 # Debian's, with the json module (TESTING.md)

SC_SPEECH_SECONDS=${SC_SPEECH_SECONDS:-45}
_sc_say() { # _sc_say OUT.wav VOICE RATE CHANNELS TEXT: SC_SPEECH_SECONDS of speech (repeated)
	espeak-ng -v "$2" -w "$1.tmp.wav" "$5" &&
		sox -V1 -D "$1.tmp.wav" -r "$3" -c "$4" -b 16 "$1" \
			repeat $((SC_SPEECH_SECONDS / 10 + 1)) trim 0 "$SC_SPEECH_SECONDS" &&
		rm -f "$1.tmp.wav"
}
sc_speech() {
	# Two voices and two texts, so that neither correlates with the other.
	_sc_say "$T/near.wav" en+f3 48000 2 "Good morning, this is Alice from the sales desk. \
Thank you for calling. Let me check the stock for you, one moment please. Yes, we have enough \
in stock, and a delivery on Monday morning works for us. I will send the contract today." &&
		_sc_say "$T/far.wav" en-us 8000 1 "This is Bob, the customer, calling about our order. \
I would like three hundred boxes of blue paper, delivered to our warehouse in Utrecht. Could you \
confirm the price per box, and the date of delivery, please? Then we have a deal."
}

sc_start() {
	if [ -z "${PKI:-}" ]; then pki_setup || return 1; fi
	start_archive || { echo "# archive did not start" >&2; return 1; }
	# The directories start_agent (tests/lib.sh) uses, set first: pw_start keeps them, and the
	# PipeWire clients and the agent must agree on XDG_RUNTIME_DIR.
	export XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=$T/state
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME"
	pw_start || return 1
	start_agent || { echo "# agent did not start" >&2; tail -5 "$T/agent.log" >&2; return 1; }
	SOCK=$(cat "$T/agent.ready")
	alsa_conf "
pcm.sp_spk { type callrec slave.pcm \"pipewire:NODE=nullsink\" agent \"$SOCK\" }
pcm.sp_mic { type callrec slave.pcm \"pipewire:NODE=micsink\" agent \"$SOCK\" }"
	# The probe is test instrumentation, built here until the Makefile builds it.
	PROBE_SO=$BUILD/tests/alsaprobe.so
	if [ ! -e "$PROBE_SO" ]; then
		PROBE_SO=$T/alsaprobe.so
		${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared \
			-o "$PROBE_SO" "$SC_DIR/alsaprobe.c" -ldl -lasound -lpthread || return 1
	fi
	mkdir -p "$T/probe"
	sp_ports || return 1
	sp_config a "$SP_A_SIP" "$SP_A_CTRL" alsa,sp_spk alsa,sp_mic \
		"<sip:a@127.0.0.1:$SP_A_SIP>;regint=0;audio_codecs=PCMU"
	sp_config b "$SP_B_SIP" "$SP_B_CTRL" "alsa,pipewire:NODE=nullsink" "aufile,$T/far.wav" \
		"<sip:b@127.0.0.1:$SP_B_SIP>;regint=0;answermode=auto;audio_codecs=PCMU" \
		aufile.so sndfile.so
}

sc_call() {
	local rc=0
	SC_FEED=
	# Each call starts with no dumps and no probe files: what is found afterwards is its own.
	rm -f "$T"/sp/b/dump/* "$T"/probe/*
	_sc_call "$1" || rc=1
	# Whatever happened, nothing of this call keeps running into the next one.
	sp_stop a
	sp_stop b
	[ -n "$SC_FEED" ] && stop_pid "$SC_FEED"
	return $rc
}
_sc_call() {
	sp_start b || return 1
	sp_start a "PIPEWIRE_ALSA={ stream.capture.sink=true }" "LD_PRELOAD=$PROBE_SO" \
		"ALSAPROBE_DIR=$T/probe" "ALSAPROBE_PCMS=sp_spk,sp_mic" || return 1
	# The near party talks into the microphone from before the call until after it.
	pw-play --target micsink "$T/near.wav" 2>>"$T/pw-play.log" &
	SC_FEED=$!
	_pids+=("$SC_FEED")
	sp_cmd a dial "sip:b@127.0.0.1:$SP_B_SIP" >/dev/null || return 1
	if ! sp_wait_log a "Call established" 10 || ! sp_wait_log b "Call established" 5; then
		echo "# the call was not established" >&2
		return 1
	fi
	sleep "$1" # the call itself: real time is what is being tested
	sp_cmd a hangup >/dev/null
	sp_wait_log b "terminated" 5 || echo "# b did not see the hangup" >&2
	# Both must still have been in the call when a hung up: b ends the call with "audio error"
	# when its file runs out, and the side that receives a BYE logs "session closed".
	if grep -q "audio error" "$T/sp/b.log" || grep -q "session closed" "$T/sp/a.log"; then
		echo "# the call ended before the hangup" >&2
		return 1
	fi
}

sc_wait_complete() {
	local i
	ID=
	for i in $(seq 1 $((${1:-20} * 2))); do
		ID=$(archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        c = json.loads(line)
        if c.get("state") == "complete" and c.get("application") == "baresip" \
                and c["id"] not in sys.argv[1:]:
            print(c["id"])
            break' ${2:-})
		[ -n "$ID" ] && return 0
		sleep 0.5
	done
	return 1
}

sc_export() {
	archive_cli export --call "$ID" --out "$T/export" >/dev/null || return 1
	WAV=$T/export/$ID.wav
	MANIFEST=$T/export/$ID.manifest.json
	[ -s "$WAV" ] && [ -s "$MANIFEST" ]
}

sc_dump() { ls "$T"/sp/b/dump/dump-*-"$1".wav 2>/dev/null | head -1; }

sc_probe() {
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
	SC_PROBE_IDX[$dir]=$best SC_PROBE_RATE[$dir]=$rate
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
	PROBE_SOUND_MS=$(awk -v dir="$dir" -v rate="$rate" 'NR > 1 && $4 >= 0 {
		td = $5 / 1e6
		if (dir == "playback") printf "%.3f\n", td + ($4 - $2 - $3) * 1000 / rate
		else printf "%.3f\n", td - ($4 + $2 + $3) * 1000 / rate
	}' "$best" | sort -g | awk -v fallback="$PROBE_ANCHOR_MS" '
		{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : fallback }')
}

declare -A SC_PROBE_IDX SC_PROBE_RATE

# _sc_sound DIR FROM TO: median, over the probe's calls for stream positions FROM..TO s, of when
# sample 0 was heard or spoken by snd_pcm_delay (as PROBE_SOUND_MS). Compared between two parts
# of a call it shows how far the device's clock moved against CLOCK_MONOTONIC in between.
_sc_sound() {
	awk -v dir="$1" -v rate="${SC_PROBE_RATE[$1]}" -v from="$2" -v to="$3" '
	NR > 1 && $4 >= 0 && $2 >= from * rate && $2 < to * rate {
		td = $5 / 1e6
		if (dir == "playback") printf "%.3f\n", td + ($4 - $2 - $3) * 1000 / rate
		else printf "%.3f\n", td - ($4 + $2 + $3) * 1000 / rate
	}' "${SC_PROBE_IDX[$1]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

XCORR_OUT= XCORR_NCC= XCORR_LAG=
xcorr() { # xcorr NAME ARGS...: runs wavxcorr, notes its result, passes its status on
	local rc
	XCORR_OUT=$("$BUILD/tests/wavxcorr" "${@:2}")
	rc=$?
	XCORR_NCC=$(sed -n 's/.*ncc=\([-0-9.]*\).*/\1/p' <<<"$XCORR_OUT")
	XCORR_LAG=$(sed -n 's/.*lag_ms=\([-0-9.]*\).*/\1/p' <<<"$XCORR_OUT")
	echo "# $1: ${XCORR_OUT:-failed (status $rc)}"
	return $rc
}

# A local offset follows a timeline that drifts or warps, where one lag for the whole call
# cannot; only a piece of the reference around the guess is searched, so speech that repeats
# (the 45 s files repeat their text) cannot match the wrong repetition.
sc_offset() {
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
# snd_pcm_delay shows (_sc_sound): the anchors are corrected by it (DRIFT_CAP_MS,
# DRIFT_PLAY_MS: how far each direction's clock moved between the call's first 10 s and the
# 10 s around the piece).
sc_aligned_at() {
	ALIGN_ERR_MS= ALIGN_CAP_MS= ALIGN_PLAY_MS= ALIGN_NCC_CAP= ALIGN_NCC_PLAY=
	sc_offset "$WAV" 1 "$T/probe-capture.wav" "$1" 4 "${GUESS_CAP:-0}" || return 1
	ALIGN_CAP_MS=$OFFSET_MS ALIGN_NCC_CAP=$OFFSET_NCC
	note "$2: channel 1 offset $ALIGN_CAP_MS ms (piece NCC $OFFSET_NCC)"
	sc_offset "$WAV" 2 "$T/probe-playback.wav" "$1" 4 "${GUESS_PLAY:-0}" || return 1
	ALIGN_PLAY_MS=$OFFSET_MS ALIGN_NCC_PLAY=$OFFSET_NCC
	note "$2: channel 2 offset $ALIGN_PLAY_MS ms (piece NCC $OFFSET_NCC)"
	local rc rp s0c s0p s1c s1p
	rc=$(awk "BEGIN{print $1 - $ALIGN_CAP_MS / 1000}") rp=$(awk "BEGIN{print $1 - $ALIGN_PLAY_MS / 1000}")
	s0c=$(_sc_sound capture 0 10) s1c=$(_sc_sound capture "$(awk "BEGIN{print $rc - 5}")" "$(awk "BEGIN{print $rc + 5}")")
	s0p=$(_sc_sound playback 0 10) s1p=$(_sc_sound playback "$(awk "BEGIN{print $rp - 5}")" "$(awk "BEGIN{print $rp + 5}")")
	DRIFT_CAP_MS=$(awk "BEGIN{printf \"%.1f\", ${s1c:-0} - (${s0c:-0})}")
	DRIFT_PLAY_MS=$(awk "BEGIN{printf \"%.1f\", ${s1p:-0} - (${s0p:-0})}")
	note "$2: since the start, a's capture clock moved $DRIFT_CAP_MS ms, its playback clock $DRIFT_PLAY_MS ms against CLOCK_MONOTONIC"
	ALIGN_ERR_MS=$(awk "BEGIN{printf \"%.1f\", ($ALIGN_CAP_MS - ($ALIGN_PLAY_MS)) - (($P_CAP + $DRIFT_CAP_MS) - ($P_PLAY + $DRIFT_PLAY_MS))}")
	note "$2: alignment error (channel 1 - channel 2) $ALIGN_ERR_MS ms"
	awk "BEGIN{exit !($ALIGN_ERR_MS >= -20 && $ALIGN_ERR_MS <= 20)}"
}
