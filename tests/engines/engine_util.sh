# Helpers shared by the throwaway engines (postgres.sh, ceph.sh). Sourced by them; not meant
# to be used on its own. Nothing here sets options of the calling shell.

# engine_free_port: prints a TCP port on 127.0.0.1 that nothing listens on. Ports are drawn at
# random below Linux's ephemeral range (32768+), so that outgoing connections never hold them
# and concurrent test runs rarely pick the same one; a caller that then fails to bind it should
# draw another.
engine_free_port() {
	local i p
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12700))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		ss -Htan "sport = :$p" 2>/dev/null | grep -q . && continue
		echo "$p"
		return 0
	done
	echo "engine_free_port: no free port found" >&2
	return 1
}

# engine_wait_listen PORT SECONDS PID: waits until process PID listens on 127.0.0.1:PORT (not
# merely anyone: a port drawn at random may have been taken by someone else meanwhile). Fails
# at once when PID has exited, after SECONDS otherwise.
engine_wait_listen() {
	local port=$1 pid=$3 end=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$end" ]; do
		ss -Htlnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid," && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# engine_listen_port PID SECONDS: prints the TCP port on 127.0.0.1 that process PID listens on
# (for servers told to bind port 0, i.e. one the kernel picks: no collision is possible). Fails
# at once when PID has exited, after SECONDS otherwise.
engine_listen_port() {
	local pid=$1 end=$((SECONDS + $2)) port
	while [ "$SECONDS" -lt "$end" ]; do
		port=$(ss -Htlnp 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) && $4 ~ /^127\.0\.0\.1:/ { sub(/.*:/, "", $4); print $4; exit }')
		[ -n "$port" ] && { echo "$port"; return 0; }
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# engine_stop_pids SECONDS PID...: SIGTERM, then SIGKILL for what is still alive after SECONDS;
# returns when every PID is gone. Works for processes that are not children of this shell.
engine_stop_pids() {
	local secs=$1 p i alive
	shift
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 1 $((secs * 20))); do
		alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.05
	done
	for p in "$@"; do kill -KILL "$p" 2>/dev/null; done
	for p in "$@"; do
		# Reap our own children; wait for others to disappear.
		wait "$p" 2>/dev/null
		for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	done
	return 0
}

# engine_watchdog COMMAND: runs COMMAND (a shell string) once the shell that started the test
# ($$) is gone without having stopped its engine, e.g. after SIGKILL. Prints the watchdog's PID,
# which the engine's stop function kills first. The watchdog holds none of the caller's
# descriptors, so pipes reading the test's output see their end on time.
engine_watchdog() {
	local owner=$$
	(
		trap '' INT HUP
		while kill -0 "$owner" 2>/dev/null; do sleep 1; done
		eval "$1"
	) </dev/null >/dev/null 2>&1 &
	echo $!
}

# engine_on_exit COMMAND: adds COMMAND in front of the calling shell's EXIT trap (keeping what
# was there, e.g. tests/lib.sh's cleanup), so that a test that ends early stops its engines
# before its temporary directory is removed.
engine_on_exit() {
	local cmd=$1 prev= cur
	cur=$(trap -p EXIT)
	if [ -n "$cur" ]; then
		eval "set -- $cur"
		prev=$3
	fi
	# shellcheck disable=SC2064
	trap "$cmd${prev:+; $prev}" EXIT
}
