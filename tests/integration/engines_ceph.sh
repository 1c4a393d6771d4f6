#!/bin/bash
# The throwaway Ceph of tests/engines/ceph.sh, around what s3_objectlock.sh exercises: two
# clusters side by side do not collide, each stops leaving nothing behind, and one whose test
# shell was killed with SIGKILL is stopped by its watchdog.
source "$(dirname "$0")/../lib.sh"

mkdir "$T/a" "$T/b"
# Two test shells at once, as two test runs would be. Each ends when told to (or is killed).
for d in a b; do
	bash -c "source '$TOP/tests/engines/ceph.sh'; start_ceph '$T/$d' || exit 1
		echo \"\$CEPH_S3_ENDPOINT \$CEPH_START_MS\" >'$T/$d.up'
		while [ ! -e '$T/$d.end' ]; do sleep 0.1; done" &
	eval "shell_$d=\$!"
done
wait_file "$T/a.up" 120
wait_file "$T/b.up" 120
read -r EA MSA <"$T/a.up"
read -r EB MSB <"$T/b.up"
check "two clusters start side by side (${MSA:-?} ms, ${MSB:-?} ms)" test -n "$EA" -a -n "$EB"
check "on different endpoints" test "$EA" != "$EB"
for e in "$EA" "$EB"; do
	check "$e answers S3 (anonymous listing refused, as S3 does)" \
		test "$(curl -s -o /dev/null -w '%{http_code}' "$e/")" = 200 -o \
		"$(curl -s -o /dev/null -w '%{http_code}' "$e/")" = 403
done
mapfile -t DA <"$T/a/ceph/run/daemons"
check "three daemons in a cluster" test "${#DA[@]}" = 3

# SIGKILL the first shell: no EXIT trap runs, the watchdog must stop its cluster.
{ kill -KILL "$shell_a"; wait "$shell_a"; } 2>/dev/null
for _ in $(seq 1 300); do [ -e "$T/a/ceph" ] || break; sleep 0.1; done
alive=0
for p in "${DA[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "after SIGKILL of its shell no daemon of that cluster runs" test "$alive" = 0
check "and its directory is gone" test ! -e "$T/a/ceph"
check "the other cluster still answers" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$EB/")" != 000

# An orderly end without stop_ceph: the shell's EXIT trap stops the cluster before it exits.
mapfile -t DB <"$T/b/ceph/run/daemons"
touch "$T/b.end"
wait "$shell_b"
alive=0
for p in "${DB[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "after its shell ended, no daemon of the other cluster runs" test "$alive" = 0
check "and its directory is gone" test ! -e "$T/b/ceph"
