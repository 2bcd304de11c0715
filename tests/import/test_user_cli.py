"""The operator's `opendatad user ...` commands (sql/functions/13_users.sql): list, remove,
password, token list|add|revoke, member add|remove. Each on a throwaway database, through the
real binary: what it prints, its exit status (0 done, 1 refused or failed, 2 usage), what it
stored (rows as CKAN keeps them), and what the API then lets a token read: a revoked token, a
removed user's token and a token of a user no longer a member read as anonymous callers do.

The demo catalogue; PRIVATE is made a private dataset of ORG, which only ORG's members (and
sysadmins) may read."""
import json
import os
import subprocess
import warnings

import psycopg2
import pytest

from conftest import BIN, DEMO_CATALOG, Server, new_database

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Python 3.11's crypt(3) binding: libxcrypt, as the server links

ORG = "a41000000g"
PRIVATE = "a41000000g-000001"


def opendatad(db, *args, stdin=None):
    return subprocess.run([os.path.join(BIN, "opendatad"), "user", *args, "--db", db],
                          input=stdin, capture_output=True, text=True, timeout=60)


def ok(db, *args, stdin=None):
    p = opendatad(db, *args, stdin=stdin)
    assert p.returncode == 0, p.stderr
    return p.stdout


def refused(db, *args, stdin=None, message):
    p = opendatad(db, *args, stdin=stdin)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert p.stderr == f"opendatad: error: {message}\n"


def token_of(out):
    return out.strip().splitlines()[-1]


class Site:
    def __init__(self, db, srv):
        self.db, self.srv = db, srv

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None

    def refused_as(self, token):
        """package_show of PRIVATE with this token: None when read, else the caller CKAN's 403
        names ('' for anonymous: an unknown, revoked or deleted user's token)."""
        r = self.srv.get("/api/3/action/package_show", params={"id": PRIVATE},
                         headers={"Authorization": token})
        if r.status_code == 200:
            return None
        assert r.status_code == 403, r.text
        m = r.json()["error"]["message"]
        assert m.startswith("Access denied: User ") and " not authorized to read package " in m
        return m[len("Access denied: User "):m.index(" not authorized")]

    def reads_private(self, token):
        return self.refused_as(token) is None


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("UPDATE package SET private = true WHERE name = %s", (PRIVATE,))
    srv = Server(db)
    yield Site(db, srv)
    srv.stop()


def test_list_table_and_json(site):
    db = site.db
    ok(db, "add", "lt-ann", "--email", "ann@example.org")
    ok(db, "add", "lt-bo", "--sysadmin")
    ok(db, "token", "add", "lt-bo")
    out = ok(db, "list")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SYSADMIN", "STATE", "EMAIL", "TOKENS"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows["lt-ann"] == ["lt-ann", "no", "active", "ann@example.org", "1"]
    assert rows["lt-bo"] == ["lt-bo", "yes", "active", "-", "2"]
    # columns line up: every row starts its columns where the titles do
    starts = [lines[0].index(t) for t in ("SYSADMIN", "STATE", "EMAIL", "TOKENS")]
    for l in lines[1:]:
        assert all(l[s - 2:s] == "  " and l[s] != " " for s in starts), l
    users = json.loads(ok(db, "list", "--json"))
    by = {u["name"]: u for u in users}
    assert by["lt-ann"] == {"name": "lt-ann", "sysadmin": False, "state": "active",
                            "email": "ann@example.org", "tokens": 1}
    assert by["lt-bo"] == {"name": "lt-bo", "sysadmin": True, "state": "active", "email": None,
                           "tokens": 2}
    assert [u["name"] for u in users] == sorted(u["name"] for u in users)


def test_token_add_list_revoke(site):
    db = site.db
    first = token_of(ok(db, "add", "tk-cy"))
    out = ok(db, "token", "add", "tk-cy", "--name", "harvester")
    assert out.splitlines()[0] == "user tk-cy has a new API token:"  # as `user add` prints
    second = token_of(out)
    assert len(second) == 43 and second != first
    ok(db, "member", "add", ORG, "tk-cy", "member")
    assert site.reads_private(first) and site.reads_private(second)

    listing = ok(db, "token", "list", "tk-cy")
    assert listing.splitlines()[0].split() == ["ID", "NAME", "CREATED", "LAST", "USED"]
    assert first not in listing and second not in listing  # never the token
    tokens = json.loads(ok(db, "token", "list", "tk-cy", "--json"))
    assert [t["name"] for t in tokens] == ["cli", "harvester"]
    assert all(set(t) == {"id", "name", "created", "last_used"} for t in tokens)
    assert all(t["created"].endswith("Z") and t["last_used"] for t in tokens)  # both were used
    ids = [t["id"] for t in tokens]
    assert all(i in listing for i in ids)

    assert ok(db, "token", "revoke", ids[1]) == f"API token {ids[1]} of user tk-cy revoked\n"
    assert site.refused_as(second) == ""  # revoked: anonymous
    assert site.reads_private(first)  # the other still works
    assert [t["id"] for t in json.loads(ok(db, "token", "list", "tk-cy", "--json"))] == ids[:1]
    refused(db, "token", "revoke", ids[1], message=f'no API token with id "{ids[1]}"')
    refused(db, "token", "list", "tk-nobody", message='no user "tk-nobody"')
    refused(db, "token", "add", "tk-nobody", message='no user "tk-nobody"')
    assert site.sql("SELECT count(*) FROM users WHERE name = 'tk-nobody'")[0][0] == 0


def test_a_revoked_token_is_anonymous_to_package_search(site):
    db = site.db
    token = token_of(ok(db, "add", "ps-dee"))
    ok(db, "member", "add", ORG, "ps-dee", "editor")

    def private_found(t):
        r = site.srv.get("/api/3/action/package_search",
                         params={"q": f"name:{PRIVATE}", "include_private": "true"},
                         headers={"Authorization": t})
        assert r.status_code == 200, r.text
        return r.json()["result"]["count"]

    assert private_found(token) == 1
    tid = json.loads(ok(db, "token", "list", "ps-dee", "--json"))[0]["id"]
    ok(db, "token", "revoke", tid)
    assert private_found(token) == 0


def test_remove(site):
    db = site.db
    token = token_of(ok(db, "add", "rm-eve"))
    ok(db, "token", "add", "rm-eve")
    ok(db, "member", "add", ORG, "rm-eve", "admin")
    assert site.reads_private(token)
    assert ok(db, "remove", "rm-eve") == "user rm-eve deleted; 2 API token(s) revoked\n"
    assert site.sql("SELECT state FROM users WHERE name = 'rm-eve'") == [("deleted",)]
    assert site.sql("SELECT count(*) FROM api_token t JOIN users u ON u.id = t.user_id "
                    "WHERE u.name = 'rm-eve'") == [(0,)]
    assert site.sql("SELECT m.capacity, m.state FROM member m JOIN users u ON u.id = m.table_id "
                    "WHERE m.table_name = 'user' AND u.name = 'rm-eve'") == [("admin", "deleted")]
    assert site.refused_as(token) == ""  # a deleted user's token: anonymous
    by = {u["name"]: u for u in json.loads(ok(db, "list", "--json"))}
    assert by["rm-eve"]["state"] == "deleted" and by["rm-eve"]["tokens"] == 0
    assert ok(db, "remove", "rm-eve") == "user rm-eve was deleted already; 0 API token(s) revoked\n"
    refused(db, "token", "add", "rm-eve",
            message='user "rm-eve" is deleted: a token would not log in')
    refused(db, "member", "add", ORG, "rm-eve", "member",
            message='user "rm-eve" is deleted: a member must be an active user')
    refused(db, "remove", "rm-nobody", message='no user "rm-nobody"')


def test_password(site):
    db = site.db
    ok(db, "add", "pw-fay")
    assert ok(db, "password", "pw-fay", stdin="s3cret 密碼\n") == "user pw-fay has a new password\n"
    (h,), = site.sql("SELECT password_hash FROM users WHERE name = 'pw-fay'")
    assert h.startswith("$y$") and "s3cret" not in h
    assert crypt.crypt("s3cret 密碼", h) == h
    assert crypt.crypt("s3cret", h) != h
    ok(db, "password", "pw-fay", stdin="other\r\n")  # a CRLF line end is not part of it
    (h2,), = site.sql("SELECT password_hash FROM users WHERE name = 'pw-fay'")
    assert h2 != h and crypt.crypt("other", h2) == h2
    refused(db, "password", "pw-fay", stdin="", message="no password on stdin")
    refused(db, "password", "pw-fay", stdin="\n", message="the password is empty")
    refused(db, "password", "pw-nobody", stdin="x\n", message='no user "pw-nobody"')
    assert site.sql("SELECT password_hash FROM users WHERE name = 'pw-fay'") == [(h2,)]
    # never from the command line
    p = opendatad(db, "password", "pw-fay", "hunter2", stdin="x\n")
    assert p.returncode == 2 and "usage: opendatad user password NAME" in p.stderr
    assert site.sql("SELECT password_hash FROM users WHERE name = 'pw-fay'") == [(h2,)]


def member_rows(site, user):
    return site.sql("SELECT g.name, m.table_name, m.capacity, m.state FROM member m "
                    "JOIN grp g ON g.id = m.group_id JOIN users u ON u.id = m.table_id "
                    "WHERE m.table_name = 'user' AND u.name = %s ORDER BY g.name", user)


def test_member_add_and_remove(site):
    db = site.db
    token = token_of(ok(db, "add", "mb-gus"))
    assert site.refused_as(token) == "mb-gus"
    assert ok(db, "member", "add", ORG, "mb-gus", "member") == \
        f"user mb-gus is now member of organization {ORG}\n"
    assert member_rows(site, "mb-gus") == [(ORG, "user", "member", "active")]
    assert site.reads_private(token)
    assert ok(db, "member", "add", ORG, "mb-gus", "member") == \
        f"user mb-gus was member of organization {ORG} already\n"
    org_id = site.sql("SELECT id::text FROM grp WHERE name = %s", ORG)[0][0]
    assert ok(db, "member", "add", org_id, "mb-gus", "editor") == \
        f"user mb-gus is now editor of organization {ORG} (was member)\n"
    assert member_rows(site, "mb-gus") == [(ORG, "user", "editor", "active")]
    # member_list shows it as CKAN does
    r = site.srv.get("/api/3/action/member_list", params={"id": ORG, "object_type": "user"})
    uid = site.sql("SELECT id::text FROM users WHERE name = 'mb-gus'")[0][0]
    assert [uid, "user", "Editor"] in r.json()["result"]

    assert ok(db, "member", "remove", ORG, "mb-gus") == \
        f"user mb-gus (editor) is no longer a member of organization {ORG}\n"
    assert member_rows(site, "mb-gus") == [(ORG, "user", "editor", "deleted")]
    assert site.refused_as(token) == "mb-gus"
    refused(db, "member", "remove", ORG, "mb-gus",
            message=f'user "mb-gus" is not a member of organization "{ORG}"')
    ok(db, "member", "add", ORG, uid, "admin")  # a user by id; a deleted row comes back
    assert member_rows(site, "mb-gus") == [(ORG, "user", "admin", "active")]

    refused(db, "member", "add", ORG, "mb-gus", "owner",
            message='capacity "owner" is not one of admin, editor, member')
    refused(db, "member", "add", "no-such-org", "mb-gus", "member",
            message='no organization "no-such-org"')
    group = site.sql("SELECT name FROM grp WHERE NOT is_organization LIMIT 1")[0][0]
    refused(db, "member", "add", group, "mb-gus", "member", message=f'no organization "{group}"')
    refused(db, "member", "add", ORG, "mb-nobody", "member", message='no user "mb-nobody"')
    refused(db, "member", "remove", ORG, "mb-nobody", message='no user "mb-nobody"')
    assert member_rows(site, "mb-gus") == [(ORG, "user", "admin", "active")]


SUBCOMMANDS = [["add"], ["list"], ["remove"], ["password"], ["token", "list"], ["token", "add"],
               ["token", "revoke"], ["member", "add"], ["member", "remove"]]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_help(words):
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", *words, "--help"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("usage: opendatad user " + " ".join(words) + " ")
    assert "--db" in p.stdout


def test_help_lists_every_subcommand():
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", "--help"], capture_output=True,
                       text=True)
    assert p.returncode == 0
    for words in SUBCOMMANDS:
        assert "opendatad user " + " ".join(words) + " " in p.stdout


@pytest.mark.parametrize("args", [
    ["frob"], ["token"], ["token", "frob", "x"], ["member", "add", ORG, "x"], ["list", "x"],
    ["remove"], ["token", "revoke"], ["member", "remove", ORG], ["token", "add", "x", "--name"],
    ["list", "--bogus"]], ids=" ".join)
def test_usage_errors(site, args):
    p = opendatad(site.db, *args)
    assert p.returncode == 2, p.stderr
    assert p.stdout == "" and p.stderr.startswith("opendatad: error: ")


def test_no_database():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", "list"], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 1
    assert "no database" in p.stderr
