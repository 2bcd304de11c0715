"""Two opendatad behind nginx (Debian's nginx-light) on one database, sharing one --dump-dir.

What a client sees through the proxy must not depend on which server answers: a write through
one is read at once through the other (package_show, the default package_search page, which
each server keeps in memory between writes, the Taiwan API, the dumps); equal content has equal
ETags on both (they derive from the data, not from the node); a dump built by both servers at
the same moment into the shared folder comes out whole and byte-equal.
"""
import concurrent.futures
import io
import os
import shutil
import subprocess
import tempfile
import time
import zipfile

import pytest
import requests

from conftest import DEMO_CATALOG, Server, add_user, free_port, new_database

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX),
                                reason="nginx is not installed (make deps-test installs it)")


class Nginx:
    """nginx in front of the given servers, round robin, keep-alive to them."""

    def __init__(self, backends):
        self.dir = tempfile.mkdtemp(prefix="opendata-nginx-")
        self.port = free_port()
        ups = "\n".join(f"        server 127.0.0.1:{b.port};" for b in backends)
        user = "user root;" if os.geteuid() == 0 else ""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""{user}
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    upstream opendatad {{
{ups}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        client_max_body_size 20m;
        location / {{
            proxy_pass http://opendatad;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
        }}
    }}
}}
""")
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", "nginx.conf"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                requests.get(self.base + "/api/3/action/status_show", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return requests.get(self.base + path, **kw)

    def post(self, token, action, **data):
        r = requests.post(f"{self.base}/api/3/action/{action}", json=data,
                          headers={"Authorization": token}, timeout=60)
        assert r.status_code == 200, (action, r.text[:500])
        return r.json()["result"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pair(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    token = add_user(db, "sam", "--sysadmin")
    dumps = tempfile.mkdtemp(prefix="opendata-shared-dumps-")
    a = Server(db, "--dump-dir", dumps, "--trusted-proxies", "127.0.0.1")
    b = Server(db, "--dump-dir", dumps, "--trusted-proxies", "127.0.0.1")
    proxy = Nginx([a, b])
    yield db, token, a, b, proxy
    proxy.stop()
    a.stop()
    b.stop()
    shutil.rmtree(dumps, ignore_errors=True)


def post(srv, token, action, **data):
    r = requests.post(f"{srv.base}/api/3/action/{action}", json=data,
                      headers={"Authorization": token}, timeout=60)
    assert r.status_code == 200, (action, r.text[:500])
    return r.json()["result"]


def test_requests_through_the_proxy_reach_both_servers(pair):
    db, token, a, b, proxy = pair
    for _ in range(20):
        assert proxy.get("/api/3/action/package_list").status_code == 200
    # both access logs name the client nginx forwarded for, not nginx itself
    for s in (a, b):
        assert " GET /api/3/action/package_list 200 " in s.log_text()


def test_a_write_through_one_is_read_at_once_through_the_other(pair):
    db, token, a, b, proxy = pair
    org = a.get("/api/3/action/organization_list").json()["result"][0]
    # both servers hold the default search page in memory
    for s in (a, b):
        assert s.get("/api/3/action/package_search").status_code == 200
    for i, (writer, reader) in enumerate(((a, b), (b, a), (a, b))):
        name = f"two-servers-{i}"
        made = post(writer, token, "package_create", name=name, title=f"兩台伺服器 {i}",
                    owner_org=org)
        shown = reader.get(f"/api/3/action/package_show?id={name}").json()
        assert shown["success"] and shown["result"]["id"] == made["id"]
        page = reader.get("/api/3/action/package_search?sort=metadata_modified%20desc").json()
        assert page["result"]["results"][0]["name"] == name
        default = reader.get("/api/3/action/package_search").json()["result"]
        assert default["count"] == a.get("/api/3/action/package_search").json()["result"]["count"]
        assert name in [d["name"] for d in reader.get(
            "/api/3/action/package_search?rows=1000").json()["result"]["results"]]
        ident = next(e["value"] for e in shown["result"]["extras"] if e["key"] == "identifier")
        tw = reader.get(f"/api/v1/rest/dataset/{ident}").json()
        assert tw["success"] and tw["result"]["title"] == f"兩台伺服器 {i}"
        assert ident in reader.get("/api/v1/rest/dataset").json()["result"]
        post(reader, token, "package_patch", id=name, notes="second")
        again = writer.get(f"/api/3/action/package_show?id={name}").json()["result"]
        assert again["notes"] == "second"


def test_equal_content_has_equal_etags_on_both(pair):
    db, token, a, b, proxy = pair
    name = a.get("/api/3/action/package_list").json()["result"][0]
    for path in (f"/api/3/action/package_show?id={name}", "/api/3/action/package_search",
                 "/api/3/action/package_search?q=%E8%B3%87%E6%96%99", "/api/3/action/group_list",
                 "/api/3/action/status_show"):
        ra, rb = a.get(path), b.get(path)
        assert ra.status_code == rb.status_code == 200
        assert ra.content == rb.content, path
        assert ra.headers.get("ETag") and ra.headers["ETag"] == rb.headers["ETag"], path
        # a client revalidating with one server's ETag gets 304 from the other
        assert b.get(path, headers={"If-None-Match": ra.headers["ETag"]}).status_code == 304


@pytest.fixture(scope="module")
def table(pair):
    db, token, a, b, proxy = pair
    pkg = a.get("/api/3/action/package_list").json()["result"][0]
    made = post(a, token, "datastore_create", resource={"package_id": pkg, "name": "shared"},
                fields=[{"id": "k", "type": "int"}, {"id": "v", "type": "text"}],
                primary_key="k")
    rid = made["resource_id"]
    post(a, token, "datastore_upsert", resource_id=rid, method="insert",
         records=[{"k": i, "v": f"值{i}"} for i in range(3000)])
    return rid


def test_dumps_built_by_both_at_once_are_whole_and_equal(pair, table):
    db, token, a, b, proxy = pair
    paths = [f"/api/v1/dump/datastore/{table}?format={f}" for f in ("csv", "json", "xml")]
    work = [(s, p) for p in paths for s in (a, b, a, b)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda sp: (sp[1], sp[0].get(sp[1], timeout=60)), work))
    by_path = {}
    for p, r in got:
        assert r.status_code == 200, (p, r.text[:300])
        by_path.setdefault(p, set()).add((r.content, r.headers.get("ETag")))
    for p, variants in by_path.items():
        assert len(variants) == 1, f"{p}: {len(variants)} different answers"
        body, etag = next(iter(variants))
        assert etag
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            assert z.testzip() is None
            assert len(z.namelist()) == 1
    csv_body = next(iter(by_path[paths[0]]))[0]
    with zipfile.ZipFile(io.BytesIO(csv_body)) as z:
        text = z.read(z.namelist()[0]).decode("utf-8-sig")
    assert text.count("\n") == 3001 and "值2999" in text
    for f in ("csv", "json"):
        ra, rb = a.get(f"/datastore/dump/{table}?format={f}"), b.get(f"/datastore/dump/{table}?format={f}")
        assert ra.status_code == rb.status_code == 200 and ra.content == rb.content


def test_a_write_moves_the_dump_on_both(pair, table):
    db, token, a, b, proxy = pair
    path = f"/api/v1/dump/datastore/{table}?format=csv"
    before = {s.get(path).headers["ETag"] for s in (a, b)}
    assert len(before) == 1
    post(b, token, "datastore_upsert", resource_id=table, method="upsert",
         records=[{"k": 0, "v": "改過"}])
    for s in (a, b):
        r = s.get(path)
        assert r.status_code == 200 and r.headers["ETag"] not in before
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            assert "改過" in z.read(z.namelist()[0]).decode("utf-8-sig")
    assert a.get(path).headers["ETag"] == b.get(path).headers["ETag"]
    rows = proxy.get(f"/api/3/action/datastore_search?resource_id={table}&filters=%7B%22k%22%3A0%7D")
    assert rows.json()["result"]["records"][0]["v"] == "改過"
