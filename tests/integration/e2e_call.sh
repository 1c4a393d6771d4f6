#!/bin/bash
# End to end: one process (duplex, standing in for a softphone) captures what the local user says
# (signal A) and plays what the remote party says (signal B) through `type callrec` over paced
# rawfile slaves. The agent records the call and uploads it over mutual TLS; the archive stores
# it. Checks that the archived WAV carries A on channel 1 and B on channel 2 (not swapped), that
# the manifest names the device and the application, that the audio passed through unchanged,
# and that the agent's spool is empty once the call is complete.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3 # Debian's, with the json module (TESTING.md)

# --- signals: two different sentences, 48 kHz stereo S16 (both channels equal), ~5 s --------------
make_speech() { # make_speech OUT.wav SECONDS TEXT
	espeak-ng -w "$T/speech.tmp.wav" "$3" &&
		sox -V1 -D "$T/speech.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.2 "$2" trim 0 "$2"
}
make_speech "$T/a.wav" 5 "Hello, this is Alice from sales, I agree to the offer." || exit 1
make_speech "$T/b.wav" 5 "This is Bob, the customer. Confirmed, we have a deal." || exit 1
sox -D "$T/a.wav" -t raw "$T/a.raw" && sox -D "$T/b.wav" -t raw "$T/b.raw" || exit 1
# The capture slave reads ahead of the application (TESTING.md): give it a second of silence
# beyond the call so that it never reaches the end of its file.
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1

pki_setup || { not_ok "pki setup"; exit 1; }
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
SOCK=$(cat "$T/agent.ready")
note "agent socket $SOCK, archive 127.0.0.1:$PORT"

alsa_conf "
pcm.e2e_cap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.e2e_play_slave { type rawfile file \"$T/play_out.raw\" pace yes }
pcm.e2e_cap { type callrec slave.pcm \"e2e_cap_slave\" agent \"$SOCK\" }
pcm.e2e_play { type callrec slave.pcm \"e2e_play_slave\" agent \"$SOCK\" }"

# --- the call -----------------------------------------------------------------------------------
start=$(date +%s.%N)
check "duplex call through the plugin" "$BUILD/tests/duplex" --capture e2e_cap --playback e2e_play \
	--play "$T/b.wav" --record "$T/captured.wav" --rate 48000 --channels 2 --format S16_LE
took=$(echo "$start $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
note "duplex took ${took}s for 5 s of audio"
check "the slaves were paced (call took at least 4.8 s)" awk "BEGIN{exit !($took >= 4.8)}"

# --- wait until the archive has the complete call ----------------------------------------------------
find_call() { # prints the id of the complete call made by duplex
	archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    c = json.loads(line)
    if c.get("state") == "complete" and c.get("application") == "duplex":
        print(c["id"])
        break'
}
ID=
for _ in $(seq 1 40); do
	ID=$(find_call)
	[ -n "$ID" ] && break
	sleep 0.5
done
if [ -z "$ID" ]; then
	not_ok "the archive lists the call as complete within 20 s"
	archive_cli list --json >&2
	tail -20 "$T/agent.log" "$T/archived.log" >&2
	exit 1
fi
ok "the archive lists the call as complete ($ID)"

# --- export and check it -----------------------------------------------------------------------
check "export the call" archive_cli export --call "$ID" --out "$T/export"
WAV=$T/export/$ID.wav
MANIFEST=$T/export/$ID.manifest.json
check "the export has a WAV and a manifest" test -s "$WAV" -a -s "$MANIFEST"
check "the WAV has 2 channels" test "$(soxi -c "$WAV" 2>/dev/null)" = 2
check "the WAV is 16 kHz" test "$(soxi -r "$WAV" 2>/dev/null)" = 16000
check "the WAV is 16-bit" test "$(soxi -b "$WAV" 2>/dev/null)" = 16
secs=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: ${secs}s"
check "the WAV lasts about the call (4.5 to 10 s)" awk "BEGIN{exit !($secs >= 4.5 && $secs <= 10)}"

lag_of() { sed -n 's/.*lag_ms=\([-0-9.]*\).*/\1/p' <<<"$1"; }
check "channel 1 (local) is what was captured (A)" xcorr "ch1 vs A" "$WAV" 1 "$T/a.wav" 0 --min 0.99
LAG1=$(lag_of "$XCORR_OUT")
check "channel 2 (remote) is what was played (B)" xcorr "ch2 vs B" "$WAV" 2 "$T/b.wav" 0 --min 0.99
LAG2=$(lag_of "$XCORR_OUT")
# duplex starts both directions within a millisecond of each other, and the paced slaves run
# from that moment: A's first frame was "said" when B's first frame was "heard". SPEC 4.3 wants
# the two channels aligned within 20 ms.
note "channel offsets: local ${LAG1:-?} ms, remote ${LAG2:-?} ms"
check "the two directions are aligned within 20 ms" \
	awk "BEGIN{d = ${LAG1:-1000} - (${LAG2:-0}); exit !(d >= -20 && d <= 20)}"
# Directions not swapped: the other pairings must correlate poorly.
# Status 1 exactly: below --min; 2 would be an error (a missing file must not pass).
below_min() { "$@"; [ $? -eq 1 ]; }
check "channel 1 is not the played signal" below_min xcorr "ch1 vs B" "$WAV" 1 "$T/b.wav" 0 --min 0.5
check "channel 2 is not the captured signal" below_min xcorr "ch2 vs A" "$WAV" 2 "$T/a.wav" 0 --min 0.5

manifest_names() {
	"$PY" - "$MANIFEST" <<'EOF'
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
sys.exit(0 if "desk1" in dev and "duplex" in app else 1)
EOF
}
check "the manifest parses and names device desk1 and application duplex" manifest_names

# --- the audio itself passed through unchanged -----------------------------------------------------
prefix_equal() { # prefix_equal EXPECTED ACTUAL: ACTUAL starts with EXPECTED, then only zeros
	local n
	n=$(stat -c %s "$1")
	cmp -s -n "$n" "$1" "$2" || return 1
	tail -c +$((n + 1)) "$2" | tr -d '\0' | cmp -s - /dev/null
}
check "the playback slave received B bit-exactly" prefix_equal "$T/b.raw" "$T/play_out.raw"
sox -D "$T/captured.wav" -t raw "$T/captured.raw"
check "the application captured A bit-exactly" cmp -s -n "$(stat -c %s "$T/a.raw")" "$T/a.raw" \
	"$T/captured.raw"

# --- nothing left unacknowledged ---------------------------------------------------------------------
SPOOL=$XDG_STATE_HOME/callrec/spool
spool_empty() { [ -z "$(find "$SPOOL" -type f 2>/dev/null)" ]; }
for _ in $(seq 1 20); do spool_empty && break; sleep 0.25; done
check "the spool exists" test -d "$SPOOL"
check "the agent's spool is empty after the call" spool_empty
find "$SPOOL" -type f 2>/dev/null | sed 's/^/# left in spool: /'
check "agent still running" kill -0 "$AGENT_PID"
check "archive still running" kill -0 "$ARCHIVED_PID"
