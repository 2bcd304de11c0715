"""The authorization matrix: every write action served × the caller's role, under CKAN's
default authorization (ckan-research §2.4; CKAN 2.11's ckan/logic/auth/*.py). An allowed call
answers 200; a refused one answers 403 with CKAN's Authorization Error and changes nothing.
Then what each role reads of private, draft and deleted datasets along every read path (403 for
those who may not see a dataset that exists, as CKAN's API answers; lists leave it out; the
Taiwan API shows only public active datasets), that a group write feeds the Taiwan API's
categoryCode, and that concurrent writes to one organization lose nothing.

Roles: anon (no token), user (no organization), other (admin of another organization), member,
editor and admin of the organization the target belongs to, sysadmin."""
import itertools
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import BIN, DEMO_CATALOG, ROOT, Server, new_database, run_import, WriteSite, add_user

ROLES = ["anon", "user", "other", "member", "editor", "admin", "sysadmin"]
USERS = {"user": "nob", "other": "oth", "member": "mem", "editor": "edi", "admin": "adm",
         "sysadmin": "sam"}
HOME = "382000000a"  # the demo organization whose datasets the dataset-level writes touch
D1, D2 = "382000000a-000101", "382000000a-000102"
SRU = "/api/v1"
PM25 = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
# A dataset of each kind in HOME, and a DataStore table in each (kind → (dataset, resource)).
KINDS = {"public": ("382000000a-000103", "MX-PUBLIC-1"),
         "private": ("382000000a-000104", "MX-PRIVATE-1"),
         "draft": ("382000000a-000105", "MX-DRAFT-1"),
         "deleted": ("387000000a-000301", "MX-DELETED-1")}
MEMBERS = {"member", "editor", "admin", "sysadmin"}  # who reads HOME's non-public datasets

# Tables a refused write must leave as they were (api_token.last_access moves on use).
STATE_SQL = """SELECT md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM users t),
    (SELECT string_agg(concat_ws(' ', id, user_id, name), ',' ORDER BY id) FROM api_token),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM grp t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM member t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM group_extra t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM vocabulary t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM tag t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM package t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM resource t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM resource_view t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM package_relationship t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM datastore_table t),
    (SELECT count(*) FROM activity)))"""


class Site(WriteSite):
    def __init__(self, srv, db, tokens):
        super().__init__(srv, db, tokens)
        self.seq = itertools.count()

    def ok(self, action, who="sysadmin", /, **data):
        """Setups run as the sysadmin unless told otherwise."""
        return super().ok(action, who, **data)

    def name(self, prefix):
        return f"{prefix}-{next(self.seq)}"

    def user(self):
        n = self.name("mx")
        self.ok("user_create", name=n, email=f"{n}@x.test", password="secret-password")
        return n

    def org(self, is_org=True):
        """A new organization (or group) with the member, editor and admin roles in it (a
        group has no editors)."""
        n = self.name("mxo" if is_org else "mxg")
        kind = "organization" if is_org else "group"
        self.ok(f"{kind}_create", name=n)
        for role in ("member", "editor", "admin") if is_org else ("member", "admin"):
            self.ok(f"{kind}_member_create", id=n, username=USERS[role], role=role)
        return n

    def vocabulary(self):
        return self.ok("vocabulary_create", name=self.name("mxv"), tags=[{"name": "t1"}])["id"]

    def view(self):
        rid = resource_of(self, D1)
        return self.ok("resource_view_create", resource_id=rid, title="v",
                       view_type="text_view")["id"]


def resource_of(site, name):
    return site.one("SELECT r.id FROM resource r JOIN package p ON p.id = r.package_id "
                    "WHERE p.name = %s AND r.state = 'active' ORDER BY r.position, r.id LIMIT 1",
                    name)



@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    for kind, (dataset, rid) in KINDS.items():
        run_import(db, "csv", PM25, "--resource-id", rid, "--dataset", dataset, check=True)
    tokens = {"sysadmin": add_user(db, "sam", "--sysadmin")}
    for role in ("user", "other", "member", "editor", "admin"):
        tokens[role] = add_user(db, USERS[role])
    srv = Server(db)
    s = Site(srv, db, tokens)
    s.ok("organization_create", "other", name="oth-org")
    for role in ("member", "editor", "admin"):
        s.ok("organization_member_create", id=HOME, username=USERS[role], role=role)
    s.sql("UPDATE package SET private = true WHERE name = %s", KINDS["private"][0])
    s.sql("UPDATE package SET state = 'draft' WHERE name = %s", KINDS["draft"][0])
    # the deleted one moved into HOME first, so that HOME's members may read it
    s.sql("UPDATE package SET state = 'deleted', owner_org = (SELECT id FROM grp WHERE name = %s) "
          "WHERE name = %s", HOME, KINDS["deleted"][0])
    # one free tag and one Taiwan category on every kind of dataset
    s.sql("INSERT INTO tag (name) VALUES ('mx-everywhere')")
    for dataset, _ in KINDS.values():
        s.sql("INSERT INTO package_tag (package_id, tag_id) SELECT p.id, t.id FROM package p, "
              "tag t WHERE p.name = %s AND t.name = 'mx-everywhere'", dataset)
        s.ok("member_create", id="i00", object=dataset, object_type="package",
             capacity="public")
    yield s
    srv.stop()


# ---- the write matrix --------------------------------------------------------------------------
# action → (setup(site) → the request's data, the roles allowed). Setups run as the sysadmin
# and make fresh targets, so that every case starts alike.

ALL_USERS = set(ROLES) - {"anon"}
ADMINS = {"admin", "sysadmin"}
EDITORS = {"editor", "admin", "sysadmin"}
SYSADMIN = {"sysadmin"}


def _token_of(site):
    user = site.user()
    site.ok("api_token_create", user=user, name="t")
    return {"jti": site.ok("api_token_list", user_id=user)[0]["id"]}


def _member_of(site, kind):
    o, u = site.org(kind == "organization"), site.user()
    site.ok(f"{kind}_member_create", id=o, username=u, role="member")
    return {"id": o, "username": u}


class _Named(str):
    """A dataset's or resource's id that knows its organization or dataset."""


def _dataset(site):
    """A dataset in a new organization: by package_create, or by SQL where it is not served."""
    org, name = site.org(), site.name("mxd")
    if "package_create" in site.served:
        site.ok("package_create", name=name, owner_org=org)
    else:
        site.sql("INSERT INTO package (name, title, owner_org) SELECT %s, %s, g.id FROM grp g "
                 "WHERE g.name = %s", name, name, org)
    d = _Named(name)
    d.org = org
    return d


def _resource(site):
    d = _dataset(site)
    if "resource_create" in site.served:
        rid = site.ok("resource_create", package_id=d, url="http://x.test/a.csv",
                      name="a")["id"]
    else:
        rid = site.name("MX-RES")
        site.sql("INSERT INTO resource (id, package_id, name, download_url) SELECT %s, p.id, "
                 "'a', 'http://x.test/a.csv' FROM package p WHERE p.name = %s", rid, d)
    r = _Named(rid)
    r.dataset = d
    return r


def _table(site):
    r = _resource(site)
    site.ok("datastore_create", resource_id=r, force=True, fields=[{"id": "a", "type": "int4"}],
            records=[{"a": 1}])
    return r


def _relationship(site):
    site.ok("package_relationship_create", subject=D1, object=D2, type="links_to")
    return {"subject": D1, "object": D2, "type": "links_to", "comment": "c"}


WRITES = {
    "user_create": (lambda s: {"name": s.name("mxn"), "email": "n@x.test",
                               "password": "secret-password"}, SYSADMIN),
    "user_update": (lambda s: (lambda u: {"id": u, "name": u, "email": "u@x.test"})(s.user()),
                    SYSADMIN),
    "user_patch": (lambda s: {"id": s.user(), "about": "changed"}, SYSADMIN),
    "user_delete": (lambda s: {"id": s.user()}, SYSADMIN),
    "api_token_create": (lambda s: {"user": s.user(), "name": "t"}, SYSADMIN),
    "api_token_list": (lambda s: {"user_id": s.user()}, SYSADMIN),
    "api_token_revoke": (_token_of, SYSADMIN),
    "vocabulary_create": (lambda s: {"name": s.name("mxv")}, SYSADMIN),
    "vocabulary_update": (lambda s: {"id": s.vocabulary(), "name": s.name("mxv")}, SYSADMIN),
    "vocabulary_delete": (lambda s: {"id": s.vocabulary()}, SYSADMIN),
    "tag_create": (lambda s: {"name": "t2", "vocabulary_id": s.vocabulary()}, SYSADMIN),
    "tag_delete": (lambda s: {"id": "t1", "vocabulary_id": s.vocabulary()}, SYSADMIN),
    "organization_create": (lambda s: {"name": s.name("mxo")}, ALL_USERS),
    "organization_update": (lambda s: {"id": s.org(), "title": "T"}, ADMINS),
    "organization_patch": (lambda s: {"id": s.org(), "title": "T"}, ADMINS),
    "organization_delete": (lambda s: {"id": s.org()}, ADMINS),
    "organization_purge": (lambda s: {"id": s.org()}, SYSADMIN),
    "group_create": (lambda s: {"name": s.name("mxg")}, ALL_USERS),
    "group_update": (lambda s: {"id": s.org(False), "title": "T"}, ADMINS),
    "group_patch": (lambda s: {"id": s.org(False), "title": "T"}, ADMINS),
    "group_delete": (lambda s: {"id": s.org(False)}, ADMINS),
    "group_purge": (lambda s: {"id": s.org(False)}, SYSADMIN),
    "member_create": (lambda s: {"id": s.org(), "object": s.user(), "object_type": "user",
                                 "capacity": "member"}, ADMINS),
    "member_create/dataset-into-group": (
        lambda s: {"id": s.org(False), "object": D1, "object_type": "package",
                   "capacity": "public"}, {"member", "admin", "sysadmin"}),
    "member_delete": (lambda s: (lambda m: {"id": m["id"], "object": m["username"],
                                            "object_type": "user"})(_member_of(s, "organization")),
                      ADMINS),
    "organization_member_create": (lambda s: {"id": s.org(), "username": s.user(),
                                              "role": "member"}, ADMINS),
    "organization_member_delete": (lambda s: _member_of(s, "organization"), ADMINS),
    "group_member_create": (lambda s: {"id": s.org(False), "username": s.user(),
                                       "role": "member"}, ADMINS),
    "group_member_delete": (lambda s: _member_of(s, "group"), ADMINS),
    "resource_view_create": (lambda s: {"resource_id": resource_of(s, D1), "title": "v",
                                        "view_type": "image_view"}, EDITORS),
    "resource_view_update": (lambda s: {"id": s.view(), "title": "w"}, EDITORS),
    "resource_view_delete": (lambda s: {"id": s.view()}, EDITORS),
    "resource_view_reorder": (lambda s: {"id": resource_of(s, D1), "order": [s.view()]},
                              EDITORS),
    "resource_view_clear": (lambda s: {"view_types": ["audio_view"]}, SYSADMIN),
    "package_relationship_create": (lambda s: {"subject": D1, "object": D2,
                                               "type": "depends_on"}, EDITORS),
    "package_relationship_update": (_relationship, EDITORS),
    "package_relationship_delete": (_relationship, EDITORS),
    # dataset, resource and DataStore writes (rows of actions not served yet are skipped)
    "package_create": (lambda s: {"name": s.name("mxd"), "owner_org": s.org()}, EDITORS),
    "package_update": (lambda s: (lambda d: {"id": d, "name": d, "owner_org": d.org,
                                             "title": "T"})(_dataset(s)), EDITORS),
    "package_patch": (lambda s: {"id": _dataset(s), "title": "T"}, EDITORS),
    "package_revise": (lambda s: {"match": {"name": _dataset(s)}, "update": {"title": "T"}},
                       EDITORS),
    "package_delete": (lambda s: {"id": _dataset(s)}, EDITORS),
    "dataset_purge": (lambda s: {"id": _dataset(s)}, SYSADMIN),
    "package_owner_org_update": (lambda s: {"id": _dataset(s), "organization_id": HOME},
                                 SYSADMIN),
    "package_resource_reorder": (lambda s: (lambda r: {"id": r.dataset, "order": [r]})(
        _resource(s)), EDITORS),
    "bulk_update_private": (lambda s: (lambda d: {"datasets": [d], "org_id": d.org})(
        _dataset(s)), ADMINS),
    "bulk_update_public": (lambda s: (lambda d: {"datasets": [d], "org_id": d.org})(
        _dataset(s)), ADMINS),
    "bulk_update_delete": (lambda s: (lambda d: {"datasets": [d], "org_id": d.org})(
        _dataset(s)), ADMINS),
    "resource_create": (lambda s: {"package_id": _dataset(s), "url": "http://x.test/b.csv",
                                   "name": "b"}, EDITORS),
    "resource_update": (lambda s: {"id": _resource(s), "url": "http://x.test/c.csv"}, EDITORS),
    "resource_patch": (lambda s: {"id": _resource(s), "name": "c"}, EDITORS),
    "resource_delete": (lambda s: {"id": _resource(s)}, EDITORS),
    "datastore_create": (lambda s: {"resource_id": _resource(s), "force": True,
                                    "fields": [{"id": "a", "type": "int4"}],
                                    "records": [{"a": 1}]}, EDITORS),
    "datastore_upsert": (lambda s: {"resource_id": _table(s), "force": True, "method": "insert",
                                    "records": [{"a": 2}]}, EDITORS),
    "datastore_delete": (lambda s: {"resource_id": _table(s), "force": True}, EDITORS),
    "datastore_records_delete": (lambda s: {"resource_id": _table(s), "force": True,
                                            "filters": {}}, EDITORS),
    # a resource that has no upload: refused with the loader's word, but not as a stranger
    "xloader_submit": (lambda s: {"resource_id": _resource(s)}, EDITORS, (200, 409)),
}


@pytest.fixture(scope="module")
def served():
    """The actions the server serves (`opendatad routes`): name → POST only."""
    out = subprocess.run([os.path.join(BIN, "opendatad"), "routes"], check=True,
                         capture_output=True, text=True).stdout
    return {a["name"]: a["post_only"] for a in json.loads(out)["ckan_actions"]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(WRITES))
def test_write_matrix(site, served, case, role):
    site.served = served
    action = case.split("/")[0]
    if action not in served:
        pytest.skip(f"{action} is not served")
    setup, allowed, *ok = WRITES[case]
    data = setup(site)
    before = site.one(STATE_SQL)
    r = site.post(action, role, **data)
    body = r.json()
    if role in allowed:
        assert r.status_code in (ok[0] if ok else (200,)), r.text
        if r.status_code != 200:
            assert body["error"]["__type"] != "Authorization Error"
    else:
        assert r.status_code == 403, r.text
        assert body["success"] is False
        assert body["error"]["__type"] == "Authorization Error"
        assert body["error"]["message"].startswith("Access denied")
        assert site.one(STATE_SQL) == before


def test_the_matrix_covers_every_write_action_served(served):
    """A write action (POST only) added later must get its row here."""
    writes = {name for name, post_only in served.items() if post_only}
    covered = {c.split("/")[0] for c in WRITES}
    assert "user_create" in writes
    assert writes - covered == set()


# ---- visibility of private, draft and deleted datasets -----------------------------------------

def readable(role, kind):
    return kind == "public" or role in MEMBERS


def call(site, action, role, **params):
    return site.post(action, role, **params)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("action", ["package_show", "resource_show", "datastore_search",
                                    "datastore_info", "package_activity_list",
                                    "package_relationships_list", "resource_view_list"])
def test_show_paths(site, action, kind, role):
    dataset, rid = KINDS[kind]
    params = {"package_show": {"id": dataset}, "resource_show": {"id": rid},
              "datastore_search": {"resource_id": rid}, "datastore_info": {"id": rid},
              "package_activity_list": {"id": dataset},
              "package_relationships_list": {"id": dataset},
              "resource_view_list": {"id": rid}}[action]
    r = call(site, action, role, **params)
    if readable(role, kind):
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403, r.text
        assert r.json()["error"]["__type"] == "Authorization Error"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_datastore_dump(site, kind, role):
    rid = KINDS[kind][1]
    token = site.tokens.get(role)
    r = site.srv.get(f"/datastore/dump/{rid}",
                     headers={"Authorization": token} if token else {})
    assert r.status_code == (200 if readable(role, kind) else 403), r.text[:300]


def test_missing_datasets_are_404_for_everyone(site):
    for role in ROLES:
        for action, params in (("package_show", {"id": "no-such-dataset"}),
                               ("resource_show", {"id": "no-such-resource"}),
                               ("datastore_search", {"resource_id": "no-such-resource"})):
            r = call(site, action, role, **params)
            assert r.status_code == 404, (action, role, r.text)
            assert r.json()["error"]["__type"] == "Not Found Error"


def names(results):
    return {p["name"] for p in results}


@pytest.mark.parametrize("role", ROLES)
def test_search_and_lists(site, role):
    hidden = {KINDS[k][0] for k in ("private", "draft", "deleted")}
    public = KINDS["public"][0]
    res = site.ok("package_search", role, q="*:*", rows=1000)["results"]
    assert public in names(res) and names(res) & hidden == set()
    res = site.ok("package_search", role, q="*:*", rows=1000, include_private=True)["results"]
    want = {KINDS["private"][0]} if role in MEMBERS else set()
    assert names(res) & hidden == want
    listed = set(site.ok("package_list", role))
    assert public in listed and listed & hidden == set()
    cur = site.ok("current_package_list_with_resources", role, limit=1000)
    want = {KINDS["private"][0]} if role == "sysadmin" else set()
    assert public in names(cur) and names(cur) & hidden == want
    rname = site.one("SELECT name FROM resource WHERE id = %s", KINDS["public"][1])
    assert site.one("SELECT count(*) FROM resource WHERE name = %s", rname) >= len(KINDS)
    found = site.ok("resource_search", role, query=f"name:{rname}", limit=1000)["results"]
    ids = {r["id"] for r in found}
    assert KINDS["public"][1] in ids
    assert ids & {KINDS[k][1] for k in ("private", "draft", "deleted")} == set()
    tagged = site.ok("tag_show", role, id="mx-everywhere", include_datasets=True)
    assert names(tagged["packages"]) == {public}
    org = site.ok("organization_show", role, id=HOME, include_datasets=True)
    want = {KINDS["private"][0]} if role in MEMBERS else set()
    assert public in names(org["packages"]) and names(org["packages"]) & hidden == want
    assert org["package_count"] == len(org["packages"])


@pytest.fixture(scope="module")
def grouped(site):
    """Every kind of dataset in one group."""
    g = site.name("mxshow")
    site.ok("group_create", name=g)
    for dataset, _ in KINDS.values():
        site.ok("member_create", id=g, object=dataset, object_type="package", capacity="public")
    return g


@pytest.mark.parametrize("role", ROLES)
def test_group_package_show_shows_public_active_datasets_only(site, grouped, role):
    shown = names(site.ok("group_package_show", role, id=grouped, limit=100))
    assert shown == {KINDS["public"][0]}
    g = site.ok("group_show", role, id=grouped)
    assert g["package_count"] == 1


def test_taiwan_api_shows_only_public_active_datasets(site):
    listed = site.srv.get(f"{SRU}/rest/dataset", params={"limit": 1000}).json()["result"]
    flat = set(map(str, listed)) if listed and not isinstance(listed[0], dict) else \
        {str(x.get("identifier")) for x in listed}
    assert KINDS["public"][0].upper() in {x.upper() for x in flat}
    for kind in ("private", "draft", "deleted"):
        dataset, rid = KINDS[kind]
        assert dataset.upper() not in {x.upper() for x in flat}
        for path in (f"{SRU}/rest/dataset/{dataset.upper()}", f"{SRU}/rest/datastore/{rid}",
                     f"{SRU}/dump/datastore/{rid}"):
            for token in (None, site.tokens["sysadmin"]):  # no callers there: a token is moot
                r = site.srv.get(path, headers={"Authorization": token} if token else {})
                assert r.status_code == 404, (path, r.text[:200])
                assert r.json()["error"]["type"].startswith("ER0100")
    public, rid = KINDS["public"]
    tagged = site.srv.get(f"{SRU}/rest/tag/mx-everywhere").json()["result"]
    assert [x.upper() for x in tagged] == [public.upper()]
    grouped = site.srv.get(f"{SRU}/rest/group/I00").json()["result"]
    shown = {x.upper() for x in grouped["packages"]}
    assert public.upper() in shown
    assert shown & {KINDS[k][0].upper() for k in ("private", "draft", "deleted")} == set()
    assert site.srv.get(f"{SRU}/rest/dataset/{public.upper()}").status_code == 200
    assert site.srv.get(f"{SRU}/rest/datastore/{rid}").status_code == 200


# ---- the Taiwan API follows group writes; concurrent writes ------------------------------------

def category(site, dataset):
    r = site.srv.get(f"{SRU}/rest/dataset/{dataset.upper()}")
    assert r.status_code == 200, r.text
    return r.json()["result"]["categoryCode"]


def test_group_writes_feed_the_taiwan_category_code(site):
    dataset = "382000000a-000103"
    for code in [c for (c,) in site.sql(
            "SELECT c.code FROM tw_category c JOIN member m ON m.group_id = c.group_id "
            "JOIN package p ON p.id = m.table_id WHERE p.name = %s AND m.state = 'active'",
            dataset)]:
        site.ok("member_delete", id=code.lower(), object=dataset, object_type="package")
    assert category(site, dataset) is None
    site.ok("member_create", id="h00", object=dataset, object_type="package", capacity="public")
    assert category(site, dataset) == "H00"
    site.ok("member_create", id="b00", object=dataset, object_type="package", capacity="public")
    assert category(site, dataset) == "B00"
    site.ok("member_delete", id="b00", object=dataset, object_type="package")
    assert category(site, dataset) == "H00"
    site.ok("group_purge", id="h00")
    assert category(site, dataset) is None


def test_concurrent_member_writes_to_one_organization_lose_nothing(site):
    org = site.org()
    users = [site.user() for _ in range(24)]

    def add(u):
        return site.post("organization_member_create", "admin", id=org, username=u,
                         role="editor").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, users))
    assert statuses == [200] * len(users)
    members = site.ok("member_list", id=org, object_type="user")
    ids = dict(site.sql("SELECT name, id::text FROM users WHERE name = ANY(%s)", users))
    assert {m[0] for m in members} >= set(ids.values())
    assert sum(1 for m in members if m[0] in ids.values() and m[2] == "Editor") == len(users)

    def drop(u):
        return site.post("member_delete", "admin", id=org, object=u,
                         object_type="user").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(drop, users[:12]))
    assert statuses == [200] * 12
    left = {m[0] for m in site.ok("member_list", id=org, object_type="user")}
    assert left & set(ids.values()) == {ids[u] for u in users[12:]}
