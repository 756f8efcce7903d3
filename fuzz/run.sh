#!/bin/sh
# Runs each fuzz target for SECONDS (default 60) from the seed corpus; fails
# on any crash. Prints the executions of each run and their total.
# Usage: fuzz/run.sh [SECONDS]
set -eu
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
[ -d corpus/decode ] || sh ./seed_corpus.sh
total=0
for t in framer decode; do
    log="$here/.run-$t.log"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1 || {
        tail -40 "$log"
        echo "fuzz target $t failed" >&2
        exit 1
    }
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    echo "$t: ${execs:-0} executions in ${secs}s, no crash"
    total=$((total + ${execs:-0}))
done
echo "total executions: $total"
