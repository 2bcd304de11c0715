"""CKAN's datastore_search_sql (ckan-research §6.6), served with --datastore-sql: one SELECT
over datastore tables, run as a role that may read nothing else, read-only, under the
statement timeout; system tables, other schemas, tables of datasets the caller may not read,
functions not allowed, several statements and writes refused in CKAN's shapes. Without the
flag the action is unknown, as in CKAN by default. Also the scanner that finds the functions a
text calls (ds_sql_scan), on strings, comments, quoting and random input."""
import random

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, Server, new_database, add_user

DATASET = "382000000a-000101"
OTHER = "382000000a-000102"
ORG = "382000000a"



class Env:
    def __init__(self, db, srv, tokens):
        self.db, self.srv, self.tokens = db, srv, tokens

    def post(self, action, user=None, srv=None, **data):
        headers = {"Authorization": self.tokens[user]} if user else {}
        return requests.post(f"{(srv or self.srv).base}/api/3/action/{action}", json=data,
                             headers=headers, timeout=60)

    def sql(self, text, user=None, status=200):
        r = self.post("datastore_search_sql", user, sql=text)
        assert r.status_code == status, r.text
        body = r.json()
        assert body["success"] is (status == 200)
        return body["result"] if status == 200 else body["error"]

    def one(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchone()[0]


@pytest.fixture(scope="module")
def env(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin"), "mo": add_user(db, "mo"),
              "out": add_user(db, "out")}
    srv = Server(db, "--datastore-sql", "--datastore-rows-max", "5", "--statement-timeout",
                 "1500")
    e = Env(db, srv, tokens)
    e.post("organization_member_create", "sam", id=ORG, username="mo", role="member")
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        for rid, ds in (("sqlpub", DATASET), ("sqlpriv", OTHER)):
            cur.execute("""INSERT INTO resource (id, package_id, position, name, url_type)
                           SELECT %s, id, 100, %s, 'datastore' FROM package WHERE name = %s""",
                        (rid, rid, ds))
        cur.execute("UPDATE package SET private = true WHERE name = %s", (OTHER,))
    for rid in ("sqlpub", "sqlpriv"):
        r = e.post("datastore_create", "sam", resource_id=rid,
                   fields=[{"id": "city", "type": "text"}, {"id": "pop", "type": "int"},
                           {"id": "area", "type": "numeric"}, {"id": "day", "type": "date"},
                           {"id": "at", "type": "timestamp"}, {"id": "tags", "type": "_text"}],
                   records=[{"city": c, "pop": p, "area": a, "day": "2024-01-02",
                             "at": "2024-01-02 03:04:05", "tags": ["x", c]}
                            for c, p, a in (("Taipei", 25, "271.8"), ("Tainan", 18, "2191.7"),
                                            ("Hualien", 3, "4628.6"))])
        assert r.status_code == 200, r.text
    yield e
    srv.stop()


def test_select_answers_records_and_fields(env):
    res = env.sql('SELECT city, pop, area, day, at, tags FROM "sqlpub" ORDER BY pop DESC')
    assert res["sql"] == 'SELECT city, pop, area, day, at, tags FROM "sqlpub" ORDER BY pop DESC'
    assert res["fields"] == [{"id": "city", "type": "text"}, {"id": "pop", "type": "int4"},
                             {"id": "area", "type": "numeric"}, {"id": "day", "type": "date"},
                             {"id": "at", "type": "timestamp"}, {"id": "tags", "type": "_text"}]
    assert res["records"][0] == {"city": "Taipei", "pop": 25, "area": 271.8, "day": "2024-01-02",
                                 "at": "2024-01-02T03:04:05", "tags": ["x", "Taipei"]}
    assert [r["city"] for r in res["records"]] == ["Taipei", "Tainan", "Hualien"]
    assert "records_truncated" not in res
    # column order is the query's
    res = env.sql('SELECT pop, upper(city) AS c, count(*) OVER () n FROM sqlpub WHERE pop > 10 '
                  'ORDER BY 1')
    assert [list(r) for r in res["records"]] == [["pop", "c", "n"]] * 2
    assert res["records"] == [{"pop": 18, "c": "TAINAN", "n": 2}, {"pop": 25, "c": "TAIPEI", "n": 2}]


def test_rows_beyond_rows_max_are_truncated(env):
    res = env.sql("SELECT g FROM generate_series(1, 20) g")
    assert [r["g"] for r in res["records"]] == [1, 2, 3, 4, 5]
    assert res["records_truncated"] is True


def test_get_works_too(env):
    r = requests.get(f"{env.srv.base}/api/3/action/datastore_search_sql",
                     params={"sql": "SELECT count(*) AS n FROM sqlpub"}, timeout=30)
    assert r.status_code == 200 and r.json()["result"]["records"] == [{"n": 3}]


@pytest.mark.parametrize("text, msg", [
    ("SELECT * FROM pg_class", "Not authorized to access system tables"),
    ("SELECT * FROM pg_catalog.pg_namespace", "Not authorized to access system tables"),
    # not even readable by the role: PostgreSQL refuses it first, as in CKAN
    ("SELECT * FROM pg_catalog.pg_authid", "Not authorized to read resource."),
    ("SELECT * FROM information_schema.tables", "Not authorized to access system tables"),
    ("SELECT s.city FROM sqlpub s, pg_roles r", "Not authorized to access system tables"),
    ("SELECT * FROM public.users", "Not authorized to read resource."),
    ("SELECT * FROM public.api_token", "Not authorized to read resource."),
    ("SELECT pg_sleep(5)", "Not authorized to call function pg_sleep"),
    ("SELECT set_config('role', 'postgres', true)", "Not authorized to call function set_config"),
    ("SELECT pg_catalog.pg_read_file('/etc/passwd')",
     "Not authorized to call function pg_catalog.pg_read_file"),
    ("SELECT current_setting('data_directory')",
     "Not authorized to call function current_setting"),
    ('SELECT "lo_get"(1)', 'Not authorized to call function "lo_get"'),
    ("SELECT * FROM dblink('x', 'y') AS t(a int)", "Not authorized to call function dblink"),
    ("SELECT city FROM sqlpub WHERE pop IN (SELECT pg_backend_pid())",
     "Not authorized to call function pg_backend_pid"),
])
def test_refusals(env, text, msg):
    err = env.sql(text, status=403)
    assert err == {"__type": "Authorization Error", "message": f"Access denied: {msg}"}


def test_private_datasets(env):
    err = env.sql("SELECT * FROM sqlpriv", status=403)
    assert err["message"] == "Access denied: Not authorized to read resource."
    err = env.sql("SELECT * FROM sqlpriv", user="out", status=403)
    assert err["message"] == "Access denied: Not authorized to read resource."
    err = env.sql("SELECT a.city FROM sqlpub a JOIN sqlpriv b USING (city)", status=403)
    assert err["message"] == "Access denied: Not authorized to read resource."
    assert len(env.sql("SELECT * FROM sqlpriv", user="mo")["records"]) == 3
    assert len(env.sql("SELECT * FROM sqlpriv", user="sam")["records"]) == 3


@pytest.mark.parametrize("text", [
    "SELECT 1; SELECT 2",
    "SELECT 1) x; DELETE FROM sqlpub; SELECT (1",
    "SELECT city FROM sqlpub; /* c */ DROP TABLE sqlpub",
])
def test_several_statements(env, text):
    err = env.sql(text, status=409)
    assert err == {"__type": "Validation Error", "query": ["Query is not a single statement."]}
    assert env.one("SELECT count(*) FROM datastore.sqlpub") == 3


@pytest.mark.parametrize("text", [
    "DELETE FROM sqlpub",
    "WITH d AS (DELETE FROM sqlpub RETURNING *) SELECT * FROM d",
    "UPDATE sqlpub SET pop = 0 RETURNING *",
    "SELEC 1",
])
def test_writes_and_bad_syntax_are_refused(env, text):
    err = env.sql(text, status=409)
    assert err["__type"] == "Validation Error" and len(err["query"]) == 1
    assert err["info"]["statement"] == [f"SELECT * FROM ({text}) AS blah LIMIT 6"]
    assert env.one("SELECT count(*) FROM datastore.sqlpub WHERE pop > 0") == 3


def test_locking_rows_is_refused(env):
    err = env.sql("SELECT * FROM sqlpub FOR UPDATE", status=403)
    assert err["message"] == "Access denied: Not authorized to read resource."


def test_timeout_answers_query_took_too_long(env):
    err = env.sql("SELECT count(*) FROM generate_series(1, 2000000000) a", status=409)
    assert err == {"__type": "Validation Error", "query": ["Query took too long"]}
    # the server goes on
    assert env.sql("SELECT count(*) AS n FROM sqlpub")["records"] == [{"n": 3}]


def test_missing_sql(env):
    r = env.post("datastore_search_sql")
    assert r.status_code == 409 and r.json()["error"]["sql"] == ["Missing value"]


def test_off_by_default_as_an_unknown_action(env):
    srv = Server(env.db)
    try:
        r = env.post("datastore_search_sql", srv=srv, sql="SELECT 1")
        u = env.post("no_such_action", srv=srv)
        assert r.status_code == u.status_code == 400
        assert r.text == u.text.replace("no_such_action", "datastore_search_sql")
    finally:
        srv.stop()


# ---- the scanner ---------------------------------------------------------------------------------

def scan(env, text):
    with psycopg2.connect(env.db) as conn, conn.cursor() as cur:
        cur.execute("SELECT (ds_sql_scan(%s)).calls, (ds_sql_scan(%s)).multiple", (text, text))
        return cur.fetchone()


@pytest.mark.parametrize("text, calls, multiple", [
    ("SELECT count(*), max(a) FROM t", ["count", "max"], False),
    ("SELECT \"left\"(a, 2), pg_catalog.upper(b), s.f(1) FROM t", ['"left"', "pg_catalog.upper",
                                                                  "s.f"], False),
    ("SELECT CAST(a AS numeric(10,2)), b::varchar(3), c::character varying(4) FROM t", [],
     False),
    ("SELECT 1 FROM generate_series(1,3) AS g(i) WHERE a IN (1) AND EXISTS (SELECT 1)",
     ["generate_series"], False),
    ("SELECT 'pg_sleep(1)', $$ set_config( $$, $q$ x( $q$, E'\\' pg_sleep(' FROM t",
     [], False),
    ("SELECT 1 -- pg_sleep(1)\n, /* a /* nested */ pg_sleep( */ 2", [], False),
    ('SELECT "a""b"(1), "pg_sleep" (2)', ['"a""b"', '"pg_sleep"'], False),
    ("SELECT 1;", [], False),
    ("SELECT 1; -- done", [], False),
    ("SELECT 1; x", [], True),
    ("SELECT ';' , 2", [], False),
    ("SELECT Upper (a) FROM t", ["upper"], False),
    # a typed literal: name'...' is a plain string (the backslash escapes nothing)
    ("SELECT name'\\', pg_sleep(1) --'", ["pg_sleep"], False),
    ("SELECT e'\\', pg_sleep(1) --'", [], False),
    ("SELECT $a$ x( $a$, y(1), $b1$ z( $b1$ w(2)", ["y", "w"], False),
    ("SELECT a.b FROM t JOIN u USING (x) WHERE f (1)", ["f"], False),
    ('SELECT "s"."f"(1), s."g"(2)', ['"s"."f"', 's."g"'], False),
])
def test_scanner(env, text, calls, multiple):
    assert scan(env, text) == (calls, multiple)


def test_scanner_time_is_linear(env):
    calls, _ = scan(env, "SELECT f(1), 'x', \"q\", /* c */ 中文 " * 20000)
    assert len(calls) == 20000


def test_scanner_on_random_text_never_fails(env):
    rnd = random.Random(7)
    alphabet = ["'", '"', "$", "$$", "$a$", "(", ")", ";", "--", "/*", "*/", "\n", " ", "::",
                "E'", "\\", "x", "pg_sleep", ".", "AS", "é", "中"]
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        calls, multiple = scan(env, text)
        assert isinstance(calls, list) and isinstance(multiple, bool)
