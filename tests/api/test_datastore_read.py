"""Datastore reads: Taiwan endpoint 7 ({SRU}/rest/datastore/{rid}) and CKAN datastore_search /
datastore_info, on a table laid out as docs/DATASTORE.md says (the real EPA PM2.5 file)."""
import csv
import io
import json
import os

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, ROOT, Server, new_database, validate

RID = "355000000I-000207-001"
DATA = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
FIELDS = [("SiteName", "text"), ("MonitorDate", "int4"), ("Concentration", "numeric"),
          ("ItemUnit", "text")]


def file_rows():
    with open(DATA, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def make_table(db, rid=RID):
    """Create and fill the datastore table of rid as the importers do."""
    header, rows = file_rows()
    cols = ", ".join(f'"{n}" {t}' for n, t in FIELDS)
    search = " || ' ' || ".join(
        f"coalesce(\"{n}\"{'::text' if t != 'text' else ''}, '')" for n, t in FIELDS)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE TABLE datastore."{rid}" ("_id" bigint GENERATED ALWAYS AS '
                    f'IDENTITY PRIMARY KEY, {cols})')
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        buf.seek(0)
        cur.copy_expert(f'COPY datastore."{rid}" ({", ".join(chr(34) + n + chr(34) for n, _ in FIELDS)}) '
                        "FROM STDIN WITH (FORMAT csv)", buf)
        cur.execute("INSERT INTO datastore_table (resource_id, table_name, fields, row_count, "
                    "max_id, search_expr) VALUES (%s, ds_table_name(%s), %s, %s, %s, %s)",
                    (rid, rid, json.dumps([{"id": n, "type": t, "info": {"original_header": n}}
                                           for n, t in FIELDS]), len(rows), len(rows), search))
        cur.execute("UPDATE resource SET datastore_active = true WHERE id = %s", (rid,))
    return rows


@pytest.fixture(scope="module")
def ds(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    rows = make_table(db)
    srv = Server(db)
    yield srv, rows
    srv.stop()


def tw(srv, query=""):
    return srv.get(f"/api/v1/rest/datastore/{RID}" + (f"?{query}" if query else ""))


def ck(srv, action, **params):
    return srv.get(f"/api/3/action/{action}", params=params)


# ---- Taiwan endpoint 7 -------------------------------------------------------------------

def test_tw_page_is_rows_11_and_12_of_the_file(ds):
    srv, rows = ds
    r = tw(srv, "offset=10&limit=2")
    assert r.status_code == 200
    body = r.json()
    res = body["result"]
    assert [rec["_id"] for rec in res["records"]] == [11, 12]
    for rec, row in zip(res["records"], rows[10:12]):
        assert [rec["SiteName"], str(rec["MonitorDate"]), rec["Concentration"], rec["ItemUnit"]] == row
    assert res["limit"] == 2 and res["offset"] == 10 and res["total"] == len(rows)
    assert res["resource_id"] == RID


def test_tw_shape_fields_before_records_and_value_types(ds):
    srv, _ = ds
    r = tw(srv, "limit=1")
    text = r.content.decode()
    assert text.index('"fields"') < text.index('"records"')
    res = r.json()["result"]
    assert res["fields"] == [{"type": "int4", "id": "_id"}] + [{"type": t, "id": n} for n, t in FIELDS]
    rec = res["records"][0]
    assert isinstance(rec["_id"], int) and isinstance(rec["MonitorDate"], int)
    assert isinstance(rec["Concentration"], str)  # numeric in PostgreSQL's text form
    assert set(rec) == {"_id"} | {n for n, _ in FIELDS}


def test_tw_filters_equality_and_total(ds):
    srv, rows = ds
    want = [i + 1 for i, row in enumerate(rows) if row[0] == "美濃"]
    r = tw(srv, "filters=" + requests.utils.quote('{"SiteName":"美濃"}') + "&limit=5")
    res = r.json()["result"]
    assert res["total"] == len(want)
    assert [rec["_id"] for rec in res["records"]] == want[:5]
    r = tw(srv, "filters=" + requests.utils.quote('{"SiteName":"美濃","MonitorDate":"20200512"}'))
    assert {(x["SiteName"], x["MonitorDate"]) for x in r.json()["result"]["records"]} == {("美濃", 20200512)}


def test_tw_q_finds_chinese_substring(ds):
    srv, rows = ds
    r = tw(srv, "q=" + requests.utils.quote("美濃") + "&limit=3")
    res = r.json()["result"]
    assert res["total"] == sum(1 for row in rows if "美濃" in ",".join(row))
    assert all("美濃" in rec["SiteName"] for rec in res["records"])


def test_tw_sort_and_fields(ds):
    srv, rows = ds
    r = tw(srv, "sort=" + requests.utils.quote("MonitorDate desc") + "&limit=3&fields=MonitorDate,SiteName")
    res = r.json()["result"]
    assert [f["id"] for f in res["fields"]] == ["MonitorDate", "SiteName"]
    dates = [rec["MonitorDate"] for rec in res["records"]]
    assert dates == sorted((int(row[1]) for row in rows), reverse=True)[:3]
    assert set(res["records"][0]) == {"MonitorDate", "SiteName"}
    r = tw(srv, "sort=SiteName&limit=2")
    assert r.json()["result"]["records"][0]["SiteName"] == min(row[0] for row in rows)


def test_tw_deep_offset(ds):
    srv, rows = ds
    res = tw(srv, "offset=11000&limit=2").json()["result"]
    assert [rec["_id"] for rec in res["records"]] == [11001, 11002]
    assert tw(srv, f"offset={len(rows)}").json()["result"]["records"] == []


@pytest.mark.parametrize("query,code", [
    ("filters=EngFiled1:ValueaA", "ER0210"),
    ('filters="EngFiled1":"ValueaA"', "ER0210"),
    ('filters={"SiteName":{"a":1}}', "ER0210"),
    ('filters={"Nope":"x"}', "ER0220"),
    ("q=市", "ER0210"),
    ("q=a", "ER0210"),
    ("sort=A,B", "ER0210"),
    ("sort=Nope", "ER0220"),
    ("fields=name;description", "ER0210"),
    ('fields="name":"description"', "ER0210"),
    ("fields=SiteName,Nope", "ER0220"),
    ("fields=", "ER0210"),
    ("limit=11.5", "ER0210"),
    ("limit=10,000", "ER0210"),
    ("limit=1000000000", "ER0210"),
    ("offset=all", "ER0210"),
    ("limt=10", "ER0200"),
])
def test_tw_errors(ds, query, code):
    srv, _ = ds
    r = tw(srv, query)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False
    assert body["error"]["type"].startswith(code + ":")
    validate(body, "tw-error.schema.json")


def test_tw_unknown_resource(ds):
    srv, _ = ds
    r = srv.get("/api/v1/rest/datastore/A41000000G-000001-001")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["type"].startswith("ER0100:")
    assert err["message"] == '找不到資料: Resource "A41000000G-000001-001" was not found.'


# ---- CKAN datastore_search / datastore_info ----------------------------------------------

def test_ckan_search_defaults(ds):
    srv, rows = ds
    r = ck(srv, "datastore_search", resource_id=RID)
    assert r.status_code == 200
    res = r.json()["result"]
    assert res["limit"] == 100 and len(res["records"]) == 100 and res["total"] == len(rows)
    assert res["fields"][0] == {"id": "_id", "type": "int"}
    assert res["records"][0]["_id"] == 1
    assert res["records"][0]["SiteName"] == rows[0][0]
    assert isinstance(res["records"][0]["Concentration"], (int, float))
    assert res["_links"]["start"] == f"/api/3/action/datastore_search?resource_id={RID}"
    assert res["_links"]["next"].endswith("offset=100")
    assert res["include_total"] is True and res["records_format"] == "objects"


def test_ckan_search_limit_clamped_and_lists(ds):
    srv, rows = ds
    res = ck(srv, "datastore_search", resource_id=RID, limit=40000, records_format="lists").json()["result"]
    assert res["limit"] == 32000
    assert len(res["records"]) == len(rows)
    assert res["records"][4][0] == 5 and res["records"][4][1] == rows[4][0]


def test_ckan_search_csv_and_fields(ds):
    srv, rows = ds
    res = ck(srv, "datastore_search", resource_id=RID, limit=3, records_format="csv",
             fields="SiteName,ItemUnit").json()["result"]
    assert res["records"] == "".join(f"{r[0]},{r[3]}\n" for r in rows[:3])
    assert [f["id"] for f in res["fields"]] == ["SiteName", "ItemUnit"]


def test_ckan_search_filters_list_and_sort(ds):
    srv, rows = ds
    res = ck(srv, "datastore_search", resource_id=RID, limit=1000, sort="_id desc",
             filters=json.dumps({"SiteName": ["美濃", "朴子"]})).json()["result"]
    want = [i + 1 for i, row in enumerate(rows) if row[0] in ("美濃", "朴子")]
    assert res["total"] == len(want)
    assert [x["_id"] for x in res["records"]] == sorted(want, reverse=True)[:1000]


def test_ckan_search_post_json_and_form_trick(ds):
    srv, _ = ds
    body = {"resource_id": RID, "limit": 2, "offset": 10, "include_total": False}
    r = requests.post(srv.base + "/api/3/action/datastore_search", json=body, timeout=10)
    res = r.json()["result"]
    assert [x["_id"] for x in res["records"]] == [11, 12]
    assert "total" not in res
    r = requests.post(srv.base + "/api/3/action/datastore_search", data=json.dumps(body),
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert [x["_id"] for x in r.json()["result"]["records"]] == [11, 12]


@pytest.mark.parametrize("params,field", [
    ({}, "resource_id"),
    ({"resource_id": RID, "filters": json.dumps({"Nope": 1})}, "filters"),
    ({"resource_id": RID, "sort": "Nope"}, "sort"),
    ({"resource_id": RID, "fields": "Nope"}, "fields"),
    ({"resource_id": RID, "limit": "x"}, "limit"),
    ({"resource_id": RID, "offset": "-1"}, "offset"),
    ({"resource_id": RID, "records_format": "xml"}, "records_format"),
    ({"resource_id": RID, "filters": "[1]"}, "filters"),
    ({"resource_id": RID, "foo": "1"}, "__extras"),
])
def test_ckan_search_validation_errors(ds, params, field):
    srv, _ = ds
    r = ck(srv, "datastore_search", **params)
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["__type"] == "Validation Error"
    assert isinstance(err[field], list) and err[field]


def test_ckan_search_unknown_resource(ds):
    srv, _ = ds
    r = ck(srv, "datastore_search", resource_id="nope")
    assert r.status_code == 404
    assert r.json()["error"] == {"message": 'Not found: Resource "nope" was not found.',
                                 "__type": "Not Found Error"}


def test_ckan_datastore_info(ds):
    srv, rows = ds
    res = ck(srv, "datastore_info", id=RID).json()["result"]
    assert res["meta"]["count"] == len(rows)
    assert [f["id"] for f in res["fields"]] == [n for n, _ in FIELDS]
    assert res["fields"][1]["schema"]["native_type"] == "integer"
    assert ck(srv, "datastore_info", id="nope").status_code == 404


def test_tw_one_spacing_style_and_pretty(ds):
    srv, _ = ds
    r = tw(srv, "limit=3")
    body = r.json()
    assert r.text == json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    p = tw(srv, "limit=3&pretty=true")
    assert p.status_code == 200 and p.json() == body and p.text.startswith("{\n")
    assert p.text.index('"fields"') < p.text.index('"records"')
    r = tw(srv, "limit=3&pretty=maybe")
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0210")
