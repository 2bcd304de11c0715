"""`opendata-import catalog` sends records ahead of their results (importers/catalog_in.c,
CATIN_WINDOW = 32): each record is still a transaction of its own, a failing one leaves nothing
behind, and the error lines come out in record order, interleaved as the records were, over
files longer than the window."""
import copy
import json
import re

import psycopg2

from conftest import DEMO_CATALOG, new_database, run_import

with open(DEMO_CATALOG, encoding="utf-8") as _f:
    TEMPLATE = next(r for r in json.load(_f) if r["identifier"] == "355000000I-000003")


def catalogue(n, bad_schema, bad_db):
    """n records; those numbered in bad_schema fail validation, those in bad_db claim a
    resource of record 1 (the database refuses them)."""
    recs = []
    for k in range(1, n + 1):
        rec = copy.deepcopy(TEMPLATE)
        rec["identifier"] = f"P7000000{k % 10}X-{k:06d}"
        for i, d in enumerate(rec["distribution"], 1):
            d["resourceID"] = f"{rec['identifier']}-{i:03d}"
        if k in bad_schema:
            rec["title"] = 12345
        if k in bad_db:
            rec["distribution"][0]["resourceID"] = recs[0]["distribution"][0]["resourceID"]
        recs.append(rec)
    return recs


def test_errors_in_record_order_and_failed_records_leave_nothing(cluster, tmp_path):
    db = new_database(cluster)
    bad_schema, bad_db = {5, 33, 34, 70}, {2, 31, 32, 65, 100}
    recs = catalogue(100, bad_schema, bad_db)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    p = run_import(db, "catalog", str(path))
    assert p.returncode == 1
    failed = [int(n) for n in re.findall(r"^opendata-import: error: record (\d+) ", p.stderr, re.M)]
    assert failed == sorted(bad_schema | bad_db)
    for k in bad_db:
        assert re.search(rf"record {k} \(\S+\): ERROR: .*already belongs to another dataset",
                         p.stderr), k
    for k in bad_schema:
        assert re.search(rf"record {k} \(\S+\): field title", p.stderr), k
    assert p.stderr.rstrip().endswith(": 91 created, 0 updated, 0 unchanged, 9 failed")
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT identifier FROM package ORDER BY identifier")
        have = [i for i, in cur.fetchall()]
        cur.execute("SELECT count(*) FROM resource")
        n_res = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM tw_doc")
        n_docs = cur.fetchone()[0]
    want = sorted(r["identifier"] for k, r in enumerate(recs, 1)
                  if k not in bad_schema and k not in bad_db)
    assert have == want and n_docs == 91
    assert n_res == sum(len(r["distribution"]) for k, r in enumerate(recs, 1)
                        if k not in bad_schema and k not in bad_db)
    # again: every good record unchanged, the same failures in the same order
    again = run_import(db, "catalog", str(path))
    assert [int(n) for n in re.findall(r"^opendata-import: error: record (\d+) ", again.stderr,
                                       re.M)] == failed
    assert again.stderr.rstrip().endswith(": 0 created, 0 updated, 91 unchanged, 9 failed")
