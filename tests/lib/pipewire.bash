# Headless PipeWire + WirePlumber (+ optionally pipewire-pulse) for tests, per TESTING.md:
# root, no dbus, no systemd, no sound card. Source it after tests/lib.sh (it uses $T, _pids,
# wait_file and note from there).
#
#   pw_start [--pulse]   start the daemons with state under $PW_DIR (default $T/pw); drop-ins
#                        the caller wrote into $PW_DIR/cfg/pipewire/pipewire.conf.d/ before the
#                        call are used. Exports XDG_RUNTIME_DIR (kept if set) and
#                        XDG_CONFIG_HOME, which clients need. Waits until the null sinks exist.
#   pw_stop              stop the daemons this library started (by their PIDs)
#   pw_wait_node NAME [SECONDS]   wait until a node with node.name NAME exists (default 10 s)
#   pw_node_id NAME      print the object id of node NAME
#
# Null devices exist, clocked by PipeWire's dummy driver: `nullsink` (the default sink),
# `nullsource` (the default source, silence) and `micsink` (a sink whose monitor serves as a
# microphone feed: TESTING.md). Daemon logs: $PW_DIR/*.log.
PW_DIR=${PW_DIR:-$T/pw}
PW_PID='' WP_PID='' PWPULSE_PID=''

# pw_write_base_config: the overrides WirePlumber needs without dbus and bluez, and the null
# sinks. Separate so a caller can add its own drop-ins next to them.
pw_write_base_config() {
	local cfg=$PW_DIR/cfg
	mkdir -p "$cfg/pipewire/pipewire.conf.d" "$cfg/wireplumber/main.lua.d" \
		"$cfg/wireplumber/bluetooth.lua.d" || return 1
	# Without these, WirePlumber exits with status 70 when there is no session bus.
	cat >"$cfg/wireplumber/main.lua.d/51-nodbus.lua" <<'EOL'
alsa_monitor.properties["alsa.reserve"] = false
default_access.properties["enable-flatpak-portal"] = false
EOL
	echo 'bluez_monitor.enabled = false' >"$cfg/wireplumber/bluetooth.lua.d/51-nobluez.lua"
	# priority.session high: the null sink stays the default device whatever else exists.
	cat >"$cfg/pipewire/pipewire.conf.d/10-null-sink.conf" <<'EOL'
context.objects = [
	{ factory = adapter
	  args = { factory.name = support.null-audio-sink node.name = "nullsink"
		   node.description = "Null sink" media.class = "Audio/Sink"
		   audio.position = "FL,FR" priority.session = 2000 object.linger = true } }
	{ factory = adapter
	  args = { factory.name = support.null-audio-sink node.name = "micsink"
		   node.description = "Microphone feed" media.class = "Audio/Sink"
		   audio.position = "FL,FR" priority.session = 100 object.linger = true } }
	{ factory = adapter
	  args = { factory.name = support.null-audio-sink node.name = "nullsource"
		   node.description = "Null microphone" media.class = "Audio/Source/Virtual"
		   audio.position = "FL,FR" priority.session = 2000 object.linger = true } }
]
EOL
}

pw_node_id() {
	pw-cli ls Node 2>/dev/null | awk -v want="node.name = \"$1\"" '
		/^[ \t]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		index($0, want) { print id; exit }'
}

pw_wait_node() {
	local _
	for _ in $(seq 1 $((${2:-10} * 20))); do
		[ -n "$(pw_node_id "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

pw_start() {
	local pulse=0
	[ "${1:-}" = --pulse ] && pulse=1
	export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$PW_DIR/run}
	export XDG_CONFIG_HOME=$PW_DIR/cfg
	export XDG_STATE_HOME=${XDG_STATE_HOME:-$PW_DIR/state}
	mkdir -p "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" && chmod 700 "$XDG_RUNTIME_DIR" || return 1
	pw_write_base_config || return 1
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
	if ! { pw_wait_node nullsink 10 && pw_wait_node micsink 10 && pw_wait_node nullsource 10; }; then
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

pw_stop() {
	local p
	for p in $PWPULSE_PID $WP_PID $PW_PID; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PW_PID='' WP_PID='' PWPULSE_PID=''
	return 0
}
