"""Round trip of Taiwan metadata records (issue 8): what `opendata-import catalog` stored for a
dataset is exactly what {SRU}/rest/dataset/{id} and CKAN package_show (its extras) show for it,
whatever other datasets of the same publisher were imported with, and a re-import is seen at
once through both APIs (and package_search), whose documents are cached by deferred triggers.

Also the migration of data imported before sql/015, when the publisher fields lived on the
shared organization.
"""
import copy
import itertools
import json
import os
import shutil
import subprocess
import urllib.parse

import psycopg2
import pytest

from conftest import (BIN, DEMO_CATALOG, FROZEN_SCHEMA, ROOT, Server, new_database, run_import,
                      validate)

SRU = "/api/v1"
with open(DEMO_CATALOG, encoding="utf-8") as _f:
    TEMPLATE = next(r for r in json.load(_f) if r["identifier"] == "355000000I-000003")
_serial = itertools.count(1)

# Standard fields held as text, each given a value of its own per record below.
TEXT_FIELDS = [
    "title", "description", "fieldDescription", "type", "license", "licenseURL", "cost",
    "costURL", "costLaw", "organization", "organizationContactName", "organizationContactPhone",
    "organizationContactEmail", "publisher", "publisherContactName", "publisherContactPhone",
    "publisherContactEmail", "publisherOID", "accrualPeriodicity", "spatial", "language",
    "landingPage", "notes"]
RESOURCE_TEXT = ["resourceDescription", "format", "accessURL", "metadataSourceOfData",
                 "characterSetCode"]
# package_show shows these standard fields as extras with the same key (test_ckan_package.py),
# but `type` and `notes`, CKAN's own field names: CKAN_EXTRA_NAME.
CKAN_EXTRA_NAME = {"type": "dataType", "notes": "remarks"}
CKAN_EXTRA_KEYS = [
    "categoryCode", "identifier", "fieldDescription", "type", "license", "licenseURL", "cost",
    "costURL", "costLaw", "organization", "organizationContactName", "organizationContactPhone",
    "organizationContactEmail", "publisher", "publisherContactName", "publisherContactPhone",
    "publisherContactEmail", "publisherOID", "publisherOrgCode", "accrualPeriodicity",
    "temporalCoverageFrom", "temporalCoverageTo", "issued", "modified", "spatial", "language",
    "landingPage", "numberOfData", "notes"]


def record(tag, org_code, category, n):
    """A record of the publisher org_code whose every standard field carries `tag`."""
    rec = copy.deepcopy(TEMPLATE)
    ident = f"R{os.getpid() % 100000:05d}000X-{next(_serial):06d}"
    rec["identifier"] = ident
    for f in TEXT_FIELDS:
        rec[f] = f"{f} {tag}"
    rec["publisherOrgCode"] = org_code
    rec["categoryCode"] = category
    rec["keyword"] = [f"kw{tag}", "共同"]
    rec["numberOfData"] = n
    rec["temporalCoverageFrom"] = f"20{n:02d}-01-01 00:00:00"
    rec["temporalCoverageTo"] = f"20{n:02d}-12-31 23:59:59"
    rec["issued"] = f"20{n:02d}-02-0{n % 9 + 1} 08:00:00"
    rec["modified"] = f"20{n:02d}-03-0{n % 9 + 1} 09:30:00"
    rec["distribution"] = rec["distribution"][:1]
    d = rec["distribution"][0]
    d["resourceID"] = ident + "-001"
    for f in RESOURCE_TEXT:
        d[f] = f"{f} {tag}"
    d["resourceModified"] = f"20{n:02d}-04-01 10:00:00"
    return rec


@pytest.fixture(scope="module")
def db(cluster):
    return new_database(cluster)


@pytest.fixture(scope="module")
def srv(db):
    s = Server(db)
    yield s
    s.stop()


@pytest.fixture
def load(db, tmp_path):
    files = itertools.count(1)

    def run(recs):
        path = tmp_path / f"in{next(files)}.json"
        path.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
        p = run_import(db, "catalog", str(path))
        assert p.returncode == 0, p.stderr
        return p.stderr
    return run


def tw_show(srv, ident):
    r = srv.get(SRU + "/rest/dataset/" + urllib.parse.quote(ident, safe=""))
    assert r.status_code == 200, r.text[:300]
    validate(r.json(), "tw-dataset.schema.json")
    return r.json()["result"]


def ckan_show(srv, ident):
    r = srv.get("/api/3/action/package_show", params={"id": ident})
    assert r.status_code == 200, r.text[:300]
    validate(r.json(), "ckan-package-show.schema.json")
    return r.json()["result"]


def ckan_value(value):
    """A Taiwan value as a CKAN extra: a string (numbers as their text)."""
    return value if isinstance(value, str) else json.dumps(value)


def assert_round_trip(srv, rec):
    shown = tw_show(srv, rec["identifier"])
    for key, value in rec.items():
        assert shown.get(key, "<missing>") == value, key
    pkg = ckan_show(srv, rec["identifier"])
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    for key in CKAN_EXTRA_KEYS:
        assert extras.get(CKAN_EXTRA_NAME.get(key, key), "<missing>") == ckan_value(rec[key]), key
    assert pkg["title"] == rec["title"] and pkg["notes"] == rec["description"]
    assert sorted(t["name"] for t in pkg["tags"]) == sorted(rec["keyword"])
    return pkg


def renamed(pkg):
    """A dataset dict shown before sql/migrations/020, with the extras named as since."""
    extras = [{"key": CKAN_EXTRA_NAME.get(e["key"], e["key"]), "value": e["value"]}
              for e in pkg["extras"]]
    return dict(pkg, extras=sorted(extras, key=lambda e: e["key"]))


def search_hits(srv, q=None, fq=None):
    params = {"rows": 100}
    if q:
        params["q"] = q
    if fq:
        params["fq"] = fq
    r = srv.get("/api/3/action/package_search", params=params)
    assert r.status_code == 200, r.text[:300]
    return {p["name"]: p for p in r.json()["result"]["results"]}


def extras_of(pkg):
    return {e["key"]: e["value"] for e in pkg["extras"]}


# Publishers whose datasets share one organization row while declaring different values:
# org codes differing in case (one CKAN name), and codes unusable as a CKAN name with the
# same publisher title (the organization is then keyed by the title).
SHARED_ORG_CODES = [("355000000I", "355000000i"), ("X 1", "X 2")]


@pytest.mark.parametrize("codes", SHARED_ORG_CODES)
def test_datasets_of_one_publisher_keep_their_own_values(srv, db, load, codes):
    a = record("A", codes[0], "E00", 11)
    b = record("B", codes[1], "B00", 12)
    if codes[0] == "X 1":
        a["publisher"] = b["publisher"] = "同一機關"
    load([a])
    load([b])
    owners = {r[0] for r in sql(db, "SELECT owner_org FROM package WHERE identifier IN (%s, %s)",
                                a["identifier"], b["identifier"])}
    assert len(owners) == 1, "the two datasets must share their organization for this test"
    assert_round_trip(srv, a)
    assert_round_trip(srv, b)
    assert "unchanged" in load([a, b])  # re-import: nothing moves
    assert_round_trip(srv, a)
    assert_round_trip(srv, b)
    load([b, a])  # the other order: still each its own
    assert_round_trip(srv, a)
    assert_round_trip(srv, b)
    assert_caches_current(db)


def test_reimport_with_new_values_is_seen_at_once(srv, load):
    """A re-import changing every field of one dataset: the Taiwan document, the package dict
    and the search document (all cached) show the new values in the next request; the other
    dataset of the publisher is untouched."""
    a = record("C", "355000000I", "E00", 13)
    b = record("D", "355000000I", "E00", 14)
    load([a, b])
    assert_round_trip(srv, a)
    assert_round_trip(srv, b)
    name = b["identifier"].lower()
    # An answer without q is kept by the server between writes: ask once before the change.
    assert extras_of(search_hits(srv, fq="tags:kwD")[name])["publisherOID"] == "publisherOID D"
    b2 = record("E", "355000000I", "H00", 15)
    b2["identifier"] = b["identifier"]
    b2["distribution"][0]["resourceID"] = b["distribution"][0]["resourceID"]
    b2["publisherOID"] = "zqoidnew"
    load([b2])
    assert_round_trip(srv, b2)
    assert_round_trip(srv, a)
    hits = search_hits(srv, "zqoidnew")
    assert list(hits) == [name]
    extras = extras_of(hits[name])
    assert extras["publisherOID"] == "zqoidnew" and extras["publisher"] == "publisher E"
    assert search_hits(srv, fq="tags:kwD") == {}
    assert extras_of(search_hits(srv, fq="tags:kwE")[name])["publisherOID"] == "zqoidnew"
    assert extras_of(search_hits(srv, fq="tags:kwC")[a["identifier"].lower()]) \
        == extras_of(ckan_show(srv, a["identifier"]))


def sql(db, query, *args):
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def assert_caches_current(db):
    """The cached Taiwan documents and package dicts are what the tables give now."""
    assert sql(db, "SELECT count(*) FROM tw_doc WHERE doc <> tw_build_doc(package_id, tz)") \
        == [(0,)]
    assert sql(db, "SELECT count(*) FROM ckan_doc WHERE doc <> ckan_build_doc(package_id,"
                   " ckan_site_marker(), ckan_portal_tz())") == [(0,)]


# --- data imported before sql/015 -----------------------------------------------------------

def test_migration_keeps_shown_values_and_reimport_restores_each(cluster, tmp_path,
                                                                 monkeypatch):
    """Two datasets imported under the old schema show the organization's (last imported)
    values; the migration keeps exactly that, and importing the same file again gives each
    dataset its own values back, moving only the one that was wrong."""
    old_sql = tmp_path / "sql"  # the migrations before 015 as they were, no function files
    (old_sql / "migrations").mkdir(parents=True)
    (old_sql / "functions").mkdir()
    for name in sorted(os.listdir(FROZEN_SCHEMA)):
        if name.endswith(".sql") and name < "015":
            shutil.copy(os.path.join(FROZEN_SCHEMA, name), old_sql / "migrations" / name)
    name = "m_" + os.urandom(6).hex()
    cluster.psql(f"CREATE DATABASE {name}")
    url = cluster.url(name)

    def init(sql_dir):
        env = dict(os.environ, OPENDATAD_SQL_DIR=str(sql_dir))
        subprocess.run([os.path.join(BIN, "opendatad"), "db", "init", "--db", url], check=True,
                       capture_output=True, env=env)

    init(old_sql)
    monkeypatch.setenv("OPENDATAD_SQL_DIR", str(old_sql))  # the server checks it is migrated
    a = record("F", "355000000I", "E00", 16)
    b = record("G", "355000000I", "E00", 17)
    c = record("H", "376000000A", "E00", 18)  # alone in its organization
    path = tmp_path / "cat.json"
    path.write_text(json.dumps([a, b, c], ensure_ascii=False), encoding="utf-8")
    assert run_import(url, "catalog", str(path)).returncode == 0
    s = Server(url)
    try:
        before = {r["identifier"]: tw_show(s, r["identifier"]) for r in (a, b, c)}
        ckan_before = {r["identifier"]: ckan_show(s, r["identifier"]) for r in (a, b, c)}
    finally:
        s.stop()
    assert before[a["identifier"]]["publisherOID"] == "publisherOID G"  # the fault

    init(os.path.join(ROOT, "sql"))
    monkeypatch.setenv("OPENDATAD_SQL_DIR", os.path.join(ROOT, "sql"))
    assert_caches_current(url)
    s = Server(url)
    try:
        for r in (a, b, c):  # exactly what each showed, through both APIs
            assert tw_show(s, r["identifier"]) == before[r["identifier"]]
            assert ckan_show(s, r["identifier"]) == renamed(ckan_before[r["identifier"]])
        p = run_import(url, "catalog", str(path))
        assert p.returncode == 0, p.stderr
        assert "0 created, 1 updated, 2 unchanged, 0 failed" in p.stderr
        for r in (a, b, c):
            assert_round_trip(s, r)
        assert tw_show(s, b["identifier"]) == before[b["identifier"]]
        assert tw_show(s, c["identifier"]) == before[c["identifier"]]
        p = run_import(url, "catalog", str(path))
        assert "0 created, 0 updated, 3 unchanged, 0 failed" in p.stderr
        assert_caches_current(url)
    finally:
        s.stop()
