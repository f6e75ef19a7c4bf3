#!/bin/sh
# run_fuzzer.sh [--fresh] BINARY CORPUS SCRATCH SECONDS
#
# Runs libFuzzer target BINARY for SECONDS over the checked-in CORPUS directory. New inputs go to
# SCRATCH/new (the checked-in corpus is never written), crash, timeout and leak inputs to
# SCRATCH/crashes/. --fresh empties SCRATCH/new first, so that a run starts from the checked-in
# corpus alone. Exits non-zero when the target crashed, hung (10 s on one input) or leaked.
set -eu
fresh=0
if [ "$1" = "--fresh" ]; then
  fresh=1
  shift
fi
binary=$1 corpus=$2 scratch=$3 seconds=$4
if [ "$fresh" -eq 1 ]; then rm -rf "$scratch/new"; fi
mkdir -p "$scratch/new" "$scratch/crashes"
exec "$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$scratch/crashes/" "$scratch/new" "$corpus"
