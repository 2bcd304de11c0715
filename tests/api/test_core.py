"""The server core: health check, envelopes, limits, non-blocking database access, recovery
after the database goes away, graceful stop, start-up failures."""
import concurrent.futures as cf
import os
import re
import signal
import socket
import subprocess
import time

import psycopg2
import pytest
import requests

from conftest import BIN, ROOT, Cluster, Server, free_port, new_database, validate, DEMO_CATALOG

STATUS_PATH = "/api/3/action/status_show"


def test_status_show_is_ckan_envelope(server):
    r = server.get("/api/3/action/status_show")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json;charset=utf-8"  # CKAN's, no space
    body = r.json()
    assert list(body) == ["help", "success", "result"]
    assert body["success"] is True
    assert body["help"].endswith("/api/3/action/help_show?name=status_show")
    res = body["result"]
    for key in ("site_title", "site_description", "site_url", "error_emails_to",
                "locale_default", "extensions", "ckan_version"):
        assert key in res
    assert res["ckan_version"].startswith("2.")
    with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
        version = f.read().strip()
    assert res["opendatad_version"] == version  # the server's own (CKAN ignores unknown keys)
    validate(body, "ckan-status-show.schema.json")


@pytest.mark.parametrize("program", ["opendatad", "opendata-import"])
def test_version_flag(program):
    with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
        version = f.read().strip()
    p = subprocess.run([os.path.join(BIN, program), "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == f"{program} {version}\n" and p.stderr == ""


def test_status_show_also_under_api_action(server):
    assert server.get("/api/action/status_show").json()["success"] is True


def test_unknown_action_is_bare_string_400(server):
    r = server.get("/api/3/action/no_such_action")
    assert r.status_code == 400
    assert r.json() == "Bad request - Action name not known: no_such_action"


def test_unknown_path_is_404_json(server):
    r = server.get("/no/such/path")
    assert r.status_code == 404
    assert r.json()["success"] is False


def test_chinese_is_not_escaped(server):
    r = server.get("/api/v1/rest/group/E00")
    assert "生活安全及品質".encode() in r.content
    assert b"\\u" not in r.content


def test_oversized_headers_refused(server):
    r = requests.get(server.base + "/api/v1/rest/group", headers={"X-Big": "a" * 100000},
                     timeout=10)
    assert r.status_code in (400, 413, 431)
    assert server.get("/api/v1/rest/group").status_code == 200


def test_oversized_body_refused(server):
    r = requests.post(server.base + "/api/3/action/status_show", data=b"x" * (11 << 20),
                      timeout=30)
    assert r.status_code == 413


def _thread_of(log, path):
    return {int(m.group(1)) for m in re.finditer(r" t=(\d+) id=\S+ \S+ GET (\S+) ", log)
            if m.group(2) == path}


def test_locked_table_blocks_only_requests_that_need_it(cluster):
    """While another session holds an exclusive lock on `tag`, rest/tag requests wait but
    rest/group is answered at once on every server thread: no loop thread blocks on the DB."""
    db = new_database(cluster, DEMO_CATALOG)
    srv = Server(db, threads=2)
    try:
        lock = psycopg2.connect(db)
        lock.autocommit = False
        cur = lock.cursor()
        cur.execute("LOCK TABLE tag IN ACCESS EXCLUSIVE MODE")
        pool = cf.ThreadPoolExecutor(max_workers=8)
        blocked = [pool.submit(requests.get, srv.base + "/api/v1/rest/tag", timeout=60)
                   for _ in range(6)]
        time.sleep(0.5)
        assert not any(f.done() for f in blocked), "tag requests must wait for the lock"
        answered = []
        for _ in range(24):  # new connection each: SO_REUSEPORT spreads them over threads
            with requests.Session() as s:
                r = s.get(srv.base + "/api/v1/rest/group", timeout=10)
            answered.append(r.status_code)
        assert answered == [200] * 24
        assert not any(f.done() for f in blocked), "the lock is still held"
        assert _thread_of(srv.log_text(), "/api/v1/rest/group") == {0, 1}
        lock.rollback()
        lock.close()
        results = [f.result(timeout=30) for f in blocked]
        assert [r.status_code for r in results] == [200] * 6
        assert "監測" in results[0].json()["result"]
    finally:
        srv.stop()


def test_database_loss_answers_503_and_recovers():
    """Kill PostgreSQL under the running server: requests get 503 in their API's envelope,
    and once PostgreSQL is back the same server process answers again."""
    c = Cluster()
    try:
        url = c.uri
        subprocess.run([os.path.join(BIN, "opendatad"), "db", "init", "--db", url], check=True,
                       capture_output=True)
        srv = Server(url, threads=2)
        try:
            assert srv.get("/api/v1/rest/group").status_code == 200
            c.kill()
            tw = srv.get("/api/v1/rest/group")
            assert tw.status_code == 503
            assert tw.json()["success"] is False
            assert tw.json()["error"]["type"].startswith("ER0500")
            validate(tw.json(), "tw-error.schema.json")
            ck = srv.get("/api/3/action/status_show")
            assert ck.status_code == 503
            assert ck.json()["error"]["__type"] == "Service Unavailable"
            assert "unavailable" in ck.json()["error"]["message"]
            c.start()
            deadline = time.monotonic() + 60
            codes = set()
            while time.monotonic() < deadline:
                codes = {srv.get(p).status_code for p in
                         ("/api/v1/rest/group", "/api/3/action/status_show")}
                if codes == {200}:
                    break
                time.sleep(0.2)
            assert codes == {200}
            assert srv.proc.poll() is None
        finally:
            srv.stop()
    finally:
        c.remove()


# Every line the server writes on stderr: a process log line or an access line.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                      r"(?:opendatad: (error|warning|info|debug): \S|t=\d+ id=\S+ )")


def _raw_lines(text):
    return [line for line in text.splitlines() if not LOG_LINE.match(line)]


def test_database_messages_are_log_lines():
    """What PostgreSQL says on the server's connections (a function's NOTICE and WARNING, the
    warning of a backend killed in an immediate shutdown while a request waits on it) comes out
    as one log line each, never as libpq's raw "WARNING:  ..." lines."""
    c = Cluster()
    try:
        url = c.uri
        subprocess.run([os.path.join(BIN, "opendatad"), "db", "init", "--db", url], check=True,
                       capture_output=True)
        c.psql("""ALTER FUNCTION tw_group_list(boolean, bigint, bigint) RENAME TO tw_group_list_0;
            CREATE FUNCTION tw_group_list(u boolean, l bigint, o bigint) RETURNS text
            LANGUAGE plpgsql AS $$ BEGIN
                RAISE WARNING E'group list\nwatched' USING DETAIL = 'two lines', HINT = 'none';
                RAISE NOTICE 'a notice';
                RETURN tw_group_list_0(u, l, o); END $$;""", "opendata")
        srv = Server(url, "--verbosity", "3", threads=1)  # (NOTICEs are debug lines)
        try:
            assert srv.get("/api/v1/rest/group").status_code == 200
            lock = psycopg2.connect(url)
            lock.cursor().execute("LOCK TABLE tag IN ACCESS EXCLUSIVE MODE")
            pool = cf.ThreadPoolExecutor(max_workers=1)
            waiting = pool.submit(requests.get, srv.base + "/api/v1/rest/tag", timeout=60)
            time.sleep(0.5)
            c.kill()
            assert waiting.result(timeout=30).status_code == 503
            lock.close()
            c.start()
            deadline = time.monotonic() + 60
            while srv.get("/api/v1/rest/tag").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.2)
            log = srv.log_text()
        finally:
            srv.stop()
        lines = [re.sub(r"^\S+Z ", "", line) for line in log.splitlines()]  # less the time
        assert ("opendatad: warning: PostgreSQL WARNING: group list watched DETAIL: two lines "
                "HINT: none") in lines
        assert "opendatad: debug: PostgreSQL NOTICE: a notice" in lines
        assert "opendatad: warning: PostgreSQL WARNING: terminating connection" in log
        assert _raw_lines(log) == []
    finally:
        c.remove()


def test_sigterm_finishes_in_flight_requests_and_exits_0(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    srv = Server(db, threads=1)
    lock = psycopg2.connect(db)
    cur = lock.cursor()
    cur.execute("LOCK TABLE tag IN ACCESS EXCLUSIVE MODE")
    pool = cf.ThreadPoolExecutor(max_workers=2)
    pending = pool.submit(requests.get, srv.base + "/api/v1/rest/tag", timeout=60)
    time.sleep(0.5)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert srv.proc.poll() is None, "must wait for the in-flight request"
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.base + "/api/v1/rest/group", timeout=5)
    lock.rollback()
    lock.close()
    r = pending.result(timeout=30)
    assert r.status_code == 200 and r.json()["success"] is True
    assert srv.stop() == 0


def test_request_cap_answers_503(cluster):
    db = new_database(cluster)
    srv = Server(db, "--max-requests", "2", threads=1)
    try:
        lock = psycopg2.connect(db)
        lock.cursor().execute("LOCK TABLE tag IN ACCESS EXCLUSIVE MODE")
        pool = cf.ThreadPoolExecutor(max_workers=3)
        waiting = [pool.submit(requests.get, srv.base + "/api/v1/rest/tag", timeout=60)
                   for _ in range(2)]
        time.sleep(0.5)
        r = srv.get("/api/v1/rest/group")
        assert r.status_code == 503
        assert r.json()["error"]["type"].startswith("ER0500")
        assert r.headers.get("Retry-After")
        lock.rollback()
        lock.close()
        assert [f.result(timeout=30).status_code for f in waiting] == [200, 200]
        assert srv.get("/api/v1/rest/group").status_code == 200
    finally:
        srv.stop()


def test_unreachable_database_at_start_exits_nonzero():
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db",
                        "postgresql://postgres@%2Fnonexistent-dir:5432/x",
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "cannot connect to the database" in p.stderr


def test_unmigrated_database_at_start_exits_nonzero(cluster):
    cluster.psql("CREATE DATABASE empty_db")
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", cluster.url("empty_db"),
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "db init" in p.stderr


def test_db_init_is_idempotent(cluster):
    db = new_database(cluster)
    p = subprocess.run([os.path.join(BIN, "opendatad"), "db", "init", "--db", db],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "applied" not in p.stdout
    assert cluster.psql("SELECT count(*) FROM tw_category", db.rsplit("/", 1)[1]).strip() == "18"


def test_help_and_bad_flags():
    for prog in (["opendatad", "--help"], ["opendatad", "serve", "--help"],
                 ["opendata-import", "--help"]):
        p = subprocess.run([os.path.join(BIN, prog[0]), *prog[1:]], capture_output=True,
                           text=True)
        assert p.returncode == 0 and "usage" in p.stdout
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--threads", "x"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "--threads" in p.stderr


def test_user_add_prints_token_last(cluster):
    db = new_database(cluster)
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", "alice", "--sysadmin",
                        "--email", "a@example.org", "--db", db], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    name = db.rsplit("/", 1)[1]
    row = cluster.psql("SELECT u.sysadmin, u.email FROM users u JOIN api_token t ON "
                       "t.user_id = u.id WHERE t.token_hash = sha256(convert_to('%s', 'UTF8'))"
                       % token, name).strip()
    assert row == "t|a@example.org"
    assert token not in cluster.psql("SELECT string_agg(token_hash::text, ',') FROM api_token",
                                     name)


def serve_at(db, listen, *extra):
    """opendatad serving at listen (anything --listen takes); waits until it answers."""
    p = subprocess.Popen([os.path.join(BIN, "opendatad"), "serve", "--db", db, "--listen", listen,
                          "--threads", "1", *extra], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return p


@pytest.mark.parametrize("host,url_host", [("localhost", "localhost"), ("[::1]", "[::1]")])
def test_listen_takes_names_and_ipv6_and_site_url_follows(demo_db, host, url_host):
    if host == "[::1]" and not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    port = free_port()
    p = serve_at(demo_db, f"{host}:{port}")
    try:
        base = f"http://{url_host}:{port}"
        for _ in range(100):
            try:
                r = requests.get(base + "/api/3/action/status_show", timeout=2)
                break
            except requests.ConnectionError:
                if p.poll() is not None:
                    pytest.fail(p.stderr.read())
                time.sleep(0.1)
        body = r.json()
        assert body["result"]["site_url"] == base
        assert body["help"] == base + "/api/3/action/help_show?name=status_show"
    finally:
        p.terminate()
        p.wait(timeout=10)
    # a given --site-url wins over the listen address
    port = free_port()
    p = serve_at(demo_db, f"127.0.0.1:{port}", "--site-url", "https://data.example.gov")
    try:
        for _ in range(100):
            try:
                r = requests.get(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert r.json()["result"]["site_url"] == "https://data.example.gov"
    finally:
        p.terminate()
        p.wait(timeout=10)


@pytest.mark.parametrize("listen", ["no-such-host.invalid:5000", "::1:5000", "127.0.0.1",
                                    "127.0.0.1:99999"])
def test_listen_refusals_say_why(demo_db, listen):
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", demo_db, "--listen",
                        listen], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "--listen" in p.stderr, p.stderr


def test_access_log_client_request_id_and_user_agent(demo_db):
    """X-Forwarded-For names the client only from a trusted proxy; X-Request-Id is taken when
    sane, made otherwise, and returned; the user agent is quoted; every line has its time."""
    srv = Server(demo_db, "--trusted-proxies", "127.0.0.0/8")
    plain = Server(demo_db)
    try:
        r = srv.get(STATUS_PATH, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7",
                                          "X-Request-Id": "trace-42", "User-Agent": 'ua "x"\\'})
        assert r.headers["X-Request-Id"] == "trace-42"
        made = srv.get(STATUS_PATH, headers={"X-Request-Id": "bad id with spaces"})
        rid = made.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]+-[0-9a-f]+", rid)
        assert srv.get(STATUS_PATH).headers["X-Request-Id"] != rid  # one per request
        p = plain.get(STATUS_PATH, headers={"X-Forwarded-For": "198.51.100.7"})
        time.sleep(0.3)
        log = srv.log_text()
        assert re.search(r"Z t=\d+ id=trace-42 198\.51\.100\.7 GET /api/3/action/status_show "
                         r'200 \d+ [0-9.]+ms "ua \\"x\\"\\\\"$', log, re.M), log[-2000:]
        assert f"id={rid} 127.0.0.1 GET" in log
        assert re.search(r"id=\S+ 127\.0\.0\.1 GET /api/3/action/status_show 200 \d+ [0-9.]+ms "
                         r'"python-requests/', plain.log_text()), "untrusted: the peer"
        assert p.headers["X-Request-Id"]
        for line in log.splitlines():  # process lines too carry their time
            if "opendatad: " in line:
                assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z opendatad: ", line), line
    finally:
        srv.stop()
        plain.stop()


def test_trusted_proxies_refused_at_start(demo_db):
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", demo_db, "--listen",
                        f"127.0.0.1:{free_port()}", "--trusted-proxies", "10.0.0.0/40"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "--trusted-proxies" in p.stderr
