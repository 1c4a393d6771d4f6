#!/bin/bash
# Reconnect storm (target: at least gnutls-serv's rate): TLS 1.3 handshakes per second that callrec-archived completes,
# against gnutls-serv (gnutls-bin) with the same CA, server certificate, client certificate and
# priority string, in the same run. Full handshakes, then resumed ones (the client offers the
# session ticket of its previous connection). bench/hsstorm.c is the client. Servers alternate
# over two rounds and each keeps its best round, so a burst of other load on the machine does not
# decide the ratio. 16 client threads: gnutls-serv stalls each connection ~36 ms (one client
# gets ~28/s), so fewer clients would measure that stall instead of its CPU cost.
# Prints "archive NAME VARIANT VALUE" lines.
source "$(dirname "$0")/own_session.sh"
# A directory of its own under TMPDIR: twice, on a machine shared with other developers, this
# script's callrec-test.* directory vanished before the script ended (a clean-up of test
# directories by that name, presumably); here it is out of reach of such globs.
export TMPDIR=${TMPDIR:-/tmp}/callrec-bench
mkdir -p "$TMPDIR"
TAP_PLAN=no # a benchmark, not a test: no plan, its own exit status
source "$(dirname "$0")/../tests/lib.sh"
SECONDS_EACH=${HSSTORM_SECONDS:-2}
THREADS=${HSSTORM_THREADS:-16}

setup_pki || exit 1
# lib.sh's find_free_port may pick a port in the ephemeral range, which a previous load test's client
# ports can still hold; then move the archive below it and try again.
for try in 1 2 3; do
	start_archive && break
	echo "# callrec-archived did not start: $(tail -1 "$T/archived.log")" >&2
	sed -i "s/^listen: .*/listen: 127.0.0.1:$((20000 + RANDOM % 12000))/" "$PKI/archived.yaml"
	[ $try = 3 ] && exit 1
done
# gnutls-serv on a port below the ephemeral range (32768-60999 here): right after a load test,
# thousands of client ports there are still in use and a listening bind on one of them fails.
# Tried on a few ports; the benchmark goes on without it (rows "NOT MEASURED") if none works.
GPORT=
for try in 1 2 3 4 5; do
	port=$((20000 + (RANDOM % 12000)))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
	gnutls-serv --echo -q --require-client-cert --verify-client-cert --x509cafile "$PKI/ca.pem" \
		--x509crlfile "$PKI/crl.pem" --x509certfile "$PKI/archive.pem" \
		--x509keyfile "$PKI/archive.key" \
		--priority "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:%PROFILE_MEDIUM" \
		-p "$port" >"$T/gnutls-serv.log" 2>&1 &
	gpid=$!
	_pids+=("$gpid")
	for i in $(seq 100); do
		kill -0 "$gpid" 2>/dev/null || break
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then GPORT=$port; break; fi
		sleep 0.05
	done
	[ -n "$GPORT" ] && break
	echo "# gnutls-serv did not listen on $port: $(tail -1 "$T/gnutls-serv.log")" >&2
	kill "$gpid" 2>/dev/null
done
[ -n "$GPORT" ] || echo "# gnutls-serv did not start; its rows will be missing" >&2

storm() { # ADDRESS EXTRA_FLAGS...
	local addr=$1
	shift
	"$BUILD/bench/hsstorm" --address "$addr" --ca "$PKI/ca.pem" \
		--cert "$PKI/devices/desk1/device.pem" --key "$PKI/devices/desk1/device.key" \
		--threads "$THREADS" --seconds "$SECONDS_EACH" "$@"
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
declare -A best resumed
for round in 1 2; do
	for mode in full resumed; do
		flag=; [ $mode = resumed ] && flag=--resume
		for server in callrec gnutls_serv; do
			[ $server = gnutls_serv ] && [ -z "$GPORT" ] && continue
			if [ $server = callrec ]; then
				out=$(storm "$(cat "$T/archived.ready")" $flag)
			else
				out=$(storm "127.0.0.1:$GPORT" --echo $flag)
			fi
			echo "# round $round $mode $server: $out" >&2
			rate=$(echo "$out" | field per_s)
			k=$mode.$server
			if [ -n "$rate" ] && awk -v a="$rate" -v b="${best[$k]:-0}" 'BEGIN{exit !(a > b)}'; then
				best[$k]=$rate
				n=$(echo "$out" | field handshakes) r=$(echo "$out" | field resumed)
				resumed[$k]=$(awk -v r="$r" -v n="$n" 'BEGIN{printf "%.2f", n ? r / n : 0}')
			fi
		done
	done
done
for server in callrec gnutls_serv; do
	[ -n "${best[full.$server]:-}" ] && echo "archive handshakes_full $server ${best[full.$server]}"
	[ -n "${best[resumed.$server]:-}" ] &&
		echo "archive handshakes_resumed $server ${best[resumed.$server]}" &&
		echo "archive resumed_share $server ${resumed[resumed.$server]}"
done
true
