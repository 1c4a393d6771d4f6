# baresip helpers for the softphone tests (TESTING.md "A real softphone: baresip 1.0.0 on
# loopback"). Source after tests/lib.sh ($T, _pids, stop_pid).
#
#   sp_ports                      sets SP_A_SIP SP_B_SIP SP_A_CTRL SP_B_CTRL: free loopback ports
#   sp_config NAME SIP CTRL PLAYER SOURCE ACCOUNT [MODULE...]
#                                 writes $T/sp/NAME/{config,accounts} from config.in
#   sp_start NAME [VAR=VALUE...]  runs baresip NAME in the background (log $T/sp/NAME.log) with
#                                 the given environment; waits until its control port answers
#   sp_cmd NAME COMMAND [PARAMS]  one ctrl_tcp command; prints the response's data
#   sp_wait_log NAME REGEX [SECONDS]  waits until baresip NAME's log matches
#   sp_stop NAME                  stops baresip NAME (SIGTERM) and waits
SP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -A SP_PID SP_CTRL

# A port is free when nothing accepts a TCP connection on it. baresip binds UDP and TCP on the
# SIP port and TLS on SIP port + 1, so each instance gets a block of 4. The blocks lie below the
# kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768 and up by default):
# there, any client connection of a test running alongside can take the port between our check
# and baresip's bind.
_sp_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
sp_ports() {
	local base p ok
	for base in $(seq $((10000 + ($$ * 16) % 20000)) 16 32700) $(seq 10000 16 32700); do
		ok=1
		for p in $(seq "$base" $((base + 11))); do _sp_free "$p" || { ok=; break; }; done
		[ -n "$ok" ] || continue
		SP_A_SIP=$base SP_A_CTRL=$((base + 3)) SP_B_SIP=$((base + 6)) SP_B_CTRL=$((base + 9))
		return 0
	done
	return 1
}

sp_config() {
	local name=$1 sip=$2 ctrl=$3 player=$4 source=$5 account=$6 m
	shift 6
	local dir=$T/sp/$name
	mkdir -p "$dir/dump"
	sed -e "s|@SIP_PORT@|$sip|" -e "s|@CTRL_PORT@|$ctrl|" -e "s|@PLAYER@|$player|" \
		-e "s|@SOURCE@|$source|" -e "s|@SND_PATH@|$dir/dump|" "$SP_DIR/config.in" >"$dir/config"
	for m in "$@"; do printf 'module\t\t\t%s\n' "$m" >>"$dir/config"; done
	printf '%s\n' "$account" >"$dir/accounts"
	SP_CTRL[$name]=$ctrl
}

sp_start() {
	local name=$1 i
	shift
	# stdin from /dev/null: no console; -4: IPv4 only (loopback is all there is).
	env "$@" baresip -4 -f "$T/sp/$name" </dev/null >"$T/sp/$name.log" 2>&1 &
	SP_PID[$name]=$!
	_pids+=("${SP_PID[$name]}")
	# Ready when its control port answers. baresip carries on without a module that failed to
	# load (e.g. a port in use), so a bind error means it did not start properly.
	for i in $(seq 1 200); do
		grep -q "Address already in use" "$T/sp/$name.log" && break
		_sp_free "${SP_CTRL[$name]}" || return 0
		kill -0 "${SP_PID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "# baresip $name did not start:" >&2
	sed 's/^/#   /' "$T/sp/$name.log" >&2
	sp_stop "$name"
	return 1
}

# ctrl_tcp speaks netstrings ("LEN:JSON,"); events are sent on the same connection, so read
# until the response to our token arrives.
sp_cmd() {
	local name=$1 cmd=$2 params=${3:-} json len body
	json=$(printf '{"command":"%s","params":"%s","token":"t%s"}' "$cmd" "$params" "$RANDOM")
	exec 7<>"/dev/tcp/127.0.0.1/${SP_CTRL[$name]}" || return 1
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

sp_wait_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -Eq -- "$2" "$T/sp/$1.log" && return 0
		sleep 0.05
	done
	return 1
}

# baresip handles SIGTERM as a clean shutdown (calls hung up, dump files closed).
sp_stop() {
	local pid=${SP_PID[$1]:-}
	[ -n "$pid" ] || return 0
	stop_pid "$pid"
	SP_PID[$1]=
}
