"""Uploads and their loads: multipart action bodies spooled by the edge (never held in memory,
refused over --max-upload-size with 413, nothing left behind by a client that goes away, the
internal mark unforgeable), the download URL of uploaded files (ETag, 304, one byte range: 206
and 416, Content-Type, Content-Disposition, who may read), and XLoader's actions (xloader_submit
loads a resource's uploaded file on a background thread with the loading library, Big5 included;
xloader_status reports pending/running/complete/error with the error in words).

Until resource_create takes an `upload` field, files are stored here as it will store them: the
bytes under the upload directory by resource and SHA-256, the row through upload_record."""
import codecs
import csv
import hashlib
import io
import os
import shutil
import socket
import tempfile
import time

import psycopg2
import pytest
import requests

from conftest import (DEMO_CATALOG, ROOT, SANITIZED, Server, measures_memory, new_database)
from test_ckan_org_write import add_user

SITE = "http://data.example.test"
BIG5_RID = "A62000000A-000001-002"  # 114年辦公日曆表, Big5 (docs/demo/data, ATTRIBUTION.md)
BIG5_FILE = os.path.join(ROOT, "docs", "demo", "data", "dgpa_calendar_114_2025_cp950.csv")
UTF8_RID = "A62000000A-000001-001"
LIMIT = 3_000_000  # --max-upload-size of the suite's server


class Site:
    def __init__(self, srv, db, tokens, updir):
        self.srv, self.db, self.tokens, self.updir = srv, db, tokens, updir

    def post(self, action, user=None, **data):
        headers = {"Authorization": self.tokens[user]} if user else {}
        return requests.post(f"{self.srv.base}/api/3/action/{action}", json=data,
                             headers=headers, timeout=10)

    def ok(self, action, user=None, **data):
        r = self.post(action, user, **data)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None

    def one(self, query, *args):
        return self.sql(query, *args)[0][0]

    def store(self, rid, data, name, mimetype=None):
        """Store data as the resource's uploaded file, as resource_create will."""
        sha = hashlib.sha256(data).hexdigest()
        folder = os.path.join(self.updir, "resources", hashlib.sha256(rid.encode()).hexdigest())
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, sha), "wb") as f:
            f.write(data)
        self.sql("SELECT upload_record(%s, %s, %s, %s, %s)", rid, sha, len(data), name, mimetype)
        return sha

    def package_of(self, rid):
        return self.one("SELECT package_id::text FROM resource WHERE id = %s", rid)

    def wait_load(self, rid, user="sam"):
        """xloader_status once the load is no longer pending or running."""
        for _ in range(600):
            st = self.ok("xloader_status", user, resource_id=rid)
            if st["status"] not in ("pending", "running"):
                return st
            time.sleep(0.1)
        raise AssertionError("the load did not end")


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin"), "out": add_user(db, "out")}
    updir = tempfile.mkdtemp(prefix="opendata-uploads-")
    srv = Server(db, "--site-url", SITE, "--upload-dir", updir, "--max-upload-size", str(LIMIT))
    yield Site(srv, db, tokens, updir)
    srv.stop()
    shutil.rmtree(updir, ignore_errors=True)


# ---- xloader_submit / xloader_status ------------------------------------------------------------

def test_big5_csv_upload_becomes_queryable_through_both_apis(site):
    with open(BIG5_FILE, "rb") as f:
        raw = f.read()
    site.store(BIG5_RID, raw, "dgpa_calendar_114_2025_cp950.csv", "text/csv")
    assert site.ok("xloader_submit", "sam", resource_id=BIG5_RID) is True
    st = site.wait_load(BIG5_RID)
    assert st["status"] == "complete", st
    assert st["error"] == {} and st["task_info"]["error"] is None
    assert st["task_info"]["status"] == "complete"
    assert [l["level"] for l in st["task_info"]["logs"]] == ["INFO", "INFO"]
    rows = [r for r in csv.reader(io.StringIO(raw.decode("cp950"))) if r]
    got = site.ok("datastore_search", resource_id=BIG5_RID, limit=5)
    assert got["total"] == len(rows) - 1
    assert [f["id"] for f in got["fields"]][1:] == rows[0]
    first = got["records"][0]
    assert str(first["西元日期"]) == rows[1][0] and first["星期"] == rows[1][1]
    assert first["備註"] == rows[1][3] == "開國紀念日"
    tw = site.srv.get(f"/api/v1/rest/datastore/{BIG5_RID}", params={"limit": 2}).json()
    assert tw["success"] is True
    assert tw["result"]["records"][0]["備註"] == "開國紀念日"
    # the upload is a version of the resource; the load found it stored already
    assert site.one("SELECT count(*) FROM resource_version WHERE resource_id = %s AND "
                    "content_hash = %s", BIG5_RID, hashlib.sha256(raw).hexdigest()) == 1


def test_xml_upload_loads(site):
    rid = "A17000000J-030138-001"
    path = os.path.join(ROOT, "docs", "demo", "data", "mol_A17000000J-030138_training.xml")
    with open(path, "rb") as f:
        raw = f.read()
    site.sql("UPDATE resource SET format = 'XML' WHERE id = %s", rid)
    site.store(rid, raw, "training.xml", "application/xml")
    assert site.ok("xloader_submit", "sam", resource_id=rid) is True
    st = site.wait_load(rid)
    assert st["status"] == "complete", st
    got = site.ok("datastore_search", resource_id=rid, limit=1)
    assert got["total"] > 0
    assert "Loaded %d rows" % got["total"] in st["task_info"]["logs"][-1]["message"]


def test_status_shape_and_time_format(site):
    st = site.ok("xloader_status", resource_id=BIG5_RID)
    assert set(st) == {"status", "job_id", "job_url", "last_updated", "task_info", "error"}
    assert st["job_id"] == st["task_info"]["job_id"]
    assert time.strptime(st["last_updated"], "%Y-%m-%dT%H:%M:%S.%f")
    assert st["task_info"]["requested_timestamp"] <= st["task_info"]["finished_timestamp"]
    # id works too
    assert site.ok("xloader_status", id=BIG5_RID)["job_id"] == st["job_id"]


def test_bad_file_is_an_error_in_words_and_keeps_the_old_table(site):
    before = site.ok("datastore_search", resource_id=BIG5_RID, limit=1)["total"]
    site.store(BIG5_RID, b"\x00\x01\x02 not a table \xff\xfe\n", "broken.csv", "text/csv")
    assert site.ok("xloader_submit", "sam", resource_id=BIG5_RID) is True
    st = site.wait_load(BIG5_RID)
    assert st["status"] == "error"
    msg = st["error"]["message"]
    assert isinstance(msg, str) and len(msg.split()) > 2, msg
    assert st["task_info"]["logs"][-1] == {**st["task_info"]["logs"][-1], "level": "ERROR",
                                           "message": msg}
    assert site.ok("datastore_search", resource_id=BIG5_RID, limit=1)["total"] == before


def test_remote_url_that_cannot_be_fetched_is_an_error_in_words(site):
    # resources with a URL are fetched (tests/api/test_ckan_xloader_url.py); a host that does
    # not resolve (.invalid never does) ends the task in words, the table untouched
    rid = UTF8_RID
    site.sql("UPDATE resource SET download_url = 'https://no-such-host.invalid/x.csv' "
             "WHERE id = %s", rid)
    assert site.ok("xloader_submit", "sam", resource_id=rid) is True
    st = site.wait_load(rid)
    assert st["status"] == "error"
    assert "Could not resolve host: no-such-host.invalid" in st["error"]["message"]
    assert st["task_info"]["logs"][0]["message"] == \
        "Fetching from: https://no-such-host.invalid/x.csv"


def test_other_format_is_refused_in_words(site):
    rid = site.one("SELECT id FROM resource WHERE id <> ALL(%s) ORDER BY id LIMIT 1",
                   [BIG5_RID, UTF8_RID])
    site.sql("UPDATE resource SET format = 'PDF' WHERE id = %s", rid)
    site.store(rid, b"%PDF-1.4\n", "report.pdf", "application/pdf")
    assert site.ok("xloader_submit", "sam", resource_id=rid) is True
    st = site.ok("xloader_status", resource_id=rid)
    assert st["status"] == "error" and "CSV, TSV and XML" in st["error"]["message"]


def test_pending_load_is_not_submitted_twice(site):
    site.sql("UPDATE xloader_task SET state = 'pending', last_updated = now() "
             "WHERE resource_id = %s", BIG5_RID)
    assert site.ok("xloader_submit", "sam", resource_id=BIG5_RID) is False
    # one left pending for over an hour is taken for dead, as XLoader does
    site.sql("UPDATE xloader_task SET last_updated = now() - interval '2 hours' "
             "WHERE resource_id = %s", BIG5_RID)
    assert site.ok("xloader_submit", "sam", resource_id=BIG5_RID) is True
    site.wait_load(BIG5_RID)


def test_submit_refusals(site):
    r = site.post("xloader_submit", "sam")
    assert r.status_code == 409
    assert r.json()["error"] == {"__type": "Validation Error", "resource_id": ["Missing value"]}
    r = site.post("xloader_submit", "sam", resource_id="no-such-resource")
    assert r.status_code == 404 and r.json()["error"]["__type"] == "Not Found Error"
    r = site.post("xloader_submit", None, resource_id=BIG5_RID)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == \
        f"Access denied: User  not authorized to edit resource {BIG5_RID}"
    r = site.post("xloader_submit", "out", resource_id=BIG5_RID)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == \
        f"Access denied: User out not authorized to edit resource {BIG5_RID}"
    r = requests.get(f"{site.srv.base}/api/3/action/xloader_submit",
                     params={"resource_id": BIG5_RID}, timeout=10)
    assert r.status_code == 400


def test_status_refusals(site):
    never = site.one("SELECT r.id FROM resource r LEFT JOIN xloader_task t "
                     "ON t.resource_id = r.id WHERE t.resource_id IS NULL LIMIT 1")
    r = site.post("xloader_status", resource_id=never)
    assert r.status_code == 404 and r.json()["error"]["message"] == "Not found"
    r = site.post("xloader_status")
    assert r.status_code == 409
    pkg = site.package_of(UTF8_RID)
    site.sql("UPDATE package SET private = true WHERE id = %s", pkg)
    try:
        r = site.post("xloader_status", resource_id=UTF8_RID)
        assert r.status_code == 403
        assert site.ok("xloader_status", "sam", resource_id=UTF8_RID)["status"] == "error"
    finally:
        site.sql("UPDATE package SET private = false WHERE id = %s", pkg)


# ---- download ------------------------------------------------------------------------------------

DATA = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture(scope="module")
def stored(site):
    rid = site.one("SELECT id FROM resource WHERE format ILIKE 'json' ORDER BY id LIMIT 1")
    sha = site.store(rid, DATA, "Data File 資料.json", None)
    return rid, sha, site.package_of(rid)


def dl(site, rid, pkg, name="data-file.json", **kw):
    kw.setdefault("timeout", 10)
    kw.setdefault("allow_redirects", False)
    return requests.get(f"{site.srv.base}/dataset/{pkg}/resource/{rid}/download/{name}", **kw)


def test_download_whole_file(site, stored):
    rid, sha, pkg = stored
    r = dl(site, rid, pkg)
    assert r.status_code == 200 and r.content == DATA
    assert r.headers["ETag"] == f'"{sha}"'
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Content-Length"] == str(len(DATA))
    cd = r.headers["Content-Disposition"]
    assert cd.startswith('attachment; filename="data-file.json"'), cd
    # without a name in the URL: the stored one, UTF-8 as RFC 6266 says
    r = requests.get(f"{site.srv.base}/dataset/{pkg}/resource/{rid}/download", timeout=10)
    assert r.status_code == 200 and r.content == DATA
    assert "filename*=UTF-8''Data%20File%20%E8%B3%87%E6%96%99.json" in \
        r.headers["Content-Disposition"]
    # the package dict's url is this URL
    res = site.ok("resource_show", id=rid)
    assert res["url_type"] == "upload" and res["size"] == len(DATA) and res["hash"] == sha
    assert res["url"].startswith(f"{SITE}/dataset/{pkg}/resource/{rid}/download/")


def test_download_etag_and_ranges(site, stored):
    rid, sha, pkg = stored
    r = dl(site, rid, pkg, headers={"If-None-Match": f'"{sha}"'})
    assert r.status_code == 304 and r.content == b""
    r = dl(site, rid, pkg, headers={"If-None-Match": '"other"'})
    assert r.status_code == 200
    r = dl(site, rid, pkg, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == DATA[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(DATA)}"
    r = dl(site, rid, pkg, headers={"Range": "bytes=-5"})
    assert r.status_code == 206 and r.content == DATA[-5:]
    r = dl(site, rid, pkg, headers={"Range": "bytes=10000-"})
    assert r.status_code == 206 and r.content == DATA[10000:]
    r = dl(site, rid, pkg, headers={"Range": "bytes=20000-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{len(DATA)}"
    # several ranges, or a malformed one: the whole file
    r = dl(site, rid, pkg, headers={"Range": "bytes=0-1,5-6"})
    assert r.status_code == 200 and r.content == DATA
    r = dl(site, rid, pkg, headers={"Range": "lines=1-2"})
    assert r.status_code == 200 and r.content == DATA
    # If-Range with another validator: the whole file
    r = dl(site, rid, pkg, headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert r.status_code == 200 and r.content == DATA
    r = dl(site, rid, pkg, headers={"Range": "bytes=0-1", "If-Range": f'"{sha}"'})
    assert r.status_code == 206 and r.content == DATA[:2]


def test_download_not_found_redirect_and_private(site, stored):
    rid, sha, pkg = stored
    r = dl(site, "no-such-resource", pkg)
    assert r.status_code == 404 and r.json()["error"]["message"] == "Not found: Resource not found"
    r = dl(site, rid, "no-such-dataset")
    assert r.status_code == 404
    other = site.one("SELECT r.id FROM resource r LEFT JOIN resource_upload u "
                     "ON u.resource_id = r.id WHERE u.resource_id IS NULL "
                     "AND r.download_url LIKE 'http%%' LIMIT 1")
    r = dl(site, other, site.package_of(other))
    assert r.status_code == 302
    assert r.headers["Location"] == site.one("SELECT download_url FROM resource WHERE id = %s",
                                             other)
    site.sql("UPDATE package SET private = true WHERE id = %s", pkg)
    try:
        r = dl(site, rid, pkg)
        assert r.status_code == 403
        assert r.json()["error"]["message"] == \
            "Access denied: Not authorized to download resource"
        r = dl(site, rid, pkg, headers={"Authorization": site.tokens["sam"]})
        assert r.status_code == 200 and r.content == DATA
        assert "no-store" in r.headers["Cache-Control"]
    finally:
        site.sql("UPDATE package SET private = false WHERE id = %s", pkg)


# ---- the edge's spooling of multipart bodies -----------------------------------------------------

def spool_fds(site):
    """The server's open descriptors on files of the upload directory (spooled bodies)."""
    pid = site.srv.proc.pid
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(site.updir):
            out.append(target)
    return out


def test_multipart_fields_reach_the_action(site):
    files = {"upload": ("x.csv", b"a,b\n1,2\n" * 1000, "text/csv")}
    r = requests.post(f"{site.srv.base}/api/3/action/package_search",
                      data={"q": "辦公日曆", "rows": "1"}, files=files, timeout=10)
    assert r.status_code == 200, r.text
    plain = requests.post(f"{site.srv.base}/api/3/action/package_search",
                          data={"q": "辦公日曆", "rows": "1"}, timeout=10)
    assert r.json()["result"] == plain.json()["result"]
    assert r.json()["result"]["count"] >= 1
    r = requests.post(f"{site.srv.base}/api/3/action/xloader_status",
                      data={"resource_id": BIG5_RID}, files=files, timeout=10)
    assert r.status_code == 200 and r.json()["result"]["status"] in ("complete", "error")
    assert spool_fds(site) == []


def test_upload_over_the_limit_is_413(site):
    files = {"upload": ("big.csv", b"x" * (LIMIT + 10), "text/csv")}
    r = requests.post(f"{site.srv.base}/api/3/action/status_show", files=files, timeout=30)
    assert r.status_code == 413
    body = r.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Request Entity Too Large"
    assert "larger than the server accepts" in body["error"]["message"]
    # the connection goes on serving
    assert site.srv.get("/api/3/action/status_show").status_code == 200
    assert spool_fds(site) == []


def test_malformed_multipart_is_400(site):
    body = b"--BOUND\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nx\r\n"  # no end
    r = requests.post(f"{site.srv.base}/api/3/action/status_show", data=body, timeout=10,
                      headers={"Content-Type": "multipart/form-data; boundary=BOUND"})
    assert r.status_code == 400
    assert r.json()["error"]["__type"] == "Bad Request"


def test_disconnect_mid_body_leaves_no_file(site):
    head = (b"POST /api/3/action/status_show HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=BOUND\r\nContent-Length: 2000000\r\n\r\n"
            b"--BOUND\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.csv\"\r\n"
            b"\r\n")
    s = socket.create_connection(("127.0.0.1", site.srv.port))
    s.sendall(head + b"y" * 500_000)
    for _ in range(100):  # the spooled file exists while the body arrives
        if spool_fds(site):
            break
        time.sleep(0.05)
    assert spool_fds(site), "no spooled file while the body arrives"
    s.close()
    for _ in range(100):
        if not spool_fds(site):
            break
        time.sleep(0.05)
    assert spool_fds(site) == []
    assert os.listdir(site.updir) == ["resources"]


def test_forged_internal_header_is_stripped(site):
    forged = {"X-Opendatad-Upload": "0" * 32 + ".1"}
    r = requests.post(f"{site.srv.base}/api/3/action/status_show", headers=forged, timeout=10)
    assert r.status_code == 200 and r.json()["success"] is True
    files = {"upload": ("x.csv", b"a\n", "text/csv")}
    r = requests.post(f"{site.srv.base}/api/3/action/status_show", headers=forged, files=files,
                      timeout=10)
    assert r.status_code == 200 and r.json()["success"] is True


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@measures_memory
def test_big_upload_is_not_held_in_memory(site):
    chunk = b"0123456789abcdef" * 65536  # 1 MiB

    def body():
        yield (b"--BOUND\r\nContent-Disposition: form-data; name=\"upload\"; "
               b"filename=\"big.csv\"\r\n\r\n")
        for _ in range(2):
            yield chunk
        yield b"\r\n--BOUND--\r\n"

    # one small upload first, so what the first one allocates is not counted
    requests.post(f"{site.srv.base}/api/3/action/status_show", data=b"".join(body()),
                  headers={"Content-Type": "multipart/form-data; boundary=BOUND"}, timeout=30)
    before = rss_kb(site.srv.proc.pid)
    big = 40  # MiB, more than the limit allows: spooled with its own server
    updir = tempfile.mkdtemp(prefix="opendata-uploads-")
    srv = Server(site.db, "--upload-dir", updir, "--max-upload-size", str(100 << 20))
    try:
        def big_body():
            yield (b"--BOUND\r\nContent-Disposition: form-data; name=\"upload\"; "
                   b"filename=\"big.csv\"\r\n\r\n")
            for _ in range(big):
                yield chunk
            yield b"\r\n--BOUND--\r\n"
        requests.post(f"{srv.base}/api/3/action/status_show", data=b"".join(body()),
                      headers={"Content-Type": "multipart/form-data; boundary=BOUND"}, timeout=30)
        before = rss_kb(srv.proc.pid)
        data = b"".join(big_body())
        r = requests.post(f"{srv.base}/api/3/action/status_show", data=data, timeout=60,
                          headers={"Content-Type": "multipart/form-data; boundary=BOUND"})
        assert r.status_code == 200, r.text
        grown = rss_kb(srv.proc.pid) - before
        assert grown < 8 * 1024, f"RSS grew by {grown} KiB for a {big} MiB upload"
    finally:
        srv.stop()
        shutil.rmtree(updir, ignore_errors=True)


# ---- resource_create / resource_update / resource_patch with `upload` -----------------------------

def multipart(site, action, user, fields, name, data, ctype="text/csv"):
    files = {"upload": (name, data, ctype)}
    headers = {"Authorization": site.tokens[user]} if user else {}
    return requests.post(f"{site.srv.base}/api/3/action/{action}", data=fields, files=files,
                         headers=headers, timeout=60)


def store_files(site):
    out = []
    for root, _, names in os.walk(os.path.join(site.updir, "resources")):
        out += [os.path.join(root, n) for n in names]
    return sorted(out)


def test_resource_create_with_a_big5_upload_is_queryable_with_no_other_step(site):
    with open(BIG5_FILE, "rb") as f:
        raw = f.read()
    pkg = site.package_of(BIG5_RID)
    r = multipart(site, "resource_create", "sam", {"package_id": pkg, "name": "日曆 2025",
                                                   "format": "CSV"}, "行事曆 2025.csv", raw)
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    rid = res["id"]
    assert res["url_type"] == "upload" and res["size"] == len(raw)
    assert res["hash"] == hashlib.sha256(raw).hexdigest()
    assert res["mimetype"] == "text/csv" and res["format"] == "CSV"
    assert res["url"].startswith(f"{SITE}/dataset/{pkg}/resource/{rid}/download/")
    assert site.ok("resource_show", id=rid) == res
    st = site.wait_load(rid)
    assert st["status"] == "complete", st
    rows = [x for x in csv.reader(io.StringIO(raw.decode("cp950"))) if x]
    got = site.ok("datastore_search", resource_id=rid, limit=1)
    assert got["total"] == len(rows) - 1 and got["records"][0]["備註"] == "開國紀念日"
    tw = site.srv.get(f"/api/v1/rest/datastore/{rid}", params={"limit": 1}).json()
    assert tw["result"]["records"][0]["備註"] == "開國紀念日"
    d = dl(site, rid, pkg, res["url"].rsplit("/", 1)[1])
    assert d.status_code == 200 and d.content == raw
    assert site.ok("resource_show", id=rid)["datastore_active"] is True


def test_resource_update_and_patch_replace_the_file(site):
    pkg = site.package_of(BIG5_RID)
    res = multipart(site, "resource_create", "sam", {"package_id": pkg}, "notes.txt",
                    b"first", "text/plain").json()["result"]
    rid = res["id"]
    assert res["url"].endswith("/download/notes.txt") and res["mimetype"] == "text/plain"
    r = multipart(site, "resource_update", "sam", {"id": rid, "name": "n"}, "notes.pdf",
                  b"%PDF second", "application/pdf")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["size"] == 11 and r.json()["result"]["name"] == "n"
    assert dl(site, rid, pkg).content == b"%PDF second"
    r = multipart(site, "resource_patch", "sam", {"id": rid}, "third.json", b"{}",
                  "application/json")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["name"] == "n" and r.json()["result"]["size"] == 2
    assert dl(site, rid, pkg).content == b"{}"
    # three versions, each file kept
    assert site.one("SELECT count(*) FROM resource_version WHERE resource_id = %s", rid) == 3
    # not tabular: no load was asked
    assert site.post("xloader_status", resource_id=rid).status_code == 404


def test_failed_resource_write_leaves_no_file_and_no_row(site):
    before = store_files(site)
    nres = site.one("SELECT count(*) FROM resource")
    r = multipart(site, "resource_create", "sam", {"package_id": "no-such-dataset"}, "x.csv",
                  b"unique bytes 1\n")
    assert r.status_code == 404
    r = multipart(site, "resource_create", "out", {"package_id": site.package_of(BIG5_RID)},
                  "x.csv", b"unique bytes 2\n")
    assert r.status_code == 403
    r = multipart(site, "resource_create", "sam", {"package_id": site.package_of(BIG5_RID),
                                                   "size": "big"}, "x.csv", b"unique bytes 3\n")
    assert r.status_code == 200  # size is CKAN's to set for an upload
    rid = r.json()["result"]["id"]
    r = multipart(site, "resource_update", "sam", {"id": rid, "created": "not a date"}, "y.csv",
                  b"unique bytes 4\n")
    assert r.status_code == 409, r.text
    after = store_files(site)
    assert len(after) == len(before) + 1
    assert site.one("SELECT count(*) FROM resource") == nres + 1
    assert dl(site, rid, site.package_of(rid)).content == b"unique bytes 3\n"
