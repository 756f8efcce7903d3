#!/usr/bin/env bash
# The demo: build ferrovs, write a 1000-flow pcap, start a bridge that
# cross-connects a pcap replay (net_pcap, infinite_rx) to a sink (net_null)
# on a PMD thread, and print live PMD statistics and the metrics URL.
# DEMO_SECONDS (default 30; 0 = until Ctrl-C) bounds the run.
#
# With --controller learning (make demo CONTROLLER=learning) the bridge
# (examples/demo-learning.toml) has two hosts replayed from pcaps, a third
# port, and the simulator's L2 learning switch as its OpenFlow controller:
# the loop also shows the flows it installed and the traffic they forward.
set -euo pipefail
cd "$(dirname "$0")/.."

controller=""
while [ $# -gt 0 ]; do
  case "$1" in
    --controller) controller="${2:-}"; shift 2 ;;
    --controller=*) controller="${1#*=}"; shift ;;
    *) echo "demo: unknown option $1 (use --controller learning)" >&2; exit 2 ;;
  esac
done
case "$controller" in
  "" | learning) ;;
  *) echo "demo: unknown controller '$controller' (use --controller learning)" >&2; exit 2 ;;
esac

source scripts/setup.sh

mode=$(bash scripts/hugepages.sh)
echo "demo: EAL memory: $mode"
packages=(-p switch -p ferrovs-cli -p ferrovs-tests)
[ -n "$controller" ] && packages+=(-p controller-sim)
cargo build --release "${packages[@]}" --bins
BIN="${CARGO_TARGET_DIR:-target}/release"
DEMO=/tmp/ferrovs-demo
RUN=$DEMO/run
METRICS=${METRICS:-127.0.0.1:9477}
mkdir -p "$DEMO"
config=examples/demo.toml
ctl_pid=""
if [ "$controller" = learning ]; then
  config=examples/demo-learning.toml
  "$BIN/ferrovs-pcap" --flows 1000 --size 60 "$DEMO/h1-h2.pcap"
  "$BIN/ferrovs-pcap" --flows 1000 --size 60 --reverse "$DEMO/h2-h1.pcap"
  # The bridge's controller (tcp:127.0.0.1:6653 in the config).
  "$BIN/ferrovs-controller-sim" learning --listen tcp:127.0.0.1:6653 -O OpenFlow13 \
    >"$DEMO/controller.out" 2>"$DEMO/controller.log" &
  ctl_pid=$!
else
  "$BIN/ferrovs-pcap" --flows 1000 --size 60 "$DEMO/udp-1000.pcap"
fi

args=(--config "$config" --rundir "$RUN" --metrics "$METRICS")
[ "$mode" = no-huge ] && args+=(--no-huge)
"$BIN/ferrovs-switchd" "${args[@]}" 2>"$DEMO/daemon.log" &
pid=$!
cleanup() {
  "$BIN/ferrovs" --rundir "$RUN" exit >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -n "$ctl_pid" ]; then
    kill -INT "$ctl_pid" 2>/dev/null || true
    wait "$ctl_pid" 2>/dev/null || true
    ctl_pid=""
    echo "controller: $(grep RESULT "$DEMO/controller.out" || echo 'no result (see' "$DEMO/controller.log)")"
  fi
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
  if [ -n "$ctl_pid" ]; then
    # The flows the learning controller installed, with their counters:
    # host 1 <-> host 2 forwarded by them, port 3 no longer flooded.
    echo "flows of the learning controller:"
    OVS_RUNDIR="$RUN" ovs-ofctl -O OpenFlow13 dump-flows br0 2>/dev/null \
      | sed -nE 's/ (cookie|duration|table)=[^,]*,//g; s/^ +/  /p' || true
  fi
  if [ "$seconds" != 0 ] && [ $(( $(date +%s) - start )) -ge "$seconds" ]; then
    break
  fi
done
