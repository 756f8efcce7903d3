"""Side by side: two runs of conformance/osken/run (e.g. ferrovs and Open
vSwitch on the same version), test by test.

    python3 conformance/osken/compare.py LOGDIR_A LOGDIR_B

Prints the tests whose result differs (A's message, B's message), then the
counts: OK in both, failing in both, failing only in A, only in B.
"""

import collections
import json
import os
import sys


def load(logdir):
    out = collections.OrderedDict()
    with open(os.path.join(logdir, "results.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[(r["file"], r["test"])] = r
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a_dir, b_dir = sys.argv[1:]
    a, b = load(a_dir), load(b_dir)
    a_name, b_name = os.path.basename(a_dir.rstrip("/")), os.path.basename(b_dir.rstrip("/"))
    counts = collections.Counter()
    for key in list(a) + [k for k in b if k not in a]:
        ra, rb = a.get(key), b.get(key)
        ok_a = ra is not None and ra["result"] == "OK"
        ok_b = rb is not None and rb["result"] == "OK"
        if ok_a and ok_b:
            counts["ok in both"] += 1
            continue
        if not ok_a and not ok_b:
            counts["failing in both"] += 1
        elif not ok_a:
            counts["failing only in " + a_name] += 1
        else:
            counts["failing only in " + b_name] += 1
        if ok_a != ok_b:
            print("%s: %s" % key)
            for name, r in ((a_name, ra), (b_name, rb)):
                if r is None:
                    print("    %-40s not run" % name)
                else:
                    print("    %-40s %s %s" % (name, r["result"], r["message"][:300]))
    print()
    for k, v in counts.items():
        print("%-60s %d" % (k, v))


if __name__ == "__main__":
    main()
