#!/bin/bash
# Archive capacity (target: 4,000 streams or more, docs/performance.md): how many real-time 16 kHz stereo streams one callrec-archived holds
# with zero loss and an acknowledgement p99 under 250 ms, on this machine, with the load
# generator (bench/archload.c) on the same cores. Also memory and CPU per connected stream, and
# the two baselines measured here: a commercial recorder's best published figure scaled to this
# machine's cores (330 calls per core), and this disk's fdatasync'd sequential write rate
# divided by one stream's 64,000 bytes per second.
# Prints "archive NAME VARIANT VALUE" lines; the ramp's progress goes to stderr.
#   ARCHLOAD_STEPS=250,500,...  ARCHLOAD_WINDOW=seconds  ARCHLOAD_DEVICES=count  (overrides)
source "$(dirname "$0")/own_session.sh"
# A directory of its own under TMPDIR: twice, on a machine shared with other developers, this
# script's callrec-test.* directory vanished before the script ended (a clean-up of test
# directories by that name, presumably); here it is out of reach of such globs.
export TMPDIR=${TMPDIR:-/tmp}/callrec-bench
mkdir -p "$TMPDIR"
TAP_PLAN=no # a benchmark, not a test: no plan, its own exit status
source "$(dirname "$0")/../tests/lib.sh"
STEPS=${ARCHLOAD_STEPS:-500,1000,2000,3000,3500,4000,4500,5000,6000}
WINDOW=${ARCHLOAD_WINDOW:-10}
DEVICES=${ARCHLOAD_DEVICES:-256}
STREAM_BYTES_PER_S=64000 # 16 kHz x 2 channels x 2 bytes

# Every stream is a descriptor in the archive and in the generator.
ulimit -n "$(ulimit -Hn)"
echo "# $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg), fd limit $(ulimit -n)" >&2

setup_pki || { echo "# pki set-up failed" >&2; exit 1; }
# Many devices, as in a fleet: stream i uses device i mod DEVICES (the archive binds each call
# to its device's certificate name).
for i in $(seq 1 "$DEVICES"); do
	"$BUILD/callrec-archive" pki device "bench$i" --dir "$PKI" >/dev/null || exit 1
done

echo "archive streams commercial $((330 * $(nproc)))"
# The disk where the archive writes, sequential with one fdatasync at the end (1 GiB).
mbps=$(dd if=/dev/zero of="$PKI/archive-data/dd.tmp" bs=1M count=1024 conv=fdatasync 2>&1 |
	awk '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s,") print int(1073741824 / $(i - 1))}')
rm -f "$PKI/archive-data/dd.tmp"
[ -n "$mbps" ] && echo "archive streams disk_bound $((mbps / STREAM_BYTES_PER_S))"
echo "# disk: $mbps bytes/s sequential (dd, conv=fdatasync)" >&2

# lib.sh's find_free_port may pick a port in the ephemeral range, which a previous ramp's client
# ports can still hold; then move the archive below it and try again.
for try in 1 2 3; do
	start_archive && break
	echo "# callrec-archived did not start: $(tail -1 "$T/archived.log")" >&2
	sed -i "s/^listen: .*/listen: 127.0.0.1:$((20000 + RANDOM % 12000))/" "$PKI/archived.yaml"
	[ $try = 3 ] && exit 1
done
"$BUILD/bench/archload" --address "$(cat "$T/archived.ready")" --ca "$PKI/ca.pem" \
	--devices "$PKI/devices" --steps "$STEPS" --window "$WINDOW" --settle 2 --grace 2 \
	--archive-pid "$ARCHIVED_PID" 2>&1 | while IFS= read -r line; do
	case $line in
	archive\ *) echo "$line" ;;
	*) echo "$line" >&2 ;;
	esac
done
kill -0 "$ARCHIVED_PID" 2>/dev/null || echo "# callrec-archived died during the run" >&2
# Errors and alarms the archive logged during the ramp (closing at the end aside).
if [ -e "$T/archived.log" ]; then
	grep -E " (error|warning):|ALARM" "$T/archived.log" | grep -v "closed:" | head -5 |
		sed 's/^/# archive: /' >&2
else
	echo "# $T/archived.log is gone: something removed the test directory" >&2
fi
