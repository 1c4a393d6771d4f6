#!/bin/bash
# The plugin's full format x channels x rate x access x blocking x direction cross-product,
# recorded and not, against the unpaced rawfile double (tests/integration/plugin_matrix.sh runs
# a pairwise cover of it in make check). About 4000 checks; a few minutes.
exec env FULL=1 bash "$(dirname "$0")/../integration/plugin_matrix.sh"
