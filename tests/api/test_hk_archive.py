"""The historical archive (GET /v1/historical-archive/...) over the raw-file versions the
loading library records, with Hong Kong's real files: every parameter form and error body, the
302s and the exact stored bytes behind them (ETag, ranges), the 10,000 cap of timestamps."""
import datetime
import hashlib
import io
import os
import re
import urllib.parse
import zipfile

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, FIXTURES, Server, new_database, run_import

HK = os.path.join(FIXTURES, "hk")
STATIONS = os.path.join(HK, "weather_station_info.csv")
RSS = os.path.join(HK, "hko_CurrentWeather.xml")
DATASET = "A62000000A-000001"
RID, URL = "hk-hko-stations", "https://example.hk/weather-station-info.csv"
FEED = "hk-hko-feed"  # a resource with many versions (rows written here: the cap)
TZ = "Asia/Hong_Kong"
ARCHIVE = "/v1/historical-archive/"


def today_hk():
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()


def ymd(d):
    return d.strftime("%Y%m%d")


@pytest.fixture(scope="module")
def site(cluster, tmp_path_factory):
    db = new_database(cluster, DEMO_CATALOG)
    tmp = tmp_path_factory.mktemp("hk")
    with open(STATIONS, "rb") as f:
        v1 = f.read()
    v2 = v1.replace(b"station_code,", b"station_code,region,", 1)
    v2 = re.sub(rb"\r\n([A-Z]{3}),", rb"\r\n\1,HK,", v2)
    v3 = v2 + b"\r\nXXX,HK,Test,22.3,114.2,1"
    files = []
    for i, data in enumerate((v1, v2, v3), 1):
        path = tmp / f"weather-station-info-{i}.csv"
        path.write_bytes(data)
        run_import(db, "csv", str(path), "--resource-id", RID, "--dataset", DATASET, check=True)
        files.append(data)
    run_import(db, "xml", RSS, "--resource-id", FEED, "--dataset", DATASET, check=True)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO system_info (key, value) VALUES ('tw.timezone', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (TZ,))
        cur.execute("UPDATE resource SET download_url = %s WHERE id = %s", (URL, RID))
        for data, when in ((v1, "2026-01-10 08:05+08"), (v2, "2026-01-11 09:30+08")):
            cur.execute("UPDATE resource_version SET created = %s WHERE resource_id = %s "
                        "AND content_hash = %s", (when, RID, hashlib.sha256(data).hexdigest()))
        # v3 stays today's: not listed. FEED: 10,050 more versions a minute apart in 2026-02.
        cur.execute("UPDATE resource_version SET created = '2026-02-01 00:00+08' "
                    "WHERE resource_id = %s", (FEED,))
        cur.execute("INSERT INTO resource_version (resource_id, content_hash, size, created) "
                    "SELECT %s, md5(i::text), 10, '2026-02-01 00:00+08'::timestamptz "
                    "+ i * interval '1 minute' FROM generate_series(1, 10050) i", (FEED,))
    uploads = tmp / "uploads"
    srv = Server(db, "--upload-dir", str(uploads))
    srv.uploads = uploads
    yield srv, db, files
    srv.stop()


def get(srv, op, **params):
    return srv.get(ARCHIVE + op, params=params, allow_redirects=False)


# ---- list-files ----------------------------------------------------------------------------

def test_list_files_lists_what_was_recorded_in_the_period(site):
    srv, db, files = site
    r = get(srv, "list-files", start="20260101", end="20260131")
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["file-count", "files"] and body["file-count"] == 1
    f = body["files"][0]
    assert f["url"] == URL and f["format"] == "csv" and f["version-count"] == 2
    assert f["total-size"] == len(files[0]) + len(files[1])
    assert f["dataset-id"] == DATASET.lower()
    for k in ("dataset-name-en", "dataset-name-tc", "dataset-name-sc", "resource-name-en",
              "resource-name-tc", "resource-name-sc", "provider-id", "category-id"):
        assert k in f
    assert f["dataset-name-en"] and f["provider-id"]


def test_list_files_filters_paging_and_order(site):
    srv, _, _ = site
    both = get(srv, "list-files", start="20260101", end="20260228").json()
    assert both["file-count"] == 2
    assert {f["url"] for f in both["files"]} == {URL, FEED}
    assert get(srv, "list-files", start="20260101", end="20260228", format="xml").json()["files"][0]["url"] == FEED
    assert get(srv, "list-files", start="20260101", end="20260228", format="json").json() == \
        {"file-count": 0, "files": []}
    page = get(srv, "list-files", start="20260101", end="20260228", max="1", skip="1").json()
    assert page["file-count"] == 2 and len(page["files"]) == 1
    assert page["files"][0] == both["files"][1]
    desc = get(srv, "list-files", start="20260101", end="20260228", order="desc").json()
    assert desc["files"] == both["files"][::-1]
    found = get(srv, "list-files", start="20260101", end="20260228", search="WEATHER-STATION").json()
    assert [f["url"] for f in found["files"]] == [URL]
    assert get(srv, "list-files", start="20260101", end="20260228",
               provider="no-such-provider").json()["file-count"] == 0
    assert get(srv, "list-files", start="20260101", end="20260228",
               category="no-such-category").json()["file-count"] == 0


@pytest.mark.parametrize("query,message", [
    ({"end": "20260131"}, "Missing start"),
    ({"start": "20260101"}, "Missing end"),
    ({"start": "2026-01-01", "end": "20260131"}, "Invalid start"),
    ({"start": "20260230", "end": "20260301"}, "Invalid start"),
    ({"start": "20050228", "end": "20260131"}, "Invalid start"),
    ({"start": "20260101", "end": "202601311"}, "Invalid end"),
    ({"start": "20260101", "end": "TODAY"}, "Invalid end"),
    ({"start": "20260101", "end": "20260131", "max": "0"}, "Invalid max"),
    ({"start": "20260101", "end": "20260131", "max": "1001"}, "Invalid max"),
    ({"start": "20260101", "end": "20260131", "skip": "-1"}, "Invalid skip"),
    ({"start": "20260101", "end": "20260131", "order": "newest"}, "Invalid order"),
])
def test_list_files_refusals(site, query, message):
    srv, _, _ = site
    r = get(srv, "list-files", **query)
    assert r.status_code == 400
    assert r.json() == {"message": f"REQUEST ERROR: {message} parameter"}


def test_list_files_end_must_be_before_today(site):
    srv, _, _ = site
    r = get(srv, "list-files", start="20260101", end=ymd(today_hk()))
    assert r.status_code == 400 and r.json() == {"message": "REQUEST ERROR: Invalid end parameter"}
    r = get(srv, "list-files", start="20260101", end=ymd(today_hk() - datetime.timedelta(days=1)))
    assert r.status_code == 200
    assert {f["url"] for f in r.json()["files"]} == {URL, FEED}  # today's v3 is not counted
    assert [f["version-count"] for f in r.json()["files"] if f["url"] == URL] == [2]


# ---- list-file-versions --------------------------------------------------------------------

def test_list_file_versions_six_keys(site):
    srv, _, files = site
    r = get(srv, "list-file-versions", url=URL, start="20260101", end="20260131")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"timestamps", "version-count", "total-size", "data-files",
                         "data-dictionary-dates", "schema-dates"}
    assert body["timestamps"] == ["20260110-0805", "20260111-0930"]
    assert body["version-count"] == 2 and body["total-size"] == len(files[0]) + len(files[1])
    assert body["data-files"] == [{"timestamp": "20260101", "period": "M",
                                   "size": len(files[0]) + len(files[1])}]
    assert body["data-dictionary-dates"] == []
    assert body["schema-dates"] == ["20260110", "20260111"]
    later = get(srv, "list-file-versions", url=URL, start="20260111", end="20260111").json()
    assert later["timestamps"] == ["20260111-0930"]
    assert later["schema-dates"] == ["20260110", "20260111"]  # the one in force at start too
    # the id names the resource too
    assert get(srv, "list-file-versions", url=RID, start="20260101",
               end="20260131").json() == body


def test_list_file_versions_empty_and_unknown(site):
    srv, _, _ = site
    r = get(srv, "list-file-versions", url=URL, start="20250101", end="20250131")
    assert r.status_code == 200
    assert r.json()["timestamps"] == [] and r.json()["version-count"] == 0
    assert r.json()["total-size"] == 0
    r = get(srv, "list-file-versions", url="https://example.hk/nothing.csv", start="20260101",
            end="20260131")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"}
    r = get(srv, "list-file-versions", url=URL, start="2026-09-01", end="20260131")
    assert r.status_code == 400
    assert r.json() == {"message": "REQUEST ERROR: Invalid start parameter"}
    r = get(srv, "list-file-versions", start="20260101", end="20260131")
    assert r.status_code == 400 and r.json() == {"message": "REQUEST ERROR: Missing url parameter"}


def test_list_file_versions_caps_timestamps_at_10000(site):
    srv, _, _ = site
    body = get(srv, "list-file-versions", url=FEED, start="20260201", end="20260228").json()
    assert len(body["timestamps"]) == 10000 and body["version-count"] == 10051
    assert body["timestamps"][:2] == ["20260201-0000", "20260201-0001"]
    assert body["timestamps"] == sorted(body["timestamps"])


# ---- get-file and the stored bytes ---------------------------------------------------------

def test_get_file_redirects_to_the_exact_bytes(site):
    srv, _, files = site
    for t in ("20260110-0805", "202601100805"):
        r = get(srv, "get-file", url=URL, time=t)
        assert r.status_code == 302, r.text
        loc = r.headers["Location"]
        assert loc.startswith(ARCHIVE + "files/" + RID + "/" + hashlib.sha256(files[0]).hexdigest())
    f = srv.get(loc)
    assert f.status_code == 200 and f.content == files[0]
    assert f.headers["ETag"] == '"%s"' % hashlib.sha256(files[0]).hexdigest()
    assert f.headers["Accept-Ranges"] == "bytes"
    assert f.headers["Content-Type"].startswith("text/csv")
    r = get(srv, "get-file", url=URL, time="20260111-0930")
    assert srv.get(r.headers["Location"]).content == files[1]
    # requests follows it as a client does
    assert requests.get(srv.base + ARCHIVE + "get-file",
                        params={"url": URL, "time": "20260111-0930"}, timeout=10).content == files[1]


def test_download_ranges_and_conditionals(site):
    srv, _, files = site
    loc = get(srv, "get-file", url=URL, time="20260110-0805").headers["Location"]
    etag = '"%s"' % hashlib.sha256(files[0]).hexdigest()
    r = srv.get(loc, headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and r.content == files[0][:10]
    assert r.headers["Content-Range"] == f"bytes 0-9/{len(files[0])}"
    r = srv.get(loc, headers={"Range": "bytes=-5"})
    assert r.status_code == 206 and r.content == files[0][-5:]
    r = srv.get(loc, headers={"Range": "bytes=100-"})
    assert r.status_code == 206 and r.content == files[0][100:]
    r = srv.get(loc, headers={"Range": f"bytes={len(files[0])}-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{len(files[0])}"
    r = srv.get(loc, headers={"Range": "bytes=0-1,5-6"})
    assert r.status_code == 200 and r.content == files[0]
    r = srv.get(loc, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert r.status_code == 200 and r.content == files[0]
    r = srv.get(loc, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    r = requests.head(srv.base + loc, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Length"] == str(len(files[0]))


def test_download_unknown_version(site):
    srv, _, _ = site
    for path in (f"files/{RID}/{'0' * 64}/x.csv", f"files/{RID}/nothex/x.csv",
                 f"files/no-such/{'0' * 64}/x.csv", f"schemas/{RID}/{'0' * 64}.json",
                 f"schemas/{RID}/abc.json", "nothing-here"):
        r = srv.get(ARCHIVE + path)
        assert r.status_code == 404 and r.json() == {"message": "Not Found"}, path


@pytest.mark.parametrize("t,status,message", [
    ("20260110-0806", 404, "Not Found"),
    ("20260110", 404, "Not Found"),        # a day of a past month names no bundle
    ("20250101", 404, "Not Found"),        # a month without versions
    ("202507", 400, "REQUEST ERROR: Invalid time parameter"),
    ("20260110-2460", 400, "REQUEST ERROR: Invalid time parameter"),
    ("2026-01-10-0805", 400, "REQUEST ERROR: Invalid time parameter"),
    ("20260110 0805", 400, "REQUEST ERROR: Invalid time parameter"),
    ("", 400, "REQUEST ERROR: Invalid time parameter"),
])
def test_get_file_errors(site, t, status, message):
    srv, _, _ = site
    r = get(srv, "get-file", url=URL, time=t)
    assert r.status_code == status and r.json() == {"message": message}


def test_get_file_today_and_unknown_url(site):
    srv, db, _ = site
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_char(created AT TIME ZONE %s, 'YYYYMMDD-HH24MI') FROM "
                    "resource_version WHERE resource_id = %s ORDER BY created DESC LIMIT 1",
                    (TZ, RID))
        t = cur.fetchone()[0]
    assert get(srv, "get-file", url=URL, time=t).status_code == 404  # today's: not yet
    r = get(srv, "get-file", url="https://example.hk/x.csv", time="20260110-0805")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"}
    r = get(srv, "get-file", time="20260110-0805")
    assert r.status_code == 400 and r.json() == {"message": "REQUEST ERROR: Missing url parameter"}


# ---- get-schema, get-data-dictionary -------------------------------------------------------

def test_get_schema_latest_on_or_before(site):
    srv, _, _ = site
    r = get(srv, "get-schema", url=URL, date="20260110")
    assert r.status_code == 302
    first = [f["id"] for f in srv.get(r.headers["Location"]).json()["fields"]]
    assert first == ["station_code", "station_name_en", "latitude", "longitude",
                     "above_mean_sea_level"]
    for d in ("20260111", "20260301"):
        r = get(srv, "get-schema", url=URL, date=d)
        fields = srv.get(r.headers["Location"]).json()["fields"]
        assert [f["id"] for f in fields][:2] == ["station_code", "region"]
    r = get(srv, "get-schema", url=URL, date="20260109")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"}
    r = get(srv, "get-schema", url=URL, date="2025-09-23")
    assert r.status_code == 400 and r.json() == {"message": "REQUEST ERROR: Invalid date parameter"}


def test_get_data_dictionary(site):
    srv, db, _ = site
    r = get(srv, "get-data-dictionary", url=URL, date="20260110")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"}
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO package_extra (package_id, key, value) SELECT package_id, "
                    "'data_dictionary', '\"https://example.hk/dictionary.pdf\"' FROM resource "
                    "WHERE id = %s", (RID,))
    try:
        r = get(srv, "get-data-dictionary", url=URL, date="20260110")
        assert r.status_code == 302
        assert r.headers["Location"] == "https://example.hk/dictionary.pdf"
        assert get(srv, "get-data-dictionary", url=URL, date="20260109").status_code == 404
        dates = get(srv, "list-file-versions", url=URL, start="20260101",
                    end="20260131").json()["data-dictionary-dates"]
        assert dates == ["20260110"]
        r = get(srv, "get-data-dictionary", url=URL, date="x")
        assert r.status_code == 400
        assert r.json() == {"message": "REQUEST ERROR: Invalid date parameter"}
    finally:
        with psycopg2.connect(db) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM package_extra WHERE key = 'data_dictionary'")


def test_private_datasets_are_not_archived_publicly(site):
    srv, db, _ = site
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("UPDATE package SET private = true WHERE id = (SELECT package_id FROM "
                    "resource WHERE id = %s)", (RID,))
    try:
        assert get(srv, "list-files", start="20260101", end="20260131").json()["file-count"] == 0
        assert get(srv, "get-file", url=URL, time="20260110-0805").status_code == 404
    finally:
        with psycopg2.connect(db) as conn, conn.cursor() as cur:
            cur.execute("UPDATE package SET private = false WHERE id = (SELECT package_id FROM "
                        "resource WHERE id = %s)", (RID,))


def test_methods_and_unknown_paths(site):
    srv, _, _ = site
    r = requests.post(srv.base + ARCHIVE + "list-files", timeout=10)
    assert r.status_code == 405
    r = srv.get(ARCHIVE + "list-everything")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"}


# ---- bundles: a month's (or, in the current month, a day's) versions in one ZIP ------------

def bundle_of(srv, day):
    r = get(srv, "get-file", url=URL, time=day)
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert re.fullmatch(re.escape(ARCHIVE + "bundles/" + RID + "/" + day + "/") + "[0-9a-f]{64}\\.zip",
                        loc), loc
    return loc


def test_month_bundle_holds_every_version_of_the_month(site):
    srv, _, files = site
    loc = bundle_of(srv, "20260101")
    r = srv.get(loc)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    key = loc.rsplit("/", 1)[1][:-4]
    assert r.headers["ETag"] == '"%s"' % key
    z = zipfile.ZipFile(io.BytesIO(r.content))
    prefix = urllib.parse.quote(URL, safe="") + "/"
    assert z.namelist() == [prefix + "20260110-0805-weather-station-info.csv",
                            prefix + "20260111-0930-weather-station-info.csv"]
    assert [z.read(n) for n in z.namelist()] == files[:2]
    assert z.testzip() is None
    # the same bytes again (made once, then sent from the cache), conditionals and ranges
    assert srv.get(loc).content == r.content
    assert srv.get(loc, headers={"If-None-Match": '"%s"' % key}).status_code == 304
    part = srv.get(loc, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"PK\x03\x04"
    # followed as a client follows get-file
    assert requests.get(srv.base + ARCHIVE + "get-file", params={"url": URL, "time": "20260101"},
                        timeout=10).content == r.content


def test_bundle_paths_that_name_nothing(site):
    srv, _, _ = site
    loc = bundle_of(srv, "20260101")
    for path in (loc.rsplit("/", 1)[0] + "/" + "0" * 64 + ".zip",   # a key no longer current
                 f"{ARCHIVE}bundles/{RID}/20260110/" + loc.rsplit("/", 1)[1],
                 f"{ARCHIVE}bundles/{RID}/2026011/x.zip", f"{ARCHIVE}bundles/no-such/20260101/"
                 + loc.rsplit("/", 1)[1]):
        r = srv.get(path)
        assert r.status_code == 404 and r.json() == {"message": "Not Found"}, path


def test_current_month_bundles_are_days(site):
    """A version of yesterday: in the current month it is a day's bundle, else its month's."""
    srv, db, _ = site
    yesterday = today_hk() - datetime.timedelta(days=1)
    data = b"station_code,name\r\nHKO,Observatory\r\n"
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO resource_version (resource_id, content_hash, size, created, "
                    "content_oid, file_name, format) VALUES (%s, %s, %s, %s, "
                    "lo_from_bytea(0, %s), 'y.csv', 'CSV')",
                    (RID, hashlib.sha256(data).hexdigest(), len(data),
                     f"{yesterday} 10:00+08", data))
        vid = (RID, hashlib.sha256(data).hexdigest())
    try:
        day = ymd(yesterday) if yesterday.month == today_hk().month else ymd(yesterday.replace(day=1))
        period = "D" if yesterday.month == today_hk().month else "M"
        body = get(srv, "list-file-versions", url=URL, start=ymd(yesterday),
                   end=ymd(yesterday)).json()
        assert body["data-files"] == [{"timestamp": day, "period": period, "size": len(data)}]
        z = zipfile.ZipFile(io.BytesIO(srv.get(bundle_of(srv, day)).content))
        assert [z.read(n) for n in z.namelist()] == [data]
        if period == "D":  # the month of a current-month day is no bundle yet
            first = ymd(yesterday.replace(day=1))
            if first != day:
                assert get(srv, "get-file", url=URL, time=first).status_code == 404
    finally:
        with psycopg2.connect(db) as conn, conn.cursor() as cur:
            cur.execute("SELECT lo_unlink(content_oid) FROM resource_version "
                        "WHERE resource_id = %s AND content_hash = %s", vid)
            cur.execute("DELETE FROM resource_version WHERE resource_id = %s "
                        "AND content_hash = %s", vid)


def test_an_uploads_version_is_served_from_the_upload_store(site):
    """Uploads keep their bytes in the upload store (no large object): the archive serves
    that file, alone and in its month's bundle."""
    srv, db, _ = site
    data = "站名,緯度\r\n天文台,22.3\r\n".encode()
    sha = hashlib.sha256(data).hexdigest()
    folder = srv.uploads / "resources" / hashlib.sha256(RID.encode()).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / sha).write_bytes(data)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO resource_version (resource_id, content_hash, size, created, "
                    "file_name, format) VALUES (%s, %s, %s, '2025-12-05 09:00+08', "
                    "'up.csv', 'CSV')", (RID, sha, len(data)))
    try:
        r = get(srv, "get-file", url=URL, time="20251205-0900")
        assert r.status_code == 302, r.text
        f = srv.get(r.headers["Location"])
        assert f.status_code == 200 and f.content == data
        assert f.headers["ETag"] == '"%s"' % sha
        z = zipfile.ZipFile(io.BytesIO(srv.get(bundle_of(srv, "20251201")).content))
        assert z.namelist() == [urllib.parse.quote(URL, safe="") +
                                "/20251205-0900-weather-station-info.csv"]
        assert z.read(z.namelist()[0]) == data
    finally:
        with psycopg2.connect(db) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM resource_version WHERE resource_id = %s "
                        "AND content_hash = %s", (RID, sha))
