#!/usr/bin/env bash
# Every test of ferrovs: formatting and lints, unit tests, end-to-end tests
# against the real daemon, the codec's golden and interop tests, and a
# bounded fuzzing run. Installs what it needs (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# A CI checkout is built once: incremental caches would only double the
# target directory's size on disk (about 5 GB of 10).
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0
fi

mode=$(bash scripts/hugepages.sh)
echo "test: EAL memory: $mode"
if [ "$mode" = hugepages ]; then
  export FERROVS_REQUIRE_HUGEPAGES=1
fi

# os-ken 4.2.2's captured OpenFlow messages (packet_data), from PyPI, for
# the codec's golden tests; not stored in the repository.
osken=target/os-ken-4.2.2
if [ ! -d "$osken/os_ken/tests/packet_data" ]; then
  mkdir -p "$osken/wheel"
  python3 -m pip download --no-deps --disable-pip-version-check -q os-ken==4.2.2 -d "$osken/wheel"
  (cd "$osken" && python3 -m zipfile -e wheel/os_ken-4.2.2-*.whl .)
fi
export OSKEN_PACKET_DATA="$PWD/$osken/os_ken/tests/packet_data"

echo "test: cargo fmt --check"
cargo fmt --all -- --check
echo "test: cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "test: building every binary"
cargo build --workspace --bins

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
echo "test: cargo nextest run --workspace"
cargo nextest run --workspace --no-fail-fast

# The flow caches against the full pipeline, with more random cases than
# the unit-test default.
echo "test: flow cache differential test, ${FERROVS_DIFF_CASES:=3000} cases"
FERROVS_DIFF_CASES=$FERROVS_DIFF_CASES cargo nextest run -p switch --lib \
  cached_forwarding_equals_the_full_pipeline

# The os-ken switch test tool, one file of each category per OpenFlow
# version (conformance/osken/subsets/ci.txt), against the debug daemon just
# built; the full runs are `conformance/osken/run of13|of14`.
for v in of13 of14; do
  echo "test: os-ken switch test tool, $v CI subset"
  bash conformance/osken/run "$v" --subset ci --duration 10 --steady-rate \
    --bin-dir "${CARGO_TARGET_DIR:-target}/debug" --min-ok "${OSKEN_CI_MIN_OK:-100}"
done

if [ -x fuzz/run.sh ]; then
  echo "test: fuzzing, ${FUZZ_SECONDS:-60} s per target"
  bash fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
echo "test: all passed"
