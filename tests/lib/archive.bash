# The archive seen from inside, for the archive_*, fault and agent tests (source after
# tests/lib.sh, which sets PKI and ARCHIVE_DATA in setup_pki): its index (read-only: SQLite in
# WAL mode lets a reader in while the archive runs), synthetic calls uploaded as device desk1.
#
#   query_index SQL                the rows of a read-only query of the archive's index
#   get_call_state ID              the call's state in the index
#   count_call_keys ID             how many keys the index holds for the call (1, or 0 once erased)
#   wait_call_state ID STATE [SECONDS]   until the index shows the call in STATE (10 s)
#   verify_chunks_once ID          the call's chunks are seqs 1..N, each stored once
#   get_stored_seqs ID             the seqs of the call's stored chunks, "1,2,4"
#   get_device_heartbeat DEVICE    the device's last heartbeat (JSON) as the archive stored it
#   upload_call [OPTIONS]          one synthetic call by tests/programs/uploadcall as desk1; prints
#                                  its id
#   make_purpose_meta PURPOSE ROLE RETENTION_MS TAGS_JSON   CALL_OPEN fields as an agent sends them

query_index() { sqlite3 -readonly -batch "$ARCHIVE_DATA/index.sqlite" "$1"; }
get_call_state() { query_index "SELECT state FROM calls WHERE id = x'$1'"; }
count_call_keys() { query_index "SELECT COUNT(*) FROM keys WHERE call_id = x'$1'"; }
wait_call_state() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		[ "$(get_call_state "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
verify_chunks_once() {
	local n
	n=$(query_index "SELECT COUNT(*) = COUNT(DISTINCT seq) AND MIN(seq) = 1 AND MAX(seq) = COUNT(*)
		FROM chunks WHERE call_id = x'$1'")
	note "call $1: $(query_index "SELECT COUNT(*) FROM chunks WHERE call_id = x'$1'") chunks"
	[ "$n" = 1 ]
}
get_stored_seqs() {
	query_index "SELECT group_concat(seq) FROM (SELECT seq FROM chunks WHERE call_id = x'$1' ORDER BY seq)"
}
get_device_heartbeat() {
	query_index "SELECT last_seen FROM devices WHERE name = '$1'" 2>/dev/null
}

upload_call() {
	"$BUILD/tests/uploadcall" "$ADDR" --ca "$PKI/ca.pem" \
		--cert "$PKI/devices/desk1/device.pem" --key "$PKI/devices/desk1/device.key" "$@"
}
make_purpose_meta() {
	printf '{"purpose":"%s","legal_basis":"contract","access":["%s"],"retention_ms":%s,"tags":%s}' \
		"$1" "$2" "$3" "$4"
}
