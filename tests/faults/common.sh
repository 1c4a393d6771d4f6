# Helpers for the fault tests (tests/integration/fault_*.sh and tests/soak/*_soak.sh). Source
# after tests/lib.sh. The load is tests/programs/upgen: many agents' uploads with spool semantics
# (nothing is forgotten before its ACK; resent after every reconnect) and audio that is a
# deterministic function of the call id, so an export can be checked sample by sample.
PY=/usr/bin/python3 # Debian's, with the json module (TESTING.md)

# gen_args DEVICE: the upgen connection arguments for device DEVICE of $PKI at $ADDR.
gen_args() {
	echo "$ADDR --ca $PKI/ca.pem --cert $PKI/devices/$1/device.pem --key $PKI/devices/$1/device.key"
}

# gen_start NAME ARGS...: run upgen as desk1 in the background; its summary goes to
# $T/NAME.out, its log to $T/NAME.err, the call ids to $T/NAME.ids, progress to $T/NAME.prog.
# Sets GEN_PID.
gen_start() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	"$BUILD/tests/upgen" $(gen_args desk1) --ids "$T/$name.ids" --progress "$T/$name.prog" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	GEN_PID=$!
	_pids+=("$GEN_PID")
}

# gen_field NAME KEY: a value from upgen's summary line.
gen_field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p; s/^$2=\([0-9]*\).*/\1/p" "$T/$1.out" | head -1; }

# acked NAME: the ACK count upgen reports in its progress file right now.
acked() { sed -n 's/^acked=\([0-9]*\).*/\1/p' "$T/$1.prog" 2>/dev/null || echo 0; }

# wait_acked NAME N [SECONDS]: until upgen has at least N ACKs.
wait_acked() {
	local i
	for i in $(seq 1 $((${3:-20} * 10))); do
		[ "$(acked "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_pid_timeout PID SECONDS: wait for a background process; kill it after SECONDS. Its
# exit status, 124 on timeout.
wait_pid_timeout() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}

# index SQL: a read-only query of the archive's index (WAL: safe while the archive runs).
index() { sqlite3 -readonly -batch "$PKI/archive-data/index.sqlite" "$1"; }

# calls_complete NAME: every call of upgen run NAME is listed as complete by the archive.
calls_complete() {
	local want
	want=$(wc -l <"$T/$1.ids")
	archive_cli list --json >"$T/list.json" 2>>"$T/cli.log" || return 1
	"$PY" - "$T/$1.ids" "$T/list.json" <<'PYEOF'
import json, sys
ids = [l.split()[0] for l in open(sys.argv[1]) if l.strip()]
state = {}
for l in open(sys.argv[2]):
    if l.strip():
        c = json.loads(l)
        state[c["id"]] = c["state"]
missing = [i for i in ids if state.get(i) != "complete"]
for i in missing[:5]:
    print("# not complete: %s (%s)" % (i, state.get(i, "absent")))
sys.exit(1 if missing else 0)
PYEOF
}

# wait_complete NAME [SECONDS]
wait_complete() {
	local i
	for i in $(seq 1 $((${2:-20} * 4))); do
		calls_complete "$1" >/dev/null && return 0
		sleep 0.25
	done
	calls_complete "$1"
}

# no_duplicates NAME CHUNKS: per call of run NAME, the index holds seqs 1..CHUNKS exactly once
# each, and no two chunk rows share segment bytes (a chunk stored twice would).
no_duplicates() {
	local id n bad=0
	while read -r id _; do
		n=$(index "SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM chunks
			WHERE call_id = x'$id'")
		if [ "$n" != "$2|$2|1|$2" ]; then
			echo "# call $id: chunks count|distinct|min|max = $n, want $2|$2|1|$2"
			bad=1
		fi
	done <"$T/$1.ids"
	n=$(index "SELECT COUNT(*) FROM (SELECT segment, offset FROM chunks
		GROUP BY segment, offset HAVING COUNT(*) > 1)")
	[ "$n" = 0 ] || { echo "# $n segment locations referenced twice"; bad=1; }
	return $bad
}

# verify_audio NAME [MAX]: export the calls of run NAME (at most MAX, default all) and compare
# each WAV sample by sample with the audio upgen sent (upgen --verify).
verify_audio() {
	local id frames n=0 bad=0
	while read -r id frames; do
		[ -n "${2:-}" ] && [ "$n" -ge "$2" ] && break
		n=$((n + 1))
		if ! archive_cli export --call "$id" --out "$T/export-$1" >>"$T/cli.log" 2>&1; then
			echo "# export of $id failed"
			bad=1
			continue
		fi
		"$BUILD/tests/upgen" --verify "$T/export-$1/$id.wav" --id "$id" --frames "$frames" \
			>>"$T/verify.log" || { tail -1 "$T/verify.log"; bad=1; }
	done <"$T/$1.ids"
	echo "# verified $n calls sample by sample"
	return $bad
}

# mount_tmpfs DIR SIZE: a small file system for DIR (disk-full tests), unmounted at exit after
# the test's processes are stopped.
_mounts=()
mount_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" || return 1
	_mounts+=("$1")
	trap 'fault_cleanup' EXIT
}
fault_cleanup() {
	local p m
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	for m in "${_mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m"; done
	_mounts=()
	netns_cleanup
	cleanup
}

# fill DIR: write a filler file until the file system is full.
fill() { dd if=/dev/zero of="$1/filler" bs=64k status=none 2>/dev/null; sync; return 0; }

# wait_log PATTERN [SECONDS]: until the archive's log has a line matching PATTERN.
wait_log() {
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do
		grep -q "$1" "$T/archived.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# netns_setup: a network namespace NS with a veth pair: the host side HOST_IF (HOST_IP), the
# namespace side NS_IF (NS_IP), a /30 derived from the test's pid. Removed at exit.
_netns=
netns_setup() {
	local a=$((100 + $$ % 100)) b=$((($$ / 100) % 256))
	NS=crf$$
	HOST_IF=crh$$ NS_IF=crn$$
	HOST_IP=10.$a.$b.1 NS_IP=10.$a.$b.2
	ip netns add "$NS" || return 1
	_netns=$NS
	trap 'fault_cleanup' EXIT
	ip link add "$HOST_IF" type veth peer name "$NS_IF" &&
		ip link set "$NS_IF" netns "$NS" &&
		ip addr add "$HOST_IP/30" dev "$HOST_IF" && ip link set "$HOST_IF" up &&
		ip -n "$NS" addr add "$NS_IP/30" dev "$NS_IF" && ip -n "$NS" link set "$NS_IF" up &&
		ip -n "$NS" link set lo up
}
netns_cleanup() {
	[ -n "$_netns" ] || return 0
	ip link del "$HOST_IF" 2>/dev/null
	ip netns del "$_netns" 2>/dev/null
	_netns=
}

# pki_setup_ns: like pki_setup, with the archive listening on NS_IP (its certificate is for
# localhost, which upgen and the agent check as the server name).
pki_setup_ns() {
	PKI=$T/pki
	PORT=$(free_port)
	"$BUILD/callrec-archive" pki init "$PKI" --listen "$NS_IP:$PORT" >/dev/null || return 1
	"$BUILD/callrec-archive" pki device desk1 --dir "$PKI" >/dev/null || return 1
	"$BUILD/callrec-archive" pki operator op1 --role admin --dir "$PKI" >/dev/null || return 1
	ADDR=$NS_IP:$PORT
}

# start_archive_ns: start_archive inside the namespace.
start_archive_ns() {
	rm -f "$T/archived.ready"
	ip netns exec "$NS" "$BUILD/callrec-archived" --config "$PKI/archived.yaml" \
		--ready-file "$T/archived.ready" 2>>"$T/archived.log" &
	ARCHIVED_PID=$!
	_pids+=("$ARCHIVED_PID")
	wait_file "$T/archived.ready" 10
}

# --- real calls: duplex (a softphone stand-in) through the plugin, agent, archive ----------------

# make_speech OUT.wav SECONDS TEXT: spoken TEXT, 48 kHz stereo S16, padded/cut to SECONDS.
make_speech() {
	espeak-ng -w "$T/speech.tmp.wav" "$3" &&
		sox -V1 -D "$T/speech.tmp.wav" -r 48000 -c 2 -b 16 "$1" pad 0.2 "$2" trim 0 "$2"
}

# call_setup SECONDS: signals a.wav (the local user) and b.wav (the remote party), and PCMs
# fcap / fplay: `type callrec` over paced rawfile slaves (capture from a.raw, playback into
# $T/play_out.raw: what passed the plugin). Needs the agent running (its socket in
# $T/agent.ready).
call_setup() {
	local sock
	make_speech "$T/a.wav" "$1" "Hello, this is Alice from sales. I agree to the offer you \
made yesterday, and I confirm the delivery date of the fifteenth. Thank you very much." || return 1
	make_speech "$T/b.wav" "$1" "This is Bob, the customer. Confirmed, we have a deal, and I \
will send the signed order this afternoon. Goodbye and have a nice day." || return 1
	sox -D "$T/a.wav" -t raw "$T/a_capture.raw" pad 0 2 || return 1
	sock=$(cat "$T/agent.ready")
	alsa_conf "
pcm.fcap_slave { type rawfile file \"$T/a_capture.raw\" pace yes }
pcm.fplay_slave { type rawfile file \"$T/play_out.raw\" pace yes }
pcm.fcap { type callrec slave.pcm \"fcap_slave\" agent \"$sock\" }
pcm.fplay { type callrec slave.pcm \"fplay_slave\" agent \"$sock\" }"
}

# duplex_start: the call in the background (DUPLEX_PID).
duplex_start() {
	"$BUILD/tests/duplex" --capture fcap --playback fplay --play "$T/b.wav" \
		--record "$T/captured.wav" --rate 48000 --channels 2 --format S16_LE \
		2>>"$T/duplex.err" &
	DUPLEX_PID=$!
	_pids+=("$DUPLEX_PID")
}

# played_seconds: how much audio passed the plugin to the playback slave so far.
played_seconds() {
	awk -v b="$(stat -c %s "$T/play_out.raw" 2>/dev/null || echo 0)" 'BEGIN{printf "%.2f", b / 192000}'
}

# wait_played SECONDS: until that much has been played through the plugin.
wait_played() {
	local i
	for i in $(seq 1 200); do
		awk "BEGIN{exit !($(played_seconds) >= $1)}" && return 0
		sleep 0.05
	done
	return 1
}

# duplex_call_id [STATE]: the id of the call made by duplex (state complete by default).
duplex_call_id() {
	archive_cli list --json 2>>"$T/cli.log" | "$PY" -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        c = json.loads(line)
        if c.get("state") == sys.argv[1] and c.get("application") == "duplex":
            print(c["id"]); break' "${1:-complete}"
}

# wait_call_complete [SECONDS]: sets ID to the complete duplex call.
wait_call_complete() {
	local i
	ID=
	for i in $(seq 1 $((${1:-20} * 4))); do
		ID=$(duplex_call_id)
		[ -n "$ID" ] && return 0
		sleep 0.25
	done
	return 1
}

# call_chunks_once ID: the call's chunks are seqs 1..N, each stored once.
call_chunks_once() {
	local n
	n=$(index "SELECT COUNT(*) = COUNT(DISTINCT seq) AND MIN(seq) = 1 AND MAX(seq) = COUNT(*)
		FROM chunks WHERE call_id = x'$1'")
	note "call $1: $(index "SELECT COUNT(*) FROM chunks WHERE call_id = x'$1'") chunks"
	[ "$n" = 1 ]
}

