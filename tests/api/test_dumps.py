"""Datastore dumps: Taiwan endpoint 8 ({SRU}/dump/datastore/{rid}: a zip built once per data
version and served from a file) and CKAN /datastore/dump/{rid} (streamed with backpressure,
byte-compatible with ckanext-datastore's writer.py).

There is no datastore importer yet, so the fixtures create datastore tables exactly as
docs/DATASTORE.md describes them (what opendata-import writes): the real EPA PM2.5 file, a
table of every column type with awkward values, and a generated table of 1.5M rows.
CKAN's expected bytes are computed here the way CKAN computes them: its SQL (COPY for csv/tsv,
to_json lists, array_to_json objects) and its writers (Python csv, simplejson, ElementTree)."""
import codecs
import concurrent.futures as cf
import csv
import datetime
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import psycopg2
import pytest
import requests

from conftest import measures_memory, DEMO_CATALOG, ROOT, Server, new_database

try:
    import simplejson as sj
except ImportError:  # json writes the same bytes as simplejson >= 3.14 here
    sj = None

SRU = "/api/v1"
PM25_RID = "355000000I-000207-001"
PM25_CSV = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
PM25_COLS = [("SiteName", "text"), ("MonitorDate", "int4"), ("Concentration", "numeric"),
             ("ItemUnit", "text")]
TYPED_RID = "355000000I-000207-002"
TYPED_COLS = [("name", "text"), ("n4", "int4"), ("n8", "int8"), ("amount", "numeric"),
              ("day", "date"), ("at", "timestamp"), ("ok", "bool"), ("note", "text")]
CONC_RID = "355000000I-000003-003"   # concurrency test only
REBUILD_RID = "355000000I-000010-001"  # rebuild test only
BIG_RID = "A41000000G-000001-001"
BIG_ROWS = 1_500_000
XSI = "{http://www.w3.org/2001/XMLSchema-instance}nil"

# ---- datastore fixtures (docs/DATASTORE.md) -----------------------------------------------------


def connect(db):
    conn = psycopg2.connect(db)
    conn.autocommit = True
    return conn


def create_datastore(conn, rid, columns):
    """CREATE TABLE datastore.<table> ("_id" identity primary key, typed columns)."""
    with conn.cursor() as cur:
        cur.execute("SELECT ds_table_name(%s)", (rid,))
        table = cur.fetchone()[0]
        cols = ", ".join(f'"{c}" {t}' for c, t in columns)
        cur.execute(f'CREATE TABLE datastore."{table}" '
                    f'("_id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {cols})')
    return table


def register_datastore(conn, rid, table, columns):
    """The datastore_table row and resource.datastore_active, as an import leaves them."""
    fields = [{"id": c, "type": t, "info": {"original_header": c}} for c, t in columns]
    search = " || ' ' || ".join(
        f"""coalesce("{c}"{'' if t == 'text' else '::text'}, '')""" for c, t in columns
        if t in ("text", "int4", "int8", "numeric"))
    with conn.cursor() as cur:
        cur.execute(f'ANALYZE datastore."{table}"')
        cur.execute(f'SELECT count(*), coalesce(max("_id"), 0) FROM datastore."{table}"')
        n, max_id = cur.fetchone()
        cur.execute(
            "INSERT INTO datastore_table (resource_id, table_name, fields, row_count, max_id, "
            "search_expr, source, data_version) VALUES (%s, %s, %s, %s, %s, %s, %s, 1)",
            (rid, table, json.dumps(fields), n, max_id, search or None,
             json.dumps({"format": "csv", "encoding": "utf-8"})))
        cur.execute("UPDATE resource SET datastore_active = true WHERE id = %s", (rid,))


def load_pm25(conn, rid):
    table = create_datastore(conn, rid, PM25_COLS)
    with open(PM25_CSV, "rb") as f:
        data = f.read()
    assert data.startswith(codecs.BOM_UTF8)
    with conn.cursor() as cur:
        cols = ", ".join(f'"{c}"' for c, _ in PM25_COLS)
        cur.copy_expert(f'COPY datastore."{table}" ({cols}) FROM STDIN WITH (FORMAT csv, HEADER)',
                        io.BytesIO(data[3:]))
    register_datastore(conn, rid, table, PM25_COLS)
    return table


TYPED_ROWS = [
    ("plain", 1, 1, Decimal("1.50"), datetime.date(2024, 1, 31),
     datetime.datetime(2024, 1, 31, 8, 0, 0, 123456), True, "臺北市"),
    ("comma, inside", -5, 9007199254740993, Decimal("0.1"), None, None, False, ""),
    ('quote " inside', 2147483647, None, Decimal("15"), datetime.date(1999, 12, 31),
     datetime.datetime(1999, 12, 31, 23, 59, 59), None, None),
    ("new\nline and cr\r here", 0, -1, Decimal("-3.000"), None, None, True, "tab\there"),
    ("<tag> & 'amp' >", None, 0, Decimal("123456789012345678.5"), None, None, False, "\\."),
    ("line\u2028sep\u2029para", 7, 7, Decimal("0.00001"), None, None, True, "ctl\x01\x1fchar"),
    ("", 8, 8, Decimal("NaN"), None, None, None, " leading and trailing "),
    (None, 9, 9, None, None, None, None, "back\\slash \"q\""),
    ("big", 10, 10, Decimal("12345678901234567890.25"), None, None, True, "1e16"),
    ("exp", 11, 11, Decimal("10000000000000000.0"), None, None, False, "x"),
]


def load_typed(conn, rid):
    table = create_datastore(conn, rid, TYPED_COLS)
    with conn.cursor() as cur:
        cols = ", ".join(f'"{c}"' for c, _ in TYPED_COLS)
        cur.executemany(f'INSERT INTO datastore."{table}" ({cols}) VALUES '
                        f'({", ".join(["%s"] * len(TYPED_COLS))})', TYPED_ROWS)
    register_datastore(conn, rid, table, TYPED_COLS)
    return table


BIG_COLS = [("name", "text"), ("n", "int4"), ("v", "numeric"), ("d", "date"), ("flag", "bool")]


def load_big(conn, rid, rows=BIG_ROWS):
    table = create_datastore(conn, rid, BIG_COLS)
    with conn.cursor() as cur:
        cur.execute(f'INSERT INTO datastore."{table}" (name, n, v, d, flag) '
                    f"SELECT '測站 ' || i || ' 臺北市中正區', i, (i * 1.5)::numeric, "
                    f"date '2020-01-01' + (i %% 1000), i %% 2 = 0 "
                    f"FROM generate_series(1, %s) i", (rows,))
    register_datastore(conn, rid, table, BIG_COLS)
    return table


@pytest.fixture(scope="module")
def env(cluster):
    """A database with the demo catalogue and datastore tables, and a server on it."""
    db = new_database(cluster, DEMO_CATALOG)
    conn = connect(db)
    tables = {PM25_RID: load_pm25(conn, PM25_RID), TYPED_RID: load_typed(conn, TYPED_RID),
              CONC_RID: load_pm25(conn, CONC_RID), REBUILD_RID: load_pm25(conn, REBUILD_RID)}
    dump_dir = tempfile.mkdtemp(prefix="opendatad-dumps-")
    srv = Server(db, "--dump-dir", dump_dir)
    yield {"db": db, "conn": conn, "srv": srv, "dir": dump_dir, "tables": tables}
    srv.stop()
    conn.close()
    shutil.rmtree(dump_dir, ignore_errors=True)


def tw_dump(srv, rid, **params):
    return srv.get(f"{SRU}/dump/datastore/{rid}", params=params, timeout=60)


def unzip_one(body):
    z = zipfile.ZipFile(io.BytesIO(body))
    assert z.testzip() is None
    names = z.namelist()
    assert len(names) == 1
    return names[0], z.read(names[0])


def db_rows(conn, table, cols):
    """Rows in their text forms, as PostgreSQL prints them, in _id order."""
    sel = ", ".join(f't."{c}"::text' for c in cols)
    with conn.cursor() as cur:
        cur.execute(f'SELECT {sel} FROM datastore."{table}" t ORDER BY t."_id"')
        return cur.fetchall()


# ---- Taiwan endpoint 8 ------------------------------------------------------------------------


def test_tw_csv_zip_equals_source_rows(env):
    r = tw_dump(env["srv"], PM25_RID)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"] == f'attachment; filename="{PM25_RID}.zip"'
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert r.headers["ETag"].startswith('"') and r.headers["Last-Modified"].endswith(" GMT")
    name, data = unzip_one(r.content)
    assert name == f"{PM25_RID}.csv"
    assert data.startswith(codecs.BOM_UTF8 + b"_id,SiteName,MonitorDate,Concentration,ItemUnit\n")
    got = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert got[0] == ["_id"] + [c for c, _ in PM25_COLS]
    with open(PM25_CSV, encoding="utf-8-sig", newline="") as f:
        source = list(csv.reader(f))
    assert len(got) == len(source) == 11572
    assert [row[1:] for row in got[1:]] == source[1:]
    assert [row[0] for row in got[1:]] == [str(i) for i in range(1, 11572)]
    db = db_rows(env["conn"], env["tables"][PM25_RID], ["_id"] + [c for c, _ in PM25_COLS])
    assert [tuple(row) for row in got[1:]] == db


def test_tw_json_zip_is_array_of_records(env):
    r = tw_dump(env["srv"], PM25_RID, format="json")
    assert r.status_code == 200
    name, data = unzip_one(r.content)
    assert name == f"{PM25_RID}.json"
    recs = json.loads(data.decode("utf-8"))
    assert len(recs) == 11571
    db = db_rows(env["conn"], env["tables"][PM25_RID], ["_id"] + [c for c, _ in PM25_COLS])
    assert recs[0] == {"_id": 1, "SiteName": db[0][1], "MonitorDate": int(db[0][2]),
                       "Concentration": db[0][3], "ItemUnit": db[0][4]}
    assert [(str(x["_id"]), x["SiteName"], str(x["MonitorDate"]), x["Concentration"],
             x["ItemUnit"]) for x in recs] == db


def test_tw_xml_zip_is_root_with_one_child_per_record(env):
    r = tw_dump(env["srv"], PM25_RID, format="xml")
    assert r.status_code == 200
    name, data = unzip_one(r.content)
    assert name == f"{PM25_RID}.xml"
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<dataset ')
    root = ET.fromstring(data)
    assert root.tag == "dataset" and len(root) == 11571
    db = db_rows(env["conn"], env["tables"][PM25_RID], ["_id"] + [c for c, _ in PM25_COLS])
    got = [tuple(child.find(c).text for c in ["_id"] + [c for c, _ in PM25_COLS])
           for child in root]
    assert got == db


def test_tw_typed_values_in_every_format(env):
    srv = env["srv"]
    _, data = unzip_one(tw_dump(srv, TYPED_RID, format="json").content)
    recs = json.loads(data)
    assert recs[0] == {"_id": 1, "name": "plain", "n4": 1, "n8": 1, "amount": "1.50",
                       "day": "2024-01-31", "at": "2024-01-31T08:00:00", "ok": True,
                       "note": "臺北市"}
    assert recs[1]["n8"] == 9007199254740993 and recs[1]["day"] is None
    assert recs[1]["note"] == "" and recs[2]["note"] is None
    assert [x["name"] for x in recs] == [row[0] for row in TYPED_ROWS]
    assert recs[5]["note"] == "ctl\x01\x1fchar" and recs[6]["amount"] == "NaN"
    _, data = unzip_one(tw_dump(srv, TYPED_RID, format="xml").content)
    root = ET.fromstring(data)  # well formed although values hold control characters
    assert root[0].find("ok").text == "true" and root[0].find("at").text == "2024-01-31T08:00:00"
    assert root[2].find("note").get(XSI) == "true" and root[1].find("note").text is None
    assert root[3].find("name").text == "new\nline and cr\r here"
    assert root[4].find("name").text == "<tag> & 'amp' >"
    assert root[5].find("note").text == "ctl\ufffd\ufffdchar"
    _, data = unzip_one(tw_dump(srv, TYPED_RID).content)
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[1] == ["1", "plain", "1", "1", "1.50", "2024-01-31", "2024-01-31T08:00:00",
                       "true", "臺北市"]
    assert rows[4][1] == "new\nline and cr\r here" and rows[2][8] == "" and rows[2][5] == ""


def test_tw_conditional_requests(env):
    srv = env["srv"]
    r = tw_dump(srv, PM25_RID)
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", W/{etag}'},
                    {"If-None-Match": "*"}, {"If-Modified-Since": lm},
                    {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
        c = srv.get(f"{SRU}/dump/datastore/{PM25_RID}", headers=headers)
        assert c.status_code == 304, headers
        assert c.content == b"" and c.headers["ETag"] == etag
    for headers in ({"If-None-Match": '"other"'},
                    {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                    {"If-None-Match": '"other"', "If-Modified-Since": lm}):
        assert srv.get(f"{SRU}/dump/datastore/{PM25_RID}", headers=headers).status_code == 200
    other = tw_dump(srv, PM25_RID, format="json").headers["ETag"]
    assert other != etag


def test_tw_errors(env):
    srv = env["srv"]
    for params in ({"format": "csv,json,xml"}, {"format": "CSV"}, {"format": ""},
                   {"format": "tsv"}):
        r = tw_dump(srv, PM25_RID, **params)
        assert r.status_code == 400
        assert r.json()["error"]["type"].startswith("ER0210"), params
    r = srv.get(f"{SRU}/dump/datastore/{PM25_RID}?format=csv&format=json")
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0210")
    r = tw_dump(srv, PM25_RID, limit="10")
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0200")
    for rid in ("A41000000G-000001-999", "387000000A-000123-001"):  # unknown; no datastore
        r = tw_dump(srv, rid)
        assert r.status_code == 404
        assert r.headers["Content-Type"].startswith("application/json")
        body = r.json()
        assert body["success"] is False and body["error"]["type"].startswith("ER0100")


def test_tw_rebuilt_when_data_changes(env):
    srv, conn, table = env["srv"], env["conn"], env["tables"][REBUILD_RID]
    first = tw_dump(srv, REBUILD_RID)
    files = [f for f in os.listdir(env["dir"]) if f.startswith(REBUILD_RID + ".")]
    assert len(files) == 1
    assert tw_dump(srv, REBUILD_RID).content == first.content
    with conn.cursor() as cur:
        cur.execute(f'UPDATE datastore."{table}" SET "SiteName" = \'改過\' WHERE "_id" = 1')
        cur.execute("UPDATE datastore_table SET data_version = data_version + 1, "
                    "modified = modified + interval '1 second' WHERE resource_id = %s",
                    (REBUILD_RID,))
    second = tw_dump(srv, REBUILD_RID)
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    _, data = unzip_one(second.content)
    assert data.decode("utf-8").splitlines()[1].startswith("1,改過,")
    c = srv.get(f"{SRU}/dump/datastore/{REBUILD_RID}",
                headers={"If-None-Match": first.headers["ETag"]})
    assert c.status_code == 200
    files = [f for f in os.listdir(env["dir"]) if f.startswith(REBUILD_RID + ".")]
    assert files == [f"{REBUILD_RID}.2.{files[0].split('.')[2]}.csv.zip"]


def test_tw_concurrent_first_requests_build_once(env):
    """8 requests per format at once: one build each; 3 builds with 2 workers, so one waits
    for a free worker (builds hold a connection only while they run)."""
    srv = env["srv"]
    fmts = ["csv", "json", "xml"] * 8
    with cf.ThreadPoolExecutor(len(fmts)) as ex:
        rs = list(ex.map(lambda f: tw_dump(srv, CONC_RID, format=f), fmts))
    assert all(r.status_code == 200 for r in rs)
    for fmt in ("csv", "json", "xml"):
        bodies = {r.content for f, r in zip(fmts, rs) if f == fmt}
        assert len(bodies) == 1
        assert unzip_one(bodies.pop())[0] == f"{CONC_RID}.{fmt}"
        built = re.findall(r"dump: built \S*/" + re.escape(CONC_RID) + rf"\.\S+\.{fmt}\.zip ",
                           srv.log_text())
        assert len(built) == 1, built


# ---- CKAN /datastore/dump: expected bytes computed as CKAN computes them ------------------------


def sj_dumps(obj):
    return (sj or json).dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sj_loads(text):
    return sj.loads(text) if sj else json.loads(text)


def ckan_select(fields, records_format):
    """ckanext/datastore/backend/postgres.py datastore_search: the select list."""
    cols = []
    for fid, typ in fields:
        ident = '"' + fid.replace('"', '""') + '"'
        fmt = "coalesce(to_json({0}),'null')" if records_format == "lists" else "{0}"
        if typ == "timestamp":
            fmt = "to_char({0}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            if records_format == "lists":
                fmt = f"coalesce(to_json({fmt}), 'null')"
        if records_format == "objects":
            fmt += " as {0}"
        cols.append(fmt.format(ident))
    return cols


def insert_node(root, k, v):
    el = ET.SubElement(root, k)
    if v is None:
        el.attrib["xsi:nil"] = "true"
    elif not isinstance(v, (list, dict)):
        el.text = str(v)


def ckan_expected(conn, table, fields, fmt="csv", bom=False, where="", order='"_id"',
                  limit=None, offset=0):
    """The bytes of CKAN's /datastore/dump for these fields [(id, type)] and query."""
    inner = f'SELECT * FROM datastore."{table}" {where} ORDER BY {order}'
    if limit is not None:
        inner += f" LIMIT {limit}"
    if offset:
        inner += f" OFFSET {offset}"
    ids = [f for f, _ in fields]
    with conn.cursor() as cur:
        if fmt in ("csv", "tsv"):
            out = io.StringIO()
            if bom:
                out.write("\ufeff")
            csv.writer(out, dialect="excel" if fmt == "csv" else "excel-tab").writerow(ids)
            rows = io.BytesIO()
            delim = "','" if fmt == "csv" else "'\t'"
            cur.copy_expert(f"COPY (SELECT {', '.join(ckan_select(fields, 'csv'))} FROM ({inner})"
                            f" AS z) TO STDOUT csv DELIMITER {delim}", rows)
            return out.getvalue().encode("utf-8") + rows.getvalue()
        if fmt == "json":
            cur.execute("SELECT '[' || " + " || ',' || ".join(ckan_select(fields, "lists"))
                        + f" || ']' FROM ({inner}) AS z")
            recs = [sj_loads(row[0]) for row in cur.fetchall()]
            flds = [{"id": f, "type": "int" if f == "_id" else t} for f, t in fields]
            out = ("\ufeff" if bom else "") + '{\n  "fields": %s,\n  "records": [' % sj_dumps(flds)
            for i, rec in enumerate(recs):
                out += ("\n    " if i == 0 else ",\n    ") + sj_dumps(rec)
            return out.encode("utf-8") + b"\n]}\n"
        cur.execute(f"SELECT array_to_json(array_agg(j))::text FROM (SELECT "
                    f"{', '.join(ckan_select(fields, 'objects'))} FROM ({inner}) AS z) AS j")
        text = cur.fetchone()[0]
        recs = sj_loads(text) if text else []
        out = io.BytesIO()
        if bom:
            out.write(codecs.BOM_UTF8)
        out.write(b'<data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')
        id_col = ids[0] == "_id"
        for rec in recs:
            root = ET.Element("row")
            if id_col:
                root.attrib["_id"] = str(rec["_id"])
            for c in ids[1:] if id_col else ids:
                insert_node(root, c, rec[c])
            ET.ElementTree(root).write(out, encoding="utf-8")
            out.write(b"\n")
        out.write(b"</data>\n")
        return out.getvalue()


def ckan_dump(srv, rid, **params):
    return srv.get(f"/datastore/dump/{rid}", params=params, timeout=60)


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "tsv": "text/tab-separated-values; charset=utf-8",
                 "json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
@pytest.mark.parametrize("bom", [False, True])
def test_ckan_dump_is_byte_compatible(env, fmt, bom):
    fields = [("_id", "int8")] + TYPED_COLS
    params = {"format": fmt} if fmt != "csv" else {}
    if bom:
        params["bom"] = "True"
    r = ckan_dump(env["srv"], TYPED_RID, **params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPES[fmt]
    assert r.headers["Content-Disposition"] == f'attachment; filename="{TYPED_RID}.{fmt}"'
    assert r.headers.get("Transfer-Encoding") == "chunked"
    want = ckan_expected(env["conn"], env["tables"][TYPED_RID], fields, fmt, bom)
    assert r.content == want


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_ckan_dump_of_real_file(env, fmt):
    fields = [("_id", "int8")] + PM25_COLS
    r = ckan_dump(env["srv"], PM25_RID, format=fmt)
    assert r.status_code == 200
    assert r.content == ckan_expected(env["conn"], env["tables"][PM25_RID], fields, fmt)
    if fmt == "csv":
        assert r.content.startswith(b"_id,SiteName,MonitorDate,Concentration,ItemUnit\r\n1,")


def test_ckan_dump_query_parameters(env):
    srv, conn, table = env["srv"], env["conn"], env["tables"][PM25_RID]
    cases = [
        ({"filters": json.dumps({"SiteName": "士林"})}, None, "WHERE \"SiteName\" = '士林'",
         '"_id"', None, 0),
        ({"filters": json.dumps({"SiteName": ["士林", "板橋"], "MonitorDate": 20200512})}, None,
         "WHERE \"SiteName\" = ANY ('{士林,板橋}') AND \"MonitorDate\"::text = '20200512'",
         '"_id"', None, 0),
        ({"q": "板橋"}, None,
         "WHERE (coalesce(\"SiteName\", '') || ' ' || coalesce(\"MonitorDate\"::text, '') || ' '"
         " || coalesce(\"Concentration\"::text, '') || ' ' || coalesce(\"ItemUnit\", '')) "
         "ILIKE '%板橋%'", '"_id"', None, 0),
        ({"q": json.dumps({"SiteName": "板"})}, None, "WHERE \"SiteName\"::text ILIKE '%板%'",
         '"_id"', None, 0),
        ({"fields": "SiteName, Concentration", "sort": "Concentration desc, SiteName"},
         [("SiteName", "text"), ("Concentration", "numeric")], "",
         '"Concentration" DESC, "SiteName" ASC, "_id" ASC', None, 0),
        ({"limit": "25", "offset": "100"}, None, "", '"_id"', 25, 100),
        ({"limit": "0"}, None, "", '"_id"', 0, 0),
        ({"offset": "11570", "sort": "_id desc"}, None, "", '"_id" DESC', None, 11570),
    ]
    for params, fields, where, order, limit, offset in cases:
        fields = fields or [("_id", "int8")] + PM25_COLS
        for fmt in ("csv", "json"):
            r = ckan_dump(srv, PM25_RID, format=fmt, **params)
            assert r.status_code == 200, (params, r.text)
            want = ckan_expected(conn, table, fields, fmt, False, where, order, limit, offset)
            assert r.content == want, params


def test_ckan_dump_errors(env):
    srv = env["srv"]
    r = ckan_dump(srv, "no-such-resource")
    assert r.status_code == 404
    body = r.json()
    assert body["success"] is False and body["error"]["__type"] == "Not Found Error"
    assert body["error"]["message"] == 'Not found: Resource "no-such-resource" was not found.'
    for params in ({"format": "xlsx"}, {"limit": "-1"}, {"offset": "1.5"}, {"filters": "{x"},
                   {"filters": "[1]"}, {"fields": "SiteName,,ItemUnit"},
                   {"fields": "SiteName,SiteName"}, {"q": "{\"SiteName\": {}}"},
                   {"fields": "NoSuchField"}, {"sort": "NoSuchField desc"},
                   {"filters": json.dumps({"NoSuch": 1})},
                   {"filters": json.dumps({"SiteName": {"a": 1}})}):
        r = ckan_dump(srv, PM25_RID, **params)
        assert r.status_code == 409, (params, r.status_code, r.text)
        assert r.json()["error"]["__type"] == "Validation Error", params
    assert ckan_dump(srv, PM25_RID, limit="1").status_code == 200


def test_ckan_dump_head_and_unknown_params(env):
    r = requests.head(env["srv"].base + f"/datastore/dump/{PM25_RID}?format=json", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == CONTENT_TYPES["json"] and r.content == b""
    r = ckan_dump(env["srv"], PM25_RID, limit="2", _="12345", plain="false", language="english")
    assert r.status_code == 200 and r.content.count(b"\n") == 3


def read_some_then_close(base, path, nbytes):
    host, port = base.replace("http://", "").split(":")
    s = socket.create_connection((host, int(port)))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    got = b""
    while len(got) < nbytes:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    return got


def test_ckan_client_going_away_frees_the_stream(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    conn = connect(db)
    load_big(conn, BIG_RID, rows=200_000)
    dump_dir = tempfile.mkdtemp(prefix="opendatad-dumps-")
    srv = Server(db, "--dump-dir", dump_dir, "--dump-streams-max", "1", threads=1)
    try:
        held = socket.create_connection(("127.0.0.1", srv.port))
        held.sendall(f"GET /datastore/dump/{BIG_RID} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert held.recv(100).startswith(b"HTTP/1.1 200 OK")
        r = ckan_dump(srv, BIG_RID, limit="3")  # the one stream allowed is taken
        assert r.status_code == 503 and r.json()["error"]["__type"] == "Service Unavailable"
        held.close()
        time.sleep(0.3)
        for _ in range(3):  # each stream must be released, or the next is refused (503)
            got = read_some_then_close(srv.base, f"/datastore/dump/{BIG_RID}", 300_000)
            assert got.startswith(b"HTTP/1.1 200 OK")
            time.sleep(0.3)
        r = ckan_dump(srv, BIG_RID, limit="3")
        assert r.status_code == 200 and len(r.content.splitlines()) == 4
        with conn.cursor() as cur:  # the dump transactions were rolled back, none left open
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'opendatad-dump' AND state <> 'idle'")
            assert cur.fetchone()[0] == 0
        assert re.search(rf"GET /datastore/dump/{BIG_RID} 200 \d+", srv.log_text())
    finally:
        srv.stop()
        conn.close()
        shutil.rmtree(dump_dir, ignore_errors=True)


# ---- memory: a slow reader must not grow the server -------------------------------------------


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def big(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    conn = connect(db)
    table = load_big(conn, BIG_RID)
    dump_dir = tempfile.mkdtemp(prefix="opendatad-dumps-")
    srv = Server(db, "--dump-dir", dump_dir)
    yield {"db": db, "conn": conn, "srv": srv, "table": table}
    srv.stop()
    conn.close()
    shutil.rmtree(dump_dir, ignore_errors=True)


@measures_memory
@pytest.mark.parametrize("fmt", ["json", "csv"])  # rows from a cursor; rows from COPY
def test_slow_reader_does_not_grow_server_memory(big, fmt):
    """1.5M rows (~70-100 MB) read at ~2 MB/s: without backpressure the worker would buffer
    the whole dump within seconds (measured: RSS +108 MiB); with it the RSS stays flat."""
    srv = big["srv"]
    assert ckan_dump(srv, BIG_RID, limit="10", format=fmt).status_code == 200  # warm up
    base = vm_rss_kib(srv.proc.pid)
    host, port = srv.base.replace("http://", "").split(":")
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(f"GET /datastore/dump/{BIG_RID}?format={fmt} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    got, peak, t_end = 0, base, time.time() + 6
    while time.time() < t_end:
        data = s.recv(16384)
        assert data
        got += len(data)
        time.sleep(0.008)
        peak = max(peak, vm_rss_kib(srv.proc.pid))
    s.close()
    print(f"slow {fmt} reader: read {got >> 20} MiB, RSS {base >> 10} -> peak {peak >> 10} MiB")
    assert got > 5 << 20
    assert peak - base < 64 * 1024, (base, peak)


@measures_memory
def test_big_zip_build_memory_and_contents(big):
    srv, conn = big["srv"], big["conn"]
    base = vm_rss_kib(srv.proc.pid)
    with cf.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(tw_dump, srv, BIG_RID, format="json")
        peak = base
        while not fut.done():
            peak = max(peak, vm_rss_kib(srv.proc.pid))
            time.sleep(0.02)
        r = fut.result()
    assert r.status_code == 200
    print(f"json.zip build: server RSS {base >> 10} -> peak {peak >> 10} MiB")
    assert peak - base < 64 * 1024, (base, peak)
    z = zipfile.ZipFile(io.BytesIO(r.content))
    with z.open(f"{BIG_RID}.json") as f:
        first = f.read(200).decode("utf-8")
    assert first.startswith('[\n{"_id":1,"name":"測站 1 臺北市中正區","n":1,"v":"1.5",')
    info = z.getinfo(f"{BIG_RID}.json")
    assert info.file_size > 100 << 20 and info.compress_size < info.file_size / 4
    with conn.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM datastore."{big["table"]}"')
        assert cur.fetchone()[0] == BIG_ROWS
    tail = z.read(f"{BIG_RID}.json")[-120:].decode("utf-8")
    assert tail.endswith('"flag":true}\n]\n') and f'"_id":{BIG_ROWS},' in tail
