"""The SQL → C contract (docs/ARCHITECTURE.md, "SQL → C"): the functions the server calls
answer one JSON text in one cell and RAISE every refusal with one of the project's SQLSTATEs,
which are the ones server/core/db_err.h reads; none answers in (code, body) or (err, result)
columns, or with NULL for "not found"."""
import json
import os
import re

import psycopg2
import pytest

from conftest import ROOT, new_database

FUNCTIONS = os.path.join(ROOT, "sql", "functions")
DB_ERR_H = os.path.join(ROOT, "server", "core", "db_err.h")
STATE = re.compile(r'^#define DB_STATE_\w+ "(\w{5})"', re.M)
RAISED = re.compile(r"\bERRCODE\s*=\s*'(OD\w*)'")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def db(cluster):
    return new_database(cluster)


def query(url, sql):
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_raised_states_are_the_ones_the_server_reads():
    known = set(STATE.findall(read(DB_ERR_H)))
    assert {"OD100", "OD210", "OD220", "OD403", "OD409", "OD422"} <= known
    raised = {}
    for name in sorted(os.listdir(FUNCTIONS)):
        text = re.sub(r"--[^\n]*", "", read(os.path.join(FUNCTIONS, name)))
        for state in RAISED.findall(text):
            raised.setdefault(state, set()).add(name)
    assert {"OD100", "OD403"} <= raised.keys()
    assert raised.keys() <= known, {s: f for s, f in raised.items() if s not in known}


def test_no_function_answers_in_code_or_err_columns(db):
    assert query(db, """
        SELECT p.oid::regprocedure::text FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace,
        unnest(p.proargnames, p.proargmodes) AS a(name, mode)
        WHERE n.nspname = 'public' AND a.mode IN ('o', 'b', 't')
          AND a.name IN ('err', 'code', 'msg')""") == []


@pytest.mark.parametrize("call, message", [
    ("ckan_package_show('nope', 'http://h', NULL)", ""),
    ("ckan_resource_show('nope', 'http://h', NULL)", ""),
    ("ckan_package_relationships('nope', NULL, NULL, NULL)",
     "First package named in request was not found."),
    ("""ckan_group_show('{"id": "nope", "kind": "group"}', 'http://h', NULL)""", ""),
    ("""ckan_member_list('{"id": "nope"}', 'http://h', NULL)""", ""),
    ("""ckan_user_show('{"id": "nope"}', 'http://h', NULL)""", ""),
    ("""ckan_tag_show('{"id": "nope"}', 'http://h')""", ""),
    ("""ckan_vocabulary_show('{"id": "nope"}', 'http://h')""",
     'Could not find vocabulary "nope"'),
    ("""ckan_activity_list('{"kind": "user", "id": "nope"}', 'http://h', NULL)""", ""),
    ("tw_dataset_show('nope', 'Asia/Taipei')", "Not found"),
    ("tw_group_show('XX', 'Asia/Taipei')", "Not found"),
    ("tw_tag_show('nope', 10, 0)", "Not found"),
])
def test_not_found_is_raised(db, call, message):
    with pytest.raises(psycopg2.Error) as e:
        query(db, "SELECT " + call)
    assert e.value.pgcode == "OD100"
    assert e.value.diag.message_primary == message


@pytest.mark.parametrize("call", [
    "ckan_license_list('{}', 'http://h')",
    "ckan_vocabulary_list('{}', 'http://h')",
    """ckan_organization_list_for_user('{}', 'http://h', NULL)""",
    "tw_group_list(false, 100, 0)",
])
def test_success_is_one_json_text(db, call):
    got = query(db, "SELECT " + call)
    assert len(got) == 1 and len(got[0]) == 1
    assert isinstance(json.loads(got[0][0]), list)
