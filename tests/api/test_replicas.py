"""Read replicas: a real streaming standby made by `pg_basebackup -R` from the test's own primary.

The server gets `--db` (the primary, as a libpq list of both hosts with
target_session_attrs=read-write, so that it finds the standby once promoted) and `--db-replica`
(the standby). Anonymous reads go to the standby while it keeps up; callers with credentials
(who write) read from the primary, so create-then-show holds; a standby whose replay is paused
past `--replica-max-lag`, or that is stopped, is skipped (a log line each time) and taken back
when it answers in time again; after the primary stops and the standby is promoted, writes and
reads go on through it without a restart.

Where a read went is seen in each server's `pg_stat_database.xact_commit` for the database (or
its table scan counts).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import psycopg2
import pytest
import requests

from conftest import (FIXTURES, PG_LOCAL, DEMO_CATALOG, Server, add_user, db_init, free_port,
                      run_import)

PGBIN = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip() \
    or "/usr/lib/postgresql/15/bin"
MAX_LAG_MS = 1500


def as_pg(*cmd):
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + list(cmd), check=True, capture_output=True, text=True)


class Node:
    """A cluster directory run by scripts/pg-local.sh (socket in the directory)."""

    def __init__(self, path, port):
        self.dir, self.port = path, port

    def start(self):
        subprocess.run([PG_LOCAL, "start", self.dir, str(self.port)], check=True,
                       capture_output=True)

    def stop(self):
        subprocess.run([PG_LOCAL, "stop", self.dir], check=True, capture_output=True)

    def kv(self):
        return f"host={self.dir} port={self.port} user=postgres dbname=opendata"

    def sql(self, query):
        with psycopg2.connect(self.kv()) as conn, conn.cursor() as cur:
            conn.autocommit = True
            cur.execute(query)
            return cur.fetchone()[0] if cur.description else None

    def commits(self):
        return self.sql("SELECT xact_commit FROM pg_stat_database WHERE datname = 'opendata'")

    def commits_reach(self, least, timeout=15):
        """The counter once it reaches least (backends report theirs within ~10 s)."""
        deadline = time.time() + timeout
        while (n := self.commits()) < least and time.time() < deadline:
            time.sleep(0.25)
        return n


@pytest.fixture(scope="module")
def nodes():
    base = tempfile.mkdtemp(prefix="opendata-repl-")
    os.chmod(base, 0o755)
    primary = Node(os.path.join(base, "primary"), free_port())
    primary.start()
    url = f"postgresql://postgres@{primary.dir.replace('/', '%2F')}:{primary.port}/opendata"
    db_init(url)
    run_import(url, "catalog", DEMO_CATALOG, check=True)
    token = add_user(url, "sam", "--sysadmin")
    standby = Node(os.path.join(base, "standby"), free_port())
    os.makedirs(standby.dir)
    if os.geteuid() == 0:
        shutil.chown(standby.dir, "postgres")
    as_pg(os.path.join(PGBIN, "pg_basebackup"), "-h", primary.dir, "-p", str(primary.port),
          "-U", "postgres", "-D", os.path.join(standby.dir, "data"), "-R", "-X", "stream")
    conf = os.path.join(standby.dir, "data", "postgresql.conf")
    with open(conf, "a") as f:
        f.write(f"unix_socket_directories = '{standby.dir}'\nport = {standby.port}\n")
    standby.start()
    assert standby.sql("SELECT pg_is_in_recovery()") is True
    db = (f"host={primary.dir},{standby.dir} port={primary.port},{standby.port} user=postgres "
          f"dbname=opendata target_session_attrs=read-write")
    srv = Server(db, "--db-replica", standby.kv(), "--replica-max-lag", str(MAX_LAG_MS))
    wait_log(srv, "replica 1 takes reads")
    yield primary, standby, srv, token
    srv.stop()
    for n in (standby, primary):
        n.stop()
    shutil.rmtree(base, ignore_errors=True)


def wait_log(srv, text, after=0, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        log = srv.log_text()
        if text in log[after:]:
            return
        time.sleep(0.1)
    raise AssertionError(f"no log line {text!r}: {srv.log_text()[-1500:]}")


def post(srv, token, action, **data):
    return requests.post(f"{srv.base}/api/3/action/{action}", json=data,
                         headers={"Authorization": token}, timeout=30)


def test_anonymous_reads_go_to_the_standby(nodes):
    primary, standby, srv, token = nodes
    names = srv.get("/api/3/action/package_list").json()["result"]
    p0, s0 = primary.commits(), standby.commits()
    for n in names[:40]:
        assert srv.get(f"/api/3/action/package_show?id={n}").status_code == 200
        assert srv.get("/api/3/action/package_search?q=%E8%B3%87%E6%96%99").status_code == 200
    assert srv.get("/api/v1/rest/dataset").status_code == 200
    assert standby.commits_reach(s0 + 81) - s0 >= 81
    assert primary.commits() - p0 < 20  # (reported by now too: its own housekeeping only)


def test_a_caller_reads_its_own_write_at_once(nodes):
    primary, standby, srv, token = nodes
    org = srv.get("/api/3/action/organization_list").json()["result"][0]
    for i in range(5):
        name = f"replica-ryw-{i}"
        assert post(srv, token, "package_create", name=name, owner_org=org).status_code == 200
        r = requests.get(f"{srv.base}/api/3/action/package_show?id={name}",
                         headers={"Authorization": token}, timeout=10)
        assert r.status_code == 200 and r.json()["result"]["name"] == name
        r = post(srv, token, "package_patch", id=name, notes=f"v{i}")
        shown = requests.get(f"{srv.base}/api/3/action/package_show?id={name}",
                             headers={"Authorization": token}, timeout=10).json()["result"]
        assert shown["notes"] == f"v{i}"
    # anonymous readers see it once the standby replayed it (well under a second here)
    deadline = time.time() + 10
    while srv.get("/api/3/action/package_show?id=replica-ryw-4").status_code != 200:
        assert time.time() < deadline
        time.sleep(0.05)


def test_a_lagging_standby_is_skipped_and_taken_back(nodes):
    primary, standby, srv, token = nodes
    org = srv.get("/api/3/action/organization_list").json()["result"][0]
    mark = len(srv.log_text())
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        assert post(srv, token, "package_create", name="written-while-paused",
                    owner_org=org).status_code == 200
        wait_log(srv, "replica 1 lags", after=mark)
        # the standby has not replayed it; the primary answers the anonymous reader
        r = srv.get("/api/3/action/package_show?id=written-while-paused")
        assert r.status_code == 200
        p0 = primary.commits()
        for _ in range(20):
            assert srv.get("/api/v1/rest/dataset").status_code == 200
        assert primary.commits_reach(p0 + 20) - p0 >= 20
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    wait_log(srv, "replica 1 takes reads", after=mark)


def test_a_stopped_standby_is_skipped_without_errors(nodes):
    primary, standby, srv, token = nodes
    mark = len(srv.log_text())
    standby.stop()
    try:
        # requests keep answering while the server notices (a failed read is sent again to the
        # primary), and after
        statuses = [srv.get("/api/3/action/package_list").status_code for _ in range(60)]
        assert set(statuses) == {200}, statuses
        wait_log(srv, "replica 1 is unavailable", after=mark)
        assert {srv.get("/api/v1/rest/group").status_code for _ in range(20)} == {200}
    finally:
        standby.start()
    wait_log(srv, "replica 1 takes reads", after=mark, timeout=60)
    s0 = standby.commits()
    for _ in range(20):
        assert srv.get("/api/3/action/package_list").status_code == 200
    assert standby.commits_reach(s0 + 20) - s0 >= 20


def test_dumps_and_the_filter_api_read_from_the_primary(nodes):
    """Their routes send every statement to the primary, anonymous callers' too: what they read
    names what is then built or streamed there."""
    primary, standby, srv, token = nodes
    url = f"postgresql://postgres@{primary.dir.replace('/', '%2F')}:{primary.port}/opendata"
    run_import(url, "csv", os.path.join(FIXTURES, "hk", "weather_station_info.csv"),
               "--resource-id", "rep-dump", "--dataset", "A41000000G-000001", check=True)
    # the standby has it too: only the routes' mark keeps the reads off it
    lsn = primary.sql("SELECT pg_current_wal_lsn()::text")
    deadline = time.time() + 30
    while not standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'"):
        assert time.time() < deadline
        time.sleep(0.1)
    q = json.dumps({"resource": "rep-dump", "filters": [[1, "ne", ["x"]]]})
    paths = ["/api/v1/dump/datastore/rep-dump?format=csv", "/datastore/dump/rep-dump",
             "/v2/filter?q=" + urllib.parse.quote(q), "/v1/filter?q=" + urllib.parse.quote(q)]
    for p in paths:  # the first builds the dump
        assert srv.get(p, timeout=60).status_code == 200, p
    # What each reads first, the table's bookkeeping row (data version, fields, permission),
    # read on the standby would count there: counts its server connections report as they end.
    scans = "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables " \
            "WHERE relname = 'datastore_table'"
    before = flushed(srv, standby, scans)
    for _ in range(10):
        for p in paths:
            r = srv.get(p)
            assert r.status_code == 200 and r.content, p
    assert flushed(srv, standby, scans) == before


def flushed(srv, standby, query):
    """query's answer on the standby once the server's connections there have ended (ending,
    a backend reports its statistics) and the server takes reads from it again."""
    mark = len(srv.log_text())
    pids = "SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity " \
           "WHERE datname = 'opendata' AND pid <> pg_backend_pid()"
    gone = standby.sql(pids)
    standby.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = 'opendata' AND pid <> pg_backend_pid()")
    deadline = time.time() + 15
    while set(standby.sql(pids)) & set(gone):
        assert time.time() < deadline
        time.sleep(0.05)
    answer = standby.sql(query)
    if "replica 1 is unavailable" in srv.log_text()[mark:]:
        wait_log(srv, "replica 1 takes reads", after=mark)
    return answer


def test_promotion_of_the_standby(nodes):
    """Last: the primary goes away for good."""
    primary, standby, srv, token = nodes
    org = srv.get("/api/3/action/organization_list").json()["result"][0]
    mark = len(srv.log_text())
    primary.stop()
    as_pg(os.path.join(PGBIN, "pg_ctl"), "-D", os.path.join(standby.dir, "data"), "-w", "promote")
    wait_log(srv, "replica 1 is no standby any more", after=mark)
    # the server's next connections to --db find the promoted server (read-write)
    deadline = time.time() + 60
    while True:
        r = post(srv, token, "package_create", name="after-promotion", owner_org=org)
        if r.status_code == 200:
            break
        assert r.status_code == 503 and time.time() < deadline, r.text
        time.sleep(0.2)
    assert srv.get("/api/3/action/package_show?id=after-promotion").status_code == 200
    assert standby.sql("SELECT count(*) FROM package WHERE name = 'after-promotion'") == 1
