#!/bin/bash
# TLS 1.3 session resumption (SPEC 5: reconnect storms). The archive issues session tickets;
# a client that reconnects presents its ticket and skips the full handshake. upgen drops each
# stream's connection after every 2 ACKs and reconnects with the ticket of the previous
# connection: the reconnections must be resumed (gnutls_session_is_resumed on the client, the
# archive logs "(resumed)"), nothing is lost, and the operator tool, which reads past the
# NewSessionTicket before HELLO_OK, still works. --no-resume is the control.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../faults/common.sh"

pki_setup || { not_ok "pki setup"; exit 1; }
start_archive || { not_ok "archive starts"; exit 1; }
ADDR=127.0.0.1:$PORT

gen_start blips --calls 5 --chunks 8 --chunk-ms 100 --drop-every 2 --timeout 30
wait_pid_timeout "$GEN_PID" 30
check "every frame delivered across the reconnections (upgen status 0)" test $? = 0
note "blips: $(cat "$T/blips.out")"
RECONNECTS=$(gen_field blips reconnects) RESUMED=$(gen_field blips resumed)
check "the streams reconnected (at least 15 times)" test "$RECONNECTS" -ge 15
check "every reconnection was resumed ($RESUMED of $RECONNECTS)" test "$RESUMED" = "$RECONNECTS"
check "the archive logged the resumed connections" \
	test "$(grep -c 'device desk1 (resumed)' "$T/archived.log")" = "$RESUMED"

gen_start control --calls 2 --chunks 4 --chunk-ms 100 --drop-every 2 --timeout 30 --no-resume
wait_pid_timeout "$GEN_PID" 30
check "control without tickets: delivered, none resumed" \
	test "$(gen_field control resumed)" = 0 -a "$(gen_field control reconnects)" -ge 4

check "callrec-archive list works with session tickets on" calls_complete blips
check "callrec-archive export works with session tickets on" verify_audio blips 2
