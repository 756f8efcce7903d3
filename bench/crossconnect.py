#!/usr/bin/env python3
"""Cross-connect throughput: ferrovs beside dpdk-testpmd (io forwarding).

Both forward the same 1000-flow pcap (net_pcap, infinite_rx) to a net_null
sink, with their forwarding thread on the same core (1) and hugepages, in
one run, alternating so that both see the same machine. Reported: Mpps and
TSC cycles per packet of each, and the ratios.

Mpps of each side is packets / (forwarding cycles / TSC Hz), from the
cycle counters each tool keeps for its forwarding core (testpmd's
--record-core-cycles, ferrovs's pmd-stats-show), so start-up and shutdown
do not count. The TSC rate is the one testpmd reports.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_testpmd(pcap, seconds, core):
    cmd = [
        "dpdk-testpmd", "-l", f"0,{core}", "--file-prefix", f"tp-bench-{os.getpid()}",
        "--no-pci", "--socket-mem", "256",
        "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1",
        "--vdev", "net_null0,no-rx=1",
        "--", "--forward-mode=io", "--nb-cores=1", "--record-core-cycles",
        "--auto-start", "--rxq=1", "--txq=1", "--stats-period", "1000",
    ]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, text=True)
    time.sleep(seconds + 2)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    m = re.search(r"CPU cycles/packet=([\d.]+) \(total cycles=(\d+) / total io packets=(\d+)\) "
                  r"at (\d+) MHz", out)
    if not m:
        sys.exit("testpmd printed no cycle statistics:\n" + out[-3000:])
    cpp, cycles, packets, mhz = float(m[1]), int(m[2]), int(m[3]), int(m[4])
    tsc_hz = mhz * 1e6
    return {"mpps": packets / (cycles / tsc_hz) / 1e6, "cpp": cpp, "tsc_hz": tsc_hz,
            "packets": packets}


def run_ferrovs(pcap, seconds, core, tsc_hz, binaries):
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "bench.toml")
        with open(cfg, "w") as f:
            f.write(f"""
[open_vswitch.other_config]
dpdk-socket-mem = "256"
dpdk-extra = "--no-pci"
pmd-cpu-mask = "{1 << core:#x}"
[[bridge]]
name = "br0"
cross_connect = ["p0=p1"]
[[bridge.port]]
name = "p0"
options = {{ "dpdk-devargs" = "net_pcap0,rx_pcap={pcap},infinite_rx=1" }}
[[bridge.port]]
name = "p1"
options = {{ "dpdk-devargs" = "net_null0,no-rx=1" }}
""")
        run = os.path.join(d, "run")
        log = open(os.path.join(d, "log"), "w")
        p = subprocess.Popen([os.path.join(binaries, "ferrovs-switchd"), "--config", cfg,
                              "--rundir", run, "--require-huge"], stderr=log,
                             stdout=subprocess.DEVNULL)
        cli = [os.path.join(binaries, "ferrovs"), "--rundir", run]
        try:
            for _ in range(200):
                if subprocess.run(cli + ["list-commands"], capture_output=True).returncode == 0:
                    break
                if p.poll() is not None:
                    sys.exit("ferrovs-switchd exited:\n" + open(log.name).read())
                time.sleep(0.1)
            time.sleep(2)
            subprocess.run(cli + ["pmd-stats-clear"], check=True, capture_output=True)
            time.sleep(seconds)
            out = subprocess.run(cli + ["pmd-stats-show"], check=True, capture_output=True,
                                 text=True).stdout
        finally:
            subprocess.run(cli + ["exit"], capture_output=True)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        m = re.search(r"avg cycles per packet: ([\d.]+) \((\d+)/(\d+)\)", out)
        if not m:
            sys.exit("pmd-stats-show has no cycle figures:\n" + out)
        cpp, cycles, packets = float(m[1]), int(m[2]), int(m[3])
        return {"mpps": packets / (cycles / tsc_hz) / 1e6, "cpp": cpp, "packets": packets}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--binaries", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release"))
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, "udp.pcap")
        subprocess.run([os.path.join(a.binaries, "ferrovs-pcap"), "--flows", str(a.flows),
                        "--size", "60", pcap], check=True)
        tp, fv = [], []
        for i in range(a.runs):
            t = run_testpmd(pcap, a.seconds, a.core)
            tp.append(t)
            f = run_ferrovs(pcap, a.seconds, a.core, t["tsc_hz"], a.binaries)
            fv.append(f)
            print(f"run {i + 1}: testpmd {t['mpps']:.2f} Mpps {t['cpp']:.1f} cyc/pkt | "
                  f"ferrovs {f['mpps']:.2f} Mpps {f['cpp']:.1f} cyc/pkt", flush=True)
    tm = statistics.median(x["mpps"] for x in tp)
    fm = statistics.median(x["mpps"] for x in fv)
    tc = statistics.median(x["cpp"] for x in tp)
    fc = statistics.median(x["cpp"] for x in fv)
    print()
    print("| tool | Mpps (median) | cycles/packet (median) |")
    print("|---|---|---|")
    print(f"| dpdk-testpmd io | {tm:.2f} | {tc:.1f} |")
    print(f"| ferrovs cross-connect | {fm:.2f} | {fc:.1f} |")
    print(f"| ratio ferrovs/testpmd | {fm / tm:.3f} | {fc / tc:.3f} |")


if __name__ == "__main__":
    main()
