#!/usr/bin/env python3
"""OpenFlow forwarding benchmark: ferrovs against Open vSwitch 3.1 with DPDK.

Workloads (issue 5), each a generated pcap replayed forever by net_pcap
(infinite_rx=1) on OpenFlow port 1 and forwarded to net_null sinks:

  W1  one rule in_port=1,actions=output:2; 1 000 UDP flows, 64 B
  W2  table 0: 200-rule ACL on ip/tcp/udp fields with mixed masks (allow =
      goto_table:1, deny = drop); table 1: 1 000 /24 routes (set_field
      eth_dst, dec_ttl, output to one of 4 sinks); 64 000 flows, 64 B
  W3  W2's rules, 200 000 flows (past every exact-match cache)
  W4  flow setup: 200 000 distinct 5-tuples, one exact rule each (so each
      is its own megaflow); measured over the first pass through the pcap
  W5  W2 with IMIX sizes 64/512/1518 B (7:4:1), 64 000 flows

Both switches get the same rules through their OpenFlow management socket
(ovs-ofctl add-flows), the same vdevs, their PMD on the same core, the same
hugepages and --socket-mem; they run one after the other, alternating which
goes first, for --rounds rounds. dpdk-testpmd --forward-mode=io on the same
pcap gives the I/O ceiling and the TSC rate. Mpps is packets / (PMD
processing cycles / TSC Hz) over a steady window, from each tool's own
counters (pmd-stats-show, testpmd's --record-core-cycles).

A forwarding check (per workload, once) injects the same pcap through a
veth pair (net_af_packet) into each switch with the same rules and compares
the per-port tx counts of both switches and of the harness's own model of
the rules.

Each workload ends with one line
  RESULT <W> ferrovs_mpps=<x> ovs_mpps=<y> ratio=<x/y> ceiling_mpps=<z>
(W4: millions of new flows set up per second instead of Mpps).
"""

import argparse
import datetime
import fcntl
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
NETNS = "ferrovs-bench"
VETH_INJECT, VETH_SWITCH = "fvb-inj", "fvb-sw"
APT_PACKAGES = ["openvswitch-switch-dpdk", "openvswitch-common", "dpdk-dev", "dpdk",
                "iproute2", "procps", "ethtool", "python3-venv"]
# Cache counters both switches may print in pmd-stats-show (Open vSwitch's names).
CACHE_KEYS = ["simple match hits", "emc hits", "smc hits", "megaflow hits", "avg. subtable lookups per megaflow hit",
              "miss with success upcall", "miss with failed upcall", "lost upcalls",
              "pipeline drops"]
WORKLOADS = ["W1", "W2", "W3", "W4", "W5"]

STARTED = []  # Popen objects of every process this harness started
STOPPING = False  # set by SIGINT/SIGTERM
NO_HUGE = False  # --no-huge: plumbing tests only, figures are not comparable


def log(*a):
    print(*a, flush=True)


def sh(cmd, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    r = subprocess.run(cmd, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n"
                           f"{r.stdout or ''}{r.stderr or ''}")
    return r


# ---------------------------------------------------------------- set-up

def install_packages():
    missing = [p for p in APT_PACKAGES
               if "install ok installed" not in sh(["dpkg-query", "-W", "-f=${Status}", p],
                                                   check=False).stdout]
    if missing:
        log(f"setup: apt-get install {' '.join(missing)}")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(["apt-get", "update", "-q"], env=env, capture_output=False)
        sh(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env,
           capture_output=False)
    # The Debian package starts a system ovs-vswitchd where systemd runs; this
    # harness starts its own, so only say so (the system one is not ours to stop).
    if not os.path.exists(OVS_VSWITCHD):
        sys.exit(f"{OVS_VSWITCHD} is missing (package openvswitch-switch-dpdk)")


def hugepages_setup(want=512):
    try:
        cur = int(open("/proc/sys/vm/nr_hugepages").read())
        if cur < want:
            with open("/proc/sys/vm/nr_hugepages", "w") as f:
                f.write(str(want))
    except OSError as e:
        log(f"setup: cannot reserve hugepages: {e}")
    os.makedirs("/dev/hugepages", exist_ok=True)
    if sh(["mountpoint", "-q", "/dev/hugepages"], check=False).returncode != 0:
        sh(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"])


def hugepages_free():
    for line in open("/proc/meminfo"):
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


def wait_hugepages(pages, what):
    """Waits up to 60 s until `pages` 2 MiB hugepages are free."""
    if NO_HUGE:
        return
    for _ in range(120):
        if hugepages_free() >= pages:
            return
        time.sleep(0.5)
    log(f"WARNING: {what} wants about {pages} free hugepages, {hugepages_free()} are free "
        "(another process holds some); its packet pool may come out smaller")


def foreign_dpdk():
    """Switches, DPDK tools and PMD threads this harness did not start."""
    mine = {p.pid for p in STARTED}
    out = sh(["ps", "-eLo", "pid=,comm="], check=False).stdout
    res = []
    for line in out.splitlines():
        pid, _, comm = line.strip().partition(" ")
        comm = comm.strip()
        if int(pid) in mine or comm == "ferrovs":  # the CLI
            continue
        if comm.startswith(("ovs-vswitchd", "ferrovs", "dpdk-", "pmd")):
            if not any(r.startswith(pid + " ") for r in res):
                res.append(f"{pid} {comm}")
    return res


def busy_jiffies():
    """CPU time of the whole machine (all cores), in clock ticks."""
    f = open("/proc/stat").readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f[:8])
    return user + nice + system + irq + softirq + steal


def proc_jiffies(pid, children=False):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        # utime + stime (+ cutime + cstime: the harness's ovs-ofctl, ovs-appctl, ...)
        return sum(int(x) for x in f[11:15 if children else 13])
    except (OSError, IndexError, ValueError):
        return 0


def all_jiffies():
    """pid -> (command, CPU ticks of all its threads) for every process."""
    res = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                raw = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            f = raw.rsplit(")", 1)[1].split()
            res[int(d)] = (comm, int(f[11]) + int(f[12]))
    return res


class ForeignCpu:
    """CPU used by everything but `pid` and this harness over a window, in
    cores, and the processes that used most of it."""

    def __init__(self, pid):
        self.pid, self.t = pid, time.monotonic()
        self.busy, self.own, self.procs = busy_jiffies(), self.mine(), all_jiffies()

    def mine(self):
        return proc_jiffies(self.pid) + proc_jiffies(os.getpid(), children=True)

    def cores(self):
        hz = os.sysconf("SC_CLK_TCK")
        dt = max(1e-3, time.monotonic() - self.t)
        busy = busy_jiffies() - self.busy
        own = self.mine() - self.own
        now = all_jiffies()
        skip = {self.pid, os.getpid()}
        deltas = sorted(((j - self.procs.get(pid, (c, 0))[1], c) for pid, (c, j) in now.items()
                         if pid not in skip), reverse=True)
        self.top = ", ".join(f"{c} {d / hz / dt:.2f}" for d, c in deltas[:3] if d > 0)
        return max(0.0, (busy - own) / hz / dt)


def machine_state():
    load = os.getloadavg()[0]
    return load, foreign_dpdk()


def wait_quiet(max_wait, max_load):
    if max_wait <= 0:
        return
    deadline = time.time() + max_wait
    while time.time() < deadline:
        load, others = machine_state()
        if load < max_load and not others:
            return
        log(f"waiting for a quiet machine: load {load:.2f}, other DPDK processes: "
            f"{others or 'none'}")
        time.sleep(30)


def netns_setup():
    if sh(["ip", "netns", "exec", NETNS, "true"], check=False).returncode != 0:
        sh(["ip", "netns", "add", NETNS])
    ns = ["ip", "netns", "exec", NETNS]
    sh(ns + ["ip", "link", "set", "lo", "up"])
    if sh(ns + ["ip", "link", "show", VETH_INJECT], check=False).returncode != 0:
        sh(ns + ["ip", "link", "add", VETH_INJECT, "type", "veth", "peer", "name", VETH_SWITCH])
    for dev in (VETH_INJECT, VETH_SWITCH):
        # No IPv6 router solicitations nor any other packet of the kernel's own.
        sh(ns + ["sysctl", "-q", "-w", f"net.ipv6.conf.{dev}.disable_ipv6=1"], check=False)
        sh(ns + ["ip", "link", "set", dev, "up"])
        sh(ns + ["ethtool", "-K", dev, "tx", "off"], check=False)


def netns_delete():
    sh(["ip", "netns", "del", NETNS], check=False)


# ---------------------------------------------------------------- traffic

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")


def frame(proto, src, dst, sport, dport, size):
    """Ethernet/IPv4/TCP-or-UDP frame of `size` bytes (without FCS)."""
    l4len = 20 if proto == 6 else 8
    total = size - 14
    payload = bytes(total - 20 - l4len)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0,
                     src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = src.to_bytes(4, "big") + dst.to_bytes(4, "big") + struct.pack("!BBH", 0, proto,
                                                                          total - 20)
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x10, 8192, 0, 0) + payload
        l4 = l4[:16] + struct.pack("!H", csum(pseudo + l4)) + l4[18:]
    else:
        l4 = struct.pack("!HHHH", sport, dport, total - 20, 0) + payload
        c = csum(pseudo + l4) or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
    return DST_MAC + SRC_MAC + b"\x08\x00" + ip + l4


def write_pcap(path, frames):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)
    os.replace(tmp, path)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    off, out = 24, []
    while off + 16 <= len(data):
        n = struct.unpack_from("<I", data, off + 8)[0]
        out.append(data[off + 16:off + 16 + n])
        off += 16 + n
    return out


def ip(s):
    return int(ipaddress.IPv4Address(s))


def ipstr(v):
    return str(ipaddress.IPv4Address(v))


def prefix_mask(n):
    return (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF if n else 0


class Rule:
    """One OpenFlow rule: exact or masked match fields and an action."""

    def __init__(self, table, priority, proto=None, nw_src=None, nw_dst=None, tp_src=None,
                 tp_dst=None, actions="drop", port=None):
        self.table, self.priority, self.proto = table, priority, proto
        self.nw_src, self.nw_dst = nw_src, nw_dst  # (value, mask) or None
        self.tp_src, self.tp_dst = tp_src, tp_dst  # exact or None
        self.actions, self.port = actions, port  # port: output port for the model

    def matches(self, f):
        proto, src, dst, sport, dport = f
        if self.proto is not None and self.proto != proto:
            return False
        if self.nw_src and src & self.nw_src[1] != self.nw_src[0]:
            return False
        if self.nw_dst and dst & self.nw_dst[1] != self.nw_dst[0]:
            return False
        if self.tp_src is not None and sport != self.tp_src:
            return False
        if self.tp_dst is not None and dport != self.tp_dst:
            return False
        return True

    def text(self):
        m = [f"table={self.table}", f"priority={self.priority}"]
        if self.proto is not None or self.nw_src or self.nw_dst:
            m.append({6: "tcp", 17: "udp", None: "ip"}[self.proto])
        for name, v in (("nw_src", self.nw_src), ("nw_dst", self.nw_dst)):
            if v:
                m.append(f"{name}={ipstr(v[0])}/{ipstr(v[1])}" if v[1] != 0xFFFFFFFF
                         else f"{name}={ipstr(v[0])}")
        for name, v in (("tp_src", self.tp_src), ("tp_dst", self.tp_dst)):
            if v is not None:
                m.append(f"{name}={v}")
        return ",".join(m) + ",actions=" + self.actions


N_ROUTES = 1000
N_SINKS = 4
# Services the clients talk to, per protocol: a packet's tp_dst is one of these.
TCP_PORTS = [80, 443, 22, 8080, 25]
UDP_PORTS = [53, 123, 161, 1900, 514]
N_CLIENT_NETS = 2  # clients live in 10.0.0.0/16 and 10.1.0.0/16


def route_of(i):
    """Route i: 20.(i/256).(i%256).0/24 -> sink port 2 + i%4, next-hop MAC."""
    return (ip("20.0.0.0") + (i << 8), 2 + i % N_SINKS, f"02:00:00:00:{i >> 8:02x}:{i & 255:02x}")


def w2_rules(rng):
    """Table 0: a 200-rule ACL (prefixes from /8 to /24 on both addresses,
    protocol, destination port); table 1: 1 000 /24 routes."""
    acl = []

    def pfx(base, n):
        return (base & prefix_mask(n), prefix_mask(n))

    def src(n):
        return pfx(ip("10.0.0.0") + (rng.randrange(N_CLIENT_NETS) << 16) + rng.randrange(1 << 16),
                   n)

    def dst(n):
        return pfx(route_of(rng.randrange(N_ROUTES))[0], n)

    def port(proto):
        return rng.choice(TCP_PORTS if proto == 6 else UDP_PORTS)

    # Deny: 30 rules.
    for _ in range(10):
        acl.append(Rule(0, 0, 6, nw_src=src(16), nw_dst=dst(rng.choice([22, 24])), tp_dst=22,
                        actions="drop"))
    for _ in range(10):
        acl.append(Rule(0, 0, 17, nw_dst=dst(rng.choice([20, 22, 24])), tp_dst=1900,
                        actions="drop"))
    for _ in range(10):
        acl.append(Rule(0, 0, rng.choice([6, 17]), nw_src=src(rng.choice([15, 16])),
                        nw_dst=dst(24), actions="drop"))
    # Allow: 169 rules of five shapes.
    for i in range(169):
        k = i % 5
        proto = rng.choice([6, 17])
        if k == 0:
            r = Rule(0, 0, 6, nw_dst=dst(rng.choice([20, 22, 24])), tp_dst=port(6))
        elif k == 1:
            r = Rule(0, 0, 17, nw_src=src(rng.choice([12, 14, 15, 16])), tp_dst=port(17))
        elif k == 2:
            r = Rule(0, 0, proto, nw_src=src(rng.choice([8, 12, 14])),
                     nw_dst=dst(rng.choice([18, 20, 22])))
        elif k == 3:
            r = Rule(0, 0, proto, nw_dst=dst(rng.choice([16, 18, 19])), tp_dst=port(proto))
        else:
            r = Rule(0, 0, None, nw_src=src(rng.choice([13, 16])), nw_dst=dst(rng.choice([21, 23])))
        r.actions = "goto_table:1"
        acl.append(r)
    rng.shuffle(acl)
    for i, r in enumerate(acl):
        r.priority = 2000 - 5 * i  # distinct priorities: one defined winner
    acl.append(Rule(0, 0, actions="goto_table:1"))  # default allow, the 200th rule
    routes = []
    for i in range(N_ROUTES):
        net, port_, mac = route_of(i)
        routes.append(Rule(1, 24, None, nw_dst=(net, prefix_mask(24)), port=port_,
                           actions=f"set_field:{mac}->eth_dst,dec_ttl,output:{port_}"))
    routes.append(Rule(1, 0, actions="drop"))
    return acl, routes


def w2_flows(rng, n):
    """n distinct 5-tuples: clients of 10.0.0.0/15, ephemeral source ports,
    servers behind the routes (1 % unrouted), well-known destination ports."""
    seen, flows = set(), []
    while len(flows) < n:
        proto = 6 if rng.random() < 0.6 else 17
        src = ip("10.0.0.0") + rng.randrange(N_CLIENT_NETS << 16)
        if rng.random() < 0.01:
            dst = ip("30.0.0.0") + rng.randrange(1 << 16)
        else:
            dst = route_of(rng.randrange(N_ROUTES))[0] + rng.randrange(1, 255)
        sport = rng.randrange(1024, 65536)
        dport = rng.choice(TCP_PORTS if proto == 6 else UDP_PORTS)
        f = (proto, src, dst, sport, dport)
        if f not in seen:
            seen.add(f)
            flows.append(f)
    return flows


def model_w2(acl, routes, f):
    """Output port of flow f through the ACL and the routes (None: dropped)."""
    for r in acl:
        if r.matches(f):
            if r.actions == "drop":
                return None
            break
    for r in routes:
        if r.matches(f):
            return r.port
    return None


class Workload:
    def __init__(self, name, pcap, flows_file, n_sinks, n_packets, expected, kind, desc):
        self.name, self.pcap, self.flows_file = name, pcap, flows_file
        self.n_sinks, self.n_packets, self.kind, self.desc = n_sinks, n_packets, kind, desc
        self.expected = expected  # sink port -> packets per pass, from the model


GEN_VERSION = 3


def generate(name, gen_dir, seed=5):
    """Writes (or reuses) the pcap and flows file of a workload."""
    os.makedirs(gen_dir, exist_ok=True)
    base = os.path.join(gen_dir, f"{name}-v{GEN_VERSION}-s{seed}")
    pcap, flows_file, meta = base + ".pcap", base + ".flows", base + ".json"
    if all(os.path.exists(p) for p in (pcap, flows_file, meta)):
        m = json.load(open(meta))
        return Workload(name, pcap, flows_file, m["n_sinks"], m["n_packets"],
                        {int(k): v for k, v in m["expected"].items()}, m["kind"], m["desc"])
    rng = random.Random(f"{name}-{seed}")
    t = time.time()
    if name == "W1":
        flows, seen = [], set()
        while len(flows) < 1000:
            f = (17, ip("10.0.0.0") + rng.randrange(1 << 16), ip("20.0.0.0") + rng.randrange(1 << 16),
                 rng.randrange(1024, 65536), rng.randrange(1024, 65536))
            if f not in seen:
                seen.add(f)
                flows.append(f)
        rules = ["in_port=1,actions=output:2"]
        frames = [frame(*f, 60) for f in flows]
        expected, n_sinks, kind = {2: len(flows)}, 1, "steady"
        desc = "1 rule in_port=1,actions=output:2; 1 000 UDP flows; 64 B"
    elif name in ("W2", "W3", "W5"):
        acl, routes = w2_rules(random.Random(f"rules-{seed}"))
        n = 200000 if name == "W3" else 64000
        flows = w2_flows(rng, n)
        if name == "W5":
            sizes = [60] * 7 + [508] * 4 + [1514]  # 64/512/1518 B on the wire, 7:4:1
            frames = [frame(*f, sizes[i % 12]) for i, f in enumerate(flows)]
        else:
            frames = [frame(*f, 60) for f in flows]
        rules = [r.text() for r in acl + routes]
        expected = {p: 0 for p in range(2, 2 + N_SINKS)}
        for f in flows:
            p = model_w2(acl, routes, f)
            if p is not None:
                expected[p] += 1
        n_sinks, kind = N_SINKS, "steady"
        desc = (f"ACL 200 rules (table 0) + 1 000 /24 routes (table 1); {n // 1000} k flows; "
                + ("IMIX 64/512/1518 B 7:4:1" if name == "W5" else "64 B"))
    elif name == "W4":
        flows, seen = [], set()
        while len(flows) < 200000:
            f = (rng.choice([6, 17]), ip("10.0.0.0") + rng.randrange(1 << 22),
                 ip("20.0.0.0") + rng.randrange(1 << 22), rng.randrange(1024, 65536),
                 rng.choice(TCP_PORTS + UDP_PORTS))
            if f not in seen:
                seen.add(f)
                flows.append(f)
        rules, expected = [], {p: 0 for p in range(2, 2 + N_SINKS)}
        for i, f in enumerate(flows):
            port = 2 + i % N_SINKS
            expected[port] += 1
            rules.append(Rule(0, 100, f[0], nw_src=(f[1], 0xFFFFFFFF), nw_dst=(f[2], 0xFFFFFFFF),
                              tp_src=f[3], tp_dst=f[4], actions=f"output:{port}").text())
        frames = [frame(*f, 60) for f in flows]
        n_sinks, kind = N_SINKS, "setup"
        desc = "flow setup: 200 k 5-tuples, one exact rule each; first pass; 64 B"
    else:
        raise ValueError(name)
    write_pcap(pcap, frames)
    with open(flows_file + ".tmp", "w") as fh:
        fh.write("\n".join(rules) + "\n")
    os.replace(flows_file + ".tmp", flows_file)
    json.dump({"n_sinks": n_sinks, "n_packets": len(frames), "expected": expected,
               "kind": kind, "desc": desc, "rules": len(rules)}, open(meta, "w"))
    log(f"generated {name}: {len(frames)} packets, {len(rules)} rules "
        f"({time.time() - t:.1f} s) -> {pcap}")
    return Workload(name, pcap, flows_file, n_sinks, len(frames), expected, kind, desc)


# ---------------------------------------------------------------- counters

def parse_pmd_stats(text, core):
    """Counters of the PMD on `core` from pmd-stats-show (OVS's layout)."""
    block, cur = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():  # a new block: "pmd thread ...", "main thread:"
            m = re.match(r"pmd thread numa_id \d+ core_id (\d+):", line)
            cur = int(m[1]) if m else None
            continue
        m = re.match(r"\s+([^:]+):\s+([\d.]+)", line)
        if m and cur == core:
            block[m[1].strip()] = float(m[2])
    if not block:
        raise RuntimeError(f"no PMD on core {core} in:\n{text}")
    return block


def parse_dump_ports(text):
    """port -> (rx packets, tx packets) from ovs-ofctl dump-ports."""
    res = {}
    for m in re.finditer(r"port\s+\"?([\w-]+)\"?:\s+rx pkts=(\d+|\?)[^\n]*\n\s+tx pkts=(\d+|\?)",
                         text):
        port = m[1]
        key = int(port) if port.isdigit() else port
        res[key] = tuple(int(x) if x != "?" else 0 for x in (m[2], m[3]))
    return res


def ofctl(sock, *args, check=True, timeout=600):
    return sh(["ovs-ofctl", "-O", "OpenFlow13", *args[:1], f"unix:{sock}", *args[1:]],
              check=check, timeout=timeout)


# ---------------------------------------------------------------- processes

def start(cmd, logfile, env=None, netns=True):
    full = (["ip", "netns", "exec", NETNS] if netns else []) + cmd
    p = subprocess.Popen(full, stdout=logfile, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    STARTED.append(p)
    return p


def stop(p, timeout=20):
    if p.poll() is None:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if p in STARTED:
        STARTED.remove(p)


def kill_all():
    for p in list(STARTED):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in list(STARTED):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    STARTED.clear()


def remove_hugepage_files(prefix):
    """Hugepage files and runtime directory of an EAL --file-prefix of ours."""
    for f in os.listdir("/dev/hugepages"):
        if f.startswith(prefix + "map_"):
            try:
                os.unlink(os.path.join("/dev/hugepages", f))
            except OSError:
                pass
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def wait_for(pred, what, proc, logpath, timeout=60):
    t = time.time()
    while time.time() - t < timeout:
        if pred():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited ({proc.returncode}):\n"
                               + open(logpath, errors="replace").read()[-4000:])
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready after {timeout} s; log {logpath}")


class Ferrovs:
    name = "ferrovs"

    def __init__(self, args, rundir, core):
        self.a, self.rundir, self.core = args, rundir, core
        self.bin = args.binaries
        self.prefix = f"fvbench-{os.getpid()}"

    def cli(self, *cmd, check=True):
        return sh([os.path.join(self.bin, "ferrovs"), "--rundir", self.rundir, *cmd], check=check)

    def start(self, wl, source_devargs):
        os.makedirs(self.rundir, exist_ok=True)
        # ferrovs sizes its packet pool from the ports' descriptors; a pcap
        # replayed with infinite_rx keeps one mbuf per packet, so the
        # descriptors are raised until the pool holds the whole pcap.
        need = wl.n_packets + 16384
        n_ports = 1 + wl.n_sinks
        rxd = 2048
        if need > 4096 + n_ports * 3 * 2048:
            rxd = min(65535, -(-need // n_ports))
        self.rxd = rxd
        ports = [("p1", 1, source_devargs)] + [
            (f"p{i}", i, f"net_null{i - 1},no-rx=1") for i in range(2, 2 + wl.n_sinks)]
        cfg = ["[open_vswitch.other_config]",
               f'dpdk-socket-mem = "{"1024" if self.a.no_huge else self.a.socket_mem}"',
               'dpdk-extra = "--no-pci"',
               f'pmd-cpu-mask = "{1 << self.core:#x}"',
               f'dpdk-lcore-mask = "{self.a.lcore_mask}"',
               "", "[[bridge]]", 'name = "br0"', 'datapath_type = "netdev"',
               'fail_mode = "secure"', 'protocols = ["OpenFlow10", "OpenFlow13", "OpenFlow14"]']
        for name, ofport, devargs in ports:
            cfg += ["", "[[bridge.port]]", f'name = "{name}"', f"ofport_request = {ofport}",
                    'type = "dpdk"',
                    f'options = {{ "dpdk-devargs" = "{devargs}", n_rxq_desc = "{rxd}" }}']
        self.cfg = os.path.join(self.rundir, "ferrovs.toml")
        open(self.cfg, "w").write("\n".join(cfg) + "\n")
        self.logpath = os.path.join(self.rundir, "ferrovs-switchd.log")
        remove_hugepage_files(self.prefix)
        self.p = start([os.path.join(self.bin, "ferrovs-switchd"), "--config", self.cfg,
                        "--rundir", self.rundir, "--file-prefix", self.prefix,
                        "--no-huge" if self.a.no_huge else "--require-huge"],
                       open(self.logpath, "w"))
        self.mgmt = os.path.join(self.rundir, "br0.mgmt")
        wait_for(lambda: os.path.exists(self.mgmt) and
                 self.cli("list-commands", check=False).returncode == 0,
                 "ferrovs-switchd", self.p, self.logpath)

    held = False

    def hold_source(self):
        """Source port PORT_DOWN: the PMD drops its bursts before any cache."""
        ofctl(self.mgmt, "mod-port", "1", "down")
        self.held = True
        return True

    def attach_source(self):
        # The source port is in the configuration from the start; a held one
        # comes up again.
        if self.held:
            ofctl(self.mgmt, "mod-port", "1", "up")
            self.held = False

    def stats_show(self):
        return self.cli("pmd-stats-show").stdout

    def stats_clear(self):
        self.cli("pmd-stats-clear")

    def megaflows(self):
        st = parse_pmd_stats(self.stats_show(), self.core)
        return (int(st["megaflows"]), None) if "megaflows" in st else None

    def cache_info(self):
        mf = self.megaflows()
        info = [f"megaflows {mf[0]}"] if mf else []
        if self.rxd != 2048:
            info.append(f"n_rxq_desc {self.rxd} on every port so that the packet pool holds "
                        "the pcap")
        return "; ".join(info)

    def stop(self):
        p = getattr(self, "p", None)
        if p is not None:
            if p.poll() is None:
                self.cli("exit", check=False)
            stop(p)
        remove_hugepage_files(self.prefix)


class Ovs:
    name = "ovs"

    def __init__(self, args, rundir, core):
        self.a, self.rundir, self.core = args, rundir, core
        self.prefix = f"ovsbench-{os.getpid()}"

    def env(self):
        d = self.rundir
        return dict(os.environ, OVS_RUNDIR=d, OVS_DBDIR=d, OVS_LOGDIR=d, OVS_SYSCONFDIR=d,
                    OVS_PKGDATADIR="/usr/share/openvswitch")

    def vsctl(self, *args, wait=True, timeout=120):
        return sh(["ovs-vsctl", f"--db=unix:{self.db}", f"--timeout={timeout}",
                   *([] if wait else ["--no-wait"]), *args], env=self.env())

    def appctl(self, *args, check=True):
        return sh(["ovs-appctl", "-t", os.path.join(self.rundir, "ovs-vswitchd.ctl"), *args],
                  check=check, env=self.env())

    def other_config(self):
        oc = {
            "dpdk-init": "true",
            "pmd-cpu-mask": f"{1 << self.core:#x}",
            "dpdk-lcore-mask": self.a.lcore_mask,
            "dpdk-socket-mem": self.a.socket_mem,
            "dpdk-extra": f"--file-prefix={self.prefix} --no-pci",
        }
        if self.a.no_huge:
            del oc["dpdk-socket-mem"]
            # "--file-prefix X" as two words: Open vSwitch then does not add
            # --in-memory, which DPDK refuses beside --no-huge.
            oc["dpdk-extra"] = f"--file-prefix {self.prefix} --no-pci --no-huge -m 1024"
        return oc

    def start(self, wl, source_devargs):
        d = self.rundir
        os.makedirs(d, exist_ok=True)
        self.db = os.path.join(d, "db.sock")
        conf = os.path.join(d, "conf.db")
        if os.path.exists(conf):
            os.unlink(conf)
        sh(["ovsdb-tool", "create", conf, OVS_SCHEMA])
        self.dblog = os.path.join(d, "ovsdb-server.log")
        self.pdb = start(["ovsdb-server", conf, f"--remote=punix:{self.db}",
                          f"--pidfile={d}/ovsdb-server.pid", f"--unixctl={d}/ovsdb-server.ctl",
                          f"--log-file={self.dblog}", "-vconsole:off"],
                         open(os.path.join(d, "ovsdb-server.out"), "w"), env=self.env(),
                         netns=False)
        wait_for(lambda: os.path.exists(self.db), "ovsdb-server", self.pdb, self.dblog)
        self.vsctl("init", wait=False)
        oc = [f'other_config:{k}="{v}"' for k, v in self.other_config().items()]
        self.vsctl("set", "Open_vSwitch", ".", *oc, wait=False)
        self.logpath = os.path.join(d, "ovs-vswitchd.log")
        remove_hugepage_files(self.prefix)
        self.p = start([OVS_VSWITCHD, f"unix:{self.db}", f"--pidfile={d}/ovs-vswitchd.pid",
                        f"--unixctl={d}/ovs-vswitchd.ctl", f"--log-file={self.logpath}",
                        "-vconsole:off"], open(os.path.join(d, "ovs-vswitchd.out"), "w"),
                       env=self.env())
        wait_for(lambda: os.path.exists(os.path.join(d, "ovs-vswitchd.ctl")) and
                 "true" in sh(["ovs-vsctl", f"--db=unix:{self.db}", "--no-wait", "get",
                               "Open_vSwitch", ".", "dpdk_initialized"], check=False,
                              env=self.env()).stdout,
                 "ovs-vswitchd", self.p, self.logpath, timeout=120)
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                   "fail_mode=secure", "protocols=OpenFlow10,OpenFlow13,OpenFlow14")
        for i in range(2, 2 + wl.n_sinks):
            self.vsctl("add-port", "br0", f"p{i}", "--", "set", "Interface", f"p{i}",
                       "type=dpdk", f'options:dpdk-devargs="net_null{i - 1},no-rx=1"',
                       f"ofport_request={i}")
        self.mgmt = os.path.join(d, "br0.mgmt")
        self.source_devargs = source_devargs
        wait_for(lambda: os.path.exists(self.mgmt), "ovs br0.mgmt", self.p, self.logpath)

    def hold_source(self):
        return False  # the source port is only added by attach_source

    def attach_source(self):
        """The source port joins after the rules: no packet meets an empty table."""
        self.vsctl("add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dpdk",
                   f'options:dpdk-devargs="{self.source_devargs}"', "ofport_request=1")
        err = sh(["ovs-vsctl", f"--db=unix:{self.db}", "--no-wait", "get", "Interface", "p1",
                  "error"], env=self.env(), check=False).stdout.strip()
        if err not in ("[]", ""):
            raise RuntimeError(f"Open vSwitch could not open the source port: {err}")

    def stats_show(self):
        return self.appctl("dpif-netdev/pmd-stats-show").stdout

    def stats_clear(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def megaflows(self):
        out = self.appctl("upcall/show", check=False).stdout
        m = re.search(r"flows\s*:\s*\(current (\d+)\).*?\(limit (\d+)\)", out)
        return (int(m[1]), int(m[2])) if m else None

    def cache_info(self):
        mf = self.megaflows()
        return f"megaflows {mf[0]} (flow limit {mf[1]})" if mf else ""

    def stop(self):
        p, pdb = getattr(self, "p", None), getattr(self, "pdb", None)
        if p is not None:
            if p.poll() is None:
                self.appctl("exit", check=False)
            stop(p)
        if pdb is not None:
            if pdb.poll() is None:
                sh(["ovs-appctl", "-t", os.path.join(self.rundir, "ovsdb-server.ctl"), "exit"],
                   check=False)
            stop(pdb)
        remove_hugepage_files(self.prefix)


# ---------------------------------------------------------------- runs

def mbuf_pages(n_mbufs, elt=2900):
    """2 MiB pages for a pool of n mbufs (element size with headers, rounded up)."""
    return n_mbufs * elt // (2 << 20) + 64


def run_testpmd(a, wl, rundir):
    prefix = f"tpbench-{os.getpid()}"
    mbufs = max(wl.n_packets + 32768, 65536)
    wait_hugepages(mbuf_pages(mbufs), "dpdk-testpmd")
    remove_hugepage_files(prefix)
    mem = ["--no-huge", "-m", "1024"] if a.no_huge else ["--socket-mem", a.socket_mem]
    cmd = ["dpdk-testpmd", "-l", f"0,{a.core}", "--file-prefix", prefix, "--no-pci", *mem,
           "--vdev", f"net_pcap0,rx_pcap={wl.pcap},infinite_rx=1",
           "--vdev", "net_null0,no-rx=1",
           "--", "--forward-mode=io", "--nb-cores=1", "--record-core-cycles",
           "--auto-start", "--rxq=1", "--txq=1", "--stats-period", "1000",
           f"--total-num-mbufs={mbufs}"]
    os.makedirs(rundir, exist_ok=True)
    logpath = os.path.join(rundir, "testpmd.log")
    p = start(cmd, open(logpath, "w"), netns=False)
    # Cycles are only counted while packets move; start-up does not count.
    time.sleep(a.warmup)
    fc = ForeignCpu(p.pid)
    time.sleep(a.seconds)
    foreign = fc.cores()
    foreign_top = fc.top
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=60)
    finally:
        stop(p)
        remove_hugepage_files(prefix)
    out = open(logpath, errors="replace").read()
    m = re.search(r"CPU cycles/packet=([\d.]+) \(total cycles=(\d+) / total io packets=(\d+)\) "
                  r"at (\d+) MHz", out)
    if not m:
        raise RuntimeError("testpmd printed no cycle statistics:\n" + out[-3000:])
    cpp, cycles, packets, mhz = float(m[1]), int(m[2]), int(m[3]), int(m[4])
    tsc = mhz * 1e6
    return {"mpps": packets / (cycles / tsc) / 1e6, "cpp": cpp, "tsc_hz": tsc,
            "packets": packets, "foreign_cpu": foreign, "foreign_top": foreign_top}


def switch_pages(sw, wl):
    if sw.name == "ovs":
        return mbuf_pages(262144, 2700)  # OVS asks for its 262 144-mbuf pool first
    return mbuf_pages(max(wl.n_packets + 16384, 40000), 2500)


def make_switch(kind, a, rundir):
    return (Ferrovs if kind == "ferrovs" else Ovs)(a, rundir, a.core)


def load_rules(sw, wl, bundle=False):
    """ovs-ofctl add-flows: each flow-mod is followed by a barrier (ovs-ofctl's
    vconn_transact_noreply); with bundle, one OpenFlow 1.4 bundle instead."""
    t = time.time()
    if bundle:
        sh(["ovs-ofctl", "-O", "OpenFlow14", "--bundle", "add-flows", f"unix:{sw.mgmt}",
            wl.flows_file], timeout=1800)
    else:
        ofctl(sw.mgmt, "add-flows", wl.flows_file, timeout=1800)
    return time.time() - t


def cache_counters(st):
    return {k: st.get(k) for k in CACHE_KEYS if k in st}


def upcalls(st):
    return st.get("miss with success upcall", 0) + st.get("miss with failed upcall", 0)


def warm_up(sw, a):
    """Traffic until the caches are in steady state: at least --warmup seconds,
    then until upcalls fall to --steady-upcalls of the packets over one
    second (a switch without upcall counters: --warmup alone), at most
    --max-warmup seconds. Returns (seconds, converged)."""
    t0 = time.monotonic()
    time.sleep(a.warmup)
    prev = parse_pmd_stats(sw.stats_show(), a.core)
    if "miss with success upcall" not in prev:
        return time.monotonic() - t0, True
    while True:
        time.sleep(1)
        cur = parse_pmd_stats(sw.stats_show(), a.core)
        dp = cur.get("packets received", 0) - prev.get("packets received", 0)
        du = upcalls(cur) - upcalls(prev)
        if dp > 0 and du <= a.steady_upcalls * dp:
            return time.monotonic() - t0, True
        if time.monotonic() - t0 >= a.max_warmup:
            return time.monotonic() - t0, False
        prev = cur


def run_steady(kind, a, wl, rundir, tsc, perf=False):
    sw = make_switch(kind, a, rundir)
    wait_hugepages(switch_pages(sw, wl), kind)
    src = f"net_pcap0,rx_pcap={wl.pcap},infinite_rx=1"
    try:
        sw.start(wl, src)
        load_s = load_rules(sw, wl, a.bundle)
        sw.attach_source()
        warm_s, converged = warm_up(sw, a)
        ports0 = parse_dump_ports(ofctl(sw.mgmt, "dump-ports").stdout)
        sw.stats_clear()
        t0 = time.monotonic()
        fc = ForeignCpu(sw.p.pid)
        perf_out = None
        if perf:
            perf_out = perf_profile(a, rundir, min(a.seconds, a.perf), sw.p.pid)
            time.sleep(max(0.0, a.seconds - (time.monotonic() - t0)))
        else:
            time.sleep(a.seconds)
        st = parse_pmd_stats(sw.stats_show(), a.core)
        t1 = time.monotonic()
        foreign = fc.cores()
        ports1 = parse_dump_ports(ofctl(sw.mgmt, "dump-ports").stdout)
        info = sw.cache_info()
    finally:
        sw.stop()
    packets = st.get("packets received", 0)
    busy = st.get("processing cycles", 0)
    if not packets or not busy:
        raise RuntimeError(f"{kind} {wl.name}: no packets counted: {st}")
    dtx = {p: ports1.get(p, (0, 0))[1] - ports0.get(p, (0, 0))[1]
           for p in range(2, 2 + wl.n_sinks)}
    drx = ports1.get(1, (0, 0))[0] - ports0.get(1, (0, 0))[0]
    return {"mpps": packets / (busy / tsc) / 1e6, "cpp": busy / packets,
            "wall_mpps": drx / (t1 - t0) / 1e6, "packets": int(packets),
            "busy_pct": 100.0 * busy / max(1.0, busy + st.get("idle cycles", 0)),
            "cache": cache_counters(st), "info": info, "tx": dtx, "rules_load_s": load_s,
            "perf": perf_out, "warmup_s": warm_s, "converged": converged,
            "foreign_cpu": foreign, "foreign_top": fc.top}


def run_setup(kind, a, wl, rundir, tsc):
    """W4: the first pass through the pcap after the rules are in place.

    Open vSwitch: the source port is added once the rules are loaded, so the
    pass starts at packet one. ferrovs (ports fixed at start-up): the source
    port is set PORT_DOWN (ovs-ofctl mod-port) as soon as the daemon is up,
    which drops whole bursts before any cache or table; the rules are
    loaded; the port comes up again and the counters are read right after,
    so the window starts a few milliseconds into the pass and ends once it
    holds n_packets packets (any n consecutive packets of the looping pcap
    hold each 5-tuple once).
    """
    sw = make_switch(kind, a, rundir)
    wait_hugepages(switch_pages(sw, wl), kind)
    src = f"net_pcap0,rx_pcap={wl.pcap},infinite_rx=1"
    try:
        sw.start(wl, src)
        held = sw.hold_source()
        load_s = load_rules(sw, wl, a.bundle)
        if held:
            sw.attach_source()
            base = parse_pmd_stats(sw.stats_show(), a.core)
        else:
            base = parse_pmd_stats(sw.stats_show(), a.core)
            sw.attach_source()
        t0 = time.monotonic()
        fc = ForeignCpu(sw.p.pid)
        samples = 0
        while True:
            st = parse_pmd_stats(sw.stats_show(), a.core)
            samples += 1
            done = st.get("packets received", 0) - base.get("packets received", 0)
            if done >= wl.n_packets or time.monotonic() - t0 > a.setup_timeout:
                break
            time.sleep(0.005)
        elapsed = time.monotonic() - t0
        foreign = fc.cores()
        mf = sw.megaflows()
    finally:
        sw.stop()
    d = {k: st.get(k, 0) - base.get(k, 0) for k in st}
    packets, busy = d.get("packets received", 0), d.get("processing cycles", 0)
    if packets <= 0 or busy <= 0:
        raise RuntimeError(f"{kind} W4: no packets counted: {st}")
    has_upcalls = "miss with success upcall" in st
    setups = d["miss with success upcall"] if has_upcalls else packets
    handled = upcalls(d) if has_upcalls else packets
    return {"mpps": setups / (busy / tsc) / 1e6, "cpp": busy / max(1, setups),
            "handled_mps": handled / (busy / tsc) / 1e6,
            "packets": int(packets), "setups": int(setups), "upcall_counter": has_upcalls,
            "wall_s": elapsed, "samples": samples, "megaflows": mf,
            "complete": packets >= wl.n_packets,
            "cache": {k: d.get(k) for k in CACHE_KEYS if k in d}, "rules_load_s": load_s,
            "tx": {}, "info": (f"megaflows {mf[0]}" + (f" (flow limit {mf[1]})" if mf[1] else "")
                               if mf else ""),
            "foreign_cpu": foreign, "foreign_top": fc.top}


def inject(pcap, iface, rate, passes):
    """Sends the pcap's frames out of iface (run inside the bench netns)."""
    import socket
    frames = read_pcap(pcap)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((iface, 0))
    sent, t0, chunk = 0, time.monotonic(), 32
    for _ in range(passes):
        for i in range(0, len(frames), chunk):
            for fr in frames[i:i + chunk]:
                while True:
                    try:
                        s.send(fr)
                        break
                    except (BlockingIOError, OSError):
                        time.sleep(0.0005)
                sent += 1
            ahead = sent / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    print(sent)


def run_verify(kind, a, wl, rundir):
    """Same input through a veth into the switch; tx counts per port.
    Retried at half the rate when the switch did not receive every packet."""
    rate = a.verify_rate
    for attempt in range(3):
        r = verify_once(kind, a, wl, os.path.join(rundir, f"try{attempt + 1}"), rate)
        r["rate"] = rate
        if r["rx"] == r["sent"]:
            break
        log(f"    {kind}: {r['sent'] - r['rx']} of {r['sent']} injected packets not received "
            f"at {rate} packets/s; again at {rate // 2}")
        rate //= 2
    return r


def verify_once(kind, a, wl, rundir, rate):
    sw = make_switch(kind, a, rundir)
    wait_hugepages(switch_pages(sw, wl), kind)
    # A large receive ring (16 MiB) rides out the PMD being descheduled.
    src = f"net_af_packet0,iface={VETH_SWITCH},framecnt=8192"
    try:
        sw.start(wl, src)
        load_rules(sw, wl, a.bundle)
        sw.attach_source()
        time.sleep(1)
        p0 = parse_dump_ports(ofctl(sw.mgmt, "dump-ports").stdout)
        r = sh(["ip", "netns", "exec", NETNS, sys.executable, os.path.abspath(__file__),
                "--inject", wl.pcap, "--iface", VETH_INJECT, "--rate", str(rate),
                "--passes", str(a.verify_passes)], timeout=3600)
        sent = int(r.stdout.split()[-1])
        prev, stable = None, 0
        for _ in range(600):  # until the counters stop moving
            p1 = parse_dump_ports(ofctl(sw.mgmt, "dump-ports").stdout)
            stable = stable + 1 if p1 == prev else 0
            if stable >= 3:
                break
            prev = p1
            time.sleep(0.2)
        st = parse_pmd_stats(sw.stats_show(), a.core)
    finally:
        sw.stop()
    rx = p1.get(1, (0, 0))[0] - p0.get(1, (0, 0))[0]
    tx = {p: p1.get(p, (0, 0))[1] - p0.get(p, (0, 0))[1] for p in range(2, 2 + wl.n_sinks)}
    return {"sent": sent, "rx": rx, "tx": tx, "cache": cache_counters(st)}


def perf_profile(a, rundir, seconds, pid):
    """perf record of the switch's threads on the PMD core; top symbols."""
    if not shutil.which("perf"):
        return None
    data = os.path.join(rundir, "perf.data")
    r = sh(["perf", "record", "-C", str(a.core), "-p", str(pid), "-o", data, "--", "sleep",
            str(seconds)], check=False)
    if r.returncode != 0:
        return f"perf record failed: {r.stderr.strip()[-300:]}"
    out = []
    for sort, n in (("dso", 6), ("dso,symbol", 16)):
        rep = sh(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                  "--percent-limit", "1"], check=False).stdout
        lines = [" ".join(l.split()).removesuffix(" - -") for l in rep.splitlines()
                 if l.strip() and not l.startswith("#")]
        out += [f"      {l}" for l in lines[:n]] + ["      --"]
    return "\n".join(out[:-1])


# ---------------------------------------------------------------- report

def fmt_cache(c):
    if not c:
        return "not reported"
    short = {"simple match hits": "simple match", "emc hits": "emc", "smc hits": "smc", "megaflow hits": "megaflow",
             "avg. subtable lookups per megaflow hit": "subtbl/hit",
             "miss with success upcall": "upcall ok", "miss with failed upcall": "upcall failed",
             "lost upcalls": "lost", "pipeline drops": "pipeline drops"}
    return ", ".join(f"{short[k]} {v:.0f}" if k != "avg. subtable lookups per megaflow hit"
                     else f"{short[k]} {v:.2f}" for k, v in c.items() if v is not None)


def matplotlib_python():
    """A Python interpreter with matplotlib: this one, the system's, or a
    venv this harness creates for it (None if that fails)."""
    venv = "/var/lib/ferrovs-bench/venv"
    venv_py = os.path.join(venv, "bin", "python3")

    def has_matplotlib(py):
        return os.path.exists(py) and sh([py, "-c", "import matplotlib"],
                                         check=False).returncode == 0
    py = next((p for p in (sys.executable, "/usr/bin/python3", venv_py) if has_matplotlib(p)),
              None)
    if py is None:
        log("plot: installing matplotlib into " + venv)
        try:
            sh([sys.executable, "-m", "venv", venv])
            sh([venv_py, "-m", "pip", "install", "-q", "matplotlib"], timeout=900)
            py = venv_py
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            log(f"plot: no matplotlib ({e}); no plot")
            return None
    return py


def plot(results, path, workloads):
    code = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
res = json.load(open(sys.argv[1]))
steady = [w for w in res["order"] if res["workloads"][w]["kind"] == "steady"]
setup = [w for w in res["order"] if res["workloads"][w]["kind"] == "setup"]
fig, axes = plt.subplots(1, 2 if setup else 1, figsize=(11 if setup else 8, 4.5),
                         gridspec_kw={"width_ratios": [len(steady) or 1, 1]} if setup else None)
axes = axes if setup else [axes]
ax = axes[0]
names = [("ferrovs", "ferrovs", "#c0392b"), ("ovs", "Open vSwitch 3.1 DPDK", "#2c7fb8"),
         ("ceiling", "testpmd io (ceiling)", "#999999")]
w = 0.27
for i, (k, label, col) in enumerate(names):
    xs = [j + (i - 1) * w for j in range(len(steady))]
    ys = [res["workloads"][x][k] or 0 for x in steady]
    bars = ax.bar(xs, ys, w, label=label, color=col)
    for b, y in zip(bars, ys):
        ax.text(b.get_x() + b.get_width() / 2, y, f"{y:.2f}", ha="center", va="bottom", fontsize=7)
ax.set_xticks(range(len(steady)))
ax.set_xticklabels([f"{x}\n{res['workloads'][x]['short']}" for x in steady], fontsize=8)
ax.set_yscale("log")
ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
lo, hi = ax.get_ylim()
ax.set_yticks([t for t in ticks if lo <= t <= hi])
ax.set_yticklabels([f"{t:g}" for t in ticks if lo <= t <= hi])
ax.minorticks_off()
ax.set_ylabel("Mpps, log scale (median of rounds)")
ax.set_title("Forwarding rate, one PMD core")
ax.legend(fontsize=8)
if setup:
    ax = axes[1]
    for i, (k, label, col) in enumerate(names[:2]):
        ys = [res["workloads"][x][k] or 0 for x in setup]
        bars = ax.bar([j + (i - 0.5) * w for j in range(len(setup))], ys, w, color=col, label=label)
        for b, y in zip(bars, ys):
            ax.text(b.get_x() + b.get_width() / 2, y, f"{y:.3f}", ha="center", va="bottom",
                    fontsize=7)
    ax.set_xticks(range(len(setup)))
    ax.set_xticklabels(setup)
    ax.set_ylabel("M megaflows set up / s (first pass)")
    ax.set_title("Flow setup")
fig.suptitle(res["title"], fontsize=9)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
"""
    return run_plot(code, results, path)


def run_plot(code, results, path):
    """Runs matplotlib script `code` (argv: a JSON file of `results`, the
    output path) with a Python that has matplotlib; returns `path`, or
    None when there is no matplotlib or the script failed."""
    py = matplotlib_python()
    if py is None:
        return None
    fd, j = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(results, f, default=str)
    r = sh([py, "-c", code, j, path], check=False)
    os.unlink(j)
    if r.returncode != 0:
        log(f"plot failed: {r.stderr[-1500:]}")
        return None
    return path


def summary(results):
    """Markdown tables of a run, for bench/RESULTS.md."""
    out = ["| workload | ferrovs | cyc/pkt | Open vSwitch | cyc/pkt | ratio | testpmd io | "
           "cyc/pkt | ferrovs / ceiling | forwarding check |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for w in results["order"]:
        r = results["workloads"][w]
        unit = "M flows/s" if r["kind"] == "setup" else "Mpps"
        chk = r["check"]["verdict"] if r["check"] else "not run"
        out.append(f"| {w} | {r['ferrovs']:.3f} {unit} | {r['ferrovs_cpp']:.0f} | "
                   f"{r['ovs']:.3f} {unit} | {r['ovs_cpp']:.0f} | {r['ratio']:.2f} | "
                   f"{r['ceiling']:.2f} Mpps | {r['ceiling_cpp']:.1f} | "
                   f"{r['ferrovs'] / r['ceiling']:.3f} | {chk} |")
    out += ["", "| workload | round | testpmd Mpps | ferrovs | OVS | ferrovs caches | "
            "OVS caches |", "|---|---|---|---|---|---|---|"]
    for w in results["order"]:
        rounds = results["workloads"][w]["rounds"]
        for i, tp in enumerate(rounds["ceiling"]):
            f = rounds["ferrovs"][i] if i < len(rounds["ferrovs"]) else None
            o = rounds["ovs"][i] if i < len(rounds["ovs"]) else None

            def cell(x):
                return f"{x['mpps']:.3f} ({x['cpp']:.0f} cyc)" if x else "-"
            out.append(f"| {w} | {i + 1} | {tp['mpps']:.2f} | {cell(f)} | {cell(o)} | "
                       f"{fmt_cache(f['cache']) if f else '-'} | "
                       f"{(fmt_cache(o['cache']) + ('; ' + o['info'] if o['info'] else '')) if o else '-'} |")
    return "\n".join(out)


def run_workload(a, w, run_dir, switches, results):
    """All rounds and the forwarding check of one workload."""
    wl = generate(w, os.path.join(a.work_dir, "gen"))
    log(f"\n=== {w}: {wl.desc} ({wl.n_packets} packets, rules {wl.flows_file})")
    res = {"ferrovs": [], "ovs": [], "ceiling": []}
    rnd, redone = 0, 0
    while rnd < a.rounds:
        wait_quiet(a.wait_quiet, a.max_load if rnd == 0 and redone == 0 else a.max_load + 1.0)
        load, others = machine_state()
        rd = os.path.join(run_dir, f"{w}-r{rnd + 1}" + (f"-redo{redone}" if redone else ""))
        tp = run_testpmd(a, wl, os.path.join(rd, "testpmd"))
        tsc = tp["tsc_hz"]
        order = ["ferrovs", "ovs"] if rnd % 2 == 0 else ["ovs", "ferrovs"]
        order = [k for k in order if k in switches]
        line = [f"round {rnd + 1} (load {load:.2f}{', busy' if others else ''}): "
                f"testpmd {tp['mpps']:.2f} Mpps {tp['cpp']:.1f} cyc/pkt"]
        got = {}
        for kind in order:
            rdir = os.path.join(rd, kind)
            if wl.kind == "setup":
                r = run_setup(kind, a, wl, rdir, tsc)
            else:
                r = run_steady(kind, a, wl, rdir, tsc,
                               perf=(rnd == 0 and a.perf > 0))
            got[kind] = r
            if wl.kind == "setup" and r["upcall_counter"]:
                line.append(f"{kind} {r['mpps'] * 1e6:,.0f} megaflows/s "
                            f"({r['setups']} successful upcalls in {r['packets']} "
                            f"packets, {r['cpp']:.0f} cyc each; all upcalls "
                            f"{r['handled_mps'] * 1e6:,.0f}/s"
                            + (f"; {r['cache']['lost upcalls']:.0f} packets dropped over the "
                               "upcall budget" if r["cache"].get("lost upcalls") else "")
                            + f"{'' if r['complete'] else ', INCOMPLETE'})")
            elif wl.kind == "setup":
                line.append(f"{kind} {r['mpps'] * 1e6:,.0f} flows/s ({r['packets']} "
                            f"packets through the tables, no upcall counters, "
                            f"{r['cpp']:.0f} cyc each"
                            f"{'' if r['complete'] else ', INCOMPLETE'})")
            else:
                line.append(f"{kind} {r['mpps']:.2f} Mpps {r['cpp']:.1f} cyc/pkt "
                            f"(wall {r['wall_mpps']:.2f})")
        worst = max([tp] + list(got.values()), key=lambda r: r["foreign_cpu"])
        foreign = worst["foreign_cpu"]
        _, others_end = machine_state()
        disturbed = bool(others or others_end) or foreign > a.max_foreign_cpu
        line.append(f"other work {foreign:.2f} cores ({worst.get('foreign_top') or '-'})")
        if disturbed and a.wait_quiet > 0 and redone < 3:
            log(" | ".join(line))
            log(f"    round {rnd + 1} disturbed ({', '.join(others_end) or 'other work'}): "
                "run again once the machine is quiet")
            redone += 1
            continue
        if disturbed:
            line.append("DISTURBED")
        res["ceiling"].append(tp)
        for kind, r in got.items():
            res[kind].append(r)
        rnd, redone = rnd + 1, 0
        log(" | ".join(line))
        for kind in order:
            r = res[kind][-1]
            if "warmup_s" in r:
                log(f"    {kind:8} warm-up {r['warmup_s']:.0f} s"
                    + ("" if r["converged"] else
                       " (upcalls never settled: the window is not steady state)"))
            log(f"    {kind:8} rules loaded in {r['rules_load_s']:.2f} s; "
                f"caches: {fmt_cache(r['cache'])}"
                + (f"; {r['info']}" if r["info"] else ""))
            if r.get("perf"):
                log(f"    {kind} perf (core {a.core}):\n" + r["perf"])
    # Forwarding check: the same packets through a veth into each switch.
    check = None
    if not a.no_verify:
        wait_quiet(a.wait_quiet, a.max_load + 1.0)
        check = {}
        for kind in switches:
            check[kind] = run_verify(kind, a, wl, os.path.join(run_dir, f"{w}-verify",
                                                              kind))
        exp = {p: v * a.verify_passes for p, v in wl.expected.items()}
        for k in ("ferrovs", "ovs"):
            check.setdefault(k, {"sent": 0, "rx": -1, "tx": {p: -1 for p in exp},
                                 "cache": {}})
        sent = max(check[k]["sent"] for k in switches)
        ok_in = all(check[k]["rx"] == sent for k in switches)
        diff = {p: check["ferrovs"]["tx"][p] - check["ovs"]["tx"][p] for p in exp}
        check["expected"] = exp
        check["diff"] = diff
        check["input_complete"] = ok_in
        log(f"forwarding check ({sent} packets injected, {a.verify_passes} passes): "
            f"rx ferrovs {check['ferrovs']['rx']}, ovs {check['ovs']['rx']}")
        for p in sorted(exp):
            log(f"    port {p}: ferrovs tx {check['ferrovs']['tx'][p]}, ovs tx "
                f"{check['ovs']['tx'][p]}, model {exp[p]}")
        nd = sum(abs(v) for v in diff.values())
        check["differences"] = nd
        verdict = ("one switch only: no comparison" if len(switches) < 2 else
                   "zero forwarding differences" if nd == 0 and ok_in else
                   f"{nd} packets forwarded differently" if ok_in else
                   "inconclusive: input lost on the veth")
        # Packets a switch dropped over its upcall budget explain a shortfall.
        for k in switches:
            lost = int(check[k]["cache"].get("lost upcalls") or 0)
            short = sum(exp.values()) - sum(check[k]["tx"].values())
            if lost and nd and ok_in:
                verdict += (f"; {k} dropped {lost} packets over its upcall budget"
                            + (" (all of its shortfall against the model)" if short == lost
                               else f" (shortfall against the model {short})"))
        model_ok = {k: all(check[k]["tx"][p] == exp[p] for p in exp) for k in
                    ("ferrovs", "ovs")}
        for k in switches:
            log(f"    {k} caches in the check: {fmt_cache(check[k]['cache'])}")
        log(f"    {verdict}; matches the model: ferrovs {model_ok['ferrovs']}, "
            f"ovs {model_ok['ovs']}")
        check["verdict"], check["model_ok"] = verdict, model_ok
    nan = float("nan")
    fm = statistics.median(r["mpps"] for r in res["ferrovs"]) if res["ferrovs"] else nan
    om = statistics.median(r["mpps"] for r in res["ovs"]) if res["ovs"] else nan
    cm = statistics.median(r["mpps"] for r in res["ceiling"])
    fc = statistics.median(r["cpp"] for r in res["ferrovs"]) if res["ferrovs"] else nan
    oc = statistics.median(r["cpp"] for r in res["ovs"]) if res["ovs"] else nan
    cc = statistics.median(r["cpp"] for r in res["ceiling"])
    unit = "M new flows/s" if wl.kind == "setup" else "Mpps"
    log(f"{w} medians: ferrovs {fm:.3f} {unit} {fc:.1f} cyc/{'flow' if wl.kind == 'setup' else 'pkt'}"
        f" | ovs {om:.3f} {unit} {oc:.1f} | testpmd io {cm:.2f} Mpps {cc:.1f} cyc/pkt"
        f" | ferrovs/ceiling {fm / cm:.3f}")
    log(f"RESULT {w} ferrovs_mpps={fm:.3f} ovs_mpps={om:.3f} ratio={fm / om:.3f} "
        f"ceiling_mpps={cm:.3f}")
    results["order"].append(w)
    results["workloads"][w] = {
        "kind": wl.kind, "desc": wl.desc, "short": wl.desc.split(";")[-1].strip(),
        "ferrovs": fm, "ovs": om, "ceiling": cm, "ratio": fm / om,
        "ferrovs_cpp": fc, "ovs_cpp": oc, "ceiling_cpp": cc,
        "rounds": res, "check": check}
    json.dump(results, open(os.path.join(run_dir, "results.json"), "w"), indent=1,
              default=str)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated subset of W1..W5 (default: all)")
    ap.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    ap.add_argument("--seconds", type=float, default=10, help="measured window per run")
    ap.add_argument("--warmup", type=float, default=5,
                    help="least seconds of traffic before the window (caches fill)")
    ap.add_argument("--max-warmup", type=float, default=180,
                    help="most seconds of warm-up while upcalls have not settled")
    ap.add_argument("--steady-upcalls", type=float, default=0.001,
                    help="steady state: upcalls per packet over one second at most this")
    ap.add_argument("--core", type=int, default=1, help="PMD / forwarding core (default 1)")
    ap.add_argument("--lcore-mask", default="0x1", help="main lcore of both switches")
    ap.add_argument("--socket-mem", default="256", help="dpdk-socket-mem of every tool")
    ap.add_argument("--binaries", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release"))
    ap.add_argument("--work-dir", default="/var/lib/ferrovs-bench",
                    help="generated pcaps/flows and per-run logs")
    ap.add_argument("--no-verify", action="store_true", help="skip the forwarding check")
    ap.add_argument("--verify-rate", type=int, default=25000,
                    help="packets/s injected through the veth in the forwarding check")
    ap.add_argument("--verify-passes", type=int, default=2,
                    help="passes of the pcap in the forwarding check (2nd pass: cached)")
    ap.add_argument("--bundle", action="store_true",
                    help="load the rules in one OpenFlow 1.4 bundle (ovs-ofctl --bundle)")
    ap.add_argument("--setup-timeout", type=float, default=120, help="W4 first-pass limit (s)")
    ap.add_argument("--perf", type=float, default=0,
                    help="perf record on the PMD core for this many seconds during each "
                         "switch's first-round window of each workload")
    ap.add_argument("--no-setup", action="store_true", help="no apt-get/hugepage set-up")
    ap.add_argument("--wait-quiet", type=float, default=0,
                    help="wait up to this many seconds for load < --max-load and no other "
                         "DPDK process before starting")
    ap.add_argument("--max-load", type=float, default=1.3)
    ap.add_argument("--max-foreign-cpu", type=float, default=0.3,
                    help="a round during which other processes used more than this many "
                         "cores counts as disturbed (redone with --wait-quiet)")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--switches", default="ferrovs,ovs",
                    help="switches to run (default both; one alone gives no ratio)")
    ap.add_argument("--no-huge", action="store_true",
                    help="EAL without hugepages (-m 1024 each): tests the harness itself, "
                         "the figures are not a benchmark")
    ap.add_argument("--inject", help=argparse.SUPPRESS)
    ap.add_argument("--iface", help=argparse.SUPPRESS)
    ap.add_argument("--rate", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--passes", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.inject:
        inject(a.inject, a.iface, a.rate, a.passes)
        return

    if os.geteuid() != 0:
        sys.exit("run as root (hugepages, network namespace, DPDK)")
    global NO_HUGE
    NO_HUGE = a.no_huge
    switches = [x.strip() for x in a.switches.split(",") if x.strip()]
    if not switches or any(x not in ("ferrovs", "ovs") for x in switches):
        sys.exit("--switches: ferrovs and/or ovs")
    if a.no_huge and "ovs" in switches:
        sys.exit("--no-huge: Open vSwitch always adds --in-memory, which DPDK refuses without "
                 "hugepages; use --switches ferrovs")
    workloads = [w.strip().upper() for w in a.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit(f"unknown workload {w} (W1..W5)")
    for b in ("ferrovs-switchd", "ferrovs"):
        if not os.access(os.path.join(a.binaries, b), os.X_OK):
            sys.exit(f"{a.binaries}/{b} missing: cargo build --release -p switch -p ferrovs-cli "
                     "--bins (or pass --binaries DIR)")
    os.makedirs(a.work_dir, exist_ok=True)
    lock = open(os.path.join(a.work_dir, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("another benchmark holds " + lock.name)
    if not a.no_setup:
        install_packages()
        hugepages_setup()
    wait_quiet(a.wait_quiet, a.max_load)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = os.path.join(a.work_dir, "runs", stamp)
    os.makedirs(run_dir, exist_ok=True)

    def on_signal(sig, _frame):
        global STOPPING
        STOPPING = True
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            kill_all()
            netns_delete()
        finally:
            log(f"stopped by signal {sig}")
            os._exit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    cpu = next((l.split(":", 1)[1].strip() for l in sh(["lscpu"]).stdout.splitlines()
                if l.startswith("Model name")), "?")
    load, others = machine_state()
    log(f"ferrovs OpenFlow benchmark {stamp}: CPU {cpu}, {os.cpu_count()} cores, "
        f"load {load:.2f}, hugepages free {hugepages_free()}, PMD core {a.core}")
    if others:
        log(f"WARNING: other DPDK processes run on this machine: {', '.join(others)}; "
            "figures will be disturbed")
    log(f"command: {' '.join(sys.argv)}")
    log(f"logs: {run_dir}")

    results = {"stamp": stamp, "cpu": cpu, "command": " ".join(sys.argv), "order": [],
               "workloads": {}, "ovs_other_config": None,
               "title": f"ferrovs vs Open vSwitch 3.1 DPDK, {stamp}, {cpu}, PMD core {a.core}"}
    try:
        netns_setup()
        for w in workloads:
            try:
                run_workload(a, w, run_dir, switches, results)
            except Exception as e:  # one workload's failure does not lose the others
                if STOPPING:
                    raise SystemExit(1) from e
                kill_all()
                log(f"ERROR {w}: {e}")
                log(f"RESULT {w} error")
        results["ovs_other_config"] = Ovs(a, "/nonexistent", a.core).other_config()
        results["ovs_other_config"]["dpdk-extra"] = "--file-prefix=ovsbench-<pid> --no-pci"
    finally:
        kill_all()
        netns_delete()
    json.dump(results, open(os.path.join(run_dir, "results.json"), "w"), indent=1, default=str)
    if results["order"]:
        log("\n" + summary(results))
    log(f"\nOpen vSwitch other_config: {results['ovs_other_config']}")
    log(f"results: {os.path.join(run_dir, 'results.json')}")
    if not a.no_plot and results["order"]:
        p = plot(results, os.path.join(run_dir, "openflow.png"), workloads)
        if p:
            log(f"plot: {p}")


if __name__ == "__main__":
    main()
