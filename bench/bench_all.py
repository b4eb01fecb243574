#!/usr/bin/env python3
"""bench-all: runs every banger bench and prints one table of every figure the
issues asked for: figure | measured | target | pass/fail.

Each bench prints its own report and, for this script, lines
"FIGURE <key> <value> <unit> <op> <target> <title>" (bench_support.h).
A bench that exits 77 was skipped (no root, no network namespace, no
/dev/net/tun …, as the tests skip); any other non-zero exit of a bench without
a missed figure is a crash.

  bench-all [--short] [--only NAME …] [--bench-dir DIR]

--short sets BENCH_SHORT=1: small counts that only prove each bench still
runs. Its figures mean nothing, so in short mode the exit status is 1 only
when a bench crashed, never for a missed target (CI's bench-short test).
In a full run the exit status is 1 when a bench crashed or a figure missed.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

# The benches in the order they run, with extra arguments.
BENCHES = [
    ("bench-ipam", []),
    ("bench-bus", []),
    ("bench-stats", []),
    ("bench-lifecycle", []),
    ("bench-network", []),
    ("bench-forward", []),
    ("bench-disks", []),
    ("bench-workspace", []),
    ("bench-suspend", []),
    ("bench-checkpoint", []),
    ("bench-wake", []),
]
SKIPPED = 77


def parse_figures(output):
    figures = []
    for line in output.splitlines():
        if not line.startswith("FIGURE "):
            continue
        _, key, value, unit, op, target, title = line.split(" ", 6)
        figures.append({"key": key, "value": float(value), "unit": unit, "op": op, "target": float(target),
                        "title": title})
    return figures


def met(figure):
    return figure["value"] <= figure["target"] if figure["op"] == "<=" else figure["value"] >= figure["target"]


def run(bench_dir, name, args, short, log_dir):
    binary = bench_dir / name
    if not binary.exists():
        return {"name": name, "status": "not built", "figures": [], "seconds": 0.0}
    env = dict(os.environ, BENCH_SHORT="1" if short else "0")
    started = time.monotonic()
    done = subprocess.run([str(binary), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - started
    (log_dir / f"{name}.log").write_text(done.stdout)
    figures = parse_figures(done.stdout)
    if done.returncode == SKIPPED:
        status = "skipped"
    elif done.returncode == 0:
        status = "ran"
    elif figures and not all(met(f) for f in figures):
        status = "ran"  # a bench that exits 1 for its own missed target (bench-stats, bench-disks)
    else:
        status = f"crashed (exit {done.returncode})"
    last = [line for line in done.stdout.splitlines() if line.strip()]
    return {"name": name, "status": status, "figures": figures, "seconds": seconds,
            "last": last[-1] if last else ""}


def table(results, short):
    rows = [("figure", "measured", "target", "result", "bench")]
    for result in results:
        for f in result["figures"]:
            verdict = "pass" if met(f) else "FAIL"
            if short:
                verdict += " (short)"
            rows.append((f["title"], f"{f['value']:.4g} {f['unit']}", f"{f['op']} {f['target']:g} {f['unit']}",
                         verdict, result["name"]))
        if not result["figures"]:
            rows.append(("(no figures)", "-", "-", result["status"], result["name"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--bench-dir", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent)
    parser.add_argument("--log-dir", type=pathlib.Path, default=None)
    options = parser.parse_args()
    log_dir = options.log_dir or pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"banger-bench-all-{os.getpid()}"
    log_dir.mkdir(parents=True, exist_ok=True)

    results = []
    for name, args in BENCHES:
        if options.only and name not in options.only:
            continue
        print(f"bench-all: {name} …", file=sys.stderr, flush=True)
        result = run(options.bench_dir, name, args, options.short, log_dir)
        print(f"bench-all: {name}: {result['status']} in {result['seconds']:.0f} s", file=sys.stderr, flush=True)
        results.append(result)

    mode = "short (counts too small to mean anything)" if options.short else "full"
    print(f"banger bench-all, {mode} run; each bench's own report in {log_dir}")
    print(table(results, options.short))
    crashed = [r for r in results if r["status"].startswith("crashed")]
    missed = [f for r in results for f in r["figures"] if not met(f)]
    skipped = [r["name"] for r in results if r["status"] in ("skipped", "not built")]
    for r in crashed:
        print(f"CRASHED: {r['name']}: {r['last']}")
    print(f"{len(results)} benches: {len(results) - len(crashed) - len(skipped)} ran, {len(skipped)} skipped"
          f"{' (' + ', '.join(skipped) + ')' if skipped else ''}, {len(crashed)} crashed; "
          f"{sum(len(r['figures']) for r in results)} figures, {len(missed)} missed")
    if crashed:
        return 1
    return 1 if missed and not options.short else 0


if __name__ == "__main__":
    sys.exit(main())
