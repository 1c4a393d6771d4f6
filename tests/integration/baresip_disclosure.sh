#!/bin/bash
# Disclosure the other party actually hears, in a real softphone call: the
# two-baresip set-up of tests/lib/softphone.bash with an agent policy that records baresip.
#  1. mode: announce (en-contract.wav): the far side's received audio (b's dec dump) holds the
#     whole announcement (NCC > 0.9 with the shipped WAV, resampled) before any of the near
#     side's speech, although the near party talks from the first moment; the announcement
#     replaces the microphone rather than being mixed with it; the speech follows it.
#  2. mode: tone (1400 Hz, 0.5 s, every 15 s): b's received audio has a 1400 Hz burst every
#     15 s +- 0.1 s (a 31 s call: at least 2 bursts, of 0.5 s), measured with
#     tests/programs/tonedetect.
# Both are also in the archived recording (channel 1: what the local side sent).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/softphone.bash"
ANN=$BUILD/announcements/en-contract.wav

policy() { # policy DISCLOSURE: a policy recording baresip for one purpose with that disclosure
	write_policy "$T/policy.yaml" PURPOSE=test DESCRIPTION="Disclosure test" RETENTION=30d \
		ACCESS=admin MATCH='application: [baresip]' EMPLOYEE_NOTICE="Test handbook 1.1" \
		DISCLOSURE="$1"
}
ANNOUNCE='mode: announce, announcement: en-contract.wav, also_local: true'
TONE='mode: tone, tone: { frequency: 1400, length: 0.5s, every: 15s, level: -18dB }'

require "speech for both parties" make_softphone_speech
check "the shipped announcement exists" test -s "$ANN"
ANN_S=$(soxi -D "$ANN" 2>/dev/null || echo 0)
policy "$ANNOUNCE"
check "the announce policy is valid" \
	"$BUILD/callrec" policy check --quiet --announcements "$BUILD/announcements" "$T/policy.yaml"
require "pki setup" setup_pki
set_agent_policy "$T/policy.yaml"
check "archive, PipeWire, agent with the policy, and baresip set up" setup_softphones || exit 1

# manifest_events KIND exact|cover START_MS...: the manifest lists disclosure events of KIND
# (objects with "kind" and "start_ms", anywhere in it; start_ms from the start of the
# recording), one within 50 ms of each START_MS; with exact, no others.
manifest_events() {
	"$PY" - "$MANIFEST" "$@" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
kind, how, want = sys.argv[2], sys.argv[3], [float(v) for v in sys.argv[4:]]
def events(o):
    if isinstance(o, dict):
        if o.get("kind") == kind and isinstance(o.get("start_ms"), (int, float)):
            yield o["start_ms"]
        for v in o.values():
            yield from events(v)
    elif isinstance(o, list):
        for v in o:
            yield from events(v)
got = sorted(set(events(m)))
print("# manifest %s events at %s ms; in the audio at %s ms" % (kind, got, want))
ok = want and all(any(abs(g - w) <= 50 for g in got) for w in want)
sys.exit(0 if ok and (how != "exact" or len(got) == len(want)) else 1)
PY
}

# --- 1. announce ------------------------------------------------------------------------------
# Long enough for the whole announcement and a few seconds of the near party after it.
check "announce: a calls b and hangs up after $(printf %.0f "$ANN_S") + 4 s" \
	make_softphone_call "$(awk "BEGIN{printf \"%.0f\", $ANN_S + 4}")"
DEC=$(get_dump_path dec)
check "announce: b dumped what it received" test -s "$DEC"
cp "$DEC" "$T/announce-dec.wav" 2>/dev/null
DEC=$T/announce-dec.wav
check "announce: b heard the announcement (NCC > 0.9)" \
	correlate "b received vs announcement" "$DEC" 1 "$ANN" 1 --max-lag-ms 8000 --min 0.9
L_ANN=${CORR_LAG_MS:-0}
note "the announcement starts ${L_ANN} ms into what b received; it lasts ${ANN_S} s"
check "announce: b heard it from its first word" awk "BEGIN{exit !($L_ANN >= -20)}"
# Nothing of the near party before it: the near party talks from before the call, so anything
# b received before the announcement would be their speech. G.711 silence decodes to 0.
before_is_silent() {
	local s=$(awk "BEGIN{printf \"%.3f\", $L_ANN / 1000 - 0.02}") peak
	awk "BEGIN{exit !($s <= 0)}" && return 0
	peak=$(sox "$DEC" -n trim 0 "$s" stat 2>&1 | awk '/^Maximum amplitude/ {print $3}')
	note "peak before the announcement: ${peak:-?}"
	awk "BEGIN{exit !(${peak:-1} < 0.03)}"
}
check "announce: b received nothing of the near party before it" before_is_silent
# Replaced, not mixed: over the announcement's own span, b's audio is the
# announcement alone (mixed with this speech at a like level, NCC drops to ~0.85).
sox "$DEC" "$T/announce-span.wav" trim "$(awk "BEGIN{printf \"%.3f\", $L_ANN / 1000}")" "$ANN_S"
check "announce: it replaced the microphone (NCC > 0.98 over its span)" \
	correlate "b received during the announcement" "$T/announce-span.wav" 1 "$ANN" 1 \
	--max-lag-ms 50 --min 0.98
# ... and the near party is heard after it (so the test would have seen their speech).
sox "$DEC" "$T/announce-after.wav" trim "$(awk "BEGIN{printf \"%.3f\", $L_ANN / 1000 + $ANN_S + 0.2}")"
check "announce: the near party's speech follows it" \
	correlate "b received after the announcement vs near speech" "$T/announce-after.wav" 1 \
	"$T/near.wav" 1 --max-lag-ms 30000 --min 0.9
if wait_complete_call baresip 20; then
	ok "announce: the archive has the call ($ID)"
	ANNOUNCE_ID=$ID
	check "announce: export it" export_call
	check "announce: the recording's channel 1 holds the announcement (NCC > 0.9)" \
		correlate "archived ch1 vs announcement" "$WAV" 1 "$ANN" 1 --max-lag-ms 8000 --min 0.9
	check "announce: the manifest says when (+-50 ms of where channel 1 has it)" \
		manifest_events announce exact "${CORR_LAG_MS:-1e9}"
else
	not_ok "announce: the archive has the call"
	ANNOUNCE_ID=
fi

# --- 2. tone ------------------------------------------------------------------------------------
# The detector must not take speech for the tone: espeak's steady vowels can hold a frequency for
# ~0.3 s, so a burst must last 0.4 s (80% of the configured 0.5 s). Checked on both parties'
# speech at the rate b receives.
TONE_ARGS="1400 --min-length 0.4"
tone_free() { # tone_free WAV: no burst in the WAV converted to 8 kHz mono
	sox -D "$1" -r 8000 -c 1 "$T/tone-free.wav" &&
		[ -z "$("$BUILD/tests/tonedetect" "$T/tone-free.wav" $TONE_ARGS)" ]
}
check "tone: the detector finds no 1400 Hz burst in either party's speech" \
	eval 'tone_free "$T/near.wav" && tone_free "$T/far.wav"'
policy "$TONE"
check "the tone policy is valid" \
	"$BUILD/callrec" policy check --quiet --announcements "$BUILD/announcements" "$T/policy.yaml"
stop_pid "$AGENT_PID"
check "tone: the agent restarts with the tone policy" start_agent || exit 1
check "tone: a calls b and hangs up after 31 s" make_softphone_call 31
DEC=$(get_dump_path dec)
check "tone: b dumped what it received" test -s "$DEC"
# bursts FILE CHANNEL NAME: runs the detector, notes the bursts, checks count, interval, length.
# A burst that touches the start of the file may have begun before it (b's decoder starts with
# the first packet), one that touches the end may be cut short: intervals are measured between
# starts, or between ends where the earlier burst touches the file's start.
bursts() {
	local out n
	out=$("$BUILD/tests/tonedetect" "$1" $TONE_ARGS --channel "$2") || return 1
	n=$(grep -c . <<<"$out")
	note "$3: $n bursts: $(tr '\n' ' ' <<<"$out")"
	check "tone: $3 has at least 2 bursts" test "$n" -ge 2
	check "tone: $3 has one every 15 s +- 0.1 s" awk '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  s[NR] = v["start"] + 0; e[NR] = v["end"] + 0; edge[NR] = v["edge"] }
		END {
			for (i = 1; i < NR; i++) {
				if (edge[i] != "start" && edge[i] != "both" && edge[i + 1] != "end" && edge[i + 1] != "both")
					d = s[i + 1] - s[i]
				else if (edge[i + 1] != "end" && edge[i + 1] != "both")
					d = e[i + 1] - e[i]
				else { print "# burst " i + 1 " is cut at both ends"; bad = 1; continue }
				printf "# interval %.3f s\n", d
				if (d < 14.9 || d > 15.1) bad = 1
			}
			exit bad || NR < 2
		}' <<<"$out"
	check "tone: $3's whole bursts last 0.5 s +- 0.1 s" awk '
		/edge=none/ { whole++; split($3, kv, "="); if (kv[2] < 0.4 || kv[2] > 0.6) bad = 1 }
		END { exit bad || whole < 1 }' <<<"$out"
}
bursts "$DEC" 1 "what b received"
if wait_complete_call baresip 20 "$ANNOUNCE_ID"; then
	ok "tone: the archive has the call ($ID)"
	check "tone: export it" export_call
	bursts "$WAV" 1 "the recording's channel 1"
	# The detector reports a burst's start ~20 ms early (tonedetect.c). The manifest also lists
	# bursts cut by the recording's edges, which have no true start in the audio to compare.
	STARTS=$("$BUILD/tests/tonedetect" "$WAV" $TONE_ARGS --channel 1 |
		awk '/edge=none/ { split($1, kv, "="); printf "%.0f ", kv[2] * 1000 + 20 }')
	check "tone: the manifest says when (+-50 ms of each whole burst in channel 1)" \
		manifest_events tone cover $STARTS
else
	not_ok "tone: the archive has the call"
fi
check "agent still running" kill -0 "$AGENT_PID"
