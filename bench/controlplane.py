#!/usr/bin/env python3
"""Control-plane benchmark: ferrovs against Open vSwitch 3.1 with DPDK, with
ferrovs-controller-sim as the controller of both.

Benchmarks, each switch started privately in turn (as bench/openflow.py
does: same vdevs, PMD on --core, everything else on core 0), alternating
which goes first, for --rounds rounds:

  flowmod   `load --flows N` over the bridge's management socket: N distinct
            flows, a barrier every 1 000 (OpenFlow 1.3) and then, after
            del-flows, as OpenFlow 1.4 bundles of 1 000; after each load
            `ovs-ofctl dump-aggregate` must say flow_count=N
  stats     `poll` with the N flows of the bundle load installed: flow,
            aggregate, port, table, group and meter statistics, --stats-rate
            of each a second, one request outstanding; latency to the last
            part of each reply
  packet-in the simulator is the bridge's controller (tcp, rate limit
            --rate-limit, burst --burst-limit on both switches) and runs
            `packet-in`: table-miss -> CONTROLLER, plus the established rule
            in_port=2,actions=output:3; port 1 replays a pcap of
            --flood-flows distinct UDP flows (every packet a table miss),
            port 2 a pcap of 4 flows, port 3 is a sink. Packet-ins/s and
            flow-mod round trips come from the simulator; port 3's tx rate
            is read from `ovs-ofctl dump-ports` over the window, and again in
            a run without port 1 (no flood), to show what the flood costs
            the established traffic.

Each benchmark ends with one line
  RESULT <bench> ferrovs=<x> ovs=<y> ratio=<x/y>
(medians over the rounds; for latencies the ratio is ovs / ferrovs, so
higher is better for ferrovs everywhere).

Run it as root under the benchmark lock, after a release build:
  flock /tmp/ferrovs-bench.lock python3 bench/controlplane.py
"""

import argparse
import datetime
import fcntl
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openflow as ofb  # noqa: E402  (bench/openflow.py: processes, OVS, traffic)
from openflow import log, sh  # noqa: E402

SIM = "ferrovs-controller-sim"
STATS_KINDS = ["flow", "aggregate", "port", "table", "group", "meter"]


# ---------------------------------------------------------------- traffic

def flood_pcap(gen_dir, n):
    """n distinct UDP flows, 64 B: every one a table miss."""
    path = os.path.join(gen_dir, f"flood-{n}.pcap")
    if not os.path.exists(path):
        frames = [ofb.frame(17, ofb.ip("10.0.0.0") + (i >> 8), ofb.ip("20.0.0.0") + (i & 0xff),
                            1024 + i % 60000, 5001, 60) for i in range(n)]
        ofb.write_pcap(path, frames)
    return path


def established_pcap(gen_dir):
    """4 UDP flows, 16 frames each, 64 B: the traffic of the established rule."""
    path = os.path.join(gen_dir, "established-4.pcap")
    if not os.path.exists(path):
        frames = [ofb.frame(17, ofb.ip("30.0.0.1"), ofb.ip("40.0.0.1") + i % 4, 7000 + i % 4,
                            7001, 60) for i in range(64)]
        ofb.write_pcap(path, frames)
    return path


# ---------------------------------------------------------------- switches

class Ferrovs(ofb.Ferrovs):
    """bench/openflow.py's ferrovs, started with a list of ports and an
    optional controller."""

    def start_ports(self, ports, pcap_packets=0, controller=None):
        os.makedirs(self.rundir, exist_ok=True)
        # As bench/openflow.py sizes it: a pcap replayed with infinite_rx
        # holds one mbuf per packet; ferrovs sizes its pool from the
        # ports' descriptors.
        need, rxd = pcap_packets + 16384, 2048
        if need > 4096 + len(ports) * 3 * 2048:
            rxd = min(65535, -(-need // len(ports)))
        self.rxd = rxd
        self.metrics_addr = f"127.0.0.1:{free_port()}"
        cfg = ["[open_vswitch.other_config]",
               f'dpdk-socket-mem = "{self.a.socket_mem}"',
               'dpdk-extra = "--no-pci"',
               f'pmd-cpu-mask = "{1 << self.core:#x}"',
               f'dpdk-lcore-mask = "{self.a.lcore_mask}"',
               "", "[[bridge]]", 'name = "br0"', 'datapath_type = "netdev"',
               'fail_mode = "secure"', 'protocols = ["OpenFlow10", "OpenFlow13", "OpenFlow14"]']
        if controller:
            target, rate, burst = controller
            cfg.append(f'controller = [{{ target = "{target}", max_backoff = 1000, '
                       f'controller_rate_limit = {rate}, controller_burst_limit = {burst} }}]')
        for name, ofport, devargs in ports:
            cfg += ["", "[[bridge.port]]", f'name = "{name}"', f"ofport_request = {ofport}",
                    'type = "dpdk"',
                    f'options = {{ "dpdk-devargs" = "{devargs}", n_rxq_desc = "{rxd}" }}']
        self.cfg = os.path.join(self.rundir, "ferrovs.toml")
        open(self.cfg, "w").write("\n".join(cfg) + "\n")
        self.logpath = os.path.join(self.rundir, "ferrovs-switchd.log")
        ofb.remove_hugepage_files(self.prefix)
        # Not under taskset: ferrovs keeps its PMD off cores the process may
        # not use; it pins its own threads (PMD on pmd-cpu-mask, the rest on
        # dpdk-lcore-mask).
        self.p = ofb.start([os.path.join(self.bin, "ferrovs-switchd"), "--config", self.cfg,
                            "--rundir", self.rundir, "--file-prefix", self.prefix,
                            "--metrics", self.metrics_addr, "--require-huge"],
                           open(self.logpath, "w"))
        self.mgmt = os.path.join(self.rundir, "br0.mgmt")
        ofb.wait_for(lambda: os.path.exists(self.mgmt) and
                     self.cli("list-commands", check=False).returncode == 0,
                     "ferrovs-switchd", self.p, self.logpath)

    def packet_in_counters(self):
        """Packet-ins queued by the PMD, dropped at the full queue, dropped
        by the rate limit, dropped at the connection's full send queue, sent."""
        r = sh(["ip", "netns", "exec", ofb.NETNS, "curl", "-s", f"http://{self.metrics_addr}/metrics"],
               check=False)
        out = {}
        for name in ("ferrovs_packet_in_queued_total", "ferrovs_packet_in_queue_drops_total",
                     "ferrovs_packet_ins_rate_limited_total", "ferrovs_controller_async_dropped_total",
                     "ferrovs_packet_ins_sent_total"):
            m = re.search(rf"^{name}(?:{{[^}}]*}})? ([\d.e+]+)$", r.stdout, re.M)
            out[name.removeprefix("ferrovs_").removesuffix("_total")] = (
                int(float(m[1])) if m else None)
        return out


class Ovs(ofb.Ovs):
    """bench/openflow.py's Open vSwitch, with a list of ports and an
    optional controller."""

    class _NoSinks:
        n_sinks = 0

    def start_ports(self, ports, pcap_packets=0, controller=None):
        # bench/openflow.py's start with no ports: database, ovs-vswitchd
        # (DPDK initialised), br0 (netdev, secure, OpenFlow 1.0/1.3/1.4).
        self.start(self._NoSinks, None)
        for name, ofport, devargs in ports:
            self.vsctl("add-port", "br0", name, "--", "set", "Interface", name, "type=dpdk",
                       f'options:dpdk-devargs="{devargs}"', f"ofport_request={ofport}")
            err = sh(["ovs-vsctl", f"--db=unix:{self.db}", "--no-wait", "get", "Interface", name,
                      "error"], env=self.env(), check=False).stdout.strip()
            if err not in ("[]", ""):
                raise RuntimeError(f"Open vSwitch could not open port {name}: {err}")
        if controller:
            target, rate, burst = controller
            self.vsctl("set", "bridge", "br0", "other-config:disable-in-band=true", "--",
                       "set-controller", "br0", target, "--",
                       "set", "controller", "br0", "connection-mode=out-of-band",
                       "max_backoff=1000", f"controller_rate_limit={rate}",
                       f"controller_burst_limit={burst}")

    def start(self, wl, source_devargs):
        # ovsdb-server and ovs-vswitchd start on the control core (through
        # bench/openflow.py's own start); the PMD moves itself to
        # pmd-cpu-mask.
        real_start = ofb.start

        def pinned(cmd, logfile, env=None, netns=True):
            return real_start(["taskset", "-c", str(self.a.control_core), *cmd], logfile,
                              env=env, netns=netns)
        ofb.start = pinned
        try:
            super().start(wl, source_devargs)
        finally:
            ofb.start = real_start

    def packet_in_counters(self):
        return {}


def tree_jiffies(pid):
    """CPU ticks of every thread of `pid` and of its child processes (the
    `ip netns exec` wrapper execs, so `pid` is the program itself), PMD
    threads (named pmd*) left out."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for t in tasks:
        try:
            raw = open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        if comm.startswith("pmd"):
            continue
        f = raw.rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
    return total


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_switch(kind, a, rundir):
    return (Ferrovs if kind == "ferrovs" else Ovs)(a, rundir, a.core)


# ---------------------------------------------------------------- simulator

def sim_cmd(a, mode, *args):
    return ["ip", "netns", "exec", ofb.NETNS, "taskset", "-c", str(a.control_core),
            os.path.join(a.binaries, SIM), mode, *map(str, args)]


def parse_result(text, mode):
    lines = [l for l in text.splitlines() if l.startswith(f"RESULT {mode} ")]
    if len(lines) != 1:
        return None
    fields = dict(kv.split("=", 1) for kv in lines[0].split()[2:])
    return {k: (None if v == "none" else float(v)) if re.fullmatch(r"[\d.]+|none", v) else v
            for k, v in fields.items()}


def run_sim(a, mode, args, logpath, timeout):
    cmd = sim_cmd(a, mode, *args)
    with open(logpath, "w") as f:
        f.write(" ".join(cmd) + "\n")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    with open(logpath, "a") as f:
        f.write(r.stdout + r.stderr)
    res = parse_result(r.stdout, mode)
    if res is None:
        raise RuntimeError(f"{mode} {' '.join(map(str, args))}: exit {r.returncode}, no RESULT:"
                           f"\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    res["exit"] = r.returncode
    return res


def flow_count(sw):
    out = ofb.ofctl(sw.mgmt, "dump-aggregate", timeout=600).stdout
    m = re.search(r"flow_count=(\d+)", out)
    if not m:
        raise RuntimeError(f"no flow_count in {out}")
    return int(m[1])


# ---------------------------------------------------------------- runs

def run_flowmod_and_stats(kind, a, rundir):
    """Loads N flows with barriers, then (after del-flows) as bundles,
    checking the count after each; then polls statistics with N flows in."""
    sw = make_switch(kind, a, rundir)
    ofb.wait_hugepages(120, kind)
    res = {}
    try:
        sw.start_ports([("p1", 1, "net_null0,no-rx=1")])
        mgmt = f"unix:{sw.mgmt}"
        for name, extra in (("barriers", []), ("bundles", ["-O", "OpenFlow14", "--bundle"])):
            if name == "bundles":
                t = time.monotonic()
                ofb.ofctl(sw.mgmt, "del-flows", timeout=1800)
                res["del_flows_s"] = time.monotonic() - t
                if flow_count(sw) != 0:
                    raise RuntimeError(f"{kind}: flows left after del-flows")
            r = run_sim(a, "load", ["--connect", mgmt, *extra, "--flows", a.flows,
                                    "--barrier-every", 1000],
                        os.path.join(rundir, f"load-{name}.log"), timeout=3600)
            r["flow_count"] = flow_count(sw)
            if r["errors"] or r["flow_count"] != a.flows:
                raise RuntimeError(f"{kind} load {name}: errors {r['errors']:.0f}, "
                                   f"flow_count {r['flow_count']} (want {a.flows})")
            res[name] = r
        res["stats"] = run_sim(a, "poll", ["--connect", mgmt, "-O", "OpenFlow13", "--kinds",
                                           ",".join(STATS_KINDS), "--rate", a.stats_rate,
                                           "--duration", a.stats_seconds, "--window", 1,
                                           "--drain", 600],
                               os.path.join(rundir, "poll.log"), timeout=a.stats_seconds + 900)
        res["stats"]["flow_count"] = flow_count(sw)
    finally:
        sw.stop()
    return res


def run_packet_in(kind, a, rundir, flood):
    """The simulator as controller; port 3's tx rate over the window.

    flood: None (ports 2 and 3 only), "line" (port 1 replays the flood
    pcap as fast as the PMD polls it) or "paced" (port 1 is a
    net_af_packet port on the benchmark's veth, into which the flood pcap
    is injected at --paced-rate packets/s)."""
    sw = make_switch(kind, a, rundir)
    ofb.wait_hugepages(400 if kind == "ovs" else 200, kind)
    gen = os.path.join(a.work_dir, "gen")
    os.makedirs(gen, exist_ok=True)
    est = established_pcap(gen)
    ports = [("p2", 2, f"net_pcap1,rx_pcap={est},infinite_rx=1"), ("p3", 3, "net_null0,no-rx=1")]
    packets = 64
    fl = flood_pcap(gen, a.flood_flows)
    if flood == "line":
        ports.insert(0, ("p1", 1, f"net_pcap0,rx_pcap={fl},infinite_rx=1"))
        packets += a.flood_flows
    elif flood == "paced":
        # A large receive ring (16 MiB) rides out the PMD being descheduled.
        ports.insert(0, ("p1", 1, f"net_af_packet0,iface={ofb.VETH_SWITCH},framecnt=8192"))
    injector = None
    port = free_port()
    os.makedirs(rundir, exist_ok=True)
    simlog = os.path.join(rundir, "packet-in.log")
    cmd = sim_cmd(a, "packet-in", "--listen", f"tcp:127.0.0.1:{port}", "-O", "OpenFlow13",
                  "--duration", a.pin_seconds, "--warmup", a.pin_warmup, "--forward", "2:3",
                  "--flowmod-rate", a.flowmod_rate, "--max-len", a.max_len)
    sim = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    ofb.STARTED.append(sim)
    try:
        sw.start_ports(ports, packets, (f"tcp:127.0.0.1:{port}", a.rate_limit, a.burst_limit))
        # The set-up is done once the established rule is in.
        deadline = time.monotonic() + 60
        while "in_port=2" not in ofb.ofctl(sw.mgmt, "dump-flows", check=False).stdout:
            if time.monotonic() > deadline or sim.poll() is not None:
                raise RuntimeError(f"{kind}: the controller set-up did not happen")
            time.sleep(0.1)
        if flood == "paced":
            # Enough passes for the warm-up, the window and a margin.
            passes = -(-int(a.paced_rate * (a.pin_warmup + a.pin_seconds + 5)) // a.flood_flows)
            injector = subprocess.Popen(
                ["ip", "netns", "exec", ofb.NETNS, "taskset", "-c", str(a.control_core),
                 sys.executable, ofb.__file__, "--inject", fl, "--iface", ofb.VETH_INJECT,
                 "--rate", str(a.paced_rate), "--passes", str(passes)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            ofb.STARTED.append(injector)
        time.sleep(a.pin_warmup + 0.5)
        p0, t0 = ofb.parse_dump_ports(ofb.ofctl(sw.mgmt, "dump-ports").stdout), time.monotonic()
        c0 = sw.packet_in_counters()
        cpu0 = {"simulator": tree_jiffies(sim.pid), kind: tree_jiffies(sw.p.pid)}
        time.sleep(max(1.0, a.pin_seconds - 1.5))
        p1, t1 = ofb.parse_dump_ports(ofb.ofctl(sw.mgmt, "dump-ports").stdout), time.monotonic()
        c1 = sw.packet_in_counters()
        cpu1 = {"simulator": tree_jiffies(sim.pid), kind: tree_jiffies(sw.p.pid)}
        out, err = sim.communicate(timeout=a.pin_seconds + a.pin_warmup + 120)
        with open(simlog, "w") as f:
            f.write(" ".join(cmd) + "\n" + out + err)
        res = parse_result(out, "packet-in")
        if res is None:
            raise RuntimeError(f"{kind} packet-in: exit {sim.returncode}, no RESULT:\n"
                               f"{out[-2000:]}{err[-2000:]}")
        dt = t1 - t0
        res["established_pps"] = (p1.get(3, (0, 0))[1] - p0.get(3, (0, 0))[1]) / dt
        res["flood_rx_pps"] = (p1.get(1, (0, 0))[0] - p0.get(1, (0, 0))[0]) / dt if flood else 0
        if injector is not None and injector.poll() is not None:
            raise RuntimeError(f"{kind}: the flood injector ended before the window did "
                               f"(exit {injector.returncode})")
        res["counters"] = {k: (c1[k] - c0[k]) / dt for k in c1
                           if c1.get(k) is not None and c0.get(k) is not None}
        # CPU (cores) of the simulator and of the switch's threads other
        # than its PMD, over the window: both share the control core.
        hz = os.sysconf("SC_CLK_TCK")
        res["cpu"] = {k: (cpu1[k] - cpu0[k]) / hz / dt for k in cpu1}
    finally:
        for p in (sim, injector):
            if p is None:
                continue
            if p.poll() is None:
                p.kill()
                p.wait()
            if p in ofb.STARTED:
                ofb.STARTED.remove(p)
        sw.stop()
    return res


# ---------------------------------------------------------------- report

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


# (bench, what, unit, higher is better, value of one round's results)
def metrics(a):
    m = [("flowmod_barriers", "flow-mods/s, barrier every 1 000", "flows/s", True,
          lambda r: r["flowmod"]["barriers"]["rate"]),
         ("flowmod_bundles", "flow-mods/s, OF1.4 bundles of 1 000", "flows/s", True,
          lambda r: r["flowmod"]["bundles"]["rate"]),
         ("packet_in", "packet-ins/s under the table-miss flood", "packet-ins/s", True,
          lambda r: r["packet_in"]["flood"]["rate"])]
    m.append(("established_paced_pct", "established tx in a paced flood, % of alone", "%",
              True, lambda r: 100 * r["packet_in"]["paced"]["established_pps"]
              / r["packet_in"]["quiet"]["established_pps"]))
    for k in STATS_KINDS:
        m.append((f"stats_{k}_p99_us", f"{k} stats reply p99 with {a.flows} flows", "us", False,
                  lambda r, k=k: r["flowmod"]["stats"].get(f"{k}_p99_us")))
    return m


def info_rows(a):
    """Figures shown beside the RESULT lines (no target of their own)."""
    return [
        ("load seconds, barriers", lambda r: r["flowmod"]["barriers"]["seconds"], "{:.2f} s"),
        ("load seconds, bundles", lambda r: r["flowmod"]["bundles"]["seconds"], "{:.2f} s"),
        ("flow-mod RTT p50 in the flood", lambda r: r["packet_in"]["flood"]["flowmod_rtt_p50_us"],
         "{:.0f} us"),
        ("flow-mod RTT p99 in the flood", lambda r: r["packet_in"]["flood"]["flowmod_rtt_p99_us"],
         "{:.0f} us"),
        ("established tx, no flood", lambda r: r["packet_in"]["quiet"]["established_pps"] / 1e6,
         "{:.3f} Mpps"),
        ("established tx, flood", lambda r: r["packet_in"]["flood"]["established_pps"] / 1e6,
         "{:.3f} Mpps"),
        ("flood rx on port 1", lambda r: r["packet_in"]["flood"]["flood_rx_pps"] / 1e6,
         "{:.3f} Mpps"),
        ("paced flood rx on port 1", lambda r: r["packet_in"]["paced"]["flood_rx_pps"],
         "{:,.0f}/s"),
        ("packet-ins/s in the paced flood", lambda r: r["packet_in"]["paced"]["rate"],
         "{:,.0f}"),
        ("established tx, paced flood", lambda r: r["packet_in"]["paced"]["established_pps"] / 1e6,
         "{:.3f} Mpps"),
        ("flow-mod RTT p99 in the paced flood",
         lambda r: r["packet_in"]["paced"]["flowmod_rtt_p99_us"], "{:.0f} us"),
        ("flow stats replies", lambda r: r["flowmod"]["stats"].get("flow_replies"), "{:.0f}"),
        ("flow stats p50", lambda r: r["flowmod"]["stats"].get("flow_p50_us"), "{:.0f} us"),
    ]


def value(fn, r):
    try:
        v = fn(r)
    except (KeyError, TypeError):
        return None
    return v


def fmt(v, f="{:,.0f}"):
    return "-" if v is None or v != v else f.format(v)


def summary(results, a):
    rounds = results["rounds"]
    out = ["| benchmark | ferrovs | Open vSwitch | ratio | target |", "|---|---|---|---|---|"]
    targets = {"flowmod_barriers": f"≥ 10×, {a.flows} in < 2 s",
               "flowmod_bundles": f"≥ 10×, {a.flows} in < 2 s", "packet_in": "≥ 3×",
               "stats_flow_p99_us": "p99 ≤ OVS / 5"}
    for bench, what, unit, _, _ in metrics(a):
        m = results["medians"][bench]
        out.append(f"| {what} ({unit}) | {fmt(m['ferrovs'])} | {fmt(m['ovs'])} | "
                   f"{fmt(m['ratio'], '{:.2f}')} | {targets.get(bench, '')} |")
    out += ["", "| figure | round | ferrovs | Open vSwitch |", "|---|---|---|---|"]
    for bench, what, unit, _, fn in metrics(a):
        for i, r in enumerate(rounds):
            out.append(f"| {what} ({unit}) | {i + 1} | {fmt(value(fn, r['ferrovs']))} | "
                       f"{fmt(value(fn, r['ovs']))} |")
    for what, fn, f in info_rows(a):
        for i, r in enumerate(rounds):
            out.append(f"| {what} | {i + 1} | {fmt(value(fn, r['ferrovs']), f)} | "
                       f"{fmt(value(fn, r['ovs']), f)} |")
    return "\n".join(out)


def plot(results, path, a):
    code = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
res = json.load(open(sys.argv[1]))
m = res["medians"]
panels = [
    ("Flow-mod install rate\n(flows/s, log)", ["flowmod_barriers", "flowmod_bundles"],
     ["barriers", "bundles"], True),
    ("Packet-ins/s under a\ntable-miss flood", ["packet_in"], ["packet-in"], False),
    ("Established tx in a paced\nflood, % of its rate alone", ["established_paced_pct"],
     ["established"], False),
    ("Stats reply p99 (us, log)\nwith %s flows" % res["flows"],
     ["stats_%s_p99_us" % k for k in res["stats_kinds"]], res["stats_kinds"], True),
]
panels = [x for x in panels if all(k in m for k in x[1])]
fig, axes = plt.subplots(1, len(panels), figsize=(14, 4.8),
                         gridspec_kw={"width_ratios": [len(x[1]) + 0.5 for x in panels]})
for ax, (title, keys, labels, logy) in zip(axes, panels):
    w = 0.38
    for i, (k, label, col) in enumerate([("ferrovs", "ferrovs", "#c0392b"),
                                         ("ovs", "Open vSwitch 3.1 DPDK", "#2c7fb8")]):
        ys = [m[b][k] if m[b][k] == m[b][k] and m[b][k] is not None else 0 for b in keys]
        bars = ax.bar([j + (i - 0.5) * w for j in range(len(keys))], ys, w, label=label,
                      color=col)
        for b, y in zip(bars, ys):
            ax.text(b.get_x() + b.get_width() / 2, y, f"{y:,.0f}", ha="center", va="bottom",
                    fontsize=7)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels(labels, fontsize=8)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=9)
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8)
fig.suptitle(res["title"], fontsize=9)
fig.tight_layout(rect=(0, 0.06, 1, 1))
fig.savefig(sys.argv[2], dpi=110)
"""
    return ofb.run_plot(code, results, path)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    ap.add_argument("--flows", type=int, default=1000000, help="flows loaded (default 1 M)")
    ap.add_argument("--stats-rate", type=float, default=1.0,
                    help="statistics requests a second of each kind")
    ap.add_argument("--stats-seconds", type=float, default=20)
    ap.add_argument("--pin-seconds", type=float, default=10, help="packet-in window")
    ap.add_argument("--pin-warmup", type=float, default=2)
    ap.add_argument("--flowmod-rate", type=int, default=20,
                    help="flow-mod round trips sampled a second during the flood")
    ap.add_argument("--max-len", type=int, default=128, help="bytes of each packet-in")
    ap.add_argument("--flood-flows", type=int, default=65536,
                    help="distinct flows in the flood pcap")
    ap.add_argument("--paced-rate", type=int, default=50000,
                    help="packets/s of the paced flood (injected through a veth)")
    ap.add_argument("--rate-limit", type=int, default=1000000,
                    help="controller_rate_limit of both switches (packet-ins/s)")
    ap.add_argument("--burst-limit", type=int, default=250000,
                    help="controller_burst_limit of both switches")
    ap.add_argument("--benches", default="flowmod,packet-in",
                    help="flowmod (with stats) and/or packet-in")
    ap.add_argument("--core", type=int, default=1, help="PMD core (default 1)")
    ap.add_argument("--control-core", type=int, default=0,
                    help="core of every other thread of the switches and of the simulator")
    ap.add_argument("--lcore-mask", default="0x1", help="main lcore of both switches")
    ap.add_argument("--socket-mem", default="256", help="dpdk-socket-mem of both switches")
    ap.add_argument("--binaries", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ofb.ROOT, "target")), "release"))
    ap.add_argument("--work-dir", default="/var/lib/ferrovs-bench-control")
    ap.add_argument("--switches", default="ferrovs,ovs")
    ap.add_argument("--no-setup", action="store_true", help="no apt-get/hugepage set-up")
    ap.add_argument("--wait-quiet", type=float, default=1800,
                    help="wait up to this many seconds for load < --max-load and no other "
                         "DPDK process before each round")
    ap.add_argument("--max-load", type=float, default=1.3)
    ap.add_argument("--plot", default=None, help="also write the plot here")
    ap.add_argument("--replot", metavar="RESULTS_JSON",
                    help="only draw the plot of a finished run (its results.json) into --plot")
    a = ap.parse_args()
    if a.replot:
        if not a.plot:
            sys.exit("--replot needs --plot FILE")
        p = plot(json.load(open(a.replot)), a.plot, a)
        sys.exit(0 if p else 1)
    a.no_huge = False

    if os.geteuid() != 0:
        sys.exit("run as root (hugepages, network namespace, DPDK)")
    switches = [x.strip() for x in a.switches.split(",") if x.strip()]
    if not switches or any(x not in ("ferrovs", "ovs") for x in switches):
        sys.exit("--switches: ferrovs and/or ovs")
    benches = [b.strip() for b in a.benches.split(",") if b.strip()]
    if not benches or any(b not in ("flowmod", "packet-in") for b in benches):
        sys.exit("--benches: flowmod and/or packet-in")
    for b in ("ferrovs-switchd", "ferrovs", SIM):
        if not os.access(os.path.join(a.binaries, b), os.X_OK):
            sys.exit(f"{a.binaries}/{b} missing: cargo build --release -p switch -p ferrovs-cli "
                     "-p controller-sim --bins (or pass --binaries DIR)")
    os.makedirs(a.work_dir, exist_ok=True)
    lock = open(os.path.join(a.work_dir, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("another control-plane benchmark holds " + lock.name)
    if not a.no_setup:
        ofb.install_packages()
        ofb.hugepages_setup()
        if not shutil.which("curl"):
            log("setup: curl is missing: ferrovs's packet-in counters will not be read")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = os.path.join(a.work_dir, "runs", stamp)
    os.makedirs(run_dir, exist_ok=True)

    def on_signal(sig, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            ofb.kill_all()
            ofb.netns_delete()
        finally:
            log(f"stopped by signal {sig}")
            os._exit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    cpu = next((l.split(":", 1)[1].strip() for l in sh(["lscpu"]).stdout.splitlines()
                if l.startswith("Model name")), "?")
    load, others = ofb.machine_state()
    log(f"ferrovs control-plane benchmark {stamp}: CPU {cpu}, {os.cpu_count()} cores, "
        f"load {load:.2f}, hugepages free {ofb.hugepages_free()}, PMD core {a.core}, "
        f"control core {a.control_core}")
    log(f"command: {' '.join(sys.argv)}")
    log(f"logs: {run_dir}")
    ovs_oc = Ovs(a, "/nonexistent", a.core).other_config()
    ovs_oc["dpdk-extra"] = "--file-prefix=ovsbench-<pid> --no-pci"
    results = {"stamp": stamp, "cpu": cpu, "command": " ".join(sys.argv), "flows": a.flows,
               "stats_kinds": STATS_KINDS, "rounds": [], "ovs_other_config": ovs_oc,
               "settings": {k: v for k, v in vars(a).items()},
               "title": f"ferrovs vs Open vSwitch 3.1 DPDK, control plane, {stamp}, {cpu}"}
    try:
        ofb.netns_setup()
        for rnd in range(a.rounds):
            ofb.wait_quiet(a.wait_quiet, a.max_load)
            load, others = ofb.machine_state()
            log(f"\n=== round {rnd + 1} (load {load:.2f}{', other DPDK: ' + ', '.join(others) if others else ''})")
            order = ["ferrovs", "ovs"] if rnd % 2 == 0 else ["ovs", "ferrovs"]
            order = [k for k in order if k in switches]
            got = {k: {} for k in ("ferrovs", "ovs")}
            if "flowmod" in benches:
                for kind in order:
                    r = run_flowmod_and_stats(kind, a, os.path.join(run_dir, f"r{rnd + 1}",
                                                                    kind, "flowmod"))
                    got[kind]["flowmod"] = r
                    st = r["stats"]
                    log(f"  {kind:8} load {a.flows}: barriers {r['barriers']['rate']:,.0f}/s "
                        f"({r['barriers']['seconds']:.2f} s), bundles "
                        f"{r['bundles']['rate']:,.0f}/s ({r['bundles']['seconds']:.2f} s); "
                        f"flow_count {r['bundles']['flow_count']}; del-flows "
                        f"{r['del_flows_s']:.1f} s")
                    log(f"  {kind:8} stats with {st['flow_count']} flows: " + ", ".join(
                        f"{k} p50 {fmt(st.get(f'{k}_p50_us'))} p99 {fmt(st.get(f'{k}_p99_us'))} us "
                        f"({fmt(st.get(f'{k}_replies'))} replies, {fmt(st.get(f'{k}_entries'))} entries)"
                        for k in STATS_KINDS) + f"; skipped {st['skipped']:.0f}")
            if "packet-in" in benches:
                for kind in order:
                    base = os.path.join(run_dir, f"r{rnd + 1}", kind)
                    quiet = run_packet_in(kind, a, os.path.join(base, "quiet"), flood=None)
                    flood = run_packet_in(kind, a, os.path.join(base, "flood"), flood="line")
                    paced = run_packet_in(kind, a, os.path.join(base, "paced"), flood="paced")
                    got[kind]["packet_in"] = {"quiet": quiet, "flood": flood, "paced": paced}
                    log(f"  {kind:8} packet-in {flood['rate']:,.0f}/s (per second "
                        f"{fmt(flood.get('per_s_min'))}..{fmt(flood.get('per_s_max'))}), "
                        f"flow-mod RTT p50 {fmt(flood['flowmod_rtt_p50_us'])} p99 "
                        f"{fmt(flood['flowmod_rtt_p99_us'])} us ({flood['flowmods']:.0f} sent, "
                        f"{flood['unanswered']:.0f} unanswered); flood rx "
                        f"{flood['flood_rx_pps'] / 1e6:.3f} Mpps; established tx "
                        f"{quiet['established_pps'] / 1e6:.3f} Mpps alone, "
                        f"{flood['established_pps'] / 1e6:.3f} Mpps in the flood"
                        + (f"; per second: {', '.join(f'{k} {v:,.0f}' for k, v in flood['counters'].items())}"
                           if flood.get("counters") else "")
                        + "; control-core CPU: " + ", ".join(
                            f"{k} {v:.2f}" for k, v in flood["cpu"].items()))
                    log(f"  {kind:8} paced flood: {paced['flood_rx_pps']:,.0f} packets/s in, "
                        f"{paced['rate']:,.0f} packet-ins/s, flow-mod RTT p50 "
                        f"{fmt(paced['flowmod_rtt_p50_us'])} p99 {fmt(paced['flowmod_rtt_p99_us'])}"
                        f" us; established tx {paced['established_pps'] / 1e6:.3f} Mpps "
                        f"({100 * paced['established_pps'] / quiet['established_pps']:.0f} % of "
                        "its rate alone)"
                        + (f"; per second: {', '.join(f'{k} {v:,.0f}' for k, v in paced['counters'].items())}"
                           if paced.get("counters") else "")
                        + "; control-core CPU: " + ", ".join(
                            f"{k} {v:.2f}" for k, v in paced["cpu"].items()))
            results["rounds"].append(got)
            json.dump(results, open(os.path.join(run_dir, "results.json"), "w"), indent=1,
                      default=str)
    finally:
        ofb.kill_all()
        ofb.netns_delete()

    results["medians"] = {}
    log("")
    for bench, what, unit, higher, fn in metrics(a):
        f = med([value(fn, r["ferrovs"]) for r in results["rounds"]])
        o = med([value(fn, r["ovs"]) for r in results["rounds"]])
        ratio = (f / o if higher else o / f) if f and o and f == f and o == o else float("nan")
        results["medians"][bench] = {"ferrovs": f, "ovs": o, "ratio": ratio}
        log(f"RESULT {bench} ferrovs={f:.0f} ovs={o:.0f} ratio={ratio:.2f}")
    json.dump(results, open(os.path.join(run_dir, "results.json"), "w"), indent=1, default=str)
    log("\n" + summary(results, a))
    log(f"\nOpen vSwitch other_config: {ovs_oc}")
    log(f"results: {os.path.join(run_dir, 'results.json')}")
    p = plot(results, os.path.join(run_dir, "controlplane.png"), a)
    if p:
        log(f"plot: {p}")
        if a.plot:
            shutil.copy(p, a.plot)
            log(f"plot: {a.plot}")


if __name__ == "__main__":
    main()
