"""The legacy CKAN API v1/v2 REST registers (CKAN 2.7's /api[/1|/2]/rest/...): lists, entities,
sub-entities, writes with tokens, the legacy shapes and error forms, JSONP, /api/tag_counts, and
the same under --sru /api (where /api/rest is Taiwan's and /api/1, /api/2 stay legacy).

Users: sam sysadmin; ann (admin of ann-org, so she writes its datasets), out (belongs nowhere)."""
import json

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, Server, new_database, add_user

SITE = "http://data.example.test"
JSON_TYPE = "application/json;charset=utf-8"



class Site:
    def __init__(self, srv, db, tokens):
        self.srv, self.db, self.tokens = srv, db, tokens

    def req(self, method, path, user=None, **kw):
        headers = kw.pop("headers", {})
        if user:
            headers["Authorization"] = self.tokens[user]
        return requests.request(method, self.srv.base + path, headers=headers, timeout=10, **kw)

    def get(self, path, user=None, **kw):
        return self.req("GET", path, user, **kw)

    def ok(self, path, user=None, **kw):
        r = self.get(path, user, **kw)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == JSON_TYPE
        return r.json()

    def action(self, _action, _user="sam", **data):
        r = requests.post(f"{self.srv.base}/api/3/action/{_action}", json=data,
                          headers={"Authorization": self.tokens[_user]}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    for name in ("ann", "out"):
        tokens[name] = add_user(db, name)
    srv = Server(db, "--site-url", SITE)
    s = Site(srv, db, tokens)
    s.action("organization_create", "ann", name="ann-org", title="Ann's Org")
    s.action("group_create", "sam", name="lakes", title="Lakes",
             extras=[{"key": "region", "value": "north"}])
    s.action("package_create", "sam", name="leg-one", title="Legacy One", owner_org="ann-org",
             notes="First line <b>\n\nSecond", license_id="cc-by",
             tags=[{"name": "water"}, {"name": "lake"}],
             extras=[{"key": "source", "value": "survey"}],
             groups=[{"name": "lakes"}],
             resources=[{"url": "http://x.test/one.csv", "format": "CSV", "name": "one",
                         "description": "Lake levels"},
                        {"url": "http://x.test/two.json", "format": "JSON", "name": "two"}])
    s.action("package_create", "ann", name="leg-two", title="Legacy Two", owner_org="ann-org",
             tags=[{"name": "water"}])
    s.action("package_create", "ann", name="leg-secret", title="Legacy Secret",
             owner_org="ann-org", private=True, tags=[{"name": "water"}])
    s.action("package_relationship_create", "sam", subject="leg-one", object="leg-two",
             type="depends_on", comment="needs two")
    yield s
    srv.stop()


def pid(site, name):
    return site.sql("SELECT id::text FROM package WHERE name = %s", name)[0][0]


def gid(site, name):
    return site.sql("SELECT id::text FROM grp WHERE name = %s", name)[0][0]


def bare_error(r, status, text):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == JSON_TYPE
    assert r.json() == text


# ---- lists --------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api", "/api/1"])
def test_dataset_list_v1_names(site, prefix):
    names = site.ok(prefix + "/rest/dataset")
    assert "leg-one" in names and "leg-two" in names and "leg-secret" not in names
    assert names == sorted(names)
    assert site.ok(prefix + "/rest/package") == names


def test_dataset_list_v2_ids(site):
    ids = site.ok("/api/2/rest/dataset")
    assert pid(site, "leg-one") in ids and "leg-one" not in ids
    assert pid(site, "leg-secret") not in ids
    assert len(ids) == len(site.ok("/api/1/rest/dataset"))


def test_group_tag_license_revision_lists(site):
    assert "lakes" in site.ok("/api/rest/group")
    assert gid(site, "lakes") in site.ok("/api/2/rest/group")
    assert "ann-org" not in site.ok("/api/rest/group")
    tags = site.ok("/api/2/rest/tag")
    assert "water" in tags and "lake" in tags
    lic = site.ok("/api/rest/licenses")
    assert any(x["id"] == "cc-by" for x in lic)
    assert site.ok("/api/rest/revision") == []


def test_list_of_unsupported_register_is_400(site):
    bare_error(site.get("/api/rest/resource"), 400,
               "Bad request - Cannot list entity of this type: resource")
    bare_error(site.get("/api/2/rest/rating"), 400,
               "Bad request - Cannot list entity of this type: rating")


def test_unknown_register_is_404(site):
    bare_error(site.get("/api/rest/nothing"), 404, "Not found - Unknown register: nothing")
    bare_error(site.get("/api/2/rest/nothing/x"), 404, "Not found - Unknown register: nothing")


def test_unknown_path_under_rest_is_legacy_404(site):
    r = site.get("/api/rest/dataset/a/b/c/d")
    assert r.status_code == 404 and r.json().startswith("Not found")


# ---- entities ---------------------------------------------------------------------------------

def test_dataset_v1_shape(site):
    d = site.ok("/api/rest/dataset/leg-one")
    shown = site.action("package_show", id="leg-one")
    assert d["id"] == shown["id"] and d["name"] == "leg-one" and d["title"] == "Legacy One"
    assert sorted(d["tags"]) == ["lake", "water"]
    assert d["extras"]["source"] == "survey"
    assert d["extras"] == {e["key"]: e["value"] for e in shown["extras"]}
    assert d["groups"] == ["lakes"]
    assert d["license"] == shown["license_title"]
    assert d["ratings_average"] is None and d["ratings_count"] == 0
    assert d["notes_rendered"] == "<p>First line &lt;b&gt;</p>\n<p>Second</p>"
    assert d["ckan_url"] == SITE + "/dataset/leg-one"
    assert d["download_url"] == "http://x.test/one.csv"
    assert [r["url"] for r in d["resources"]] == ["http://x.test/one.csv", "http://x.test/two.json"]
    assert all(r["package_id"] == d["id"] and "state" not in r for r in d["resources"])
    assert d["relationships"] == [{"subject": "leg-one", "type": "depends_on",
                                   "object": "leg-two", "comment": "needs two"}]
    assert site.ok("/api/1/rest/dataset/" + d["id"]) == d  # an id reads the same
    assert site.ok("/api/rest/package/leg-one") == d


def test_dataset_v2_shape_refers_by_id(site):
    d1 = site.ok("/api/1/rest/dataset/leg-one")
    d2 = site.ok("/api/2/rest/dataset/leg-one")
    assert d2["groups"] == [gid(site, "lakes")]
    assert "download_url" not in d2
    assert d2["relationships"] == [{"subject": pid(site, "leg-one"), "type": "depends_on",
                                    "object": pid(site, "leg-two"), "comment": "needs two"}]
    same = {k for k in d1 if k not in ("groups", "relationships", "download_url")}
    assert {k: d1[k] for k in same} == {k: d2[k] for k in same}


def test_relationship_seen_from_object_side_is_reversed(site):
    d = site.ok("/api/rest/dataset/leg-two")
    assert d["relationships"] == [{"subject": "leg-two", "type": "dependency_of",
                                   "object": "leg-one", "comment": "needs two"}]


def test_private_dataset_403_and_missing_404(site):
    bare_error(site.get("/api/rest/dataset/leg-secret"), 403,
               f"Access denied - User  not authorized to read package {pid(site, 'leg-secret')}")
    assert site.ok("/api/rest/dataset/leg-secret", "ann")["name"] == "leg-secret"
    bare_error(site.get("/api/rest/dataset/no-such"), 404, "Not found")


def test_group_entity(site):
    g1 = site.ok("/api/rest/group/lakes")
    assert g1["name"] == "lakes" and g1["title"] == "Lakes"
    assert g1["extras"] == {"region": "north"}
    assert g1["packages"] == ["leg-one"] and g1["package_count"] == 1
    g2 = site.ok("/api/2/rest/group/" + gid(site, "lakes"))
    assert g2["packages"] == [pid(site, "leg-one")]
    org = site.ok("/api/rest/group/ann-org")
    assert org["packages"] == ["leg-one", "leg-two"]  # the private one is not the public's
    assert "leg-secret" in site.ok("/api/rest/group/ann-org", "ann")["packages"]
    bare_error(site.get("/api/rest/group/no-group"), 404, "Not found")


def test_tag_entity(site):
    assert site.ok("/api/rest/tag/water") == ["leg-one", "leg-two"]
    assert site.ok("/api/2/rest/tag/water") == sorted([pid(site, "leg-one"), pid(site, "leg-two")])
    bare_error(site.get("/api/rest/tag/no-such-tag"), 404, "Not found")


def test_show_of_unsupported_register_is_400(site):
    bare_error(site.get("/api/rest/licenses/cc-by"), 400,
               "Bad request - Cannot read entity of this type: licenses")
    bare_error(site.get("/api/rest/resource/x"), 400,
               "Bad request - Cannot read entity of this type: resource")
    bare_error(site.get("/api/rest/revision/x"), 404, "Not found")


# ---- sub-entities -----------------------------------------------------------------------------

def test_relationships_lists(site):
    rel = {"subject": "leg-one", "type": "depends_on", "object": "leg-two",
           "comment": "needs two"}
    assert site.ok("/api/rest/dataset/leg-one/relationships") == [rel]
    assert site.ok("/api/rest/dataset/leg-one/depends_on") == [rel]
    assert site.ok("/api/rest/dataset/leg-one/relationships/leg-two") == [rel]
    assert site.ok("/api/rest/dataset/leg-one/depends_on/leg-two") == [rel]
    v2 = site.ok("/api/2/rest/dataset/leg-one/relationships")
    assert v2 == [dict(rel, subject=pid(site, "leg-one"), object=pid(site, "leg-two"))]
    bare_error(site.get("/api/rest/dataset/leg-one/child_of/leg-two"), 404,
               'Not found - Relationship "leg-one child_of leg-two" not found.')
    bare_error(site.get("/api/rest/dataset/nope/relationships"), 404,
               "Not found - First package named in request was not found.")


def test_activity_lists(site):
    acts = site.ok("/api/rest/dataset/leg-one/activity")
    assert acts and acts[-1]["activity_type"] == "new package"
    assert acts == site.action("package_activity_list", id="leg-one")
    assert site.ok("/api/2/rest/group/lakes/activity")[-1]["activity_type"] == "new group"
    assert site.ok("/api/rest/user/ann/activity")
    bare_error(site.get("/api/rest/dataset/leg-secret/activity"), 403,
               f"Access denied - User  not authorized to read package {pid(site, 'leg-secret')}")
    assert site.ok("/api/rest/dataset/leg-one/revisions") == []


def test_unsupported_sub_list_is_400(site):
    bare_error(site.get("/api/rest/dataset/leg-one/nothing"), 400,
               "Bad request - Cannot list entity of this type: dataset")
    bare_error(site.get("/api/rest/tag/water/activity"), 400,
               "Bad request - Cannot list entity of this type: tag")


# ---- JSONP ----------------------------------------------------------------------------------

def test_jsonp_wraps_200_gets_only(site):
    r = site.get("/api/rest/dataset/leg-two", params={"callback": "cb"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/javascript;charset=utf-8"
    assert r.text.startswith("cb(") and r.text.endswith(");")
    assert json.loads(r.text[3:-2])["name"] == "leg-two"
    r = site.get("/api/rest/dataset/no-such", params={"callback": "cb"})
    assert r.status_code == 404 and r.json() == "Not found"
    r = site.get("/api/rest/tag_counts_no", params={"callback": "cb"})
    assert r.status_code == 404
    # a JSONP call runs as anonymous, whatever credentials come with it
    r = site.get("/api/rest/dataset/leg-secret", "ann", params={"callback": "cb"})
    assert r.status_code == 403


# ---- writes ---------------------------------------------------------------------------------

def test_create_dataset_201_location_and_api_shape(site):
    body = {"name": "leg-new", "title": "New", "owner_org": "ann-org", "tags": "alpha beta",
            "extras": {"k1": "v1", "k2": "v2"}, "groups": ["lakes"],
            "download_url": "http://x.test/new.csv", "notes": "hello"}
    r = site.req("POST", "/api/rest/dataset", "sam", data=json.dumps(body))
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/api/rest/dataset/leg-new"
    d = r.json()
    assert d["name"] == "leg-new" and sorted(d["tags"]) == ["alpha", "beta"]
    assert d["extras"]["k1"] == "v1" and d["extras"]["k2"] == "v2" and d["groups"] == ["lakes"]
    assert [x["url"] for x in d["resources"]] == ["http://x.test/new.csv"]
    assert d == site.ok("/api/rest/dataset/leg-new")
    # what the action API sees
    shown = site.action("package_show", id="leg-new")
    assert sorted(t["name"] for t in shown["tags"]) == ["alpha", "beta"]
    assert [g["name"] for g in shown["groups"]] == ["lakes"]


def test_create_v2_location_by_id_and_package_alias(site):
    r = site.req("POST", "/api/2/rest/package", "ann",
                 json={"name": "leg-v2", "owner_org": "ann-org", "tags": ["t1"]})
    assert r.status_code == 201, r.text
    d = r.json()
    assert r.headers["Location"] == "/api/2/rest/dataset/" + d["id"]
    assert d["tags"] == ["t1"]


def test_create_form_encoded_json(site):
    r = site.req("POST", "/api/1/rest/dataset", "ann",
                 data={json.dumps({"name": "leg-form", "owner_org": "ann-org"}): "1"})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/api/1/rest/dataset/leg-form"


def test_create_without_token_403_and_nothing_left(site):
    before = site.sql("SELECT count(*) FROM package")[0][0]
    r = site.req("POST", "/api/rest/dataset", json={"name": "leg-anon"})
    bare_error(r, 403, "Access denied - User  not authorized to create packages")
    r = site.req("POST", "/api/rest/dataset", "out", json={"name": "leg-out",
                                                            "owner_org": "ann-org"})
    assert r.status_code == 403
    assert site.sql("SELECT count(*) FROM package")[0][0] == before


def test_create_invalid_409_raw_dict(site):
    before = site.sql("SELECT count(*) FROM package")[0][0]
    r = site.req("POST", "/api/rest/dataset", "sam", json={"name": "Bad Name!"})
    assert r.status_code == 409, r.text
    err = r.json()
    assert "__type" not in err and "name" in err and isinstance(err["name"], list)
    r = site.req("POST", "/api/rest/dataset", "sam", json={"name": "leg-one"})
    assert r.status_code == 409 and r.json()["name"] == ["That URL is already in use."]
    assert site.sql("SELECT count(*) FROM package")[0][0] == before


def test_create_bad_bodies(site):
    bare_error(site.req("POST", "/api/rest/dataset", "sam", data="{nope"), 400,
               site.req("POST", "/api/rest/dataset", "sam", data="{nope").json())
    r = site.req("POST", "/api/rest/dataset", "sam", data="{nope")
    assert r.json().startswith("Bad request - JSON Error: ")
    r = site.req("POST", "/api/rest/dataset", "sam", data="[1, 2]")
    assert r.status_code == 400 and r.json().startswith("Bad request - JSON Error: ")
    r = site.req("POST", "/api/rest/dataset", "sam", json={"name": "leg-x", "resources": "x"})
    assert r.status_code == 400
    assert r.json()["success"] is False and r.json()["error"]["__type"] == "Integrity Error"
    assert r.json()["error"]["data"] == {"name": "leg-x", "resources": "x"}


def test_create_unsupported_register(site):
    bare_error(site.req("POST", "/api/rest/rating", "sam", json={}), 400,
               "Bad request - Cannot create new entity of this type: rating None")
    bare_error(site.req("POST", "/api/rest/tag", "sam", json={}), 400,
               "Bad request - Cannot create new entity of this type: tag None")


def test_update_dataset_put_and_post(site):
    r = site.req("POST", "/api/rest/dataset", "ann", json={"name": "leg-upd", "title": "Before",
                                                           "owner_org": "ann-org", "tags": ["aa"]})
    assert r.status_code == 201, r.text
    r = site.req("PUT", "/api/rest/dataset/leg-upd", "ann",
                 json={"name": "leg-upd", "owner_org": "ann-org", "title": "After",
                       "extras": {"x": "1"}})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["title"] == "After" and d["extras"]["x"] == "1"
    assert d["tags"] == []  # the whole dataset is replaced, as CKAN 2.7's code did
    r = site.req("POST", "/api/2/rest/dataset/" + d["id"], "ann",
                 json={"name": "leg-upd", "owner_org": "ann-org", "title": "Again"})
    assert r.status_code == 200 and r.json()["title"] == "Again"
    assert site.ok("/api/rest/dataset/leg-upd")["title"] == "Again"
    r = site.req("PUT", "/api/rest/dataset/leg-upd", "out", json={"title": "x"})
    assert r.status_code == 403 and r.json().startswith("Access denied - User out not authorized")
    r = site.req("PUT", "/api/rest/dataset/no-such", "sam", json={"title": "x"})
    bare_error(r, 404, "Not found - Package was not found.")


def test_delete_dataset(site):
    site.req("POST", "/api/rest/dataset", "ann", json={"name": "leg-del", "owner_org": "ann-org"})
    r = site.req("DELETE", "/api/rest/dataset/leg-del", "out")
    assert r.status_code == 403
    r = site.req("DELETE", "/api/rest/dataset/leg-del", "ann")
    assert r.status_code == 200 and r.text == ""
    assert site.sql("SELECT state FROM package WHERE name = 'leg-del'") == [("deleted",)]
    assert "leg-del" not in site.ok("/api/rest/dataset")
    bare_error(site.req("DELETE", "/api/rest/dataset/no-such", "sam"), 404, "Not found")
    bare_error(site.req("DELETE", "/api/rest/tag/water", "sam"), 400,
               "Bad request - Cannot delete entity of this type: tag ")


def test_group_create_update_delete(site):
    r = site.req("POST", "/api/rest/group", "sam",
                 json={"name": "leg-grp", "title": "G", "extras": {"a": "b"},
                       "packages": ["leg-two"]})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/api/rest/group/leg-grp"
    g = r.json()
    assert g["extras"] == {"a": "b"} and g["packages"] == ["leg-two"]
    r = site.req("PUT", "/api/rest/group/leg-grp", "sam",
                 json={"name": "leg-grp", "title": "G2", "packages": ["leg-one", "leg-two"]})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "G2" and r.json()["packages"] == ["leg-one", "leg-two"]
    r = site.req("DELETE", "/api/rest/group/leg-grp", "out")
    assert r.status_code == 403
    r = site.req("DELETE", "/api/rest/group/leg-grp", "sam")
    assert r.status_code == 200
    assert "leg-grp" not in site.ok("/api/rest/group")


def test_relationship_writes(site):
    base = "/api/rest/dataset/leg-two/child_of/leg-one"
    r = site.req("POST", base, "sam", json={"comment": "kid"})
    assert r.status_code == 201, r.text
    assert r.json() == {"subject": "leg-two", "type": "child_of", "object": "leg-one",
                        "comment": "kid"}
    r = site.req("PUT", base, "sam", json={"comment": "still"})
    assert r.status_code == 200 and r.json()["comment"] == "still"
    assert site.ok(base) == [{"subject": "leg-two", "type": "child_of", "object": "leg-one",
                              "comment": "still"}]
    r = site.req("PUT", "/api/2" + base[4:], "sam", json={"comment": "v2"})
    assert r.json()["subject"] == pid(site, "leg-two")
    assert site.req("DELETE", base, "out").status_code == 403
    r = site.req("DELETE", base, "sam")
    assert r.status_code == 200
    assert site.get(base).status_code == 404
    r = site.req("POST", "/api/rest/dataset/leg-two/bogus/leg-one", "sam", json={})
    assert r.status_code == 400


def test_methods_not_in_the_api(site):
    r = site.req("PUT", "/api/rest/dataset", "sam", json={})
    assert r.status_code == 405
    r = site.req("DELETE", "/api/rest/dataset/leg-one/relationships", "sam")
    assert r.status_code == 405


# ---- tag_counts -------------------------------------------------------------------------------

def test_tag_counts(site):
    for prefix in ("/api", "/api/1", "/api/2"):
        counts = dict(tuple(x) for x in site.ok(prefix + "/tag_counts"))
        assert counts["lake"] == 1
        # leg-secret is private: not counted for the public
        n = site.sql("""SELECT count(*) FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
                        JOIN package p ON p.id = pt.package_id
                        WHERE t.name = 'water' AND p.state = 'active' AND NOT p.private""")[0][0]
        assert counts["water"] == n


# ---- --sru /api ------------------------------------------------------------------------------

def test_sru_api_keeps_legacy_under_versions(site):
    s = Server(site.db, "--sru", "/api", "--site-url", SITE)
    try:
        r = requests.get(s.base + "/api/1/rest/dataset/leg-one", timeout=10)
        assert r.status_code == 200 and r.json()["name"] == "leg-one"
        r = requests.get(s.base + "/api/2/rest/dataset", timeout=10)
        assert r.status_code == 200 and pid(site, "leg-one") in r.json()
        r = requests.get(s.base + "/api/search/dataset", params={"q": "leg-one"}, timeout=10)
        assert r.status_code == 200 and "leg-one" in r.json()["results"]
        # /api/rest is the Taiwan API's there, what its routes do not take included
        r = requests.get(s.base + "/api/rest/dataset", timeout=10)
        assert r.status_code == 200 and r.json()["success"] is True
        for method, path in (("GET", "/api/rest/nope"), ("GET", "/api/rest/dataset/a/b"),
                             ("POST", "/api/rest/dataset")):
            r = requests.request(method, s.base + path, timeout=10)
            assert r.status_code == 404 and r.json()["error"]["type"].startswith("ER010004")
        r = requests.post(s.base + "/api/1/rest/dataset", json={"name": "x-y"}, timeout=10)
        assert r.status_code == 403 and r.json().startswith("Access denied")
    finally:
        s.stop()


# ---- /api/util helpers of the legacy API ---------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api", "/api/1", "/api/2"])
def test_util_helpers(site, prefix):
    u = prefix + "/util"
    assert site.ok(u + "/is_slug_valid", params={"slug": "leg-one", "type": "package"}) == \
        {"valid": False}
    assert site.ok(u + "/is_slug_valid", params={"slug": "free-name", "type": "package"}) == \
        {"valid": True}
    assert site.ok(u + "/is_slug_valid", params={"slug": "new", "type": "group"}) == \
        {"valid": False}
    assert site.ok(u + "/is_slug_valid", params={"slug": "lakes", "type": "group"}) == \
        {"valid": False}
    bare_error(site.get(u + "/is_slug_valid", params={"slug": "x", "type": "user"}), 400,
               "Bad request - Bad slug type: user")
    assert site.ok(u + "/dataset/munge_name", params={"name": "Caf\u00e9 Au.Lait"}) == \
        "cafe-au-lait"
    assert site.ok(u + "/dataset/munge_title_to_name",
                   params={"title": " My -- Title! "}) == "my-title"
    assert site.ok(u + "/dataset/munge_title_to_name", params={"name": "x"}) == "x_"
    assert site.ok(u + "/tag/munge", params={"tag": " Road Safety! "}) == "road-safety"
    assert site.ok(u + "/markdown", params={"q": "a <i>\n\nb"}) == "<p>a &lt;i&gt;</p>\n<p>b</p>"
    assert site.ok(u + "/markdown") == ""
    status = site.ok(u + "/status")
    assert status == site.get("/api/3/action/status_show").json()["result"]
    # the autocompletes stay the CKAN family's
    assert "ResultSet" in site.ok(u + "/dataset/autocomplete", params={"incomplete": "leg"})


def test_util_jsonp(site):
    r = site.get("/api/util/tag/munge", params={"tag": "A b", "callback": "f"})
    assert r.text == 'f("a-b");'
