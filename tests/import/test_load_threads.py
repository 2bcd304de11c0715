"""Two loads at once in one process: the loading library (importers/load.h) through the
server's entry (server/datastore/ds_load.c), each load on its own thread with its own
connection. tests/import/load_threads.c runs them; here the tables and their bookkeeping are
checked. In the sanitized pass the program is the AddressSanitizer build."""
import hashlib
import os
import subprocess

import psycopg2
import pytest

from conftest import BIN, DEMO_CATALOG, new_database

DATASET = "A62000000A-000001"
PROGRAM = os.path.join(BIN, "load_threads")


@pytest.fixture(scope="module")
def db(cluster):
    url = new_database(cluster, DEMO_CATALOG)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for rid in ("THREADS-A", "THREADS-B", "THREADS-C"):
            cur.execute("SELECT ds_resource_create(%s, %s, %s, 'CSV')", (rid, DATASET, rid))
    conn.close()
    return url


def sql(db, query, *args):
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        rows = cur.fetchall()
    conn.close()
    return rows


def run(db, *specs):
    assert os.path.exists(PROGRAM), "build it first: make"
    p = subprocess.run([PROGRAM, db, *specs], capture_output=True, text=True, timeout=600)
    lines = {}
    for line in p.stdout.splitlines():
        rid, rest = line.split(" ", 1)
        fields = dict(kv.split("=", 1) for kv in rest.split(" ", 6))
        lines[rid] = fields
    return p, lines


def test_two_files_two_resources_at_once(db, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("id,name,amount\n" + "".join("%d,名稱%d,%d.5\n" % (i, i, i)
                                              for i in range(1, 150001)), encoding="utf-8")
    b = tmp_path / "b.xml"
    b.write_text("<rows>" + "".join("<row><day>2024-01-%02d</day><n>%d</n></row>" % (i % 28 + 1, i)
                                    for i in range(1, 100001)) + "</rows>\n", encoding="utf-8")
    p, got = run(db, "csv:THREADS-A:%s" % a, "xml:THREADS-B:%s" % b)
    assert p.returncode == 0, p.stdout + p.stderr
    assert got["THREADS-A"]["rc"] == got["THREADS-B"]["rc"] == "0"
    assert got["THREADS-A"]["rows"] == "150000" and got["THREADS-B"]["rows"] == "100000"
    assert got["THREADS-A"]["fields"] == "3" and got["THREADS-B"]["fields"] == "2"
    # Both ran at once: each began before the other ended.
    sa, ea = int(got["THREADS-A"]["start"]), int(got["THREADS-A"]["end"])
    sb, eb = int(got["THREADS-B"]["start"]), int(got["THREADS-B"]["end"])
    assert sa < eb and sb < ea, got

    info = dict((r[0], r[1:]) for r in sql(
        db, "SELECT resource_id, table_name, fields, row_count, max_id, data_version, source"
            " FROM datastore_table WHERE resource_id LIKE 'THREADS-%%'"))
    ta, fa, ca, ma, va, srca = info["THREADS-A"]
    assert (ta, ca, ma, va) == ("THREADS-A", 150000, 150000, 1)
    assert [(f["id"], f["type"]) for f in fa] == [("id", "int4"), ("name", "text"),
                                                   ("amount", "numeric")]
    assert srca == {"file": "a.csv", "format": "csv", "encoding": "utf-8", "delimiter": ","}
    tb, fb, cb, mb, vb, srcb = info["THREADS-B"]
    assert (tb, cb, mb, vb) == ("THREADS-B", 100000, 100000, 1)
    assert [(f["id"], f["type"]) for f in fb] == [("day", "date"), ("n", "int4")]
    assert srcb["record"] == "/rows/row"
    assert sql(db, 'SELECT count(*), sum(id), min(name), sum(amount)::text'
                   ' FROM datastore."THREADS-A"') \
        == [(150000, 150000 * 150001 // 2, "名稱1", "%d.0" % (150000 * 150001 // 2 + 75000))]
    assert sql(db, 'SELECT count(*), sum(n), max(day)::text FROM datastore."THREADS-B"') \
        == [(100000, 100000 * 100001 // 2, "2024-01-28")]
    assert sql(db, "SELECT id, datastore_active FROM resource WHERE id LIKE 'THREADS-%%'"
                   " ORDER BY id") == [("THREADS-A", True), ("THREADS-B", True),
                                       ("THREADS-C", False)]
    versions = sql(db, "SELECT resource_id, content_hash, size, row_count FROM resource_version"
                       " WHERE resource_id LIKE 'THREADS-%%' ORDER BY 1")
    assert versions == [
        ("THREADS-A", hashlib.sha256(a.read_bytes()).hexdigest(), a.stat().st_size, 150000),
        ("THREADS-B", hashlib.sha256(b.read_bytes()).hexdigest(), b.stat().st_size, 100000)]
    assert sql(db, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace"
                   " WHERE nspname = 'datastore' AND relname LIKE '\\_stg\\_%%'") == [(0,)]


def test_a_failed_load_leaves_the_other_and_its_own_old_data(db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("k,v\n" + "".join("%d,x%d\n" % (i, i) for i in range(1, 50001)))
    old = sql(db, 'SELECT count(*) FROM datastore."THREADS-A"')
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"k,v\n" + b"".join(b"%d,y\n" % i for i in range(1, 40000)) + b"1,\xff\n")
    p, got = run(db, "csv:THREADS-A:%s" % bad, "csv:THREADS-C:%s" % good)
    assert p.returncode == 1
    assert got["THREADS-A"]["rc"] == "-1"
    assert got["THREADS-A"]["err"] == "%s:40001: invalid UTF-8 (byte 0xFF); the file was " \
                                      "detected as UTF-8, give --encoding big5 if it is Big5" % bad
    assert got["THREADS-C"]["rc"] == "0" and got["THREADS-C"]["rows"] == "50000"
    assert sql(db, 'SELECT count(*) FROM datastore."THREADS-A"') == old
    assert sql(db, "SELECT data_version FROM datastore_table WHERE resource_id = 'THREADS-A'") \
        == [(1,)]
    assert sql(db, 'SELECT count(*), max(v) FROM datastore."THREADS-C"') == [(50000, "x9999")]


def test_the_same_resource_twice_at_once_swaps_one_after_the_other(db, tmp_path):
    """One waits for the other's end (its concurrent index builds included: a swap waiting for
    them while they wait for its transaction was a deadlock)."""
    one = tmp_path / "one.csv"
    one.write_text("k\n" + "".join("%d\n" % i for i in range(1, 30001)))
    two = tmp_path / "two.csv"
    two.write_text("k,w\n" + "".join("%d,%d\n" % (i, i) for i in range(1, 20001)))
    before = sql(db, "SELECT data_version FROM datastore_table WHERE resource_id = 'THREADS-C'")
    before = before[0][0] if before else 0
    p, got = run(db, "csv:THREADS-C:%s" % one, "csv:THREADS-C:%s" % two)
    assert p.returncode == 0, p.stdout + p.stderr
    after = sql(db, "SELECT data_version, row_count FROM datastore_table"
                    " WHERE resource_id = 'THREADS-C'")
    assert after[0][0] == before + 2
    assert after[0][1] in (30000, 20000)
    assert sql(db, 'SELECT count(*) FROM datastore."THREADS-C"')[0][0] == after[0][1]
