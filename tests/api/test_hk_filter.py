"""The Hong Kong Data Filtering API: GET /v2/filter?q={JSON} (and /v1/filter).

Real DATA.GOV.HK files (tests/fixtures/hk, see ATTRIBUTION.md) are loaded with
`opendata-import csv` and given the URLs they are published under. Every answer is checked
against an oracle computed here from the file itself (cells as the importer keeps them:
unquoted fields lose the blanks at their ends), for every operator, sorts, the three formats and
every error form."""
import csv
import io
import json
import os
import re
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from decimal import Decimal

import psycopg2
import pytest
import requests

from conftest import (DEMO_CATALOG, FIXTURES, ROOT, Server, measures_memory, new_database,
                      run_import)

HK = os.path.join(FIXTURES, "hk")
DATASET = "A41000000G-000001"
PRIVATE_DATASET = "313200000G-000216"
BLD_URL = "http://www.chp.gov.hk/files/misc/building_list_eng.csv"
SIT_URL = "http://www.chp.gov.hk/files/misc/latest_situation_of_reported_cases_covid_19_eng.csv"
TD_URL = ("https://static.data.gov.hk/td/traffic-data-strategic-major-roads/info/"
          "traffic_speed_volume_occ_info.csv")
FILES = {  # resource id: (file, published URL)
    "hk-bld": ("chp_building_list_eng.csv", BLD_URL),
    "hk-sit": ("chp_latest_situation_of_reported_cases_covid_19_eng.csv", SIT_URL),
    "hk-td": ("td_traffic_detector_locations.csv", TD_URL),
    "hk-wx": ("weather_station_info.csv", None),
}
NUMBER = re.compile(r"^[ \t]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?[ \t]*$")


def csv_records(text):
    """RFC 4180 records of text, each field with whether it was quoted."""
    records, rec, field, quoted, i = [], [], [], False, 0
    while i < len(text):
        c = text[i]
        if c == '"' and not field and not quoted:
            quoted, j = True, i + 1
            while True:
                k = text.index('"', j)
                field.append(text[j:k])
                if text[k + 1:k + 2] != '"':
                    break
                field.append('"')
                j = k + 2
            i = k + 1
            continue
        if c in ",\r\n":
            rec.append(("".join(field), quoted))
            field, quoted = [], False
            if c != ",":
                records.append(rec)
                rec = []
                i += 2 if text[i:i + 2] == "\r\n" else 1
                continue
        else:
            field.append(c)
        i += 1
    if field or rec:
        records.append(rec + [("".join(field), quoted)])
    return records


def read_rows(name):
    """Header and rows of a fixture as the importer keeps them: unquoted fields lose the blanks
    at their ends, blank lines are skipped."""
    with open(os.path.join(HK, name), encoding="utf-8-sig", newline="") as f:
        records = csv_records(f.read())
    rows = [[v if q else v.strip(" \t") for v, q in r] for r in records]
    return [v for v, _ in records[0]], [r for r in rows[1:] if any(r)]


@pytest.fixture(scope="module")
def srv(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    for rid, (name, url) in FILES.items():
        run_import(db, "csv", os.path.join(HK, name), "--resource-id", rid, "--dataset", DATASET,
                   check=True)
    run_import(db, "csv", os.path.join(HK, "weather_station_info.csv"), "--resource-id",
               "hk-private", "--dataset", PRIVATE_DATASET, check=True)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        for rid, (_, url) in FILES.items():
            if url:
                cur.execute("UPDATE resource SET download_url = %s WHERE id = %s", (url, rid))
        cur.execute("UPDATE package SET private = true WHERE identifier = %s", (PRIVATE_DATASET,))
        cur.execute("UPDATE resource SET download_url = 'http://x.test/private.csv' "
                    "WHERE id = 'hk-private'")
        # a resource without DataStore data, under a URL of its own
        cur.execute("UPDATE resource SET download_url = 'http://x.test/nodata.csv' WHERE id = "
                    "(SELECT min(id) FROM resource WHERE NOT datastore_active)")
    s = Server(db)
    s.db = db
    yield s
    s.stop()


def filt(srv, q, path="/v2/filter"):
    return srv.get(path, params={"q": q if isinstance(q, str) else json.dumps(q)})


def rows_json(r):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(r.text, parse_float=Decimal)
    assert isinstance(data, list)
    return data


def cells(data):
    return [["" if v == "" else str(v) for v in d.values()] for d in data]


def query(rid, fmt="json", **kw):
    return {"resource": rid, "section": 1, "format": fmt, **kw}


# ---- formats -------------------------------------------------------------------------------------

def test_json_is_a_bare_array_keyed_by_the_headers_in_column_order(srv):
    header, rows = read_rows("chp_building_list_eng.csv")
    data = rows_json(filt(srv, query(BLD_URL)))
    assert all(list(d) == header for d in data)
    assert cells(data) == rows and len(rows) == 1787


def test_json_numbers_are_numbers_and_empty_cells_empty_strings(srv):
    header, rows = read_rows("chp_latest_situation_of_reported_cases_covid_19_eng.csv")
    data = rows_json(filt(srv, query("hk-sit")))
    assert cells(data) == rows
    first = data[0]
    assert first["As of date"] == "08/01/2020" and first["Number of ruled out cases"] == 21
    assert first["Number of hospitalised cases in critical condition"] == ""
    # headers longer than a column name may be are kept whole
    assert header[-1] in first and len(header[-1].encode()) > 63
    wx = rows_json(filt(srv, query("hk-wx")))
    assert wx[0]["latitude"] == Decimal("22.30944444") and wx[0]["station_code"] == "CLK"


def test_csv_has_the_file_header_and_rows(srv):
    header, rows = read_rows("td_traffic_detector_locations.csv")
    r = filt(srv, query(TD_URL, "csv"))
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Content-Disposition" not in r.headers
    text = r.content.decode("utf-8")
    assert text.startswith(",".join(header) + "\n") and not text.startswith("\ufeff")
    got = list(csv.reader(io.StringIO(text)))
    assert got[0] == header and got[1:] == rows


def test_csv_is_the_default_format(srv):
    r = filt(srv, {"resource": "hk-wx"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [read_rows("weather_station_info.csv")[0]] + \
        read_rows("weather_station_info.csv")[1]


def test_xml_has_a_row_per_record_and_a_named_field_per_column(srv):
    header, rows = read_rows("td_traffic_detector_locations.csv")
    r = filt(srv, query("hk-td", "xml", filters=[[2, "eq", ["Southern"]]]))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "rows" and all(e.tag == "row" for e in root)
    got = [[f.text or "" for f in row] for row in root]
    assert all([f.get("name") for f in row] == header for row in root)
    assert got == [x for x in rows if x[1] == "Southern"] and got


def test_v1_filter_answers_the_same(srv):
    q = query(BLD_URL, filters=[[1, "eq", ["Sha Tin"]]])
    assert filt(srv, q, "/v1/filter").text == filt(srv, q).text


def test_head_gets_the_headers_only(srv):
    r = requests.head(srv.base + "/v2/filter", params={"q": json.dumps(query("hk-wx"))})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.content == b""


# ---- resources -----------------------------------------------------------------------------------

def test_resource_by_url_by_other_scheme_and_by_id(srv):
    want = filt(srv, query("hk-bld")).text
    assert filt(srv, query(BLD_URL)).text == want
    assert filt(srv, query(BLD_URL.replace("http://", "https://"))).text == want
    assert filt(srv, query(TD_URL.replace("https://", "http://"))).text == \
        filt(srv, query("hk-td")).text


@pytest.mark.parametrize("resource", [
    "http://www.chp.gov.hk/files/misc/no_such_file.csv", "no-such-id", BLD_URL + "x",
    "http://x.test/private.csv", "hk-private", "http://x.test/nodata.csv"])
def test_not_a_valid_resource(srv, resource):
    r = filt(srv, query(resource))
    assert r.status_code == 422
    assert r.json() == {"code": "422", "message": "Not a valid resource"}


def test_a_deleted_resource_is_not_valid(srv):
    with psycopg2.connect(srv.db) as conn, conn.cursor() as cur:
        cur.execute("UPDATE resource SET state = 'deleted' WHERE id = 'hk-wx'")
    try:
        assert filt(srv, query("hk-wx")).status_code == 422
    finally:
        with psycopg2.connect(srv.db) as conn, conn.cursor() as cur:
            cur.execute("UPDATE resource SET state = 'active' WHERE id = 'hk-wx'")
    assert filt(srv, query("hk-wx")).status_code == 200


# ---- operators -----------------------------------------------------------------------------------

def num(s):
    return Decimal(s) if NUMBER.match(s) else None


def numeric(pred):
    return lambda c, ops: num(c) is not None and pred(num(c), [Decimal(o) for o in ops])


OPS = {
    "eq": lambda c, ops: c == ops[0],
    "ne": lambda c, ops: c != ops[0],
    "in": lambda c, ops: c in ops,
    "ni": lambda c, ops: c not in ops,
    "ct": lambda c, ops: ops[0] in c,
    "nct": lambda c, ops: ops[0] not in c,
    "bw": lambda c, ops: c.startswith(ops[0]),
    "nbw": lambda c, ops: not c.startswith(ops[0]),
    "ew": lambda c, ops: c.endswith(ops[0]),
    "new": lambda c, ops: not c.endswith(ops[0]),
    "lt": numeric(lambda n, o: n < o[0]),
    "le": numeric(lambda n, o: n <= o[0]),
    "gt": numeric(lambda n, o: n > o[0]),
    "ge": numeric(lambda n, o: n >= o[0]),
    "bt": numeric(lambda n, o: o[0] <= n <= o[1]),
}

CASES = [  # file, column (1-based), operator, operands
    ("chp_building_list_eng.csv", 1, "eq", ["Wan Chai"]),
    ("chp_building_list_eng.csv", 1, "eq", ["wan chai"]),
    ("chp_building_list_eng.csv", 3, "eq", [""]),
    ("chp_building_list_eng.csv", 1, "ne", ["Wan Chai"]),
    ("chp_building_list_eng.csv", 3, "ne", ["19/11/2020"]),
    ("chp_building_list_eng.csv", 1, "in", ["Sha Tin", "Islands", "Nowhere"]),
    ("chp_building_list_eng.csv", 1, "ni", ["Sha Tin", "Islands"]),
    ("chp_building_list_eng.csv", 2, "ct", ["Laguna"]),
    ("chp_building_list_eng.csv", 2, "ct", ["laguna"]),
    ("chp_building_list_eng.csv", 2, "ct", ["%"]),
    ("chp_building_list_eng.csv", 2, "nct", ["Block"]),
    ("chp_building_list_eng.csv", 2, "bw", ["Block"]),
    ("chp_building_list_eng.csv", 2, "nbw", ["Block"]),
    ("chp_building_list_eng.csv", 2, "ew", ["(non-residential)"]),
    ("chp_building_list_eng.csv", 2, "new", ["(non-residential)"]),
    ("chp_building_list_eng.csv", 4, "gt", ["6000"]),       # text column: "5590, 5602" no number
    ("chp_building_list_eng.csv", 4, "le", ["100"]),
    ("td_traffic_detector_locations.csv", 4, "ct", ["東行"]),
    ("td_traffic_detector_locations.csv", 3, "ew", ["- Eastbound"]),
    ("td_traffic_detector_locations.csv", 8, "lt", ["22.3"]),
    ("td_traffic_detector_locations.csv", 8, "le", ["22.248091"]),
    ("td_traffic_detector_locations.csv", 11, "gt", ["270"]),
    ("td_traffic_detector_locations.csv", 11, "ge", ["2.7e2"]),
    ("td_traffic_detector_locations.csv", 9, "bt", ["114.1", "114.2"]),
    ("td_traffic_detector_locations.csv", 9, "bt", ["114.2", "114.1"]),
    ("td_traffic_detector_locations.csv", 6, "bt", [" 830000 ", "+840000"]),
    ("td_traffic_detector_locations.csv", 1, "lt", ["5"]),  # no cell is a number
    ("chp_latest_situation_of_reported_cases_covid_19_eng.csv", 4, "lt", ["1000"]),  # blanks
    ("chp_latest_situation_of_reported_cases_covid_19_eng.csv", 4, "ne", ["0"]),
    ("chp_latest_situation_of_reported_cases_covid_19_eng.csv", 1, "eq", ["09/09/2021"]),
    ("weather_station_info.csv", 5, "ge", ["100"]),
    ("weather_station_info.csv", 3, "bt", ["22.3", "22.4"]),
]
RID = {name: rid for rid, (name, _) in FILES.items()}


@pytest.mark.parametrize("name,col,op,operands", CASES)
def test_operator(srv, name, col, op, operands):
    header, rows = read_rows(name)
    want = [r for r in rows if OPS[op](r[col - 1], operands)]
    got = cells(rows_json(filt(srv, query(RID[name], filters=[[col, op, operands]]))))
    assert got == want


def test_every_operator_is_covered():
    assert {c[2] for c in CASES} == set(OPS)


def test_filters_are_anded(srv):
    header, rows = read_rows("td_traffic_detector_locations.csv")
    want = [r for r in rows if r[1] == "Kwun Tong" and Decimal(r[10]) >= 180
            and not r[2].endswith("Westbound")]
    got = cells(rows_json(filt(srv, query("hk-td", filters=[
        [2, "eq", ["Kwun Tong"]], [11, "ge", ["180"]], [3, "new", ["Westbound"]]]))))
    assert got == want and want


# ---- sorts ---------------------------------------------------------------------------------------

def test_sorts_by_text_and_number_then_file_order(srv):
    header, rows = read_rows("td_traffic_detector_locations.csv")
    got = cells(rows_json(filt(srv, query("hk-td", sorts=[[2, "asc"], [11, "desc"]]))))
    want = sorted(rows, key=lambda r: -int(r[10]))
    want = sorted(want, key=lambda r: r[1].encode())
    assert got == want


def test_sort_desc_on_a_text_date_column(srv):
    header, rows = read_rows("chp_latest_situation_of_reported_cases_covid_19_eng.csv")
    got = cells(rows_json(filt(srv, query("hk-sit", sorts=[[1, "desc"]]))))
    assert got == sorted(rows, key=lambda r: r[0].encode(), reverse=True)


def test_sort_with_a_filter(srv):
    header, rows = read_rows("weather_station_info.csv")
    got = cells(rows_json(filt(srv, query("hk-wx", filters=[[3, "gt", ["22.3"]]],
                                          sorts=[[5, "asc"]]))))
    want = sorted([r for r in rows if Decimal(r[2]) > Decimal("22.3")],
                  key=lambda r: Decimal(r[4]))
    assert got == want and len(want) > 3


# ---- errors --------------------------------------------------------------------------------------

BAD = [  # q (JSON text), words the message has
    ("{bad", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('"hk-wx"', "must be a JSON object"),
    ("{}", "resource is missing"),
    ('{"resource": 5}', "resource must be a string"),
    ('{"resource": ""}', "resource must not be empty"),
    ('{"resource": "hk-wx", "section": 0}', "section must be a positive integer"),
    ('{"resource": "hk-wx", "section": "one"}', "section must be a positive integer"),
    ('{"resource": "hk-wx", "section": 1.5}', "section must be a positive integer"),
    ('{"resource": "hk-wx", "format": "pdf"}', "format must be one of csv, json, xml"),
    ('{"resource": "hk-wx", "format": 1}', "format must be one of csv, json, xml"),
    ('{"resource": "hk-wx", "filters": {}}', "filters must be a list"),
    ('{"resource": "hk-wx", "filters": [[1, "eq"]]}', "filters[0] must be a list"),
    ('{"resource": "hk-wx", "filters": [1]}', "filters[0] must be a list"),
    ('{"resource": "hk-wx", "filters": [[0, "eq", ["x"]]]}', "filters[0]: the column"),
    ('{"resource": "hk-wx", "filters": [[-1, "eq", ["x"]]]}', "filters[0]: the column"),
    ('{"resource": "hk-wx", "filters": [["a", "eq", ["x"]]]}', "filters[0]: the column"),
    ('{"resource": "hk-wx", "filters": [[1, "like", ["x"]]]}', 'unknown operator "like"'),
    ('{"resource": "hk-wx", "filters": [[1, "EQ", ["x"]]]}', 'unknown operator "EQ"'),
    ('{"resource": "hk-wx", "filters": [[1, null, ["x"]]]}', "unknown operator null"),
    ('{"resource": "hk-wx", "filters": [[1, "eq", "x"]]}', "operands must be a list of strings"),
    ('{"resource": "hk-wx", "filters": [[1, "eq", [5]]]}', "operand 1 must be a string"),
    ('{"resource": "hk-wx", "filters": [[1, "in", ["a", null]]]}', "operand 2 must be a string"),
    ('{"resource": "hk-wx", "filters": [[1, "eq", []]]}', "eq takes 1 operand, got 0"),
    ('{"resource": "hk-wx", "filters": [[1, "ne", ["a", "b"]]]}', "ne takes 1 operand, got 2"),
    ('{"resource": "hk-wx", "filters": [[1, "in", []]]}', "in takes 1 to 1000 operands, got 0"),
    ('{"resource": "hk-wx", "filters": [[3, "bt", ["1"]]]}', "bt takes 2 operands, got 1"),
    ('{"resource": "hk-wx", "filters": [[3, "lt", ["abc"]]]}', 'operand 1 ("abc") is not one'),
    ('{"resource": "hk-wx", "filters": [[3, "gt", ["1e9999"]]]}', "is not one"),
    ('{"resource": "hk-wx", "filters": [[3, "bt", ["1", "NaN"]]]}', "operand 2"),
    ('{"resource": "hk-wx", "filters": [[1, "eq", ["a\\u0000"]]]}', "not valid JSON"),
    ('{"resource": "hk-wx", "sorts": [[1, "up"]]}', 'the direction must be "asc" or "desc"'),
    ('{"resource": "hk-wx", "sorts": [[]]}', "sorts[0] must be a list"),
    ('{"resource": "hk-wx", "sorts": "1"}', "sorts must be a list"),
    ('{"resource": "hk-wx", "sorts": [[0, "asc"]]}', "sorts[0]: the column"),
    ('{"resource": "hk-wx", "filters": [[6, "eq", ["x"]]]}',
     "filters[0]: column 6 does not exist: the resource has 5 columns"),
    ('{"resource": "hk-wx", "filters": [[1, "eq", ["x"]], [99999999999, "eq", ["x"]]]}',
     "filters[1]: column 99999999999 does not exist"),
    ('{"resource": "hk-wx", "sorts": [[1, "asc"], [6, "desc"]]}',
     "sorts[1]: column 6 does not exist"),
    ('{"resource": "hk-wx", "section": 2}', "section 2 does not exist"),
]


@pytest.mark.parametrize("q,words", BAD)
def test_malformed_query_is_400_naming_the_fault(srv, q, words):
    r = filt(srv, q)
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    body = r.json()
    assert set(body) == {"code", "message"} and body["code"] == "400"
    assert words in body["message"]


def test_too_many_filters_or_operands(srv):
    many = [[1, "eq", ["x"]]] * 101
    assert "at most 100 filters" in filt(srv, query("hk-wx", filters=many)).json()["message"]
    ops = [str(i) for i in range(1001)]
    r = filt(srv, query("hk-wx", filters=[[1, "in", ops]]))
    assert r.status_code == 400 and "in takes 1 to 1000 operands, got 1001" in r.json()["message"]
    assert filt(srv, query("hk-wx", filters=[[1, "in", ops[:1000]]])).status_code == 200


def test_an_unknown_resource_is_422_before_a_column_is_checked(srv):
    r = filt(srv, query("nothing", filters=[[99, "eq", ["x"]]]))
    assert r.status_code == 422


def test_q_missing_or_repeated(srv):
    r = srv.get("/v2/filter")
    assert r.status_code == 400 and r.json()["message"].startswith("q is missing")
    q = json.dumps(query("hk-wx"))
    r = srv.get("/v2/filter", params=[("q", q), ("q", q)])
    assert r.status_code == 400 and r.json() == {"code": "400",
                                                 "message": "q is given more than once"}


def test_other_paths_and_methods(srv):
    r = srv.get("/v2/filter/more")
    assert r.status_code == 404 and r.json() == {"code": "404", "message": "Not Found"}
    r = requests.post(srv.base + "/v2/filter", params={"q": json.dumps(query("hk-wx"))})
    assert r.status_code == 405 and r.json()["code"] == "405"


def test_q_as_clients_encode_it(srv):
    q = json.dumps(query(BLD_URL, filters=[[1, "eq", ["Wan Chai"]]]))
    plus = requests.utils.quote(q, safe="").replace("%20", "+")
    r = srv.get("/v2/filter?q=" + plus)
    assert r.status_code == 200 and {d["District"] for d in r.json()} == {"Wan Chai"}


# ---- memory: a slow reader must not grow the server -------------------------------------------

BIG_ROWS = 300_000


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def big(cluster, tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "rows.csv"
    subprocess.run([os.path.join(ROOT, "tests", "perf", "gen_rows.py"), str(path), "-n",
                    str(BIG_ROWS)], check=True)
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", str(path), "--resource-id", "hk-big", "--dataset", DATASET, check=True)
    s = Server(db)
    yield s
    s.stop()


@measures_memory
@pytest.mark.parametrize("fmt", ["json", "csv"])  # rows from a cursor; rows from COPY
def test_slow_reader_does_not_grow_server_memory(big, fmt):
    """300,000 rows (~45-75 MB), of which the first 8 MiB are read at ~2 MB/s at most: a server
    that did not wait for the client would hold most of them meanwhile; this one holds a chunk
    or two. (How long the read takes does not matter: it ends after a number of bytes.)"""
    q = json.dumps({"resource": "hk-big", "format": fmt, "filters": [[5, "ge", ["0"]]]})
    assert filt(big, {"resource": "hk-big", "filters": [[1, "eq", ["1"]]]}).status_code == 200
    base = vm_rss_kib(big.proc.pid)
    host, port = big.base.replace("http://", "").split(":")
    s = socket.create_connection((host, int(port)), timeout=120)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    path = "/v2/filter?q=" + requests.utils.quote(q, safe="")
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    got, peak = 0, base
    while got < 8 << 20:
        data = s.recv(16384)
        assert data
        got += len(data)
        time.sleep(0.008)
        peak = max(peak, vm_rss_kib(big.proc.pid))
    s.close()
    print(f"slow {fmt} reader: read {got >> 20} MiB, RSS {base >> 10} -> peak {peak >> 10} MiB")
    assert peak - base < 32 * 1024, (base, peak)
