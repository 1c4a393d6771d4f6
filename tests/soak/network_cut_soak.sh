#!/bin/bash
# Soak: the network cut of tests/integration/fault_network_cut.sh for 10 minutes, 3
# calls (upgen keeps every unacknowledged frame in memory: 64 KB/s per call). ~11 minutes.
#   BUILD=$PWD/build bash tests/soak/network_cut_soak.sh      (CUT=SECONDS to change)
CUT=${CUT:-600} CALLS=${CALLS:-3} exec bash "$(dirname "$0")/../integration/fault_network_cut.sh"
