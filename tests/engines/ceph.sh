# A throwaway single-node Ceph cluster with an S3 gateway, for tests: one monitor, one OSD
# keeping its objects in memory (memstore: no disk), and radosgw, listening on 127.0.0.1 only
# (the monitor on a port drawn at random, radosgw and the OSD on ports they find free), with
# cephx off (nothing but loopback can reach it) and every file under the caller's temporary
# directory. Source this file, then:
#
#   start_ceph DIR     builds and starts the cluster in DIR/ceph (created; DIR must exist), then
#                      an S3 user with fresh keys. Exports
#                        CEPH_S3_ENDPOINT     http://127.0.0.1:PORT (path-style buckets)
#                        CEPH_S3_REGION       the zonegroup name ("default"), for signing
#                        CEPH_S3_ACCESS_KEY, CEPH_S3_SECRET_KEY, and the same in files
#                        CEPH_S3_ACCESS_KEY_FILE, CEPH_S3_SECRET_KEY_FILE (mode 600)
#                        CEPH_CONF            the cluster's ceph.conf (ceph -c "$CEPH_CONF" ...)
#                        CEPH_START_MS        how long the start took (milliseconds)
#   stop_ceph          stops the three daemons (SIGTERM, then SIGKILL) and removes DIR/ceph
#
# Returns 0 or 1 with a message (and the tail of the failing daemon's log) on stderr; on
# failure nothing is left running. A test that ends without stop_ceph still stops the cluster:
# through the shell's EXIT trap (chained in front of an existing one) or, if the test shell was
# killed, a watchdog. CEPH_MEMSTORE_BYTES sets the OSD's capacity (default 4 GiB; memory is
# used only as objects are written).
#
# Pacific (16.2) needs a RADOS cluster under radosgw; with cephx off, radosgw and the other
# clients must use the "crc" messenger mode or they keep failing authentication.

# shellcheck source=engine_util.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine_util.sh"

_CEPH_ROOT=
_CEPH_PIDS=()
_CEPH_WATCHDOG=

_ceph_fail() {
	local log=$1
	shift
	echo "start_ceph: $*" >&2
	[ -n "$log" ] && [ -f "$log" ] && tail -n 20 "$log" >&2
	stop_ceph
	return 1
}

# _ceph_conf ROOT FSID MONPORT: writes ROOT/ceph.conf. "$name", "$id" and "$cluster"
# are Ceph's own metavariables, expanded by each daemon.
_ceph_conf() {
	local root=$1 fsid=$2 monport=$3
	cat >"$root/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$monport]
mon_initial_members = a
public_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
osd_objectstore = memstore
memstore_device_bytes = ${CEPH_MEMSTORE_BYTES:-4294967296}
mon_data_avail_warn = 1
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
mon_data_avail_crit = 0
run_dir = $root/run
admin_socket = $root/run/\$name.asok
pid_file = $root/run/\$name.pid
log_file = $root/log/\$name.log
crash_dir = $root/crash
mon_data = $root/mon/\$cluster-\$id
osd_data = $root/osd/\$cluster-\$id
keyring = $root/keyring
[mon]
# A port taken meanwhile: fail at once (start_ceph draws another) instead of retrying for 10 s.
ms_bind_retry_count = 1
[client]
ms_mon_client_mode = crc
ms_client_mode = crc
[client.rgw.test]
rgw_frontends = beast endpoint=127.0.0.1:0
rgw_data = $root/rgw
EOF
}

# _ceph_spawn LOG CMD...: starts a daemon in the foreground mode, in the background; records its PID.
_ceph_spawn() {
	local log=$1
	shift
	"$@" </dev/null >>"$log" 2>&1 &
	_CEPH_PIDS+=($!)
	# For the watchdog: radosgw writes no PID file when it runs in the foreground.
	echo $! >>"$_CEPH_ROOT/run/daemons"
}

start_ceph() {
	local dir=${1:?usage: start_ceph DIR} root t0 fsid monport rgwport osd_uuid osd_id try c
	local mon_pid rgw_pid access secret i
	[ -z "$_CEPH_ROOT" ] || { echo "start_ceph: already running in $_CEPH_ROOT" >&2; return 1; }
	[ -d "$dir" ] || { echo "start_ceph: $dir is not a directory" >&2; return 1; }
	for c in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool uuidgen; do
		command -v "$c" >/dev/null || { echo "start_ceph: $c is not installed" >&2; return 1; }
	done
	t0=${EPOCHREALTIME/./}
	root=$(cd "$dir" && pwd)/ceph
	mkdir "$root" || return 1
	mkdir -p "$root/run" "$root/log" "$root/crash" "$root/mon" "$root/osd" "$root/rgw"
	_CEPH_ROOT=$root
	_CEPH_PIDS=()
	engine_on_exit stop_ceph
	_CEPH_WATCHDOG=$(engine_watchdog "_ceph_leftovers_stop '$root'")

	fsid=$(uuidgen)
	# The monitor: a port drawn at random may have been taken meanwhile; draw again then.
	for try in 1 2 3; do
		monport=$(engine_free_port) || { _ceph_fail '' 'no free port'; return 1; }
		_ceph_conf "$root" "$fsid" "$monport"
		rm -rf "$root/mon/ceph-a" "$root/keyring" "$root/monmap"
		ceph-authtool --create-keyring "$root/keyring" --gen-key -n mon. --cap mon 'allow *' \
			>>"$root/log/setup.log" 2>&1 &&
		monmaptool --create --addv a "[v2:127.0.0.1:$monport]" --fsid "$fsid" "$root/monmap" \
			>>"$root/log/setup.log" 2>&1 &&
		ceph-mon -c "$root/ceph.conf" --mkfs -i a --monmap "$root/monmap" --keyring "$root/keyring" \
			>>"$root/log/setup.log" 2>&1 ||
			{ _ceph_fail "$root/log/setup.log" "creating the monitor failed"; return 1; }
		_ceph_spawn "$root/log/mon.out" ceph-mon -c "$root/ceph.conf" -i a -f
		mon_pid=${_CEPH_PIDS[-1]}
		engine_wait_listen "$monport" 30 "$mon_pid" && break
		engine_stop_pids 5 "$mon_pid"
		_CEPH_PIDS=()
		mon_pid=
	done
	[ -n "$mon_pid" ] || { _ceph_fail "$root/log/mon.a.log" "the monitor did not start"; return 1; }

	# The OSD: registered with the monitor, formatted (memstore keeps a copy of its memory
	# in osd_data between mkfs and start), started.
	osd_uuid=$(uuidgen)
	osd_id=$(timeout 60 ceph -c "$root/ceph.conf" osd new "$osd_uuid" 2>>"$root/log/setup.log") ||
		{ _ceph_fail "$root/log/setup.log" "ceph osd new failed"; return 1; }
	mkdir -p "$root/osd/ceph-$osd_id"
	ceph-osd -c "$root/ceph.conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" \
		>>"$root/log/setup.log" 2>&1 ||
		{ _ceph_fail "$root/log/setup.log" "ceph-osd --mkfs failed"; return 1; }
	_ceph_spawn "$root/log/osd.out" ceph-osd -c "$root/ceph.conf" -i "$osd_id" -f

	# radosgw binds a port the kernel picks (no race with other runs: a radosgw that failed to
	# bind and was restarted would leave watches behind that stall the next metadata change for
	# 30 s), and creates its pools on the way up, so it listens once the OSD serves them.
	_ceph_spawn "$root/log/rgw.out" radosgw -c "$root/ceph.conf" -n client.rgw.test -f
	rgw_pid=${_CEPH_PIDS[-1]}
	rgwport=$(engine_listen_port "$rgw_pid" 120) ||
		{ _ceph_fail "$root/log/client.rgw.test.log" "radosgw did not start"; return 1; }

	access=$(tr -dc 'A-Z0-9' </dev/urandom | head -c 20)
	secret=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40)
	timeout 60 radosgw-admin -c "$root/ceph.conf" user create --uid=callrec-test \
		--display-name=callrec-test --access-key="$access" --secret="$secret" \
		>>"$root/log/setup.log" 2>&1 ||
		{ _ceph_fail "$root/log/setup.log" "radosgw-admin user create failed"; return 1; }
	(umask 077 && printf '%s\n' "$access" >"$root/access_key" && printf '%s\n' "$secret" >"$root/secret_key")

	export CEPH_CONF=$root/ceph.conf
	export CEPH_S3_ENDPOINT=http://127.0.0.1:$rgwport CEPH_S3_REGION=default
	export CEPH_S3_ACCESS_KEY=$access CEPH_S3_SECRET_KEY=$secret
	export CEPH_S3_ACCESS_KEY_FILE=$root/access_key CEPH_S3_SECRET_KEY_FILE=$root/secret_key
	CEPH_START_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	export CEPH_START_MS
	return 0
}

# _ceph_leftovers_stop ROOT: stops every daemon started for ROOT that still runs (what the
# watchdog does; stop_ceph after its orderly stop), then removes ROOT.
_ceph_leftovers_stop() {
	local root=$1 p pids=()
	[ -d "$root" ] || return 0
	if [ -f "$root/run/daemons" ]; then
		while read -r p; do
			kill -0 "$p" 2>/dev/null && pids+=("$p")
		done <"$root/run/daemons"
	fi
	[ ${#pids[@]} -gt 0 ] && engine_stop_pids 10 "${pids[@]}"
	rm -rf "$root"
}

stop_ceph() {
	[ -n "$_CEPH_ROOT" ] || return 0
	local root=$_CEPH_ROOT
	_CEPH_ROOT=
	if [ -n "$_CEPH_WATCHDOG" ]; then
		kill "$_CEPH_WATCHDOG" 2>/dev/null
		_CEPH_WATCHDOG=
	fi
	# radosgw first (it talks to the others), the monitor last.
	local i
	for ((i = ${#_CEPH_PIDS[@]} - 1; i >= 0; i--)); do
		engine_stop_pids 10 "${_CEPH_PIDS[i]}"
	done
	_CEPH_PIDS=()
	_ceph_leftovers_stop "$root"
	unset CEPH_CONF CEPH_S3_ENDPOINT CEPH_S3_REGION CEPH_S3_ACCESS_KEY CEPH_S3_SECRET_KEY
	unset CEPH_S3_ACCESS_KEY_FILE CEPH_S3_SECRET_KEY_FILE
	return 0
}
