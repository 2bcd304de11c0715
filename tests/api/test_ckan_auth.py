"""Authenticated CKAN calls (ckan-research §2, ckan-api.md "Tokens"): an API token in
Authorization (raw or "Bearer ") or X-CKAN-API-Key names a user; what each caller may read follows
CKAN's permission labels: public+active for everyone, a private/draft/deleted dataset for the
members of its organization (or, without one, its creator) and for sysadmins. Unknown, revoked
or expired tokens and deleted users are anonymous; JSONP (`callback`) calls are anonymous.

On the demo catalogue plus the users and changes of test_ckan_group.SETUP: alice admin of
a41000000g and creator of PRIVATE (owned by 382000000a), bob editor of 382000000a, carol
sysadmin, dave deleted. Here also: DRAFT, an unowned draft alice created, and the datastore
resource RID's dataset made private inside an organization bob is a member of."""
import os
import subprocess

import psycopg2
import pytest
import requests

from conftest import BIN, DEMO_CATALOG, Server, new_database, run_import, validate
from test_ckan_group import PRIVATE, DELETED, REAL, SETUP, SITE
from test_datastore_read import RID, make_table

DRAFT = "a41000000g-000137"

MORE = f"""
UPDATE package SET state = 'draft', owner_org = NULL,
       creator_user_id = (SELECT id FROM users WHERE name = 'alice') WHERE name = '{DRAFT}';
UPDATE package SET private = true
WHERE id = (SELECT package_id FROM resource WHERE id = '{RID}');
INSERT INTO member (group_id, table_name, table_id, capacity)
SELECT p.owner_org, 'user', u.id, 'member' FROM resource r JOIN package p ON p.id = r.package_id,
       users u WHERE r.id = '{RID}' AND u.name = 'bob'
ON CONFLICT DO NOTHING;
"""


class Site:
    def __init__(self, srv, db, tokens):
        self.srv, self.db, self.tokens = srv, db, tokens

    def call(self, action, user=None, header="Authorization", prefix="", **params):
        headers = {header: prefix + self.tokens[user]} if user else {}
        return self.srv.get(f"/api/3/action/{action}", params=params, headers=headers)

    def result(self, action, user=None, **params):
        r = self.call(action, user, **params)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None

    def one(self, query, *args):
        return self.sql(query, *args)[0][0]


def add_user(db, *args):
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", *args, "--db", db],
                       check=True, capture_output=True, text=True)
    return p.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "catalog", REAL, check=True)
    tokens = {}
    for args in (["alice", "--email", " Alice@Example.org "], ["bob"], ["carol", "--sysadmin"],
                 ["dave"]):
        tokens[args[0]] = add_user(db, *args)
    tokens["eve"] = add_user(db, "eve", "--email", "eve@example.org")  # belongs nowhere
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(SETUP)
        cur.execute(MORE)
    make_table(db)
    srv = Server(db, "--site-url", SITE)
    yield Site(srv, db, tokens)
    srv.stop()


def pid(site, name):
    return site.one("SELECT id::text FROM package WHERE name = %s", name)


def denied(r, message):
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["success"] is False
    assert body["error"] == {"__type": "Authorization Error", "message": message}


# ---- who is calling ------------------------------------------------------------------------------


@pytest.mark.parametrize("header,prefix", [
    ("Authorization", ""), ("Authorization", "Bearer "), ("authorization", "bearer "),
    ("X-CKAN-API-Key", "")])
def test_token_headers(site, header, prefix):
    r = site.call("package_show", "bob", header=header, prefix=prefix, id=PRIVATE)
    assert r.status_code == 200, r.text
    assert r.json()["result"]["private"] is True


def test_ckanapi_sends_both_headers(site):
    t = site.tokens["bob"]
    r = site.srv.get("/api/3/action/package_show", params={"id": PRIVATE},
                     headers={"Authorization": t, "X-CKAN-API-Key": t})
    assert r.status_code == 200


def test_anonymous_is_denied_with_ckans_message(site):
    denied(site.call("package_show", id=PRIVATE),
           f"Access denied: User  not authorized to read package {pid(site, PRIVATE)}")


@pytest.mark.parametrize("token", ["not-a-token", "Bearer", "x" * 43, "Bearer x"])
def test_unknown_token_is_anonymous(site, token):
    r = site.srv.get("/api/3/action/package_show", params={"id": PRIVATE},
                     headers={"Authorization": token})
    denied(r, f"Access denied: User  not authorized to read package {pid(site, PRIVATE)}")
    assert site.call("package_show", id="a41000000g-000001").status_code == 200


def test_deleted_user_is_anonymous(site):
    site.sql("INSERT INTO member (group_id, table_name, table_id, capacity) "
             "SELECT g.id, 'user', u.id, 'admin' FROM grp g, users u "
             "WHERE g.name = '382000000a' AND u.name = 'dave' ON CONFLICT DO NOTHING")
    denied(site.call("package_show", "dave", id=PRIVATE),
           f"Access denied: User  not authorized to read package {pid(site, PRIVATE)}")


def test_member_of_another_org_is_named_in_the_denial(site):
    # alice created PRIVATE, but it belongs to an organization: only its members may read it
    denied(site.call("package_show", "alice", id=PRIVATE),
           f"Access denied: User alice not authorized to read package {pid(site, PRIVATE)}")


def test_sysadmin_reads_everything(site):
    assert site.result("package_show", "carol", id=PRIVATE)["name"] == PRIVATE
    assert site.result("package_show", "carol", id=DELETED)["state"] == "deleted"
    assert site.result("package_show", "carol", id=DRAFT)["state"] == "draft"


def test_unowned_draft_is_its_creators(site):
    assert site.result("package_show", "alice", id=DRAFT)["state"] == "draft"
    denied(site.call("package_show", "bob", id=DRAFT),
           f"Access denied: User bob not authorized to read package {pid(site, DRAFT)}")


def test_org_member_reads_deleted_dataset_of_the_org(site):
    owner = site.one("SELECT g.name FROM package p JOIN grp g ON g.id = p.owner_org "
                     "WHERE p.name = %s", DELETED)
    site.sql("INSERT INTO member (group_id, table_name, table_id, capacity) "
             "SELECT g.id, 'user', u.id, 'member' FROM grp g, users u "
             "WHERE g.name = %s AND u.name = 'eve' ON CONFLICT DO NOTHING", owner)
    try:
        assert site.result("package_show", "eve", id=DELETED)["state"] == "deleted"
    finally:
        site.sql("DELETE FROM member WHERE table_id = (SELECT id FROM users WHERE name = 'eve')")
    assert site.call("package_show", "eve", id=DELETED).status_code == 403


def test_jsonp_call_is_anonymous(site):
    r = site.call("package_show", "bob", id=PRIVATE, callback="cb")
    assert r.status_code == 403


def test_revoked_and_expired_tokens_are_anonymous(site, cluster):
    t = add_user(site.db, "bob")  # a second token for bob
    h = {"Authorization": t}
    assert site.srv.get("/api/3/action/package_show", params={"id": PRIVATE},
                        headers=h).status_code == 200
    site.sql("UPDATE api_token SET expires_at = now() - interval '1 second' "
             "WHERE token_hash = sha256(convert_to(%s, 'UTF8'))", t)
    assert site.srv.get("/api/3/action/package_show", params={"id": PRIVATE},
                        headers=h).status_code == 403
    site.sql("DELETE FROM api_token WHERE token_hash = sha256(convert_to(%s, 'UTF8'))", t)
    assert site.srv.get("/api/3/action/package_show", params={"id": PRIVATE},
                        headers=h).status_code == 403


def test_use_records_last_access(site):
    site.sql("UPDATE api_token SET last_access = NULL WHERE token_hash = "
             "sha256(convert_to(%s, 'UTF8'))", site.tokens["eve"])
    site.result("status_show", "eve")
    assert site.one("SELECT last_access IS NOT NULL FROM api_token WHERE token_hash = "
                    "sha256(convert_to(%s, 'UTF8'))", site.tokens["eve"])


def test_post_with_token(site):
    r = requests.post(site.srv.base + "/api/3/action/package_show", json={"id": PRIVATE},
                      headers={"Authorization": site.tokens["bob"]}, timeout=10)
    assert r.status_code == 200


# ---- datasets and resources ----------------------------------------------------------------------


def test_resource_show_follows_its_dataset(site):
    res_id = site.one("SELECT r.id FROM resource r JOIN package p ON p.id = r.package_id "
                      "WHERE p.name = %s ORDER BY r.position LIMIT 1", PRIVATE)
    assert site.result("resource_show", "bob", id=res_id)["id"] == res_id
    denied(site.call("resource_show", id=res_id),
           f"Access denied: User  not authorized to read resource {res_id}")
    denied(site.call("resource_show", "eve", id=res_id),
           f"Access denied: User eve not authorized to read resource {res_id}")


def test_current_package_list_shows_private_to_sysadmins(site):
    def names(user):
        return {d["name"] for d in site.result("current_package_list_with_resources", user,
                                               limit=1000)}
    assert PRIVATE in names("carol")
    assert PRIVATE not in names(None) and PRIVATE not in names("bob")
    assert DRAFT not in names("carol")  # active datasets only


def test_package_activity_list_of_private_dataset(site):
    assert isinstance(site.result("package_activity_list", "bob", id=PRIVATE), list)
    assert site.call("package_activity_list", id=PRIVATE).status_code == 403


# ---- package_search --------------------------------------------------------------------------


def found(site, user, name, **params):
    r = site.call("package_search", user, fq=f"name:{name}", **params)
    assert r.status_code == 200, r.text
    validate(r.json(), "ckan-package-search.schema.json")
    return [d["name"] for d in r.json()["result"]["results"]]


@pytest.mark.parametrize("user,params,want", [
    (None, {"include_private": "true"}, False),
    ("bob", {}, False),                              # +capacity:public unless include_private
    ("bob", {"include_private": "true"}, True),      # member of the owner organization
    ("alice", {"include_private": "true"}, False),   # creator, but not a member
    ("carol", {"include_private": "true"}, True),
    ("eve", {"include_private": "true"}, False),
])
def test_search_private(site, user, params, want):
    assert found(site, user, PRIVATE, **params) == ([PRIVATE] if want else [])


@pytest.mark.parametrize("user,params,want", [
    ("alice", {}, False),
    ("alice", {"include_drafts": "true"}, True),     # her own unowned draft
    ("bob", {"include_drafts": "true"}, False),
    (None, {"include_drafts": "true"}, False),
    ("carol", {"include_drafts": "true"}, True),
])
def test_search_drafts(site, user, params, want):
    assert found(site, user, DRAFT, **params) == ([DRAFT] if want else [])


def test_search_deleted_for_sysadmin(site):
    assert found(site, "carol", DELETED, include_deleted="true") == [DELETED]
    assert found(site, None, DELETED, include_deleted="true") == []


def test_search_counts_differ_by_caller(site):
    anon = site.result("package_search", rows=0, include_private="true")["count"]
    admin = site.result("package_search", "carol", rows=0, include_private="true")["count"]
    private_active = site.one("SELECT count(*) FROM package WHERE state = 'active' AND private")
    assert admin == anon + private_active


# ---- groups, organizations, users ------------------------------------------------------------


def test_organization_show_counts_private_datasets_for_members(site):
    anon = site.result("organization_show", id="382000000a", include_datasets="true")
    bob = site.result("organization_show", "bob", id="382000000a", include_datasets="true")
    assert bob["package_count"] == anon["package_count"] + 1
    assert PRIVATE in {d["name"] for d in bob["packages"]} | {
        d["name"] for d in site.result("package_search", "bob", include_private="true",
                                       fq="organization:382000000a", rows=1000)["results"]}
    assert PRIVATE not in {d["name"] for d in anon["packages"]}


def test_organization_list_for_user_without_id_is_the_caller(site):
    rid_org = site.one("SELECT g.name FROM resource r JOIN package p ON p.id = r.package_id "
                       "JOIN grp g ON g.id = p.owner_org WHERE r.id = %s", RID)
    names = {o["name"] for o in site.result("organization_list_for_user", "bob")}
    assert names == {"382000000a", rid_org}
    assert site.result("organization_list_for_user") == []
    all_orgs = site.one("SELECT count(*) FROM grp WHERE is_organization AND state = 'active'")
    assert len(site.result("organization_list_for_user", "carol")) == all_orgs


def test_user_show_email_for_self_and_sysadmin(site):
    anon = site.result("user_show", id="alice")
    assert "email" not in anon and "apikey" not in anon
    me = site.result("user_show", "alice", id="alice")
    assert me["email"] == " Alice@Example.org " or me["email"].strip() == "Alice@Example.org"
    assert me["apikey"] is None
    assert site.result("user_show", "carol", id="alice")["email"] == me["email"]
    assert "email" not in site.result("user_show", "bob", id="alice")


def test_user_show_without_id_is_the_caller(site):
    assert site.result("user_show", "bob")["name"] == "bob"
    assert site.call("user_show").status_code == 404


def test_user_show_counts_own_drafts_and_private(site):
    public = site.result("user_show", id="alice")["number_created_packages"]
    own = site.result("user_show", "alice", id="alice")["number_created_packages"]
    assert own == public + 2  # PRIVATE and DRAFT


def test_user_list_email_filter_is_for_sysadmins(site):
    denied(site.call("user_list", "bob", email="eve@example.org"), "Access denied")
    assert site.result("user_list", "carol", email="eve@example.org", all_fields="false") \
        == ["eve"]


# ---- datastore -------------------------------------------------------------------------------


def test_datastore_of_private_dataset(site):
    r = site.call("datastore_search", resource_id=RID, limit=1)
    denied(r, f"Access denied: User  not authorized to read resource {RID}")
    assert site.result("datastore_search", "bob", resource_id=RID, limit=1)["records"]
    assert site.result("datastore_info", "carol", id=RID)["meta"]["id"] == RID
    assert site.call("datastore_info", "eve", id=RID).status_code == 403


def test_taiwan_api_never_shows_private_data(site):
    for path in (f"/api/v1/rest/datastore/{RID}", f"/api/v1/dump/datastore/{RID}"):
        r = site.srv.get(path, headers={"Authorization": site.tokens["carol"]})
        assert r.status_code == 404, path
        err = r.json()["error"]
        assert err["type"].startswith("ER0100:")
        assert err["message"] == f'找不到資料: Resource "{RID}" was not found.'


def test_ckan_dump_of_private_dataset(site):
    r = site.srv.get(f"/datastore/dump/{RID}")
    denied(r, f"Access denied: User  not authorized to read resource {RID}")
    r = site.srv.get(f"/datastore/dump/{RID}?limit=2",
                     headers={"Authorization": site.tokens["bob"]})
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("_id,") and len(lines) == 3
    r = site.srv.get(f"/datastore/dump/{RID}", headers={"Authorization": site.tokens["eve"]})
    denied(r, f"Access denied: User eve not authorized to read resource {RID}")


# ---- user/group/organization_autocomplete actions (the lists of /api/util/*/autocomplete) ----


def test_user_autocomplete_action(site):
    res = site.result("user_autocomplete", q="A")
    assert [u["name"] for u in res] == ["alice", "carol"]  # "Carol Admin"; dave is deleted
    assert set(res[0]) == {"id", "name", "fullname"}
    assert [u["name"] for u in site.result("user_autocomplete", "alice", q="a",
                                           ignore_self="true")] == ["carol"]
    assert len(site.result("user_autocomplete", q="", limit=2)) == 2
    r = site.call("user_autocomplete")
    assert r.status_code == 409 and r.json()["error"]["q"] == ["Missing value"]
    r = site.call("user_autocomplete", q="a", limit="x")
    assert r.status_code == 409 and "limit" in r.json()["error"]


def test_group_and_organization_autocomplete_actions(site):
    orgs = site.result("organization_autocomplete", q="382")
    assert [o["name"] for o in orgs] == ["382000000a"] and set(orgs[0]) == {"id", "name", "title"}
    assert site.result("group_autocomplete", q="382") == []
    groups = site.result("group_autocomplete", q="e0", limit=1)
    assert [g["name"] for g in groups] == ["e00"]
    util = site.srv.get("/api/util/group/autocomplete", params={"q": "e0", "limit": 1}).json()
    assert util == groups  # the same list as the util endpoint
    old = site.result("group_autocomplete", q="old")
    assert old == []  # deleted groups are left out
