"""DataStore writes hand the records of a plain JSON body to PostgreSQL as the client sent them
(server/core/json_span.c vouches for the text; anything else is parsed by the server first, as
before). Both ways must answer alike: the same body is sent once plainly and once with a key
spelled with an escape (which the scanner leaves to json-c), to two tables made alike, and the
answers, statuses and rows compared."""
import json
import os
import subprocess

import psycopg2
import pytest
import requests

from conftest import BIN, DEMO_CATALOG, Server, new_database

ORG = "382000000a"
DATASET = "382000000a-000101"
FIELDS = [{"id": "k", "type": "text"}, {"id": "n", "type": "int8"}, {"id": "x", "type": "numeric"},
          {"id": "f", "type": "float8"}, {"id": "j", "type": "json"}, {"id": "t", "type": "_text"}]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    token = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", "sam", "--sysadmin",
                            "--db", db], check=True, capture_output=True,
                           text=True).stdout.strip().splitlines()[-1]
    srv = Server(db)
    yield srv, db, token
    srv.stop()


_n = [0]


def table(site):
    srv, db, token = site
    _n[0] += 1
    rid = f"raw-{_n[0]}"
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO resource (id, package_id, position, name, url_type)
                       SELECT %s, id, 100 + %s, %s, 'datastore' FROM package WHERE name = %s""",
                    (rid, _n[0], rid, DATASET))
    r = post(site, "datastore_create", json.dumps({"resource_id": rid, "fields": FIELDS,
                                                    "primary_key": "k"}))
    assert r.status_code == 200, r.text
    return rid


def post(site, action, body):
    srv, _, token = site
    return requests.post(f"{srv.base}/api/3/action/{action}", data=body.encode("utf-8"),
                         headers={"Authorization": token, "Content-Type": "application/json"},
                         timeout=60)


def rows(site, rid):
    with psycopg2.connect(site[1]) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT to_jsonb(t) - \'_id\' FROM datastore."{rid}" t ORDER BY k')
        return [r[0] for r in cur.fetchall()]


CASES = [
    '[{"k": "a", "n": 1, "x": "1.50", "f": 2.5, "j": {"b": [1, 2]}, "t": ["p", "q"]}]',
    '[{"k": "b", "n": 123456789012345678, "x": 1e5, "f": -0.0, "j": [], "t": []}]',
    '[{"k": "c", "n": -0, "x": 12345678901234567890123, "f": 1e400}]',
    '[{"k": "d\\u00e9\\n\\"\\/", "j": "\\ud83d\\ude00", "x": 0.1000}]',
    '[{"k": "e", "n": "not a number"}]',
    '[{"k": "f", "nope": 1}]',
    '[{"k": "g"}, {"k": "g", "n": 2}]',
    '[1, 2]',
    '"text"',
    '{"k": "h"}',
    '[{"k": "i", "n": 9223372036854775808}]',
    '[{"k": "j", "f": NaN}]',
    '[{"k": "k", "x": "\\u0000"}]',
]


@pytest.mark.parametrize("records", CASES)
@pytest.mark.parametrize("method", ["insert", "upsert"])
def test_raw_and_parsed_records_answer_alike(site, records, method):
    a, b = table(site), table(site)
    plain = f'{{"resource_id": "{a}", "method": "{method}", "include_records": true, ' \
            f'"records": {records}}}'
    escaped = f'{{"reso\\u0075rce_id": "{b}", "method": "{method}", ' \
              f'"include_records": true, "records": {records}}}'
    ra, rb = post(site, "datastore_upsert", plain), post(site, "datastore_upsert", escaped)
    assert ra.status_code == rb.status_code, (ra.text, rb.text)
    assert ra.text.replace(a, "RID") == rb.text.replace(b, "RID")
    assert rows(site, a) == rows(site, b)


@pytest.mark.parametrize("records", CASES[:4])
def test_create_with_records_answers_alike(site, records):
    _, db, _ = site
    out = []
    for n, key in enumerate(("resource_id", "reso\\u0075rce_id")):
        _n[0] += 1
        rid = f"rawc-{_n[0]}"
        with psycopg2.connect(db) as conn, conn.cursor() as cur:
            cur.execute("""INSERT INTO resource (id, package_id, position, name, url_type)
                           SELECT %s, id, 300 + %s, %s, 'datastore' FROM package
                           WHERE name = %s""", (rid, _n[0], rid, DATASET))
        r = post(site, "datastore_create", f'{{"{key}": "{rid}", "fields": '
                 f'{json.dumps(FIELDS)}, "records": {records}}}')
        out.append((r.status_code, r.text.replace(rid, "RID"),
                    rows(site, rid) if r.status_code == 200 else None))
    assert out[0] == out[1]
