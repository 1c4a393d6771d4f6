#!/bin/bash
# conf/asound-callrec.conf exactly as shipped (`pcm.!default { type callrec slave.pcm
# "pipewire" }`) as the user's ~/.asoundrc on a headless PipeWire (tests/lib/pipewire.bash): an
# ALSA-native softphone (duplex) on the default device is recorded under the policy's rule for
# it, its audio reaches PipeWire's default sink unchanged, and an ALSA application the policy
# does not name (aplay) plays through the same default device without being recorded. Also: the
# Recorded line drop-in is harmless where the line's ALSA PCM is not defined.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/pipewire.bash"

make_speech "$T/far.wav" 3 "This is the customer, calling about my order." || exit 1
make_speech "$T/music.wav" 3 "A notification sound that is not a call." || exit 1

require "pki setup" setup_pki
write_policy "$T/policy.yaml"
set_agent_policy "$T/policy.yaml"
# Only the purpose's access roles see its calls: list and export as a `legal` operator.
require "pki operator counsel" add_operator counsel legal
OPERATOR=counsel
require "archive starts" start_archive
require "agent starts" start_agent
# The Recorded line drop-in is installed but this user's ALSA configuration has no
# `recorded_line`: thanks to `nofail`, pipewire still starts, without the line's nodes.
mkdir -p "$PW_DIR/cfg/pipewire/pipewire.conf.d"
cp "$TOP/conf/pipewire/50-callrec-recorded-line.conf" "$PW_DIR/cfg/pipewire/pipewire.conf.d/" || exit 1
if start_pipewire; then ok "pipewire and wireplumber start"; else
	not_ok "pipewire and wireplumber start"; tail -5 "$PW_DIR"/*.log; exit 1
fi

check "without recorded_line in ALSA, the line's nodes are simply absent" \
	test -z "$(get_pipewire_node_id recorded-line)$(get_pipewire_node_id recorded-line-mic)"

# ~/.asoundrc is read after /etc/alsa/conf.d (where PipeWire's own pcm.!default lives), as
# /etc/asound.conf would be. The plugin itself comes from lib.sh's pcm_type.callrec.
export HOME=$T
cp "$TOP/conf/asound-callrec.conf" "$T/.asoundrc" || exit 1

# What reaches PipeWire's default sink: its monitor, recorded.
pw-record -P '{ stream.capture.sink = true }' --target nullsink "$T/sink.wav" &
mon=$!
check "the sink's monitor is being recorded" wait_pipewire_node pw-record 5
check "an ALSA application not in the policy plays on the default device" \
	aplay -q -D default "$T/music.wav"
check "duplex (the softphone) on the default device" "$BUILD/tests/duplex" --capture default \
	--playback default --play "$T/far.wav" --record "$T/captured.wav" --rate 48000 --channels 2 \
	--format S16_LE
kill -INT "$mon"; wait "$mon" 2>/dev/null

to_log() { "$@" >>"$T/cli.log" 2>&1; }
check "PipeWire's default sink received the softphone's audio" \
	correlate "sink vs far" "$T/sink.wav" 1 "$T/far.wav" 1 --min 0.99 --max-lag-ms 8000
check "PipeWire's default sink received aplay's audio" \
	correlate "sink vs music" "$T/sink.wav" 1 "$T/music.wav" 1 --min 0.99 --max-lag-ms 8000

wait_for -t 20 has_complete_calls 1
list_calls id state application purpose | sed 's/^/# call: /'
check "one call archived: duplex, purpose contract" \
	test "$(list_calls id state application purpose | awk '$2 == "complete" && $3 == "duplex" && $4 == "contract"' | wc -l)" = 1
check "nothing else archived (aplay is not recorded)" test "$(list_calls | wc -l)" = 1
check "the agent saw aplay and handed it the slave (not recorded)" grep -q 'pid [0-9]* (aplay.*PASS' "$T/agent.log"
ID=$(list_calls | awk '$3 == "duplex" {print $1; exit}')
if [ -n "$ID" ]; then
	check "export the call" to_log run_archive_cli export --call "$ID" --out "$T/export"
	check "channel 2 (remote) is what the softphone played" \
		correlate "ch2 vs far" "$T/export/$ID.wav" 2 "$T/far.wav" 1 --min 0.95
fi
check "agent still running" kill -0 "$AGENT_PID"
stop_pipewire
