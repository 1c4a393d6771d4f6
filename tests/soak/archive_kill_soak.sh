#!/bin/bash
# Soak: tests/integration/fault_archive_kill.sh with 100 calls of 2 minutes and the archive
# killed with -9 ten times. ~3 minutes.
#   BUILD=$PWD/build bash tests/soak/archive_kill_soak.sh
CALLS=${CALLS:-100} CHUNKS=${CHUNKS:-480} ROUNDS=${ROUNDS:-10} \
	exec bash "$(dirname "$0")/../integration/fault_archive_kill.sh"
