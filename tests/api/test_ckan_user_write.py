"""CKAN's user and API token writes (ckan-research §2.1, §2.4, §3.4, §5.5): user_create,
user_update, user_patch, user_delete, api_token_create, api_token_list, api_token_revoke.

A fresh demo database with alice (member of PRIVATE's organization), bob, carol (sysadmin); one
server as CKAN's defaults (no user_create but by sysadmins) and one with
--create-user-via-api. Every refusal is checked to leave the database as it was."""
import os
import subprocess

import psycopg2
import pytest
import requests

from conftest import BIN, DEMO_CATALOG, Server, new_database

PRIVATE = "382000000a-000101"
ORG = "382000000a"


class Site:
    def __init__(self, srv, open_srv, db, tokens):
        self.srv, self.open_srv, self.db, self.tokens = srv, open_srv, db, tokens

    def post(self, action, who=None, auth=None, srv=None, **data):
        auth = auth or (self.tokens[who] if who else None)
        headers = {"Authorization": auth} if auth else {}
        return requests.post(f"{(srv or self.srv).base}/api/3/action/{action}", json=data,
                             headers=headers, timeout=10)

    def ok(self, action, who=None, **data):
        r = self.post(action, who, **data)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args or None)
            return cur.fetchall() if cur.description else None

    def one(self, query, *args):
        return self.sql(query, *args)[0][0]

    def state(self):
        """What a failed write must leave untouched."""
        return self.sql("SELECT (SELECT json_agg(u ORDER BY u.id)::text FROM users u),"
                        " (SELECT json_agg(t ORDER BY t.id)::text FROM api_token t),"
                        " (SELECT count(*) FROM activity),"
                        " (SELECT json_agg(m ORDER BY m.id)::text FROM member m)")[0]


def opendatad(db, *args):
    p = subprocess.run([os.path.join(BIN, "opendatad"), *args, "--db", db], check=True,
                       capture_output=True, text=True)
    return p.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {}
    for args in (["alice", "--email", "alice@example.org"], ["bob"], ["carol", "--sysadmin"]):
        tokens[args[0]] = opendatad(db, "user", "add", *args)
    opendatad(db, "user", "member", "add", ORG, "alice", "member")
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("UPDATE package SET private = true WHERE name = %s", (PRIVATE,))
    srv = Server(db)
    open_srv = Server(db, "--create-user-via-api", "true")
    yield Site(srv, open_srv, db, tokens)
    srv.stop()
    open_srv.stop()


def error(r, status, **expected):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False
    assert body["error"] == expected
    return body


def denied(r, message="Access denied"):
    error(r, 403, __type="Authorization Error", message=message)


def invalid(r, **fields):
    error(r, 409, __type="Validation Error", **fields)


USER_KEYS = {"about", "activity_streams_email_notifications", "apikey", "created", "display_name",
             "email", "email_hash", "fullname", "id", "image_display_url", "image_url",
             "last_active", "name", "number_created_packages", "state", "sysadmin"}


# ---- GET and the table ---------------------------------------------------------------------
@pytest.mark.parametrize("action", ["user_create", "user_update", "user_patch", "user_delete",
                                    "api_token_create", "api_token_revoke"])
def test_get_is_refused(site, action):
    r = requests.get(f"{site.srv.base}/api/3/action/{action}",
                     headers={"Authorization": site.tokens["carol"]}, timeout=10)
    assert r.status_code == 400
    assert "Please use POST method for your request" in r.text


def test_api_token_list_allows_get(site):
    r = requests.get(f"{site.srv.base}/api/3/action/api_token_list",
                     params={"user_id": "bob"}, headers={"Authorization": site.tokens["bob"]},
                     timeout=10)
    assert r.status_code == 200, r.text


# ---- user_create -----------------------------------------------------------------------------
def test_user_create_by_sysadmin(site):
    u = site.ok("user_create", "carol", name="frank", email="frank@example.org",
                password="correct horse", fullname="Frank", about="hi")
    assert set(u) == USER_KEYS
    assert u["name"] == "frank" and u["email"] == "frank@example.org"
    assert u["fullname"] == "Frank" and u["about"] == "hi" and u["sysadmin"] is False
    assert u["state"] == "active" and u["apikey"] is None
    assert "password" not in u and "password_hash" not in u and "token" not in u
    shown = site.ok("user_show", "carol", id="frank")
    assert shown == u
    assert site.one("SELECT password_hash LIKE '$y$%' FROM users WHERE name = 'frank'")
    acts = site.ok("user_activity_list", id="frank")
    assert [(a["activity_type"], a["user_id"], a["object_id"], a["data"]) for a in acts] == \
        [("new user", u["id"], u["id"], {})]


def test_user_create_sysadmin_flag_and_token(site):
    u = site.ok("user_create", "carol", name="gina", email="gina@example.org",
                password="12345678", sysadmin="true", with_apitoken=True)
    assert u["sysadmin"] is True
    token = u.pop("token")
    assert len(token) == 43
    me = requests.post(f"{site.srv.base}/api/3/action/user_show", json={},
                       headers={"Authorization": token}, timeout=10).json()["result"]
    assert me["name"] == "gina" and me["email"] == "gina@example.org"
    assert site.ok("api_token_list", "carol", user_id="gina")[0]["name"] == "default"


def test_user_create_refused_without_setting(site):
    before = site.state()
    denied(site.post("user_create", name="hank", email="h@example.org", password="12345678"),
           "Access denied: User  not authorized to create users via the API")
    denied(site.post("user_create", "bob", name="hank", email="h@example.org",
                     password="12345678"),
           "Access denied: User bob not authorized to create users via the API")
    assert site.state() == before


def test_user_create_via_api_setting(site):
    r = site.post("user_create", srv=site.open_srv, name="ivan", email="ivan@example.org",
                  password="12345678", sysadmin=True, state="deleted")
    assert r.status_code == 200, r.text
    u = r.json()["result"]
    # sysadmin and state are sysadmins' fields: ignored
    assert u["sysadmin"] is False and u["state"] == "active" and u["email"] == "ivan@example.org"


def test_user_create_validation(site):
    before = site.state()
    invalid(site.post("user_create", "carol"), name=["Missing value"],
            email=["Missing value"], password=["Missing value"])
    invalid(site.post("user_create", "carol", name="alice", email="alice@example.org",
                      password="short"),
            name=["That login name is not available."],
            email=["The email address 'alice@example.org' belongs to a registered user."],
            password=["Your password must be 8 characters or longer"])
    invalid(site.post("user_create", "carol", name="Bad Name", email="not-an-email",
                      password=12345678),
            name=["Must be purely lowercase alphanumeric (ascii) characters and these "
                  "symbols: -_"],
            email=["Email not-an-email is not a valid format"],
            password=["Passwords must be strings"])
    invalid(site.post("user_create", "carol", name="x", email="x@example.org",
                      password="12345678", about="see https://spam.example"),
            name=["Must be at least 2 characters long"],
            about=["Edit not allowed as it looks like spam. Please avoid links in your "
                   "description."])
    invalid(site.post("user_create", "carol", name="edit", email="e@example.org",
                      password=""),
            name=["That name cannot be used"], password=["Missing value"])
    invalid(site.post("user_create", "carol", name="a" * 101, email="ALICE@example.org",
                      password="12345678"),
            name=["Name must be a maximum of 100 characters long"],
            email=["The email address 'ALICE@example.org' belongs to a registered user."])
    assert site.state() == before


def test_user_create_password_hash_by_sysadmin(site):
    u = site.ok("user_create", "carol", name="judy", email="judy@example.org",
                password_hash="$y$j9T$abc$def")
    assert site.one("SELECT password_hash FROM users WHERE id = %s", u["id"]) == "$y$j9T$abc$def"


def test_user_create_ignores_private_keys(site):
    # "_"-keys are the server's own: a client's are dropped
    r = site.post("user_create", name="kate", email="kate@example.org", password="12345678",
                  _via_api=True)
    denied(r, "Access denied: User  not authorized to create users via the API")


# ---- user_update / user_patch -------------------------------------------------------------------
def test_user_update_self(site):
    u = site.ok("user_update", "bob", id="bob", email="bob@example.org", fullname="Bob B",
                password="new password 1")
    assert u["fullname"] == "Bob B" and u["email"] == "bob@example.org"
    assert set(u) == USER_KEYS
    assert site.ok("user_show", "bob", id="bob") == u
    acts = site.ok("user_activity_list", id="bob")
    assert acts[0]["activity_type"] == "changed user" and acts[0]["object_id"] == u["id"]
    # fields left out keep their values; sysadmin is a sysadmin's field
    u2 = site.ok("user_update", "bob", id=u["id"], email="bob@example.org", sysadmin=True)
    assert u2["fullname"] == "Bob B" and u2["sysadmin"] is False


def test_user_update_refusals(site):
    before = site.state()
    error(site.post("user_update", "bob"), 409, __type="Validation Error", id=["Missing value"])
    error(site.post("user_update", "bob", id="nobody", email="x@example.org"), 404,
          __type="Not Found Error", message="Not found: User was not found.")
    denied(site.post("user_update", id="bob", email="x@example.org"),
           "Access denied: Have to be logged in to edit user")
    alice = site.one("SELECT id::text FROM users WHERE name = 'alice'")
    denied(site.post("user_update", "bob", id="alice", email="x@example.org"),
           f"Access denied: User bob not authorized to edit user {alice}")
    invalid(site.post("user_update", "bob", id="bob"), email=["Missing value"])
    invalid(site.post("user_update", "bob", id="bob", name="bobby", email="bob@example.org",
                      password="1234567"),
            name=["That login name can not be modified."],
            password=["Your password must be 8 characters or longer"])
    invalid(site.post("user_update", "bob", id="bob", email="alice@example.org"),
            email=["The email address 'alice@example.org' belongs to a registered user."])
    invalid(site.post("user_update", "carol", id="bob", name="alice", email="bob@example.org"),
            name=["That login name is not available."])
    assert site.state() == before


def test_user_update_by_sysadmin_renames(site):
    site.ok("user_create", "carol", name="leo", email="leo@example.org", password="12345678")
    u = site.ok("user_update", "carol", id="leo", name="leon", email="leon@example.org",
                sysadmin=True)
    assert u["name"] == "leon" and u["sysadmin"] is True and u["email"] == "leon@example.org"


def test_user_patch(site):
    u = site.ok("user_patch", "alice", id="alice", about="steward")
    assert u["about"] == "steward" and u["email"] == "alice@example.org" and u["name"] == "alice"
    u = site.ok("user_patch", "carol", id="alice", fullname="Alice C")
    assert u["about"] == "steward" and u["fullname"] == "Alice C"
    before = site.state()
    denied(site.post("user_patch", "bob", id="alice", about="x"),
           f"Access denied: User bob not authorized to edit user {u['id']}")
    invalid(site.post("user_patch", "alice", id="alice", email=""), email=["Missing value"])
    assert site.state() == before


# ---- tokens -----------------------------------------------------------------------------------
def test_api_token_create_use_revoke(site):
    denied(site.post("package_show", id=PRIVATE),
           f"Access denied: User  not authorized to read package "
           f"{site.one('SELECT id::text FROM package WHERE name = %s', PRIVATE)}")
    token = site.ok("api_token_create", "alice", user="alice", name="laptop")["token"]
    assert site.post("package_show", auth=token, id=PRIVATE).status_code == 200
    listed = site.ok("api_token_list", "alice", user_id="alice")
    mine = [t for t in listed if t["name"] == "laptop"]
    assert len(mine) == 1 and set(mine[0]) == {"id", "name", "user_id", "created_at",
                                               "last_access"}
    assert mine[0]["user_id"] == site.one("SELECT id::text FROM users WHERE name = 'alice'")
    assert site.ok("api_token_revoke", "alice", token=token) is None
    assert site.post("package_show", auth=token, id=PRIVATE).status_code == 403


def test_api_token_revoke_by_jti_and_owner_only(site):
    token = site.ok("api_token_create", "alice", user="alice", name="ci")["token"]
    jti = site.one("SELECT id FROM api_token WHERE name = 'ci'")
    before = site.state()
    denied(site.post("api_token_revoke", jti=jti))
    denied(site.post("api_token_revoke", "bob", jti=jti))
    denied(site.post("api_token_revoke", "bob", token=token))
    denied(site.post("api_token_revoke", "bob", token="no such token"))
    invalid(site.post("api_token_revoke", "bob"), token=["Missing value"])
    assert site.state() == before
    assert site.post("package_show", auth=token, id=PRIVATE).status_code == 200
    assert site.ok("api_token_revoke", "alice", jti=jti) is None
    assert site.post("package_show", auth=token, id=PRIVATE).status_code == 403
    # a sysadmin may revoke anyone's
    t2 = site.ok("api_token_create", "carol", user="alice", name="ci2")["token"]
    assert site.ok("api_token_revoke", "carol", token=t2) is None
    assert site.one("SELECT count(*) FROM api_token WHERE name = 'ci2'") == 0


def test_api_token_refusals(site):
    before = site.state()
    invalid(site.post("api_token_create", "alice"), user=["Missing value"],
            name=["Missing value"])
    error(site.post("api_token_create", "alice", user="nobody", name="x"), 404,
          __type="Not Found Error", message="Not found: User not found")
    denied(site.post("api_token_create", user="alice", name="x"))
    denied(site.post("api_token_create", "bob", user="alice", name="x"))
    invalid(site.post("api_token_create", "alice", user="alice", name=""),
            name=["Missing value"])
    invalid(site.post("api_token_list", "alice"), user_id=["Missing value"])
    denied(site.post("api_token_list", "bob", user_id="alice"))
    denied(site.post("api_token_list", user="alice"))
    denied(site.post("api_token_list", "bob", user_id="nobody"))
    error(site.post("api_token_list", "carol", user="nobody"), 404,
          __type="Not Found Error", message="Not found: User not found")
    assert site.state() == before


# ---- user_delete ------------------------------------------------------------------------------
def test_user_delete(site):
    u = site.ok("user_create", "carol", name="mike", email="mike@example.org",
                password="12345678", with_apitoken=True)
    opendatad(site.db, "user", "member", "add", ORG, "mike", "editor")
    token = u["token"]
    assert site.post("package_show", auth=token, id=PRIVATE).status_code == 200
    before = site.state()
    denied(site.post("user_delete", id="mike"))
    denied(site.post("user_delete", auth=token, id="mike"))
    invalid(site.post("user_delete", "carol"), id=["Missing value"])
    error(site.post("user_delete", "carol", id="nobody"), 404, __type="Not Found Error",
          message='Not found: User "nobody" was not found.')
    assert site.state() == before
    assert site.ok("user_delete", "carol", id="mike") is None
    assert site.post("package_show", auth=token, id=PRIVATE).status_code == 403
    assert site.sql("SELECT state FROM users WHERE name = 'mike'") == [("deleted",)]
    assert site.one("SELECT count(*) FROM api_token t JOIN users u ON u.id = t.user_id"
                    " WHERE u.name = 'mike'") == 0
    assert site.sql("SELECT DISTINCT m.state FROM member m JOIN users u ON u.id = m.table_id"
                    " WHERE u.name = 'mike'") == [("deleted",)]
    assert "mike" not in site.ok("user_list", all_fields=False)


def test_odd_json_values_are_never_500(site):
    before = site.state()
    for body in ('{"name": "a\\u0000b", "email": "n@example.org", "password": "12345678"}',
                 '{"id": NaN, "name": Infinity, "email": "n@example.org"}',
                 '{"fullname": "x\\u0000", "email": "n@example.org", "password": "123"}'):
        for action in ("user_create", "user_update", "user_patch", "api_token_create",
                       "api_token_list", "api_token_revoke"):
            r = requests.post(f"{site.srv.base}/api/3/action/{action}", data=body,
                              headers={"Authorization": site.tokens["carol"],
                                       "Content-Type": "application/json"}, timeout=10)
            assert r.status_code in (400, 404, 409), (action, body, r.text)
    assert site.state() == before


# ---- vocabularies and tags (sysadmins) ------------------------------------------------------
def vocab_state(site):
    return site.sql("SELECT (SELECT json_agg(x ORDER BY x.name)::text FROM vocabulary x),"
                    " (SELECT json_agg(t ORDER BY t.id)::text FROM tag t),"
                    " (SELECT count(*) FROM package_tag)")[0]


def test_vocabulary_lifecycle(site):
    voc = site.ok("vocabulary_create", "carol", name="genre",
                  tags=[{"name": "rock"}, {"name": "jazz"}])
    assert voc["name"] == "genre" and [t["name"] for t in voc["tags"]] == ["jazz", "rock"]
    assert all(t["vocabulary_id"] == voc["id"] for t in voc["tags"])
    assert site.ok("vocabulary_show", id="genre") == voc
    assert voc in site.ok("vocabulary_list")
    assert site.ok("tag_list", vocabulary_id="genre") == ["jazz", "rock"]
    jazz = site.ok("tag_show", id="jazz", vocabulary_id="genre")
    assert jazz == {"display_name": "jazz", "id": jazz["id"], "name": "jazz",
                    "vocabulary_id": voc["id"]}
    voc2 = site.ok("vocabulary_update", "carol", id=voc["id"], name="music",
                   tags=[{"name": "jazz"}, {"name": "blues"}])
    assert voc2["name"] == "music" and [t["name"] for t in voc2["tags"]] == ["blues", "jazz"]
    assert [t["id"] for t in voc2["tags"] if t["name"] == "jazz"] == [jazz["id"]]
    assert site.ok("vocabulary_update", "carol", id="music", name="music")["name"] == "music"
    tag = site.ok("tag_create", "carol", name="soul", vocabulary_id="music")
    assert tag == {"display_name": "soul", "id": tag["id"], "name": "soul",
                   "vocabulary_id": voc["id"]}
    assert site.ok("tag_list", vocabulary_id="music") == ["blues", "jazz", "soul"]
    assert site.ok("tag_delete", "carol", id="soul", vocabulary_id="music") is None
    assert site.ok("tag_delete", "carol", id=jazz["id"]) is None
    assert site.ok("tag_list", vocabulary_id="music") == ["blues"]
    assert site.ok("vocabulary_delete", "carol", id="music") is None
    error(site.post("vocabulary_show", id="music"), 404, __type="Not Found Error",
          message='Not found: Could not find vocabulary "music"')
    assert site.one("SELECT count(*) FROM tag WHERE name = 'blues'") == 0


def test_vocabulary_and_tag_refusals(site):
    site.ok("vocabulary_create", "carol", name="colour", tags=[{"name": "red"}])
    before = vocab_state(site)
    for who in (None, "bob"):
        denied(site.post("vocabulary_create", who, name="x1"))
        denied(site.post("vocabulary_update", who, id="colour", name="x2"))
        denied(site.post("vocabulary_delete", who, id="colour"))
        denied(site.post("tag_create", who, name="blue", vocabulary_id="colour"))
        denied(site.post("tag_delete", who, id="red", vocabulary_id="colour"))
    invalid(site.post("vocabulary_create", "carol"), name=["Missing value"])
    invalid(site.post("vocabulary_create", "carol", name="colour", id="x"),
            name=["That vocabulary name is already in use."],
            id=["The input field id was not expected."])
    invalid(site.post("vocabulary_create", "carol", name="c",
                      tags=[{"name": "ok"}, {"name": "x"}, {}, {"name": "a/b"}]),
            name=["Name must be at least 2 characters long"],
            tags=[{}, {"name": ['Tag "x" length is less than minimum 2']},
                  {"name": ["Missing value"]},
                  {"name": ['Tag "a/b" can only contain alphanumeric characters, spaces (" "), '
                            'hyphens ("-"), underscores ("_") or dots (".")']}])
    invalid(site.post("vocabulary_create", "carol", name="v" * 101),
            name=["Name must be a maximum of 100 characters long"])
    invalid(site.post("vocabulary_update", "carol"), id="id not in data")
    error(site.post("vocabulary_update", "bob", id="nope"), 404, __type="Not Found Error",
          message='Not found: Could not find vocabulary "nope"')
    site.ok("vocabulary_create", "carol", name="shape")
    invalid(site.post("vocabulary_update", "carol", id="shape", name="colour"),
            name=["That vocabulary name is already in use."])
    invalid(site.post("vocabulary_delete", "carol"), id="id not in data")
    error(site.post("vocabulary_delete", "carol", id="nope"), 404, __type="Not Found Error",
          message='Not found: Could not find vocabulary "nope"')
    invalid(site.post("tag_create", "carol"), name=["Missing value"],
            vocabulary_id=["Missing value"])
    invalid(site.post("tag_create", "carol", name="red", vocabulary_id="colour"),
            vocabulary_id=["Tag red already belongs to vocabulary colour"])
    invalid(site.post("tag_create", "carol", name="blue", vocabulary_id="nope"),
            vocabulary_id=["Tag vocabulary was not found."])
    invalid(site.post("tag_delete", "carol"), id="id not in data")
    error(site.post("tag_delete", "carol", id="red"), 404, __type="Not Found Error",
          message='Not found: Could not find tag "red"')
    error(site.post("tag_delete", "bob", id="red", vocabulary_id="nope"), 404,
          __type="Not Found Error", message='Not found: Could not find tag "red"')
    site.ok("vocabulary_delete", "carol", id="shape")
    assert vocab_state(site) == before


def test_tag_delete_reaches_datasets(site):
    name, pkg = site.sql("SELECT t.name, p.name FROM tag t JOIN package_tag pt ON pt.tag_id = t.id"
                         " JOIN package p ON p.id = pt.package_id WHERE t.vocabulary_id IS NULL"
                         " AND p.state = 'active' AND NOT p.private ORDER BY t.name LIMIT 1")[0]
    assert name in [t["name"] for t in site.ok("package_show", id=pkg)["tags"]]
    assert site.ok("tag_delete", "carol", id=name) is None
    assert name not in [t["name"] for t in site.ok("package_show", id=pkg)["tags"]]
    assert name not in site.ok("tag_list")
    hits = site.ok("package_search", fq=f'tags:"{name}"')
    assert hits["count"] == 0
