# A throwaway PostgreSQL cluster for tests: Debian's server binaries, a fresh data directory
# under the caller's temporary directory, listening on a Unix socket only (no TCP port to
# collide with other runs). Source this file, then:
#
#   start_postgres DIR      initdb + start in DIR/postgres (created; DIR must exist). Exports
#                             PG_URI      libpq URI of database "callrec", role "callrec"
#                                         (superuser, no password: trust on the socket)
#                             PG_SOCKDIR  the socket directory (psql -h "$PG_SOCKDIR")
#                             PG_DATA     the data directory; PG_LOG the server log
#                             PG_START_MS how long the start took (milliseconds)
#   postgres_createdb NAME  another empty database owned by "callrec"; prints its URI
#   stop_postgres           immediate shutdown; removes DIR/postgres; no process, shared
#                           memory segment or file is left behind
#
# Returns 0 or 1 with a message on stderr; on failure nothing is left running. A test that
# ends without stop_postgres (an error, or even SIGKILL of the test shell) still stops the
# server: through the shell's EXIT trap (chained in front of an existing one) or a watchdog.
# As root the server runs as the "postgres" user, which then needs to traverse DIR: start_postgres
# adds o+x (search, not read) to DIR when it lacks it. POSTGRES_OPTS adds server options
# ("-c name=value ..."); PG_BINDIR overrides where initdb and pg_ctl are found.

# shellcheck source=engine_util.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine_util.sh"

_PG_ROOT=
_PG_WATCHDOG=

_pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

_pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] || { echo "start_postgres: no PostgreSQL server installed (postgresql)" >&2; return 1; }
	echo "$d"
}

# _pg_kill_leftovers ROOT: stops whatever a (failed or killed) cluster in ROOT left running and
# removes ROOT. Safe to call more than once.
_pg_kill_leftovers() {
	local root=$1 pid shmid
	[ -n "$root" ] && [ -d "$root" ] || return 0
	if [ -f "$root/data/postmaster.pid" ]; then
		pid=$(sed -n 1p "$root/data/postmaster.pid")
		# Line 7: "SHMKEY SHMID" of the postmaster's System V segment.
		shmid=$(sed -n 7p "$root/data/postmaster.pid" | awk '{print $2}')
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			_pg_as_owner "$(_pg_bindir)/pg_ctl" -D "$root/data" -m immediate -w -t 10 stop >/dev/null 2>&1
			kill -0 "$pid" 2>/dev/null && engine_stop_pids 5 "$pid"
		fi
		# A postmaster killed with SIGKILL leaves its segment; one that exited removed it.
		[ -n "$shmid" ] && ipcrm -m "$shmid" 2>/dev/null
	fi
	rm -rf "$root"
}

start_postgres() {
	local dir=${1:?usage: start_postgres DIR} bindir root sock t0
	[ -z "$_PG_ROOT" ] || { echo "start_postgres: already running in $_PG_ROOT" >&2; return 1; }
	[ -d "$dir" ] || { echo "start_postgres: $dir is not a directory" >&2; return 1; }
	bindir=$(_pg_bindir) || return 1
	t0=${EPOCHREALTIME/./}
	root=$(cd "$dir" && pwd)/postgres
	sock=$root/sock
	# The socket's path must fit in sun_path (107 bytes) with its name ".s.PGSQL.5432".
	if [ $(( ${#sock} + 14 )) -gt 107 ]; then
		echo "start_postgres: $sock is too long for a Unix socket path" >&2
		return 1
	fi
	mkdir "$root" "$sock" || return 1
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$root" "$sock" || { rm -rf "$root"; return 1; }
		if ! runuser -u postgres -- test -x "$dir"; then chmod o+x "$dir"; fi
		if ! runuser -u postgres -- test -w "$root"; then
			echo "start_postgres: user postgres cannot reach $root (a parent directory without o+x?)" >&2
			rm -rf "$root"
			return 1
		fi
	fi
	_PG_ROOT=$root
	engine_on_exit stop_postgres
	_PG_WATCHDOG=$(engine_watchdog "_pg_kill_leftovers '$root'")

	# --no-sync: a test cluster's files need not survive a machine crash. The server itself
	# keeps fsync on unless POSTGRES_OPTS says otherwise: tests of durability see real commits.
	if ! _pg_as_owner "$bindir/initdb" -D "$root/data" -A trust -U postgres -E UTF8 \
		--locale=C --no-sync >"$root/initdb.log" 2>&1; then
		echo "start_postgres: initdb failed:" >&2
		tail -n 20 "$root/initdb.log" >&2
		stop_postgres
		return 1
	fi
	# Dynamic shared memory as files in the data directory (not /dev/shm), so that even a
	# killed server leaves nothing outside it.
	# shellcheck disable=SC2086
	if ! _pg_as_owner "$bindir/pg_ctl" -D "$root/data" -l "$root/log" -w -t 60 \
		-o "-k $sock -c listen_addresses= -c dynamic_shared_memory_type=mmap ${POSTGRES_OPTS:-}" \
		start >"$root/pg_ctl.log" 2>&1; then
		echo "start_postgres: the server did not start:" >&2
		tail -n 20 "$root/log" "$root/pg_ctl.log" >&2 2>/dev/null
		stop_postgres
		return 1
	fi
	if ! psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d postgres \
		-c "CREATE ROLE callrec LOGIN SUPERUSER" -c "CREATE DATABASE callrec OWNER callrec" \
		>"$root/setup.log" 2>&1; then
		echo "start_postgres: creating role and database failed:" >&2
		cat "$root/setup.log" >&2
		stop_postgres
		return 1
	fi
	export PG_DATA=$root/data PG_LOG=$root/log PG_SOCKDIR=$sock
	export PG_URI="postgresql://callrec@/callrec?host=$sock"
	PG_START_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	export PG_START_MS
	return 0
}

postgres_createdb() {
	local name=${1:?usage: postgres_createdb NAME}
	[ -n "$_PG_ROOT" ] || { echo "postgres_createdb: no cluster running" >&2; return 1; }
	psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -U callrec -d callrec \
		-c "CREATE DATABASE \"$name\" OWNER callrec" >/dev/null || return 1
	echo "postgresql://callrec@/$name?host=$PG_SOCKDIR"
}

stop_postgres() {
	[ -n "$_PG_ROOT" ] || return 0
	local root=$_PG_ROOT
	_PG_ROOT=
	if [ -n "$_PG_WATCHDOG" ]; then
		kill "$_PG_WATCHDOG" 2>/dev/null
		_PG_WATCHDOG=
	fi
	_pg_kill_leftovers "$root"
	unset PG_URI PG_SOCKDIR PG_DATA PG_LOG
	return 0
}
