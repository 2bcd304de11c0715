"""CKAN's resource views (resource_view_create, _update, _delete, _show, _list, _reorder,
_clear) and dataset relationship writes (package_relationship_create, _update, _delete), as
CKAN 2.11 answers them (create.py, update.py, delete.py, get.py; the view plugins' schemas; the
auth functions): dict shapes, validation, authorization, nothing left behind by a refusal,
and the relationships visible at once in package_show.

Users: sam sysadmin; ed editor and mo member of the demo organization 382000000a; out belongs
nowhere."""

import pytest

from conftest import DEMO_CATALOG, Server, new_database, WriteSite, add_user

ORG = "382000000a"
DS, DS2 = "382000000a-000101", "382000000a-000102"
OTHER = "397000000a-000201"  # another organization's dataset
TYPES = ["depends_on", "dependency_of", "derives_from", "has_derivation", "links_to",
         "linked_from", "child_of", "parent_of"]


class Site(WriteSite):
    def views(self):
        return self.sql("SELECT id, resource_id, title, description, view_type, \"order\", "
                        "config FROM resource_view ORDER BY id")

    def rels(self):
        return self.sql("SELECT subject_package_id, object_package_id, type, comment, state "
                        "FROM package_relationship ORDER BY id")


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    for name in ("ed", "mo", "out"):
        tokens[name] = add_user(db, name)
    srv = Server(db)
    s = Site(srv, db, tokens)
    s.ok("organization_member_create", "sam", id=ORG, username="ed", role="editor")
    s.ok("organization_member_create", "sam", id=ORG, username="mo", role="member")
    yield s
    srv.stop()


def resources(site, name):
    return [r[0] for r in site.sql("SELECT r.id FROM resource r JOIN package p "
                                   "ON p.id = r.package_id WHERE p.name = %s "
                                   "ORDER BY r.position, r.id", name)]


def pkg_id(site, name):
    return site.one("SELECT id::text FROM package WHERE name = %s", name)


# ---- resource_view_create ----------------------------------------------------------------------

def test_create_image_view_answers_as_show_and_list(site):
    rid = resources(site, DS)[0]
    v = site.ok("resource_view_create", "ed", resource_id=rid, title="Photo",
                view_type="image_view", image_url="http://x.test/a.png")
    assert set(v) == {"id", "resource_id", "title", "description", "view_type", "package_id",
                      "image_url"}
    assert (v["resource_id"], v["title"], v["description"], v["view_type"], v["package_id"],
            v["image_url"]) == (rid, "Photo", None, "image_view", pkg_id(site, DS),
                                "http://x.test/a.png")
    assert site.ok("resource_view_show", id=v["id"]) == v
    assert v in site.ok("resource_view_list", id=rid)
    # GET works for the reads
    r = site.srv.get("/api/3/action/resource_view_show", params={"id": v["id"]})
    assert r.status_code == 200 and r.json()["result"] == v


def test_view_types_and_their_own_keys(site):
    rid = resources(site, DS)[1]
    t = site.ok("resource_view_create", "ed", resource_id=rid, title="Table",
                view_type="datatables_view")
    assert {k: t[k] for k in ("responsive", "filterable", "date_format", "ellipsis_length")} \
        == {"responsive": False, "filterable": True, "date_format": "llll",
            "ellipsis_length": 100}
    f = site.ok("resource_view_create", "ed", resource_id=rid, title="Filtered",
                view_type="datatables_view", responsive="yes", ellipsis_length="20",
                filter_fields=["a", "b", "a"], filter_values=["1", "2", "3"])
    assert f["responsive"] is True and f["ellipsis_length"] == 20
    assert f["filters"] == {"a": ["1", "3"], "b": ["2"]}
    assert f["filter_fields"] == ["a", "b", "a"]
    w = site.ok("resource_view_create", "ed", resource_id=rid, title="Page",
                view_type="webpage_view", page_url="", description="d")
    assert "page_url" not in w and w["description"] == "d"  # ignore_empty
    x = site.ok("resource_view_create", "ed", resource_id=rid, title="Text", view_type="text_view")
    assert set(x) == {"id", "resource_id", "title", "description", "view_type", "package_id"}
    for vt, key in (("video_view", "video_url"), ("audio_view", "audio_url")):
        assert site.ok("resource_view_create", "ed", resource_id=rid, title=vt, view_type=vt,
                       **{key: "http://x.test/m"})[key] == "http://x.test/m"


@pytest.mark.parametrize("data, errors", [
    ({"view_type": "image_view", "title": "t"}, {"resource_id": ["Missing value"]}),
    ({"resource_id": "R"}, {"view_type": ["Missing value"]}),
    ({"resource_id": "R", "view_type": "recline_view", "title": "t"},
     {"view_type": "No plugin found for view_type recline_view"}),
    ({"resource_id": "R", "view_type": "image_view"}, {"title": ["Missing value"]}),
    ({"resource_id": "nope", "view_type": "image_view", "title": "t"},
     {"resource_id": ["Resource not found: nope"]}),
    ({"resource_id": "", "view_type": "image_view", "title": ""},
     {"resource_id": ["Missing value"], "title": ["Missing value"]}),
    ({"resource_id": "R", "view_type": "image_view", "title": "t", "package_id": "x"},
     {"__extras": ["The input field __extras was not expected."]}),
    ({"resource_id": "R", "view_type": "image_view", "title": "t",
      "id": "3f0e6b0a-7c1e-4a53-9d55-0d8d2f6d7c11"},
     {"id": ["The input field id was not expected."]}),
    ({"resource_id": "R", "view_type": "datatables_view", "title": "t",
      "ellipsis_length": "x"}, {"ellipsis_length": ["Invalid integer"]}),
    ({"resource_id": "R", "view_type": "datatables_view", "title": "t",
      "ellipsis_length": -1}, {"ellipsis_length": ["Must be a natural number"]}),
    ({"resource_id": "R", "view_type": "datatables_view", "title": "t",
      "filter_fields": ["a"]},
     {"filter_fields": ['"filter_fields" and "filter_values" should have the same length'],
      "filter_values": ['"filter_fields" and "filter_values" should have the same length',
                        '"filter_values" is required when "filter_fields" is filled']}),
])
def test_create_refusals(site, data, errors):
    rid = resources(site, DS2)[0]
    data = {k: (rid if v == "R" else v) for k, v in data.items()}
    before = site.views()
    err = site.error("resource_view_create", "ed", **data)
    assert err == {"__type": "Validation Error", **errors}
    assert site.views() == before


def test_create_authorization(site):
    rid = resources(site, DS2)[1]
    before = site.views()
    err = site.error("resource_view_create", None, 403, resource_id=rid, title="t",
                     view_type="image_view")
    assert err == {"__type": "Authorization Error",
                   "message": "Access denied: Action resource_view_create requires an "
                              "authenticated user"}
    for user in ("mo", "out"):
        err = site.error("resource_view_create", user, 403, resource_id=rid, title="t",
                         view_type="image_view")
        assert err["message"] == (f"Access denied: User {user} not authorized to create "
                                  f"resources on dataset {pkg_id(site, DS2)}")
    assert site.views() == before
    # sysadmins may choose the id
    vid = "3f0e6b0a-7c1e-4a53-9d55-0d8d2f6d7c12"
    v = site.ok("resource_view_create", "sam", id=vid, resource_id=rid, title="t",
                view_type="image_view")
    assert v["id"] == vid
    err = site.error("resource_view_create", "sam", id=vid, resource_id=rid, title="t",
                     view_type="image_view")
    assert err["id"] == ["ResourceView id already exists"]


# ---- update, reorder, delete -------------------------------------------------------------------

def test_update_replaces_the_config_and_keeps_what_is_not_given(site):
    rid = resources(site, DS2)[0]
    v = site.ok("resource_view_create", "ed", resource_id=rid, title="Before",
                description="old", view_type="image_view", image_url="http://x.test/1.png")
    u = site.ok("resource_view_update", "ed", id=v["id"], view_type="text_view",
                package_id="ignored")
    assert u == {**{k: v[k] for k in v if k != "image_url"}}
    assert site.ok("resource_view_show", id=v["id"]) == u
    u = site.ok("resource_view_update", "ed", id=v["id"], title="After",
                image_url="http://x.test/2.png")
    assert (u["title"], u["description"], u["view_type"], u["image_url"]) == \
        ("After", "old", "image_view", "http://x.test/2.png")


def test_update_refusals(site):
    rid = resources(site, DS2)[0]
    v = site.ok("resource_view_create", "ed", resource_id=rid, title="Keep",
                view_type="image_view")
    before = site.views()
    assert site.error("resource_view_update", "ed") == \
        {"__type": "Validation Error", "id": ["Missing value"]}
    assert site.error("resource_view_update", "ed", 404, id="nope") == \
        {"__type": "Not Found Error", "message": "Not found: Resource view was not found."}
    assert site.error("resource_view_update", "ed", id=v["id"], resource_id="nope",
                      bogus=1) == \
        {"__type": "Validation Error", "resource_id": ["Resource not found: nope"],
         "__extras": ["The input field __extras was not expected."]}
    err = site.error("resource_view_update", "mo", 403, id=v["id"], title="x")
    assert err["message"] == f"Access denied: User mo not authorized to edit resource {rid}"
    err = site.error("resource_view_update", None, 403, id=v["id"], title="x")
    assert err["message"] == ("Access denied: Action resource_view_update requires an "
                              "authenticated user")
    # moving a view to a resource of a dataset the caller may not edit
    err = site.error("resource_view_update", "ed", 403, id=v["id"],
                     resource_id=resources(site, OTHER)[0])
    assert err["__type"] == "Authorization Error"
    assert site.views() == before


def test_reorder(site):
    rid = resources(site, "382000000a-000103")[0]
    ids = [site.ok("resource_view_create", "ed", resource_id=rid, title=str(i),
                   view_type="text_view")["id"] for i in range(3)]
    res = site.ok("resource_view_reorder", "ed", id=rid, order=[ids[2]])
    assert res == {"id": rid, "order": [ids[2], ids[0], ids[1]]}
    assert [v["id"] for v in site.ok("resource_view_list", id=rid)] == res["order"]
    new = site.ok("resource_view_create", "ed", resource_id=rid, title="last",
                  view_type="text_view")
    assert site.ok("resource_view_list", id=rid)[-1]["id"] == new["id"]
    before = site.views()
    for order, msg in (("x", "Must supply order as a list"),
                       ([ids[0], ids[0]], "No duplicates allowed in order"),
                       ([ids[0], "nope"], "View nope does not exist")):
        assert site.error("resource_view_reorder", "ed", id=rid, order=order) == \
            {"__type": "Validation Error", "order": msg}
    assert site.error("resource_view_reorder", "ed") == \
        {"__type": "Validation Error", "id": ["Missing value"], "order": ["Missing value"]}
    assert site.error("resource_view_reorder", "ed", 404, id="nope", order=[])["message"] == \
        "Not found: Resource was not found."
    assert site.error("resource_view_reorder", "mo", 403, id=rid, order=[])["message"] == \
        f"Access denied: User mo not authorized to edit resource {rid}"
    assert site.views() == before


def test_delete_and_show_of_a_missing_view(site):
    rid = resources(site, "382000000a-000104")[0]
    v = site.ok("resource_view_create", "ed", resource_id=rid, title="t",
                view_type="text_view")
    before = site.views()
    err = site.error("resource_view_delete", "mo", 403, id=v["id"])
    assert err["message"] == f"Access denied: User mo not authorized to delete resource {rid}"
    err = site.error("resource_view_delete", None, 403, id=v["id"])
    assert err["message"] == ("Access denied: Action resource_view_delete requires an "
                              "authenticated user")
    assert site.views() == before
    assert site.ok("resource_view_delete", "ed", id=v["id"]) == {"resource_id": rid}
    assert site.error("resource_view_delete", "ed", 404, id=v["id"]) == \
        {"__type": "Not Found Error", "message": "Not found"}
    assert site.error("resource_view_show", "ed", 404, id=v["id"])["message"] == \
        "Not found: Resource view not found, cannot check auth."
    assert site.error("resource_view_show", "sam", 404, id=v["id"])["message"] == "Not found"
    assert site.error("resource_view_list", None, 404, id="nope")["message"] == "Not found"
    assert site.error("resource_view_show", None) == \
        {"__type": "Validation Error", "id": ["Missing value"]}


def test_views_of_a_private_dataset_are_read_as_its_resources(site):
    name = "382000000a-000105"
    rid = resources(site, name)[0]
    v = site.ok("resource_view_create", "ed", resource_id=rid, title="t",
                view_type="text_view")
    site.sql("UPDATE package SET private = true WHERE name = %s", name)
    try:
        for user in (None, "out"):
            err = site.error("resource_view_show", user, 403, id=v["id"])
            assert err["message"] == ("Access denied: User %s not authorized to read resource %s"
                                      % (user or "", rid))
            assert site.error("resource_view_list", user, 403, id=rid)["__type"] == \
                "Authorization Error"
        assert site.ok("resource_view_show", "mo", id=v["id"]) == v
        assert site.ok("resource_view_list", "sam", id=rid) == [v]
    finally:
        site.sql("UPDATE package SET private = false WHERE name = %s", name)


def test_views_go_with_their_resource(site):
    name = "397000000a-000202"
    rid, rid2 = resources(site, name)[:2]
    site.ok("resource_view_create", "sam", resource_id=rid, title="a", view_type="text_view")
    site.ok("resource_view_create", "sam", resource_id=rid2, title="b", view_type="text_view")
    site.sql("UPDATE resource SET state = 'deleted' WHERE id = %s", rid)
    assert site.one("SELECT count(*) FROM resource_view WHERE resource_id = %s", rid) == 0
    assert site.error("resource_view_create", "sam", resource_id=rid, title="a",
                      view_type="text_view")["resource_id"] == [f"Resource not found: {rid}"]
    site.sql("DELETE FROM resource WHERE id = %s", rid2)
    assert site.one("SELECT count(*) FROM resource_view WHERE resource_id = %s", rid2) == 0


def test_clear(site):
    rid = resources(site, "397000000a-000204")[0]
    site.ok("resource_view_create", "sam", resource_id=rid, title="a", view_type="image_view")
    site.ok("resource_view_create", "sam", resource_id=rid, title="b", view_type="text_view")
    before = site.views()
    assert site.error("resource_view_clear", "ed", 403) == \
        {"__type": "Authorization Error", "message": "Access denied"}
    assert site.error("resource_view_clear", None, 403)["message"] == \
        "Access denied: Action resource_view_clear requires an authenticated user"
    assert site.views() == before
    assert site.ok("resource_view_clear", "sam", view_types=["image_view"]) is None
    left = site.one("SELECT count(*) FROM resource_view WHERE view_type = 'image_view'")
    assert left == 0
    assert site.one("SELECT count(*) FROM resource_view") > 0
    assert site.ok("resource_view_clear", "sam") is None
    assert site.one("SELECT count(*) FROM resource_view") == 0


# ---- package_relationship_create / _update / _delete -------------------------------------------

def shown(site, name):
    p = site.ok("package_show", "sam", id=name)
    return p["relationships_as_subject"], p["relationships_as_object"]


def test_relationship_create_update_delete_show_at_once(site):
    a, b = "382000000a-000103", "382000000a-000104"
    r = site.ok("package_relationship_create", "ed", subject=a, object=b, type="parent_of",
                comment="born")
    # stored in the forward form, as CKAN's as_dict shows it
    assert r == {"subject": b, "type": "child_of", "object": a, "comment": "born"}
    subj, obj = shown(site, b)
    assert [(x["type"], x["comment"], x["__extras"]) for x in subj] == \
        [("child_of", "born", {"subject_package_id": pkg_id(site, b),
                               "object_package_id": pkg_id(site, a)})]
    assert obj == [] and shown(site, a)[1][0]["id"] == subj[0]["id"]
    assert site.ok("package_relationships_list", id=a) == \
        [{"subject": a, "type": "parent_of", "object": b, "comment": "born"}]
    # the same triple again (either way round) changes the comment only
    r = site.ok("package_relationship_create", "ed", subject=b, object=a, type="child_of")
    assert r["comment"] == "" and len(site.rels()) == 1
    r = site.ok("package_relationship_update", "ed", subject=a, object=b, type="parent_of",
                comment="again")
    assert r == {"subject": b, "type": "child_of", "object": a, "comment": "again"}
    assert shown(site, a)[1][0]["comment"] == "again"
    assert site.ok("package_relationship_delete", "ed", subject=b, object=a,
                   type="child_of") is None
    assert shown(site, a) == ([], []) and shown(site, b) == ([], [])
    assert site.ok("package_relationships_list", id=a) == []
    assert site.error("package_relationship_update", "ed", 404, subject=a, object=b,
                      type="parent_of")["message"] == \
        "Not found: This relationship between the packages was not found."
    # a deleted one comes back, keeping its comment when none is given
    r = site.ok("package_relationship_create", "ed", subject=b, object=a, type="child_of")
    assert r["comment"] == "again" and len(site.rels()) == 1


@pytest.mark.parametrize("data, status, err", [
    ({}, 409, {"__type": "Validation Error", "subject": ["Missing value"],
               "object": ["Missing value"], "type": ["Missing value"]}),
    ({"subject": "nope", "object": DS, "type": "links_to"}, 404,
     {"__type": "Not Found Error", "message": "Not found: Subject package 'nope' was not found."}),
    ({"subject": DS, "object": "it's", "type": "links_to"}, 404,
     {"__type": "Not Found Error", "message": "Not found: Object package \"it's\" was not found."}),
    ({"subject": DS, "object": DS2, "type": "likes"}, 409,
     {"__type": "Validation Error", "type": ["Value must be one of %s" % TYPES]}),
    ({"subject": DS, "object": DS2, "type": ""}, 409,
     {"__type": "Validation Error", "type": ["Missing value"]}),
    ({"subject": DS, "object": DS2, "type": "links_to", "id": "x"}, 409,
     {"__type": "Validation Error", "id": ["The input field id was not expected."]}),
])
def test_relationship_create_refusals(site, data, status, err):
    before = site.rels()
    assert site.error("package_relationship_create", "ed", status, **data) == err
    assert site.rels() == before


def test_relationship_authorization(site):
    before = site.rels()
    err = site.error("package_relationship_create", None, 403, subject=DS, object=DS2,
                     type="links_to")
    assert err["message"] == ("Access denied: Action package_relationship_create requires an "
                              "authenticated user")
    for user, other in (("mo", DS2), ("out", DS2), ("ed", OTHER)):
        err = site.error("package_relationship_create", user, 403, subject=DS, object=other,
                         type="links_to")
        assert err == {"__type": "Authorization Error",
                       "message": f"Access denied: User {user} not authorized to edit these "
                                  "packages"}
    assert site.rels() == before
    site.ok("package_relationship_create", "sam", subject=DS, object=OTHER, type="links_to")
    after = site.rels()
    err = site.error("package_relationship_update", "ed", 403, subject=DS, object=OTHER,
                     type="links_to", comment="x")
    assert err["message"] == "Access denied: User ed not authorized to edit these packages"
    rel_id = site.one("SELECT id::text FROM package_relationship WHERE state = 'active' "
                      "AND type = 'links_to'")
    err = site.error("package_relationship_delete", "ed", 403, subject=DS, object=OTHER,
                     type="links_to")
    assert err["message"] == \
        f"Access denied: User ed not authorized to delete relationship {rel_id}"
    assert site.error("package_relationship_delete", "ed", 404, subject=DS, object=OTHER,
                      type="depends_on")["message"] == "Not found"
    assert site.rels() == after
    assert site.ok("package_relationship_delete", "sam", subject=OTHER, object=DS,
                   type="linked_from") is None


def test_concurrent_creates_each_get_their_own_place(site):
    from concurrent.futures import ThreadPoolExecutor
    rid = resources(site, "397000000a-000201")[0]

    def create(i):
        return site.post("resource_view_create", "sam", resource_id=rid, title=str(i),
                         view_type="text_view").status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(create, range(12))) == [200] * 12
    orders = [o for (o,) in site.sql('SELECT "order" FROM resource_view WHERE resource_id = %s '
                                     'ORDER BY 1', rid)]
    assert orders == list(range(12))
