#!/bin/bash
# The archive stops in the middle of a call and starts again. The agent
# keeps spooling, reconnects (exponential backoff with full jitter), resends what was not
# acknowledged, and the call completes in the archive with nothing missing. A later reconnect
# resumes the TLS session (the agent logs "TLS session resumed"; across an archive restart a
# full handshake is expected, as the archive's ticket key lives in its memory). The heartbeat
# reaches the archive: its devices table holds this desktop's last heartbeat with the backlog,
# the last acknowledged (call, seq), the drop and eviction counters and the version.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/call.bash"
. "$TOP/tests/lib/archive.bash"
SECS=12

require "signals" make_call_signals $SECS
require "pki setup" setup_pki
require "archive starts" start_archive
require "agent starts" start_agent
add_call_pcms

check "the agent connects to the archive" wait_log "$T/agent.log" "archive connected" 10
run_call "$T/captured.wav" --seconds $SECS &
DUPLEX=$!
check "the call starts" wait_log "$T/agent.log" "call [0-9a-f]+ started" 5
sleep 3 # three seconds of the call reach the archive
stop_pid "$ARCHIVED_PID"
check "the agent notices the archive is gone" wait_log "$T/agent.log" "archive disconnected" 5
sleep 3 # three seconds of the call with no archive: only the spool has them
require "archive starts again" start_archive
check "the agent reconnects by itself" wait_log "$T/agent.log" "archive connected" 35 2
wait "$DUPLEX"
check "duplex finished the call" test $? -eq 0

require_complete_call "the call completes in the archive" duplex 30
check "export the call" export_call
secs=$(soxi -D "$WAV" 2>/dev/null || echo 0)
note "archived audio: ${secs}s"
check "the whole call is there (${SECS} s)" awk "BEGIN{exit !($secs >= $SECS - 0.5 && $secs <= $SECS + 4)}"
check "channel 1 is what was said" correlate "ch1 vs A" "$WAV" 1 "$T/a.wav" 0 --min 0.99
check "channel 2 is what was heard" correlate "ch2 vs B" "$WAV" 2 "$T/b.wav" 0 --min 0.99
check "no gaps: nothing was lost while the archive was away" has_no_gaps

wait_for is_spool_empty
check "the spool drained" is_spool_empty

# A reconnect to the same archive resumes the TLS session (the reload drops the connection).
kill -HUP "$AGENT_PID"
check "a reconnect resumes the TLS session" wait_log "$T/agent.log" "TLS session resumed" 35
check "the archive saw the resumption" wait_log "$T/archived.log" "resumed" 5

# The heartbeat in the archive.
beat_ok() {
	get_device_heartbeat desk1 | "$PY" -c '
import json, sys
h = json.loads(sys.stdin.read())
print("# heartbeat:", json.dumps(h, sort_keys=True))
need = ["state", "version", "backlog", "last_ack", "dropped_frames", "spool", "tls_resumed"]
ok = all(k in h for k in need) and h["state"] == "running" and h["last_ack"] is not None \
    and h["last_ack"]["seq"] >= 0 and "evicted_chunks" in h["spool"]
sys.exit(0 if ok else 1)'
}
wait_for beat_ok >/dev/null 2>&1
check "the archive stores the heartbeat (state, backlog, last ack, counters, version)" beat_ok
grep -E "archive (connected|disconnected)|TLS session|next attempt" "$T/agent.log" | sed 's/^/# /'
check "agent still running" kill -0 "$AGENT_PID"
