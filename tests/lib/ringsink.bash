# The plugin's tests without a real agent (source after tests/lib.sh): ringsink
# (tests/programs/ringsink.c) answers the plugin as an agent would, drains the rings into files and
# can inject disclosure, mute, stall or refuse, or (--mangle) be a hostile agent that rewrites
# its rings' headers under the plugin. Also the plugin under valgrind memcheck and its
# ThreadSanitizer build.
#
#   start_ringsink [OPTIONS...]    a fresh ringsink on $RINGSINK_SOCK ($T/agent.sock) writing into
#                                  a new directory OUT ($RINGSINK_OUT, or $T/sinkN); RINGSINK_PID
#   stop_ringsink                  stops it (its files are complete afterwards)
#   wait_sink_stream DIRECTION     S: the files of the next stream the current ringsink saw,
#                                  $OUT/N-DIRECTION (.meta, .raw), once it is complete
#   MEMCHECK                       valgrind memcheck as the tests run it (errors exit 97): put
#                                  --log-file=FILE and the client after it
#   note_memcheck LOG              its summary lines as notes
#   count_plugin_leaks LOG         blocks definitely lost that the plugin allocated (alsa-lib keeps
#                                  its configuration cache on purpose: only the plugin's own count)
#   add_tsan_pcm_type              pcm_type callrec_tsan: the ThreadSanitizer build of the plugin
#                                  (make test-build makes it in $BUILD_TSAN)
#   TSAN_RUN                       the environment a client needs to load that plugin
#   note_tsan_warnings LOG         the first ThreadSanitizer reports of LOG as notes
#   has_no_tsan_warning LOG        LOG exists and holds no ThreadSanitizer report

_ringsinks=0
start_ringsink() {
	local sock=${RINGSINK_SOCK:-$T/agent.sock}
	_ringsinks=$((_ringsinks + 1))
	OUT=${RINGSINK_OUT:-$T/sink$_ringsinks}
	_streams=0
	mkdir -p "$OUT"
	rm -f "$sock"
	"$BUILD/tests/ringsink" "$@" "$sock" "$OUT" 2>>"$T/ringsink.log" &
	RINGSINK_PID=$!
	_pids+=("$RINGSINK_PID")
	wait_file "$sock" 5
}
stop_ringsink() { stop_pid "$RINGSINK_PID"; RINGSINK_PID=; }

wait_sink_stream() {
	_streams=$((_streams + 1))
	S=$OUT/$_streams-$1
	wait_file "$S.done" 5
}

MEMCHECK=(valgrind --tool=memcheck --error-exitcode=97 --leak-check=full --show-leak-kinds=definite
	--errors-for-leak-kinds=none)
note_memcheck() { grep -E 'ERROR SUMMARY|definitely lost' "$1" | sed 's/^==[0-9]*== /# /'; }
count_plugin_leaks() { grep -A30 'definitely lost' "$1" | grep -c 'libasound_module_pcm_callrec'; }

add_tsan_pcm_type() {
	add_alsa_conf "pcm_type.callrec_tsan { lib \"$BUILD_TSAN/libasound_module_pcm_callrec.so\" open \"_snd_pcm_callrec_open\" }"
	[ -s "$BUILD_TSAN/libasound_module_pcm_callrec.so" ]
}
# The client itself is not instrumented: the ThreadSanitizer runtime must be loaded first.
TSAN_RUN=(env "TSAN_OPTIONS=halt_on_error=0 report_signal_unsafe=0"
	"LD_PRELOAD=$(gcc -print-file-name=libtsan.so)")
note_tsan_warnings() { grep -A12 'WARNING: ThreadSanitizer' "$1" | head -40 | sed 's/^/# /'; }
has_no_tsan_warning() { [ -e "$1" ] && ! grep -q 'WARNING: ThreadSanitizer' "$1"; }
