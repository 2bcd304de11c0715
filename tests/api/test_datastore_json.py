"""DataStore records written as JSON by the server from the rows' text (server/datastore/ds_json.c)
are byte for byte what PostgreSQL's json_build_object / json_build_array and json_agg write for
the same rows: every column type a table may have, the values at their edges (NULL, NaN and
infinities, BC dates, control characters, quotes, backslashes, non-ASCII text, nested JSON,
arrays), field names that need escaping, empty pages, field subsets, both record formats, the
Taiwan endpoint 7 (numerics as strings) and JSONP and pretty answers around them."""
import json

import pytest
import requests

from conftest import DEMO_CATALOG, Server, new_database, WriteSite, add_user

DATASET = "382000000a-000101"
RID = "dsjson-1"
SRU = "/api/v1"

FIELDS = [("b", "bool"), ("i2", "int2"), ("i4", "int4"), ("i8", "int8"), ("f4", "float4"),
          ("f8", "float8"), ("num", "numeric"), ("t", "text"), ("vc", "varchar"),
          ("d", "date"), ("tm", "time"), ("ttz", "timetz"), ("ts", "timestamp"),
          ("tstz", "timestamptz"), ("iv", "interval"), ("j", "json"), ("jb", "jsonb"),
          ("u", "uuid"), ("ta", "_text"), ("ia", "_int4"), ('k\\é 名', "text")]

# each row: one SQL expression a column, in FIELDS order
ROWS = [
    ["true", "1", "2", "3", "1.5", "2.25", "3.125", "'plain'", "'vc'", "'2024-03-01'",
     "'10:11:12'", "'10:11:12+08'", "'2024-03-01 10:11:12.5'", "'2024-03-01 10:11:12+08'",
     "'1 day 02:00'", """'{"a": [1, "x"]}'""", """'{"b": {"c": null}, "a": 1}'""",
     "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", """ARRAY['x', 'y"z', NULL]""", "ARRAY[1, NULL]",
     "'名稱'"],
    ["false", "-32768", "-2147483648", "-9223372036854775808", "'NaN'", "'-Infinity'", "'NaN'",
     "E'tab\\there \"q\" back\\\\slash \\x01\\x0b\\x1f nl\\n cr\\r ff\\f bs\\b'", "''",
     "'0044-03-15 BC'", "'00:00'", "'23:59:59-03:30'", "'infinity'", "'-infinity'",
     "'-3 years'", "'[]'", "'\"s\"'", "NULL", "'{}'", "'{}'", "'x'"],
    ["NULL"] * 21,
    ["true", "0", "0", "9223372036854775807", "'Infinity'", "'1e+300'", "'-0.000100'",
     "'μg/m3 站點 😀'", "'a''b'", "'infinity'", "'24:00'", "'00:00+00'", "'0001-01-01 00:00'",
     "'2000-01-01 00:00:00.000001+00'", "'0'", "'null'", "'123.50'", "NULL", "'{\"\"}'",
     "'{1,2,3}'", "'x'"],
]


def qid(name):
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    srv = Server(db)
    s = WriteSite(srv, db, tokens)
    s.sql("""INSERT INTO resource (id, package_id, position, name, url_type)
             SELECT %s, id, 100, %s, 'datastore' FROM package WHERE name = %s""",
          RID, RID, DATASET)
    s.ok("datastore_create", "sam", resource_id=RID,
         fields=[{"id": n, "type": t} for n, t in FIELDS])
    table = s.one("SELECT table_name FROM datastore_table WHERE resource_id = %s", RID)
    cols = ", ".join(qid(n) for n, _ in FIELDS)
    for row in ROWS:
        vals = ", ".join(row)
        s.sql(f'INSERT INTO datastore.{qid(table)} ({cols}) VALUES ({vals})')
    # rows written behind the DataStore's back: its row count and largest _id made to match
    s.sql("UPDATE datastore_table SET row_count = %s, max_id = %s WHERE resource_id = %s",
          len(ROWS), len(ROWS), RID)
    s.table = table
    yield s
    srv.stop()


def expected(site, names, lists=False, tw=False, where=""):
    """The records as PostgreSQL writes them (the expressions the statement used to build)."""
    types = dict(FIELDS, _id="int8")
    parts = []
    for n in names:
        e = qid(n)
        if types[n] == "timestamp":
            e = f"""to_char({e}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        elif tw and types[n] == "numeric":
            e += "::text"
        parts.append(e if lists else f"{site.sql('SELECT quote_literal(%s)', n)[0][0]}, {e}")
    build = "json_build_array" if lists else "json_build_object"
    return site.one(f"""SELECT coalesce(json_agg({build}({', '.join(parts)})), '[]')::text
        FROM (SELECT * FROM datastore.{qid(site.table)} {where} ORDER BY "_id") s""")


ALL = ["_id"] + [n for n, _ in FIELDS]


def body(site, path, **params):
    r = requests.get(site.srv.base + path, params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.text


# limit 100: the page held whole (rows of one statement); 1000: streamed (rows by COPY)
PATHS = pytest.mark.parametrize("limit", [100, 1000])


@PATHS
def test_objects_byte_for_byte(site, limit):
    text = body(site, "/api/3/action/datastore_search", resource_id=RID, limit=limit)
    want = expected(site, ALL)
    assert f'"records": {want}' in text
    result = json.loads(text)["result"]
    assert len(result["records"]) == len(ROWS) and result["total"] == len(ROWS)
    # the values a client reads
    first, second, empty = result["records"][:3]
    assert first["j"] == {"a": [1, "x"]} and first["ta"] == ["x", 'y"z', None]
    assert first["ts"] == "2024-03-01T10:11:12" and first['k\\é 名'] == "名稱"
    assert second["f4"] == "NaN" and second["f8"] == "-Infinity" and second["num"] == "NaN"
    assert second["t"] == 'tab\there "q" back\\slash \x01\x0b\x1f nl\n cr\r ff\f bs\b'
    assert second["d"] == "0044-03-15 BC" and second["jb"] == "s"
    assert all(v is None for k, v in empty.items() if k != "_id")


@PATHS
def test_lists_byte_for_byte(site, limit):
    text = body(site, "/api/3/action/datastore_search", resource_id=RID, records_format="lists",
                limit=limit)
    assert f'"records": {expected(site, ALL, lists=True)}' in text


@PATHS
@pytest.mark.parametrize("fields", [["t"], ["num", "_id", "b"], ['k\\é 名', "jb", "ia"]])
def test_field_subsets(site, fields, limit):
    r = site.post("datastore_search", None, resource_id=RID, fields=fields, limit=limit)
    assert r.status_code == 200, r.text
    text = r.text
    assert f'"records": {expected(site, fields)}' in text


def test_empty_page_and_offset(site):
    text = body(site, "/api/3/action/datastore_search", resource_id=RID,
                filters=json.dumps({"t": "no such text"}))
    result = json.loads(text)["result"]
    assert '"records": []' in text and result["total"] == 0
    text = body(site, "/api/3/action/datastore_search", resource_id=RID, offset=100)
    assert '"records": []' in text and json.loads(text)["result"]["total"] == len(ROWS)
    text = body(site, "/api/3/action/datastore_search", resource_id=RID, offset=2, limit=1)
    want = expected(site, ALL, where='WHERE "_id" = 3')
    assert f'"records": {want}' in text


def test_taiwan_numerics_as_strings(site):
    r = requests.get(f"{site.srv.base}{SRU}/rest/datastore/{RID}", timeout=30)
    assert r.status_code == 200, r.text
    got = r.json()["result"]
    assert got["records"] == json.loads(expected(site, ALL, tw=True))
    assert got["records"][0]["num"] == "3.125" and got["records"][0]["i4"] == 2
    assert got["total"] == len(ROWS) and got["limit"] == r.json()["result"]["limit"]
    assert list(got) == ["resource_id", "fields", "records", "limit", "offset", "total"]


def test_jsonp_and_pretty_wrap_the_same_records(site):
    plain = json.loads(body(site, "/api/3/action/datastore_search", resource_id=RID))
    wrapped = body(site, "/api/3/action/datastore_search", resource_id=RID, callback="cb")
    assert wrapped.startswith("/**/cb(") or wrapped.startswith("cb(")
    inner = wrapped[wrapped.index("(") + 1:wrapped.rindex(")")]
    assert json.loads(inner)["result"]["records"] == plain["result"]["records"]
    pretty = body(site, "/api/3/action/datastore_search", resource_id=RID, pretty="true")
    assert "\n" in pretty
    assert json.loads(pretty)["result"]["records"] == plain["result"]["records"]


# ---- big pages: streamed as their rows arrive (1,000 rows and more asked, CKAN) -------------

BIG = "dsjson-big"
BIG_ROWS = 2500


@pytest.fixture(scope="module")
def big(site):
    site.sql("""INSERT INTO resource (id, package_id, position, name, url_type)
                SELECT %s, id, 101, %s, 'datastore' FROM package WHERE name = %s""",
             BIG, BIG, DATASET)
    site.ok("datastore_create", "sam", resource_id=BIG,
            fields=[{"id": "t", "type": "text"}, {"id": "n", "type": "numeric"},
                    {"id": "d", "type": "date"}, {"id": "ok", "type": "bool"}])
    table = site.one("SELECT table_name FROM datastore_table WHERE resource_id = %s", BIG)
    site.sql(f"""INSERT INTO datastore.{qid(table)} (t, n, d, ok)
        SELECT E'row "' || i || E'"\\t站', i / 7.0, date '2024-01-01' + i, mod(i, 3) = 0
        FROM generate_series(1, {BIG_ROWS}) i""")
    site.sql("UPDATE datastore_table SET row_count = %s, max_id = %s WHERE resource_id = %s",
             BIG_ROWS, BIG_ROWS, BIG)
    return table


def big_expected(site, table, lists=False, where="", limit=None, offset=0):
    cols = ["_id", "t", "n", "d", "ok"]
    parts = [qid(c) if lists else f"'{c}', {qid(c)}" for c in cols]
    build = "json_build_array" if lists else "json_build_object"
    lim = f"LIMIT {limit}" if limit is not None else ""
    return site.one(f"""SELECT coalesce(json_agg({build}({', '.join(parts)})), '[]')::text
        FROM (SELECT * FROM datastore.{qid(table)} {where} ORDER BY "_id" {lim}
              OFFSET {offset}) s""")


def test_big_page_streamed_byte_for_byte(site, big):
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_search",
                     params={"resource_id": BIG, "limit": 2000, "offset": 300}, timeout=30)
    assert r.status_code == 200
    assert r.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in r.headers and "ETag" not in r.headers
    assert r.headers["Content-Type"].startswith("application/json")
    assert f'"records": {big_expected(site, big, limit=2000, offset=300)}' in r.text
    result = r.json()["result"]
    assert result["total"] == BIG_ROWS and result["limit"] == 2000
    assert result["_links"]["next"].endswith("offset=2300")
    assert r.json()["success"] is True and r.json()["help"].endswith("name=datastore_search")


def test_big_page_lists_and_post(site, big):
    r = site.post("datastore_search", None, resource_id=BIG, limit=5000, records_format="lists",
                  filters={"ok": True})
    assert r.status_code == 200 and r.headers.get("Transfer-Encoding") == "chunked"
    want = big_expected(site, big, lists=True, where="WHERE ok")
    assert f'"records": {want}' in r.text
    assert r.json()["result"]["total"] == BIG_ROWS // 3


def test_big_page_empty(site, big):
    for params in ({"filters": json.dumps({"t": "nothing"})}, {"offset": 10 ** 6}):
        r = requests.get(f"{site.srv.base}/api/3/action/datastore_search",
                         params={"resource_id": BIG, "limit": 1000, **params}, timeout=30)
        assert r.status_code == 200, r.text
        assert '"records": []' in r.text
        assert r.json()["result"]["records"] == []


def test_big_page_same_as_held_whole(site, big):
    """The streamed answer is the one a page held whole (JSONP's, unwrapped) would give."""
    params = {"resource_id": BIG, "limit": 3000}
    streamed = requests.get(f"{site.srv.base}/api/3/action/datastore_search", params=params,
                            timeout=30)
    wrapped = requests.get(f"{site.srv.base}/api/3/action/datastore_search",
                           params={**params, "callback": "cb"}, timeout=30)
    assert "Transfer-Encoding" not in wrapped.headers
    inner = wrapped.text[wrapped.text.index("(") + 1:wrapped.text.rindex(")")]
    a, b = json.loads(inner), streamed.json()
    a["result"]["_links"] = b["result"]["_links"] = None  # (the callback is in the links)
    assert a == b


def test_big_page_errors_before_rows(site, big):
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_search",
                     params={"resource_id": BIG, "limit": 5000, "sort": "nope"}, timeout=30)
    assert r.status_code == 409 and r.json()["success"] is False
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_search",
                     params={"resource_id": "no-such-resource", "limit": 5000}, timeout=30)
    assert r.status_code == 404 and r.json()["success"] is False


def test_client_gone_mid_page(site, big):
    """A client that leaves in the middle of a big page costs nothing but its page."""
    import socket
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", site.srv.port))
        s.sendall(f"GET /api/3/action/datastore_search?resource_id={BIG}&limit=32000 "
                  f"HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert s.recv(100).startswith(b"HTTP/1.1 200")
        s.close()
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_search",
                     params={"resource_id": BIG, "limit": 1000}, timeout=30)
    assert r.status_code == 200 and len(r.json()["result"]["records"]) == 1000
    assert site.srv.proc.poll() is None
