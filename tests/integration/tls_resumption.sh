#!/bin/bash
# TLS 1.3 session resumption, which keeps reconnect storms cheap. The archive issues session tickets;
# a client that reconnects presents its ticket and skips the full handshake. upgen drops each
# stream's connection after every 2 ACKs and reconnects with the ticket of the previous
# connection: the reconnections must be resumed (gnutls_session_is_resumed on the client, the
# archive logs "(resumed)"), nothing is lost, and the operator tool, which reads past the
# NewSessionTicket before HELLO_OK, still works. --no-resume is the control.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib/archive.bash"
. "$TOP/tests/lib/load.bash"

require "pki setup" setup_pki
require "archive starts" start_archive

start_upgen blips --calls 5 --chunks 8 --chunk-ms 100 --drop-every 2 --timeout 30
wait_upgen blips 30
check "every frame delivered across the reconnections (upgen status 0)" test "$UPGEN_RC" = 0
RECONNECTS=$(get_upgen_field blips reconnects) RESUMED=$(get_upgen_field blips resumed)
check "the streams reconnected (at least 15 times)" test "$RECONNECTS" -ge 15
check "every reconnection was resumed ($RESUMED of $RECONNECTS)" test "$RESUMED" = "$RECONNECTS"
check "the archive logged the resumed connections" \
	test "$(grep -c 'device desk1 (resumed)' "$T/archived.log")" = "$RESUMED"

start_upgen control --calls 2 --chunks 4 --chunk-ms 100 --drop-every 2 --timeout 30 --no-resume
wait_pid "$UPGEN_PID" 30
check "control without tickets: delivered, none resumed" \
	test "$(get_upgen_field control resumed)" = 0 -a "$(get_upgen_field control reconnects)" -ge 4

check "callrec-archive list works with session tickets on" verify_calls_complete blips
check "callrec-archive export works with session tickets on" verify_audio blips 2
