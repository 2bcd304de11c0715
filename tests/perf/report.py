#!/usr/bin/python3
"""report.py — turn the work directory of tests/perf/bench.sh into docs/BENCHMARKS.md.

    report.py WORKDIR OUT.md

WORKDIR holds meta.txt (key=value), results.tsv (one line per timed run, columns below),
memory.tsv, check.txt, notes.txt, pg_settings.txt and raw/*.txt (every wrk/pgbench output).
Stdlib only.
"""
import os
import re
import statistics
import sys

COLS = ["workload", "system", "conc", "rep", "rps", "p50", "p99", "p90", "non2xx", "sockerr",
        "requests", "server_cpu", "pg_cpu", "nginx_cpu", "conns", "raw"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def load(work):
    meta = {}
    for line in read_lines(os.path.join(work, "meta.txt")):
        if "=" in line:
            k, v = line.split("=", 1)
            meta[k] = v
    runs = []
    for line in read_lines(os.path.join(work, "results.tsv")):
        f = line.split("\t")
        if len(f) >= len(COLS):
            runs.append(dict(zip(COLS, f)))
    return meta, runs


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


class Cell:
    """The repetitions of one (workload, system, concurrency)."""

    def __init__(self, runs):
        self.runs = runs
        self.rps = med(num(r["rps"]) for r in runs)
        self.p50 = med(num(r["p50"]) for r in runs)
        self.p99 = med(num(r["p99"]) for r in runs)
        self.non2xx = sum(int(num(r["non2xx"]) or 0) for r in runs)
        self.sockerr = sum(int(num(r["sockerr"]) or 0) for r in runs)
        self.requests = sum(int(num(r["requests"]) or 0) for r in runs)
        self.conns = runs[-1]["conns"] if runs else "-"
        self.all_rps = [num(r["rps"]) for r in runs]

    def cpu_us(self, col):
        vals = [num(r[col]) for r in self.runs]
        if not self.requests or any(v is None for v in vals):
            return None
        return sum(vals) * 1e6 / self.requests


def cell(runs, wl, system, conc=None):
    sel = [r for r in runs if r["workload"] == wl and r["system"] == system
           and (conc is None or r["conc"] == str(conc)) and r["rep"] != "0"]
    return Cell(sel) if sel else None


def f0(v):
    return "–" if v is None else "{:,.0f}".format(v)


def f2(v):
    return "–" if v is None else "{:.2f}".format(v)


def fms(v):
    if v is None:
        return "–"
    return "{:.2f}".format(v) if v < 100 else "{:.0f}".format(v)


def mib(kb):
    k = num(kb)
    return "–" if k is None else "{:.1f}".format(k / 1024)


def ok(b):
    return "**met**" if b else "**not met**"


def maxlat(work, v):
    """Largest latency (ms) over the runs of a cell, from the raw wrk outputs."""
    best = None
    for r in v.runs:
        for line in read_lines(os.path.join(work, "raw", r["raw"] + ".txt")):
            if line.startswith("BENCH_RESULT"):
                for kv in line.split()[1:]:
                    k, _, val = kv.partition("=")
                    if k == "max_us" and num(val) is not None:
                        best = max(best or 0, num(val) / 1000)
    return fms(best)


def load_range(work, cells):
    """'a–b': the 1-minute load averages noted before the timed runs of cells (raw outputs)."""
    vals = []
    for c in cells:
        for r in (c.runs if c else []):
            head = read_lines(os.path.join(work, "raw", r["raw"] + ".txt"))[:1]
            m = re.search(r"load average(?: before:)? ([0-9.]+)", head[0]) if head else None
            if m:
                vals.append(float(m.group(1)))
    return "%.1f–%.1f" % (min(vals), max(vals)) if vals else None


def workload_table(out, runs, wl, concs, meta):
    out.append("| c | ours req/s | P tps (pgbench -c) | N req/s | L | ours/P | ours/N | **ours/L** "
               "| ours p50 / p99 ms | N p50 / p99 ms | P latency avg ms | ours non-2xx / socket errors |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for c in concs:
        o, p, n = cell(runs, wl, "ours", c), cell(runs, wl, "P", c), cell(runs, wl, "N", c)
        if not o:
            continue
        P = p.rps if p else None
        N = n.rps if n else None
        L = 1 / (1 / P + 1 / N) if P and N else None
        rows[c] = (o, p, n, P, N, L)
        reps = len(o.runs)
        out.append("| {c}{r} | {o} | {p} ({pc}) | {n} | {l} | {rp} | {rn} | **{rl}** | {o50} / {o99} | "
                   "{n50} / {n99} | {plat} | {e1} / {e2} |".format(
                       c=c, r=" (×%d)" % reps if reps > 1 else "", o=f0(o.rps), p=f0(P),
                       pc=p.conns if p else "–", n=f0(N), l=f0(L),
                       rp=f2(o.rps / P if P else None), rn=f2(o.rps / N if N else None),
                       rl=f2(o.rps / L if L else None), o50=fms(o.p50), o99=fms(o.p99),
                       n50=fms(n.p50 if n else None), n99=fms(n.p99 if n else None),
                       plat=fms(p.p50 if p else None), e1=o.non2xx, e2=o.sockerr))
    out.append("")
    # repetitions and CPU per request
    lines = []
    for c, (o, p, n, P, N, L) in rows.items():
        if len(o.runs) > 1:
            lines.append("- c={}: repetitions, req/s — ours {}; P {}; N {}".format(
                c, ", ".join(f0(v) for v in o.all_rps),
                ", ".join(f0(v) for v in (p.all_rps if p else [])),
                ", ".join(f0(v) for v in (n.all_rps if n else []))))
    loads = load_range(meta.get("_work", ""), [v for row in rows.values() for v in row[:3]])
    if loads:
        lines.append("- load average (1 min) before the timed runs: %s" % loads)
    if lines:
        out.extend(lines)
        out.append("")
    out.append("CPU time per request (µs), from /proc: the server process, all PostgreSQL "
               "processes (during ours and during P), the nginx master and workers; the remainder "
               "of the 2 cores goes to wrk/pgbench and the kernel.")
    out.append("")
    out.append("| c | ours: server | ours: PostgreSQL | ours: server + PostgreSQL | P: PostgreSQL | N: nginx | server DB connections after the run |")
    out.append("|---|---|---|---|---|---|---|")
    for c, (o, p, n, P, N, L) in rows.items():
        s, g = o.cpu_us("server_cpu"), o.cpu_us("pg_cpu")
        out.append("| {} | {} | {} | {} | {} | {} | {} |".format(
            c, f0(s), f0(g), f0(s + g if s is not None and g is not None else None),
            f0(p.cpu_us("pg_cpu") if p else None), f0(n.cpu_us("nginx_cpu") if n else None),
            o.conns))
    out.append("")
    return rows


def main():
    work, outpath = sys.argv[1], sys.argv[2]
    meta, runs = load(work)
    meta["_work"] = work
    concs = meta.get("concs", "1 16 64").split()
    dur, warm = meta.get("duration", "?"), meta.get("warmup", "?")
    reps, reps_other = meta.get("reps", "?"), meta.get("reps_other", "?")
    o = []
    o.append("# Benchmarks")
    o.append("")
    o.append("Generated by `make bench` (`tests/perf/bench.sh`, protocol: BENCH.md) on {} at commit "
             "`{}`{}. Do not edit by hand: rerun `make bench`.".format(
                 meta.get("date", "?"), meta.get("commit", "?"),
                 " (working tree with %s uncommitted changes)" % meta["dirty"]
                 if meta.get("dirty", "0") not in ("0", "") else ""))
    o.append("")
    o.append("Every figure below is a **ratio to a comparator run back to back in the same script at "
             "the same concurrency**: P = `pgbench -n -M prepared` running the server's own SQL over the "
             "same Unix socket, N = nginx serving the identical bytes, L = 1/(1/P + 1/N) (the "
             "combined limit: the database work and the HTTP work share the cores). The load "
             "generator, the server, PostgreSQL and nginx **all share the same {} cores**, so the "
             "absolute numbers are low and only the ratios carry over.".format(meta.get("nproc", "?")))
    o.append("")

    # ---- headline
    w1a = {c: (cell(runs, "W1a", "ours", c), cell(runs, "W1a", "P", c), cell(runs, "W1a", "N", c))
           for c in concs}
    head = []
    for wl, name in (("W1", "package_show?id={name}"), ("W1a", "rest/dataset/{id}"),
                     ("W1b", "status_show")):
        c16 = [cell(runs, wl, s, 16) for s in ("ours", "P", "N")]
        if c16[0] and c16[1] and c16[2]:
            L = 1 / (1 / c16[1].rps + 1 / c16[2].rps) if c16[1].rps and c16[2].rps else None
            head.append("- **{} `{}`** at c=16: {} req/s, p99 {} ms — {:.2f}× P, {:.2f}× N, **{:.2f}× L**".format(
                wl, name, f0(c16[0].rps), fms(c16[0].p99), c16[0].rps / c16[1].rps,
                c16[0].rps / c16[2].rps, c16[0].rps / L if L else float("nan")))
    pool16 = cell(runs, "W1a-pool2", "ours", 16)
    if pool16:
        head.append("- W1a at c=16 with `--db-pool-max 2` (4 backends instead of up to 16): {} req/s, p99 {} ms".format(
            f0(pool16.rps), fms(pool16.p99)))
    w8 = cell(runs, "W8", "ours")
    if w8:
        head.append("- **W8** {} keep-alive connections: {} req/s, {} non-2xx, {} socket errors".format(
            meta.get("w8_conns", "?"), f0(w8.rps), w8.non2xx, w8.sockerr))
    import report_search
    report_search.headline(meta, runs, head)
    # the DataStore sections (report_ds.py) are built first: they add headline lines and goals
    import report_ds
    ds_out, ds_goals, ds_head = [], [], []
    report_ds.headline(meta, runs, work, ds_head)
    report_ds.sections(ds_out, meta, runs, work, ds_goals, ds_head)
    order = ["W3", "W3b", "W3c", "W4", "W5", "W5b", "W6"]

    def wl_rank(line):
        m = re.match(r"- \*\*(W[0-9a-z]+)", line)
        return order.index(m.group(1)) if m and m.group(1) in order else 99
    head.extend(sorted(ds_head, key=wl_rank))
    if head:
        o.append("## Headline")
        o.append("")
        o.extend(head)
        o.append("")
    notes = read_lines(os.path.join(work, "notes.txt"))
    if notes:
        o.append("**Notes from the run:**")
        o.append("")
        o.extend("- " + n for n in notes)
        o.append("")

    # ---- setup
    o.append("## Setup")
    o.append("")
    o.append("| | |")
    o.append("|---|---|")
    o.append("| machine | {} × {}, {} RAM, {}, kernel {} |".format(
        meta.get("nproc", "?"), meta.get("cpu", "?"), meta.get("mem", "?"), meta.get("os", "?"),
        meta.get("kernel", "?")))
    o.append("| load average (1, 5, 15 min) | at the start {}; when the search part started {}; when the DataStore "
             "part started {}; at the end {} (other work on the machine disturbs the absolute numbers) |".format(
                 meta.get("loadavg", "?"), meta.get("loadavg_search", "–"), meta.get("loadavg_ds", "–"),
                 meta.get("loadavg_end", "?")))
    o.append("| tools | wrk {}, nginx {}, pgbench {} |".format(meta.get("wrk", "?"), meta.get("nginx", "?"),
                                                            meta.get("pgbench", "?")))
    settings = ", ".join("`%s`" % s for s in read_lines(os.path.join(work, "pg_settings.txt")))
    o.append("| PostgreSQL | {}, throwaway cluster from `scripts/pg-local.sh` (Unix socket only): {} |".format(
        meta.get("pg_version", "?"), settings))
    o.append("| server | `opendatad serve --threads {} --access-log false` (one run with the access log on, "
             "below); pool `--db-pool-min 2 --db-pool-max 8` per thread (defaults), so {} connections when idle "
             "and up to 16 under load |".format(meta.get("threads", "?"), meta.get("server_conns_idle", "?")))
    o.append("| data | {} synthetic Taiwan metadata records (`tests/perf/gen_catalog.py --seed 1`, {:.1f} MB JSON): "
             "{} datasets, {} resources, {} tags, {} organisations; database {}, `package` {} |".format(
                 meta.get("records", "?"), (num(meta.get("catalog_bytes")) or 0) / 1e6,
                 meta.get("n_package", "?"), meta.get("n_resource", "?"), meta.get("n_tag", "?"),
                 meta.get("n_org", "?"), meta.get("db_size", "?"), meta.get("package_size", "?")))
    imp = num(meta.get("import_s"))
    nrec = num(meta.get("records"))
    again = num(meta.get("reimport_s"))
    o.append("| catalogue import | `opendata-import catalog` of the {} records: **{} s** ({} records/s; one "
             "transaction per record, pipelined); `{}`; the same file again (every record unchanged): **{} s** "
             "({} records/s), `{}`; `db init` {} s; then `VACUUM ANALYZE` (repeated runs, against main: "
             "`tests/perf/bench_import.sh`) |".format(
                 meta.get("records", "?"), meta.get("import_s", "?"),
                 f0(nrec / imp) if imp and nrec else "–", meta.get("import_summary", "?"),
                 meta.get("reimport_s", "?"), f0(nrec / again) if again and nrec else "–",
                 meta.get("reimport_summary", "?"), meta.get("db_init_s", "?")))
    o.append("| load | `wrk -t2 -c{{1,16,64}} -d{d}s --latency --timeout {to}` (`-t1` at c=1: wrk needs a connection "
             "per thread), after a {w} s warm-up of each system at each concurrency; **{r} repetitions at c=16 "
             "({rb} for W1b), {ro} at c=1 and c=64**; W1 at c=1, 16 and 64, W1a, W1b and W2 at c=16 only, W2b at "
             "16 and 64 (the protocol asks c=1, 16, 64 and 20 s × 3 everywhere; shortened so that the whole run, "
             "search and DataStore workloads included, takes about 20 minutes); the median is reported; within a "
             "repetition ours, P and N run back to back |".format(
                 d=dur, to=meta.get("wrk_timeout", "?"), w=warm, r=reps, ro=reps_other, rb=meta.get("reps_w1b", reps)))
    o.append("| request mix | W1, W1a: a path picked at random per request (`tests/perf/paths.lua`) among {} datasets "
             "spread over the catalogue (W1 by CKAN name, W1a by Taiwan identifier), the same for ours, N (one "
             "captured body per path) and P (one pgbench script per dataset; pgbench takes at most 128 scripts) |".format(
                 meta.get("nids", "?")))
    o.append("| P connections | pgbench `-c` = the server's open database connections after its warm-up "
             "(`pg_stat_activity`, application_name opendatad), capped at the wrk `-c`; `-j 2` (`-j 1` at c=1) |")
    if meta.get("ds_rows"):
        o.append("| DataStore data | `tests/perf/gen_rows.py -n {} --seed 1` ({:.1f} MB CSV in {} s; the shape of "
                 "perf-research bench-ref/gen.sql: int id, 4 text incl. an md5 hex, date, 3 numeric, int), imported by W6 "
                 "as resource `{}` (table {}, indexes {}); filter column `district`, 368 values, {} rows per filter "
                 "value used |".format(meta.get("ds_rows"), (num(meta.get("ds_csv_bytes")) or 0) / 1e6,
                                        meta.get("ds_gen_s", "?"), meta.get("ds_rid", "?"),
                                        meta.get("w6_table_size", "?"), meta.get("w6_index_size", "?"),
                                        meta.get("ds_filter_rows", "?")))
        o.append("| DataStore load | W3 at c={{{}}} and W4 at c=16: `wrk -d{}s` ({} s at c=1), one repetition each, after a "
                 "{} s warm-up of ours, P and N; W3b, W3c, W5b: {} s runs; W5: {} repetitions (c=4: 2); load average when "
                 "the DataStore part started: {} |".format(",".join(meta.get("ds_concs", "").split()), dur,
                                                         meta.get("ds_short", "?"), meta.get("ds_warmup", "?"),
                                                         meta.get("ds_short", "?"), meta.get("w5_reps", "?"),
                                                         meta.get("loadavg_ds", "?")))
    o.append("")

    # ---- checks
    o.append("## Checks before timing")
    o.append("")
    for line in read_lines(os.path.join(work, "check.txt")):
        o.append("- " + line)
    sql = read_lines(os.path.join(work, "raw", "000-server-sql.txt"))
    if sql:
        o.append("- the SQL the server sent, from the PostgreSQL log (`log_min_duration_statement = 0` "
                 "for one request of each kind):")
        o.append("")
        o.append("```")
        o.extend(sql[:12])
        o.append("```")
    for raw, what, cut in (("000-search-server-sql", "the package_search statements", 100000),
                           ("000-ds-server-sql", "the DataStore statements", 700)):
        lines = read_lines(os.path.join(work, "raw", raw + ".txt"))
        if lines:
            o.append("- {}, from the PostgreSQL log (one request of each path file; `pgbench` runs each "
                     "request's own parameters):".format(what))
            o.append("")
            o.append("```")
            o.extend(l if len(l) <= cut else l[:cut] + " …" for l in lines)
            o.append("```")
    o.append("")

    # ---- W1
    goals = []
    for wl, title in (("W1", "W1 — CKAN `GET /api/3/action/package_show?id={name}` → "
                             "`SELECT body FROM ckan_package_show($1, $2, $3::ckan_viewer) body` "
                             "($3 NULL: anonymous; P writes it as a literal)"),
                      ("W1a", "W1a — Taiwan `GET /api/v1/rest/dataset/{identifier}` → `SELECT tw_dataset_show($1, $2)`"),
                      ("W1b", "W1b — `GET /api/3/action/status_show` → `SELECT ckan_status_show($1, $2, $3)`")):
        if not cell(runs, wl, "ours"):
            continue
        o.append("## " + title)
        o.append("")
        rows = workload_table(o, runs, wl, concs, meta)
        if "16" in rows:
            ours, p, n, P, N, L = rows["16"]
            goals.append((wl, "ours ≥ 0.8 × L (BENCH.md)", "%.2f × L" % (ours.rps / L) if L else "–",
                          bool(L) and ours.rps / L >= 0.8))
            goals.append((wl, "p99 < 5 ms at c=16", fms(ours.p99) + " ms", ours.p99 is not None and ours.p99 < 5))
            goals.append((wl, "≥ 0.4 × P, excellent ≥ 0.6 (perf-research §4)", "%.2f × P" % (ours.rps / P) if P else "–",
                          bool(P) and ours.rps / P >= 0.4))
            goals.append((wl, "≥ 0.15 × N, excellent ≥ 0.25 (perf-research §4)", "%.2f × N" % (ours.rps / N) if N else "–",
                          bool(N) and ours.rps / N >= 0.15))
            goals.append((wl, "≥ 15k req/s absolute (perf-research §4)", f0(ours.rps) + " req/s", ours.rps >= 15000))
        for c in concs:
            bad = [r for r in runs if r["workload"] == wl and r["system"] == "ours" and r["conc"] == c
                   and r["rep"] != "0" and ((num(r["non2xx"]) or 0) > 0 or (num(r["sockerr"]) or 0) > 0)]
            if bad:
                goals.append((wl, "zero non-2xx / socket errors at c=%s" % c, "errors", False))

    # variants of W1a
    base = cell(runs, "W1a", "ours", 16)
    ref, allv = cell(runs, "W1a-ref", "ours", 16), cell(runs, "W1a-all", "ours", 16)
    logv, pmin = cell(runs, "W1a-log", "ours", 16), cell(runs, "W1a-pmin", "P")
    pool16, pool64 = cell(runs, "W1a-pool2", "ours", 16), cell(runs, "W1a-pool2", "ours", 64)
    base64 = cell(runs, "W1a", "ours", 64)
    if ref or allv or logv or pmin or pool16:
        o.append("### W1a variants")
        o.append("")
        o.append("| variant | c | runs | req/s | p50 / p99 ms | max ms | vs |")
        o.append("|---|---|---|---|---|---|---|")

        def vrow(label, c, v, against, against_name):
            o.append("| {} | {} | {} | {} | {} / {} | {} | {} |".format(
                label, c, len(v.runs), f0(v.rps), fms(v.p50), fms(v.p99), maxlat(work, v),
                "%s × %s" % (f2(v.rps / against.rps), against_name) if against and against.rps else "–"))

        if base:
            vrow("W1a as above (median), access log off, pool max 8/thread", 16, base, None, "")
        if ref:
            vrow("reference run of the same 100-id mix, just before the next row", 16, ref, base, "W1a median")
        if allv:
            vrow("random id among all %s records" % meta.get("records", "?"), 16, allv, ref or base,
                 "reference" if ref else "W1a median")
        if logv:
            vrow("`--access-log true` (stderr to a file, %s lines; fresh server)" % meta.get("accesslog_lines", "?"),
                 16, logv, base, "W1a median")
        if pool16:
            vrow("`--db-pool-max 2` (2 threads × 2 = 4 backends; fresh server)", 16, pool16, base, "W1a median")
        if pool64:
            vrow("`--db-pool-max 2`", 64, pool64, base64, "W1a c=64")
        if pmin:
            pbase = cell(runs, "W1a", "P", 16)
            o.append("| P: pgbench -c {} (the pool minimum) instead of -c {} | 16 | 1 | {} | avg {} | – | {} |".format(
                pmin.conns, pbase.conns if pbase else "?", f0(pmin.rps), fms(pmin.p50),
                "%s × P" % f2(pmin.rps / pbase.rps) if pbase and pbase.rps else "–"))
        o.append("")
        if meta.get("accesslog_sample"):
            o.append("Access log line: `{}`".format(meta["accesslog_sample"].replace("`", "'")))
            o.append("")

    # ---- W8
    mem = [l.split("\t") for l in read_lines(os.path.join(work, "memory.tsv"))]
    memd = {m[0]: m for m in mem if len(m) >= 4}
    if w8:
        o.append("## W8 — {} concurrent keep-alive connections on W1a".format(meta.get("w8_conns", "?")))
        o.append("")
        o.append("`wrk -t2 -c{} -d{}s` with the W1a mix, right after the W1a/W1b runs (no separate warm-up).".format(
            meta.get("w8_conns", "?"), dur))
        o.append("")
        before, after = memd.get("W8 before"), memd.get("W8 after")
        o.append("| req/s | p50 / p99 ms | non-2xx | socket errors (connect+read+write+timeout) | "
                 "TCP connections established mid-run | server DB connections mid-run | server RSS before → during → after → +3 s (MiB) | VmHWM (MiB) |")
        o.append("|---|---|---|---|---|---|---|---|")
        seq = [memd.get(k) for k in ("W8 before", "W8 during", "W8 after", "W8 +3 s (connections closed)")]
        o.append("| {} | {} / {} | {} | {} | {} | {} | {} | {} |".format(
            f0(w8.rps), fms(w8.p50), fms(w8.p99), w8.non2xx, w8.sockerr,
            meta.get("w8_established", "?"), meta.get("w8_server_conns", "?"),
            " → ".join(mib(m[1]) if m else "?" for m in seq), mib(after[2]) if after else "?"))
        o.append("")
        goals.append(("W8", "0 errors", "%d non-2xx, %d socket errors" % (w8.non2xx, w8.sockerr),
                      w8.non2xx == 0 and w8.sockerr == 0))
        if after:
            peak = max(num(after[1]) or 0, num(after[2]) or 0)
            goals.append(("W8", "RSS ≤ 256 MiB", "VmHWM %s MiB" % mib(after[2]), peak <= 256 * 1024))

    report_search.sections(o, meta, runs, goals)
    o.extend(ds_out)
    goals.extend(ds_goals)

    # ---- goals
    if goals:
        o.append("## Goals")
        o.append("")
        o.append("| workload | goal | measured | |")
        o.append("|---|---|---|---|")
        for wl, g, m, b in goals:
            o.append("| {} | {} | {} | {} |".format(wl, g, m, ok(b)))
        o.append("")

    # ---- memory / CPU timeline
    if mem:
        o.append("## Server memory and CPU over the run")
        o.append("")
        o.append("Several server processes: the W1/W8 one, the search one (W2, W2b), one for W3/W3b/W3c/W4, "
                 "one for W5/W5b (CPU time restarts with each). RssAnon = the heap (RSS less mapped files).")
        o.append("")
        o.append("| point | VmRSS MiB | RssAnon MiB | VmHWM MiB | server CPU s (cumulative) |")
        o.append("|---|---|---|---|---|")
        for m in mem:
            if len(m) >= 4:
                o.append("| {} | {} | {} | {} | {} |".format(m[0], mib(m[1]), mib(m[4]) if len(m) > 4 else "–",
                                                          mib(m[2]), m[3]))
        o.append("")
    errs = read_lines(os.path.join(work, "raw", "000-server-log-errors.txt"))
    o.append("Server log (access log off): {} lines mentioning \"error\".".format(meta.get("server_errors", "?")))
    if errs:
        o.append("")
        o.append("```")
        o.extend(e[:300] for e in errs)
        o.append("```")
    o.append("")
    if meta.get("ds_server_errors") is not None or meta.get("w5_server_errors") is not None:
        derrs = read_lines(os.path.join(work, "raw", "000-ds-server-log-errors.txt"))
        o.append("DataStore servers' logs: {} lines mentioning \"error\" (W3/W3b/W3c/W4 server), {} (W5/W5b server).".format(
            meta.get("ds_server_errors", "?"), meta.get("w5_server_errors", "?")))
        if derrs:
            o.append("")
            o.append("```")
            o.extend(e[:300] for e in derrs)
            o.append("```")
        o.append("")

    # ---- the details, the raw outputs beside them, and the summary
    outdir = os.path.join(os.path.dirname(os.path.abspath(outpath)), "bench")
    meta["_outdir"] = outdir
    rawout = os.path.join(outdir, "raw")
    os.makedirs(rawout, exist_ok=True)
    for name in os.listdir(rawout):
        os.remove(os.path.join(rawout, name))
    rawdir = os.path.join(work, "raw")
    for name in sorted(os.listdir(rawdir)):
        with open(os.path.join(rawdir, name), "rb") as src, open(os.path.join(rawout, name), "wb") as dst:
            dst.write(src.read())
    o.append("## Raw outputs")
    o.append("")
    o.append("Every timed wrk and pgbench run, the imports, the response headers and the extra "
             "workloads' whole outputs: [raw/](raw/) (one file per run, named by its order, "
             "workload, system, concurrency and repetition).")
    o.append("")
    with open(os.path.join(outdir, "details.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(o).replace("# Benchmarks\n", "# Benchmarks — details\n", 1))
    import report_extras
    extras = report_extras.rows(work)
    for wl, what, ours, comp, ratio, goal, met in extras:
        if goal != "–":
            goals.append((wl, goal, "%s vs %s" % (ours, comp), bool(met)))
    with open(outpath, "w", encoding="utf-8") as f:
        f.write("\n".join(summary(meta, head, notes, extras, goals)))


def curves_section(meta):
    """The cost curves tests/perf/bench_curves.sh left in bench/curves (make bench runs it
    first): one row per curve, a column per size, and the drawings."""
    path = os.path.join(meta.get("_outdir", ""), "curves", "curves.tsv")
    rows = [l.split("\t") for l in read_lines(path)[1:] if l.count("\t") == 3]
    if not rows:
        return []
    cm = {}
    for line in read_lines(os.path.join(meta.get("_outdir", ""), "curves", "meta.txt")):
        k, _, v = line.partition("=")
        cm[k] = v
    s = ["## Cost curves", "",
         "The same workloads on growing data, one short run per point "
         "(`tests/perf/bench_curves.sh`, run by `make bench` before the rest; this run: {} at "
         "commit `{}`, load average {} at its end; each point's summary in "
         "[bench/curves/](bench/curves/)); ".format(cm.get("date", "?"), cm.get("commit", "?"),
                                                     cm.get("loadavg", "?")) +
         "each cell is ours relative to the workload's comparator (1.0 = as fast), so a falling "
         "row is where the server adds cost as the work grows.", ""]
    for kind, unit in (("W1", "datasets"), ("W3", "rows")):
        mine = [r for r in rows if (r[0].startswith("W1") or r[0].startswith("W2")) == (kind == "W1")]
        sizes = sorted({int(r[1]) for r in mine})
        if not sizes:
            continue
        s.append("| curve (ratio) | " + " | ".join("{:,} {}".format(n, unit) for n in sizes) + " |")
        s.append("|---" * (len(sizes) + 1) + "|")
        for name in dict.fromkeys(r[0] for r in mine):
            cells = {int(r[1]): r[2] for r in mine if r[0] == name}
            of = next(r[3] for r in mine if r[0] == name)
            s.append("| [{}](bench/curves/{}.svg) ({}) | ".format(name, name, of) +
                     " | ".join((cells.get(n) or "–") for n in sizes) + " |")
        s.append("")
    return s


def summary(meta, head, notes, extras, goals):
    """docs/BENCHMARKS.md: what a reader needs first; everything else is in bench/details.md."""
    quick = meta.get("quick") == "1"
    s = ["# Benchmarks", ""]
    s.append("Generated whole by `make bench` (`tests/perf/bench.sh`) on {} at commit `{}`{}, in "
             "**{}**. Do not edit: rerun it. `make bench` takes hours (its cost curves reach 200,000 datasets and 10M rows); "
             "`make bench-quick` (`BENCH_QUICK=1`: shorter runs, smaller data, no curves: those of the last `make bench` or `make bench-curves-quick` stay) about 10 minutes.".format(
                 meta.get("date", "?"), meta.get("commit", "?"),
                 " (working tree with %s uncommitted changes)" % meta["dirty"]
                 if meta.get("dirty", "0") not in ("0", "") else "",
                 "quick mode" if quick else "full mode"))
    s.append("")
    s.append("Every figure is a **ratio to a comparator run back to back in the same script**: P = "
             "`pgbench -n -M prepared` running the server's own SQL over the same socket, N = nginx "
             "serving the identical bytes, L = 1/(1/P + 1/N), C = `psql \\copy`/COPY of the same "
             "rows, H = a hand-written statement giving the same answer. Load generator, server, "
             "PostgreSQL and nginx share the machine's {} cores (load average at the start {}, at "
             "the end {}), so only the ratios carry over. Per-workload tables, the byte checks "
             "made before timing, CPU per request and memory: [bench/details.md](bench/details.md); "
             "every raw output: [bench/raw/](bench/raw/).".format(
                 meta.get("nproc", "?"), meta.get("loadavg", "?"), meta.get("loadavg_end", "?")))
    s.append("")
    if head:
        s += ["## Headline", ""] + head + [""]
    if extras:
        s += ["## Writes, uploads, the Filter API, nearest, languages", "",
              "Each from its own script on a throwaway cluster (`tests/perf/bench_extras.sh`); "
              "ratio = ours relative to the comparator (1.0 = as fast).", "",
              "| workload | what | ours | comparator | ratio |", "|---|---|---|---|---|"]
        for wl, what, ours, comp, ratio, goal, met in extras:
            s.append("| {} | {} | {} | {} | {} |".format(
                wl, what, ours, comp, "**%.2f×**" % ratio if ratio is not None else "–"))
        s.append("")
    if goals:
        s += ["## Goals", "", "| workload | goal | measured | |", "|---|---|---|---|"]
        s += ["| {} | {} | {} | {} |".format(wl, g, m, ok(b)) for wl, g, m, b in goals]
        s.append("")
    s += curves_section(meta)
    if notes:
        s += ["## Notes from the run", ""] + ["- " + n for n in notes] + [""]
    s += ["## Setup", "",
          "- machine: {} × {}, {} RAM, {}, kernel {}".format(
              meta.get("nproc", "?"), meta.get("cpu", "?"), meta.get("mem", "?"), meta.get("os", "?"),
              meta.get("kernel", "?")),
          "- PostgreSQL {} (throwaway cluster, Unix socket); wrk {}, nginx {}, pgbench {}".format(
              meta.get("pg_version", "?"), meta.get("wrk", "?"), meta.get("nginx", "?"),
              meta.get("pgbench", "?")),
          "- catalogue: {} synthetic Taiwan records; runs of {} s after {} s warm-ups, {} "
          "repetition(s) at c=16 (medians); concurrencies {}; DataStore table {} rows".format(
              meta.get("records", "?"), meta.get("duration", "?"), meta.get("warmup", "?"),
              meta.get("reps", "?"), meta.get("concs", "?"), meta.get("ds_rows", "–")),
          ""]
    return s

if __name__ == "__main__":
    main()
