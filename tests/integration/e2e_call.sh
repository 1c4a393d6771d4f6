#!/bin/bash
# End to end: one process (duplex, standing in for a softphone) captures what the local user says
# (signal A) and plays what the remote party says (signal B) through `type callrec` over paced
# rawfile slaves. The agent records the call and uploads it over mutual TLS; the archive stores
# it. Checks that the archived WAV carries A on channel 1 and B on channel 2 (not swapped), that
# the manifest names the device and the application, that the audio passed through unchanged,
# and that the agent's spool is empty once the call is complete.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"

# --- signals: two different sentences, 48 kHz stereo S16 (both channels equal), 5 s -------------
require "signals" make_call_signals 5
require "pki setup" setup_pki
require "archive starts" start_archive
require "agent starts" start_agent
note "agent socket $SOCK, archive $ADDR"
add_call_pcms

# --- the call -----------------------------------------------------------------------------------
start=$(date +%s.%N)
check "duplex call through the plugin" run_call "$T/captured.wav"
took=$(echo "$start $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
note "duplex took ${took}s for 5 s of audio"
check "the slaves were paced (call took at least 4.8 s)" awk "BEGIN{exit !($took >= 4.8)}"

# --- wait until the archive has the complete call ----------------------------------------------------
require_complete_call "the archive lists the call as complete within 20 s" duplex 20

# --- export and check it -----------------------------------------------------------------------
check "export the call" export_call
check "the export has a WAV and a manifest" test -s "$WAV" -a -s "$MANIFEST"
check "the WAV has 2 channels" test "$(soxi -c "$WAV" 2>/dev/null)" = 2
check "the WAV is 16 kHz" test "$(soxi -r "$WAV" 2>/dev/null)" = 16000
check "the WAV is 16-bit" test "$(soxi -b "$WAV" 2>/dev/null)" = 16
secs=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: ${secs}s"
check "the WAV lasts about the call (4.5 to 10 s)" awk "BEGIN{exit !($secs >= 4.5 && $secs <= 10)}"

check "channel 1 (local) is what was captured (A)" correlate "ch1 vs A" "$WAV" 1 "$T/a.wav" 0 --min 0.99
LAG1=$CORR_LAG_MS
check "channel 2 (remote) is what was played (B)" correlate "ch2 vs B" "$WAV" 2 "$T/b.wav" 0 --min 0.99
LAG2=$CORR_LAG_MS
# duplex starts both directions within a millisecond of each other, and the paced slaves run
# from that moment: A's first frame was "said" when B's first frame was "heard". The two
# channels of a recording must be aligned within 20 ms.
note "channel offsets: local ${LAG1:-?} ms, remote ${LAG2:-?} ms"
check "the two directions are aligned within 20 ms" \
	awk "BEGIN{d = ${LAG1:-1000} - (${LAG2:-0}); exit !(d >= -20 && d <= 20)}"
# Directions not swapped: the other pairings must correlate poorly.
check "channel 1 is not the played signal" is_below_min correlate "ch1 vs B" "$WAV" 1 "$T/b.wav" 0 --min 0.5
check "channel 2 is not the captured signal" is_below_min correlate "ch2 vs A" "$WAV" 2 "$T/a.wav" 0 --min 0.5

manifest_names() {
	"$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
def values(o, key):
    """Every string value of `key` anywhere in the manifest (top level or nested)."""
    if isinstance(o, dict):
        if isinstance(o.get(key), str):
            yield o[key]
        for v in o.values():
            yield from values(v, key)
    elif isinstance(o, list):
        for v in o:
            yield from values(v, key)
dev, app = list(values(m, "device")), list(values(m, "application"))
print("# manifest device=%s application=%s" % (dev, app))
sys.exit(0 if "desk1" in dev and "duplex" in app else 1)' "$MANIFEST"
}
check "the manifest parses and names device desk1 and application duplex" manifest_names

# --- the audio itself passed through unchanged -----------------------------------------------------
check "the playback slave received B bit-exactly" has_prefix_then_zeros "$T/b.raw" "$T/play_out.raw"
sox -D "$T/captured.wav" -t raw "$T/captured.raw"
check "the application captured A bit-exactly" has_prefix "$T/a.raw" "$T/captured.raw"

# --- nothing left unacknowledged ---------------------------------------------------------------------
wait_for -t 5 is_spool_empty
check "the spool exists" test -d "$XDG_STATE_HOME/callrec/spool"
check "the agent's spool is empty after the call" is_spool_empty
find "$XDG_STATE_HOME/callrec/spool" -type f 2>/dev/null | sed 's/^/# left in spool: /'
check "agent still running" kill -0 "$AGENT_PID"
check "archive still running" kill -0 "$ARCHIVED_PID"
