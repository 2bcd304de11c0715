"""CKAN read actions about groups, organizations, members, tags, vocabularies, users, licences and
activity, plus site_read and help_show (ckan-research §3.2-§3.5, §4), on the demo catalogue with
users, memberships, a private and a deleted dataset, a deleted group, a vocabulary and extra
activity added. Every caller is anonymous: only active, public datasets are visible and user
dicts carry no email address. Answers are validated against schemas/ckan-*.schema.json."""
import hashlib
import os
import subprocess
from datetime import datetime, timezone

import psycopg2
import pytest
import requests

from conftest import BIN, DEMO_CATALOG, FIXTURES, Server, new_database, run_import, validate

SITE = "http://data.example.test"
REAL = os.path.join(FIXTURES, "datagovtw_v1_rest_dataset_A41000000G-000001.json")
PRIVATE = "382000000a-000101"   # org 382000000a, group e00; made private
DELETED = "397000000a-000201"   # org 397000000a, group e00; deleted
BULK = "a41000000g-000121"      # gets 120 extra activities

SETUP = f"""
UPDATE users SET fullname = 'Alice Chen', about = 'data steward', image_url = 'alice.png'
WHERE name = 'alice';
UPDATE users SET fullname = 'Carol Admin' WHERE name = 'carol';
UPDATE users SET state = 'deleted' WHERE name = 'dave';
INSERT INTO member (group_id, table_name, table_id, capacity)
SELECT g.id, 'user', u.id, c FROM (VALUES ('a41000000g', 'alice', 'admin'),
    ('382000000a', 'bob', 'editor'), ('e00', 'bob', 'member')) v(gn, un, c)
JOIN grp g ON g.name = v.gn JOIN users u ON u.name = v.un;
UPDATE package SET private = true WHERE name = '{PRIVATE}';
UPDATE package SET state = 'deleted' WHERE name = '{DELETED}';
INSERT INTO tag (name) VALUES ('secret-tag'), ('csv');
INSERT INTO package_tag (package_id, tag_id)
SELECT p.id, t.id FROM package p, tag t
WHERE (p.name = '{PRIVATE}' AND t.name = 'secret-tag')
   OR (p.name = 'a41000000g-000120' AND t.name = 'csv' AND t.vocabulary_id IS NULL);
UPDATE package SET creator_user_id = (SELECT id FROM users WHERE name = 'alice')
WHERE name IN ('{PRIVATE}', 'a41000000g-000120');
INSERT INTO grp (name, title, state) VALUES ('old-group', 'Old group', 'deleted');
INSERT INTO grp (name, title, description)
SELECT 'zz-' || lpad(i::text, 2, '0'), 'Z group ' || lpad(i::text, 2, '0'), 'empty group'
FROM generate_series(1, 30) i;
UPDATE grp SET image_url = 'logo.png' WHERE name = 'e00';
UPDATE grp SET image_url = 'https://img.example.test/i.png' WHERE name = 'i00';
INSERT INTO vocabulary (name) VALUES ('formats');
INSERT INTO tag (name, vocabulary_id)
SELECT n, v.id FROM vocabulary v, unnest(ARRAY['csv', 'json']) n WHERE v.name = 'formats';
INSERT INTO activity (user_id, object_id, activity_type)
SELECT u.id, g.id, 'changed organization' FROM users u, grp g
WHERE u.name = 'alice' AND g.name = 'a41000000g';
INSERT INTO activity (user_id, object_id, activity_type)
SELECT id, id, 'new user' FROM users WHERE name = 'alice';
INSERT INTO activity (object_id, activity_type, data, timestamp)
SELECT p.id, 'changed package', '{{}}', now() - i * interval '1 minute'
FROM package p, generate_series(1, 120) i WHERE p.name = '{BULK}';
"""


class Site:
    def __init__(self, srv, db):
        self.srv, self.db = srv, db

    def get(self, action, **params):
        return self.srv.get(f"/api/3/action/{action}", params=params)

    def post(self, action, body):
        return requests.post(f"{self.srv.base}/api/3/action/{action}", json=body, timeout=10)

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()

    def one(self, query, *args):
        return self.sql(query, *args)[0][0]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "catalog", REAL, check=True)
    for args in (["alice", "--email", " Alice@Example.org "], ["bob"], ["carol", "--sysadmin"],
                 ["dave"]):
        subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", *args, "--db", db],
                       check=True, capture_output=True)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(SETUP)
    srv = Server(db, "--site-url", SITE)
    yield Site(srv, db)
    srv.stop()


def ok(r, schema):
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["help", "success", "result"]
    validate(body, schema)
    return body["result"]


def err(r, status, type_):
    assert r.status_code == status, r.text
    body = r.json()
    validate(body, "ckan-error.schema.json")
    assert body["error"]["__type"] == type_
    return body["error"]


def not_found(r, message="Not found"):
    assert err(r, 404, "Not Found Error")["message"] == message


def invalid(r, **fields):
    e = err(r, 409, "Validation Error")
    assert {k: v for k, v in e.items() if k != "__type"} == fields


def visible_ids(site, where, *args):
    """Ids (text) of the visible datasets matching a condition on p (package)."""
    return {r[0] for r in site.sql(
        "SELECT p.id::text FROM package p WHERE p.state = 'active' AND NOT p.private AND "
        + where, *args)}


def group_ids(site, name):
    return visible_ids(site, "p.id IN (SELECT m.table_id FROM member m JOIN grp g ON "
                       "g.id = m.group_id WHERE g.name = %s AND m.state = 'active')", name)


def org_ids(site, name):
    return visible_ids(site, "p.owner_org = (SELECT id FROM grp WHERE name = %s)", name)


def active_groups(site, is_org):
    return site.sql("SELECT name, title FROM grp WHERE state = 'active' AND is_organization = %s",
                    is_org)


# ---- group_list / organization_list -------------------------------------------------------------

def test_group_list_names_by_title(site):
    names = ok(site.get("group_list"), "ckan-group-list.schema.json")
    expected = [n for n, _ in sorted(active_groups(site, False), key=lambda g: (g[1], g[0]))]
    assert names == expected
    assert "old-group" not in names and len(names) == 48


def test_group_list_also_under_api_action_and_post(site):
    assert site.srv.get("/api/action/group_list").json()["result"][:3] == \
        ok(site.get("group_list"), "ckan-group-list.schema.json")[:3]
    assert ok(site.post("group_list", {"sort": "name", "limit": 2}),
              "ckan-group-list.schema.json") == ["100", "200"]


@pytest.mark.parametrize("sort,key,reverse", [
    ("name", 0, False), ("name desc", 0, True), ("name ASC", 0, False), ("title desc", 1, True),
    ("title asc", 1, False)])
def test_group_list_sort(site, sort, key, reverse):
    names = ok(site.get("group_list", sort=sort), "ckan-group-list.schema.json")
    expected = sorted(active_groups(site, False), key=lambda g: (g[key], g[0]))
    if reverse:  # ties keep name order
        expected = sorted(expected, key=lambda g: g[key], reverse=True)
    assert names == [n for n, _ in expected]


def test_group_list_order_by_is_the_deprecated_sort(site):
    assert site.get("group_list", order_by="name").json()["result"][:2] == ["100", "200"]
    assert site.get("group_list", order_by="name", sort="title").json()["result"][0] != "100"


@pytest.mark.parametrize("sort", ["package_count", "packages", "package_count desc"])
def test_group_list_sort_by_package_count_drops_empty_groups(site, sort):
    names = ok(site.get("group_list", sort=sort), "ckan-group-list.schema.json")
    counts = {n: len(group_ids(site, n)) for n, _ in active_groups(site, False)}
    expected = sorted((n for n in counts if counts[n] > 0), key=lambda n: (-counts[n], n))
    assert names == expected  # CKAN counts through an inner join
    assert names[0] == "e00" and not any(n.startswith("zz-") for n in names)


def test_group_list_sort_by_package_count_ascending(site):
    names = site.get("group_list", sort="packages asc").json()["result"]
    counts = [len(group_ids(site, n)) for n in names]
    assert counts == sorted(counts) and counts[0] > 0


@pytest.mark.parametrize("sort,message", [
    ("foo", "Cannot sort by field `foo`"),
    ("name up", "Invalid sort direction `up`"),
    ("name, title", "Too many sort criteria provided only 1 allowed"),
    ("metadata_modified desc", "Cannot sort by field `metadata_modified`")])
def test_group_list_bad_sort(site, sort, message):
    invalid(site.get("group_list", sort=sort), message=message)


def test_group_list_limit_offset(site):
    all_names = site.get("group_list", sort="name").json()["result"]
    assert site.get("group_list", sort="name", limit=3, offset=2).json()["result"] == \
        all_names[2:5]
    assert site.get("group_list", sort="name", offset=45).json()["result"] == all_names[45:]
    assert site.get("group_list", limit=0).json()["result"] == []  # "0" is truthy: LIMIT 0
    assert site.post("group_list", {"limit": 0, "sort": "name"}).json()["result"] == all_names
    assert site.get("group_list", limit="", sort="name").json()["result"] == all_names


@pytest.mark.parametrize("param,value,message", [
    ("limit", "x", "Invalid integer"), ("limit", "-1", "Must be a natural number"),
    ("offset", "1.5", "Invalid integer"), ("offset", "-3", "Must be a natural number")])
def test_group_list_bad_paging(site, param, value, message):
    invalid(site.get("group_list", **{param: value}), **{param: [message]})


def test_group_list_all_fields_is_capped_at_25(site):
    dicts = ok(site.get("group_list", all_fields="true"), "ckan-group-list.schema.json")
    assert len(dicts) == 25
    assert len(site.get("group_list", all_fields="true", limit=100).json()["result"]) == 25
    assert len(site.get("group_list", all_fields="true", limit=3).json()["result"]) == 3
    assert len(site.get("group_list", limit=5000).json()["result"]) == 48


def test_group_list_all_fields_lean_dicts(site):
    d = ok(site.get("group_list", all_fields="yes", groups="e00"), "ckan-group-list.schema.json")
    assert len(d) == 1
    assert set(d[0]) == {"approval_status", "created", "description", "display_name", "id",
                         "image_display_url", "image_url", "is_organization", "name",
                         "num_followers", "package_count", "state", "title", "type"}
    assert d[0]["package_count"] == len(group_ids(site, "e00")) == 6
    assert d[0]["num_followers"] == 0 and d[0]["is_organization"] is False


def test_group_list_all_fields_includes(site):
    d = site.get("group_list", all_fields=1, groups="e00", include_extras="true",
                 include_users="true", include_groups="true", include_member_count="true",
                 include_dataset_count="false").json()["result"][0]
    validate({"help": "/api/3/action/help_show?name=group_list", "success": True, "result": [d]},
             "ckan-group-list.schema.json")
    assert "package_count" not in d
    assert d["extras"] == [] and d["groups"] == [] and d["member_count"] == 1
    assert [(u["name"], u["capacity"]) for u in d["users"]] == [("bob", "member")]


def test_group_list_all_fields_tags_and_followers(site):
    # group tags cannot be made: CKAN 2.11 answers an empty list (its validate keeps empty
    # lists); nobody follows anything here
    d = site.get("group_list", all_fields="true", groups="e00", include_tags="true",
                 include_followers="true").json()["result"][0]
    assert d["tags"] == [] and d["num_followers"] == 0
    assert "tags" not in site.get("group_list", all_fields="true",
                                  groups="e00").json()["result"][0]


def test_list_all_fields_carries_every_included_key(site):
    for action, names in (("group_list", {"groups": "e00"}),
                          ("organization_list", {"organizations": "a41000000g"})):
        r = site.get(action, all_fields="true", include_tags="true", include_groups="true",
                     include_extras="true", **names)
        validate(r.json(), "ckan-group-list.schema.json")
        d = r.json()["result"]
        assert len(d) == 1
        assert d[0]["tags"] == [] and d[0]["groups"] == [] and isinstance(d[0]["extras"], list)
        assert "users" not in d[0]
    o = site.get("organization_list", all_fields="true", include_extras="true",
                 organizations="a41000000g").json()["result"][0]
    assert {e["key"] for e in o["extras"]} == {"publisherOID", "publisherOrgCode"}


def test_group_show_tags_by_default(site):
    g = ok(site.get("group_show", id="e00"), "ckan-group-show.schema.json")
    assert g["tags"] == []
    assert "tags" not in site.get("group_show", id="e00", include_tags="0").json()["result"]


def test_group_list_groups_filter(site):
    assert site.get("group_list", groups="i00, e00").json()["result"] == \
        sorted(["e00", "i00"], key=lambda n: site.one("SELECT title FROM grp WHERE name = %s", n))
    r = site.srv.get("/api/3/action/group_list?groups=e00&groups=100&sort=name")
    assert r.json()["result"] == ["100", "e00"]
    assert site.post("group_list", {"groups": ["i00"]}).json()["result"] == ["i00"]
    assert site.get("group_list", organizations="e00").json()["result"] != ["e00"]


def test_group_list_q_matches_name_title_description(site):
    assert site.get("group_list", q="Z GROUP 0", sort="name").json()["result"] == \
        [f"zz-0{i}" for i in range(1, 10)]
    assert site.get("group_list", q="生活安全").json()["result"] == ["e00"]
    assert site.get("group_list", q="E00類").json()["result"] == ["e00"]   # description
    assert site.get("group_list", q="  zz-30 ").json()["result"] == ["zz-30"]
    assert site.get("group_list", q="%").json()["result"] == []            # taken literally


def test_group_list_type(site):
    assert site.get("group_list", type="organization").json()["result"] == []
    assert site.get("group_list", type="group", limit=1).json()["result"] != []


def test_group_list_bad_bool(site):
    invalid(site.get("group_list", all_fields="maybe"), message="Parameter is not an bool")
    invalid(site.get("group_list", all_fields="1", include_extras="2"),
            message="Parameter is not an bool")


def test_organization_list(site):
    names = ok(site.get("organization_list"), "ckan-group-list.schema.json")
    expected = [n for n, _ in sorted(active_groups(site, True), key=lambda g: (g[1], g[0]))]
    assert names == expected and len(names) == 13
    assert site.get("organization_list", organizations="a41000000g,a44000000g",
                    sort="name").json()["result"] == ["a41000000g", "a44000000g"]
    assert len(site.get("organization_list", groups="a41000000g").json()["result"]) == 13


def test_organization_list_all_fields_counts_visible_datasets(site):
    orgs = ok(site.get("organization_list", all_fields="true", sort="name"),
              "ckan-group-list.schema.json")
    assert len(orgs) == 13
    for o in orgs:
        assert o["is_organization"] is True and o["type"] == "organization"
        assert o["package_count"] == len(org_ids(site, o["name"]))
    by_name = {o["name"]: o for o in orgs}
    assert by_name["382000000a"]["package_count"] == 4  # one of 5 is private
    assert by_name["397000000a"]["package_count"] == 3  # one of 4 is deleted


def test_organization_list_by_package_count(site):
    names = site.get("organization_list", sort="package_count").json()["result"]
    counts = [len(org_ids(site, n)) for n in names]
    assert counts == sorted(counts, reverse=True) and names[0] == "387000000a"


# ---- group_show / organization_show --------------------------------------------------------------

def test_group_show_default_keys(site):
    g = ok(site.get("group_show", id="e00"), "ckan-group-show.schema.json")
    assert set(g) == {"approval_status", "created", "description", "display_name", "extras",
                      "groups", "id", "image_display_url", "image_url", "is_organization", "name",
                      "num_followers", "package_count", "state", "tags", "title", "type",
                      "users"}
    assert g["name"] == "e00" and g["title"] == g["display_name"] == "生活安全及品質"
    assert g["package_count"] == 6 and g["type"] == "group" and g["state"] == "active"
    assert g["image_url"] == "logo.png"
    assert g["image_display_url"] == SITE + "/uploads/group/logo.png"
    assert [(u["name"], u["capacity"]) for u in g["users"]] == [("bob", "member")]
    assert g["num_followers"] == 0 and g["groups"] == []


def test_group_show_by_id_and_post(site):
    gid = site.one("SELECT id::text FROM grp WHERE name = 'i00'")
    g = ok(site.get("group_show", id=gid), "ckan-group-show.schema.json")
    assert g["name"] == "i00" and g["id"] == gid
    assert g["image_display_url"] == "https://img.example.test/i.png"
    assert ok(site.post("group_show", {"id": "i00", "include_users": False}),
              "ckan-group-show.schema.json")["id"] == gid


def test_group_show_created_is_ckan_iso(site):
    g = site.get("group_show", id="e00").json()["result"]
    created = site.one("SELECT created FROM grp WHERE name = 'e00'")
    expected = created.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    assert g["created"] == expected


def test_group_show_include_datasets(site):
    g = ok(site.get("group_show", id="e00", include_datasets="true"),
           "ckan-group-show.schema.json")
    assert {p["id"] for p in g["packages"]} == group_ids(site, "e00")
    assert len(g["packages"]) == g["package_count"] == 6
    modified = [p["metadata_modified"] for p in g["packages"]]
    assert modified == sorted(modified, reverse=True)
    assert all(p["private"] is False and p["state"] == "active" for p in g["packages"])


def test_group_show_include_datasets_first_10(site):
    o = ok(site.get("group_show", id="e00", include_datasets=1), "ckan-group-show.schema.json")
    assert len(o["packages"]) <= 10
    d = site.get("organization_show", id="387000000a", include_datasets="on").json()["result"]
    assert len(d["packages"]) == d["package_count"] == 5


def test_group_show_include_flags_off(site):
    g = ok(site.get("group_show", id="e00", include_extras="false", include_users="false",
                    include_groups="no", include_followers="off", include_tags="false",
                    include_dataset_count="false"), "ckan-group-show.schema.json")
    for key in ("extras", "users", "groups", "package_count", "packages", "tags"):
        assert key not in g
    assert g["num_followers"] == 0


def test_group_show_member_count(site):
    g = ok(site.get("group_show", id="e00", include_member_count="true"),
           "ckan-group-show.schema.json")
    assert g["member_count"] == 1
    assert "member_count" not in site.get("group_show", id="e00").json()["result"]


def test_organization_show(site):
    o = ok(site.get("organization_show", id="a41000000g"), "ckan-group-show.schema.json")
    assert o["is_organization"] is True and o["type"] == "organization"
    assert o["title"] == "國家發展委員會"
    assert {e["key"]: e["value"] for e in o["extras"]} == {
        "publisherOID": "2.16.886.101.20003.20069", "publisherOrgCode": "A41000000G"}
    assert all(e["group_id"] == o["id"] for e in o["extras"])
    assert [e["key"] for e in o["extras"]] == sorted(e["key"] for e in o["extras"])
    assert o["package_count"] == 4
    assert [(u["name"], u["capacity"]) for u in o["users"]] == [("alice", "admin")]


def test_organization_show_counts_only_visible(site):
    o = site.get("organization_show", id="382000000a", include_datasets="true").json()["result"]
    assert o["package_count"] == 4
    assert PRIVATE not in {p["name"] for p in o["packages"]}


def test_user_dicts_in_groups_have_no_email(site):
    o = site.get("organization_show", id="a41000000g").json()["result"]
    alice = o["users"][0]
    for key in ("email", "apikey", "password_hash", "password", "reset_key"):
        assert key not in alice
    assert alice["fullname"] == "Alice Chen"


def test_group_show_wrong_kind_is_not_found(site):
    not_found(site.get("group_show", id="a41000000g"))
    not_found(site.get("organization_show", id="e00"))


def test_group_show_unknown(site):
    not_found(site.get("group_show", id="no-such-group"))
    not_found(site.get("organization_show", id="00000000-0000-0000-0000-000000000000"))
    not_found(site.get("group_show", id=""))


def test_group_show_deleted_group_is_forbidden(site):
    gid = site.one("SELECT id::text FROM grp WHERE name = 'old-group'")
    e = err(site.get("group_show", id="old-group"), 403, "Authorization Error")
    assert e["message"] == f"Access denied: User  not authorized to read group {gid}"


def test_group_show_missing_id(site):
    invalid(site.get("group_show"), id=["Missing value"])
    invalid(site.get("organization_show", include_users="false"), id=["Missing value"])


def test_group_show_bad_bool(site):
    invalid(site.get("group_show", id="e00", include_users="sometimes"),
            message="Parameter is not an bool")
    invalid(site.get("organization_show", id="nope", include_extras="2"),
            message="Parameter is not an bool")


def test_organization_show_on_real_record(server):
    r = server.get("/api/3/action/organization_show", params={"id": "A41000000G".lower()})
    o = ok(r, "ckan-group-show.schema.json")
    assert o["title"] == "國家發展委員會"


# ---- group_package_show ---------------------------------------------------------------------------

def test_group_package_show(site):
    pkgs = ok(site.get("group_package_show", id="e00"), "ckan-group-package-show.schema.json")
    assert {p["id"] for p in pkgs} == group_ids(site, "e00")
    modified = [p["metadata_modified"] for p in pkgs]
    assert modified == sorted(modified, reverse=True)


def test_group_package_show_limit(site):
    full = site.get("group_package_show", id="e00").json()["result"]
    assert site.get("group_package_show", id="e00", limit=2).json()["result"] == full[:2]
    assert site.get("group_package_show", id="e00", limit="0").json()["result"] == []
    assert site.post("group_package_show", {"id": "e00", "limit": 0}).json()["result"] == full
    assert len(site.get("group_package_show", id="e00", limit=" 3 ").json()["result"]) == 3


@pytest.mark.parametrize("limit", ["x", "-1", "1.5"])
def test_group_package_show_bad_limit(site, limit):
    invalid(site.get("group_package_show", id="e00", limit=limit),
            message="Limit must be a positive integer")


def test_group_package_show_organization_gives_nothing(site):
    # package_search fq=groups:{name}; an organization's name is in no dataset's groups
    assert ok(site.get("group_package_show", id="a41000000g"),
              "ckan-group-package-show.schema.json") == []


def test_group_package_show_errors(site):
    not_found(site.get("group_package_show", id="nope"))
    err(site.get("group_package_show", id="old-group"), 403, "Authorization Error")
    invalid(site.get("group_package_show"), id=["Missing value"])


# ---- organization_list_for_user -------------------------------------------------------------------

def test_organization_list_for_user_anonymous(site):
    assert ok(site.get("organization_list_for_user"), "ckan-group-list.schema.json") == []
    assert site.get("organization_list_for_user", permission="read").json()["result"] == []


def test_organization_list_for_user_by_id(site):
    orgs = ok(site.get("organization_list_for_user", id="alice"), "ckan-group-list.schema.json")
    assert [(o["name"], o["capacity"]) for o in orgs] == [("a41000000g", "admin")]
    assert set(orgs[0]) == {"approval_status", "capacity", "created", "description",
                            "display_name", "id", "image_display_url", "image_url",
                            "is_organization", "name", "state", "title", "type"}
    uid = site.one("SELECT id::text FROM users WHERE name = 'alice'")
    assert site.get("organization_list_for_user", id=uid).json()["result"] == orgs


def test_organization_list_for_user_permission(site):
    bob = lambda perm: [o["name"] for o in site.get(  # noqa: E731
        "organization_list_for_user", id="bob", permission=perm).json()["result"]]
    assert bob("manage_group") == ["382000000a"]     # editors manage groups
    assert bob("create_dataset") == ["382000000a"]
    assert bob("membership") == []                    # admins only
    assert bob("no-such-permission") == []
    # groups (e00) are never listed, whatever the role


def test_organization_list_for_user_counts(site):
    orgs = site.get("organization_list_for_user", id="bob",
                    include_dataset_count="true").json()["result"]
    assert orgs[0]["package_count"] == 4 and orgs[0]["capacity"] == "editor"


def test_organization_list_for_user_member_count(site):
    orgs = ok(site.get("organization_list_for_user", id="alice", include_member_count="true"),
              "ckan-group-list.schema.json")
    assert orgs[0]["member_count"] == 1 and "package_count" not in orgs[0]
    invalid(site.get("organization_list_for_user", id="alice", include_dataset_count="x"),
            message="Parameter is not an bool")


def test_organization_list_for_user_sysadmin_gets_all(site):
    orgs = ok(site.get("organization_list_for_user", id="carol"), "ckan-group-list.schema.json")
    assert len(orgs) == 13 and {o["capacity"] for o in orgs} == {"admin"}
    titles = [o["display_name"] for o in orgs]
    assert titles == sorted(titles)


def test_organization_list_for_user_unknown(site):
    not_found(site.get("organization_list_for_user", id="nobody"))


# ---- member_list / member_roles_list --------------------------------------------------------------

def test_member_list(site):
    members = ok(site.get("member_list", id="a41000000g"), "ckan-member-list.schema.json")
    alice = site.one("SELECT id::text FROM users WHERE name = 'alice'")
    assert [alice, "user", "Admin"] in members
    # an organization's datasets are members with capacity "organization", as in CKAN
    assert {m[0] for m in members if m[1] == "package"} == org_ids(site, "a41000000g")
    assert {m[2] for m in members if m[1] == "package"} == {"organization"}
    assert site.get("member_list", id="a41000000g", capacity="organization",
                    object_type="package").json()["result"] == \
        [m for m in members if m[1] == "package"]
    e00 = site.get("member_list", id="e00").json()["result"]
    assert {m[0] for m in e00 if m[1] == "package"} == group_ids(site, "e00")
    assert all(m[2] == "public" for m in e00 if m[1] == "package")
    bob = site.one("SELECT id::text FROM users WHERE name = 'bob'")
    assert [bob, "user", "Member"] in e00


def test_member_list_filters(site):
    users = site.get("member_list", id="e00", object_type="user").json()["result"]
    assert [m[1] for m in users] == ["user"]
    pkgs = site.get("member_list", id="e00", object_type="package").json()["result"]
    assert {m[1] for m in pkgs} == {"package"} and len(pkgs) == 6
    assert site.get("member_list", id="e00", capacity="member").json()["result"] == users
    assert site.get("member_list", id="e00", capacity="admin").json()["result"] == []


def test_member_list_hides_private_and_deleted_datasets(site):
    ids = {m[0] for m in site.get("member_list", id="e00").json()["result"]}
    hidden = {r[0] for r in site.sql("SELECT id::text FROM package WHERE name IN (%s, %s)",
                                     PRIVATE, DELETED)}
    assert not ids & hidden


def test_member_list_errors(site):
    not_found(site.get("member_list", id="nope"))
    invalid(site.get("member_list"), id=["Missing value"])
    err(site.get("member_list", id="old-group"), 403, "Authorization Error")


def test_member_roles_list(site):
    roles = ok(site.get("member_roles_list"), "ckan-member-roles-list.schema.json")
    assert roles == [{"text": "Admin", "value": "admin"}, {"text": "Editor", "value": "editor"},
                     {"text": "Member", "value": "member"}]
    assert site.get("member_roles_list", group_type="organization").json()["result"] == roles
    assert ok(site.get("member_roles_list", group_type="group"),
              "ckan-member-roles-list.schema.json") == [roles[0], roles[2]]


# ---- tags ----------------------------------------------------------------------------------------

def visible_free_tags(site):
    return sorted(r[0] for r in site.sql(
        "SELECT DISTINCT t.name FROM tag t JOIN package_tag pt ON pt.tag_id = t.id "
        "JOIN package p ON p.id = pt.package_id WHERE t.vocabulary_id IS NULL "
        "AND p.state = 'active' AND NOT p.private"))


def test_tag_list(site):
    names = ok(site.get("tag_list"), "ckan-tag-list.schema.json")
    assert names == visible_free_tags(site)
    assert "secret-tag" not in names      # only on a private dataset
    assert "json" not in names            # vocabulary tags are not free tags
    assert "監測" in names and "csv" in names


def test_tag_list_all_fields(site):
    tags = ok(site.get("tag_list", all_fields="true"), "ckan-tag-list.schema.json")
    assert [t["name"] for t in tags] == visible_free_tags(site)
    assert all(t["display_name"] == t["name"] and t["vocabulary_id"] is None for t in tags)


def test_tag_list_query(site):
    assert ok(site.get("tag_list", query="市"), "ckan-tag-list.schema.json") == \
        ["新北市", "臺中市", "高雄市"]
    assert site.get("tag_list", q="PM").json()["result"] == ["PM2.5"]
    assert site.get("tag_list", query="pm2").json()["result"] == ["PM2.5"]  # case-insensitive
    assert site.get("tag_list", query="secret").json()["result"] == []
    assert site.get("tag_list", query="  ").json()["result"] == visible_free_tags(site)


def test_tag_list_vocabulary(site):
    vid = site.one("SELECT id::text FROM vocabulary WHERE name = 'formats'")
    assert ok(site.get("tag_list", vocabulary_id="formats"),
              "ckan-tag-list.schema.json") == ["csv", "json"]
    tags = site.get("tag_list", vocabulary_id=vid, all_fields="1").json()["result"]
    assert [(t["name"], t["vocabulary_id"]) for t in tags] == [("csv", vid), ("json", vid)]
    assert site.get("tag_list", vocabulary_id="formats", query="js").json()["result"] == ["json"]
    assert site.get("tag_list", vocabulary_id="nope", query="js").json()["result"] == []


def test_tag_list_unknown_vocabulary(site):
    not_found(site.get("tag_list", vocabulary_id="nope"),
              "Not found: could not find vocabulary 'nope'")


def test_tag_search(site):
    res = ok(site.get("tag_search", query="市"), "ckan-tag-search.schema.json")
    assert res["count"] == 3 and [t["name"] for t in res["results"]] == ["新北市", "臺中市", "高雄市"]
    assert set(res["results"][0]) == {"id", "name", "vocabulary_id"}
    page = site.get("tag_search", q="市", limit=1, offset=1).json()["result"]
    assert page["count"] == 3 and [t["name"] for t in page["results"]] == ["臺中市"]


def test_tag_search_terms_are_anded(site):
    r = site.srv.get("/api/3/action/tag_search?query=新&query=市")
    assert [t["name"] for t in r.json()["result"]["results"]] == ["新北市"]
    res = site.post("tag_search", {"query": ["中", "市"]}).json()["result"]
    assert [t["name"] for t in res["results"]] == ["臺中市"]


def test_tag_search_without_query(site):
    assert ok(site.get("tag_search"), "ckan-tag-search.schema.json") == \
        {"count": 0, "results": []}
    assert site.get("tag_search", query=" ").json()["result"] == {"count": 0, "results": []}


def test_tag_search_vocabulary(site):
    res = site.get("tag_search", query="s", vocabulary_id="formats").json()["result"]
    assert [t["name"] for t in res["results"]] == ["csv", "json"]
    assert site.get("tag_search", query="s", vocabulary_id="nope").json()["result"] == \
        {"count": 0, "results": []}
    free = site.get("tag_search", query="csv").json()["result"]
    assert [t["vocabulary_id"] for t in free["results"]] == [None]


def test_tag_search_bad_paging(site):
    invalid(site.get("tag_search", query="市", limit="x"), limit=["Invalid integer"])
    invalid(site.get("tag_search", query="市", offset="-1"), offset=["Must be a natural number"])


def test_tag_autocomplete(site):
    assert ok(site.get("tag_autocomplete", q="市"), "ckan-tag-list.schema.json") == \
        ["新北市", "臺中市", "高雄市"]
    assert site.get("tag_autocomplete", query="市", limit=2).json()["result"] == \
        ["新北市", "臺中市"]
    assert site.get("tag_autocomplete").json()["result"] == []
    assert site.get("tag_autocomplete", q="j", vocabulary_id="formats").json()["result"] == \
        ["json"]


def test_tag_show(site):
    t = ok(site.get("tag_show", id="監測"), "ckan-tag-show.schema.json")
    assert t["name"] == t["display_name"] == "監測" and t["vocabulary_id"] is None
    assert "packages" not in t
    assert site.get("tag_show", id=t["id"]).json()["result"] == t


def test_tag_show_include_datasets(site):
    t = ok(site.get("tag_show", id="監測", include_datasets="true"), "ckan-tag-show.schema.json")
    expected = visible_ids(site, "p.id IN (SELECT pt.package_id FROM package_tag pt JOIN tag t "
                           "ON t.id = pt.tag_id WHERE t.name = '監測')")
    assert {p["id"] for p in t["packages"]} == expected and len(expected) > 3
    secret = site.get("tag_show", id="secret-tag", include_datasets="true").json()["result"]
    assert secret["packages"] == []  # the tag exists; its only dataset is private


def test_tag_show_vocabulary(site):
    vid = site.one("SELECT id::text FROM vocabulary WHERE name = 'formats'")
    v = ok(site.get("tag_show", id="csv", vocabulary_id="formats"), "ckan-tag-show.schema.json")
    assert v["vocabulary_id"] == vid
    free = site.get("tag_show", id="csv").json()["result"]
    assert free["vocabulary_id"] is None and free["id"] != v["id"]
    not_found(site.get("tag_show", id="監測", vocabulary_id="formats"))
    not_found(site.get("tag_show", id=free["id"], vocabulary_id="formats"))
    not_found(site.get("tag_show", id="csv", vocabulary_id="nope"))


def test_tag_show_errors(site):
    not_found(site.get("tag_show", id="no-such-tag"))
    invalid(site.get("tag_show"), id=["Missing value"])
    invalid(site.get("tag_show", id="監測", include_datasets="perhaps"),
            message="Parameter is not an bool")


# ---- vocabularies ----------------------------------------------------------------------------------

def test_vocabulary_list(site):
    vocabs = ok(site.get("vocabulary_list"), "ckan-vocabulary-list.schema.json")
    assert [v["name"] for v in vocabs] == ["formats"]
    assert [t["name"] for t in vocabs[0]["tags"]] == ["csv", "json"]
    assert all(t["vocabulary_id"] == vocabs[0]["id"] for t in vocabs[0]["tags"])


def test_vocabulary_show(site):
    v = ok(site.get("vocabulary_show", id="formats"), "ckan-vocabulary-show.schema.json")
    assert v == site.get("vocabulary_list").json()["result"][0]
    assert site.get("vocabulary_show", id=v["id"]).json()["result"] == v


def test_vocabulary_show_errors(site):
    invalid(site.get("vocabulary_show"), id="id not in data")
    invalid(site.get("vocabulary_show", id=""), id="id not in data")
    not_found(site.get("vocabulary_show", id="nope"), 'Not found: Could not find vocabulary "nope"')


# ---- licences ----------------------------------------------------------------------------------------

def test_license_list(site):
    lic = ok(site.get("license_list"), "ckan-license-list.schema.json")
    assert [x["id"] for x in lic] == [
        "notspecified", "odc-pddl", "odc-odbl", "odc-by", "cc-zero", "cc-by", "cc-by-sa", "gfdl",
        "other-open", "other-pd", "other-at", "uk-ogl", "cc-nc", "other-nc", "other-closed"]
    by_id = {x["id"]: x for x in lic}
    assert by_id["odc-pddl"] == {
        "domain_content": "False", "id": "odc-pddl", "domain_data": "True",
        "domain_software": "False", "family": "", "is_generic": "False",
        "od_conformance": "approved", "osd_conformance": "not reviewed", "maintainer": "",
        "status": "active", "url": "http://www.opendefinition.org/licenses/odc-pddl",
        "title": "Open Data Commons Public Domain Dedication and License (PDDL)"}
    assert by_id["notspecified"]["is_generic"] == "True" and by_id["notspecified"]["url"] == ""
    assert all(isinstance(v, str) for x in lic for v in x.values())


# ---- users --------------------------------------------------------------------------------------------

def test_user_list(site):
    users = ok(site.get("user_list"), "ckan-user-list.schema.json")
    # display_name order: fullname, else name; deleted users are left out
    assert [u["name"] for u in users] == ["alice", "carol", "bob"]
    assert [u["display_name"] for u in users] == ["Alice Chen", "Carol Admin", "bob"]
    alice = users[0]
    assert alice["number_created_packages"] == 1      # the other one is private
    assert alice["email_hash"] == hashlib.md5(b"alice@example.org").hexdigest()
    assert alice["image_display_url"] == SITE + "/uploads/user/alice.png"
    assert users[1]["sysadmin"] is True and users[2]["fullname"] is None
    for u in users:
        assert "email" not in u and "apikey" not in u and "password_hash" not in u


def test_user_list_names_q_and_order(site):
    assert ok(site.get("user_list", all_fields="false"), "ckan-user-list.schema.json") == \
        ["alice", "carol", "bob"]
    assert site.get("user_list", q="ali", all_fields=0).json()["result"] == ["alice"]
    assert site.get("user_list", q="CHEN", all_fields=0).json()["result"] == ["alice"]
    assert site.get("user_list", q="dave", all_fields=0).json()["result"] == []
    assert site.get("user_list", order_by="name", all_fields=0).json()["result"] == \
        ["alice", "bob", "carol"]
    assert site.get("user_list", order_by="sysadmin", all_fields=0).json()["result"] == \
        ["alice", "bob", "carol"]
    assert site.get("user_list", order_by="number_created_packages",
                    all_fields=0).json()["result"] == ["bob", "carol", "alice"]
    assert site.get("user_list", order_by="no-such-column", all_fields=0).json()["result"] == \
        ["alice", "carol", "bob"]


def test_user_list_include_site_user(site):
    # there is no site user; the flag changes nothing
    assert site.get("user_list", include_site_user="true", all_fields=0).json()["result"] == \
        ["alice", "carol", "bob"]


def test_user_list_form_post(site):
    r = requests.post(f"{site.srv.base}/api/3/action/user_list",
                      data={"q": "bob", "all_fields": "false"}, timeout=10)
    assert ok(r, "ckan-user-list.schema.json") == ["bob"]


def test_user_list_errors(site):
    invalid(site.get("user_list", order_by="edits"), message="order_by=edits is no longer supported")
    e = err(site.get("user_list", email="alice@example.org"), 403, "Authorization Error")
    assert e["message"] == "Access denied"


def test_user_show(site):
    u = ok(site.get("user_show", id="alice"), "ckan-user-show.schema.json")
    assert u["name"] == "alice" and u["fullname"] == "Alice Chen" and u["about"] == "data steward"
    assert u["state"] == "active" and u["sysadmin"] is False and u["last_active"] is None
    assert u["activity_streams_email_notifications"] is False
    assert site.get("user_show", id=u["id"]).json()["result"] == u
    assert "datasets" not in u and "num_followers" not in u


def test_user_show_never_shows_secrets(site):
    for params in ({"id": "carol"}, {"id": "alice", "include_password_hash": "true",
                                     "include_plugin_extras": "true"}):
        u = ok(site.get("user_show", **params), "ckan-user-show.schema.json")
        for key in ("email", "apikey", "password_hash", "plugin_extras", "password"):
            assert key not in u


def test_user_show_include_datasets(site):
    u = ok(site.get("user_show", id="alice", include_datasets="true",
                    include_num_followers="true"), "ckan-user-show.schema.json")
    assert [p["name"] for p in u["datasets"]] == ["a41000000g-000120"]
    assert u["num_followers"] == 0
    assert site.get("user_show", id="bob", include_datasets=1).json()["result"]["datasets"] == []


def test_user_show_deleted_user_is_shown(site):
    assert ok(site.get("user_show", id="dave"), "ckan-user-show.schema.json")["state"] == \
        "deleted"


def test_user_show_errors(site):
    not_found(site.get("user_show", id="nobody"))
    not_found(site.get("user_show"))  # anonymous: no current user
    invalid(site.get("user_show", id="alice", include_datasets="x"),
            message="Parameter is not an bool")


# ---- activity ------------------------------------------------------------------------------------------

def pkg_id(site, name):
    return site.one("SELECT id::text FROM package WHERE name = %s", name)


def test_package_activity_list(site):
    acts = ok(site.get("package_activity_list", id="A41000000G-000001"),
              "ckan-activity-list.schema.json")
    pid = pkg_id(site, "a41000000g-000001")
    # imported, then updated by the real data.gov.tw record
    assert [a["activity_type"] for a in acts] == ["changed package", "new package"]
    assert all(a["object_id"] == pid and a["data"]["package"]["id"] == pid for a in acts)
    assert acts[0]["permission_labels"] == ["public"] and acts[0]["data"]["actor"] is None
    assert acts[0]["timestamp"] > acts[1]["timestamp"]
    assert site.get("package_activity_list", id=pid).json()["result"] == acts


def test_package_activity_list_paging(site):
    acts = ok(site.get("package_activity_list", id=BULK), "ckan-activity-list.schema.json")
    assert len(acts) == 31
    assert len(site.get("package_activity_list", id=BULK, limit=500).json()["result"]) == 100
    page = site.get("package_activity_list", id=BULK, limit=5, offset=30).json()["result"]
    assert page[0]["id"] == acts[30]["id"] and len(page) == 5
    stamps = [a["timestamp"] for a in acts]
    assert stamps == sorted(stamps, reverse=True)


def test_package_activity_list_before_after(site):
    # acts[0] is the import's "new package"; the 120 bulk ones follow a minute apart
    acts = site.get("package_activity_list", id=BULK, limit=100).json()["result"]
    t = lambda a: datetime.fromisoformat(a["timestamp"]).replace(  # noqa: E731
        tzinfo=timezone.utc).timestamp()
    before = site.get("package_activity_list", id=BULK, before=t(acts[50]) + 1,
                      limit=3).json()["result"]
    assert [a["id"] for a in before] == [a["id"] for a in acts[50:53]]
    after = site.get("package_activity_list", id=BULK, after=t(acts[50]) + 1,
                     limit=100).json()["result"]
    assert [a["id"] for a in after] == [a["id"] for a in acts[:50]]
    # only `after`: the page is the oldest ones after it, still listed newest first
    oldest = site.get("package_activity_list", id=BULK, after=t(acts[99]) - 1,
                      limit=2).json()["result"]
    assert [a["id"] for a in oldest] == [acts[98]["id"], acts[99]["id"]]
    both = site.get("package_activity_list", id=BULK, after=t(acts[10]) - 1,
                    before=t(acts[5]) - 1, limit=10).json()["result"]
    assert [a["id"] for a in both] == [a["id"] for a in acts[6:11]]


def test_package_activity_list_hidden_activity_is_for_sysadmins(site):
    # include_hidden_activity is dropped for anyone but a sysadmin (ignore_not_sysadmin)
    a = site.get("package_activity_list", id=BULK, include_hidden_activity="true").json()
    assert a["result"] == site.get("package_activity_list", id=BULK).json()["result"]


def test_package_activity_list_types(site):
    pid = "A41000000G-000001"
    assert [a["activity_type"] for a in site.get(
        "package_activity_list", id=pid, activity_types="new package").json()["result"]] == \
        ["new package"]
    assert [a["activity_type"] for a in site.get(
        "package_activity_list", id=pid, exclude_activity_types="new package").json()["result"]] \
        == ["changed package"]
    invalid(site.get("package_activity_list", id=pid, activity_types="new package",
                     exclude_activity_types="changed package"),
            activity_types=["Cannot be used together with `exclude_activity_types"])


def test_package_activity_list_errors(site):
    not_found(site.get("package_activity_list", id="nope"))
    invalid(site.get("package_activity_list"), id=["Missing value"])
    for name in (PRIVATE, DELETED):
        e = err(site.get("package_activity_list", id=name), 403, "Authorization Error")
        assert e["message"] == \
            f"Access denied: User  not authorized to read package {pkg_id(site, name)}"
    invalid(site.get("package_activity_list", id=BULK, before="yesterday"),
            before=["Must be a float timestamp"])
    invalid(site.get("package_activity_list", id=BULK, limit="x"), limit=["Invalid integer"])
    invalid(site.get("package_activity_list", id=BULK, offset="-2"),
            offset=["Must be a natural number"])


def test_group_activity_list(site):
    acts = ok(site.get("group_activity_list", id="e00", limit=100),
              "ckan-activity-list.schema.json")
    assert {a["object_id"] for a in acts} == group_ids(site, "e00")
    assert pkg_id(site, PRIVATE) not in {a["object_id"] for a in acts}
    only_new = site.get("group_activity_list", id="e00", activity_types="changed package")
    assert ok(only_new, "ckan-activity-list.schema.json") == []
    not_found(site.get("group_activity_list", id="a41000000g"))
    err(site.get("group_activity_list", id="old-group"), 403, "Authorization Error")
    invalid(site.get("group_activity_list"), id=["Missing value"])


def test_organization_activity_list(site):
    acts = ok(site.get("organization_activity_list", id="a41000000g", limit=100),
              "ckan-activity-list.schema.json")
    oid = site.one("SELECT id::text FROM grp WHERE name = 'a41000000g'")
    assert acts[0]["activity_type"] == "changed organization" and acts[0]["object_id"] == oid
    assert acts[0]["data"]["group"]["name"] == "a41000000g"
    assert acts[0]["permission_labels"] is None
    assert {a["object_id"] for a in acts} == org_ids(site, "a41000000g") | {oid}
    assert len(acts) == 100  # the bulk dataset belongs to it
    not_found(site.get("organization_activity_list", id="e00"))


def test_user_activity_list(site):
    acts = ok(site.get("user_activity_list", id="alice"), "ckan-activity-list.schema.json")
    assert [a["activity_type"] for a in acts] == ["new user", "changed organization"]
    uid = site.one("SELECT id::text FROM users WHERE name = 'alice'")
    assert all(a["user_id"] == uid for a in acts)
    assert site.get("user_activity_list", id="bob").json()["result"] == []
    not_found(site.get("user_activity_list", id="nobody"))


def test_recently_changed_packages_activity_list(site):
    acts = ok(site.get("recently_changed_packages_activity_list"),
              "ckan-activity-list.schema.json")
    assert len(acts) == 31
    assert all(a["activity_type"].endswith("package") for a in acts)
    hidden = {pkg_id(site, PRIVATE), pkg_id(site, DELETED)}
    everything = site.get("recently_changed_packages_activity_list", limit=100).json()["result"]
    assert not hidden & {a["object_id"] for a in everything}
    stamps = [a["timestamp"] for a in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert site.get("recently_changed_packages_activity_list", limit=2,
                    offset=1).json()["result"] == everything[1:3]
    invalid(site.get("recently_changed_packages_activity_list", limit="-5"),
            limit=["Must be a natural number"])


# ---- site_read / help_show / envelope -------------------------------------------------------------

def test_site_read(site):
    r = site.get("site_read")
    assert r.status_code == 200 and r.json()["result"] is True


def test_help_show(site):
    r = site.get("help_show", name="group_list")
    assert r.status_code == 200
    body = r.json()
    assert body["help"].endswith("/api/3/action/help_show?name=help_show")
    assert isinstance(body["result"], str) and "group" in body["result"]
    assert isinstance(site.get("help_show", name="datastore_search").json()["result"], str)
    assert isinstance(site.get("help_show", name="status_show").json()["result"], str)


def test_help_show_errors(site):
    not_found(site.get("help_show", name="no_such_action"), "Not found: Action function not found")
    invalid(site.get("help_show"), name=["Missing value"])


@pytest.mark.parametrize("action", ["group_list", "organization_list", "tag_list", "user_list",
                                    "license_list", "vocabulary_list", "member_roles_list",
                                    "recently_changed_packages_activity_list", "site_read"])
def test_envelope_help_link(site, action):
    body = site.get(action).json()
    assert body["success"] is True
    assert body["help"] == f"{SITE}/api/3/action/help_show?name={action}"


def test_bad_post_body_is_bare_400(site):
    r = requests.post(f"{site.srv.base}/api/3/action/group_list", data=b"[1, 2]",
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400 and isinstance(r.json(), str)


def test_error_help_link_names_the_action(site):
    body = site.get("organization_show", id="nope").json()
    assert body["help"] == f"{SITE}/api/3/action/help_show?name=organization_show"
    assert list(body) == ["help", "error", "success"]
