#!/usr/bin/python3
"""bench_filter.py — the Filter API (GET /v2/filter) streaming a 1M-row table, against COPY of
the same rows (BENCH.md's comparator C), with the server's RSS. Hand-run, not part of make bench:

    tests/perf/bench_filter.py [-n 1000000] [--reps 3] [--keep DIR]

The generated 1M × 10 CSV (gen_rows.py) is loaded with opendata-import into a throwaway
cluster (scripts/pg-local.sh) and published under a URL. Then, alternating, REPS times each:

  csv      q={"resource": URL, "format": "csv"}: every row, in file order — vs
           COPY (SELECT the columns FROM the table ORDER BY _id) TO STDOUT (FORMAT csv, HEADER)
  csv-f    the same with filters [[2,"bw",["district_1"]],[5,"gt",["500"]]] — vs the COPY
           of the same rows (the same conditions written by hand)
  json     format json (rows from a cursor, written by the server) — vs the csv COPY

Both sides run over the same Unix socket and write to /dev/null through a C client (curl,
psql). The bodies are checked first: the server's CSV must be byte for byte COPY's. Printed:
per workload the median seconds and rows/s of each side and the ratio ours/COPY (rate), and
the server's RSS before and at its peak (sampled every 20 ms) during the runs."""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import BIN, Cluster, Server, db_init, run_import  # noqa: E402

RID = "bench-filter"
URL = "http://bench.test/files/rows.csv"
COLS = ["id", "district", "city", "obs_date", "amount", "count_val", "code", "description",
        "lat", "lon"]
FILTERS = [[2, "bw", ["district_1"]], [5, "gt", ["500"]]]
WHERE = "WHERE starts_with(district, 'district_1') AND amount > 500"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler:
    """The server's peak RSS while a block runs."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, False

    def __enter__(self):
        self.t = threading.Thread(target=self.run)
        self.t.start()
        return self

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __exit__(self, *a):
        self.stop = True
        self.t.join()


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def body(cmd):
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-filter-")
    cluster = Cluster()
    srv = None
    try:
        csv_path = os.path.join(work, "rows.csv")
        subprocess.run([os.path.join(HERE, "gen_rows.py"), csv_path, "-n", str(a.n)], check=True)
        cluster.psql("CREATE DATABASE bench")
        db = cluster.url("bench")
        db_init(db)
        run_import(db, "catalog", os.path.join(ROOT, "docs", "demo", "catalog.json"), check=True)
        t0 = time.perf_counter()
        run_import(db, "csv", csv_path, "--resource-id", RID, "--dataset", "A41000000G-000001",
                   check=True)
        print(f"import of {a.n} rows: {time.perf_counter() - t0:.1f} s")
        psql = ["psql", "-X", "-q", "-d", db]
        subprocess.run(psql + ["-c", f"UPDATE resource SET download_url = '{URL}' "
                                     f"WHERE id = '{RID}'"], check=True)
        table = subprocess.run(psql + ["-Atc", f"SELECT table_name FROM datastore_table WHERE "
                                               f"resource_id = '{RID}'"],
                               check=True, capture_output=True, text=True).stdout.strip()
        cols = ", ".join(f'"{c}"' for c in COLS)
        srv = Server(db)

        def ours(fmt, filters=None):
            q = {"resource": URL, "format": fmt, **({"filters": filters} if filters else {})}
            return ["curl", "-sf", "-o", "-", srv.base + "/v2/filter?q=" +
                    urllib.parse.quote(json.dumps(q), safe="")]

        def copy(where=""):
            return psql + ["-c", f'COPY (SELECT {cols} FROM datastore."{table}" {where} '
                                 f'ORDER BY "_id") TO STDOUT WITH (FORMAT csv, HEADER)']

        work_items = {"csv": (ours("csv"), copy()), "csv-f": (ours("csv", FILTERS), copy(WHERE)),
                      "json": (ours("json"), copy())}
        rows = {}
        for name, (mine, theirs) in work_items.items():
            got, want = body(mine), body(theirs)
            rows[name] = want.count(b"\n") - 1
            if name != "json":
                assert got == want, f"{name}: {len(got)} bytes, COPY {len(want)}"
            else:
                assert len(json.loads(got)) == rows[name]
            print(f"{name}: {rows[name]} rows, {len(got)} bytes "
                  f"(sha256 {hashlib.sha256(got).hexdigest()[:16]}), COPY {len(want)} bytes")
        base = rss_kib(srv.proc.pid)
        times = {name: ([], []) for name in work_items}
        with Sampler(srv.proc.pid) as s:
            for _ in range(a.reps):
                for name, (mine, theirs) in work_items.items():
                    times[name][0].append(timed(mine))
                    times[name][1].append(timed(theirs))
        print(f"\nserver RSS {base / 1024:.1f} MiB before, {s.peak / 1024:.1f} MiB peak "
              f"(+{(s.peak - base) / 1024:.1f} MiB) over {a.reps} × {len(work_items)} runs")
        print(f"\n{'workload':8} {'rows':>8} {'ours s':>8} {'COPY s':>8} {'ours rows/s':>12} "
              f"{'COPY rows/s':>12} {'ratio':>6}   raw ours / COPY")
        for name, (mine, theirs) in times.items():
            m, c = statistics.median(mine), statistics.median(theirs)
            print(f"{name:8} {rows[name]:8d} {m:8.3f} {c:8.3f} {rows[name] / m:12.0f} "
                  f"{rows[name] / c:12.0f} {c / m:6.2f}   "
                  f"{' '.join(f'{x:.3f}' for x in mine)} / {' '.join(f'{x:.3f}' for x in theirs)}")
    finally:
        if srv:
            srv.stop()
        cluster.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
