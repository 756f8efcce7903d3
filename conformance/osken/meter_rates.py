#!/usr/bin/env python3
"""What each meter of a run received, what its bands did, what the target
sent and what reached the tester.

Reads meter-stats.log of a log directory written with `run --poll-meters`
(every second: `ovs-ofctl meter-stats` of the target and `dump-ports` of
port 2 of the target and of the tester) and prints, for each meter's life
(os-ken adds the meter of a test and deletes it at the next one), over the
seconds in which the meter received packets: the packets and the rate the
meter received, each band's count, the rate the target sent on port 2 and
the rate the tester's port 2 received. A test that fails on its measured
rate while the target sent what the band allows shows the tester's own
limit, not the switch's.

    meter_rates.py LOGDIR
"""

import re
import sys

STAMP = re.compile(r"^# (\d+\.\d+)")
METER = re.compile(
    r"meter:(\d+) flow_count:\d+ packet_in_count:(\d+) byte_in_count:(\d+) "
    r"duration:([\d.]+)s")
BAND = re.compile(r"^\s*(\d+): packet_count:(\d+) byte_count:(\d+)")
RX = re.compile(r"port\s+2: rx pkts=(\d+), bytes=(\d+)")
TX = re.compile(r"^\s*tx pkts=(\d+), bytes=(\d+)")


def samples(path):
    """One dict per poll: time, meters {id: [packets, bytes, duration,
    [band packets]]}, target port 2 tx and tester port 2 rx (packets,
    bytes)."""
    cur, section = None, None
    with open(path) as f:
        for line in f:
            m = STAMP.match(line)
            if m:
                if cur:
                    yield cur
                cur = {"t": float(m.group(1)), "meters": {}, "tx": None, "rx": None}
                section, meter = "meters", None
                continue
            if cur is None:
                continue
            if line.startswith("## target"):
                section = "target"
                continue
            if line.startswith("## tester"):
                section = "tester"
                continue
            if section == "meters":
                m = METER.search(line)
                if m:
                    meter = int(m.group(1))
                    cur["meters"][meter] = [int(m.group(2)), int(m.group(3)),
                                            float(m.group(4)), []]
                    continue
                m = BAND.match(line)
                if m and meter is not None:
                    cur["meters"][meter][3].append(int(m.group(2)))
            elif section == "target":
                m = TX.match(line)
                if m:
                    cur["tx"] = (int(m.group(1)), int(m.group(2)))
            elif section == "tester":
                m = RX.search(line)
                if m:
                    cur["rx"] = (int(m.group(1)), int(m.group(2)))
    if cur:
        yield cur


def lives(polls):
    """Each meter's run of consecutive polls from its addition to its
    deletion (its duration falls, or it disappears)."""
    open_lives = {}
    for i, p in enumerate(polls):
        for meter, (pkts, nbytes, dur, bands) in p["meters"].items():
            life = open_lives.get(meter)
            if life and dur < polls[life[-1]]["meters"][meter][2]:
                yield meter, life
                life = None
            open_lives[meter] = (life or []) + [i]
        for meter in [m for m in open_lives if m not in p["meters"]]:
            yield meter, open_lives.pop(meter)
    yield from open_lives.items()


def delta(a, b):
    return (b[0] - a[0], b[1] - a[1]) if a and b else (0, 0)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    polls = list(samples(sys.argv[1].rstrip("/") + "/meter-stats.log"))
    print("start       meter  secs  meter_in_pps  meter_in_kbps  bands(packets)  "
          "target_tx_pps  tester_rx_pps  tester_rx_kbps")
    rows = []
    for meter, idx in lives(polls):
        secs = pkts = nbytes = 0
        tx = [0, 0]
        rx = [0, 0]
        for i, j in zip(idx, idx[1:]):
            a, b = polls[i], polls[j]
            if b["meters"][meter][0] > a["meters"][meter][0]:
                secs += b["t"] - a["t"]
                pkts += b["meters"][meter][0] - a["meters"][meter][0]
                nbytes += b["meters"][meter][1] - a["meters"][meter][1]
                for acc, key in ((tx, "tx"), (rx, "rx")):
                    d = delta(a[key], b[key])
                    acc[0] += d[0]
                    acc[1] += d[1]
        if pkts == 0 or secs <= 0:
            continue
        bands = polls[idx[-1]]["meters"][meter][3]
        rows.append((polls[idx[0]]["t"], meter, secs, pkts / secs, nbytes * 8 / secs / 1000,
                     bands, tx[0] / secs, rx[0] / secs, rx[1] * 8 / secs / 1000))
    for r in sorted(rows):
        print(f"{r[0]:.0f}  {r[1]:5}  {r[2]:4.1f}  {r[3]:12.0f}  {r[4]:13.0f}  {str(r[5]):14}  "
              f"{r[6]:13.0f}  {r[7]:13.0f}  {r[8]:14.0f}")


if __name__ == "__main__":
    main()
