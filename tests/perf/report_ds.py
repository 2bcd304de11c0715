"""report_ds.py — the DataStore sections of docs/BENCHMARKS.md (W6, W3, W3b, W3c, W4, W5, W5b),
from the work directory of tests/perf/bench.sh + bench_ds.sh. Used by report.py. Stdlib only."""
import os
import re
import statistics

from report import Cell, cell, f0, f2, fms, mib, num, read_lines, workload_table


def fs(v, nd=2):
    return "–" if v is None else "{:.{}f}".format(v, nd)


def ratio(a, b):
    return a / b if a is not None and b else None


def raw_result(work, raw):
    """key → value of the BENCH_RESULT line of a wrk output."""
    for line in read_lines(os.path.join(work, "raw", raw + ".txt")):
        if line.startswith("BENCH_RESULT"):
            return dict(kv.partition("=")[::2] for kv in line.split()[1:])
    return {}


def L_of(p, n):
    return 1 / (1 / p.rps + 1 / n.rps) if p and n and p.rps and n.rps else None


def mem_rows(work):
    out = {}
    for line in read_lines(os.path.join(work, "memory.tsv")):
        m = line.split("\t")
        if len(m) >= 4:
            out[m[0]] = m
    return out


def mem_cell(m, i):
    return mib(m[i]) if m and len(m) > i else "–"


def kb(m, i):
    return num(m[i]) if m and len(m) > i else None


# ---- W6 ------------------------------------------------------------------------------------------

PHASES = [  # (label, predicate on (state, query))
    ("COPY (binary, FREEZE) into the staging table", lambda st, q: q.startswith("COPY ")),
    ("primary key on _id", lambda st, q: "ADD PRIMARY KEY" in q),
    ("ANALYZE", lambda st, q: q.startswith("ANALYZE")),
    ("trigram GIN index for q (`_search`)", lambda st, q: "CREATE INDEX" in q and "_search" in q),
    ("filter btree indexes (column, _id) (`_f1`..)", lambda st, q: "CREATE INDEX" in q and "_search" not in q),
    ("raw file version (large object)", lambda st, q: st.startswith("fastpath") or "lo_" in q
     or "resource_version" in q),
]


def w6_phases(work, t0):
    """[(label, first seen s, last seen s, samples)] from the 0.2 s pg_stat_activity samples."""
    seen = {}
    for line in read_lines(os.path.join(work, "w6-poll.txt")):
        f = line.split("|", 2)
        if len(f) < 3 or num(f[0]) is None:
            continue
        t, st, q = num(f[0]) - t0, f[1], f[2]
        for label, pred in PHASES:
            if pred(st, q):
                a = seen.setdefault(label, [t, t, 0])
                a[1] = t
                a[2] += 1
                break
    return [(lb, seen[lb][0], seen[lb][1], seen[lb][2]) for lb, _ in PHASES if lb in seen]


def w6_section(o, meta, work, goals, head):
    if "w6_s" not in meta:
        return
    t0 = num(meta.get("w6_start"))
    q = num(meta.get("w6_queryable"))
    total = num(meta.get("w6_s"))
    search_at = num(meta.get("w6_search_at"))
    c = num(meta.get("w6c_s"))
    c2 = num(meta.get("w6c2_s"))
    steps = [num(x) for x in meta.get("w6c_steps", "").split()]
    rss = num(meta.get("w6_maxrss_kb"))
    o.append("## W6 — `opendata-import csv` of the {} MB, {}-row CSV until queryable".format(
        fs((num(meta.get("ds_csv_bytes")) or 0) / 1e6, 1), meta.get("ds_rows", "?")))
    o.append("")
    o.append("`opendata-import csv rows.csv --resource-id {} --dataset <an existing dataset> --verbosity 3` "
             "(the resource is created in the swap transaction), timed from the start of the process. "
             "\"Queryable\" = the importer's info line after the swap committed (type inference on a "
             "10,000-row sample, encoding check, binary COPY FREEZE into a staging table, primary key, "
             "ANALYZE, swap); the indexes built after the swap follow, while the data is already served. "
             "Phases from `pg_stat_activity` sampled every 0.2 s (±0.2 s). Comparators, same file, same "
             "cluster, a `CHECKPOINT` before each: C = one `psql \\copy` into a fresh typed table + "
             "`ADD PRIMARY KEY (id)` + `ANALYZE`; C2 = the same with two concurrent `\\copy` streams (the file "
             "split in halves beforehand, not timed).".format(meta.get("ds_rid", "?")))
    o.append("")
    o.append("| | ours | C: psql \\copy | C2: 2 × \\copy | ours / C | ours / C2 |")
    o.append("|---|---|---|---|---|---|")
    o.append("| **until queryable** (s) | **{}** | {} | {} | **{}** | {} |".format(
        fs(q), fs(c), fs(c2), fs(ratio(q, c)), fs(ratio(q, c2))))
    o.append("| until every index is built and the raw file is stored (s) | {} | – | – | – | – |".format(fs(total)))
    o.append("| PostgreSQL CPU s (all processes) | {} | {} | – | | |".format(
        meta.get("w6_pg_cpu", "–"), meta.get("w6c_pg_cpu", "–")))
    o.append("| client CPU s (user + sys) / max RSS | {} + {} / **{} MiB** | – | – | | |".format(
        meta.get("w6_user_s", "–"), meta.get("w6_sys_s", "–"), mib(rss)))
    o.append("")
    if len(steps) >= 4:
        o.append("C steps (psql `\\timing`): CREATE TABLE {} s, `\\copy` {} s, primary key {} s, ANALYZE {} s. "
                 "C2: the two `\\copy` streams {} s, then primary key + ANALYZE.".format(
                     fs(steps[0], 3), fs(steps[1]), fs(steps[2]), fs(steps[3]),
                     fs(num(meta.get("w6c2_copy_s")))))
        o.append("")
    o.append("Importer's own log: `{}`; `{}`; `{}`.".format(
        meta.get("w6_log_loaded", "?"), meta.get("w6_log_phases", "?"), meta.get("w6_log_search", "?")))
    o.append("")
    ph = w6_phases(work, t0) if t0 else []
    if ph:
        o.append("| phase (from pg_stat_activity) | from (s) | to (s) | ≈ duration (s) |")
        o.append("|---|---|---|---|")
        for lb, a, b, n in ph:
            o.append("| {} | {} | {} | {} |".format(lb, fs(a, 1), fs(b, 1), fs(b - a + 0.2, 1)))
        o.append("| (process start → exit) | 0 | {} | {} |".format(fs(total, 1), fs(total, 1)))
        o.append("")
    o.append("Result: {} rows, types `{}`; table {}, indexes {} (`{}`); raw version {}.".format(
        meta.get("w6_rows", "?"), meta.get("w6_fields", "?"), meta.get("w6_table_size", "?"),
        meta.get("w6_index_size", "?"), meta.get("w6_indexes", "?"), meta.get("w6_version", "?")))
    o.append("")
    if q is not None and c:
        goals.append(("W6", "until queryable ≤ 1.1 × C (psql \\copy + PK + ANALYZE)", "%.2f × C (%s s vs %s s)" % (q / c, fs(q), fs(c)), q / c <= 1.1))
    if q is not None and c2:
        goals.append(("W6", "stretch: ≤ 1.0 × C2 (two streams)", "%.2f × C2" % (q / c2), q / c2 <= 1.0))
    if q is not None:
        goals.append(("W6", "≤ 5 s until queryable (perf-research §4)", fs(q) + " s", q <= 5))
    if total is not None and c:
        goals.append(("W6", "every index and the raw version done ≤ 3 × C",
                      "%.2f × C (%s s vs %s s)" % (total / c, fs(total), fs(c)), total / c <= 3))
    if rss is not None:
        goals.append(("W6", "importer RSS ≤ 64 MiB", mib(rss) + " MiB", rss <= 64 * 1024))
    if q is not None and c:
        head.append("- **W6** import of {} rows: queryable in **{} s** = **{:.2f}× C** (`psql \\copy` + PK + ANALYZE, {} s), "
                    "{:.2f}× C2 (two streams, {} s); all indexes + raw version after {} s = {}× C; importer max RSS {} MiB".format(
                        meta.get("ds_rows", "?"), fs(q), q / c, fs(c), ratio(q, c2) or float("nan"), fs(c2),
                        fs(total, 0), fs(ratio(total, c), 1), mib(rss)))


# ---- W3 / W4 ---------------------------------------------------------------------------------------

def hand_table(o, runs, wl, concs):
    rows = []
    for c in concs:
        p, h = cell(runs, wl, "P", c), cell(runs, wl, "H", c)
        if p and h:
            rows.append("| {} | {} ({}) | {} | {} | **{}** |".format(
                c, f0(p.rps), p.conns, f0(h.rps), fms(h.p50), f2(ratio(p.rps, h.rps))))
    if rows:
        o.append("Server SQL vs a hand-written equivalent — H: one prepared statement returning the same "
                 "100 records as JSON (same keys and values) and the same exact count, with a cached plan "
                 "(`raw/000-ds-hand-written-sql`):")
        o.append("")
        o.append("| c | P tps (pgbench -c) | H tps | H latency avg ms | **P / H** |")
        o.append("|---|---|---|---|---|")
        o.extend(rows)
        o.append("")


def search_goals(goals, head, runs, wl, name, meta):
    o16, p16, n16 = cell(runs, wl, "ours", 16), cell(runs, wl, "P", 16), cell(runs, wl, "N", 16)
    h16 = cell(runs, wl, "H", 16)
    if not o16:
        return
    L = L_of(p16, n16)
    goals.append((wl, "ours ≥ 0.8 × L at c=16 (BENCH.md)", "%s × L" % f2(ratio(o16.rps, L)),
                  bool(L) and o16.rps / L >= 0.8))
    goals.append((wl, "p99 < 15 ms at c=16", fms(o16.p99) + " ms", o16.p99 is not None and o16.p99 < 15))
    goals.append((wl, "≥ 0.6 × P, excellent ≥ 0.8 (perf-research §4)", "%s × P" % f2(ratio(o16.rps, p16.rps if p16 else None)),
                  bool(p16 and p16.rps) and o16.rps / p16.rps >= 0.6))
    goals.append((wl, "≥ 2k req/s absolute (perf-research §4)", f0(o16.rps) + " req/s", o16.rps >= 2000))
    if o16.non2xx or o16.sockerr:
        goals.append((wl, "zero non-2xx / socket errors", "errors", False))
    head.append("- **{} `{}`** at c=16: {} req/s, p99 {} ms — {}× P, {}× N, **{}× L**{}".format(
        wl, name, f0(o16.rps), fms(o16.p99), f2(ratio(o16.rps, p16.rps if p16 else None)),
        f2(ratio(o16.rps, n16.rps if n16 else None)), f2(ratio(o16.rps, L)),
        "; the server's SQL reaches {}× the throughput of a hand-written equivalent (H)".format(f2(ratio(p16.rps, h16.rps)))
        if p16 and h16 else ""))


def w3_sections(o, meta, runs, work, goals):
    concs = meta.get("ds_concs", "1 16").split()
    if cell(runs, "W3", "ours"):
        o.append("## W3 — `datastore_search?resource_id=…&filters={\"district\":D}&sort=_id&limit=100` → `SELECT ckan_datastore_search($1::jsonb)`")
        o.append("")
        o.append("D random per request among 32 values, each matching {} of the {} rows (1/368); exact total "
                 "(the server counts the filtered rows). P runs the server's statement with the parameter "
                 "the server sent for each of the 32 requests (from the PostgreSQL log), one pgbench script each.".format(
                     meta.get("ds_filter_rows", "?"), meta.get("ds_rows", "?")))
        o.append("")
        workload_table(o, runs, "W3", concs, meta)
        hand_table(o, runs, "W3", concs)
        l50, l55 = cell(runs, "W3-l50", "ours", 1), cell(runs, "W3-l55", "ours", 1)
        if l50 and l55:
            o.append("Body size step, c=1, keep-alive ({} s runs): the same requests with `limit=50` ({} bytes) → "
                     "{} req/s, p50 {} ms; with `limit=55` ({} bytes) → {} req/s, p50 {} ms. Above 16 KiB the reply "
                     "leaves in two writes (libevent's bufferevents write at most 16,384 bytes at a time) and "
                     "the second, shorter than a segment, waits under Nagle's algorithm for the client's "
                     "delayed ACK (40 ms on Linux): the server's sockets do not set `TCP_NODELAY`.".format(
                         meta.get("ds_short", "?"), f0(num(meta.get("w3_l50_bytes"))), f0(l50.rps), fms(l50.p50),
                         f0(num(meta.get("w3_l55_bytes"))), f0(l55.rps), fms(l55.p50)))
            o.append("")
    if cell(runs, "W4", "ours"):
        o.append("## W4 — Taiwan `GET /api/v1/rest/datastore/{rid}?filters=…&sort=_id&limit=100` → `SELECT tw_datastore($1, $2::jsonb, $3, …, $5, $6::bigint, $7::bigint)`")
        o.append("")
        o.append("The same 32 filter values; c=16 only. In P, the parameters the server sent as NULL "
                 "(q, fields, offset) are literal NULLs (pgbench variables cannot be NULL).")
        o.append("")
        workload_table(o, runs, "W4", ["16"], meta)
        hand_table(o, runs, "W4", ["16"])

    # W3b
    w3o, w3p, w3n = cell(runs, "W3", "ours", 16), cell(runs, "W3", "P", 16), cell(runs, "W3", "N", 16)
    L3 = L_of(w3p, w3n)
    variants = [("W3b-f", "filtered (as W3) + `offset=900000` (past the ~2.7k matches)", ""),
                ("W3b-u", "unfiltered, `sort=_id&limit=100&offset=900000`", ""),
                ("W3b-k", "unfiltered, `limit=100&offset=900000` (no sort parameter)", "")]
    rows = []
    for wl, label, sql in variants:
        ov, pv = cell(runs, wl, "ours", 16), cell(runs, wl, "P", 16)
        if not ov:
            continue
        rows.append("| {} {} | {} | {} / {} | {} ({}) | {} | **{}** |".format(
            wl, label, f0(ov.rps), fms(ov.p50), fms(ov.p99), f0(pv.rps if pv else None), pv.conns if pv else "–",
            f2(ratio(ov.rps, pv.rps if pv else None)), f2(ratio(ov.rps, L3))))
        goals.append((wl, "≥ 0.8 × L of W3 (c=16)", "%s × L(W3)" % f2(ratio(ov.rps, L3)),
                      bool(L3) and ov.rps / L3 >= 0.8))
    if rows:
        o.append("## W3b — deep offsets, c=16")
        o.append("")
        o.append("{} s runs after a {} s warm-up; ours and P (the server's statements from the log). The goal compares with L of W3 at c=16 ({} req/s).".format(
            meta.get("ds_short", "?"), meta.get("ds_warmup", "?"), f0(L3)))
        o.append("")
        o.append("| variant | ours req/s | ours p50 / p99 ms | P tps (pgbench -c) | ours/P | **ours / L(W3)** |")
        o.append("|---|---|---|---|---|---|")
        o.extend(rows)
        o.append("")
        sqls = [(wl, meta.get(wl.lower().replace("-", "_") + "_sql")) for wl, _, _ in variants]
        if any(q for _, q in sqls):
            o.append("The SELECT each variant runs (`ds_select_sql`, sql/functions/06; the column list shortened):")
            o.append("")
            for wl, q in sqls:
                if q:
                    short = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", q)
                    kind = "OFFSET" if "OFFSET" in q else "keyset"
                    o.append("- {} ({}): `{}`".format(wl, kind, short))
            o.append("")

    # W3c
    oc1, pc1, oc4 = cell(runs, "W3c", "ours", 1), cell(runs, "W3c", "P", 1), cell(runs, "W3c", "ours", 4)
    if oc1:
        cc, cj = num(meta.get("w3c_c_csv_s")), num(meta.get("w3c_c_json_s"))
        ot = oc1.p50 / 1000 if oc1.p50 else None
        pt = pc1.p50 / 1000 if pc1 and pc1.p50 else None
        m = mem_rows(work)
        b, a1, a4, a5 = (m.get(k) for k in ("W3c before", "W3c after c=1", "W3c after c=4", "W3c +2 s"))
        o.append("## W3c — `datastore_search?resource_id=…&limit=32000` (32,000 rows, {} MB of JSON)".format(
            fs((num(meta.get("w3c_body_bytes")) or 0) / 1e6, 1)))
        o.append("")
        o.append("ours: wrk c=1 for {} s (the p50 latency is the time of one request); P: pgbench c=1, the server's "
                 "statement; C: `\\copy (the SELECT the SQL function runs) TO /dev/null WITH (FORMAT csv)`, median of 5 "
                 "(psql `\\timing`); C-json: the same rows as one `json_agg(json_build_object(…))` value, median of 5. "
                 "SELECT: `{}`.".format(meta.get("ds_short", "?"), meta.get("w3c_sql", "?")))
        o.append("")
        o.append("| ours s (p50) | P s (avg) | C csv s | C-json s | **ours / C** | ours / C-json | ours / P | ours c=4 req/s (p50 ms) |")
        o.append("|---|---|---|---|---|---|---|---|")
        o.append("| {} | {} | {} | {} | **{}** | {} | {} | {} ({}) |".format(
            fs(ot, 3), fs(pt, 3), fs(cc, 3), fs(cj, 3), f2(ratio(ot, cc)), f2(ratio(ot, cj)), f2(ratio(ot, pt)),
            f2(oc4.rps) if oc4 else "–", fms(oc4.p50) if oc4 else "–"))
        o.append("")
        o.append("Server memory (the server started for W3/W3b/W3c/W4; MiB): VmRSS {} → {} (after c=1) → {} (after c=4) → {} (+2 s); "
                 "RssAnon {} → {} → {} → {}; VmHWM {} → {}.".format(
                     mem_cell(b, 1), mem_cell(a1, 1), mem_cell(a4, 1), mem_cell(a5, 1),
                     mem_cell(b, 4), mem_cell(a1, 4), mem_cell(a4, 4), mem_cell(a5, 4),
                     mem_cell(b, 2), mem_cell(a5, 2)))
        o.append("")
        if ot and cc:
            goals.append(("W3c", "time ≤ 1.2 × C (\\copy of the same query)", "%.2f × C (%s s vs %s s)" % (ot / cc, fs(ot, 3), fs(cc, 3)), ot / cc <= 1.2))
        gb, ga = kb(b, 1), kb(a5, 1)
        if gb is not None and ga is not None:
            goals.append(("W3c", "server RSS growth < 64 MiB (VmRSS before → 2 s after the c=1 and c=4 runs)",
                          "%s MiB (%s → %s)" % (fs((ga - gb) / 1024, 1), mib(gb), mib(ga)), ga - gb < 64 * 1024))


# ---- W5 / W5b ----------------------------------------------------------------------------------------

def w5_sections(o, meta, runs, work, goals, head=None):
    rows = [l.split("\t") for l in read_lines(os.path.join(work, "w5.tsv"))]
    if not rows:
        return
    by = {}
    for k, rep, s, size in rows:
        by.setdefault(k, []).append((num(s), num(size)))
    med = lambda k: statistics.median([s for s, _ in by[k] if s is not None]) if by.get(k) else None
    o1, o4, c, cp = med("ours1"), med("ours4"), med("C"), med("COPY")
    csv_bytes = None
    ent = meta.get("w5_entry", "")
    if ent.split():
        csv_bytes = num(ent.split()[0])
    zb = num(meta.get("w5_zip_bytes"))
    cz = by.get("C", [(None, None)])[0][1]
    o.append("## W5 — Taiwan dump `GET /api/v1/dump/datastore/{rid}?format=csv`, first request (zip built on a dump worker)")
    o.append("")
    o.append("Deflate level {}; the cached zips are deleted before each first request; a fresh server for W5/W5b. "
             "ours = curl's total time (metadata query, the build: COPY → CSV → deflate → temp file → rename, then the "
             "{:.0f} MB reply over loopback); c=4 = four concurrent first requests, time until the last one is done. "
             "C = `psql -c \"\\copy (the dump's SELECT) TO STDOUT WITH (FORMAT csv, HEADER)\" | zip -q -1 c.zip -`; "
             "COPY = the same `\\copy` to /dev/null. Medians of {} runs (c=4: 2), back to back (ours, C, COPY).".format(
                 meta.get("w5_level", "?"), (num(meta.get("w5_zip_bytes")) or 0) / 1e6, meta.get("w5_reps", "?")))
    o.append("")
    o.append("| | ours c=1 | ours c=4 | C: \\copy \\| zip -1 | COPY alone | **ours c=1 / C** | ours c=4 / C | ours c=1 / COPY |")
    o.append("|---|---|---|---|---|---|---|---|")
    o.append("| s | {} | {} | {} | {} | **{}** | {} | {} |".format(
        fs(o1), fs(o4), fs(c), fs(cp), f2(ratio(o1, c)), f2(ratio(o4, c)), f2(ratio(o1, cp))))
    o.append("| all runs (s) | {} | {} | {} | {} | | | |".format(*(
        ", ".join(fs(s) for s, _ in by.get(k, [])) for k in ("ours1", "ours4", "C", "COPY"))))
    o.append("| zip bytes | {} | | {} | | | | |".format(f0(zb), f0(cz)))
    o.append("")
    o.append("Server build times (log, ms): {} ({} builds for {} rounds of first requests: the four concurrent "
             "requests of a c=4 round share one build). "
             "CSV {} bytes in the zip; compression {}× (ours), {}× (zip -1). Header ours: `{}`; COPY: `{}`.".format(
                 meta.get("w5_build_ms", "?"), meta.get("w5_builds", "?"), 2 + int(num(meta.get("w5_reps")) or 0),
                 f0(csv_bytes), f2(ratio(csv_bytes, zb)), f2(ratio(csv_bytes, cz)),
                 meta.get("w5_header_ours", "?"), meta.get("w5_header_c", "?")))
    o.append("")
    m = mem_rows(work)
    pts = [k for k in m if k.startswith("W5")]
    if pts:
        o.append("| point | VmRSS MiB | RssAnon MiB | RssFile MiB | VmHWM MiB |")
        o.append("|---|---|---|---|---|")
        for k in pts:
            o.append("| {} | {} | {} | {} | {} |".format(k, mem_cell(m[k], 1), mem_cell(m[k], 4), mem_cell(m[k], 5), mem_cell(m[k], 2)))
        o.append("")
    if o1 and c:
        goals.append(("W5", "c=1 time ≤ 1.1 × C (\\copy \\| zip -1)", "%.2f × C (%s s vs %s s)" % (o1 / c, fs(o1), fs(c)), o1 / c <= 1.1))
    if o4 and c:
        goals.append(("W5", "c=4 time ≤ 1.1 × C", "%.2f × C" % (o4 / c), o4 / c <= 1.1))
    if o1:
        goals.append(("W5", "≤ 5 s at level 1 (perf-research §4)", fs(o1) + " s", o1 <= 5))
    fresh = m.get("W5 fresh server")
    last = [m[k] for k in pts if k.startswith("W5 after ours c=4")]
    pk = [num(x) for x in meta.get("w5_rss_peaks", "").split()]
    if len(pk) == 3:
        o.append("Sampled every 0.1 s during all the first requests: peak VmRSS {} MiB, peak RssAnon {} MiB, peak RssFile {} "
                 "MiB (the fresh server: VmRSS {} MiB, RssAnon {} MiB). RssFile is the zip mapped while it is sent "
                 "(see W5b), once per request in flight.".format(mib(pk[0]), mib(pk[1]), mib(pk[2]),
                                                                mem_cell(fresh, 1), mem_cell(fresh, 4)))
        o.append("")
    if fresh and len(pk) == 3:
        g = pk[1] - (kb(fresh, 4) or 0)
        goals.append(("W5", "server RSS flat (peak RssAnon − fresh server's < 32 MiB, perf-research §4)",
                      "%s MiB (peak VmRSS %s MiB incl. the mapped zip)" % (fs(g / 1024, 1), mib(pk[0])), g < 32 * 1024))
    elif fresh and last:
        g = (kb(last[-1], 4) or 0) - (kb(fresh, 4) or 0)
        goals.append(("W5", "server RSS flat (RssAnon growth < 32 MiB over all first requests)", "%s MiB" % fs(g / 1024, 1), g < 32 * 1024))
    ut = meta.get("w5_unzip_t", "")
    goals.append(("W5", "`unzip -t` passes; CSV rows byte-identical to COPY", ut or "?",
                  "No errors" in ut and meta.get("bad_w5", "0") == "0"))
    if head is not None and o1 and c:
        head.append("- **W5** dump of {} rows (csv.zip, level 1): first request **{} s** c=1 = **{:.2f}× C** (`\\copy | zip -1`, {} s), "
                    "{} s c=4 ({}× C); COPY alone {} s".format(meta.get("ds_rows", "?"), fs(o1), o1 / c, fs(c), fs(o4),
                                                              f2(ratio(o4, c)), fs(cp)))

    # W5b
    ob, nb = cell(runs, "W5b", "ours", 4), cell(runs, "W5b", "N", 4)
    if ob:
        def gbs(v):
            if not v or not v.runs:
                return None
            r = raw_result(work, v.runs[0]["raw"])
            return num(r.get("bytes")) / num(r.get("duration_us")) * 1e6 / 1e9 if r.get("bytes") else None
        o.append("## W5b — the same dump again (cached zip) vs nginx serving the same file, c=4")
        o.append("")
        o.append("`wrk -c4 -d{}s` each after a {} s warm-up; nginx serves a copy of the cached zip (sendfile on, "
                 "`application/zip`).".format(meta.get("ds_short", "?"), meta.get("ds_warmup", "?")))
        o.append("")
        o.append("| ours req/s | N req/s | **ours/N** | ours GB/s | N GB/s | ours p50 / p99 ms | N p50 / p99 ms | non-2xx / socket errors |")
        o.append("|---|---|---|---|---|---|---|---|")
        o.append("| {} | {} | **{}** | {} | {} | {} / {} | {} / {} | {} / {} |".format(
            f2(ob.rps), f2(nb.rps if nb else None), f2(ratio(ob.rps, nb.rps if nb else None)), fs(gbs(ob)), fs(gbs(nb)),
            fms(ob.p50), fms(ob.p99), fms(nb.p50 if nb else None), fms(nb.p99 if nb else None), ob.non2xx, ob.sockerr))
        o.append("")
        wb, wa = m.get("W5b before"), m.get("W5b after ours")
        pk = [num(x) for x in meta.get("w5b_rss_peaks", "").split()]
        if len(pk) == 3:
            o.append("Sampled every 0.1 s during ours: peak VmRSS {} MiB, RssAnon {} MiB, RssFile {} MiB.".format(
                mib(pk[0]), mib(pk[1]), mib(pk[2])))
            o.append("")
        o.append("Server memory during W5b (MiB): VmRSS {} → {}, RssAnon {} → {}, RssFile {} → {}, VmHWM {} → {}. The cached "
                 "file is sent with `evbuffer_add_file` on a plain evbuffer, which libevent maps (mmap) and writes with "
                 "`writev` instead of `sendfile`: the mapped pages count in the server's RSS (RssFile) while replies are "
                 "in flight.".format(mem_cell(wb, 1), mem_cell(wa, 1), mem_cell(wb, 4), mem_cell(wa, 4),
                                     mem_cell(wb, 5), mem_cell(wa, 5), mem_cell(wb, 2), mem_cell(wa, 2)))
        o.append("")
        if nb and nb.rps:
            goals.append(("W5b", "≥ 0.9 × N (nginx, same zip)", "%.2f × N" % (ob.rps / nb.rps), ob.rps / nb.rps >= 0.9))
            if head is not None:
                head.append("- **W5b** cached dump, c=4: {} req/s ({} GB/s) = **{:.2f}× N**".format(
                    f2(ob.rps), fs(gbs(ob)), ob.rps / nb.rps))


def headline(meta, runs, work, head):
    """DataStore headline lines (W6 and W5 come from their sections)."""
    g = []
    search_goals(g, head, runs, "W3", "datastore_search filters, limit 100", meta)
    search_goals(g, head, runs, "W4", "rest/datastore filters, limit 100", meta)
    w3p, w3n = cell(runs, "W3", "P", 16), cell(runs, "W3", "N", 16)
    L3 = L_of(w3p, w3n)
    parts = []
    for wl, label in (("W3b-f", "filtered"), ("W3b-u", "unfiltered sort=_id"), ("W3b-k", "unfiltered, no sort")):
        v = cell(runs, wl, "ours", 16)
        if v:
            parts.append("{} {} req/s ({}× L of W3)".format(label, f0(v.rps), f2(ratio(v.rps, L3))))
    if parts:
        head.append("- **W3b** offset=900000 at c=16: " + "; ".join(parts))
    oc1 = cell(runs, "W3c", "ours", 1)
    cc = num(meta.get("w3c_c_csv_s"))
    if oc1 and oc1.p50:
        head.append("- **W3c** limit=32000: {} s per request = {}× C (`\\copy` CSV of the same rows, {} s); {}× the same rows as JSON built by PostgreSQL".format(
            fs(oc1.p50 / 1000, 3), f2(ratio(oc1.p50 / 1000, cc)), fs(cc, 3),
            f2(ratio(oc1.p50 / 1000, num(meta.get("w3c_c_json_s"))))))
    return g


def sections(o, meta, runs, work, goals, head_w65):
    """All DataStore sections; returns nothing (goals appended)."""
    w6_section(o, meta, work, goals, head_w65)
    search_goals(goals, [], runs, "W3", "", meta)
    w3_sections(o, meta, runs, work, goals)
    search_goals(goals, [], runs, "W4", "", meta)
    w5_sections(o, meta, runs, work, goals, head_w65)
