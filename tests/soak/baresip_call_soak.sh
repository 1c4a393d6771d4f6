#!/bin/bash
# Soak: a long real-softphone call (tests/lib/softphone.bash), to show that the two channels
# stay aligned within 20 ms over a long call (an hour, say) with baresip over paced PipeWire.
# Not part of tests/run.sh (it lasts as long as the call):
#   SOAK_SECONDS=3600 bash tests/soak/baresip_call_soak.sh      (default 600)
# Checks the call is archived complete with no gaps, and every ~5 minutes (and at the start and
# the end) that the recording's channels still match what a read and wrote and are aligned
# within 20 ms. The match is NCC > 0.95 on 4 s pieces, not the 0.99 of the short call: it is
# taken at whole 16 kHz samples, and a resampler that follows the devices' clocks lets the
# sub-sample phase wander by a few hundredths of a millisecond over minutes, which costs speech
# a few hundredths of NCC (measured: 0.973 at 16 kHz, 0.988 at 64 kHz for the same piece) while
# any wrong or missing audio falls far below (the other direction: ~0.03). Each piece is
# searched near the previous piece's offsets, so a slow drift is followed and measured, and
# repeated speech cannot match the wrong repetition.
. "$(dirname "$0")/../lib.sh"
SECS=${SOAK_SECONDS:-600}
SPEECH_SECONDS=$((SECS + 60))
. "$TOP/tests/lib/softphone.bash"

require "speech for both parties" make_softphone_speech
require "pki setup" setup_pki
require "archive, PipeWire, agent and baresip set up" setup_softphones
check "a calls b, they talk for $SECS s, a hangs up" make_softphone_call "$SECS"
require_complete_call "the archive lists baresip's call as complete" baresip 120
check "export the call" export_call
dur=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: $dur s"
check "the recording lasts about the call" awk "BEGIN{exit !($dur >= $SECS && $dur <= $SECS + 10)}"
check "the call has no gaps" has_no_gaps
check "the probe saw a's playback" read_probe playback
P_PLAY=$PROBE_ANCHOR_MS
check "the probe saw a's capture" read_probe capture
P_CAP=$PROBE_ANCHOR_MS
# The first piece finds the offsets (searched around 0: they are well under 1.5 s); each later
# piece is searched around the previous one's.
GUESS_CAP=0 GUESS_PLAY=0
first_err= last_err=
for at in 1 $(seq 300 300 $((${dur%.*} - 10))) "$(awk "BEGIN{printf \"%.1f\", $dur - 5}")"; do
	check "aligned within 20 ms at $at s" is_aligned_at "$at" "at $at s"
	check "the channels are what a read and wrote at $at s (NCC > 0.95)" \
		awk "BEGIN{exit !(${ALIGN_NCC_CAP:-0} > 0.95 && ${ALIGN_NCC_PLAY:-0} > 0.95)}"
	[ -n "$ALIGN_CAP_MS" ] && GUESS_CAP=$ALIGN_CAP_MS
	[ -n "$ALIGN_PLAY_MS" ] && GUESS_PLAY=$ALIGN_PLAY_MS
	[ -z "$first_err" ] && first_err=${ALIGN_ERR_MS:-}
	last_err=${ALIGN_ERR_MS:-}
done
note "alignment error from ${first_err:-?} ms at the start to ${last_err:-?} ms at the end of $dur s"
check "agent still running" kill -0 "$AGENT_PID"
check "archive still running" kill -0 "$ARCHIVED_PID"
