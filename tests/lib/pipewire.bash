# Headless PipeWire and WirePlumber (and, if asked, pipewire-pulse) for the tests, as root with
# no session bus, no systemd and no sound card (source after tests/lib.sh).
#
#   start_pipewire [--pulse]       the daemons, state under $PW_DIR (default $T/pw); drop-ins the
#                                  caller wrote into $PW_DIR/cfg/pipewire/pipewire.conf.d/
#                                  first are used. Exports XDG_RUNTIME_DIR (kept if set) and
#                                  XDG_CONFIG_HOME, which clients need; waits for the null devices
#   stop_pipewire                  stops the daemons it started (by their pids)
#   wait_pipewire_node NAME [SECONDS]   until a node with node.name NAME exists (10 s)
#   get_pipewire_node_id NAME      the object id of node NAME
#
# The null devices (tests/fixtures/pipewire/10-null-sink.conf), clocked by PipeWire's dummy
# driver: `nullsink` (the default sink), `nullsource` (the default source, silence) and
# `micsink`, a sink whose monitor is a microphone feed: what a test plays into it, a client
# recording from its monitor hears. Daemon logs: $PW_DIR/*.log.
PW_DIR=${PW_DIR:-$T/pw}
PW_PID='' WP_PID='' PWPULSE_PID=''

# _write_pipewire_config: the overrides WirePlumber needs without dbus and bluez, and the null
# devices, from tests/fixtures/pipewire/. Drop-ins a caller writes next to them are used too.
_write_pipewire_config() {
	local cfg=$PW_DIR/cfg
	mkdir -p "$cfg/pipewire/pipewire.conf.d" "$cfg/wireplumber/main.lua.d" \
		"$cfg/wireplumber/bluetooth.lua.d" || return 1
	cp "$FIXTURES/pipewire/51-nodbus.lua" "$cfg/wireplumber/main.lua.d/" &&
		cp "$FIXTURES/pipewire/51-nobluez.lua" "$cfg/wireplumber/bluetooth.lua.d/" &&
		cp "$FIXTURES/pipewire/10-null-sink.conf" "$cfg/pipewire/pipewire.conf.d/"
}

get_pipewire_node_id() {
	pw-cli ls Node 2>/dev/null | awk -v want="node.name = \"$1\"" '
		/^[ \t]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		index($0, want) { print id; exit }'
}

wait_pipewire_node() {
	local _
	for _ in $(seq 1 $((${2:-10} * 20))); do
		[ -n "$(get_pipewire_node_id "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

start_pipewire() {
	local pulse=0
	[ "${1:-}" = --pulse ] && pulse=1
	export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$PW_DIR/run}
	export XDG_CONFIG_HOME=$PW_DIR/cfg
	export XDG_STATE_HOME=${XDG_STATE_HOME:-$PW_DIR/state}
	mkdir -p "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" && chmod 700 "$XDG_RUNTIME_DIR" || return 1
	_write_pipewire_config || return 1
	rm -f "$XDG_RUNTIME_DIR/pipewire-0"
	pipewire >>"$PW_DIR/pipewire.log" 2>&1 &
	PW_PID=$!
	_pids+=("$PW_PID")
	wait_file "$XDG_RUNTIME_DIR/pipewire-0" 10 || { note "pipewire did not start"; return 1; }
	wireplumber >>"$PW_DIR/wireplumber.log" 2>&1 &
	WP_PID=$!
	_pids+=("$WP_PID")
	if [ "$pulse" = 1 ]; then
		pipewire-pulse >>"$PW_DIR/pipewire-pulse.log" 2>&1 &
		PWPULSE_PID=$!
		_pids+=("$PWPULSE_PID")
		wait_file "$XDG_RUNTIME_DIR/pulse/native" 10 || { note "pipewire-pulse did not start"; return 1; }
	fi
	if ! { wait_pipewire_node nullsink 10 && wait_pipewire_node micsink 10 && wait_pipewire_node nullsource 10; }; then
		note "null devices missing"
		return 1
	fi
	# WirePlumber is up once it has picked the default sink.
	local _
	for _ in $(seq 1 200); do
		wpctl inspect @DEFAULT_AUDIO_SINK@ >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	note "wireplumber chose no default sink"
	return 1
}

stop_pipewire() {
	local p
	for p in $PWPULSE_PID $WP_PID $PW_PID; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PW_PID='' WP_PID='' PWPULSE_PID=''
	return 0
}
