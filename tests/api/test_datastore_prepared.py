"""Datastore reads by prepared statements (server/ds_read.c, server/sqlbuild.c): for every
request shape the answer is byte for byte the one of the SQL functions (a second server with
--datastore-prepared false), the prepared statement is what answered, and a thread's copy of a
table's bookkeeping never outlives an import: the first request after the import committed sees
the new columns and rows."""
import csv
import json
import os

import psycopg2
import pytest
import requests

from conftest import measures_memory, DEMO_CATALOG, ROOT, Server, new_database, run_import

RID = "355000000I-000207-001"
PM25 = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
DATASET = "A62000000A-000001"  # a demo dataset new resources are created in
ODD = "ODD-NAMES-1"            # a table whose column names need quoting
ODD_HEADER = ['a"b', "it's", "back\\slash", "測站 名稱", "select", "x asc", "num", "day", "at",
              "flag"]
ODD_ROWS = [
    ['q"1', "o'k", "c:\\dir", "美濃", "s1", "x", "1.50", "2024-01-31", "2024-01-31 08:00:00",
     "true"],
    ["q2", "", "d\\", "朴子", "s2", "y", "-0.25", "2024-02-01", "2024-02-01T09:30:00", "false"],
    ["q3", "o'k", "", "美濃", "s3", "x", "", "", "", ""],
    ["", "p", "e", "三重", "s1", "", "10", "2023-12-31", "2023-12-31 23:59:59", "true"],
]


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def sql(db, query, *args):
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall() if cur.description else None


class Answers:
    """Who answered: the statements the server's connections ran since `mark`."""

    def __init__(self, db):
        self.db = db
        self.t0 = None

    def mark(self):
        self.t0 = sql(self.db, "SELECT clock_timestamp()")[0][0]

    def prepared(self):
        rows = sql(self.db, "SELECT query FROM pg_stat_activity WHERE application_name = "
                            "'opendatad' AND query_start >= %s", self.t0)
        # (pg_stat_activity keeps a statement's first 1 kB; a big page's rows come from a
        # statement of their own, its page a subquery)
        return [q for (q,) in rows if q.startswith(("SELECT CASE WHEN s.n IS NULL OR s.n = 1 "
                                                     "THEN h.head END", "SELECT ckan_ds_head("))
                or ') p' in q or 'FROM (SELECT "_id"' in q]


@pytest.fixture(scope="module")
def pair(cluster, tmp_path_factory):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", PM25, "--resource-id", RID, check=True)
    odd = write_csv(tmp_path_factory.mktemp("odd") / "odd.csv", ODD_HEADER, ODD_ROWS)
    run_import(db, "csv", odd, "--resource-id", ODD, "--dataset", DATASET, check=True)
    fast = Server(db)
    slow = Server(db, "--datastore-prepared", "false")
    yield fast, slow, Answers(db)
    slow.stop()
    fast.stop()


def same_answer(pair, path, prepared, method="GET", body=None):
    fast, slow, answers = pair
    kw = {"timeout": 20}
    if body is not None:
        kw["json"] = body
    answers.mark()
    a = requests.request(method, fast.base + path, **kw)
    used = answers.prepared()
    b = requests.request(method, slow.base + path, **kw)
    assert (a.status_code, a.content) == (b.status_code, b.content), path
    assert a.headers["Content-Type"] == b.headers["Content-Type"]
    if prepared:
        assert used, f"{path}: not answered by a prepared statement"
    return a


def q(obj):
    return requests.utils.quote(json.dumps(obj, ensure_ascii=False), safe="")


TW = f"/api/v1/rest/datastore/{RID}"
TW_ODD = f"/api/v1/rest/datastore/{ODD}"
# (query, answered by the prepared statement)
TW_CASES = [
    ("", True),
    ("limit=5&offset=10", True),
    ("offset=11000&limit=2", True),              # unfiltered deep page: the key
    ("offset=999999&limit=2", True),
    ("limit=0", True),
    ("filters=" + q({"SiteName": "美濃"}) + "&limit=5", True),
    ("filters=" + q({"SiteName": "美濃", "MonitorDate": "20200512"}), True),
    ("filters=" + q({"MonitorDate": 20200512}), True),
    ("filters=" + q({"ItemUnit": None}) + "&limit=3", True),
    ("filters=" + q({}) + "&limit=3", True),
    ("filters=" + q({"Concentration": 12}) + "&limit=3", True),
    ("filters=" + q({"Concentration": 12.0}) + "&limit=3", False),   # jsonb renders the number
    ("q=" + requests.utils.quote("美濃") + "&limit=3", True),
    ("q=" + requests.utils.quote("100%") + "&limit=3", True),
    ("q=" + requests.utils.quote("a_b\\") + "&limit=3", True),
    ("sort=" + requests.utils.quote("MonitorDate desc") + "&limit=3&fields=MonitorDate,SiteName",
     True),
    ("sort=SiteName&limit=2", True),
    ("sort=" + requests.utils.quote("_id desc") + "&offset=5&limit=3", True),
    ("sort=" + requests.utils.quote("_id ASC") + "&offset=5&limit=3", True),
    ("fields=Concentration,_id&limit=4", True),
    ("fields=SiteName,SiteName&limit=2", False),    # a field twice: ER0210 from the function
    ("sort=Nope", False),
    ("fields=SiteName,Nope", False),
    ("filters=" + q({"Nope": "x"}), False),
    ("filters=" + q({"SiteName": {"a": 1}}), False),
    ("sort=" + requests.utils.quote("SiteName  desc"), False),
]


@pytest.mark.parametrize("query,prepared", TW_CASES)
def test_tw_shapes(pair, query, prepared):
    same_answer(pair, TW + ("?" + query if query else ""), prepared)


@pytest.mark.parametrize("query,prepared", [
    ("", True),
    ("sort=" + requests.utils.quote("it's desc") + "&fields=" + requests.utils.quote(
        "it's,back\\slash,測站 名稱,select,x asc"), True),
    ("filters=" + q({"測站 名稱": "美濃", "it's": "o'k"}), True),
    ("filters=" + q({"flag": True}), True),
    ("filters=" + q({"back\\slash": "c:\\dir"}), True),
    ("filters=" + q({"num": "1.50"}), True),
    ("q=" + requests.utils.quote("o'k"), True),
    ("sort=" + requests.utils.quote("x asc"), False),  # the field "x", ascending: ER0220
    ("sort=" + requests.utils.quote("x asc desc") + "&limit=2", True),
    ("sort=at&fields=at,day,num,flag", True),
])
def test_tw_odd_names(pair, query, prepared):
    r = same_answer(pair, TW_ODD + ("?" + query if query else ""), prepared)
    assert r.status_code == (200 if prepared else 400)


def test_tw_unknown_resource(pair):
    r = same_answer(pair, "/api/v1/rest/datastore/A41000000G-000001-001", False)
    assert r.status_code == 404


CK = "/api/3/action/datastore_search"
CK_CASES = [
    ({}, True),
    ({"limit": 5, "offset": 10}, True),
    ({"offset": 11000, "limit": 3}, True),
    ({"offset": 11000, "limit": 3, "sort": "_id desc"}, True),
    ({"limit": 0}, True),
    ({"limit": 40000, "records_format": "lists"}, True),
    ({"filters": json.dumps({"SiteName": ["美濃", "朴子", None]}), "sort": "_id desc", "limit": 50},
     True),
    ({"filters": json.dumps({"SiteName": []})}, True),
    ({"filters": json.dumps({"MonitorDate": [20200512, "20200513"]})}, True),
    ({"filters": json.dumps({"Concentration": [1.5]})}, False),
    ({"filters": json.dumps({"ItemUnit": None}), "limit": 2}, True),
    ({"q": "美濃", "limit": 3}, True),
    ({"q": "", "limit": 3}, True),
    ({"q": json.dumps({"SiteName": "美"}), "limit": 3}, True),
    ({"q": json.dumps({"SiteName": 5}), "limit": 3}, False),
    ({"fields": "SiteName,ItemUnit", "limit": 3, "records_format": "csv"}, True),
    ({"fields": "SiteName,Concentration", "limit": 3, "records_format": "tsv", "q": "美濃"}, True),
    ({"fields": "_id,Concentration", "limit": 3}, True),
    ({"sort": "SiteName desc, MonitorDate", "limit": 7}, True),
    ({"distinct": "true", "fields": "SiteName", "sort": "SiteName"}, True),
    ({"distinct": "true", "fields": "SiteName,ItemUnit", "q": "美濃"}, True),
    ({"distinct": "true", "fields": "SiteName", "sort": "MonitorDate"}, False),  # an SQL error
    ({"include_total": "false", "limit": 2}, True),
    ({"total_estimation_threshold": 1000, "limit": 2}, True),
    ({"plain": "false", "language": "english", "limit": 2, "offset": 1}, True),
    ({"fields": "", "limit": 2}, False),
    ({"filters": json.dumps({"Nope": 1})}, False),
    ({"sort": "Nope"}, False),
    ({"fields": "Nope"}, False),
]


@pytest.mark.parametrize("params,prepared", CK_CASES)
def test_ckan_shapes(pair, params, prepared):
    query = "&".join(f"{k}={requests.utils.quote(str(v), safe='')}"
                     for k, v in {"resource_id": RID, **params}.items())
    same_answer(pair, f"{CK}?{query}", prepared)


@pytest.mark.parametrize("params", [
    {},
    {"sort": ['a"b desc', "測站 名稱"], "records_format": "csv"},
    {"fields": ["flag", "at", "x asc"], "records_format": "tsv"},
    {"filters": {"select": ["s1", "s3"], "flag": [True, None]}, "records_format": "lists"},
    {"q": {"測站 名稱": "美", "back\\slash": "\\"}},
    {"distinct": True, "fields": ["x asc"], "sort": ["x asc desc"]},
])
def test_ckan_odd_names_post(pair, params):
    r = same_answer(pair, CK, True, method="POST", body={"resource_id": ODD, **params})
    assert r.status_code == 200, r.text


def test_ckan_unknown_resource(pair):
    r = same_answer(pair, f"{CK}?resource_id=nope", False)
    assert r.status_code == 404


# ---- the copy of the bookkeeping and imports ------------------------------------------------

NEW = "REIMPORT-1"


def tw_get(srv, query=""):
    r = srv.get(f"/api/v1/rest/datastore/{NEW}" + ("?" + query if query else ""))
    assert r.status_code == 200, r.text
    return r.json()["result"]


def ck_get(srv, **params):
    r = srv.get(CK, params={"resource_id": NEW, **params})
    assert r.status_code == 200, r.text
    return r.json()["result"]


def seen_by_every_connection(srv, check, times=12):
    """Ask enough times that every thread and connection answers at least once."""
    for _ in range(times):
        check()


def test_each_import_is_seen_by_the_next_request(cluster, tmp_path):
    db = new_database(cluster, DEMO_CATALOG)
    imp = lambda header, rows, n: run_import(  # noqa: E731
        db, "csv", write_csv(tmp_path / f"v{n}.csv", header, rows), "--resource-id", NEW,
        "--dataset", DATASET, "--no-search-index", check=True)
    imp(["name", "value"], [["a", "1"], ["b", "2"], ["a", "3"]], 1)
    srv = Server(db)
    answers = Answers(db)
    try:
        def v1():
            res = tw_get(srv, "filters=" + q({"name": "a"}))
            assert [(x["name"], x["value"]) for x in res["records"]] == [("a", 1), ("a", 3)]
            assert ck_get(srv, sort="value desc")["records"][0]["value"] == 3
        answers.mark()
        seen_by_every_connection(srv, v1)
        assert answers.prepared(), "the prepared path was not taken"

        # value becomes text, a column is added, the rows change: the same column names in
        # the statement, another meaning
        imp(["name", "value", "extra"], [["a", "x", "1"], ["c", "y", "2"]], 2)

        def v2():
            res = tw_get(srv, "filters=" + q({"name": "a"}))
            assert res["fields"] == [{"type": "int4", "id": "_id"}, {"type": "text", "id": "name"},
                                     {"type": "text", "id": "value"},
                                     {"type": "int4", "id": "extra"}]
            assert res["records"] == [{"_id": 1, "name": "a", "value": "x", "extra": 1}]
            assert [x["value"] for x in ck_get(srv, sort="value desc")["records"]] == ["y", "x"]
        seen_by_every_connection(srv, v2)

        # the columns the statements name are gone: the statements fail, the SQL answers
        imp(["label"], [["p"], ["q"]], 3)

        def v3():
            assert tw_get(srv)["records"] == [{"_id": 1, "label": "p"}, {"_id": 2, "label": "q"}]
            assert ck_get(srv, filters=json.dumps({"label": "q"}))["total"] == 1
        seen_by_every_connection(srv, v3)

        # the same layout again (the same statement text), other rows
        imp(["label"], [["r"]], 4)

        def v4():
            assert tw_get(srv)["records"] == [{"_id": 1, "label": "r"}]
            res = ck_get(srv, filters=json.dumps({"label": "q"}))
            assert res["total"] == 0 and res["records"] == []
        answers.mark()
        seen_by_every_connection(srv, v4)
        assert answers.prepared(), "the prepared path was not taken again"
    finally:
        srv.stop()
    with open(srv.log_path, encoding="utf-8") as f:
        log = f.read()
    assert " error: " not in log, log


def test_visibility_is_checked_on_every_request(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", PM25, "--resource-id", RID, check=True)
    srv = Server(db)
    try:
        path = f"/api/v1/rest/datastore/{RID}?limit=1"
        for _ in range(6):
            assert srv.get(path).status_code == 200
            assert srv.get(CK, params={"resource_id": RID, "limit": 1}).status_code == 200
        sql(db, "UPDATE resource SET state = 'deleted' WHERE id = %s", RID)
        for _ in range(6):
            assert srv.get(path).status_code == 404
            assert srv.get(CK, params={"resource_id": RID, "limit": 1}).status_code == 404
        sql(db, "UPDATE resource SET state = 'active' WHERE id = %s", RID)
        sql(db, "UPDATE package SET private = true WHERE id = "
                "(SELECT package_id FROM resource WHERE id = %s)", RID)
        for _ in range(6):
            assert srv.get(path).status_code == 404
            r = srv.get(CK, params={"resource_id": RID, "limit": 1})
            assert r.status_code == 403
            assert r.json()["error"]["message"] == (
                f"Access denied: User  not authorized to read resource {RID}")
        sql(db, "UPDATE package SET private = false WHERE id = "
                "(SELECT package_id FROM resource WHERE id = %s)", RID)
        # the bookkeeping row changed in place (a new generation), the data too
        sql(db, f'UPDATE datastore."{RID}" SET "SiteName" = \'改過\' WHERE "_id" = 1')
        sql(db, "UPDATE datastore_table SET data_version = data_version + 1 "
                "WHERE resource_id = %s", RID)
        for _ in range(6):
            assert srv.get(path).json()["result"]["records"][0]["SiteName"] == "改過"
    finally:
        srv.stop()


def test_generation_moves_with_every_change(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", PM25, "--resource-id", RID, check=True)
    g = lambda: sql(db, "SELECT generation FROM datastore_table "  # noqa: E731
                        "WHERE resource_id = %s", RID)[0][0]
    g1 = g()
    sql(db, "UPDATE datastore_table SET source = source WHERE resource_id = %s", RID)
    g2 = g()
    run_import(db, "csv", PM25, "--resource-id", RID, check=True)
    g3 = g()
    assert g1 < g2 < g3  # (from a sequence: never reused, whatever rolls back)


# ---- big pages ------------------------------------------------------------------------------

def rss_kb(srv):
    with open(f"/proc/{srv.proc.pid}/status") as f:
        return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in f)
                if k in ("VmRSS", "RssAnon")}


@measures_memory
def test_big_pages_do_not_pin_memory(cluster, tmp_path):
    """A page of several MB passes through a PGresult, libpq's input buffer (which keeps the
    size of the largest message for the connection's life) and the reply: the connection is
    replaced afterwards and big blocks go back to the system, so the server's heap returns to
    its size (W3c left 87 MiB behind)."""
    db = new_database(cluster, DEMO_CATALOG)
    rows = [[f"site {i % 97}", str(20200000 + i), f"{i / 7:.4f}", "μg/m3 " + "x" * 60]
            for i in range(40000)]
    path = write_csv(tmp_path / "big.csv", ["SiteName", "MonitorDate", "PM25", "Note"], rows)
    run_import(db, "csv", path, "--resource-id", NEW, "--dataset", DATASET,
               "--no-search-index", check=True)
    srv = Server(db)
    try:
        url = srv.base + CK + f"?resource_id={NEW}&limit=32000"
        assert len(requests.get(url, timeout=60).content) > 4 * 1024 * 1024
        before = rss_kb(srv)
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(4) as ex:
            for _ in range(3):
                sizes = list(ex.map(lambda _: len(requests.get(url, timeout=60).content),
                                    range(4)))
                assert min(sizes) == max(sizes) > 4 * 1024 * 1024
        after = rss_kb(srv)
        # four pages in flight hold ~50 MB; what stays is far less
        assert after["RssAnon"] - before["RssAnon"] < 16 * 1024, (before, after)
        assert srv.get(f"/api/v1/rest/datastore/{NEW}?limit=2").status_code == 200
    finally:
        srv.stop()
