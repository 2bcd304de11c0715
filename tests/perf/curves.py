#!/usr/bin/python3
"""curves.py — the cost curves of tests/perf/bench_curves.sh: each point's ratios, read from the
goal table of its summary (OUT/catalogue-N.md, OUT/datastore-N.md), into OUT/curves.tsv, and one
SVG per curve drawn by gnuplot (when installed). Stdlib only.

    curves.py OUT
"""
import os
import re
import shutil
import subprocess
import sys

# curve name → (file kind, workload, the goal text's start, what the ratio is of)
CURVES = [
    ("W1-package_show", "catalogue", "W1", "ours ≥ 0.8 × L", "× L"),
    ("W1a-rest_dataset", "catalogue", "W1a", "ours ≥ 0.8 × L", "× L"),
    ("W2-package_search_q", "catalogue", "W2", "ours ≥ 0.85 × P", "× P"),
    ("W2b-package_search_default", "catalogue", "W2b", "ours ≥ 0.5 × N", "× N"),
    ("W3-datastore_search_filter", "datastore", "W3", "ours ≥ 0.8 × L", "× L"),
    ("W3c-32000_rows", "datastore", "W3c", "time ≤ 1.2 × C", "C / ours"),
    ("W5-dump_first_request", "datastore", "W5", "c=1 time ≤ 1.1 × C", "C / ours"),
    ("W6-import_until_queryable", "datastore", "W6", "until queryable ≤ 1.1 × C", "C / ours"),
]


def points(out, kind):
    found = []
    for name in os.listdir(out):
        m = re.match(r"%s-(\d+)\.md$" % kind, name)
        if m:
            found.append((int(m.group(1)), os.path.join(out, name)))
    return sorted(found)


def ratio(path, wl, goal):
    """The measured ratio of the goal line (as ours relative to the comparator)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.replace("\\|", "\x00")  # an escaped pipe inside a cell
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and cells[0] == wl and cells[1].startswith(goal):
                m = re.match(r"([\d.]+) × ([A-Z])", cells[2])
                if not m:
                    return None
                v = float(m.group(1))
                # times (C / ours): a time ratio ours/C becomes its inverse (1.0 = as fast)
                return 1 / v if "time" in goal or "queryable" in goal else v
    return None


def main(out):
    rows = []
    for name, kind, wl, goal, what in CURVES:
        for size, path in points(out, kind):
            rows.append((name, size, ratio(path, wl, goal), what))
    with open(os.path.join(out, "curves.tsv"), "w", encoding="utf-8") as f:
        f.write("curve\tsize\tratio\tof\n")
        for name, size, r, what in rows:
            f.write("%s\t%d\t%s\t%s\n" % (name, size, "" if r is None else "%.3f" % r, what))
    if not shutil.which("gnuplot"):
        print("curves.py: gnuplot is not installed: no SVG drawn", file=sys.stderr)
        return 0
    for name, kind, wl, goal, what in CURVES:
        pts = [(s, r) for n, s, r, _ in rows if n == name and r is not None]
        if not pts:
            continue
        data = os.path.join(out, name + ".dat")
        with open(data, "w") as f:
            f.writelines("%d %.4f\n" % p for p in pts)
        xlabel = "datasets" if kind == "catalogue" else "rows"
        script = f"""set terminal svg size 560,340 dynamic noenhanced font 'sans,11'
set output '{os.path.join(out, name + '.svg')}'
set title '{name}: ours relative to its comparator ({what}; 1 = as fast)'
set logscale x
set xlabel '{xlabel}'
set ylabel 'ratio'
set yrange [0:*]
set grid
set key off
plot '{data}' using 1:2 with linespoints lw 2 pt 7, 1 with lines dt 2 lc rgb '#888888'
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stderr=subprocess.DEVNULL)  # (a one-point curve: "empty x range")
        os.remove(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
