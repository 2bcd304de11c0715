"""Upgrade in place: a database made with the schema of 2026-12-05 (tests/fixtures/
schema-2026-12-05, functions and tables mixed in sql/NNN_*.sql) and holding data, migrated by
today's `opendatad db init`, equals a database made by today's layout from the start: the same
functions, triggers, views, tables, columns, indexes and constraints, current cached documents,
and the same API answers."""
import datetime
import os
import re

import psycopg2
import pytest

from conftest import (DEMO_CATALOG, FIXTURES, ROOT, Server, db_init, init_frozen_schema,
                      run_import)

DATA = os.path.join(ROOT, "docs", "demo", "data")
RECORD = os.path.join(FIXTURES, "datagovtw_v1_rest_dataset_A41000000G-000001.json")

# The schema as pg_catalog describes it, object by object (name → definition).
CATALOG = {
    "functions": """
        SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""",
    "triggers": """
        SELECT tgrelid::regclass::text || '.' || tgname,
               pg_get_triggerdef(oid) || ' enabled=' || tgenabled::text
        FROM pg_trigger WHERE NOT tgisinternal""",
    "views": """
        SELECT c.oid::regclass::text, pg_get_viewdef(c.oid) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')""",
    "columns": """
        SELECT c.oid::regclass::text || '.' || a.attname,
               concat_ws(' ', c.relkind::text, a.attnum, format_type(a.atttypid, a.atttypmod),
                         a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attstorage::text,
                         a.attcollation::regcollation::text)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')""",
    "indexes": """
        SELECT c.oid::regclass::text, pg_get_indexdef(c.oid) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'i' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')""",
    "constraints": """
        SELECT conrelid::regclass::text || '.' || conname || '/' || contypid::regtype::text,
               pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)""",
    "sequences": """
        SELECT c.oid::regclass::text, format_type(s.seqtypid, NULL) FROM pg_sequence s
        JOIN pg_class c ON c.oid = s.seqrelid""",
    "types": """
        SELECT t.oid::regtype::text, t.typtype::text FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
          AND t.typtype IN ('c', 'e', 'd', 'r')
          AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')""",
    "extensions": "SELECT extname, extversion FROM pg_extension",
    "text search": """
        SELECT c.cfgname::text, string_agg(m.maptokentype || ':' || m.mapdict::regdictionary::text,
                                           ' ' ORDER BY m.maptokentype, m.mapseqno)
        FROM pg_ts_config c JOIN pg_ts_config_map m ON m.mapcfg = c.oid
        WHERE c.cfgnamespace <> 'pg_catalog'::regnamespace GROUP BY c.cfgname""",
}


def query(url, sql, *args):
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def catalog(url):
    return {kind: dict(query(url, sql)) for kind, sql in CATALOG.items()}


def assert_same_schema(upgraded, fresh):
    a, b = catalog(upgraded), catalog(fresh)
    for kind in CATALOG:
        assert sorted(a[kind]) == sorted(b[kind]), kind
        diff = [name for name in a[kind] if a[kind][name] != b[kind][name]]
        assert diff == [], (kind, diff[:5])


def load_data(url):
    """The demo catalogue, the real data.gov.tw record, and two datastore imports (CSV, XML)."""
    run_import(url, "catalog", DEMO_CATALOG, check=True)
    run_import(url, "catalog", RECORD, check=True)
    run_import(url, "csv", os.path.join(DATA, "epa_pm25_manual_monitoring.csv"),
               "--resource-id", "355000000I-000207-001", check=True)
    [(rid,)] = query(url, "SELECT id FROM resource WHERE download_url LIKE %s",
                     "%/mol_A17000000J-030138_training.xml")
    run_import(url, "xml", os.path.join(DATA, "mol_A17000000J-030138_training.xml"),
               "--resource-id", rid, check=True)


def assert_documents_current(url):
    """Every package has its three documents, and the cached ones are what the functions build."""
    [(n, tw, ck, search)] = query(url, """
        SELECT (SELECT count(*) FROM package), (SELECT count(*) FROM tw_doc),
               (SELECT count(*) FROM ckan_doc), (SELECT count(*) FROM ckan_search_doc)""")
    assert n > 0 and (tw, ck, search) == (n, n, n)
    assert query(url, "SELECT count(*) FROM tw_doc WHERE doc <> tw_build_doc(package_id, tz)") \
        == [(0,)]
    assert query(url, "SELECT count(*) FROM ckan_doc WHERE doc <> ckan_build_doc(package_id,"
                      " ckan_site_marker(), ckan_portal_tz())") == [(0,)]


# Requests whose answers must not depend on how the database was made.
PATHS = [
    "/api/v1/rest/group", "/api/v1/rest/group/E00", "/api/v1/rest/tag",
    "/api/v1/rest/dataset", "/api/v1/rest/dataset/A41000000G-000001",
    "/api/v1/rest/dataset/355000000I-000207", "/api/v1/rest/dataset?modified=2015-01-01&limit=5",
    "/api/v1/rest/tag/%E7%9B%A3%E6%B8%AC",
    "/api/v1/rest/datastore/355000000I-000207-001?limit=3&offset=10",
    "/api/v1/rest/datastore/355000000I-000207-001?q=%E7%BE%8E%E6%BF%83&sort=Concentration%20desc",
    "/api/3/action/status_show", "/api/3/action/package_list",
    "/api/3/action/package_show?id=a41000000g-000001",
    "/api/3/action/package_show?id=355000000I-000207",
    "/api/3/action/current_package_list_with_resources?limit=3",
    "/api/3/action/package_search?rows=3",
    "/api/3/action/package_search?q=%E7%A9%BA%E6%B0%A3&facet.field=%5B%22tags%22%5D",
    "/api/3/action/package_search?fq=res_format:CSV&sort=name%20asc&rows=20",
    "/api/3/action/resource_show?id=355000000I-000207-001",
    "/api/3/action/resource_search?query=format:csv&limit=5",
    "/api/3/action/group_list?all_fields=true", "/api/3/action/organization_list",
    "/api/3/action/group_show?id=e00", "/api/3/action/tag_list", "/api/3/action/license_list",
    "/api/3/action/package_autocomplete?q=air", "/api/3/action/format_autocomplete?q=c",
    "/api/util/tag/autocomplete?incomplete=%E7%9B%A3",
    "/api/3/action/datastore_search?resource_id=355000000I-000207-001&limit=5&sort=_id%20desc",
    "/api/3/action/datastore_search?resource_id=355000000I-000207-001&distinct=true"
    "&fields=SiteName&records_format=csv",
    "/api/3/action/package_activity_list?id=a41000000g-000001",
]

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalized(text):
    """An answer with what differs between two loads of the same data made alike: ids, and
    the times of the loads (today's dates, in any zone)."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    days = "|".join(str(today + datetime.timedelta(days=d)) for d in (-1, 0, 1))
    text = UUID.sub("<id>", text)
    return re.sub(rf"(?:{days})[T ]\d\d:\d\d:\d\d(?:\.\d+)?", "<now>", text)


def answers(url):
    s = Server(url)
    try:
        out = {}
        for path in PATHS:
            r = s.get(path)
            out[path] = (r.status_code, normalized(r.text))
            assert r.status_code == 200, (path, r.text[:300])
        return out
    finally:
        s.stop()


@pytest.fixture(scope="module")
def fresh(cluster):
    """A database made by today's layout, loaded."""
    name = "up_fresh_" + os.urandom(4).hex()
    cluster.psql(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    db_init(url)
    load_data(url)
    return url


def old_database(cluster, below=None):
    """A database made with the frozen schema (the files before `below`), loaded."""
    name = "up_old_" + os.urandom(4).hex()
    cluster.psql(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    init_frozen_schema(url, below)
    load_data(url)
    return url


def test_upgrade_from_2026_12_05_equals_a_fresh_database(cluster, fresh):
    url = old_database(cluster)
    p = db_init(url)
    assert re.findall(r"^applied (\S+)$", p.stdout, re.M) and "failed" not in p.stderr
    assert_same_schema(url, fresh)
    assert_documents_current(url)
    assert answers(url) == answers(fresh)
    again = db_init(url)
    assert again.stdout == "" and again.stderr == ""


def test_upgrade_across_a_data_move_equals_a_fresh_database(cluster, fresh):
    """From before sql/migrations/015 (which moves data and has documents rebuilt) and before
    the documents of 010/012/013 changed: data loaded under that schema, then today's init."""
    url = old_database(cluster, below="015")
    p = db_init(url)
    assert "applied 015_tw_dataset_publisher" in p.stdout
    assert_same_schema(url, fresh)
    assert_documents_current(url)
    assert answers(url) == answers(fresh)


def test_missing_documents_are_built_by_db_init(cluster, fresh):
    """How a migration has documents rebuilt: it deletes them; db init builds them again with
    the functions just applied."""
    name = "up_docs_" + os.urandom(4).hex()
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE {fresh.rsplit('/', 1)[1]}")
    url = cluster.url(name)
    before = query(url, "SELECT package_id, doc FROM ckan_doc ORDER BY 1")
    query(url, "DELETE FROM ckan_doc; DELETE FROM ckan_search_doc; DELETE FROM tw_doc")
    assert db_init(url).stdout == ""
    assert_documents_current(url)
    assert query(url, "SELECT package_id, doc FROM ckan_doc ORDER BY 1") == before
