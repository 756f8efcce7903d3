#!/usr/bin/env python3
"""What each meter of a run received and what its bands did.

Reads meter-stats.log of a log directory written with `run --poll-meters`
(`ovs-ofctl meter-stats` of the target every second) and prints, for each
meter's life (os-ken adds the meter of a test and deletes it at the next
one), the packets and bytes the meter received while traffic came (the
seconds between samples whose count rose), the rate they came at, and
each band's count. A test that fails on its measured rate while the meter
received less than the band's rate shows the tester's own limit, not the
switch's.

    meter_rates.py LOGDIR
"""

import re
import sys

STAMP = re.compile(r"^# (\d+\.\d+)")
METER = re.compile(
    r"meter:(\d+) flow_count:\d+ packet_in_count:(\d+) byte_in_count:(\d+) "
    r"duration:([\d.]+)s")
BAND = re.compile(r"^\s*(\d+): packet_count:(\d+) byte_count:(\d+)")


def samples(path):
    """Yields (time, meter, packets, bytes, duration, [(band packets, band bytes)])."""
    now, current = None, None
    with open(path) as f:
        for line in f:
            m = STAMP.match(line)
            if m:
                if current:
                    yield current
                now, current = float(m.group(1)), None
                continue
            m = METER.search(line)
            if m:
                if current:
                    yield current
                current = (now, int(m.group(1)), int(m.group(2)), int(m.group(3)),
                           float(m.group(4)), [])
                continue
            m = BAND.match(line)
            if m and current:
                current[5].append((int(m.group(2)), int(m.group(3))))
    if current:
        yield current


def lives(path):
    """Each meter's samples from its addition to its deletion (its
    duration falls when os-ken adds it again)."""
    current = {}
    for s in samples(path):
        life = current.get(s[1])
        if life and s[4] < life[-1][4]:
            yield life
            life = None
        current[s[1]] = (life or []) + [s]
    yield from current.values()


def rates(life):
    """(seconds with traffic, packets, bytes, band packets) over the
    samples between which the meter received packets."""
    secs = pkts = nbytes = 0
    for a, b in zip(life, life[1:]):
        if b[2] > a[2]:
            secs += b[0] - a[0]
            pkts += b[2] - a[2]
            nbytes += b[3] - a[3]
    return secs, pkts, nbytes, [band[0] for band in life[-1][5]]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1].rstrip("/") + "/meter-stats.log"
    print("start       meter  traffic_s  packets_in  pps      kbps      bands (packets)")
    for life in sorted(lives(path), key=lambda lf: lf[0][0]):
        secs, pkts, nbytes, bands = rates(life)
        if pkts == 0 or secs <= 0:
            continue
        print(f"{life[0][0]:.0f}  {life[0][1]:5}  {secs:9.1f}  {pkts:10}  {pkts / secs:7.0f}  "
              f"{nbytes * 8 / secs / 1000:8.0f}  {bands}")


if __name__ == "__main__":
    main()
