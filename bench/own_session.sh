# Source first thing in a benchmark script: runs the script again in a session of its own and
# gives that session's scheduler autogroup nice -10. Why: with autogroups (Debian's default),
# each session gets an equal share of the CPU whatever its processes' nice values, so on a
# machine shared with other work (a fuzzer, a test suite in another terminal) the archive would
# wait for a CPU behind them and the figure would measure them. The autogroup ends with the
# session; nothing persists. Ctrl-C / SIGTERM stop the whole session.
if [ -z "${CALLREC_BENCH_SESSION:-}" ] && command -v setsid >/dev/null; then
	export CALLREC_BENCH_SESSION=1
	setsid bash "$0" "$@" &
	_session=$!
	trap 'kill -TERM -- -$_session 2>/dev/null' INT TERM
	wait "$_session"
	exit $?
fi
echo -10 >/proc/self/autogroup 2>/dev/null || true
