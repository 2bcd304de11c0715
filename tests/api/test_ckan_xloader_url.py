"""XLoader for resources with a URL: resource_create / resource_update / resource_patch with a
URL in a format the DataStore loads submit a load themselves, and xloader_submit loads such a
resource again; the server fetches the URL on a load thread (libcurl, http/https only, redirects
followed a few hops, size and time limits, private addresses refused unless
--xloader-allow-private) into an unnamed file, loads it with the loading library (Big5, types,
the swap) and records it as a version. A fetch that fails is the task's error in words and
leaves the previous table.

The remote site is a Python http.server on 127.0.0.1 in this module; the suite's server is run
with --xloader-allow-private to reach it, a second one without it to show the refusal."""
import hashlib
import http.server
import os
import shutil
import socket
import tempfile
import threading
import time

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, ROOT, Server, new_database
from test_ckan_org_write import add_user

SITE = "http://data.example.test"
BIG5_FILE = os.path.join(ROOT, "docs", "demo", "data", "dgpa_calendar_114_2025_cp950.csv")
PKG_RID = "A62000000A-000001-002"  # a demo resource: its dataset takes the new resources
MAX = 20000  # --xloader-max-size of the suite's server
TIMEOUT = 2  # --xloader-timeout of the suite's server
SMALL = "名稱,數量\n甲,1\n乙,2\n丙,3\n".encode("utf-8")

with open(BIG5_FILE, "rb") as _f:
    BIG5 = _f.read()


class Remote(http.server.BaseHTTPRequestHandler):
    """The remote site: files, errors, redirects and a slow answer."""
    protocol_version = "HTTP/1.1"
    stop = threading.Event()
    hits = []

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", ctype="text/csv", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, to):
        self.send(302, b"", "text/plain", [("Location", to)])

    def do_GET(self):
        path = self.path.split("?")[0]
        Remote.hits.append(path)
        port = self.server.server_address[1]
        if path in ("/big5.csv", "/strict.csv"):
            self.send(200, BIG5)
        elif path == "/small.csv":
            self.send(200, SMALL)
        elif path == "/mislabelled.csv":  # a CSV file served as text/html: still a table
            self.send(200, SMALL, "text/html")
        elif path == "/moved.csv":
            self.send(301, b"moved", "text/plain", [("Location", "/big5.csv")])
        elif path == "/loop.csv":
            self.redirect("/loop.csv")
        elif path == "/to-zero.csv":
            self.redirect(f"http://0.0.0.0:{port}/big5.csv")
        elif path == "/to-ftp.csv":
            self.redirect("ftp://127.0.0.1/x.csv")
        elif path == "/page.csv":
            self.send(200, b"<html><body>Not here</body></html>", "text/html; charset=utf-8")
        elif path == "/binary.csv":
            self.send(200, b"a,b\n1,\x00\x01\x02\xff\n")
        elif path == "/big.csv":
            self.send(200, b"a,b\n" + b"1,2\n" * (MAX // 4))
        elif path == "/big-stream.csv":
            # no Content-Length: the size is only known as the body comes
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for _ in range(MAX // 1000 + 2):
                self.wfile.write(b"1,2\n" * 250)
        elif path == "/slow.csv":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"a,b\n")
            self.wfile.flush()
            Remote.stop.wait(TIMEOUT + 10)
        else:
            self.send(404, b"not found", "text/plain")


class Site:
    def __init__(self, srv, strict, db, tokens, remote):
        self.srv, self.strict, self.db, self.tokens, self.remote = srv, strict, db, tokens, remote

    def post(self, action, user=None, srv=None, **data):
        headers = {"Authorization": self.tokens[user]} if user else {}
        return requests.post(f"{(srv or self.srv).base}/api/3/action/{action}", json=data,
                             headers=headers, timeout=30)

    def ok(self, action, user=None, srv=None, **data):
        r = self.post(action, user, srv, **data)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def one(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchone()[0]

    def url(self, path):
        return self.remote + path

    def create(self, path, fmt="CSV", srv=None, **extra):
        pkg = self.one("SELECT package_id::text FROM resource WHERE id = %s", PKG_RID)
        url = path if "://" in path else self.url(path)
        return self.ok("resource_create", "sam", srv, package_id=pkg, url=url, format=fmt,
                       name="remote " + path, **extra)

    def wait_load(self, rid, after=None):
        """xloader_status once a load (other than job after) is no longer pending or running."""
        for _ in range(600):
            st = self.ok("xloader_status", "sam", resource_id=rid)
            if st["status"] not in ("pending", "running") and st["job_id"] != after:
                return st
            time.sleep(0.1)
        raise AssertionError("the load did not end")


@pytest.fixture(scope="module")
def site(cluster):
    Remote.stop.clear()
    remote = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Remote)
    remote.daemon_threads = True
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    updir = tempfile.mkdtemp(prefix="opendata-uploads-")
    srv = Server(db, "--site-url", SITE, "--upload-dir", updir, "--xloader-allow-private",
                 "--xloader-timeout", str(TIMEOUT), "--xloader-max-size", str(MAX))
    strict = Server(db, "--site-url", SITE, "--upload-dir", updir)
    yield Site(srv, strict, db, tokens, f"http://127.0.0.1:{remote.server_address[1]}")
    Remote.stop.set()
    srv.stop()
    strict.stop()
    remote.shutdown()
    remote.server_close()
    shutil.rmtree(updir, ignore_errors=True)


# ---- loads -----------------------------------------------------------------------------------

def test_resource_create_with_a_big5_csv_url_is_queryable_through_both_apis(site):
    res = site.create("/big5.csv")
    rid = res["id"]
    assert res["url"] == site.url("/big5.csv") and not res["url_type"]
    st = site.wait_load(rid)
    assert st["status"] == "complete", st
    assert st["error"] == {} and st["task_info"]["error"] is None
    logs = [l["message"] for l in st["task_info"]["logs"]]
    assert logs[0] == "Fetching from: " + site.url("/big5.csv")
    assert logs[-1].startswith("Loaded ")
    rows = [l for l in BIG5.decode("cp950").splitlines() if l.strip()]
    got = site.ok("datastore_search", resource_id=rid, limit=1)
    assert got["total"] == len(rows) - 1
    assert [f["id"] for f in got["fields"]][1:] == rows[0].split(",")
    assert got["records"][0]["備註"] == "開國紀念日"
    tw = site.srv.get(f"/api/v1/rest/datastore/{rid}", params={"limit": 1}).json()
    assert tw["success"] is True and tw["result"]["records"][0]["備註"] == "開國紀念日"
    # the fetched file is a version of the resource (the historical archive reads those)
    assert site.one("SELECT count(*) FROM resource_version WHERE resource_id = %s AND "
                    "content_hash = %s AND content_oid IS NOT NULL", rid,
                    hashlib.sha256(BIG5).hexdigest()) == 1
    assert site.ok("resource_show", id=rid)["datastore_active"] is True


def test_redirect_is_followed(site):
    rid = site.create("/moved.csv")["id"]
    st = site.wait_load(rid)
    assert st["status"] == "complete", st
    assert site.ok("datastore_search", resource_id=rid, limit=0)["total"] > 300


def test_csv_served_as_html_is_still_loaded(site):
    rid = site.create("/mislabelled.csv")["id"]
    st = site.wait_load(rid)
    assert st["status"] == "complete", st
    assert site.ok("datastore_search", resource_id=rid)["records"][0]["名稱"] == "甲"


def test_update_submits_only_a_new_url_and_a_failed_fetch_keeps_the_table(site):
    rid = site.create("/small.csv")["id"]
    first = site.wait_load(rid)
    assert first["status"] == "complete", first
    assert site.ok("datastore_search", resource_id=rid)["total"] == 3
    # the same URL: nothing is fetched again
    site.ok("resource_update", "sam", id=rid, url=site.url("/small.csv"), format="CSV",
            name="renamed")
    assert site.ok("xloader_status", "sam", resource_id=rid)["job_id"] == first["job_id"]
    # a new URL that cannot be fetched: an error in words, the previous table stays
    site.ok("resource_patch", "sam", id=rid, url=site.url("/missing.csv"))
    st = site.wait_load(rid, after=first["job_id"])
    assert st["status"] == "error"
    assert "bad HTTP response" in st["error"]["message"]
    assert "HTTP status 404" in st["error"]["message"]
    assert st["task_info"]["error"] == st["error"]
    assert site.ok("datastore_search", resource_id=rid)["total"] == 3
    # xloader_submit fetches again (back to a working URL)
    site.ok("resource_patch", "sam", id=rid, url=site.url("/big5.csv"))
    third = site.wait_load(rid, after=st["job_id"])
    assert third["status"] == "complete", third
    total = site.ok("datastore_search", resource_id=rid, limit=0)["total"]
    assert total > 300
    assert site.ok("xloader_submit", "sam", resource_id=rid) is True
    again = site.wait_load(rid, after=third["job_id"])
    assert again["status"] == "complete"
    assert site.ok("datastore_search", resource_id=rid, limit=0)["total"] == total


@pytest.mark.parametrize("path,words", [
    ("/missing.csv", "HTTP status 404"),
    ("/slow.csv", f"Connection timed out after {TIMEOUT}s"),
    ("/big.csv", f"Data too large to load into Datastore: {4 + 4 * (MAX // 4)} bytes > max "
                 f"{MAX} bytes."),
    ("/big-stream.csv", f"bytes > max {MAX} bytes."),
    ("/loop.csv", "Too many redirects: more than 5."),
    ("/to-zero.csv", "has the address 0.0.0.0: unspecified, multicast and reserved addresses "
                     "are not fetched."),
    ("/to-ftp.csv", "Only http and https resources may be fetched (the URL's scheme is ftp)."),
    ("/page.csv", "not a table"),
    ("ftp://127.0.0.1/data.csv", "Only http and https resources may be fetched"),
    ("/binary.csv", ""),
])
def test_fetch_failures_are_errors_in_words(site, path, words):
    rid = site.create(path)["id"]
    st = site.wait_load(rid)
    assert st["status"] == "error", st
    assert words in st["error"]["message"] and st["error"]["message"]
    assert st["task_info"]["logs"][-1]["level"] == "ERROR"
    assert site.post("datastore_search", resource_id=rid).status_code == 404
    assert site.one("SELECT count(*) FROM resource_version WHERE resource_id = %s", rid) == 0


def test_private_addresses_are_refused_without_the_option(site):
    Remote.hits.clear()
    for host in ("127.0.0.1", "localhost"):
        url = site.url("/strict.csv").replace("127.0.0.1", host)
        rid = site.create(url, srv=site.strict)["id"]
        st = site.wait_load(rid)
        assert st["status"] == "error"
        assert "private, loopback and link-local addresses are not fetched" in \
            st["error"]["message"]
    assert "/strict.csv" not in Remote.hits  # refused before any connection


def test_formats_not_loaded_are_not_submitted(site):
    rid = site.create("/report.pdf", fmt="PDF")["id"]
    assert site.post("xloader_status", "sam", resource_id=rid).status_code == 404
    assert site.ok("xloader_submit", "sam", resource_id=rid) is True
    st = site.ok("xloader_status", "sam", resource_id=rid)
    assert st["status"] == "error" and "format (PDF)" in st["error"]["message"]
    # without a format, the URL's extension tells
    rid = site.create("/small.csv", fmt="")["id"]
    assert site.wait_load(rid)["status"] == "complete"
