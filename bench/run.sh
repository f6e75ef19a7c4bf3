#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: runs every benchmark binary in BUILD_DIR/bench, then repeats all their
# `RESULT <name> <value> <unit>` lines as a summary. A benchmark that was not built is skipped
# with a message; one that fails stops the run (set -e).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
bench_dir="$1/bench"
benchmarks=(engine_bench store_memory_bench timer_bench sqlite_bench http_bench redis_bench)

results="$(mktemp)"
trap 'rm -f "$results"' EXIT

for name in "${benchmarks[@]}"; do
  binary="$bench_dir/$name"
  if [[ ! -x "$binary" ]]; then
    echo "=== $name: not built ($binary missing), skipped"
    continue
  fi
  echo "=== $name"
  "$binary" | tee -a "$results"
done

echo "=== summary"
grep '^RESULT ' "$results" || echo "(no RESULT lines)"
