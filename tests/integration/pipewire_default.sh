#!/bin/bash
# conf/asound-callrec.conf exactly as shipped (`pcm.!default { type callrec slave.pcm
# "pipewire" }`) as the user's ~/.asoundrc on a headless PipeWire (tests/pipewire.sh): an
# ALSA-native softphone (duplex) on the default device is recorded under the policy's rule for
# it, its audio reaches PipeWire's default sink unchanged, and an ALSA application the policy
# does not name (aplay) plays through the same default device without being recorded. Also: the
# Recorded line drop-in is harmless where the line's ALSA PCM is not defined.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/pipewire.sh"
PY=/usr/bin/python3

make_speech() { # make_speech OUT.wav SECONDS TEXT
	espeak-ng -w "$T/speech.tmp.wav" "$3" &&
		sox -V1 -D "$T/speech.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.2 "$2" trim 0 "$2"
}
make_speech "$T/far.wav" 3 "This is the customer, calling about my order." || exit 1
make_speech "$T/music.wav" 3 "A notification sound that is not a call." || exit 1

pki_setup || { not_ok "pki setup"; exit 1; }
cat >"$T/policy.yaml" <<'EOP'
version: 1
purposes:
  contract:
    description: Proof of agreements made by phone
    legal_basis: contract
    retention: 5y
    access: [legal]
    disclosure:
      mode: notice
      notice: "Terms of service, article 12"
rules:
  - match: { application: [duplex] }
    record: contract
employees:
  notice: "Staff handbook 4.2"
  private_calls: user_can_mark
recording:
  on_failure: continue
EOP
echo "policy: $T/policy.yaml" >>"$PKI/devices/desk1/agent.yaml"
"$BUILD/callrec-archive" pki operator counsel --role legal --dir "$PKI" >/dev/null ||
	{ not_ok "pki operator counsel"; exit 1; }
archive_cli() { "$BUILD/callrec-archive" --config "$PKI/operators/counsel/archive.yaml" "$@"; }
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
# The Recorded line drop-in is installed but this user's ALSA configuration has no
# `recorded_line`: thanks to `nofail`, pipewire still starts, without the line's nodes.
mkdir -p "$PW_DIR/cfg/pipewire/pipewire.conf.d"
cp "$TOP/conf/pipewire/50-callrec-recorded-line.conf" "$PW_DIR/cfg/pipewire/pipewire.conf.d/" || exit 1
if pw_start; then ok "pipewire and wireplumber start"; else
	not_ok "pipewire and wireplumber start"; tail -5 "$PW_DIR"/*.log; exit 1
fi

check "without recorded_line in ALSA, the line's nodes are simply absent" \
	test -z "$(pw_node_id recorded-line)$(pw_node_id recorded-line-mic)"

# ~/.asoundrc is read after /etc/alsa/conf.d (where PipeWire's own pcm.!default lives), as
# /etc/asound.conf would be. The plugin itself comes from lib.sh's pcm_type.callrec.
export HOME=$T
cp "$TOP/conf/asound-callrec.conf" "$T/.asoundrc" || exit 1

# What reaches PipeWire's default sink: its monitor, recorded.
pw-record -P '{ stream.capture.sink = true }' --target nullsink "$T/sink.wav" &
mon=$!
check "the sink's monitor is being recorded" pw_wait_node pw-record 5
check "an ALSA application not in the policy plays on the default device" \
	aplay -q -D default "$T/music.wav"
check "duplex (the softphone) on the default device" "$BUILD/tests/duplex" --capture default \
	--playback default --play "$T/far.wav" --record "$T/captured.wav" --rate 48000 --channels 2 \
	--format S16_LE
kill -INT "$mon"; wait "$mon" 2>/dev/null

to_log() { "$@" >>"$T/cli.log" 2>&1; }
check "PipeWire's default sink received the softphone's audio" \
	xcorr "sink vs far" "$T/sink.wav" 1 "$T/far.wav" 1 --min 0.99 --max-lag-ms 8000
check "PipeWire's default sink received aplay's audio" \
	xcorr "sink vs music" "$T/sink.wav" 1 "$T/music.wav" 1 --min 0.99 --max-lag-ms 8000

list_calls() { # "id state application purpose"
	archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        c = json.loads(line)
        print(c.get("id"), c.get("state"), c.get("application"), c.get("purpose") or "-")'
}
for _ in $(seq 1 80); do list_calls | grep -q ' complete ' && break; sleep 0.25; done
list_calls | sed 's/^/# call: /'
check "one call archived: duplex, purpose contract" \
	test "$(list_calls | awk '$2 == "complete" && $3 == "duplex" && $4 == "contract"' | wc -l)" = 1
check "nothing else archived (aplay is not recorded)" test "$(list_calls | wc -l)" = 1
check "the agent saw aplay and handed it the slave (not recorded)" grep -q 'pid [0-9]* (aplay.*PASS' "$T/agent.log"
ID=$(list_calls | awk '$3 == "duplex" {print $1; exit}')
if [ -n "$ID" ]; then
	check "export the call" to_log archive_cli export --call "$ID" --out "$T/export"
	check "channel 2 (remote) is what the softphone played" \
		xcorr "ch2 vs far" "$T/export/$ID.wav" 2 "$T/far.wav" 1 --min 0.95
fi
check "agent still running" kill -0 "$AGENT_PID"
pw_stop
