"""Nearest rows: CKAN datastore_nearest over any resource whose fields hold a place (two
numeric fields, degree-minute-second text, one "lat,long" field), and /v1/nearest-schools over
the school list the portal configures, with Hong Kong's real files (tests/fixtures/hk)."""
import csv
import math
import os

import psycopg2
import pytest

from conftest import DEMO_CATALOG, FIXTURES, Server, new_database, run_import

HK = os.path.join(FIXTURES, "hk")
EDB = os.path.join(HK, "edb_school_location_info_SCH_LOC_EDB.csv")
DMS = os.path.join(HK, "lcsd_sports_centres_dms.csv")
FEHD = os.path.join(HK, "fehd_service_locations_tc.xml")
STATIONS = os.path.join(HK, "weather_station_info.csv")
DATASET = "A62000000A-000001"  # a demo dataset new resources are created in
SCHOOLS, SPORTS, TOILETS, WEATHER, NOPLACE = ("hk-edb-schools", "hk-lcsd-sports", "hk-fehd-map",
                                              "hk-hko-stations", "no-place")
HKO = (22.30194444, 114.1741667)  # the Observatory, Tsim Sha Tsui


def haversine(lat1, lon1, lat2, lon2):
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def dms(s):
    d, m, sec = (s.split("-") + ["0"])[:3]
    return int(d) + int(m) / 60 + float(sec) / 3600


def edb_rows():
    with open(EDB, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def site(cluster, tmp_path_factory):
    db = new_database(cluster, DEMO_CATALOG)
    for path, rid, extra in ((EDB, SCHOOLS, ()), (DMS, SPORTS, ()), (STATIONS, WEATHER, ()),
                             (FEHD, TOILETS, ("--record", "map"))):
        kind = "xml" if path.endswith(".xml") else "csv"
        run_import(db, kind, path, "--resource-id", rid, "--dataset", DATASET, *extra,
                   check=True)
    none = tmp_path_factory.mktemp("hk") / "noplace.csv"
    none.write_text("name,height\na,1\nb,2\n", encoding="utf-8")
    run_import(db, "csv", str(none), "--resource-id", NOPLACE, "--dataset", DATASET, check=True)
    srv = Server(db, "--nearest-schools-resource", SCHOOLS)
    yield srv, db
    srv.stop()


def nearest(srv, **params):
    return srv.get("/api/3/action/datastore_nearest", params=params)


def test_nearest_numeric_columns_are_nearest_first_with_true_distance(site):
    srv, _ = site
    r = nearest(srv, resource_id=WEATHER, lat=HKO[0], lon=HKO[1], limit=5)
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert res["lat_field"] == "latitude" and res["lon_field"] == "longitude"
    recs = res["records"]
    with open(STATIONS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    want = sorted(rows, key=lambda x: haversine(HKO[0], HKO[1], float(x["latitude"]),
                                                float(x["longitude"])))[:5]
    assert [x["station_code"] for x in recs] == [x["station_code"] for x in want]
    assert recs[0]["station_code"] == "HKO" and recs[0]["_distance_m"] < 1
    for rec, row in zip(recs, want):
        d = haversine(HKO[0], HKO[1], float(row["latitude"]), float(row["longitude"]))
        assert abs(rec["_distance_m"] - d) < 0.5
    assert [f["id"] for f in res["fields"]][:2] == ["_id", "station_code"]
    assert res["fields"][-1] == {"id": "_distance_m", "type": "float8"}
    assert list(recs[0].keys())[-1] == "_distance_m"
    assert res["limit"] == 5 and res["resource_id"] == WEATHER


def test_nearest_edb_schools_match_a_full_computation(site):
    srv, _ = site
    here = (22.3193, 114.1694)  # Mong Kok
    r = nearest(srv, resource_id=SCHOOLS, lat=here[0], lon=here[1], limit=100)
    recs = r.json()["result"]["records"]
    assert len(recs) == 100
    rows = edb_rows()
    dist = sorted(haversine(here[0], here[1], float(x["LATITUDE"]), float(x["LONGITUDE"]))
                  for x in rows)
    assert all(abs(x["_distance_m"] - d) < 0.02 for x, d in zip(recs, dist))
    assert r.json()["result"]["lat_field"] == "LATITUDE"


def test_nearest_dms_text(site):
    srv, _ = site
    here = (22.3133, 114.1811)
    recs = nearest(srv, resource_id=SPORTS, lat=here[0], lon=here[1], limit=3).json()["result"]["records"]
    with open(DMS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    want = sorted(rows, key=lambda x: haversine(here[0], here[1], dms(x["Latitude"]),
                                                dms(x["Longitude"])))
    assert [x["Name_en"] for x in recs] == [x["Name_en"] for x in want[:3]]
    assert recs[0]["Latitude"] == want[0]["Latitude"]  # the row as stored


def test_nearest_one_lat_long_field(site):
    srv, _ = site
    r = nearest(srv, resource_id=TOILETS, lat=22.283733, lon=114.151492, limit=1)
    res = r.json()["result"]
    assert res["lat_field"] == res["lon_field"] == "map_coordinate"
    assert res["records"][0]["map_coordinate"] == "22.283733,114.151492"
    assert res["records"][0]["_distance_m"] == 0


def test_nearest_radius_and_filters(site):
    srv, _ = site
    here = (22.3193, 114.1694)
    rows = edb_rows()
    inside = [x for x in rows if haversine(here[0], here[1], float(x["LATITUDE"]),
                                           float(x["LONGITUDE"])) <= 300]
    r = nearest(srv, resource_id=SCHOOLS, lat=here[0], lon=here[1], limit=100, radius_m=300)
    recs = r.json()["result"]["records"]
    assert 0 < len(recs) == len(inside) < 100
    assert all(x["_distance_m"] <= 300 for x in recs)
    girls = [x for x in inside if x["STUDENTS GENDER"] == "GIRLS"]
    r = srv.get("/api/3/action/datastore_nearest",
                params={"resource_id": SCHOOLS, "lat": here[0], "lon": here[1], "limit": 100,
                        "radius_m": 300, "filters": '{"STUDENTS GENDER": "GIRLS"}'})
    assert sorted(x["SCHOOL NO."] for x in r.json()["result"]["records"]) == \
        sorted(int(x["SCHOOL NO."]) if isinstance(r.json()["result"]["records"][0]["SCHOOL NO."], int)
               else x["SCHOOL NO."] for x in girls)


def test_nearest_post_json_and_numbers(site):
    srv, _ = site
    import requests
    r = requests.post(srv.base + "/api/3/action/datastore_nearest",
                      json={"resource_id": WEATHER, "lat": 22.3, "lon": 114.17, "limit": 2,
                            "filters": {"station_code": ["HKO", "CCH"]}}, timeout=10)
    assert r.status_code == 200, r.text
    assert {x["station_code"] for x in r.json()["result"]["records"]} == {"HKO", "CCH"}


@pytest.mark.parametrize("params,field", [
    ({"lat": 22, "lon": 114}, "resource_id"),
    ({"resource_id": WEATHER, "lon": 114}, "lat"),
    ({"resource_id": WEATHER, "lat": 22}, "lon"),
    ({"resource_id": WEATHER, "lat": "91", "lon": 114}, "lat"),
    ({"resource_id": WEATHER, "lat": "22.3e0", "lon": 114}, "lat"),
    ({"resource_id": WEATHER, "lat": "nan", "lon": 114}, "lat"),
    ({"resource_id": WEATHER, "lat": 22, "lon": "181"}, "lon"),
    ({"resource_id": WEATHER, "lat": 22, "lon": " 114"}, "lon"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "limit": "-1"}, "limit"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "limit": "x"}, "limit"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "radius_m": "0"}, "radius_m"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "radius_m": "inf"}, "radius_m"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "filters": "[1]"}, "filters"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "filters": '{"a": {"b": 1}}'}, "filters"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "lat_field": "station_name_en"}, "lat_field"),
    ({"resource_id": WEATHER, "lat": 22, "lon": 114, "lon_field": "x"}, "lon_field"),
    ({"resource_id": NOPLACE, "lat": 22, "lon": 114}, "resource_id"),
])
def test_nearest_refusals_are_ckan_validation_errors(site, params, field):
    srv, _ = site
    r = nearest(srv, **params)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error" and field in body["error"]


def test_nearest_unknown_filter_field_and_resource(site):
    srv, _ = site
    r = nearest(srv, resource_id=WEATHER, lat=22, lon=114, filters='{"nope": "x"}')
    assert r.status_code == 409 and "filters" in r.json()["error"]
    r = nearest(srv, resource_id="no-such-resource", lat=22, lon=114)
    assert r.status_code == 404
    assert r.json()["error"]["__type"] == "Not Found Error"


def test_nearest_uses_the_spatial_index(site):
    _, db = site
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'datastore' "
                    "AND indexname LIKE %s", ("%_geo",))
        assert cur.fetchone()[0] == 4
        cur.execute("SELECT expr FROM ds_geo_fields((SELECT fields FROM datastore_table "
                    "WHERE resource_id = %s))", (SCHOOLS,))
        expr = cur.fetchone()[0]
        cur.execute("SET enable_seqscan = off")
        cur.execute(f'EXPLAIN SELECT _id FROM datastore."{SCHOOLS}" ORDER BY {expr} <-> '
                    "ds_geo_point(22.3, 114.2) LIMIT 10")
        plan = "\n".join(x[0] for x in cur.fetchall())
        assert "Index Scan using" in plan and "_geo" in plan


@pytest.mark.parametrize("text,deg", [
    ("22-18-53", 22 + 18 / 60 + 53 / 3600), ("114-10-52", 114 + 10 / 60 + 52 / 3600),
    ("22°17'16.5\"N", 22 + 17 / 60 + 16.5 / 3600), ("114 10 5 E", 114 + 10 / 60 + 5 / 3600),
    ("22-17-16S", -(22 + 17 / 60 + 16 / 3600)), ("-22.5", -22.5), ("22-30", 22.5),
    ("22-60-00", None), ("22-10-60", None), ("181", None), ("abc", None), ("", None),
    ("1e3", None), ("22.3,114.1", None),
])
def test_dms_parser(site, text, deg):
    _, db = site
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT ds_geo_deg(%s)", (text,))
        got = cur.fetchone()[0]
    assert (got is None) if deg is None else abs(got - deg) < 1e-9


# ---- /v1/nearest-schools -------------------------------------------------------------------

SCHOOL_KEYS = ["lat-long", "name-en", "name-zh", "category-en", "category-zh", "address-en",
               "address-zh", "student-gender-en", "student-gender-zh", "session-en", "session-zh",
               "district-en", "district-zh", "finance-type-en", "finance-type-zh", "level-en",
               "level-zh", "religion-en", "religion-zh", "telephone", "fax", "website"]


def test_nearest_schools_shape_and_order(site):
    srv, _ = site
    here = (22.3193, 114.1694)
    r = srv.get("/v1/nearest-schools", params={"lat": here[0], "long": here[1], "max": 5})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["results"] and len(body["results"]) == 5
    rows = sorted(edb_rows(), key=lambda x: haversine(here[0], here[1], float(x["LATITUDE"]),
                                                      float(x["LONGITUDE"])))
    for got, row in zip(body["results"], rows):
        assert list(got) == SCHOOL_KEYS
        assert got["name-en"] == row["ENGLISH NAME"] and got["name-zh"] == row["中文名稱"]
        assert got["lat-long"] == [float(row["LATITUDE"]), float(row["LONGITUDE"])]
        assert got["session-en"] == row["SESSION"] and got["district-zh"] == row["分區"]
        assert got["website"] == row["WEBSITE"] and got["telephone"] == row["TELEPHONE"]
        assert got["level-en"] == row["SCHOOL LEVEL"] and got["religion-zh"] == row["宗教"]


def test_nearest_schools_default_and_max(site):
    srv, _ = site
    r = srv.get("/v1/nearest-schools", params={"lat": "22.28", "long": "114.15"})
    assert len(r.json()["results"]) == 10
    r = srv.get("/v1/nearest-schools", params={"lat": "22.28", "long": "114.15", "max": "100"})
    assert len(r.json()["results"]) == 100


@pytest.mark.parametrize("query,message", [
    ("long=114.15", "REQUEST ERROR: Missing lat parameter"),
    ("lat=22.28", "REQUEST ERROR: Missing long parameter"),
    ("lat=91&long=114.15", "REQUEST ERROR: Invalid lat parameter"),
    ("lat=x&long=114.15", "REQUEST ERROR: Invalid lat parameter"),
    ("lat=22.28&long=114.15&lat=22", "REQUEST ERROR: Invalid lat parameter"),
    ("lat=22.28&long=-181", "REQUEST ERROR: Invalid long parameter"),
    ("lat=22.28&lon=114.15", "REQUEST ERROR: Missing long parameter"),
    ("lat=22.28&long=114.15&max=0", "REQUEST ERROR: Invalid max parameter"),
    ("lat=22.28&long=114.15&max=101", "REQUEST ERROR: Invalid max parameter"),
    ("lat=22.28&long=114.15&max=5.0", "REQUEST ERROR: Invalid max parameter"),
])
def test_nearest_schools_refusals(site, query, message):
    srv, _ = site
    r = srv.get("/v1/nearest-schools?" + query)
    assert r.status_code == 400
    assert r.json() == {"message": message}


def test_nearest_schools_without_a_configured_resource(site):
    _, db = site
    srv = Server(db)
    try:
        r = srv.get("/v1/nearest-schools?lat=22.28&long=114.15")
        assert r.status_code == 404 and r.json() == {"message": "Not Found"}
        r = srv.get("/v1/nearest-schools/x")
        assert r.status_code == 404 and r.json() == {"message": "Not Found"}
    finally:
        srv.stop()
