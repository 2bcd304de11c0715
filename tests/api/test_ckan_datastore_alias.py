"""CKAN DataStore aliases (datastore_create's `aliases`, CKAN 2.11's create_alias): other names
of a resource's table that every reader takes as resource_id (datastore_search prepared and
not, datastore_info, datastore_search_sql as a table name, the CKAN dump), with the visibility
of the resource; writes refuse them as an unknown resource. Also the spatial index
datastore_create makes for a latitude/longitude pair (datastore_nearest)."""
import csv
import io

import pytest
import requests

from conftest import DEMO_CATALOG, Server, WriteSite, add_user, new_database, run_import

ORG = "382000000a"
DATASET = "382000000a-000101"
OTHER = "382000000a-000102"


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin"), "mo": add_user(db, "mo"),
              "ed": add_user(db, "ed")}
    srv = Server(db, "--datastore-sql")
    s = WriteSite(srv, db, tokens)
    s.ok("organization_member_create", "sam", id=ORG, username="mo", role="member")
    s.ok("organization_member_create", "sam", id=ORG, username="ed", role="editor")
    yield s
    srv.stop()


_n = [0]


@pytest.fixture
def rid(site):
    """A new resource of DATASET made for editing, without a table."""
    _n[0] += 1
    r = f"dsa-{_n[0]}"
    site.sql("""INSERT INTO resource (id, package_id, position, name, url_type)
                SELECT %s, id, 100 + %s, %s, 'datastore' FROM package WHERE name = %s""",
             r, _n[0], r, DATASET)
    return r


def make(site, rid, user="ed", **kw):
    kw.setdefault("fields", [{"id": "code", "type": "text"}, {"id": "n", "type": "int"}])
    kw.setdefault("records", [{"code": "a", "n": 1}, {"code": "b", "n": 2}])
    return site.ok("datastore_create", user, resource_id=rid, **kw)


def views(site):
    return {r[0] for r in site.sql("SELECT viewname FROM pg_views WHERE schemaname = 'datastore'")}


def test_search_and_info_by_alias(site, rid):
    res = make(site, rid, aliases=["dsa-one", "Dsa Two"])
    assert res["aliases"] == ["dsa-one", "Dsa Two"]
    for name in ("dsa-one", "Dsa Two"):
        r = site.ok("datastore_search", resource_id=name, sort="n")
        assert r["resource_id"] == rid  # CKAN answers with the resource's id
        assert [x["code"] for x in r["records"]] == ["a", "b"]
        assert r["total"] == 2
    info = site.ok("datastore_info", id="dsa-one")
    assert info["meta"]["id"] == rid
    assert info["meta"]["aliases"] == ["dsa-one", "Dsa Two"]
    assert [f["id"] for f in info["fields"]] == ["code", "n"]
    assert site.ok("datastore_info", id=rid)["meta"]["aliases"] == ["dsa-one", "Dsa Two"]


def test_search_by_alias_unprepared_gives_the_same_bytes(site, rid):
    make(site, rid, aliases="dsa-unprep")
    other = Server(site.db, "--datastore-prepared", "false")
    try:
        for _ in range(7):  # past the executions after which PostgreSQL keeps a generic plan
            a = site.post("datastore_search", resource_id="dsa-unprep", filters={"code": "b"})
            b = WriteSite(other, site.db, site.tokens).post(
                "datastore_search", resource_id="dsa-unprep", filters={"code": "b"})
            assert a.status_code == b.status_code == 200, (a.text, b.text)
            assert a.content == b.content
            assert [x["n"] for x in a.json()["result"]["records"]] == [2]
    finally:
        other.stop()


def test_aliases_replace_earlier_ones_and_follow_new_columns(site, rid):
    make(site, rid, aliases="dsa-r1, dsa-r2")
    assert {"dsa-r1", "dsa-r2"} <= views(site)
    site.ok("datastore_create", "ed", resource_id=rid, aliases=["dsa-r3"],
            fields=[{"id": "code"}, {"id": "n"}, {"id": "extra", "type": "text"}],
            records=[{"code": "c", "n": 3, "extra": "x"}])
    assert site.ok("datastore_info", id=rid)["meta"]["aliases"] == ["dsa-r3"]
    assert "dsa-r1" not in views(site) and "dsa-r2" not in views(site)
    site.error("datastore_search", status=404, resource_id="dsa-r1")
    r = site.ok("datastore_search_sql", "ed", sql='SELECT extra FROM "dsa-r3" WHERE n = 3')
    assert r["records"] == [{"extra": "x"}]
    # no `aliases`: kept; an empty one: none left
    site.ok("datastore_create", "ed", resource_id=rid, records=[{"code": "d"}])
    assert site.ok("datastore_info", id=rid)["meta"]["aliases"] == ["dsa-r3"]
    assert site.ok("datastore_search", resource_id="dsa-r3")["total"] == 4
    site.ok("datastore_create", "ed", resource_id=rid, aliases="")
    assert site.ok("datastore_info", id=rid)["meta"]["aliases"] == []
    assert "dsa-r3" not in views(site)


@pytest.mark.parametrize("name", ["bad%name", "_under", 'quo"te', "x" * 64])
def test_invalid_alias_names(site, rid, name):
    err = site.error("datastore_create", "ed", resource_id=rid,
                     fields=[{"id": "a", "type": "int"}], aliases=["ok-name", name])
    assert err["alias"] == [f'"{name}" is not a valid alias name']
    assert site.sql("SELECT count(*) FROM datastore_table WHERE resource_id = %s", rid)[0][0] == 0
    assert "ok-name" not in views(site)


def test_alias_taken_by_another_resource_or_a_resource_id(site, rid):
    make(site, rid, aliases=["dsa-taken"])
    _n[0] += 1
    second = f"dsa-{_n[0]}"
    site.sql("""INSERT INTO resource (id, package_id, position, name, url_type)
                SELECT %s, id, 200, %s, 'datastore' FROM package WHERE name = %s""",
             second, second, DATASET)
    before = site.sql("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                      "ON n.oid = c.relnamespace WHERE n.nspname = 'datastore'")
    err = site.error("datastore_create", "ed", resource_id=second,
                     fields=[{"id": "a", "type": "int"}], aliases=["dsa-taken"])
    assert err["alias"] == ['The alias "dsa-taken" already exists.']
    err = site.error("datastore_create", "ed", resource_id=second,
                     fields=[{"id": "a", "type": "int"}], aliases=[rid])
    assert err["alias"] == [f'"{rid}" already exists']
    err = site.error("datastore_create", "ed", resource_id=second,
                     fields=[{"id": "a", "type": "int"}], aliases=["dsa-twice", "dsa-twice"])
    assert err["alias"] == ['The alias "dsa-twice" already exists.']
    # nothing of the refused calls is left
    assert site.sql("SELECT count(*) FROM datastore_table WHERE resource_id = %s",
                    second)[0][0] == 0
    assert site.sql("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'datastore'") == before
    assert site.ok("datastore_info", id="dsa-taken")["meta"]["id"] == rid
    # a resource may give its own aliases again
    site.ok("datastore_create", "ed", resource_id=rid, aliases=["dsa-taken"])


def test_delete_drops_aliases(site, rid):
    make(site, rid, aliases=["dsa-gone"])
    site.ok("datastore_delete", "ed", resource_id=rid, force=True)
    assert "dsa-gone" not in views(site)
    err = site.error("datastore_search", status=404, resource_id="dsa-gone")
    assert "dsa-gone" in err["message"]
    err = site.error("datastore_info", status=404, id="dsa-gone")
    assert err["message"].endswith('Resource/Alias "dsa-gone" was not found.')
    assert site.sql("SELECT count(*) FROM datastore_alias WHERE name = 'dsa-gone'")[0][0] == 0
    make(site, rid, aliases=["dsa-gone"])  # the name is free again
    assert site.ok("datastore_search", resource_id="dsa-gone")["total"] == 2


def test_writes_refuse_an_alias(site, rid):
    make(site, rid, aliases=["dsa-write"])
    for action, extra in (("datastore_upsert", {"method": "insert", "records": [{"code": "z"}]}),
                          ("datastore_delete", {"filters": {"code": "a"}})):
        err = site.error(action, "sam", status=404, resource_id="dsa-write", force=True, **extra)
        assert err["__type"] == "Not Found Error"
    assert site.ok("datastore_search", resource_id=rid)["total"] == 2


def test_dump_by_alias(site, rid):
    make(site, rid, aliases=["dsa-dump"])
    r = requests.get(f"{site.srv.base}/datastore/dump/dsa-dump", timeout=60)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["_id", "code", "n"]
    assert [x[1] for x in rows[1:]] == ["a", "b"]
    assert requests.get(f"{site.srv.base}/datastore/dump/dsa-nope", timeout=60).status_code == 404


def test_search_sql_reads_an_alias(site, rid):
    make(site, rid, aliases=["dsa-sql"])
    r = site.ok("datastore_search_sql", sql='SELECT code FROM "dsa-sql" ORDER BY n DESC')
    assert r["records"] == [{"code": "b"}, {"code": "a"}]
    # the read-only role reads the view, and nothing more through it
    assert site.sql("SELECT has_table_privilege('opendatad_datastore_sql', "
                    "'datastore.\"dsa-sql\"', 'SELECT')")[0][0] is True
    assert site.sql("SELECT has_table_privilege('opendatad_datastore_sql', "
                    "'datastore.\"dsa-sql\"', 'INSERT')")[0][0] is False


def test_alias_of_a_private_dataset_is_private(site):
    rid = "dsa-private"
    site.sql("""INSERT INTO resource (id, package_id, position, name, url_type)
                SELECT %s, id, 300, %s, 'datastore' FROM package WHERE name = %s""",
             rid, rid, OTHER)
    site.sql("UPDATE package SET private = true WHERE name = %s", OTHER)
    try:
        make(site, rid, user="sam", aliases=["dsa-secret"])
        err = site.error("datastore_search", status=403, resource_id="dsa-secret")
        assert rid in err["message"]
        site.error("datastore_info", status=403, id="dsa-secret")
        site.error("datastore_search_sql", status=403, sql='SELECT * FROM "dsa-secret"')
        assert requests.get(f"{site.srv.base}/datastore/dump/dsa-secret",
                            timeout=60).status_code in (403, 404)
        assert site.ok("datastore_search", "mo", resource_id="dsa-secret")["total"] == 2
        assert site.ok("datastore_info", "mo", id="dsa-secret")["meta"]["id"] == rid
        assert len(site.ok("datastore_search_sql", "mo",
                           sql='SELECT * FROM "dsa-secret"')["records"]) == 2
    finally:
        site.sql("UPDATE package SET private = false WHERE name = %s", OTHER)


def test_created_table_with_a_place_gets_the_spatial_index(site, rid):
    site.ok("datastore_create", "ed", resource_id=rid,
            fields=[{"id": "name", "type": "text"}, {"id": "Latitude", "type": "numeric"},
                    {"id": "Longitude", "type": "numeric"}],
            records=[{"name": "Taipei 101", "Latitude": 25.0340, "Longitude": 121.5645},
                     {"name": "Kaohsiung", "Latitude": 22.6273, "Longitude": 120.3014},
                     {"name": "Nowhere", "Latitude": None, "Longitude": None}])
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_nearest",
                     params={"resource_id": rid, "lat": 25.04, "lon": 121.56, "limit": 5},
                     timeout=60)
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert res["lat_field"] == "Latitude" and res["lon_field"] == "Longitude"
    assert [x["name"] for x in res["records"]] == ["Taipei 101", "Kaohsiung"]
    assert res["records"][0]["_distance_m"] < 1500
    # rows added later are found; the index stays through a create that replaces indexes
    site.ok("datastore_create", "ed", resource_id=rid, indexes=["name"],
            records=[{"name": "Taichung", "Latitude": 24.1477, "Longitude": 120.6736}])
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_nearest",
                     params={"resource_id": rid, "lat": 24.15, "lon": 120.67, "limit": 1},
                     timeout=60)
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()["result"]["records"]] == ["Taichung"]


def test_created_table_without_a_place_has_no_spatial_index(site, rid):
    make(site, rid)
    r = requests.get(f"{site.srv.base}/api/3/action/datastore_nearest",
                     params={"resource_id": rid, "lat": 25, "lon": 121}, timeout=60)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["resource_id"] == [
        "The resource has no latitude and longitude fields"]


def test_aliases_follow_a_reload_of_the_table(site, tmp_path):
    rid = "dsa-loaded"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("city,pop\nTaipei,25\nTainan,18\n", encoding="utf-8")
    second.write_text("city,pop,area\nHualien,3,4628.6\n", encoding="utf-8")
    run_import(site.db, "csv", str(first), "--resource-id", rid, "--dataset", DATASET,
               check=True)
    # an imported table is written with force only, as CKAN's XLoader tables
    err = site.error("datastore_create", "ed", resource_id=rid, aliases=["dsa-load"])
    assert "force" in str(err)
    site.ok("datastore_create", "ed", resource_id=rid, aliases=["dsa-load"], force=True)
    assert site.ok("datastore_search", resource_id="dsa-load")["total"] == 2
    run_import(site.db, "csv", str(second), "--resource-id", rid, "--dataset", DATASET,
               check=True)
    r = site.ok("datastore_search", resource_id="dsa-load")
    assert [x["city"] for x in r["records"]] == ["Hualien"]
    assert site.ok("datastore_info", id="dsa-load")["meta"]["aliases"] == ["dsa-load"]
    r = site.ok("datastore_search_sql", sql='SELECT city, area FROM "dsa-load"')
    assert [(x["city"], float(x["area"])) for x in r["records"]] == [("Hualien", 4628.6)]
