# Helpers for the archive_*.sh tests (sourced after tests/lib.sh): operators with roles,
# synthetic calls uploaded as device desk1, operator commands, and the archive's index.

# add_operator NAME ROLE
add_operator() { "$BUILD/callrec-archive" pki operator "$1" --role "$2" --dir "$PKI" >/dev/null; }
# as NAME ARGS...: callrec-archive as that operator
as() { local who=$1; shift; "$BUILD/callrec-archive" --config "$PKI/operators/$who/archive.yaml" "$@"; }
# upload [uploadcall options]: prints the new call's id
upload() {
	"$BUILD/tests/uploadcall" "127.0.0.1:$PORT" --ca "$PKI/ca.pem" \
		--cert "$PKI/devices/desk1/device.pem" --key "$PKI/devices/desk1/device.key" "$@"
}
# purpose_meta PURPOSE ROLE RETENTION_MS TAGJSON: CALL_OPEN fields as the agent sends them
purpose_meta() {
	printf '{"purpose":"%s","legal_basis":"contract","access":["%s"],"retention_ms":%s,"tags":%s}' \
		"$1" "$2" "$3" "$4"
}
DATA() { echo "$PKI/archive-data"; }
# q SQL: the archive's index (read-only query)
q() { sqlite3 -readonly "$(DATA)/index.sqlite" "$1"; }
# state_of ID: the call's state in the index
state_of() { q "SELECT state FROM calls WHERE id = x'$1'"; }
keys_of() { q "SELECT COUNT(*) FROM keys WHERE call_id = x'$1'"; }
# wait_state ID STATE [SECONDS]
wait_state() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# start_archive_testhooks OPTION...: start_archive, but the daemon's test build with its
# fault-injection options (--test-crash-at POINT, --test-clock-offset SECONDS)
start_archive_testhooks() {
	rm -f "$T/archived.ready"
	"$BUILD/tests/callrec-archived-testhooks" --config "$PKI/archived.yaml" \
		--ready-file "$T/archived.ready" "$@" 2>>"$T/archived.log" &
	ARCHIVED_PID=$!
	_pids+=("$ARCHIVED_PID")
	wait_file "$T/archived.ready" 10
}
