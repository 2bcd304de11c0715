"""CKAN's DataStore writes (ckan-research §6.2–6.4; CKAN 2.11's ckanext/datastore):
datastore_create, datastore_upsert, datastore_delete and datastore_records_delete. Each answers
as CKAN does, refuses whom CKAN's datastore_auth refuses (package_update on the resource's
dataset: editors and admins of its organization, sysadmins), leaves nothing behind when it
fails, and shows at once in datastore_search, datastore_info, the Taiwan endpoint 7 and both
dumps.

Users: sam sysadmin; ann admin, ed editor, mo member of the demo organization owning DATASET;
out belongs nowhere."""
import csv
import io
import zipfile

import pytest

from conftest import DEMO_CATALOG, Server, new_database, WriteSite, add_user

FULL_ORG = "382000000a"
DATASET = "382000000a-000101"
SRU = "/api/v1"


class Site(WriteSite):
    def rows(self, rid, cols="*"):
        """The table's rows; the bookkeeping's row count and largest _id checked against them."""
        table, count, max_id = self.sql("SELECT table_name, row_count, max_id FROM "
                                        "datastore_table WHERE resource_id = %s", rid)[0]
        rows = self.sql(f'SELECT {cols} FROM datastore."{table}" ORDER BY "_id"')
        assert (count, max_id) == self.sql(f'SELECT count(*), coalesce(max("_id"), 0) '
                                           f'FROM datastore."{table}"')[0]
        return rows

    def state(self, rid):
        """What a failed write must leave as it was."""
        return self.sql("""SELECT d.fields, d.row_count, d.max_id, d.data_version,
                r.datastore_active, r.metadata_modified
            FROM resource r LEFT JOIN datastore_table d ON d.resource_id = r.id
            WHERE r.id = %s""", rid)[0], self.sql(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'datastore'")[0]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    for name in ("ann", "ed", "mo", "out"):
        tokens[name] = add_user(db, name)
    srv = Server(db)
    s = Site(srv, db, tokens)
    for user, role in (("ann", "admin"), ("ed", "editor"), ("mo", "member")):
        s.ok("organization_member_create", "sam", id=FULL_ORG, username=user, role=role)
    yield s
    srv.stop()


_n = [0]


@pytest.fixture
def rid(site):
    """A new resource of DATASET made for editing (url_type datastore), without a table."""
    _n[0] += 1
    r = f"dsw-{_n[0]}"
    site.sql("""INSERT INTO resource (id, package_id, position, name, url_type)
                SELECT %s, id, 100 + %s, %s, 'datastore' FROM package WHERE name = %s""",
             r, _n[0], r, DATASET)
    return r


def make(site, rid, user="ed", **kw):
    kw.setdefault("fields", [{"id": "code", "type": "text"}, {"id": "n", "type": "int"},
                             {"id": "x", "type": "numeric"}])
    return site.ok("datastore_create", user, resource_id=rid, **kw)


def search(site, rid, user=None, **kw):
    return site.ok("datastore_search", user, resource_id=rid, **kw)


# ---- datastore_create --------------------------------------------------------------------------

def test_create_answers_as_ckan_and_makes_the_table(site, rid):
    res = make(site, rid, records=[{"code": "a", "n": 1, "x": "1.5"}, {"code": "b", "n": 2}],
               primary_key="code")
    assert res == {"resource_id": rid, "method": "insert", "delete_fields": False,
                   "calculate_record_count": "background", "primary_key": "code",
                   "fields": [{"id": "code", "type": "text"}, {"id": "n", "type": "int"},
                              {"id": "x", "type": "numeric"}]}
    got = search(site, rid)
    assert got["fields"] == [{"id": "_id", "type": "int"}, {"id": "code", "type": "text"},
                             {"id": "n", "type": "int4"}, {"id": "x", "type": "numeric"}]
    assert got["records"] == [{"_id": 1, "code": "a", "n": 1, "x": 1.5},
                              {"_id": 2, "code": "b", "n": 2, "x": None}]
    assert got["total"] == 2
    assert site.one("SELECT datastore_active FROM resource WHERE id = %s", rid) is True
    shown = site.ok("resource_show", id=rid)
    assert shown["datastore_active"] is True


def test_create_guesses_types_from_the_first_record(site, rid):
    res = site.ok("datastore_create", "ed", resource_id=rid,
                  fields=[{"id": "a"}, {"id": "b"}],
                  records=[{"a": 1, "b": "2.5", "c": "2024-01-31", "d": {"k": [1]},
                            "e": 1.5, "f": "x", "g": "12"}])
    assert res["fields"] == [{"id": "a", "type": "int"}, {"id": "b", "type": "numeric"}]
    types = {f["id"]: f["type"] for f in search(site, rid)["fields"]}
    assert types == {"_id": "int", "a": "int4", "b": "numeric", "c": "timestamp", "d": "json",
                     "e": "float8", "f": "text", "g": "int4"}
    rec = search(site, rid)["records"][0]
    assert rec["d"] == {"k": [1]} and rec["c"] == "2024-01-31T00:00:00" and rec["e"] == 1.5


def test_create_types_arrays_and_info(site, rid):
    make(site, rid, fields=[{"id": "tags", "type": "_text"}, {"id": "when", "type": "date"},
                            {"id": "ok", "type": "bool"},
                            {"id": "t", "type": "text", "info": {"label": "T"}}],
         records=[{"tags": ["a", "b"], "when": "2024-02-01", "ok": True, "t": ""},
                  {"tags": [], "when": "", "ok": "", "t": None}])
    got = search(site, rid)
    assert got["records"] == [
        {"_id": 1, "tags": ["a", "b"], "when": "2024-02-01", "ok": True, "t": ""},
        {"_id": 2, "tags": [], "when": None, "ok": None, "t": None}]
    assert {"id": "t", "type": "text", "info": {"label": "T"}} in got["fields"]
    info = site.ok("datastore_info", resource_id=rid)
    assert [f["id"] for f in info["fields"]] == ["tags", "when", "ok", "t"]
    assert info["meta"]["count"] == 2


def test_create_again_adds_fields_and_records_never_removes(site, rid):
    make(site, rid, records=[{"code": "a", "n": 1}])
    res = site.ok("datastore_create", "ed", resource_id=rid,
                  fields=[{"id": "extra", "type": "text"}], records=[{"code": "b", "extra": "e"}])
    assert res["fields"] == [{"id": "extra", "type": "text"}]
    got = search(site, rid)
    assert [f["id"] for f in got["fields"]] == ["_id", "code", "n", "x", "extra"]
    assert [(r["code"], r["extra"]) for r in got["records"]] == [("a", None), ("b", "e")]
    # delete_fields drops the fields not named
    site.ok("datastore_create", "ed", resource_id=rid, fields=[{"id": "code"}],
            delete_fields=True)
    assert [f["id"] for f in search(site, rid)["fields"]] == ["_id", "code"]


@pytest.mark.parametrize("kw, key, msg", [
    ({"fields": [{"id": "a", "type": "xyz"}]}, "fields", ['"xyz" is not a valid field type']),
    ({"fields": [{"id": "a", "type": "regclass"}]}, "fields",
     ['"regclass" is not a valid field type']),
    ({"fields": [{"id": "a"}]}, "fields", ['"a" type not guessable']),
    ({"fields": [{"id": "a", "type": "text"}, {"id": "a", "type": "int"}]}, "field",
     ["Duplicate column names are not supported"]),
    ({"fields": [{"id": "x" * 64, "type": "text"}]}, "fields",
     ['Column heading "' + "x" * 64 + '" exceeds limit of 63 characters.']),
    ({"fields": [{"id": "_a", "type": "text"}, {"id": "b", "type": "text"}]}, "fields",
     [{"id": ['"_a" is not a valid field name']}, {}]),
    ({"fields": [{"type": "text"}]}, "fields", [{"id": ["Missing value"]}]),
    ({"fields": [{"id": "a", "type": "int"}], "records": [{"a": "zz"}]}, "records",
     ['invalid input syntax for type integer: "zz"']),
    ({"fields": [{"id": "a", "type": "int"}], "records": [{"a": 1}, {"b": 2}]}, "records",
     ['row "2" has extra keys "b"']),
    ({"fields": [{"id": "a", "type": "int"}], "records": ["x"]}, "records",
     ["The first row is not a json object"]),
    ({"fields": [{"id": "a", "type": "int"}], "primary_key": ["a", "b"]}, "index",
     ["The field \"['a', 'b']\" is not a valid column name."]),
    ({"fields": [{"id": "a", "type": "int"}], "indexes": "b"}, "index",
     ['The field "b" is not a valid column name.']),
    ({"fields": [{"id": "a", "type": "int"}], "aliases": "bad%name"}, "alias",
     ['"bad%name" is not a valid alias name']),
    ({"fields": [{"id": "a", "type": "int"}], "calculate_record_count": "sometimes"},
     "calculate_record_count", ["Value must be boolean or one of: background"]),
])
def test_create_refusals_leave_nothing(site, rid, kw, key, msg):
    before = site.state(rid)
    err = site.error("datastore_create", "ed", resource_id=rid, **kw)
    assert err["__type"] == "Validation Error"
    assert err[key] == msg
    if key == "records" and "zz" in msg[0]:
        assert err["records_row"] == 0
    assert site.state(rid) == before


def test_create_unique_violation_of_the_new_key(site, rid):
    before = site.state(rid)
    err = site.error("datastore_create", "ed", resource_id=rid,
                     fields=[{"id": "a", "type": "int"}], records=[{"a": 1}, {"a": 1}],
                     primary_key="a")
    assert err["constraints"] == ["Cannot insert records or create indexbecause of uniqueness "
                                  "constraint"]
    assert err["info"]["pgcode"] == "23505"
    assert site.state(rid) == before


def test_create_resource_parameter_checks(site, rid):
    err = site.error("datastore_create", "sam", resource_id=rid, resource={"package_id": "x"})
    assert err["resource"] == ["resource cannot be used with resource_id"]
    err = site.error("datastore_create", "sam", fields=[])
    assert err["resource_id"] == ["resource_id or resource required"]
    err = site.error("datastore_create", "sam", resource_id="no-such-resource")
    assert err["resource_id"] == ["Resource not found: no-such-resource"]
    err = site.error("datastore_create", "sam", resource="not a dict")
    assert err["resource"] == ["Expecting a dict"]


def count_resources(site):
    return site.one("SELECT count(*) FROM resource r JOIN package p ON p.id = r.package_id "
                    "WHERE p.name = %s", DATASET)


def test_create_with_resource_makes_a_datastore_resource(site):
    before = count_resources(site)
    out = site.ok("datastore_create", "ed", resource={"package_id": DATASET, "name": "Made"},
                  fields=[{"id": "a", "type": "int"}], records=[{"a": 1}, {"a": 2}])
    rid = out["resource_id"]
    assert count_resources(site) == before + 1
    res = site.ok("resource_show", id=rid)
    assert res["name"] == "Made" and res["url_type"] == "datastore"
    assert res["url"].endswith("/datastore/dump/" + rid) and res["datastore_active"] is True
    assert [r["a"] for r in search(site, rid)["records"]] == [1, 2]
    assert any(r["id"] == rid for r in site.ok("package_show", id=DATASET)["resources"])


def test_create_with_resource_refusals_leave_no_resource(site):
    before = count_resources(site)
    # resource_create's own checks and authorization
    err = site.error("datastore_create", "mo", status=403,
                     resource={"package_id": DATASET}, fields=[{"id": "a", "type": "int"}])
    assert err["__type"] == "Authorization Error"
    site.error("datastore_create", "ed", status=404, resource={"package_id": "no-such-dataset"})
    # a table refused after the resource was made: neither stays
    err = site.error("datastore_create", "ed", resource={"package_id": DATASET},
                     fields=[{"id": "a", "type": "no-such-type"}])
    assert "fields" in err
    assert count_resources(site) == before


def test_read_only_resources_need_force(site, rid):
    site.sql("UPDATE resource SET url_type = NULL WHERE id = %s", rid)
    before = site.state(rid)
    err = site.error("datastore_create", "ed", resource_id=rid,
                     fields=[{"id": "a", "type": "int"}])
    assert err["read-only"] == [
        "Cannot edit read-only resource because changes made may be lost. Use a resource "
        "created for editing e.g. with datastore_create or use \"force=True\" to ignore this "
        "warning."]
    assert site.state(rid) == before
    site.ok("datastore_create", "ed", resource_id=rid, fields=[{"id": "a", "type": "int"}],
            force=True)
    err = site.error("datastore_upsert", "ed", resource_id=rid, records=[{"a": 1}],
                     method="insert")
    assert "read-only" in err
    site.ok("datastore_upsert", "ed", resource_id=rid, records=[{"a": 1}], method="insert",
            force="true")
    err = site.error("datastore_delete", "ed", resource_id=rid)
    assert "read-only" in err
    assert search(site, rid)["total"] == 1


def test_imported_tables_are_read_only(site):
    rid = site.one("""SELECT r.id FROM resource r JOIN package p ON p.id = r.package_id
                      WHERE p.name = %s AND r.url_type IS NULL ORDER BY r.position LIMIT 1""",
                   DATASET)
    err = site.error("datastore_create", "ed", resource_id=rid, fields=[{"id": "a", "type": "int"}])
    assert "read-only" in err


# ---- authorization ------------------------------------------------------------------------------

@pytest.mark.parametrize("user, allowed", [
    (None, False), ("out", False), ("mo", False), ("ed", True), ("ann", True), ("sam", True)])
def test_who_may_write(site, rid, user, allowed):
    calls = [("datastore_create", {"fields": [{"id": "a", "type": "int"}], "primary_key": "a"}),
             ("datastore_upsert", {"records": [{"a": 1}]}),
             ("datastore_records_delete", {"filters": {"a": 1}}),
             ("datastore_delete", {})]
    if not allowed:
        make(site, rid, user="sam", fields=[{"id": "a", "type": "int"}], primary_key="a")
    for action, kw in calls:
        if allowed:
            site.ok(action, user, resource_id=rid, **kw)
            continue
        before = site.state(rid)
        err = site.error(action, user, status=403, resource_id=rid, **kw)
        assert err["__type"] == "Authorization Error"
        name = user or ""
        assert err["message"] == \
            f"Access denied: User {name} not authorized to perform resource_update on resource {rid}"
        assert site.state(rid) == before


# ---- datastore_upsert ----------------------------------------------------------------------------

def test_upsert_methods(site, rid):
    make(site, rid, records=[{"code": "a", "n": 1, "x": 1}, {"code": "b", "n": 2, "x": 2}],
         primary_key="code")
    res = site.ok("datastore_upsert", "ed", resource_id=rid,
                  records=[{"code": "a", "n": 10}, {"code": "c", "n": 3}])
    assert res == {"resource_id": rid, "calculate_record_count": "background"}
    # only the fields given are written; new keys are inserted
    assert site.rows(rid, '"_id", code, n, x::text') == [
        (1, "a", 10, "1"), (2, "b", 2, "2"), (3, "c", 3, None)]
    res = site.ok("datastore_upsert", "ed", resource_id=rid, method="update",
                  records=[{"code": "b", "x": "9.5"}], include_records=True)
    assert res["records"] == [{"_id": 2, "code": "b", "n": 2, "x": 9.5}]
    assert res["method"] == "update"
    site.ok("datastore_upsert", "ed", resource_id=rid, method="insert",
            records=[{"code": "d"}])
    assert search(site, rid)["total"] == 4
    # by _id
    site.ok("datastore_upsert", "ed", resource_id=rid, records=[{"_id": 4, "n": 44}])
    assert site.rows(rid, "n")[-1] == (44,)


def test_upsert_same_key_twice_in_one_call_as_ckan(site, rid):
    make(site, rid, primary_key="code")
    site.ok("datastore_upsert", "ed", resource_id=rid,
            records=[{"code": "a", "n": 1}, {"code": "a", "x": 2}, {"code": "b", "n": 5}])
    assert site.rows(rid, 'code, n, x::text') == [("a", 1, "2"), ("b", 5, None)]


@pytest.mark.parametrize("kw, key, msg", [
    ({"records": [{"n": 1}]}, "key",
     ['fields "code" are missing\n                            but needed as key']),
    ({"records": [{"code": "a", "zz": 1}]}, "fields", ['fields "zz" do not exist']),
    ({"method": "update", "records": [{"code": "zz", "n": 1}]}, "key",
     ["key \"{'val_2': 'zz'}\" not found"]),
    ({"method": "update", "records": [{"_id": 99, "n": 1}]}, "key",
     ["key \"{'val_1': 99}\" not found"]),
    ({"records": [{"code": "a", "n": 1}, {"code": "q", "n": "nope"}]}, "records",
     ['invalid input syntax for type integer: "nope"']),
    ({"method": "insert", "records": [{"code": "q", "n": "nope"}, {"code": "r"}]}, "records",
     ['invalid input syntax for type integer: "nope"']),
    ({"method": "insert", "records": [{"code": "a"}]}, "records", None),
    ({"method": "bulk", "records": []}, "method",
     ["Value must be one of ['upsert', 'insert', 'update']"]),
])
def test_upsert_refusals_are_atomic(site, rid, kw, key, msg):
    make(site, rid, records=[{"code": "a", "n": 1}, {"code": "b", "n": 2}], primary_key="code")
    before, rows = site.state(rid), site.rows(rid)
    err = site.error("datastore_upsert", "ed", resource_id=rid, **kw)
    assert err["__type"] == "Validation Error"
    if msg:
        assert err[key] == msg
    else:
        assert err[key][0].startswith("duplicate key value violates unique constraint")
    if "nope" in str(msg):
        assert err["records_row"] == 1
    assert site.state(rid) == before and site.rows(rid) == rows


def test_upsert_without_key(site, rid):
    make(site, rid)
    err = site.error("datastore_upsert", "ed", resource_id=rid, records=[{"code": "a"}])
    assert err["table"] == ["unique key must be passed for update/upsert"]


def test_upsert_dry_run_writes_nothing(site, rid):
    make(site, rid, records=[{"code": "a", "n": 1}], primary_key="code")
    before, rows = site.state(rid), site.rows(rid)
    res = site.ok("datastore_upsert", "ed", resource_id=rid, dry_run=True,
                  records=[{"code": "a", "n": 5}, {"code": "z", "n": 6}])
    assert res["dry_run"] is True
    assert site.state(rid) == before and site.rows(rid) == rows
    err = site.error("datastore_upsert", "ed", resource_id=rid, dry_run=True,
                     records=[{"code": "a", "n": "bad"}])
    assert err["records"] == ['invalid input syntax for type integer: "bad"']


def test_upsert_unknown_table(site, rid):
    err = site.error("datastore_upsert", "ed", status=404, resource_id=rid, records=[])
    assert err["message"] == f'Not found: Resource "{rid}" was not found.'
    err = site.error("datastore_upsert", "ed", records=[])
    assert err["resource_id"] == ["Missing value"]
    err = site.error("datastore_upsert", "ed", status=404, resource_id="no-such", records=[])
    assert err["message"] == "Not found"
    err = site.error("datastore_upsert", "sam", status=404, resource_id="no-such", records=[])
    assert err["message"] == "Not found: Resource was not found."


def test_large_upsert_is_one_set_based_write(site, rid):
    make(site, rid, primary_key="code")
    recs = [{"code": f"c{i}", "n": i, "x": i / 4} for i in range(10000)]
    site.ok("datastore_upsert", "ed", resource_id=rid, records=recs)
    recs = [{"code": f"c{i}", "n": -i} for i in range(5000, 15000)]
    site.ok("datastore_upsert", "ed", resource_id=rid, records=recs)
    assert site.one("SELECT row_count FROM datastore_table WHERE resource_id = %s", rid) == 15000
    got = search(site, rid, filters={"code": "c7000"})["records"]
    assert [(r["n"], r["x"]) for r in got] == [(-7000, 1750)]
    got = search(site, rid, filters={"code": "c12000"})["records"]
    assert [(r["_id"], r["n"], r["x"]) for r in got] == [(12001, -12000, None)]


# ---- deletes ---------------------------------------------------------------------------------------

def test_records_delete_with_filters(site, rid):
    make(site, rid, records=[{"code": c, "n": i} for i, c in enumerate("abcde")])
    res = site.ok("datastore_records_delete", "ed", resource_id=rid,
                  filters={"code": ["a", "c"]})
    assert res == {"resource_id": rid, "filters": {"code": ["a", "c"]}}
    assert [r[0] for r in site.rows(rid, "code")] == ["b", "d", "e"]
    site.ok("datastore_delete", "ed", resource_id=rid, filters={"n": 3})
    assert [r[0] for r in site.rows(rid, "code")] == ["b", "e"]
    assert search(site, rid)["total"] == 2
    res = site.ok("datastore_records_delete", "ed", resource_id=rid, filters={},
                  include_deleted_records=True)
    assert [r["code"] for r in res["deleted_records"]] == ["b", "e"]
    assert search(site, rid)["total"] == 0
    assert site.one("SELECT datastore_active FROM resource WHERE id = %s", rid) is True


@pytest.mark.parametrize("action, kw, key, msg", [
    ("datastore_records_delete", {}, "filters", ["Missing value"]),
    ("datastore_records_delete", {"filters": [1]}, "filters", ["Must be a dict"]),
    ("datastore_delete", {"filters": [1]}, "filters", ["filters must be either a dict or null."]),
    ("datastore_delete", {"filters": {"nope": 1}}, "filters", ['field "nope" does not exist']),
    ("datastore_delete", {"filters": {"code": {"gt": 1}}}, "filters",
     ['filter value for "code" must be a value or a list of values']),
])
def test_delete_refusals(site, rid, action, kw, key, msg):
    make(site, rid, records=[{"code": "a"}])
    before, rows = site.state(rid), site.rows(rid)
    err = site.error(action, "ed", resource_id=rid, **kw)
    assert err[key] == msg
    assert site.state(rid) == before and site.rows(rid) == rows


def test_delete_drops_the_table(site, rid):
    make(site, rid, records=[{"code": "a"}])
    table = site.one("SELECT table_name FROM datastore_table WHERE resource_id = %s", rid)
    assert site.ok("datastore_delete", "ed", resource_id=rid) == {"resource_id": rid}
    assert site.one("SELECT to_regclass(%s) IS NULL", f'datastore."{table}"') is True
    assert site.one("SELECT datastore_active FROM resource WHERE id = %s", rid) is False
    site.error("datastore_search", resource_id=rid, status=404)
    site.error("datastore_delete", "ed", resource_id=rid, status=404)


# ---- every read sees a write at once -----------------------------------------------------------

def tw_records(site, rid):
    r = site.srv.get(f"{SRU}/rest/datastore/{rid}")
    assert r.status_code == 200, r.text
    return r.json()["result"]["records"]


def tw_dump_rows(site, rid):
    r = site.srv.get(f"{SRU}/dump/datastore/{rid}", timeout=60)
    assert r.status_code == 200, r.text
    z = zipfile.ZipFile(io.BytesIO(r.content))
    text = z.read(z.namelist()[0]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))[1:]


def ckan_dump_rows(site, rid):
    r = site.srv.get(f"/datastore/dump/{rid}", timeout=60)
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]


def test_every_read_sees_each_write_at_once(site, rid):
    make(site, rid, records=[{"code": "a", "n": 1}], primary_key="code")
    views = [lambda: [r["code"] for r in search(site, rid)["records"]],
             lambda: [r["code"] for r in tw_records(site, rid)],
             lambda: [r[1] for r in tw_dump_rows(site, rid)],
             lambda: [r[1] for r in ckan_dump_rows(site, rid)]]
    assert all(v() == ["a"] for v in views)
    info_count = lambda: site.ok("datastore_info", resource_id=rid)["meta"]["count"]
    assert info_count() == 1
    site.ok("datastore_upsert", "ed", resource_id=rid, records=[{"code": "b", "n": 2}])
    assert [v() for v in views] == [["a", "b"]] * 4 and info_count() == 2
    site.ok("datastore_upsert", "ed", resource_id=rid, method="update",
            records=[{"code": "b", "n": 20}])
    assert [r["n"] for r in search(site, rid)["records"]] == [1, 20]
    assert [r[2] for r in tw_dump_rows(site, rid)] == ["1", "20"]
    assert [r[2] for r in ckan_dump_rows(site, rid)] == ["1", "20"]
    site.ok("datastore_records_delete", "ed", resource_id=rid, filters={"code": "a"})
    assert [v() for v in views] == [["b"]] * 4 and info_count() == 1
    site.ok("datastore_create", "ed", resource_id=rid, fields=[{"id": "more", "type": "text"}],
            records=[{"code": "c", "more": "m"}])
    assert [r.get("more") for r in search(site, rid)["records"]] == [None, "m"]
    assert [r.get("more") for r in tw_records(site, rid)] == [None, "m"]
    assert [r[-1] for r in ckan_dump_rows(site, rid)] == ["", "m"]


def test_private_dataset_stays_private(site, rid):
    make(site, rid, records=[{"code": "a"}])
    site.sql("UPDATE package SET private = true WHERE name = %s", DATASET)
    try:
        site.error("datastore_search", status=403, resource_id=rid)
        assert search(site, rid, "mo")["total"] == 1
        site.ok("datastore_upsert", "ed", resource_id=rid, method="insert",
                records=[{"code": "b"}])
        assert search(site, rid, "ed")["total"] == 2
    finally:
        site.sql("UPDATE package SET private = false WHERE name = %s", DATASET)
