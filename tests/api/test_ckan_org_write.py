"""CKAN's group and organization writes (ckan-research §2.4, §5.4; CKAN 2.11's create.py,
update.py, patch.py and delete.py): group/organization_create, _update, _patch, _delete, _purge,
member_create/_delete and group/organization_member_create/_delete. Each answers as CKAN does, refuses whom CKAN's default
authorization refuses (sysadmin; admin/editor/member capacities), leaves nothing behind when it
fails, records CKAN's activities and shows at once in the read actions.

Users: sam sysadmin; ann (creates organizations and groups), ed, mo, out (belongs nowhere)."""
import json

import pytest
import requests

from conftest import DEMO_CATALOG, Server, new_database, WriteSite, add_user

SITE = "http://data.example.test"
FULL_ORG = "382000000a"  # a demo organization with datasets
DATASET = "382000000a-000101"


class Site(WriteSite):
    def state(self):
        """What a failed write must leave as it was."""
        return self.sql("""SELECT (SELECT count(*) FROM grp), (SELECT count(*) FROM group_extra),
            (SELECT count(*) FROM activity),
            (SELECT string_agg(group_id::text || table_id::text || capacity || state, ','
                               ORDER BY id)
             FROM member)""")[0]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    for name in ("ann", "ed", "mo", "out"):
        tokens[name] = add_user(db, name)
    srv = Server(db, "--site-url", SITE)
    yield Site(srv, db, tokens)
    srv.stop()


@pytest.fixture(scope="module")
def org(site):
    """ann's organization with ed as editor and mo as member."""
    o = site.ok("organization_create", "ann", name="ann-org", title="Ann's Org")
    site.ok("organization_member_create", "ann", id="ann-org", username="ed", role="editor")
    site.ok("organization_member_create", "ann", id="ann-org", username="mo", role="member")
    return o


@pytest.fixture(scope="module")
def grp(site):
    """ann's group with mo as member."""
    g = site.ok("group_create", "ann", name="ann-group", title="Ann's Group")
    site.ok("group_member_create", "ann", id="ann-group", username="mo", role="member")
    return g


def uid(site, name):
    return site.one("SELECT id::text FROM users WHERE name = %s", name)


# ---- create ------------------------------------------------------------------------------------

def test_organization_create_answers_as_organization_show(site):
    res = site.ok("organization_create", "ann", name="water-works", title="Water Works",
                  description="pipes", image_url="http://x.test/logo.png",
                  extras=[{"key": "city", "value": "Taipei"}],
                  users=[{"name": "mo", "capacity": "member"}, {"name": "nobody"}])
    shown = site.ok("organization_show", "ann", id="water-works")
    assert res == shown
    assert res["is_organization"] is True and res["type"] == "organization"
    assert res["title"] == "Water Works" and res["description"] == "pipes"
    assert res["package_count"] == 0 and res["state"] == "active"
    assert [(e["key"], e["value"]) for e in res["extras"]] == [("city", "Taipei")]
    assert sorted((u["name"], u["capacity"]) for u in res["users"]) == \
        [("ann", "admin"), ("mo", "member")]
    # visible at once in the reads
    assert "water-works" in site.ok("organization_list")
    mine = site.ok("organization_list_for_user", "ann", permission="admin")
    assert [o["name"] for o in mine if o["name"] == "water-works"] == ["water-works"]
    members = site.ok("member_list", id="water-works", object_type="user")
    assert sorted(m[2] for m in members) == ["Admin", "Member"]
    acts = site.ok("organization_activity_list", id="water-works")
    assert [(a["activity_type"], a["user_id"]) for a in acts] == \
        [("new organization", uid(site, "ann"))]
    assert acts[0]["data"]["group"]["name"] == "water-works"


def test_group_create_with_packages(site):
    res = site.ok("group_create", "out", name="rivers", packages=[{"id": DATASET}])
    assert res == site.ok("group_show", "out", id="rivers")
    assert res["is_organization"] is False and res["type"] == "group"
    assert res["package_count"] == 1
    assert [u["name"] for u in res["users"]] == ["out"]
    assert [p["name"] for p in site.ok("group_package_show", id="rivers")] == [DATASET]
    assert "rivers" in site.ok("group_list")
    acts = site.ok("group_activity_list", id="rivers")
    assert [a["activity_type"] for a in acts if a["object_id"] == res["id"]] == ["new group"]


def test_sysadmin_may_choose_id_and_state(site):
    gid = "0b0b0b0b-0000-4000-8000-000000000001"
    res = site.ok("group_create", "sam", name="by-sam", id=gid)
    assert res["id"] == gid
    # others' ids are dropped
    res = site.ok("group_create", "ann", name="by-ann", id="0b0b0b0b-0000-4000-8000-000000000002")
    assert res["id"] != "0b0b0b0b-0000-4000-8000-000000000002"


@pytest.mark.parametrize("data,errors", [
    ({}, {"name": ["Missing value"]}),
    ({"name": ""}, {"name": ["Missing value"]}),
    ({"name": "new"}, {"name": ["That name cannot be used"]}),
    ({"name": "a"}, {"name": ["Must be at least 2 characters long"]}),
    ({"name": "a" * 101}, {"name": ["Name must be a maximum of 100 characters long"]}),
    ({"name": "Big Name"}, {"name": [
        "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]}),
    ({"name": FULL_ORG}, {"name": ["Group name already exists in database"]}),
    ({"name": "ok-name", "extras": [{"key": "a", "value": "b"}, {"value": "x"}]},
     {"extras": [{}, {"key": ["Missing value"]}]}),
    ({"name": "ok-name", "extras": [{"key": "title", "value": "x"}]},
     {"extras": [{"key": ["There is a schema field with the same name"]}]}),
    ({"name": "ok-name", "extras": [{"key": "k"}]}, {"extras": [{"value": ["Missing value"]}]}),
    ({"name": "ok-name", "users": [{"capacity": "admin"}]},
     {"users": [{"name": ["Missing value"]}]}),
    ({"name": "ok-name", "packages": [{"id": "no-such-dataset"}]},
     {"packages": [{"id": ["Dataset not found"]}]}),
])
def test_create_validation(site, data, errors):
    before = site.state()
    for action in ("organization_create", "group_create"):
        err = site.error(action, "ann", **data)
        assert err == {"__type": "Validation Error", **errors}
    assert site.state() == before


def test_create_sysadmin_id_rules(site):
    before = site.state()
    err = site.error("group_create", "sam", name="x-id", id="nope")
    assert err["id"] == ["Invalid id provided"]
    gid = site.one("SELECT id::text FROM grp WHERE name = %s", FULL_ORG)
    assert site.error("group_create", "sam", name="x-id", id=gid)["id"] == ["Id already exists"]
    assert site.state() == before


def test_create_deleted_name_still_taken(site):
    site.ok("group_create", "ann", name="gone-soon")
    site.ok("group_delete", "ann", id="gone-soon")
    err = site.error("group_create", "ann", name="gone-soon")
    assert err["name"] == ["Group name already exists in database"]


def test_create_lists_must_be_lists_of_dicts(site):
    before = site.state()
    r = site.post("organization_create", "ann", name="ok-name", extras="a=b")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["__type"] == "Integrity Error"
    assert err["message"] == ("Only lists of dicts can be placed against subschema ('extras',), "
                              "not <class 'str'>")
    assert err["data"]["name"] == "ok-name"
    r = site.post("group_create", "ann", name="ok-name", users=["mo"])
    assert r.status_code == 400 and "('users',), not <class 'list'>" in r.json()["error"]["message"]
    assert site.state() == before


def test_create_non_finite_numbers_are_values(site):
    # json-c reads NaN; it reaches the validators as Python's str() of it, never as a 500
    r = requests.post(f"{site.srv.base}/api/3/action/group_create",
                      data=b'{"name": NaN, "title": -Infinity}',
                      headers={"Authorization": site.tokens["ann"]}, timeout=10)
    assert r.status_code == 200, r.text
    assert (r.json()["result"]["name"], r.json()["result"]["title"]) == ("nan", "-inf")


def test_group_create_refuses_organization_type(site):
    err = site.error("group_create", "ann", name="sneaky", type="organization")
    assert err["type"] == ["Trying to create an organization as a group"]
    assert site.one("SELECT count(*) FROM grp WHERE name = 'sneaky'") == 0


def test_create_needs_a_user(site):
    before = site.state()
    err = site.error("organization_create", None, 403, name="anon-org")
    assert err == {"__type": "Authorization Error",
                   "message": "Access denied: User None not authorized to create organizations"}
    err = site.error("group_create", None, 403, name="anon-group")
    assert err["message"] == "Access denied: User None not authorized to create groups"
    assert site.state() == before


@pytest.mark.parametrize("action", [
    "organization_create", "group_create", "organization_update", "group_update",
    "organization_patch", "group_patch", "organization_delete", "group_delete",
    "organization_purge", "group_purge", "member_create", "member_delete",
    "organization_member_create", "organization_member_delete", "group_member_create",
    "group_member_delete"])
def test_get_is_refused(site, action):
    r = requests.get(f"{site.srv.base}/api/3/action/{action}", params={"id": "x"},
                     headers={"Authorization": site.tokens["sam"]}, timeout=10)
    assert r.status_code == 400
    assert r.json() == ("Bad request - JSON Error: Invalid request. Please use POST method for "
                        "your request")


# ---- organization_member_create / _delete -------------------------------------------------------

def test_member_create_answers_the_membership(site, org):
    res = site.ok("organization_member_create", "ann", id="ann-org", username="out", role="member")
    assert res["capacity"] == "member" and res["state"] == "active"
    assert res["group_id"] == org["id"] and res["table_id"] == uid(site, "out")
    assert res["table_name"] == "user"
    # a second call changes the role
    res2 = site.ok("organization_member_create", "ann", id=org["id"], username=uid(site, "out"),
                   role="editor")
    assert res2["id"] == res["id"] and res2["capacity"] == "editor"
    mine = site.ok("organization_list_for_user", "out", permission="create_dataset")
    assert [o["name"] for o in mine] == ["ann-org"]
    site.ok("organization_member_delete", "ann", id="ann-org", username="out")
    assert site.ok("organization_list_for_user", "out") == []
    assert uid(site, "out") not in [m[0] for m in site.ok("member_list", id="ann-org")]


@pytest.mark.parametrize("user", [None, "ed", "mo", "out"])
def test_member_create_refused(site, org, user):
    before = site.state()
    err = site.error("organization_member_create", user, 403, id="ann-org", username="out",
                     role="admin")
    name = user or ""
    assert err["message"] == f"Access denied: User {name} not authorized to add members"
    err = site.error("organization_member_delete", user, 403, id="ann-org", username="mo")
    assert err["message"] == \
        f"Access denied: User {name} not authorized to edit group {org['id']}"
    assert site.state() == before


def test_member_create_validation(site, org):
    before = site.state()
    assert site.error("organization_member_create", "ann", id="ann-org", username="out",
                      role="boss") == {"__type": "Validation Error",
                                       "role": ["role does not exist."]}
    assert site.error("organization_member_create", "ann", id="ann-org", username="nobody",
                      role="member")["username"] == ["User not found"]
    assert site.error("organization_member_create", "ann", id="ann-org") == {
        "__type": "Validation Error", "username": ["Missing value"], "role": ["Missing value"]}
    assert site.error("organization_member_create", "sam", id="no-such-org", username="out",
                      role="member")["id"] == ["That group name or ID does not exist."]
    # a non-sysadmin has no rights in what does not exist
    err = site.error("organization_member_create", "ann", 403, id="no-such-org", username="out",
                     role="member")
    assert err["message"] == "Access denied: User ann not authorized to add members"
    assert site.state() == before


def test_admin_cannot_revoke_own_admin(site, org):
    before = site.state()
    err = site.error("organization_member_create", "ann", 403, id="ann-org", username="ann",
                     role="editor")
    assert err["message"] == "Access denied: Administrators cannot revoke their own admin status"
    assert site.state() == before
    # another admin may
    site.ok("organization_member_create", "ann", id="ann-org", username="ed", role="admin")
    site.ok("organization_member_create", "ed", id="ann-org", username="ed", role="admin")
    site.ok("organization_member_create", "ann", id="ann-org", username="ed", role="editor")


def test_member_delete_unknowns(site, org):
    err = site.error("organization_member_delete", "ann", 404, id="no-such-org", username="mo")
    assert err["message"] == "Not found: Group was not found."
    err = site.error("organization_member_delete", "ann", 404, id="ann-org", username="nobody")
    assert err["message"] == "Not found: User was not found."
    assert site.error("organization_member_delete", "ann", id="ann-org")["object"] == \
        ["Missing value"]


# ---- member_create / member_delete ---------------------------------------------------------------

def test_member_create_missing_keys(site):
    err = site.error("member_create", "sam", id="ann-org")
    assert err == {"__type": "Validation Error", "object": ["Missing value"],
                   "object_type": ["Missing value"], "capacity": ["Missing value"]}


def test_group_member_may_add_datasets(site, grp):
    # mo is a member of ann-group: manage_group lets them add datasets, not users
    res = site.ok("member_create", "mo", id="ann-group", object=DATASET, object_type="package",
                  capacity="public")
    assert res["table_name"] == "package"
    assert DATASET in [p["name"] for p in site.ok("group_package_show", id="ann-group")]
    err = site.error("member_create", "mo", 403, id="ann-group", object="out",
                     object_type="user", capacity="member")
    assert err["message"] == f"Access denied: User mo not authorized to edit group {grp['id']}"
    err = site.error("member_create", "out", 403, id="ann-group", object=DATASET,
                     object_type="package", capacity="public")
    assert err["message"] == f"Access denied: User out not authorized to edit group {grp['id']}"
    site.ok("member_delete", "mo", id="ann-group", object=DATASET, object_type="package")
    assert site.ok("group_package_show", id="ann-group") == []


def test_member_create_unknowns(site, grp):
    assert site.error("member_create", "sam", 404, id="nope", object="mo", object_type="user",
                      capacity="member")["message"] == "Not found: Group was not found."
    assert site.error("member_create", "sam", 404, id="ann-group", object="nope",
                      object_type="package", capacity="public")["message"] == \
        "Not found: Package was not found."
    assert site.error("member_create", "sam", id="ann-group", object="mo", object_type="tag",
                      capacity="x") == {"__type": "Validation Error",
                                        "message": "Tag isn't a valid model"}


# ---- delete / purge ------------------------------------------------------------------------------

def test_organization_with_datasets_is_not_deleted(site):
    before = site.state()
    err = site.error("organization_delete", "sam", id=FULL_ORG)
    assert err == {"__type": "Validation Error",
                   "message": "Organization cannot be deleted while it still has datasets"}
    err = site.error("organization_purge", "sam", id=FULL_ORG)
    assert err["message"] == "Organization cannot be purged while it still has datasets"
    assert site.state() == before


def test_delete_refused(site, org):
    before = site.state()
    for user in ("ed", "mo", "out", None):
        err = site.error("organization_delete", user, 403, id="ann-org")
        assert err["message"] == \
            f"Access denied: User {user or ''} not authorized to delete organization {org['id']}"
    assert site.error("organization_delete", "ann", 404, id="nope")["message"] == \
        "Not found: Group was not found."
    assert site.error("organization_delete", "ann", id=None) == \
        {"__type": "Validation Error", "id": ["Missing value"]}
    assert site.state() == before


def test_organization_delete(site):
    o = site.ok("organization_create", "ann", name="short-lived")
    site.ok("organization_member_create", "ann", id="short-lived", username="mo", role="member")
    assert site.ok("organization_delete", "ann", id="short-lived") is None
    assert site.one("SELECT state FROM grp WHERE name = 'short-lived'") == "deleted"
    assert site.sql("SELECT DISTINCT state FROM member WHERE group_id = %s", o["id"]) == \
        [("deleted",)]
    assert "short-lived" not in site.ok("organization_list")
    assert site.ok("organization_list_for_user", "mo") == [] or \
        "short-lived" not in [x["name"] for x in site.ok("organization_list_for_user", "mo")]
    assert site.post("organization_show", id="short-lived").status_code == 403
    types = site.sql("SELECT activity_type FROM activity WHERE object_id = %s ORDER BY timestamp",
                     o["id"])
    assert types == [("new organization",), ("deleted organization",)]


def test_group_delete_and_purge(site):
    g = site.ok("group_create", "ann", name="purged", packages=[{"id": DATASET}],
                extras=[{"key": "a", "value": "1"}])
    err = site.error("group_purge", "ann", 403, id="purged")
    assert err == {"__type": "Authorization Error", "message": "Access denied"}
    assert site.error("group_purge", "ann", 404, id="nope")["message"] == \
        "Not found: Group was not found"
    assert site.error("organization_purge", "sam", 404, id="nope")["message"] == \
        "Not found: Organization was not found"
    site.ok("group_delete", "ann", id="purged")
    assert "purged" not in site.ok("group_list")
    assert site.ok("group_purge", "sam", id=g["id"]) is None
    assert site.one("SELECT count(*) FROM grp WHERE id = %s", g["id"]) == 0
    assert site.one("SELECT count(*) FROM member WHERE group_id = %s", g["id"]) == 0
    assert site.one("SELECT count(*) FROM group_extra WHERE group_id = %s", g["id"]) == 0
    # the name is free again
    site.ok("group_create", "ann", name="purged")


def test_organization_purge_of_an_empty_organization(site):
    o = site.ok("organization_create", "out", name="purge-me")
    assert site.ok("organization_purge", "sam", id="purge-me") is None
    assert site.one("SELECT count(*) FROM grp WHERE id = %s", o["id"]) == 0
    assert site.ok("organization_list_for_user", "out") == []


# ---- update / patch ------------------------------------------------------------------------------

def test_organization_update_replaces(site):
    o = site.ok("organization_create", "ann", name="upd-org", title="Old", description="d",
                extras=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    site.ok("organization_member_create", "ann", id="upd-org", username="mo", role="member")
    res = site.ok("organization_update", "ann", id="upd-org", title="New",
                  extras=[{"key": "b", "value": "3"}],
                  users=[{"name": "ann", "capacity": "admin"}, {"name": "ed"}])
    assert res["title"] == "New" and res["description"] == "d"  # fields not given stay
    assert res["display_name"] == "New"
    assert [(e["key"], e["value"]) for e in res["extras"]] == [("b", "3")]
    # users replaced: mo gone, ed listed without capacity is "public"
    assert sorted((u["name"], u["capacity"]) for u in res["users"]) == \
        [("ann", "admin"), ("ed", "public")]
    assert res["packages"] == [] and res["package_count"] == 0 and res["tags"] == []
    assert "num_followers" not in res
    shown = site.ok("organization_show", "ann", id="upd-org")
    assert shown["title"] == "New" and shown["users"] == res["users"]
    acts = site.ok("organization_activity_list", id="upd-org")
    assert [a["activity_type"] for a in acts] == ["changed organization", "new organization"]
    assert acts[0]["data"]["group"]["title"] == "New"
    # omitted users: every member goes, the caller too (CKAN 2.11)
    site.ok("organization_update", "ann", id=o["id"], description="e")
    assert site.ok("member_list", id="upd-org", object_type="user") == []
    assert site.error("organization_update", "ann", 403, id="upd-org")["message"] == \
        f"Access denied: User ann not authorized to edit organization {o['id']}"


def test_group_update_packages_only_when_given(site):
    g = site.ok("group_create", "ann", name="upd-group", packages=[{"id": DATASET}])
    res = site.ok("group_update", "ann", id="upd-group",
                  users=[{"name": "ann", "capacity": "admin"}])
    assert [p["name"] for p in res["packages"]] == [DATASET]
    res = site.ok("group_update", "ann", id=g["id"], packages=[],
                  users=[{"name": "ann", "capacity": "admin"}], name="upd-group2")
    assert res["packages"] == [] and res["name"] == "upd-group2"
    assert site.ok("group_package_show", id="upd-group2") == []


def test_update_refusals(site, org):
    before = site.state()
    err = site.error("organization_update", "sam", id="ann-org", type="group")
    assert err == {"__type": "Validation Error", "type": "Type cannot be updated"}
    for user in (None, "ed", "mo", "out"):
        err = site.error("organization_update", user, 403, id="ann-org", title="x")
        assert err["message"] == \
            f"Access denied: User {user or ''} not authorized to edit organization {org['id']}"
        err = site.error("organization_patch", user, 403, id="ann-org", title="x")
        assert err["message"] == \
            f"Access denied: User {user or ''} not authorized to edit organization {org['id']}"
    assert site.error("group_update", "sam", 404, id="nope")["message"] == \
        "Not found: Group was not found."
    assert site.error("group_patch", "sam", 404, id="nope")["message"] == "Not found"
    assert site.error("group_update", "sam", title="x") == \
        {"__type": "Validation Error", "id": ["Missing value"]}
    assert site.error("organization_update", "sam", id="ann-org", name=FULL_ORG)["name"] == \
        ["Group name already exists in database"]
    assert site.error("organization_patch", "ann", id="ann-org", name="")["name"] == \
        ["Missing value"]
    assert site.error("organization_patch", "ann", id="ann-org",
                      extras=[{"key": "name", "value": "x"}])["extras"] == \
        [{"key": ["There is a schema field with the same name"]}]
    assert site.state() == before


def test_patch_keeps_what_is_not_given(site):
    site.ok("organization_create", "ann", name="patch-org", title="T", description="D",
            extras=[{"key": "a", "value": "1"}])
    site.ok("organization_member_create", "ann", id="patch-org", username="ed", role="editor")
    res = site.ok("organization_patch", "ann", id="patch-org", description="D2")
    assert (res["title"], res["description"]) == ("T", "D2")
    assert [(e["key"], e["value"]) for e in res["extras"]] == [("a", "1")]
    assert sorted((u["name"], u["capacity"]) for u in res["users"]) == \
        [("ann", "admin"), ("ed", "editor")]
    g = site.ok("group_create", "ann", name="patch-group", packages=[{"id": DATASET}])
    res = site.ok("group_patch", "ann", id=g["id"], title="PG")
    assert res["title"] == "PG" and [p["name"] for p in res["packages"]] == [DATASET]
