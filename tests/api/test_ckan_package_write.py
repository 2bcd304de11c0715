"""CKAN's dataset and resource writes (ckan-research §5.1–5.3; CKAN 2.11's create.py, update.py,
patch.py, delete.py): package_create, _update, _patch, _delete, dataset_purge,
package_owner_org_update, bulk_update_*, package_resource_reorder, resource_create, _update,
_patch, _delete. Each answers as CKAN does, refuses whom CKAN's default authorization refuses,
leaves nothing behind when it fails, records an activity holding the dataset as written, and
shows at once in package_show, package_search, resource_show and the Taiwan API; imported
Taiwan datasets go through package_show → package_update unchanged; concurrent writes of one
dataset lose nothing.

Users: sam sysadmin; ann admin of pw-org and pw-group; ed editor (and a member of pw-group), ned
editor, mo member of pw-org; out nowhere."""
import concurrent.futures
import json
import os
import subprocess

import pytest

from conftest import BIN, DEMO_CATALOG, Server, new_database, WriteSite, add_user

SITE = "http://data.example.test"
DEMO_ORG = "382000000a"
SRU = "/api/v1"


class Site(WriteSite):
    def tw(self, ident):
        return self.srv.get(f"{SRU}/rest/dataset/{ident}")

    def state(self):
        """What a failed write must leave as it was."""
        return self.sql("""SELECT (SELECT count(*) FROM package), (SELECT count(*) FROM resource),
            (SELECT count(*) FROM package_extra), (SELECT count(*) FROM package_tag),
            (SELECT count(*) FROM tag), (SELECT count(*) FROM activity),
            (SELECT count(*) FROM member),
            (SELECT max(metadata_modified) FROM package)""")[0]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    for name in ("ann", "ed", "ned", "mo", "out"):
        tokens[name] = add_user(db, name)
    srv = Server(db, "--site-url", SITE)
    s = Site(srv, db, tokens)
    s.ok("organization_create", "ann", name="pw-org", title="PW Org")
    s.ok("organization_member_create", "ann", id="pw-org", username="ed", role="editor")
    s.ok("organization_member_create", "ann", id="pw-org", username="mo", role="member")
    s.ok("organization_member_create", "ann", id="pw-org", username="ned", role="editor")
    s.ok("group_create", "ann", name="pw-group", title="PW Group")
    s.ok("group_member_create", "ann", id="pw-group", username="ed", role="member")
    yield s
    srv.stop()


def new(site, name, user="ed", **fields):
    fields.setdefault("owner_org", "pw-org")
    return site.ok("package_create", user, name=name, **fields)


# ---- package_create ----------------------------------------------------------------------------

def test_create_answers_as_package_show_and_shows_everywhere(site):
    res = new(site, "pw-first", title="First", notes="about it", url="http://src.test",
              version="1.0", author_email=" a@b.test ", license_id="cc-by",
              tags=[{"name": "water"}, {"name": "水資源"}], tag_string="river, lake",
              extras=[{"key": "flavour", "value": "salty"}],
              groups=[{"name": "pw-group"}],
              resources=[{"url": "http://e.test/a.csv", "name": "A"},
                         {"url": "http://e.test/b", "name": "B", "format": "json",
                          "custom": "kept"}])
    shown = site.ok("package_show", id="pw-first")
    assert res == shown
    assert res["title"] == "First" and res["notes"] == "about it" and res["type"] == "dataset"
    assert res["state"] == "active" and res["private"] is False
    assert res["author_email"] == "a@b.test"
    assert res["license_title"] == "Creative Commons Attribution" and res["isopen"] is True
    assert res["creator_user_id"] == site.one("SELECT id::text FROM users WHERE name = 'ed'")
    assert res["organization"]["name"] == "pw-org"
    assert [t["name"] for t in res["tags"]] == ["lake", "river", "water", "水資源"]
    assert [g["name"] for g in res["groups"]] == ["pw-group"]
    extras = {e["key"]: e["value"] for e in res["extras"]}
    assert extras["flavour"] == "salty"
    # a dataset created without a Taiwan identifier gets its name as one
    assert extras["identifier"] == "pw-first"
    assert [(r["name"], r["position"], r["format"]) for r in res["resources"]] == \
        [("A", 0, "CSV"), ("B", 1, "JSON")]
    assert res["resources"][1]["custom"] == "kept"
    assert res["metadata_created"] == res["metadata_modified"]
    # the reads see it at once
    found = site.ok("package_search", q="name:pw-first")
    assert found["count"] == 1 and found["results"][0]["id"] == res["id"]
    assert site.ok("resource_show", id=res["resources"][0]["id"]) == res["resources"][0]
    tw = site.tw("pw-first").json()["result"]
    assert tw["identifier"] == "pw-first" and tw["title"] == "First"
    assert tw["description"] == "about it" and tw["publisher"] == "PW Org"
    assert sorted(tw["keyword"]) == ["lake", "river", "water", "水資源"]
    assert len(tw["distribution"]) == 2
    # the activity holds the dataset as written
    acts = site.ok("package_activity_list", id="pw-first")
    assert [a["activity_type"] for a in acts] == ["new package"]
    assert acts[0]["data"]["package"]["title"] == "First"
    assert acts[0]["data"]["package"]["id"] == res["id"]


def test_writes_move_the_cached_search_answers(site):
    """package_search without q is answered from memory between writes: a write moves it."""
    def names():
        found = site.ok("package_search", fq="organization:pw-org", rows=1000)
        return {p["name"] for p in found["results"]}
    assert "pw-cached" not in names()
    new(site, "pw-cached")
    assert "pw-cached" in names()
    site.ok("package_patch", "ed", id="pw-cached", title="Cached 2")
    found = site.ok("package_search", fq="name:pw-cached")
    assert [p["title"] for p in found["results"]] == ["Cached 2"]
    site.ok("package_delete", "ed", id="pw-cached")
    assert "pw-cached" not in names()


def test_create_defaults_title_to_name_and_drops_state_of_non_sysadmins(site):
    res = new(site, "pw-defaults", state="draft", private="yes")
    assert res["title"] == "pw-defaults" and res["state"] == "active"
    assert res["private"] is True and res["url"] is None and res["notes"] is None
    assert res["resources"] == [] and res["tags"] == [] and res["groups"] == []
    sam = site.ok("package_create", "sam", name="pw-sam-draft", owner_org="pw-org", state="draft",
                  id="11111111-2222-4333-8444-555555555555")
    assert sam["state"] == "draft" and sam["id"] == "11111111-2222-4333-8444-555555555555"


def test_create_validation_errors_leave_nothing_behind(site):
    before = site.state()
    err = site.error("package_create", "ed", name="Bad Name!", owner_org="pw-org",
                     author_email="nobody@", version="v" * 101,
                     tags=[{"name": "a"}, {"name": "ok tag"}, {"name": "no!"}],
                     extras=[{"key": "name", "value": "x"}, {"key": "k"}, {"key": "d", "value": "1"},
                             {"key": "d", "value": "2"}],
                     resources=[{"url": "x", "size": "big"}, {"created": "yesterday"}],
                     numberOfData="many", title_translated={"fr": "x"})
    assert err["__type"] == "Validation Error"
    assert err["name"] == [
        "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]
    assert err["author_email"] == ["Email nobody@ is not a valid format"]
    assert err["version"] == ["Version must be a maximum of 100 characters long"]
    assert err["tags"] == ['Tag "a" length is less than minimum 2',
                           'Tag "no!" can only contain alphanumeric characters, spaces (" "), '
                           'hyphens ("-"), underscores ("_") or dots (".")']
    assert err["extras"] == [{"key": ["There is a schema field with the same name"]},
                             {"value": ["Missing value"]}, {}, {}]
    assert err["extras_validation"] == ['Duplicate key "d"']
    assert err["resources"] == [{"size": ["Invalid integer"]},
                                {"created": ["Date format incorrect"]}]
    assert err["numberOfData"] == ["Invalid integer"]
    assert err["title_translated"] == ['invalid language code: "fr"']
    assert site.state() == before


@pytest.mark.parametrize("name,msg", [
    ("", "Missing value"), ("x", "Must be at least 2 characters long"),
    ("a" * 101, "Name must be a maximum of 100 characters long"),
    ("new", "That name cannot be used"), ("pw-taken", "That URL is already in use."),
    ("with.dot", "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_")])
def test_create_name_rules(site, name, msg):
    if name == "pw-taken" and not site.sql("SELECT 1 FROM package WHERE name = 'pw-taken'"):
        new(site, "pw-taken")
    before = site.state()
    assert site.error("package_create", "ed", name=name, owner_org="pw-org")["name"] == [msg]
    assert site.state() == before


def test_create_owner_org_rules(site):
    assert site.error("package_create", "ed", name="pw-noorg")["owner_org"] == \
        ["An organization must be provided"]
    err = site.error("package_create", "sam", name="pw-noorg", owner_org="no-such-org",
                     status=403)
    assert err["message"] == \
        "Access denied: User sam not authorized to add dataset to this organization"
    err = site.error("package_create", "sam", name="pw-noorg", owner_org="pw-group")
    assert err["owner_org"] == ["Organization does not exist"]
    err = site.error("package_create", "ed", name="pw-noorg", owner_org=DEMO_ORG, status=403)
    assert err["message"] == \
        "Access denied: User ed not authorized to add dataset to this organization"
    err = site.error("package_create", "ed", name="pw-noorg", private=True)
    assert err["owner_org"] == ["An organization must be provided"]
    assert err["private"] == ["Datasets with no organization can't be private."]
    err = site.error("package_create", "ed", name="pw-noorg", owner_org="pw-org",
                     id="22222222-2222-4333-8444-555555555555")
    assert err["id"] == ["The input field id was not expected."]


@pytest.mark.parametrize("user,msg", [
    (None, "User  not authorized to create packages"),
    ("out", "User out not authorized to create packages"),
    ("mo", "User mo not authorized to create packages")])
def test_create_refused_to_who_may_not(site, user, msg):
    before = site.state()
    err = site.error("package_create", user, name="pw-refused", owner_org="pw-org", status=403)
    assert err == {"__type": "Authorization Error", "message": "Access denied: " + msg}
    assert site.state() == before


def test_create_groups_need_manage_group(site):
    err = site.error("package_create", "ned", name="pw-grp", owner_org="pw-org",
                     groups=[{"name": "pw-group"}], status=403)
    assert err["message"] == "Access denied: User ned not authorized to edit these groups"
    err = site.error("package_create", "ed", name="pw-grp", owner_org="pw-org",
                     groups=[{"name": "no-such-group"}], status=404)
    assert err["message"] == "Not found: Group was not found."


def test_create_lists_must_hold_dicts(site):
    r = site.post("package_create", "ed", name="pw-lists", owner_org="pw-org", tags="a,b")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == \
        "Only lists of dicts can be placed against subschema ('tags',), not <class 'str'>"


def test_create_over_a_deleted_name_takes_it(site):
    old = new(site, "pw-reborn")
    site.ok("package_delete", "ed", id="pw-reborn")
    res = new(site, "pw-reborn", title="Again")
    assert res["id"] != old["id"] and res["name"] == "pw-reborn"
    assert site.one("SELECT name FROM package WHERE id = %s", old["id"]) == old["id"]


# ---- package_update / package_patch -----------------------------------------------------------

def test_update_replaces_as_ckan_does(site):
    res = new(site, "pw-upd", title="T", notes="N", url="http://u.test",
              tags=[{"name": "keep"}], extras=[{"key": "e1", "value": "v1"}],
              resources=[{"url": "http://e.test/r.csv", "name": "R"}])
    site.ok("member_create", "ann", id="pw-group", object="pw-upd", object_type="package",
            capacity="public")
    out = site.ok("package_update", "ed", id="pw-upd", name="pw-upd", title="T2")
    assert out["title"] == "T2"
    assert out["notes"] is None and out["url"] is None          # cleared when omitted
    assert out["tags"] == []                                     # cleared when omitted
    # extras cleared; the identifier stays (with it the Taiwan times)
    assert [e["key"] for e in out["extras"]] == ["identifier", "issued", "modified"]
    assert [r["name"] for r in out["resources"]] == ["R"]        # resources kept when omitted
    assert [g["name"] for g in out["groups"]] == ["pw-group"]    # groups kept when omitted
    assert out["metadata_modified"] > res["metadata_modified"]
    assert site.ok("package_show", id="pw-upd") == out
    acts = site.ok("package_activity_list", id="pw-upd")
    assert [a["activity_type"] for a in acts] == ["changed package", "new package"]
    assert acts[0]["data"]["package"]["title"] == "T2"
    assert site.tw("pw-upd").json()["result"]["title"] == "T2"


def test_update_of_what_package_show_gives_changes_nothing(site):
    new(site, "pw-same", title="Same", tags=[{"name": "same"}],
        resources=[{"url": "http://e.test/s.csv"}])
    shown = site.ok("package_show", id="pw-same")
    nacts = len(site.ok("package_activity_list", id="pw-same"))
    assert site.ok("package_update", "ed", **shown) == shown
    assert len(site.ok("package_activity_list", id="pw-same")) == nacts


def test_update_errors(site):
    assert site.error("package_update", "ed", title="x") == \
        {"__type": "Validation Error", "id": "Missing value"}
    assert site.error("package_update", "ed", id="no-such-dataset", status=404)["message"] == \
        "Not found: Package was not found."
    pid = new(site, "pw-upd-err")["id"]
    new(site, "pw-upd-other")
    before = site.state()
    err = site.error("package_update", "ed", id=pid, name="pw-upd-other", tags=[{"name": "x"}])
    assert err["name"] == ["That URL is already in use."]
    assert err["tags"] == ['Tag "x" length is less than minimum 2']
    assert site.state() == before
    for user, status in (("out", 403), ("mo", 403), (None, 403)):
        err = site.error("package_update", user, id=pid, title="no", status=status)
        assert err["message"] == \
            f"Access denied: User {user or ''} not authorized to edit package {pid}"
    assert site.state() == before
    assert site.ok("package_update", "ann", id=pid, title="by admin")["title"] == "by admin"
    assert site.ok("package_update", "sam", id=pid, title="by sam")["title"] == "by sam"


def test_patch_merges_over_package_show(site):
    new(site, "pw-patch", title="P", notes="keep me", tags=[{"name": "t1"}],
        extras=[{"key": "a", "value": "1"}], resources=[{"url": "http://e.test/p.csv"}])
    out = site.ok("package_patch", "ed", id="pw-patch", title="P2")
    assert out["title"] == "P2" and out["notes"] == "keep me"
    assert [t["name"] for t in out["tags"]] == ["t1"]
    assert {e["key"]: e["value"] for e in out["extras"]}["a"] == "1"
    assert len(out["resources"]) == 1
    out = site.ok("package_patch", "ed", id="pw-patch", tags=[{"name": "t2"}])
    assert [t["name"] for t in out["tags"]] == ["t2"]       # a list given replaces
    assert site.error("package_patch", "ed", title="x") == \
        {"__type": "Validation Error", "message": "Missing id, can not get Package object"}
    assert site.error("package_patch", "ed", id="nope", status=404)["message"] == "Not found"
    err = site.error("package_patch", "out", id="pw-patch", title="x", status=403)
    assert err["message"].startswith("Access denied: User out not authorized to edit package ")


def test_editor_may_change_state_and_private(site):
    pid = new(site, "pw-state")["id"]
    out = site.ok("package_patch", "ed", id=pid, state="draft", private=True)
    assert out["state"] == "draft" and out["private"] is True
    assert site.error("package_show", id=pid, status=403)["message"] == \
        f"Access denied: User  not authorized to read package {pid}"
    assert site.ok("package_show", "mo", id=pid)["state"] == "draft"
    assert site.error("package_show", "out", id=pid, status=403)
    assert site.tw("pw-state").status_code == 404
    assert site.ok("package_search", q="name:pw-state")["count"] == 0
    err = site.error("package_patch", "ed", id=pid, state="gone")
    assert err["state"] == ["Value must be one of: active, draft, deleted"]


# ---- visibility of private datasets ------------------------------------------------------------

def test_private_dataset_visibility(site):
    res = new(site, "pw-private", private=True, resources=[{"url": "http://e.test/x.csv"}])
    rid = res["resources"][0]["id"]
    for user in ("mo", "ed", "ann", "sam"):
        assert site.ok("package_show", user, id="pw-private")["private"] is True
        assert site.ok("resource_show", user, id=rid)["id"] == rid
    for user in (None, "out"):
        site.error("package_show", user, id="pw-private", status=403)
        site.error("resource_show", user, id=rid, status=403)
    assert site.ok("package_search", q="name:pw-private")["count"] == 0
    assert site.ok("package_search", "mo", q="name:pw-private", include_private=True)["count"] == 1
    assert site.tw("pw-private").status_code == 404
    site.ok("package_patch", "ed", id="pw-private", private=False)
    assert site.ok("package_search", q="name:pw-private")["count"] == 1
    assert site.tw("pw-private").status_code == 200


# ---- delete / purge ----------------------------------------------------------------------------

def test_delete(site):
    res = new(site, "pw-del", resources=[{"url": "http://e.test/d.csv"}])
    site.ok("member_create", "ann", id="pw-group", object="pw-del", object_type="package",
            capacity="public")
    for user in (None, "out", "mo"):
        err = site.error("package_delete", user, id="pw-del", status=403)
        assert err["message"] == \
            f"Access denied: User {user or ''} not authorized to edit package {res['id']}"
    assert site.ok("package_delete", "ed", id="pw-del") is None
    assert site.ok("package_show", "ed", id="pw-del")["state"] == "deleted"
    assert site.ok("package_show", "ed", id="pw-del")["groups"] == []
    site.error("package_show", id="pw-del", status=403)
    assert site.ok("package_search", q="name:pw-del")["count"] == 0
    assert site.tw("pw-del").status_code == 404
    assert site.ok("package_activity_list", "ed", id="pw-del")[0]["activity_type"] == \
        "deleted package"
    assert site.ok("package_delete", "ed", id="pw-del") is None  # again: fine
    assert site.error("package_delete", "ed", id="nope", status=404)["message"] == "Not found"
    assert site.error("package_delete", "ed")["id"] == ["Missing value"]


def test_purge(site):
    res = new(site, "pw-purge", tags=[{"name": "purged"}], extras=[{"key": "x", "value": "y"}],
              resources=[{"url": "http://e.test/p.csv"}])
    for user in ("ann", "ed", None):
        err = site.error("dataset_purge", user, id="pw-purge", status=403)
        assert err["message"] == "Access denied"
    assert site.ok("dataset_purge", "sam", id="pw-purge") is None
    site.error("package_show", "sam", id="pw-purge", status=404)
    assert site.sql("SELECT 1 FROM package WHERE id = %s", res["id"]) == []
    assert site.sql("SELECT 1 FROM resource WHERE package_id = %s", res["id"]) == []
    assert site.sql("SELECT 1 FROM package_extra WHERE package_id = %s", res["id"]) == []
    assert site.sql("SELECT 1 FROM member WHERE table_id = %s", res["id"]) == []
    assert site.tw("pw-purge").status_code == 404
    assert site.error("dataset_purge", "sam", id="pw-purge", status=404)["message"] == \
        "Not found: Dataset was not found"


# ---- resources ---------------------------------------------------------------------------------

def test_resource_create_update_patch_delete(site):
    pkg = new(site, "pw-res", resources=[{"url": "http://e.test/1.csv", "name": "one"}])
    r = site.ok("resource_create", "ed", package_id="pw-res", name="two", description="d",
                mimetype="text/csv", size="42", custom="c", last_modified="2024-01-02T03:04:05")
    assert r["url"] == "" and r["position"] == 1 and r["size"] == 42
    assert r["custom"] == "c" and r["last_modified"] == "2024-01-02T03:04:05"
    assert r["package_id"] == pkg["id"]
    assert site.ok("resource_show", id=r["id"]) == r
    shown = site.ok("package_show", id="pw-res")
    assert shown["num_resources"] == 2 and shown["metadata_modified"] > pkg["metadata_modified"]
    # update: url, description, mimetype and extra keys cleared; name, size kept
    u = site.ok("resource_update", "ed", id=r["id"], format="xml")
    assert u["url"] == "" and u["description"] is None and u["mimetype"] is None
    assert "custom" not in u and u["name"] == "two" and u["size"] == 42 and u["format"] == "XML"
    # patch: merged over resource_show
    p = site.ok("resource_patch", "ed", id=r["id"], description="again", url="http://e.test/2")
    assert p["description"] == "again" and p["name"] == "two" and p["url"] == "http://e.test/2"
    tw = site.tw("pw-res").json()["result"]
    assert len(tw["distribution"]) == 2
    acts = site.ok("package_activity_list", id="pw-res")
    assert [a["activity_type"] for a in acts[:3]] == ["changed package"] * 3
    assert acts[0]["data"]["package"]["resources"][1]["description"] == "again"
    # delete
    assert site.ok("resource_delete", "ed", id=r["id"]) is None
    assert site.error("resource_show", id=r["id"], status=404)
    assert site.ok("package_show", id="pw-res")["num_resources"] == 1
    assert len(site.tw("pw-res").json()["result"]["distribution"]) == 1


def test_resource_errors(site):
    new(site, "pw-res-err", resources=[{"url": "http://e.test/1.csv"}])
    rid = site.ok("package_show", id="pw-res-err")["resources"][0]["id"]
    before = site.state()
    assert site.error("resource_create", "ed", url="x")["package_id"] == ["Missing value"]
    assert site.error("resource_create", "ed", package_id="nope", status=404)["message"] == \
        "Not found"
    err = site.error("resource_create", "ed", package_id="pw-res-err", size="x",
                     created="never")
    assert err == {"__type": "Validation Error", "size": ["Invalid integer"],
                   "created": ["Date format incorrect"]}
    err = site.error("resource_create", "ed", package_id="pw-res-err", id=rid + "/x")
    assert err["id"] == ["Invalid id provided"]
    err = site.error("resource_create", "ed", package_id="pw-res-err", id=rid)
    assert err["id"] == ["Resource id already exists."]
    same = "33333333-2222-4333-8444-555555555555"
    err = site.error("package_patch", "ed", id="pw-res-err",
                     resources=[{"id": same}, {"id": same, "url": "x"}])
    assert err["resources"] == [{}, {"id": ["Resource id already exists."]}]
    err = site.error("resource_create", "out", package_id="pw-res-err", status=403)
    assert err["message"] == \
        "Access denied: User out not authorized to create resources on dataset pw-res-err"
    err = site.error("resource_update", "out", id=rid, status=403)
    assert err["message"] == f"Access denied: User out not authorized to edit resource {rid}"
    err = site.error("resource_delete", "mo", id=rid, status=403)
    assert err["message"] == f"Access denied: User mo not authorized to delete resource {rid}"
    assert site.error("resource_update", "ed", id="nope", status=404)["message"] == \
        "Not found: Resource was not found."
    assert site.error("resource_delete", "ed", id="nope", status=404)["message"] == "Not found"
    assert site.error("resource_patch", "ed")["message"] == \
        "Missing id, can not get Resource object"
    assert site.state() == before


def test_resource_reorder(site):
    pkg = new(site, "pw-order", resources=[{"url": "http://e.test/%d" % i, "name": str(i)}
                                           for i in range(3)])
    ids = [r["id"] for r in pkg["resources"]]
    out = site.ok("package_resource_reorder", "ed", id="pw-order", order=[ids[2]])
    assert out == {"id": "pw-order", "order": [ids[2], ids[0], ids[1]]}
    assert [r["name"] for r in site.ok("package_show", id="pw-order")["resources"]] == \
        ["2", "0", "1"]
    assert site.error("package_resource_reorder", "ed", id="pw-order", order=["x"])["order"] == \
        "resource_id x can not be found"
    assert site.error("package_resource_reorder", "ed", id="pw-order", order="x")["order"] == \
        "Must be a list of resource"
    assert site.error("package_resource_reorder", "ed", id="pw-order",
                      order=[ids[0], ids[0]])["order"] == "Must supply unique resource_ids"
    site.error("package_resource_reorder", "out", id="pw-order", order=[ids[0]], status=403)


# ---- owner_org, bulk ---------------------------------------------------------------------------

def test_owner_org_update_is_for_sysadmins(site):
    pid = new(site, "pw-move")["id"]
    assert site.error("package_owner_org_update", "ann", id=pid, organization_id=DEMO_ORG,
                      status=403)["message"] == "Access denied"
    assert site.ok("package_owner_org_update", "sam", id=pid, organization_id=DEMO_ORG) is None
    assert site.ok("package_show", id=pid)["organization"]["name"] == DEMO_ORG
    assert site.error("package_owner_org_update", "sam", id=pid, organization_id="pw-group",
                      status=404)["message"] == "Not found: Organization was not found."


def test_bulk_updates_by_organization_admins(site):
    ids = [new(site, f"pw-bulk-{i}")["id"] for i in range(3)]
    org = site.ok("organization_show", id="pw-org")["id"]
    assert site.error("bulk_update_private", "ed", org_id=org, datasets=ids,
                      status=403)["message"] == "Access denied"
    assert site.ok("bulk_update_private", "ann", org_id=org, datasets=ids[:2]) is None
    assert [site.ok("package_show", "ann", id=i)["private"] for i in ids] == [True, True, False]
    site.ok("bulk_update_public", "ann", org_id=org, datasets=ids)
    assert [site.ok("package_show", id=i)["private"] for i in ids] == [False] * 3
    site.ok("bulk_update_delete", "ann", org_id=org, datasets=[ids[0]])
    assert site.ok("package_show", "ann", id=ids[0])["state"] == "deleted"


# ---- Taiwan metadata ---------------------------------------------------------------------------

def imported(site):
    return [r[0] for r in site.sql(
        "SELECT name FROM package WHERE creator_user_id IS NULL AND identifier IS NOT NULL"
        " ORDER BY name")]


def test_taiwan_round_trip_changes_nothing(site):
    names = imported(site)
    assert len(names) > 10
    for name in names:
        shown = site.ok("package_show", "sam", id=name)
        tw_before = site.tw(name).json()["result"]
        # the extras in another order: a write through the whole path, with the same content
        sent = dict(shown, extras=list(reversed(shown["extras"])))
        out = site.ok("package_update", "sam", **sent)
        after = site.ok("package_show", "sam", id=name)
        assert out == after
        for d in (shown, after):
            d.pop("metadata_modified")
        assert after == shown, name
        tw_after = site.tw(name).json()["result"]
        tw_before.pop("modified"), tw_after.pop("modified")
        assert tw_after == tw_before, name


def test_taiwan_fields_written_through_ckan(site):
    res = new(site, "pw-tw", title="臺灣", notes="說明",
              extras=[{"key": "dataType", "value": "rawData"},
                      {"key": "remarks", "value": "備註"},
                      {"key": "categoryCode", "value": "I00"},
                      {"key": "numberOfData", "value": "12"},
                      {"key": "issued", "value": "2020-01-02 03:04:05"}],
              fieldDescription="欄位", accrualPeriodicity="每日", cost="免費",
              identifier="PW-TW-000001")
    extras = {e["key"]: e["value"] for e in res["extras"]}
    assert extras["identifier"] == "PW-TW-000001" and extras["categoryCode"] == "I00"
    assert extras["dataType"] == "rawData" and extras["remarks"] == "備註"
    assert "type" not in extras and "notes" not in extras
    assert [g["name"] for g in res["groups"]] == ["i00"]
    tw = site.tw("PW-TW-000001").json()["result"]
    assert tw["identifier"] == "PW-TW-000001" and tw["type"] == "rawData"
    assert tw["notes"] == "備註" and tw["description"] == "說明" and tw["categoryCode"] == "I00"
    assert tw["fieldDescription"] == "欄位" and tw["accrualPeriodicity"] == "每日"
    assert tw["cost"] == "免費" and tw["numberOfData"] == 12
    assert tw["issued"] == "2020-01-02 03:04:05"
    # the category follows the groups: leaving the category's group leaves the category
    site.ok("member_delete", "sam", id="i00", object="pw-tw", object_type="package")
    assert site.tw("PW-TW-000001").json()["result"]["categoryCode"] is None
    out = site.ok("package_patch", "ed", id="pw-tw", categoryCode="B00")
    assert [g["name"] for g in out["groups"]] == ["b00"]
    assert site.tw("PW-TW-000001").json()["result"]["categoryCode"] == "B00"
    # the identifier stays: on updates without it, and refused when changed
    out = site.ok("package_update", "ed", id="pw-tw", title="t")
    assert {e["key"]: e["value"] for e in out["extras"]}["identifier"] == "PW-TW-000001"
    err = site.error("package_patch", "ed", id="pw-tw", identifier="OTHER")
    assert err["identifier"] == [
        "Cannot change value of key from PW-TW-000001 to OTHER. This key is read-only"]
    err = site.error("package_create", "ed", name="pw-tw2", owner_org="pw-org",
                     identifier="pw-tw-000001")
    assert err["identifier"] == ["That identifier is already in use."]
    err = site.error("package_create", "ed", name="pw-tw2", owner_org="pw-org",
                     extras=[{"key": "type", "value": "x"}, {"key": "notes", "value": "y"}])
    assert err["extras"] == [{"key": ["There is a schema field with the same name"]}] * 2


def test_reimport_after_a_ckan_write_applies_the_record(site):
    name = imported(site)[0]
    ident = site.one("SELECT identifier FROM package WHERE name = %s", name)
    record = site.tw(ident).json()["result"]
    site.ok("package_patch", "sam", id=name, title="changed through CKAN")
    path = f"/tmp/pw-record-{os.getpid()}.json"
    with open(path, "w") as f:
        json.dump([record], f, ensure_ascii=False)
    p = subprocess.run([os.path.join(BIN, "opendata-import"), "catalog", path, "--db", site.db],
                       capture_output=True, text=True)
    os.unlink(path)
    assert p.returncode == 0, p.stderr
    assert site.ok("package_show", id=name)["title"] == record["title"]


# ---- concurrency, translations ------------------------------------------------------------------

def test_concurrent_writes_of_one_dataset_lose_nothing(site):
    new(site, "pw-race")
    keys = ["cost", "costURL", "costLaw", "spatial", "language", "landingPage",
            "accrualPeriodicity", "fieldDescription"]

    def patch(k):
        return site.post("package_patch", "ed", id="pw-race", **{k: "v-" + k}).status_code

    def add_resource(i):
        return site.post("resource_create", "ed", package_id="pw-race",
                         name=f"r{i}").status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(patch, keys)) + list(pool.map(add_resource, range(8)))
    assert codes == [200] * 16
    shown = site.ok("package_show", id="pw-race")
    extras = {e["key"]: e["value"] for e in shown["extras"]}
    assert {k: extras.get(k) for k in keys} == {k: "v-" + k for k in keys}
    assert sorted(r["name"] for r in shown["resources"]) == sorted(f"r{i}" for i in range(8))
    assert len(site.ok("package_activity_list", id="pw-race", limit=100)) == 17


def test_translations(site):
    res = new(site, "pw-i18n", title_translated={"en": "Water", "zh_TW": "水"},
              notes_translated='{"zh_CN": "水的说明"}',
              resources=[{"url": "http://e.test/w.csv",
                          "name_translated": {"en": "Water CSV"}}])
    assert res["title_translated"] == {"en": "Water", "zh_TW": "水"}
    assert res["notes_translated"] == {"zh_CN": "水的说明"}
    assert res["resources"][0]["name_translated"] == {"en": "Water CSV"}
    assert site.ok("resource_show", id=res["resources"][0]["id"])["name_translated"] == \
        {"en": "Water CSV"}
    out = site.ok("package_patch", "ed", id="pw-i18n", title_translated={"en": "W"})
    assert out["title_translated"] == {"en": "W"} and out["notes_translated"]["zh_CN"]
    out = site.ok("package_update", "ed", id="pw-i18n", title="x")
    assert "title_translated" not in out and "notes_translated" not in out
    for bad, msg in ((["x"], "expecting JSON object"), ("not json", "Failed to decode JSON string"),
                     ({"en": 1}, 'invalid type for "en" value'),
                     ({"de": "x"}, 'invalid language code: "de"')):
        assert site.error("package_patch", "ed", id="pw-i18n",
                          title_translated=bad)["title_translated"] == [msg]
    err = site.error("resource_create", "ed", package_id="pw-i18n",
                     description_translated=["x"])
    assert err["description_translated"] == ["expecting JSON object"]


def test_get_on_a_write_action_is_refused(site):
    r = site.srv.get("/api/3/action/package_create", params={"name": "pw-get"})
    assert r.status_code == 400
    assert site.sql("SELECT 1 FROM package WHERE name = 'pw-get'") == []


# ---- package_revise ----------------------------------------------------------------------------

def test_revise(site):
    pkg = new(site, "pw-rev", title="R", notes="n",
              resources=[{"url": "http://e.test/a", "name": "a"},
                         {"url": "http://e.test/b", "name": "b"}])
    rid = pkg["resources"][1]["id"]
    out = site.ok("package_revise", "ed", match={"name": "pw-rev"},
                  update={"title": "R2"},
                  update__resources__extend=[{"url": "http://e.test/c", "name": "c"}],
                  **{"update__resources__-1__description": "new one",
                     f"update__resources__{rid[:8]}__name": "b2"})
    p = out["package"]
    assert p == site.ok("package_show", id="pw-rev")
    assert p["title"] == "R2" and p["notes"] == "n"
    assert [(r["name"], r["description"]) for r in p["resources"]] == \
        [("a", None), ("b2", None), ("c", "new one")]
    # match: nothing is written when the dataset is not as expected
    before = site.state()
    err = site.error("package_revise", "ed", match={"name": "pw-rev", "title": "R"},
                     update={"title": "R3"})
    assert err["match"] == ["title"]
    err = site.error("package_revise", "ed", match='{"id": "%s"}' % p["id"],
                     match__resources__0__name="zzz", update={"title": "R3"})
    assert err["match"] == ["resources__0__name"]
    assert site.state() == before
    # filter removes, "+" keeps; include shapes the answer
    out = site.ok("package_revise", "ed", match__id=p["id"], filter=["-resources__0"],
                  include=["-package__*", "+package__resources", "+package__title"])
    assert set(out["package"]) == {"resources", "title"}
    assert [r["name"] for r in out["package"]["resources"]] == ["b2", "c"]
    err = site.error("package_revise", "ed", match__id=p["id"], update__nothere__x=1)
    assert err["nothere__x"] == ["Unmatched key nothere"]
    err = site.error("package_revise", "ed", match__id=p["id"], update={"tags": "x"})
    assert err["update"] == ["Expected list for tags"]
    assert site.error("package_revise", "ed", update={"title": "x"})["match__id"] == \
        "Missing value"
    err = site.error("package_revise", "out", match__id=p["id"], update={"title": "x"},
                     status=403)
    assert err["message"] == f"Access denied: User out not authorized to edit package {p['id']}"
