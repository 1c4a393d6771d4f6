#!/bin/bash
# Issue 5, SPEC 4.7/5: the archive stops in the middle of a call and starts again. The agent
# keeps spooling, reconnects (exponential backoff with full jitter), resends what was not
# acknowledged, and the call completes in the archive with nothing missing. A later reconnect
# resumes the TLS session (the agent logs "TLS session resumed"; across an archive restart a
# full handshake is expected, as the archive's ticket key lives in its memory). The heartbeat
# reaches the archive: its devices table holds this desktop's last heartbeat with the backlog,
# the last acknowledged (call, seq), the drop and eviction counters and the version.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
SECS=12

make_speech() { # make_speech OUT.wav SECONDS TEXT
	espeak-ng -w "$T/speech.tmp.wav" "$3" &&
		sox -V1 -D "$T/speech.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.2 "$2" repeat 2 trim 0 "$2"
}
make_speech "$T/a.wav" $SECS "Hello, this is Alice from sales. I agree to the offer we discussed." || exit 1
make_speech "$T/b.wav" $SECS "This is Bob, the customer. Confirmed, we have a deal, thank you." || exit 1
sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 1 || exit 1

pki_setup || { not_ok "pki setup"; exit 1; }
start_archive || { not_ok "archive starts"; exit 1; }
start_agent || { not_ok "agent starts"; exit 1; }
SOCK=$(cat "$T/agent.ready")
alsa_conf "
pcm.r_cap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.r_play_slave { type rawfile file \"$T/play_out.raw\" pace yes }
pcm.r_cap { type callrec slave.pcm \"r_cap_slave\" agent \"$SOCK\" }
pcm.r_play { type callrec slave.pcm \"r_play_slave\" agent \"$SOCK\" }"

# wait_log FILE PATTERN [SECONDS] [MIN_COUNT]: until FILE has MIN_COUNT lines matching PATTERN.
wait_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		[ "$(grep -cE "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

check "the agent connects to the archive" wait_log "$T/agent.log" "archive connected" 10
"$BUILD/tests/duplex" --capture r_cap --playback r_play --play "$T/b.wav" \
	--record "$T/captured.wav" --seconds $SECS --rate 48000 --channels 2 --format S16_LE &
DUPLEX=$!
check "the call starts" wait_log "$T/agent.log" "call [0-9a-f]+ started" 5
sleep 3 # three seconds of the call reach the archive
stop_pid "$ARCHIVED_PID"
check "the agent notices the archive is gone" wait_log "$T/agent.log" "archive disconnected" 5
sleep 3 # three seconds of the call with no archive: only the spool has them
start_archive || { not_ok "archive starts again"; exit 1; }
check "the agent reconnects by itself" wait_log "$T/agent.log" "archive connected" 35 2
wait "$DUPLEX"
check "duplex finished the call" test $? -eq 0

ID=$(complete_call_id duplex 30)
[ -n "$ID" ] && ok "the call completes in the archive ($ID)" ||
	{ not_ok "the call completes in the archive"; tail -20 "$T/agent.log" "$T/archived.log" >&2; exit 1; }
check "export the call" archive_cli export --call "$ID" --out "$T/export"
WAV=$T/export/$ID.wav
MANIFEST=$T/export/$ID.manifest.json
secs=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: ${secs}s"
check "the whole call is there (${SECS} s)" awk "BEGIN{exit !($secs >= $SECS - 0.5 && $secs <= $SECS + 4)}"
check "channel 1 is what was said" "$BUILD/tests/wavxcorr" "$WAV" 1 "$T/a.wav" 0 --min 0.99
check "channel 2 is what was heard" "$BUILD/tests/wavxcorr" "$WAV" 2 "$T/b.wav" 0 --min 0.99
gaps() { "$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
def find(o):
    if isinstance(o, dict):
        if isinstance(o.get("gaps"), list):
            return o["gaps"]
        for v in o.values():
            r = find(v)
            if r is not None: return r
    return None
g = find(m) or []
print("# gaps:", g)
sys.exit(0 if not g else 1)' "$MANIFEST"; }
check "no gaps: nothing was lost while the archive was away" gaps

SPOOL=$XDG_STATE_HOME/callrec/spool
spool_empty() { [ -z "$(find "$SPOOL" -type f 2>/dev/null)" ]; }
for _ in $(seq 1 40); do spool_empty && break; sleep 0.25; done
check "the spool drained" spool_empty

# A reconnect to the same archive resumes the TLS session (the reload drops the connection).
kill -HUP "$AGENT_PID"
check "a reconnect resumes the TLS session" wait_log "$T/agent.log" "TLS session resumed" 35
check "the archive saw the resumption" wait_log "$T/archived.log" "resumed" 5

# The heartbeat in the archive.
heartbeat() {
	sqlite3 -readonly "$PKI/archive-data/index.sqlite" \
		"SELECT last_seen FROM devices WHERE name = 'desk1'" 2>/dev/null
}
beat_ok() {
	heartbeat | "$PY" -c '
import json, sys
h = json.loads(sys.stdin.read())
print("# heartbeat:", json.dumps(h, sort_keys=True))
need = ["state", "version", "backlog", "last_ack", "dropped_frames", "spool", "tls_resumed"]
ok = all(k in h for k in need) and h["state"] == "running" and h["last_ack"] is not None \
    and h["last_ack"]["seq"] >= 0 and "evicted_chunks" in h["spool"]
sys.exit(0 if ok else 1)'
}
for _ in $(seq 1 40); do beat_ok >/dev/null 2>&1 && break; sleep 0.25; done
check "the archive stores the heartbeat (state, backlog, last ack, counters, version)" beat_ok
grep -E "archive (connected|disconnected)|TLS session|next attempt" "$T/agent.log" | sed 's/^/# /'
check "agent still running" kill -0 "$AGENT_PID"
