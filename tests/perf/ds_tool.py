#!/usr/bin/python3
"""ds_tool.py — helpers of tests/perf/bench.sh for the DataStore workloads (W3-W5b). Stdlib only.

    ds_tool.py paths RID OUTDIR [--districts 32]
        request paths, one file per workload (w3.txt, w3-l50.txt, w3-l55.txt, w4.txt, w3b-f.txt,
        w3b-u.txt, w3b-k.txt, w3c.txt, w5.txt) and districts.txt (the filter values used)
    ds_tool.py pgb NAME LOG_EXCERPT NPATHS OUTDIR
        from the PostgreSQL log of NPATHS requests (log_min_duration_statement = 0, one request
        after the other), the statements the server executed for each request and their
        parameters (one, or for a big page streamed its head statement and the COPY of its rows)
        → OUTDIR/NAME-K.sql (one pgbench script per request: the server's statement texts, each
        $n a pgbench variable, or NULL when the server sent NULL; a COPY ... TO STDOUT as its
        SELECT, which pgbench can run) and OUTDIR/NAME.args (the
        pgbench arguments, NUL-separated: -D var=value ... -f script ...), OUTDIR/NAME.check.sql
        (the first request's statement with its values as literals, for psql) and
        OUTDIR/NAME.stmt (the statement text)
    ds_tool.py pcheck BODY PSQL_OUT
        whether the server's statement (NAME.check.sql run by psql -XAtq -F US -R RS) gives the
        body's result: the text before and after the records, and as many records
    ds_tool.py hand NAME RID COLUMNS_TSV DISTRICTS STYLE OUTDIR
        the hand-written equivalent of a W3/W4 request (one statement: the same 100-row page
        as JSON with the same keys and values, and the exact filtered count), one pgbench script
        per filter value; STYLE ckan (numeric as JSON numbers) or tw (numeric as strings)
    ds_tool.py check KIND WWW PATHS COUNTS ROWS
        the captured bodies of PATHS (under WWW/q/<path>/<query>) are answers of KIND (w3, w4,
        w3b-f, w3b-u, w3b-k, w3c) with the right rows; COUNTS = district<TAB>rows. Prints one
        line; exit status 1 when a body does not check
    ds_tool.py items COLUMNS_TSV STYLE
        the arguments of json_build_object giving a record as the API shows it
    ds_tool.py body WWW PATH
        the file name a captured body of PATH is stored under (and that nginx serves)
    ds_tool.py compact
        stdin's JSON text without whitespace outside strings (as the Taiwan API sends its
        answers: server/core/jcompact.c) on stdout
"""
import json
import os
import re
import sys
import urllib.parse

RID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def body_file(www, path):
    p, _, q = path.partition("?")
    return os.path.join(www, "q" + p, q)


# ---- paths --------------------------------------------------------------------------------------

def cmd_paths(rid, outdir, nd=32):
    assert RID_RE.match(rid)
    ds = ["district_%d" % ((k * 11 + 5) % 368) for k in range(nd)]
    enc = lambda v: urllib.parse.quote(json.dumps({"district": v}, separators=(",", ":")), safe="")
    ck = "/api/3/action/datastore_search?resource_id=" + rid
    tw = "/api/v1/rest/datastore/" + rid
    files = {
        "w3": ["%s&filters=%s&sort=_id&limit=100" % (ck, enc(d)) for d in ds],
        "w4": ["%s?filters=%s&sort=_id&limit=100" % (tw, enc(d)) for d in ds],
        # W3 with a body just under / over 16 KiB (the step of libevent's 16 KiB writes)
        "w3-l50": ["%s&filters=%s&sort=_id&limit=50" % (ck, enc(d)) for d in ds],
        "w3-l55": ["%s&filters=%s&sort=_id&limit=55" % (ck, enc(d)) for d in ds],
        "w3b-f": ["%s&filters=%s&sort=_id&limit=100&offset=900000" % (ck, enc(d)) for d in ds],
        "w3b-u": ["%s&sort=_id&limit=100&offset=900000" % ck],
        "w3b-k": ["%s&limit=100&offset=900000" % ck],
        "w3c": ["%s&limit=32000" % ck],
        "w5": ["/api/v1/dump/datastore/%s?format=csv" % rid],
    }
    os.makedirs(outdir, exist_ok=True)
    for name, lines in files.items():
        with open(os.path.join(outdir, name + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, "districts.txt"), "w") as f:
        f.write("\n".join(ds) + "\n")


# ---- the server's SQL from the PostgreSQL log -----------------------------------------------------

EXEC_RE = re.compile(r"LOG:\s+duration: [0-9.]+ ms\s+execute ([^:]+): (.*)$")
DETAIL_RE = re.compile(r"DETAIL:\s+parameters: (.*)$")


def parse_params(s):
    """'$1 = 'a''b', $2 = NULL' → {1: "a'b", 2: None}"""
    out, i = {}, 0
    while i < len(s):
        m = re.compile(r"\$(\d+) = ").match(s, i)
        if not m:
            raise ValueError("cannot parse parameters at: " + s[i:i + 40])
        n, i = int(m.group(1)), m.end()
        if s.startswith("NULL", i):
            out[n], i = None, i + 4
        else:
            assert s[i] == "'", s[i:i + 20]
            i += 1
            buf = []
            while True:
                j = s.index("'", i)
                buf.append(s[i:j])
                if s.startswith("''", j):
                    buf.append("'")
                    i = j + 2
                else:
                    i = j + 1
                    break
            out[n] = "".join(buf)
        if s.startswith(", ", i):
            i += 2
    return out


# statements that are not a request's answer: the copy of a table's bookkeeping the server
# reads once per thread (server/datastore/ds_read.c)
NOT_ANSWERS = {"ds_read_meta"}


def executes(log_lines):
    """[(statement name, SQL, {n: value})] in log order, without NOT_ANSWERS."""
    out = []
    for k, line in enumerate(log_lines):
        m = EXEC_RE.search(line)
        if not m or m.group(1) in NOT_ANSWERS:
            continue
        params = {}
        if k + 1 < len(log_lines):
            d = DETAIL_RE.search(log_lines[k + 1])
            if d:
                params = parse_params(d.group(1))
        out.append((m.group(1), m.group(2), params))
    return out


COPY_RE = re.compile(r"^COPY \((.*)\) TO STDOUT$", re.S)


def requests_of(ex):
    """The statements grouped by request: one, or (a big page streamed by the server) its head
    statement followed by the COPY of its rows."""
    out = []
    for e in ex:
        if COPY_RE.match(e[1]) and out:
            out[-1].append(e)
        else:
            out.append([e])
    return out


def pgb_sql(sql):
    """A statement as pgbench can run it: a COPY ... TO STDOUT as its SELECT (pgbench takes no
    COPY; the server reads the same rows)."""
    m = COPY_RE.match(sql)
    return m.group(1) if m else sql


def lit(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def cmd_pgb(name, log, npaths, outdir):
    with open(log, encoding="utf-8", errors="replace") as f:
        reqs = requests_of(executes(f.read().splitlines()))
    if len(reqs) != npaths:
        print("%s: %d requests' statements in the log for %d requests" % (name, len(reqs), npaths))
        return 1
    stmts = {" + ".join(e[1] for e in req) for req in reqs}
    args = []
    for k, req in enumerate(reqs, 1):
        seen = set()
        lines = []
        for sname, sql, params in req:
            def var(m):
                i = int(m.group(1))
                v = params.get(i)
                if v is None:
                    return "NULL"
                vn = "%s_%d_%d" % (re.sub(r"\W", "_", name), k, i)
                if vn not in seen:
                    seen.add(vn)
                    args.extend(["-D", "%s=%s" % (vn, v)])
                return ":" + vn
            lines.append(re.sub(r"\$(\d+)", var, pgb_sql(sql)) + ";\n")
        path = os.path.join(outdir, "%s-%d.sql" % (name, k))
        with open(path, "w") as f:
            f.write("".join(lines))
        args.extend(["-f", path])
    with open(os.path.join(outdir, name + ".args"), "w") as f:
        f.write("\0".join(args) + "\0")
    sname, sql, params = reqs[0][0]
    with open(os.path.join(outdir, name + ".check.sql"), "w") as f:
        f.write(re.sub(r"\$(\d+)", lambda m: lit(params.get(int(m.group(1)))), sql) + ";\n")
    with open(os.path.join(outdir, name + ".stmt"), "w") as f:
        f.write("%s: %s\n" % (sname, " | ".join(sorted(stmts))))
        f.write("first request's parameters: %s\n" % ", ".join(
            "$%d = %s" % (i, lit(v)) for i, v in sorted(params.items())))
    print("%s: %d requests → %d statement text(s): %s" % (name, npaths, len(stmts), " | ".join(sorted(stmts))))
    return 0


def cmd_pcheck(body_file, psql_out):
    """Whether the server's statement (its rows as psql -F US -R RS prints them: the result's text
    before and after the records on the first, then a number and the values) gives the body's
    result: it starts with the text before the records and ends with the text after them, with
    as many records between."""
    body = open(body_file, encoding="utf-8").read()
    rows = [r.split("\x1f") for r in open(psql_out, encoding="utf-8").read().rstrip("\n").split("\x1e") if r]
    if not rows or len(rows[0]) < 3:
        return 1
    head, tail = rows[0][0], rows[0][1]
    nrec = 0 if rows[0][2] == "" else len(rows)
    tw = body.startswith('{"success":true,"result":')
    if tw:  # (the Taiwan API sends its answers without whitespace outside strings)
        head, tail = compact(head.encode()).decode(), compact(tail.encode()).decode()
    result = body[body.index('"result":') + len('"result":'):-1]
    recs = json.loads(body)["result"]["records"]
    ok = result.startswith(head) and result.endswith(tail) and len(recs) == nrec
    return 0 if ok else 1


# ---- hand-written equivalent ----------------------------------------------------------------------

def qi(s):
    return '"' + s.replace('"', '""') + '"'


def json_items(cols_tsv, style):
    """The arguments of json_build_object for a record: '_id', "_id", 'id', "id", ..."""
    cols = [l.split("\t") for l in open(cols_tsv).read().splitlines() if l]
    items = ["'_id', \"_id\""]
    for cid, ctype in cols:
        e = qi(cid) + ("::text" if ctype == "numeric" and style == "tw" else "")
        items.append("%s, %s" % (lit(cid), e))
    return items


def cmd_hand(name, rid, cols_tsv, districts, style, outdir):
    items = json_items(cols_tsv, style)
    table = "datastore." + qi(rid)
    args = []
    for k, d in enumerate(open(districts).read().split(), 1):
        path = os.path.join(outdir, "%s-%d.sql" % (name, k))
        with open(path, "w") as f:
            f.write("SELECT (SELECT coalesce(json_agg(json_build_object(%s)), '[]') FROM "
                    "(SELECT * FROM %s WHERE \"district\" = :d%d ORDER BY \"_id\" LIMIT 100) s)::text, "
                    "(SELECT count(*) FROM %s WHERE \"district\" = :d%d);\n"
                    % (", ".join(items), table, k, table, k))
        args.extend(["-D", "d%d=%s" % (k, d), "-f", path])
    with open(os.path.join(outdir, name + ".args"), "w") as f:
        f.write("\0".join(args) + "\0")
    return 0


# ---- body checks --------------------------------------------------------------------------------

def cmd_check(kind, www, paths_file, counts_file, rows):
    counts = dict(l.split("\t") for l in open(counts_file).read().splitlines() if l)
    counts = {k: int(v) for k, v in counts.items()}
    rows = int(rows)
    paths = [l for l in open(paths_file).read().splitlines() if l]
    bad, sizes, problems = 0, [], []
    for p in paths:
        fn = body_file(www, p)
        try:
            raw = open(fn, "rb").read()
            sizes.append(len(raw))
            d = json.loads(raw)
            assert d.get("success") is True, "success is not true"
            r = d["result"]
            recs = r["records"]
            q = urllib.parse.parse_qs(p.partition("?")[2])
            flt = json.loads(q["filters"][0]) if "filters" in q else {}
            off = int(q.get("offset", ["0"])[0])
            lim = int(q.get("limit", ["100"])[0])
            total = counts[flt["district"]] if flt else rows
            assert r["total"] == total, "total %s, expected %s" % (r["total"], total)
            want = max(0, min(lim, total - off))
            assert len(recs) == want, "%d records, expected %d" % (len(recs), want)
            ids = [x["_id"] for x in recs]
            assert ids == sorted(ids), "records not in _id order"
            if flt:
                assert all(x["district"] == flt["district"] for x in recs), "a record does not match the filter"
            else:
                assert ids == list(range(off + 1, off + 1 + want)), "not the rows %d.." % (off + 1)
            if recs:
                assert len(recs[0]) == 11, "%d fields in a record" % len(recs[0])
            if kind == "w4":
                assert r["limit"] == lim and r["offset"] == off, "limit/offset echo"
                assert isinstance(recs[0]["amount"], str), "Taiwan numeric not a string"
            else:
                assert r["limit"] == lim, "limit echo"
        except Exception as e:  # noqa: BLE001 - any failure is reported, not raised
            bad += 1
            if len(problems) < 3:
                problems.append("%s: %s" % (p[-90:], e))
    print("%s: %d/%d bodies parse and hold the right rows (total, count, order, filter); "
          "bytes min %d, max %d%s" % (kind, len(paths) - bad, len(paths), min(sizes or [0]),
                                       max(sizes or [0]),
                                       "; " + "; ".join(problems) if problems else ""))
    return 1 if bad else 0


def compact(data):
    out, in_str, esc = bytearray(), False, False
    for b in data:
        if in_str:
            out.append(b)
            if esc:
                esc = False
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
        elif b not in b" \t\r\n":
            out.append(b)
            in_str = b == 0x22
    return bytes(out)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    c = argv[1]
    if c == "paths":
        return cmd_paths(argv[2], argv[3]) or 0
    if c == "pgb":
        return cmd_pgb(argv[2], argv[3], int(argv[4]), argv[5])
    if c == "pcheck":
        return cmd_pcheck(*argv[2:4])
    if c == "hand":
        return cmd_hand(*argv[2:8])
    if c == "check":
        return cmd_check(*argv[2:7])
    if c == "items":
        print(", ".join(json_items(argv[2], argv[3])))
        return 0
    if c == "compact":
        sys.stdout.buffer.write(compact(sys.stdin.buffer.read()))
        return 0
    if c == "body":
        print(body_file(argv[2], argv[3]))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
