"""Two opendatad behind a proxy on one database, sharing one --dump-dir: nginx (Debian's
nginx-light), then HAProxy (Debian's haproxy), each run with its block of docs/DEPLOY.md (TLS
included). Through the proxy: the client's address reaches both servers' access logs, writes
and revalidations work whichever server answers, HAProxy's health checks find both up.

What a client sees through the proxy must not depend on which server answers: a write through
one is read at once through the other (package_show, the default package_search page, which
each server keeps in memory between writes, the Taiwan API, the dumps); equal content has equal
ETags on both (they derive from the data, not from the node); a dump built by both servers at
the same moment into the shared folder comes out whole and byte-equal.
"""
import concurrent.futures
import csv
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
import zipfile

import pytest
import requests

from conftest import DEMO_CATALOG, ROOT, Server, add_user, free_port, new_database

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
DEPLOY = os.path.join(ROOT, "docs", "DEPLOY.md")


def doc_block(lead):
    """The text of the first fenced block after the paragraph that begins with lead."""
    with open(DEPLOY, encoding="utf-8") as f:
        text = f.read()
    start = text.index("```", text.index("\n" + lead))
    start = text.index("\n", start) + 1
    return text[start:text.index("```", start)]


def replace_once(text, old, new):
    assert text.count(old) == 1, f"docs/DEPLOY.md's block has no single {old!r}"
    return text.replace(old, new)


class Proxy:
    """A proxy in front of the given servers with its configuration in docs/DEPLOY.md: only
    the addresses, the certificate (made here, for 127.0.0.1) and where the proxy keeps its
    files are the test's."""

    DOC_SERVERS = ("10.0.0.11:5000", "10.0.0.12:5000")

    def __init__(self, backends):
        self.dir = tempfile.mkdtemp(prefix=f"opendata-{self.NAME}-")
        self.port = free_port()
        self.verify = os.path.join(self.dir, "cert.pem")  # what clients trust
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", self.key, "-out", self.verify], check=True, capture_output=True)
        conf = doc_block(self.LEAD)
        for addr, srv in zip(self.DOC_SERVERS, backends):
            conf = replace_once(conf, f" {addr}", f" 127.0.0.1:{srv.port}")
        self.log = open(os.path.join(self.dir, "proxy.log"), "w")
        self.proc = subprocess.Popen(self.command(conf), stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"https://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                self.get("/api/3/action/status_show", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"{self.NAME} did not start")

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        kw.setdefault("verify", self.verify)
        return requests.get(self.base + path, **kw)

    def post(self, token, action, **data):
        r = requests.post(f"{self.base}/api/3/action/{action}", json=data,
                          headers={"Authorization": token}, timeout=60, verify=self.verify)
        assert r.status_code == 200, (action, r.text[:500])
        return r.json()["result"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Nginx(Proxy):
    """nginx: the doc's upstream and server blocks inside the test's http block."""

    NAME, LEAD = "nginx", "The nginx part the test runs"

    def command(self, conf):
        conf = replace_once(conf, "listen 443 ssl http2;",
                            f"listen 127.0.0.1:{self.port} ssl http2;\n"
                            f"    ssl_certificate {self.verify};\n"
                            f"    ssl_certificate_key {self.key};")
        user = "user root;" if os.geteuid() == 0 else ""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""{user}
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log stderr;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
{conf}}}
""")
        return [NGINX, "-p", self.dir, "-c", "nginx.conf"]


class HAProxy(Proxy):
    """HAProxy: the doc's sections after the test's global one (its stats socket)."""

    NAME, LEAD = "haproxy", "With HAProxy instead"

    def command(self, conf):
        pem = os.path.join(self.dir, "site.pem")
        with open(pem, "w") as out:
            for part in (self.verify, self.key):
                with open(part) as f:
                    out.write(f.read())
        conf = replace_once(conf, "bind :443 ssl crt /etc/haproxy/data.example.org.pem",
                            f"bind 127.0.0.1:{self.port} ssl crt {pem}")
        self.sock = os.path.join(self.dir, "admin.sock")
        path = os.path.join(self.dir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(f"global\n    stats socket {self.sock}\n{conf}")
        check = subprocess.run([HAPROXY, "-c", "-f", path], capture_output=True, text=True)
        assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, \
            check.stdout + check.stderr
        return [HAPROXY, "-db", "-f", path]

    def servers(self):
        """Each backend server's state and last health check, as HAProxy's `show stat` has them."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.sock)
            s.sendall(b"show stat\n")
            text = b"".join(iter(lambda: s.recv(65536), b"")).decode()
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {r["svname"]: (r["status"], r["check_status"]) for r in rows
                if r["pxname"] == "opendatad" and r["svname"] in ("a", "b")}


PROXIES = {"nginx": (Nginx, NGINX), "haproxy": (HAProxy, HAPROXY)}


@pytest.fixture(scope="module", params=[
    pytest.param(name, marks=pytest.mark.skipif(
        not os.path.exists(binary), reason=f"{name} is not installed (make deps-test installs it)"))
    for name, (_, binary) in PROXIES.items()])
def pair(cluster, request):
    db = new_database(cluster, DEMO_CATALOG)
    token = add_user(db, "sam", "--sysadmin")
    dumps = tempfile.mkdtemp(prefix="opendata-shared-dumps-")
    a = Server(db, "--dump-dir", dumps, "--trusted-proxies", "127.0.0.1")
    b = Server(db, "--dump-dir", dumps, "--trusted-proxies", "127.0.0.1")
    proxy = PROXIES[request.param][0]([a, b])
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


def test_haproxy_health_checks_find_both_servers_up(pair):
    db, token, a, b, proxy = pair
    if not isinstance(proxy, HAProxy):
        pytest.skip("HAProxy's own check")
    deadline = time.time() + 30
    while (state := proxy.servers()) != {"a": ("UP", "L7OK"), "b": ("UP", "L7OK")}:
        assert time.time() < deadline, state
        time.sleep(0.2)
    for s in (a, b):
        assert "GET /api/3/action/status_show 200" in s.log_text()


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from another loopback address than the proxy's own (127.0.0.1)."""

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = ("127.0.0.2", 0)
        super().init_poolmanager(*args, **kw)


def test_requests_through_the_proxy_reach_both_servers(pair):
    db, token, a, b, proxy = pair
    with requests.Session() as client:
        client.mount(proxy.base, FromAddress())
        for _ in range(20):
            r = client.get(proxy.base + "/api/3/action/package_list", verify=proxy.verify,
                           timeout=30)
            assert r.status_code == 200
    # both access logs name the client the proxy forwarded for, not the proxy itself
    for s in (a, b):
        assert " 127.0.0.2 GET /api/3/action/package_list 200 " in s.log_text()


def test_a_client_writes_and_revalidates_through_the_proxy(pair):
    db, token, a, b, proxy = pair
    org = proxy.get("/api/3/action/organization_list").json()["result"][0]
    made = proxy.post(token, "package_create", name="through-the-proxy", owner_org=org)
    path = "/api/3/action/package_show?id=through-the-proxy"
    shown = [proxy.get(path) for _ in range(4)]  # round robin: from both servers
    assert {(r.status_code, r.content, r.headers.get("ETag")) for r in shown} == \
        {(200, shown[0].content, shown[0].headers["ETag"])}
    assert shown[0].json()["result"]["id"] == made["id"]
    etag = shown[0].headers["ETag"]
    assert [proxy.get(path, headers={"If-None-Match": etag}).status_code
            for _ in range(4)] == [304] * 4
    proxy.post(token, "package_patch", id="through-the-proxy", notes="patched")
    for _ in range(4):
        r = proxy.get(path, headers={"If-None-Match": etag})
        assert r.status_code == 200 and r.json()["result"]["notes"] == "patched"


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
