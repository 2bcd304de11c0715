"""The one "package changed" mechanism (sql/functions/14_package_changed.sql): whatever table a
change lands in, each cached document of every package it feeds (the Taiwan document tw_doc,
the CKAN dict ckan_doc, the search document ckan_search_doc) is as a fresh build makes it after
the commit, each package's documents are built once per transaction, and a rolled-back
transaction leaves everything as it was.

The cases are those where the per-cache triggers this replaced had drifted apart: a resource
moved to another package, a vocabulary or tag renamed, a group's or organization's title, a
licence, the portal's time zone."""
import json

import psycopg2
import pytest

from conftest import DEMO_CATALOG, new_database

# Each cached document next to what a build now gives. The search document is compared as
# jsonb without built_xact, rebuilt inside a savepoint that is rolled back.
STALE_SQL = """
SELECT p.id::text, 'tw_doc' FROM package p JOIN tw_doc d ON d.package_id = p.id
WHERE d.doc IS DISTINCT FROM tw_build_doc(p.id, d.tz)
UNION ALL
SELECT p.id::text, 'ckan_doc' FROM package p JOIN ckan_doc d ON d.package_id = p.id
WHERE d.doc IS DISTINCT FROM ckan_build_doc(p.id, ckan_site_marker(), ckan_portal_tz())
UNION ALL
SELECT p.id::text, 'missing' FROM package p
WHERE NOT EXISTS (SELECT 1 FROM tw_doc d WHERE d.package_id = p.id)
   OR NOT EXISTS (SELECT 1 FROM ckan_doc d WHERE d.package_id = p.id)
   OR NOT EXISTS (SELECT 1 FROM ckan_search_doc d WHERE d.package_id = p.id)
"""
SEARCH_ROWS = "SELECT package_id::text, to_jsonb(s) - 'built_xact' FROM ckan_search_doc s"


@pytest.fixture(scope="module")
def db(cluster):
    return new_database(cluster, DEMO_CATALOG)


@pytest.fixture
def conn(db):
    c = psycopg2.connect(db)
    c.autocommit = True
    yield c
    c.close()


def q(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def one(conn, sql, *args):
    return q(conn, sql, *args)[0][0]


def stale(conn):
    """(package id, document) of every cached document that differs from a fresh build."""
    found = set(q(conn, STALE_SQL))
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute(SEARCH_ROWS)
        cached = dict(cur.fetchall())
        cur.execute("SELECT ckan_search_refresh(id) FROM package")
        cur.execute(SEARCH_ROWS)
        fresh = dict(cur.fetchall())
        cur.execute("ROLLBACK")
    found |= {(pid, "ckan_search_doc") for pid in fresh if cached.get(pid) != fresh[pid]}
    return sorted(found)


def docs(conn, pid):
    """The three cached documents of a package (Taiwan and CKAN as parsed JSON)."""
    tw, ckan = q(conn, "SELECT t.doc, c.doc FROM tw_doc t JOIN ckan_doc c USING (package_id) "
                       "WHERE package_id = %s", pid)[0]
    search = one(conn, "SELECT to_jsonb(s) FROM ckan_search_doc s WHERE package_id = %s", pid)
    return json.loads(tw), json.loads(ckan), search


def gen(conn):
    return one(conn, "SELECT gen FROM ckan_search_gen")


def two_packages_with_resources(conn):
    return q(conn, "SELECT package_id::text FROM resource WHERE state = 'active' "
                   "GROUP BY package_id HAVING count(*) >= 2 ORDER BY package_id LIMIT 2")


def test_the_imported_catalogue_is_current(conn):
    assert one(conn, "SELECT count(*) FROM package") >= 39
    assert stale(conn) == []
    assert one(conn, "SELECT count(*) FROM package_changed") == 0
    assert one(conn, "SELECT count(*) FROM package_changed_xact") == 0


def test_a_resource_moved_to_another_package_refreshes_both(conn):
    (a,), (b,) = two_packages_with_resources(conn)
    rid = one(conn, "SELECT id FROM resource WHERE package_id = %s AND state = 'active' "
                    "ORDER BY position DESC LIMIT 1", a)
    tw_a, ckan_a, search_a = docs(conn, a)
    assert rid in {d["resourceID"] for d in tw_a["distribution"]}
    n_a, n_b = ckan_a["num_resources"], docs(conn, b)[1]["num_resources"]
    before = gen(conn)
    q(conn, "UPDATE resource SET package_id = %s, position = 99 WHERE id = %s", b, rid)
    assert stale(conn) == []
    tw_a, ckan_a, search_a = docs(conn, a)
    tw_b, ckan_b, search_b = docs(conn, b)
    assert rid not in {d["resourceID"] for d in tw_a["distribution"]}
    assert rid in {d["resourceID"] for d in tw_b["distribution"]}
    assert (ckan_a["num_resources"], ckan_b["num_resources"]) == (n_a - 1, n_b + 1)
    assert rid in {r["id"] for r in ckan_b["resources"]}
    assert (search_a["num_resources"], search_b["num_resources"]) == (n_a - 1, n_b + 1)
    assert gen(conn) == before + 1


def test_a_tag_and_its_vocabulary_renamed_refresh_all_three(conn):
    pid = one(conn, "SELECT id::text FROM package ORDER BY name LIMIT 1")
    q(conn, """
        WITH v AS (INSERT INTO vocabulary (name) VALUES ('pkgchg_vocab') RETURNING id),
             t AS (INSERT INTO tag (name, vocabulary_id) SELECT 'pkgchg_term', id FROM v
                   RETURNING id)
        INSERT INTO package_tag (package_id, tag_id) SELECT %s, id FROM t""", pid)
    assert stale(conn) == []
    assert docs(conn, pid)[2]["vocab"] == {"pkgchg_vocab": ["pkgchg_term"]}
    q(conn, "UPDATE vocabulary SET name = 'pkgchg_renamed' WHERE name = 'pkgchg_vocab'")
    assert stale(conn) == []
    assert docs(conn, pid)[2]["vocab"] == {"pkgchg_renamed": ["pkgchg_term"]}
    # a free tag renamed: the Taiwan keywords, the CKAN tags and the search tags
    tag = one(conn, "SELECT t.name FROM package_tag pt JOIN tag t ON t.id = pt.tag_id "
                    "WHERE pt.package_id = %s AND t.vocabulary_id IS NULL LIMIT 1", pid)
    users = [p for p, in q(conn, "SELECT pt.package_id::text FROM package_tag pt JOIN tag t "
                                 "ON t.id = pt.tag_id WHERE t.name = %s "
                                 "AND t.vocabulary_id IS NULL", tag)]
    q(conn, "UPDATE tag SET name = 'pkgchg_tag' WHERE name = %s AND vocabulary_id IS NULL", tag)
    assert stale(conn) == []
    for p in users:
        tw, ckan, search = docs(conn, p)
        assert "pkgchg_tag" in tw["keyword"] and tag not in tw["keyword"]
        assert "pkgchg_tag" in {t["name"] for t in ckan["tags"]}
        assert "pkgchg_tag" in search["tags"] and tag not in search["tags"]


def test_a_group_title_refreshes_its_members(conn):
    gid, pid = q(conn, "SELECT m.group_id::text, m.table_id::text FROM member m "
                       "JOIN grp g ON g.id = m.group_id WHERE m.table_name = 'package' "
                       "AND m.state = 'active' AND NOT g.is_organization LIMIT 1")[0]
    q(conn, "UPDATE grp SET title = 'Pkgchg group title' WHERE id = %s", gid)
    assert stale(conn) == []
    tw, ckan, search = docs(conn, pid)
    assert "Pkgchg group title" in {g["title"] for g in ckan["groups"]}
    assert "pkgchg group title" in search["body"]
    # an organization's title: its datasets' CKAN dict and search document
    org, pid = q(conn, "SELECT owner_org::text, id::text FROM package "
                       "WHERE owner_org IS NOT NULL LIMIT 1")[0]
    q(conn, "UPDATE grp SET title = 'Pkgchg org title' WHERE id = %s", org)
    assert stale(conn) == []
    tw, ckan, search = docs(conn, pid)
    assert ckan["organization"]["title"] == "Pkgchg org title"
    assert "pkgchg org title" in search["body"]


def test_a_licence_and_the_time_zone_reach_the_documents(conn):
    pid = one(conn, "SELECT id::text FROM package ORDER BY name LIMIT 1")
    q(conn, "UPDATE package SET license_id = 'cc-by' WHERE id = %s", pid)
    q(conn, "UPDATE ckan_license SET title = 'Pkgchg licence' WHERE id = 'cc-by'")
    assert stale(conn) == []
    assert docs(conn, pid)[1]["license_title"] == "Pkgchg licence"
    issued = docs(conn, pid)[0]["issued"]
    q(conn, "INSERT INTO system_info (key, value) VALUES ('tw.timezone', 'UTC') "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
    try:
        assert stale(conn) == []
        assert docs(conn, pid)[0]["issued"] != issued
    finally:
        q(conn, "DELETE FROM system_info WHERE key = 'tw.timezone'")
    assert stale(conn) == []


def test_a_rolled_back_transaction_leaves_all_unchanged(conn):
    (pid,), _ = two_packages_with_resources(conn)
    before, g = docs(conn, pid), gen(conn)
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("UPDATE package SET title = 'Never committed' WHERE id = %s", (pid,))
        cur.execute("UPDATE resource SET name = 'Never committed' WHERE package_id = %s", (pid,))
        cur.execute("SAVEPOINT s")
        cur.execute("UPDATE grp SET title = 'Never either' WHERE id = "
                    "(SELECT owner_org FROM package WHERE id = %s)", (pid,))
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("SELECT count(*) FROM package_changed")
        assert cur.fetchone()[0] == 1  # the savepoint took its notes with it
        cur.execute("ROLLBACK")
    assert docs(conn, pid) == before and gen(conn) == g
    assert one(conn, "SELECT count(*) FROM package_changed") == 0
    assert one(conn, "SELECT count(*) FROM package_changed_xact") == 0
    assert stale(conn) == []


def test_each_package_is_built_once_per_transaction(conn):
    (a,), (b,) = two_packages_with_resources(conn)
    g = gen(conn)
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SET LOCAL track_functions = 'all'")
        for n in range(3):
            cur.execute("UPDATE package SET notes = %s WHERE id IN (%s, %s)", (f"n{n}", a, b))
            cur.execute("UPDATE resource SET name = %s WHERE package_id = %s", (f"r{n}", a))
            cur.execute("INSERT INTO package_extra (package_id, key, value) VALUES (%s, 'k', %s)"
                        " ON CONFLICT (package_id, key) DO UPDATE SET value = EXCLUDED.value",
                        (b, json.dumps(n)))
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit's step, run here to count it
        cur.execute("SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname IN "
                    "('tw_build_doc', 'ckan_build_doc', 'ckan_search_refresh', 'pkgchg_refresh')")
        assert dict(cur.fetchall()) == {"tw_build_doc": 2, "ckan_build_doc": 2,
                                        "ckan_search_refresh": 2, "pkgchg_refresh": 1}
        # a change after the step ran: noted again and built again at commit
        cur.execute("UPDATE package SET notes = 'after' WHERE id = %s", (a,))
        cur.execute("COMMIT")
    assert docs(conn, a)[1]["notes"] == "after" and docs(conn, b)[1]["notes"] == "n2"
    assert gen(conn) == g + 1
    assert stale(conn) == []


def test_an_update_that_changes_nothing_builds_nothing(conn):
    pid = one(conn, "SELECT id::text FROM package ORDER BY name LIMIT 1")
    g = gen(conn)
    q(conn, "UPDATE package SET title = title WHERE id = %s", pid)
    q(conn, "UPDATE grp SET title = title")
    assert gen(conn) == g


def test_deleting_a_package_drops_its_documents_and_refreshes_related(conn):
    (a,), (b,) = two_packages_with_resources(conn)
    q(conn, "INSERT INTO package_relationship (subject_package_id, object_package_id, type) "
            "VALUES (%s, %s, 'depends_on')", a, b)
    assert [r["subject"] if "subject" in r else r["__extras"]["subject_package_id"]
            for r in docs(conn, b)[1]["relationships_as_object"]] == [a]
    q(conn, "DELETE FROM package WHERE id = %s", a)
    assert docs(conn, b)[1]["relationships_as_object"] == []
    for table in ("tw_doc", "ckan_doc", "ckan_search_doc"):
        assert one(conn, f"SELECT count(*) FROM {table} WHERE package_id = %s", a) == 0
    assert stale(conn) == []
