# baresip 1.0.0 instances for the softphone tests, on loopback, driven over their ctrl_tcp
# control port (source after tests/lib.sh).
#
#   pick_baresip_ports             sets SIP_PORT_A SIP_PORT_B CTRL_PORT_A CTRL_PORT_B: free ports
#   write_baresip_config NAME SIP CTRL PLAYER SOURCE ACCOUNT [MODULE...]
#                                  $T/sp/NAME/{config,accounts} from tests/fixtures/baresip.conf.in
#   start_baresip NAME [VAR=VALUE...]   baresip NAME in the background (log $T/sp/NAME.log) with
#                                  that environment; waits until its control port answers
#   send_baresip_command NAME COMMAND [PARAMS]   one command; prints the response's data
#   wait_baresip_log NAME REGEX [SECONDS]        until baresip NAME's log matches (10 s)
#   stop_baresip NAME              stops baresip NAME (SIGTERM: calls hung up, dumps closed)
declare -A _baresip_pid _baresip_ctrl

# A port is free when nothing accepts a TCP connection on it. baresip binds UDP and TCP on the
# SIP port and TLS on SIP port + 1, so each instance gets a block of 4. The blocks lie below the
# kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768 and up by default):
# there, any client connection of a test running alongside can take the port between our check
# and baresip's bind.
pick_baresip_ports() {
	local base p ok
	for base in $(seq $((10000 + ($$ * 16) % 20000)) 16 32700) $(seq 10000 16 32700); do
		ok=1
		for p in $(seq "$base" $((base + 11))); do is_port_free "$p" || { ok=; break; }; done
		[ -n "$ok" ] || continue
		SIP_PORT_A=$base CTRL_PORT_A=$((base + 3)) SIP_PORT_B=$((base + 6)) CTRL_PORT_B=$((base + 9))
		return 0
	done
	return 1
}

write_baresip_config() {
	local name=$1 sip=$2 ctrl=$3 player=$4 source=$5 account=$6 m
	shift 6
	local dir=$T/sp/$name
	mkdir -p "$dir/dump"
	fill_fixture baresip.conf.in "$dir/config" SIP_PORT="$sip" CTRL_PORT="$ctrl" \
		PLAYER="$player" SOURCE="$source" SND_PATH="$dir/dump" || return 1
	for m in "$@"; do printf 'module\t\t\t%s\n' "$m" >>"$dir/config"; done
	printf '%s\n' "$account" >"$dir/accounts"
	_baresip_ctrl[$name]=$ctrl
}

start_baresip() {
	local name=$1 i
	shift
	# stdin from /dev/null: no console; -4: IPv4 only (loopback is all there is).
	env "$@" baresip -4 -f "$T/sp/$name" </dev/null >"$T/sp/$name.log" 2>&1 &
	_baresip_pid[$name]=$!
	_pids+=("${_baresip_pid[$name]}")
	# Ready when its control port answers. baresip carries on without a module that failed to
	# load (e.g. a port in use), so a bind error means it did not start properly.
	for i in $(seq 1 200); do
		grep -q "Address already in use" "$T/sp/$name.log" && break
		is_port_free "${_baresip_ctrl[$name]}" || return 0
		kill -0 "${_baresip_pid[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "# baresip $name did not start:" >&2
	sed 's/^/#   /' "$T/sp/$name.log" >&2
	stop_baresip "$name"
	return 1
}

# ctrl_tcp speaks netstrings ("LEN:JSON,"); events are sent on the same connection, so read
# until the response to our token arrives.
send_baresip_command() {
	local name=$1 cmd=$2 params=${3:-} json len body
	json=$(printf '{"command":"%s","params":"%s","token":"t%s"}' "$cmd" "$params" "$RANDOM")
	exec 7<>"/dev/tcp/127.0.0.1/${_baresip_ctrl[$name]}" || return 1
	printf '%d:%s,' "${#json}" "$json" >&7
	while IFS= read -r -t 5 -d ':' len <&7 && IFS= read -r -t 5 -N $((len + 1)) body <&7; do
		case $body in
		*'"response":true'*)
			exec 7<&-
			[[ $body == *'"ok":true'* ]] || { echo "# $name $cmd: $body" >&2; return 1; }
			sed -n 's/.*"data":"\(.*\)".*/\1/p' <<<"${body%,}"
			return 0 ;;
		esac
	done
	exec 7<&-
	echo "# $name: no response to $cmd" >&2
	return 1
}

wait_baresip_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -Eq -- "$2" "$T/sp/$1.log" && return 0
		sleep 0.05
	done
	return 1
}

# baresip handles SIGTERM as a clean shutdown (calls hung up, dump files closed).
stop_baresip() {
	local pid=${_baresip_pid[$1]:-}
	[ -n "$pid" ] || return 0
	stop_pid "$pid"
	_baresip_pid[$1]=
}
