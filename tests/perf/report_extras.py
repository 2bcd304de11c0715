"""report_extras.py — the figures of tests/perf/bench_extras.sh's workloads, read back from their
raw outputs (raw/extra-NAME.txt) as rows of (workload, what, ours, comparator, ratio, goal, met).
A ratio is always ours relative to the comparator, 1.0 = as fast; None when the output lacks it."""
import os
import re


def _read(work, name):
    try:
        with open(os.path.join(work, "raw", "extra-%s.txt" % name), encoding="utf-8",
                  errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _goal(ratio, least):
    return None if ratio is None or least is None else ratio >= least


def upsert(text, rows):
    m_copy = re.search(r"COPY into an empty table:\s+([\d.]+)\s+([\d.]+)", text)
    for label, key, least in (("all inserted", "all inserted:", 0.5),
                              ("all updated", "all updated:", None)):
        m = re.search(re.escape(key) + r"\s+([\d.]+)\s+([\d.]+)\s+COPY/upsert ([\d.]+) elapsed, "
                      r"([\d.]+) CPU", text)
        if not (m and m_copy):
            continue
        ratio = float(m.group(3))
        rows.append(("upsert", "`datastore_upsert` of 10,000 records, %s (CPU ratio %s)" % (
            label, m.group(4)), "%s ms" % m.group(1), "COPY %s ms" % m_copy.group(1), ratio,
            "≥ 0.5× COPY" if least else "–", _goal(ratio, least)))


def write(text, rows):
    for m in re.finditer(r"^\| (W9[ab]) (\S+) \| (\d+) \| (\d+) \| (\d+) \((\d+)\) \| ([\d.]+) \| (\d+) \|",
                         text, re.M):
        ratio = float(m.group(7))
        rows.append((m.group(1), "`%s` at c=%s (%s non-2xx)" % (m.group(2), m.group(3), m.group(8)),
                     "%s req/s" % m.group(4), "P %s tps (%s conns)" % (m.group(5), m.group(6)),
                     ratio, "≥ 0.7× P", _goal(ratio, 0.7)))


def upload(text, rows):
    m = re.search(r"until queryable: import ([\d.]+)s; upload [\d.]+s \+ xloader [\d.]+s = ([\d.]+)s", text)
    if m:
        imp, up = float(m.group(1)), float(m.group(2))
        rows.append(("upload", "an uploaded CSV until queryable (%s)" % (
            re.search(r"rows (\d+)", text).group(0) if re.search(r"rows (\d+)", text) else "?"),
            "%.2f s" % up, "opendata-import %.2f s" % imp, imp / up if up else None, "–", None))


def filter_(text, rows):
    for m in re.finditer(r"^(csv|csv-f|json)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+\d+\s+\d+\s+([\d.]+)",
                         text, re.M):
        rows.append(("filter", "`/v2/filter` format %s, %s rows" % (m.group(1), m.group(2)),
                     "%s s" % m.group(3), "COPY %s s" % m.group(4), float(m.group(5)), "–", None))


def nearest(text, rows):
    for line in text.splitlines():
        f = line.split("\t")
        if len(f) == 8 and f[0].isdigit() and re.match(r"^[\d.]+$", f[6]):
            rows.append(("nearest", "`datastore_nearest` limit 10, c=%s" % f[0], "%s req/s" % f[2],
                         "P %s tps" % f[5], float(f[6]), "–", None))


def lang(text, rows):
    for m in re.finditer(r"^(.+?)\s+/api/3\s+([\d.]+) req/s\s+/tc-data\s+([\d.]+) req/s\s+ratio ([\d.]+)",
                         text, re.M):
        rows.append(("lang", "`package_search` %s under /tc-data" % m.group(1).strip(),
                     "%s req/s" % m.group(3), "/api/3 %s req/s" % m.group(2), float(m.group(4)),
                     "–", None))


def pooler(text, rows):
    what = {"w1a": "W1a `rest/dataset/{id}`", "w1": "W1 `package_show`",
            "w3s": "`datastore_search` with a filter"}
    for m in re.finditer(r"^pooler (\S+)\s+direct\s+([\d.]+) req/s\s+session\s+([\d.]+) req/s "
                         r"\(([\d.]+)\)\s+transaction\s+([\d.]+) req/s \(([\d.]+)\)", text, re.M):
        for mode, rps, ratio in (("session", m.group(3), m.group(4)),
                                 ("transaction", m.group(5), m.group(6))):
            rows.append(("pooler", "%s through a PgBouncer %s pool, c=16" % (
                what.get(m.group(1), m.group(1)), mode), "%s req/s" % rps,
                "direct %s req/s" % m.group(2), float(ratio), "–", None))


def mixed(text, rows):
    m = re.search(r"^mixed p99 alone ([\d.]+) ms \((\d+) errors, (\d+) req\)\s+during import "
                  r"([\d.]+) ms \((\d+) errors, (\d+) req\)", text, re.M)
    if m:
        alone, during = float(m.group(1)), float(m.group(4))
        errors = int(m.group(2)) + int(m.group(5))
        rows.append(("W7", "p99 of a read mix (80%% W1, 15%% W3, 5%% W2; c=16) while a CSV import "
                     "runs, %d errors" % errors, "p99 %.1f ms" % during, "alone %.1f ms" % alone,
                     alone / during if during else None, "p99 ≤ 3× alone, no errors",
                     during <= 3 * alone and errors == 0))


PARSERS = (("upsert", upsert), ("write", write), ("upload", upload), ("filter", filter_),
           ("nearest", nearest), ("lang", lang), ("pooler", pooler),
           ("mixed", mixed))


def rows(work):
    out = []
    for name, parse in PARSERS:
        text = _read(work, name)
        if text is None:
            continue
        before = len(out)
        parse(text, out)
        if len(out) == before:
            out.append((name, "no figures in raw/extra-%s.txt (see it)" % name, "–", "–", None,
                        "–", None))
    return out
