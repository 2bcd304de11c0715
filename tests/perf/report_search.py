"""report_search.py — the package_search sections of docs/BENCHMARKS.md (W2, W2b and its
variants), from the work directory of tests/perf/bench.sh + bench_search.sh. Used by report.py.
Stdlib only."""
from report import cell, f0, f2, fms, load_range, num, workload_table

FACETS = '["organization","tags","res_format"]'


def ratio(a, b):
    return a / b if a is not None and b else None


def headline(meta, runs, head):
    o, p, n = (cell(runs, "W2", s, 16) for s in ("ours", "P", "N"))
    if o and p:
        head.append("- **W2 `package_search?q=word&facet.field=…&rows=10`** on {} datasets at c=16: {} req/s, "
                    "p99 {} ms — **{:.2f}× P**{}".format(
                        meta.get("search_n_package", "?"), f0(o.rps), fms(o.p99), o.rps / p.rps,
                        ", %.2f× N" % (o.rps / n.rps) if n and n.rps else ""))
    o, n = cell(runs, "W2b", "ours", 16), cell(runs, "W2b", "N", 16)
    if o and n:
        u = cell(runs, "W2b-u", "ours", 16)
        head.append("- **W2b `package_search` default page** (cached) at c=16: {} req/s, p99 {} ms — "
                    "**{:.2f}× N**{}".format(
                        f0(o.rps), fms(o.p99), o.rps / n.rps,
                        "; computed for every request (`--search-cache-mb 0`): %s req/s" % f0(u.rps)
                        if u else ""))


def cpu(v, col):
    return f0(v.cpu_us(col)) if v else "–"


def w2b_table(o, runs, rows, work):
    """rows: (label, workload, conc). ours vs N, and P where the workload has one."""
    o.append("| variant | c | ours req/s | N req/s | **ours/N** | P tps (pgbench -c) | ours/P | ours p50 / p99 ms "
             "| N p50 / p99 ms | CPU µs per request: server / PostgreSQL / nginx | ours non-2xx / socket errors |")
    o.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, wl, c in rows:
        ours, p, n = (cell(runs, wl, s, c) for s in ("ours", "P", "N"))
        if not ours:
            continue
        reps = len(ours.runs)
        o.append("| {} | {}{} | {} | {} | **{}** | {} | {} | {} / {} | {} / {} | {} / {} / {} | {} / {} |".format(
            label, c, " (×%d)" % reps if reps > 1 else "", f0(ours.rps), f0(n.rps if n else None),
            f2(ratio(ours.rps, n.rps if n else None)),
            "%s (%s)" % (f0(p.rps), p.conns) if p else "–", f2(ratio(ours.rps, p.rps if p else None)),
            fms(ours.p50), fms(ours.p99), fms(n.p50 if n else None), fms(n.p99 if n else None),
            cpu(ours, "server_cpu"), cpu(ours, "pg_cpu"), cpu(n, "nginx_cpu"), ours.non2xx, ours.sockerr))
    o.append("")
    lines = []
    for label, wl, c in rows:
        ours, n = cell(runs, wl, "ours", c), cell(runs, wl, "N", c)
        if ours and len(ours.runs) > 1:
            lines.append("- {} c={}: repetitions, req/s — ours {}; N {}".format(
                wl, c, ", ".join(f0(v) for v in ours.all_rps),
                ", ".join(f0(v) for v in (n.all_rps if n else []))))
    loads = load_range(work, [cell(runs, wl, s, c) for _, wl, c in rows for s in ("ours", "P", "N")])
    if loads:
        lines.append("- load average (1 min) before the timed runs: %s" % loads)
    if lines:
        o.extend(lines)
        o.append("")


def sections(o, meta, runs, goals):
    if not (cell(runs, "W2", "ours") or cell(runs, "W2b", "ours")):
        return
    imp = num(meta.get("search_import_s"))
    grown = (num(meta.get("search_records")) or 0) - (num(meta.get("records")) or 0)
    o.append("## Search data")
    o.append("")
    o.append("The W1 catalogue grown to {} records with the generator's next {} records (`gen_catalog.py -n {} "
             "--seed 1`: the first records are the W1 ones), imported by two `opendata-import catalog` processes "
             "at once in **{} s** ({} records/s; `{}`), then `VACUUM ANALYZE`: {} datasets, {} resources, {} tags; "
             "database {}, `ckan_search_doc` {} with its indexes. A fresh server for W2, W2b, W2b-f; another "
             "with `--search-cache-mb 0` for W2b-u. Load average when this part started: {}.".format(
                 meta.get("search_records", "?"), f0(grown), meta.get("search_records", "?"),
                 meta.get("search_import_s", "?"), f0(grown / imp) if imp and grown else "–",
                 meta.get("search_import_summary", "?").replace(";", "; "), meta.get("search_n_package", "?"),
                 meta.get("search_n_resource", "?"), meta.get("search_n_tag", "?"),
                 meta.get("search_db_size", "?"), meta.get("search_doc_size", "?"),
                 meta.get("loadavg_search", "?")))
    o.append("")
    o.append("Runs: `wrk -d{}s` after a {} s warm-up of ours, P and N; {} repetitions at c=16, one elsewhere; "
             "medians.".format(meta.get("duration", "?"), meta.get("search_warmup", "?"), meta.get("reps", "?")))
    o.append("")

    if cell(runs, "W2", "ours"):
        o.append("## W2 — `package_search?q=WORD&facet.field={}&rows=10` → one prepared statement".format(FACETS))
        o.append("")
        o.append("WORD picked at random per request among the generator's q mix; the datasets each one finds "
                 "(count in the answer, share of the catalogue): {}. The statement (below, Checks) finds the "
                 "matches with the GIN index on the weighted tsvector, ranks them (`ts_rank`), counts the three "
                 "facets over them and builds the whole result as JSON text, the 10 package dicts from the "
                 "`ckan_doc` cache; every value is a parameter, so the server keeps it prepared and PostgreSQL "
                 "settles on a generic plan. P runs that statement with each word's parameters as the server "
                 "sent them (one pgbench script per word).".format(meta.get("w2_counts", "?")))
        o.append("")
        concs = meta.get("w2_concs", "16").split()
        rows = workload_table(o, runs, "W2", concs, meta)
        if "16" in rows:
            ours, p, n, P, N, L = rows["16"]
            goals.append(("W2", "ours ≥ 0.85 × P at c=16 (BENCH.md)", "%.2f × P" % (ours.rps / P) if P else "–",
                          bool(P) and ours.rps / P >= 0.85))
            bad = ours.non2xx + ours.sockerr
            goals.append(("W2", "zero non-2xx / socket errors", "%d / %d" % (ours.non2xx, ours.sockerr), bad == 0))

    if cell(runs, "W2b", "ours"):
        o.append("## W2b — `package_search` without q: the default page, from the cache")
        o.append("")
        o.append("Answers without q are kept in the server process (`server/ckan/search_cache.c`) with the generation "
                 "of `ckan_search_gen` their statement saw; every committed change of the documents bumps it in "
                 "the writing transaction (sql/migrations/012, 013). Each request waits for one read of the generation sent after "
                 "it arrived (`SELECT gen FROM ckan_search_gen`, one for all the requests of a thread that arrived "
                 "meanwhile) and is answered from the cache when it matches. N serves the same bytes ({} bytes; "
                 "{} bytes with the facets). W2b-u: a server with `--search-cache-mb 0` computes the page for "
                 "every request (an index-only count and the first rows of an index, sql/migrations/013), P running its "
                 "statement.".format(meta.get("w2b_bytes", "?"), meta.get("w2bf_bytes", "?")))
        o.append("")
        rows = [("W2b default page", "W2b", c) for c in meta.get("w2b_concs", "16").split()]
        rows += [("W2b-f with `facet.field=%s`" % FACETS, "W2b-f", "16"),
                 ("W2b-u computed for every request (no cache)", "W2b-u", "16")]
        w2b_table(o, runs, rows, meta.get("_work", ""))
        ours, n = cell(runs, "W2b", "ours", 16), cell(runs, "W2b", "N", 16)
        if ours and n:
            goals.append(("W2b", "ours ≥ 0.5 × N at c=16 (BENCH.md)", "%.2f × N" % (ours.rps / n.rps),
                          ours.rps / n.rps >= 0.5))
            goals.append(("W2b", "zero non-2xx / socket errors", "%d / %d" % (ours.non2xx, ours.sockerr),
                          ours.non2xx + ours.sockerr == 0))
