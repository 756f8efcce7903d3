#!/usr/bin/env bash
# The demo: build ferrovs, write a 1000-flow pcap, start a bridge that
# cross-connects a pcap replay (net_pcap, infinite_rx) to a sink (net_null)
# on a PMD thread, and print live PMD statistics and the metrics URL.
# DEMO_SECONDS (default 30; 0 = until Ctrl-C) bounds the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

mode=$(bash scripts/hugepages.sh)
echo "demo: EAL memory: $mode"
cargo build --release -p switch -p ferrovs-cli -p ferrovs-tests --bins
BIN="${CARGO_TARGET_DIR:-target}/release"
DEMO=/tmp/ferrovs-demo
RUN=$DEMO/run
METRICS=${METRICS:-127.0.0.1:9477}
mkdir -p "$DEMO"
"$BIN/ferrovs-pcap" --flows 1000 --size 60 "$DEMO/udp-1000.pcap"

args=(--config examples/demo.toml --rundir "$RUN" --metrics "$METRICS")
[ "$mode" = no-huge ] && args+=(--no-huge)
"$BIN/ferrovs-switchd" "${args[@]}" 2>"$DEMO/daemon.log" &
pid=$!
cleanup() {
  "$BIN/ferrovs" --rundir "$RUN" exit >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 100); do
  "$BIN/ferrovs" --rundir "$RUN" list-commands >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$DEMO/daemon.log"; exit 1; }
  sleep 0.2
done

"$BIN/ferrovs" --rundir "$RUN" show
echo "metrics: http://$METRICS/metrics   (log: $DEMO/daemon.log)"
echo "also: ovs-appctl -t $RUN/ovs-vswitchd.$pid.ctl dpif-netdev/pmd-stats-show"
"$BIN/ferrovs" --rundir "$RUN" pmd-rxq-show
seconds=${DEMO_SECONDS:-30}
start=$(date +%s)
while :; do
  sleep 2
  echo "---- $(date +%T) ----"
  "$BIN/ferrovs" --rundir "$RUN" pmd-stats-show
  curl -s "http://$METRICS/metrics" | grep -E '^ferrovs_port_(rx|tx)_packets_total' || true
  if [ "$seconds" != 0 ] && [ $(( $(date +%s) - start )) -ge "$seconds" ]; then
    break
  fi
done
