#!/bin/bash
# The throwaway PostgreSQL of tests/engines/postgres.sh: starts on a Unix socket only, answers
# SQL through its libpq URI, serves extra databases, and stops leaving no process, shared
# memory segment or file behind, also when the test shell that started it is killed.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/engines/postgres.sh"

if ! start_postgres "$T"; then
	not_ok "a throwaway PostgreSQL starts"
	exit 1
fi
ok "a throwaway PostgreSQL starts (${PG_START_MS} ms)"
note "PG_URI=$PG_URI"

PID=$(head -n 1 "$PG_DATA/postmaster.pid")
SHMID=$(sed -n 7p "$PG_DATA/postmaster.pid" | awk '{print $2}')
# shm_exists ID: a System V shared memory segment of that id exists.
shm_exists() { ipcs -m | awk '{print $2}' | grep -qx "$1"; }
shm_gone() { ! shm_exists "$1"; }

check "psql connects with the libpq URI" \
	test "$(psql -X -qAt "$PG_URI" -c 'select current_user || current_database()')" = callreccallrec
check "the server is PostgreSQL 15 or later" \
	test "$(psql -X -qAt "$PG_URI" -c 'show server_version_num')" -ge 150000
check "it listens on no TCP port" \
	test -z "$(ss -Htlnp 2>/dev/null | grep "pid=$PID,")"
check "SQL round trip: create, insert, select" test "$(psql -X -qAt -v ON_ERROR_STOP=1 "$PG_URI" \
	-c 'create table t (id bigint primary key, v text)' \
	-c "insert into t select g, 'x' || g from generate_series(1, 1000) g" \
	-c 'select count(*), max(v) from t')" = "1000|x999"
URI2=$(postgres_createdb second)
check "postgres_createdb gives a URI of a new, empty database" \
	test "$(psql -X -qAt "$URI2" -c "select count(*) from pg_tables where schemaname = 'public'")" = 0
check "its System V segment exists while it runs" shm_exists "$SHMID"

stop_postgres
check "after stop_postgres the postmaster is gone" test ! -e "/proc/$PID"
check "no postgres process of it is left" \
	test -z "$(pgrep -f -- "-D $T/postgres/data" || true)"
check "its shared memory segment is gone" shm_gone "$SHMID"
check "its directory is gone" test ! -e "$T/postgres"
check "PG_URI is unset" test -z "${PG_URI:-}"

# A test shell killed with SIGKILL runs no EXIT trap: the watchdog stops the server.
mkdir "$T/killed"
bash -c "source '$TOP/tests/engines/postgres.sh'; start_postgres '$T/killed' || exit 1
	sed -n '1p;7p' \"\$PG_DATA/postmaster.pid\" >'$T/killed.pid'; exec sleep 600" &
shell=$!
wait_file "$T/killed.pid" 60
KPID=$(sed -n 1p "$T/killed.pid" 2>/dev/null)
KSHM=$(sed -n 2p "$T/killed.pid" 2>/dev/null | awk '{print $2}')
check "a second cluster started from a child shell" test -n "$KPID"
{ kill -KILL "$shell"; wait "$shell"; } 2>/dev/null
for _ in $(seq 1 300); do [ -e "/proc/$KPID" ] || [ -z "$KPID" ] || break; sleep 0.1; done
for _ in $(seq 1 100); do [ -e "$T/killed/postgres" ] || break; sleep 0.1; done
check "killing that shell with SIGKILL: its server stops" test ! -e "/proc/$KPID"
check "and its directory goes" test ! -e "$T/killed/postgres"
check "and its shared memory segment" shm_gone "$KSHM"
