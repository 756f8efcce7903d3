"""Summary of an os-ken switch test run: one line per test, counts per
category, a total line; exit status from --expect-all-ok / --min-ok.

Reads the selection (test files relative to the version's directory, one a
line) and the launcher's results (JSON lines: file, test, result, message).
A selected file without any result is "not run" (the run stopped early, or
os-ken refused the file) and counts as an error.
"""

import argparse
import collections
import json
import sys


def category(path):
    return path.split("/", 1)[0] if path else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--selection", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--status", default="complete")
    ap.add_argument("--duration", type=int,
                    help="traffic duration of the throughput tests, if overridden")
    ap.add_argument("--steady-rate", action="store_true")
    ap.add_argument("--expect-all-ok", action="store_true")
    ap.add_argument("--min-ok", type=float)
    args = ap.parse_args()

    with open(args.selection) as f:
        selected = [line.strip() for line in f if line.strip()]
    results = []
    with open(args.results) as f:
        for line in f:
            line = line.strip()
            if line:
                results.append(json.loads(line))

    seen = {r["file"] for r in results}
    not_run = [p for p in selected if p not in seen]

    counts = collections.OrderedDict()
    for cat in sorted({category(p) for p in selected} | {category(r["file"]) for r in results}):
        counts[cat] = collections.Counter()

    for r in results:
        ok = r["result"] == "OK"
        counts[category(r["file"])]["ok" if ok else "error"] += 1
        print("%-5s %s: %s" % ("OK" if ok else "ERROR", r["file"], r["test"]))
        if not ok and r.get("message"):
            print("        %s" % r["message"])
    for p in not_run:
        counts[category(p)]["not_run"] += 1
        print("ERROR %s: not run (no result from os-ken)" % p)

    print()
    total = collections.Counter()
    for cat, c in counts.items():
        total.update(c)
        extra = " not_run=%d" % c["not_run"] if c["not_run"] else ""
        print("CATEGORY %s %s target=%s ok=%d error=%d%s" % (
            args.version, cat, args.target, c["ok"], c["error"], extra))
    errors = total["error"] + total["not_run"]
    extra = " not_run=%d" % total["not_run"] if total["not_run"] else ""
    if args.duration:
        extra += " throughput_duration=%ds" % args.duration
    if args.steady_rate:
        extra += " steady_rate"
    print("TOTAL %s target=%s ok=%d error=%d%s files=%d elapsed=%ds%s" % (
        args.version, args.target, total["ok"], total["error"], extra,
        len(selected), args.elapsed,
        "" if args.status == "complete" else " (%s)" % args.status))

    tests = total["ok"] + errors
    rc = 0
    if args.expect_all_ok and errors:
        print("osken: %d of %d tests did not pass (--expect-all-ok)" % (errors, tests))
        rc = 1
    if args.min_ok is not None:
        pct = 100.0 * total["ok"] / tests if tests else 0.0
        if pct < args.min_ok:
            print("osken: %.1f %% of the tests passed, below --min-ok %s" % (pct, args.min_ok))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
