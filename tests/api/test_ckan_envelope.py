"""What every CKAN answer carries around its result (ckan-research §1.1, §1.5 and the decisions
in ckan-api.md): the /api version roots, the /api/util autocompletes, JSONP, CORS and OPTIONS,
cache headers with ETag/304, the JSON content type, pretty output, and the 403 error kind.
Read-only checks run on the session server; visibility, users, vocabularies, a CORS list and a
datastore dump run on a database of their own."""
import json
import os
import subprocess
from types import SimpleNamespace

import psycopg2
import pytest
import requests

from conftest import (BIN, DEMO_CATALOG, ROOT, Server, db_value, new_database, run_import,
                      validate)

CKAN_JSON = "application/json;charset=utf-8"
TW_JSON = "application/json; charset=utf-8"
JSONP = "application/javascript;charset=utf-8"
PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE_CC = "private, no-store"
ACTION_METHODS = "GET, HEAD, POST, OPTIONS"  # what an action's route takes (CORS says the same)
CORS_HEADERS = "Authorization, X-CKAN-API-Key, Content-Type"
BROWSER_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                  "image/webp,*/*;q=0.8")
EMPTY_SET = {"ResultSet": {"Result": []}}
STATUS = "/api/3/action/status_show"
GROUP = "/api/3/action/group_show?id=e00"


def get(srv, path, **kw):
    kw.setdefault("timeout", 10)
    return requests.get(srv.base + path, **kw)


def action(srv, name, **params):
    return srv.get(f"/api/3/action/{name}", params=params)


# ---- version roots -------------------------------------------------------------------------

@pytest.mark.parametrize("path,version", [("/api", 1), ("/api/", 1), ("/api/1", 1),
                                          ("/api/1/", 1), ("/api/2", 2), ("/api/2/", 2),
                                          ("/api/3", 3), ("/api/3/", 3)])
def test_version_roots(server, path, version):
    r = server.get(path)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == CKAN_JSON
    assert r.json() == {"version": version}


@pytest.mark.parametrize("path", ["/api/1/action/status_show", "/api/2/action/status_show",
                                  "/api/4", "/api/0", "/api/3/util/dataset/autocomplete"])
def test_other_api_paths_are_404(server, path):
    r = server.get(path)
    assert r.status_code == 404
    body = r.json()
    assert body["success"] is False and body["error"]["__type"] == "Not Found Error"


def test_version_root_is_get_only(server):
    r = requests.post(server.base + "/api/3", timeout=10)
    assert r.status_code == 405
    assert "POST" not in r.headers["Allow"] and "GET" in r.headers["Allow"]


# ---- /api/util on the session server ---------------------------------------------------------

PREFIXES = ["/api", "/api/1", "/api/2"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_dataset_autocomplete_matches_the_action(server, prefix):
    r = server.get(f"{prefix}/util/dataset/autocomplete",
                   params={"incomplete": "a41000000g", "limit": "3"})
    assert r.status_code == 200 and r.headers["Content-Type"] == CKAN_JSON
    got = r.json()["ResultSet"]["Result"]
    want = action(server, "package_autocomplete", q="a41000000g", limit="3").json()["result"]
    assert got == want and len(got) == 3
    assert list(got[0]) == ["name", "title", "match_field", "match_displayed"]
    assert got[0]["name"] == "a41000000g-000001" and got[0]["match_field"] == "name"


def test_dataset_autocomplete_by_title_and_default_limit(server):
    got = server.get("/api/util/dataset/autocomplete",
                     params={"incomplete": "資料"}).json()["ResultSet"]["Result"]
    assert 0 < len(got) <= 10
    assert all("資料" in d["title"] for d in got)
    assert got[0]["match_field"] == "title"
    assert got[0]["match_displayed"] == f"{got[0]['title']} ({got[0]['name']})"


@pytest.mark.parametrize("path", ["/api/util/dataset/autocomplete",
                                  "/api/util/tag/autocomplete",
                                  "/api/util/resource/format_autocomplete"])
@pytest.mark.parametrize("query", ["", "?incomplete=", "?q=a41000000g"])
def test_result_set_empty_query(server, path, query):
    r = server.get(path + query)
    assert r.status_code == 200 and r.json() == EMPTY_SET


@pytest.mark.parametrize("kind", ["user", "group", "organization"])
@pytest.mark.parametrize("query", ["", "?q=", "?incomplete=e00"])
def test_list_empty_query(server, kind, query):
    r = server.get(f"/api/util/{kind}/autocomplete{query}")
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_tag_autocomplete(server, prefix):
    got = server.get(f"{prefix}/util/tag/autocomplete",
                     params={"incomplete": "監"}).json()["ResultSet"]["Result"]
    names = action(server, "tag_autocomplete", q="監", limit="10").json()["result"]
    assert got == [{"Name": n} for n in names]
    assert {"Name": "監測"} in got


@pytest.mark.parametrize("prefix", PREFIXES)
def test_format_autocomplete(server, prefix):
    got = server.get(f"{prefix}/util/resource/format_autocomplete",
                     params={"incomplete": "CS"}).json()["ResultSet"]["Result"]
    formats = action(server, "format_autocomplete", q="CS").json()["result"]
    assert got == [{"Format": f} for f in formats] and {"Format": "csv"} in got
    assert len(server.get("/api/util/resource/format_autocomplete",
                          params={"incomplete": "s"}).json()["ResultSet"]["Result"]) <= 5


def test_group_and_organization_autocomplete(server):
    got = server.get("/api/util/group/autocomplete", params={"q": "E00"}).json()
    assert got == [{"id": got[0]["id"], "name": "e00", "title": "生活安全及品質"}]
    orgs = server.get("/api/2/util/organization/autocomplete", params={"q": "環境"}).json()
    assert [(o["name"], o["title"]) for o in orgs] == [("355000000i", "行政院環境保護署")]
    assert list(orgs[0]) == ["id", "name", "title"]
    # groups are not organizations and the other way round
    assert server.get("/api/util/organization/autocomplete", params={"q": "e00"}).json() == []
    assert server.get("/api/util/group/autocomplete", params={"q": "環境保護"}).json() == []


def test_group_autocomplete_limit(server):
    every = server.get("/api/util/group/autocomplete", params={"q": "0"}).json()
    assert len(every) == 18  # the 18 service categories all have a 0 in their code
    two = server.get("/api/util/group/autocomplete", params={"q": "0", "limit": "2"}).json()
    assert two == every[:2]
    assert server.get("/api/util/group/autocomplete", params={"q": "0", "limit": "0"}).json() == []


def test_util_bad_limit(server):
    r = server.get("/api/util/dataset/autocomplete", params={"incomplete": "a", "limit": "x"})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == {"__type": "Validation Error", "limit": ["Invalid integer"]}
    assert body["help"].endswith("help_show?name=package_autocomplete")


@pytest.mark.parametrize("path", ["/api/util/dataset/nope", "/api/util/nope/autocomplete",
                                  "/api/util/resource/autocomplete"])
def test_unknown_util_is_404(server, path):
    r = server.get(path)
    assert r.status_code == 404 and r.json()["error"]["__type"] == "Not Found Error"


def test_util_is_get_only(server):
    r = requests.post(server.base + "/api/util/dataset/autocomplete?incomplete=a", timeout=10)
    assert r.status_code == 405


# ---- JSONP -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cb", ["cb", "jQuery1124_1700000000000", "a.b_c$1", "$"])
def test_jsonp_wraps_a_get_200(server, cb):
    plain = server.get(STATUS)
    r = server.get(STATUS, params={"callback": cb})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == JSONP
    assert r.content == cb.encode() + b"(" + plain.content + b");"


def test_jsonp_on_util_and_version(server):
    r = server.get("/api/2", params={"callback": "f"})
    assert r.content == b'f({"version": 2});' and r.headers["Content-Type"] == JSONP
    r = server.get("/api/util/group/autocomplete", params={"q": "e00", "callback": "f"})
    assert r.content.startswith(b'f([{"id": ') and r.content.endswith(b"]);")


def test_jsonp_never_wraps_errors(server):
    r = server.get("/api/3/action/package_show", params={"id": "nope", "callback": "cb"})
    assert r.status_code == 404 and r.headers["Content-Type"] == CKAN_JSON
    assert r.json()["success"] is False
    r = server.get("/api/3/action/no_such_action", params={"callback": "cb"})
    assert r.status_code == 400 and r.json() == "Bad request - Action name not known: no_such_action"


def test_jsonp_never_wraps_posts(server):
    r = requests.post(server.base + STATUS + "?callback=cb", json={}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == CKAN_JSON
    assert r.json()["success"] is True


@pytest.mark.parametrize("cb", ["<script>alert(1)</script>", "a-b", "1a", "a..b", "a.", "a(b)",
                                "alert(document.cookie)//", "臺北", "a b", "x" * 257])
def test_jsonp_bad_callback_is_400(server, cb):
    r = server.get(STATUS, params={"callback": cb})
    assert r.status_code == 400
    assert r.headers["Content-Type"] == CKAN_JSON
    body = r.json()
    validate(body, "ckan-error.schema.json")
    assert body["error"]["__type"] == "Bad Request"
    assert "callback" in body["error"]["message"]
    if "(" in cb or "<" in cb:
        assert cb.encode() not in r.content  # not reflected


def test_callback_is_not_an_action_parameter(server):
    # package_search and datastore_search refuse unknown keys; callback is not one of them
    r = server.get("/api/3/action/package_search", params={"q": "空氣", "callback": "cb"})
    assert r.status_code == 200 and r.content.startswith(b"cb({")
    r = server.get("/api/3/action/datastore_search",
                   params={"resource_id": "nope", "callback": "cb"})
    assert r.status_code == 404, r.text
    r = requests.post(server.base + "/api/3/action/package_search",
                      json={"q": "空氣", "callback": "cb", "rows": 1}, timeout=10)
    assert r.status_code == 200 and r.json()["success"] is True


# ---- CORS and OPTIONS -----------------------------------------------------------------------

def assert_cors(r, origin="*", methods=None):
    """CORS headers, their methods the route's own (as its Allow says)."""
    assert r.headers.get("Access-Control-Allow-Origin") == origin
    got = r.headers.get("Access-Control-Allow-Methods")
    if methods is not None:
        assert got == methods
    assert got.endswith("OPTIONS") and set(got.split(", ")) <= {"GET", "HEAD", "POST", "PUT",
                                                                 "DELETE", "OPTIONS"}
    assert r.headers.get("Access-Control-Allow-Headers") == CORS_HEADERS


@pytest.mark.parametrize("path,methods", [
    (STATUS, ACTION_METHODS), ("/api/3/action/package_show?id=nope", ACTION_METHODS),
    ("/api/3", "GET, HEAD, OPTIONS"), ("/api/util/group/autocomplete?q=e00", "GET, HEAD, OPTIONS"),
    ("/api/v1/rest/group", "GET, HEAD, OPTIONS"), ("/api/v1/rest/dataset/nope", "GET, HEAD, OPTIONS"),
    ("/no/such/path", None)])
def test_cors_on_requests_with_origin(server, path, methods):
    r = server.get(path, headers={"Origin": "https://app.example"})
    assert_cors(r, methods=methods)
    plain = server.get(path)
    assert "Access-Control-Allow-Origin" not in plain.headers
    assert plain.content == r.content


@pytest.mark.parametrize("path,allow", [
    ("/api/3/action/package_show", "GET, HEAD, POST, OPTIONS"),
    ("/api/action/anything", "GET, HEAD, POST, OPTIONS"),
    ("/api/util/dataset/autocomplete", "GET, HEAD, OPTIONS"),
    ("/api", "GET, HEAD, OPTIONS"),
    ("/api/v1/rest/dataset", "GET, HEAD, OPTIONS"),
    ("/api/v1/dump/datastore/x", "GET, HEAD, OPTIONS"),
    ("/datastore/dump/x", "GET, HEAD, OPTIONS")])
def test_options_preflight(server, path, allow):
    r = requests.options(server.base + path, timeout=10, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["Allow"] == allow
    assert_cors(r, methods=allow)  # CORS allows what the route takes, no more


def test_options_without_origin_still_answers(server):
    r = requests.options(server.base + STATUS, timeout=10)
    assert r.status_code == 204 and r.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert r.headers.get("Access-Control-Allow-Origin") == "*"


def test_options_unknown_path_is_404(server):
    r = requests.options(server.base + "/no/such/path", timeout=10)
    assert r.status_code == 404


def test_405_allow_lists_options(server):
    r = requests.put(server.base + STATUS, timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, POST, OPTIONS"


# ---- cache headers, ETag, 304 -------------------------------------------------------------

@pytest.mark.parametrize("path", [STATUS, GROUP, "/api/3",
                                  "/api/util/dataset/autocomplete?incomplete=a41"])
def test_anonymous_get_is_public_with_strong_etag(server, path):
    r = server.get(path)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == PUBLIC
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    assert server.get(path).headers["ETag"] == etag


def test_etag_follows_the_body(server):
    tags = {server.get(p).headers["ETag"] for p in (STATUS, GROUP, "/api/1", "/api/2")}
    assert len(tags) == 4
    plain = server.get(GROUP).headers["ETag"]
    assert server.get(GROUP + "&pretty=true").headers["ETag"] != plain
    assert server.get(GROUP + "&callback=cb").headers["ETag"] != plain


@pytest.mark.parametrize("form", ["{}", "W/{}", '"nope", {}', "*"])
def test_if_none_match_gives_304(server, form):
    etag = server.get(GROUP).headers["ETag"]
    r = server.get(GROUP, headers={"If-None-Match": form.format(etag)})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["ETag"] == etag and r.headers["Cache-Control"] == PUBLIC
    head = requests.head(server.base + GROUP, headers={"If-None-Match": etag}, timeout=10)
    assert head.status_code == 304


def test_if_none_match_other_tag_gives_200(server):
    r = server.get(GROUP, headers={"If-None-Match": '"0000000000000000"'})
    assert r.status_code == 200 and r.json()["success"] is True


@pytest.mark.parametrize("header", [{"Authorization": "some-token"},
                                    {"Authorization": "Bearer some-token"},
                                    {"X-CKAN-API-Key": "some-token"}])
def test_credentials_make_answers_private(server, header):
    etag = server.get(GROUP).headers["ETag"]
    r = server.get(GROUP, headers={**header, "If-None-Match": etag})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == PRIVATE_CC
    assert "ETag" not in r.headers


@pytest.mark.parametrize("path,status", [("/api/3/action/package_show?id=nope", 404),
                                         ("/api/3/action/package_show", 409),
                                         ("/api/3/action/no_such_action", 400),
                                         (STATUS + "?callback=a-b", 400),
                                         ("/no/such/path", 404)])
def test_errors_are_no_cache(server, path, status):
    r = server.get(path)
    assert r.status_code == status
    assert r.headers["Cache-Control"] == "no-cache"
    assert "ETag" not in r.headers
    assert r.headers["Content-Type"] == CKAN_JSON


def test_post_answers_are_not_public(server):
    r = requests.post(server.base + STATUS, json={}, timeout=10)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-cache" and "ETag" not in r.headers


def test_taiwan_answers_keep_their_headers(server):
    r = server.get("/api/v1/rest/dataset")
    assert r.status_code == 200 and r.headers["Content-Type"] == TW_JSON
    assert "Cache-Control" not in r.headers and "ETag" not in r.headers
    # callback is no Taiwan parameter (ER0200, never wrapped); pretty is our extension there
    e = server.get("/api/v1/rest/dataset?pretty=true&callback=cb")
    assert e.status_code == 400 and e.headers["Content-Type"] == TW_JSON
    assert e.json()["error"]["type"].startswith("ER0200") and e.content.startswith(b"{\n")
    e = server.get("/api/v1/rest/dataset?callback=cb")
    assert e.status_code == 400 and b"\n" not in e.content and not e.content.startswith(b"cb(")


# ---- JSON output and pretty ----------------------------------------------------------------

def test_ckan_content_type_has_no_space(server):
    for path in (STATUS, GROUP, "/api/3/action/package_show?id=nope", "/api/2"):
        assert server.get(path).headers["Content-Type"] == CKAN_JSON


@pytest.mark.parametrize("how", [{"params": {"pretty": "true"}}, {"params": {"pretty": "1"}},
                                 {"headers": {"Accept": BROWSER_ACCEPT}}])
def test_pretty_is_the_same_json_indented(server, how):
    plain = server.get(GROUP)
    r = server.get(GROUP, **how)
    assert r.status_code == 200 and r.headers["Content-Type"] == CKAN_JSON
    assert r.json() == plain.json()
    assert r.content != plain.content
    assert r.content.startswith(b'{\n  "help": "http://')
    assert "生活安全及品質".encode() in r.content and b"\\u" not in r.content
    assert b"\\/" not in r.content


@pytest.mark.parametrize("how", [{}, {"params": {"pretty": "false"}},
                                 {"params": {"pretty": "false"}, "headers": {"Accept": BROWSER_ACCEPT}},
                                 {"headers": {"Accept": "*/*"}},
                                 {"headers": {"Accept": "application/json, text/html"}}])
def test_compact_otherwise(server, how):
    r = server.get(GROUP, **how)
    assert r.status_code == 200 and b"\n" not in r.content


def test_pretty_errors_and_jsonp(server):
    r = server.get("/api/3/action/package_show", params={"id": "nope", "pretty": "true"})
    assert r.status_code == 404 and b'\n  "error": {\n' in r.content
    r = server.get(STATUS, params={"pretty": "true", "callback": "cb"})
    assert r.content.startswith(b'cb({\n  "help": ') and r.content.endswith(b"\n});")


def test_pretty_is_not_an_action_parameter(server):
    r = server.get("/api/3/action/package_search", params={"q": "空氣", "pretty": "true"})
    assert r.status_code == 200 and r.content.startswith(b"{\n")
    r = server.get("/api/3/action/datastore_search", params={"resource_id": "nope", "pretty": "1"})
    assert r.status_code == 404, r.text


# ---- a database of our own ------------------------------------------------------------------

PRIVATE = "382000000a-000101"
DELETED = "397000000a-000201"
RID = "355000000I-000207-001"
PM25 = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")

SETUP = f"""
UPDATE users SET fullname = 'Alice Chen' WHERE name = 'alice';
UPDATE users SET fullname = 'Bob Lin' WHERE name = 'bob';
UPDATE users SET fullname = 'Alice Deleted', state = 'deleted' WHERE name = 'dora';
UPDATE package SET private = true WHERE name = '{PRIVATE}';
UPDATE package SET state = 'deleted' WHERE name = '{DELETED}';
INSERT INTO tag (name) VALUES ('secret-envelope-tag');
INSERT INTO package_tag (package_id, tag_id)
SELECT p.id, t.id FROM package p, tag t
WHERE p.name = '{PRIVATE}' AND t.name = 'secret-envelope-tag';
INSERT INTO vocabulary (name) VALUES ('colours');
INSERT INTO tag (name, vocabulary_id)
SELECT n, v.id FROM vocabulary v, unnest(ARRAY['secret-red', 'secret-green']) n
WHERE v.name = 'colours';
INSERT INTO grp (name, title, state) VALUES ('old-envelope', 'Old envelope group', 'deleted');
INSERT INTO grp (name, title, state, is_organization, type)
VALUES ('old-envelope-org', 'Old envelope org', 'deleted', true, 'organization');
"""


@pytest.fixture(scope="module")
def own(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    for name in ("alice", "bob", "dora"):
        subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", name, "--db", db],
                       check=True, capture_output=True)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(SETUP)
    run_import(db, "csv", PM25, "--resource-id", RID, check=True)
    srv = Server(db, "--cors-origins", "https://a.example  https://b.example")
    yield SimpleNamespace(srv=srv, one=lambda query, *args: db_value(db, query, *args))
    srv.stop()


@pytest.mark.parametrize("name", [PRIVATE, DELETED])
def test_dataset_autocomplete_shows_only_public_active(own, name):
    got = own.srv.get("/api/util/dataset/autocomplete",
                      params={"incomplete": name}).json()["ResultSet"]["Result"]
    assert got == []
    prefix = name[:-1]  # the other datasets of the organization are found
    names = [d["name"] for d in own.srv.get("/api/util/dataset/autocomplete",
             params={"incomplete": prefix}).json()["ResultSet"]["Result"]]
    assert names and name not in names


def test_tag_autocomplete_hides_tags_of_private_datasets(own):
    r = own.srv.get("/api/util/tag/autocomplete", params={"incomplete": "secret"})
    assert r.json() == EMPTY_SET


def test_tag_autocomplete_vocabulary(own):
    vid = own.one("SELECT id::text FROM vocabulary WHERE name = 'colours'")
    for vocab in ("colours", vid):
        got = own.srv.get("/api/2/util/tag/autocomplete",
                          params={"incomplete": "secret", "vocabulary_id": vocab}).json()
        assert got == {"ResultSet": {"Result": [{"Name": "secret-green"}, {"Name": "secret-red"}]}}
    got = own.srv.get("/api/util/tag/autocomplete",
                      params={"incomplete": "secret", "vocabulary_id": "colours", "limit": "1"})
    assert got.json() == {"ResultSet": {"Result": [{"Name": "secret-green"}]}}
    assert own.srv.get("/api/util/tag/autocomplete", params={
        "incomplete": "secret", "vocabulary_id": "nope"}).json() == EMPTY_SET


def test_user_autocomplete(own):
    ids = {n: own.one("SELECT id::text FROM users WHERE name = %s", n) for n in ("alice", "bob")}
    for prefix in PREFIXES:
        got = own.srv.get(f"{prefix}/util/user/autocomplete", params={"q": "ALI"}).json()
        assert got == [{"id": ids["alice"], "name": "alice", "fullname": "Alice Chen"}]
    by_fullname = own.srv.get("/api/util/user/autocomplete", params={"q": "lin"}).json()
    assert [u["name"] for u in by_fullname] == ["bob"]
    both = own.srv.get("/api/util/user/autocomplete", params={"q": "i"}).json()
    assert [u["name"] for u in both] == ["alice", "bob"]  # the deleted dora is left out
    one = own.srv.get("/api/util/user/autocomplete", params={"q": "i", "limit": "1"}).json()
    assert [u["name"] for u in one] == ["alice"]
    anon = own.srv.get("/api/util/user/autocomplete",
                       params={"q": "ali", "ignore_self": "true"}).json()
    assert [u["name"] for u in anon] == ["alice"]  # an anonymous caller is nobody to ignore


def test_deleted_groups_are_not_completed(own):
    assert own.srv.get("/api/util/group/autocomplete", params={"q": "envelope"}).json() == []
    assert own.srv.get("/api/util/organization/autocomplete",
                       params={"q": "envelope"}).json() == []


def test_cors_origin_list(own):
    for origin in ("https://a.example", "https://b.example"):
        r = own.srv.get(STATUS, headers={"Origin": origin})
        assert_cors(r, origin, ACTION_METHODS)
        assert r.headers["Vary"] == "Origin"
    r = own.srv.get(STATUS, headers={"Origin": "https://evil.example"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    assert r.headers["Vary"] == "Origin"
    r = requests.options(own.srv.base + STATUS, headers={"Origin": "https://a.example"},
                         timeout=10)
    assert r.status_code == 204
    assert_cors(r, "https://a.example")
    r = requests.options(own.srv.base + STATUS, headers={"Origin": "https://c.example"},
                         timeout=10)
    assert r.status_code == 204 and "Access-Control-Allow-Origin" not in r.headers


def test_streamed_dump_has_cors_and_cache_control_but_no_etag(own):
    r = own.srv.get(f"/datastore/dump/{RID}", params={"limit": "2"},
                    headers={"Origin": "https://b.example"})
    assert r.status_code == 200 and r.content.count(b"\n") == 3
    assert_cors(r, "https://b.example")
    assert r.headers["Cache-Control"] == PUBLIC
    assert "ETag" not in r.headers


def test_taiwan_dump_keeps_its_etag(own):
    r = own.srv.get(f"/api/v1/dump/datastore/{RID}", timeout=60)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert "Cache-Control" not in r.headers
    again = own.srv.get(f"/api/v1/dump/datastore/{RID}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag


def test_forbidden_uses_the_403_kind(own):
    pid = own.one("SELECT id::text FROM package WHERE name = %s", PRIVATE)
    r = action(own.srv, "package_show", id=PRIVATE)
    assert r.status_code == 403
    assert r.headers["Cache-Control"] == "no-cache" and r.headers["Content-Type"] == CKAN_JSON
    assert r.json()["error"] == {
        "message": f"Access denied: User  not authorized to read package {pid}",
        "__type": "Authorization Error"}
    assert r.content.endswith(b'"__type":"Authorization Error"},"success":false}')


@pytest.mark.parametrize("path", [STATUS, "/api/3/action/package_list", "/api/v1/rest/dataset",
                                  "/api/3/action/package_show?id=nope", "/api"])
def test_head_says_the_length_get_sends(server, path):
    """evhttp sends no body to a HEAD, and would send no Content-Length either."""
    got = server.get(path)
    r = requests.head(server.base + path, timeout=10)
    assert r.status_code == got.status_code and r.content == b""
    assert r.headers["Content-Length"] == str(len(got.content))
    assert r.headers["Content-Type"] == got.headers["Content-Type"]
