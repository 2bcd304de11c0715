"""The portal pages' HTTP side (server/web/): the HTML shell on CKAN's web URLs, its versioned
static files (ETag, 304, gzip only when accepted, cache headers, HEAD, 404s, no way out of the
folder), and CKAN's /api/i18n/{lang} in CKAN's shape. The pages themselves run in Chromium in
test_web_pages.py."""
import gzip
import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest

from conftest import BIN, ROOT, Server

WEB = os.path.join(ROOT, "web")
PAGES = ["/", "/dataset", "/dataset?q=%E6%87%B8%E6%B5%AE&organization=355000000i",
         "/dataset/355000000i-000207", "/dataset/355000000i-000207/resource/355000000I-000207-001",
         "/organization", "/organization/355000000i", "/group", "/group/e00", "/api-guide",
         "/dataset/", "/dataset/no-such-dataset"]
ASSET_RE = re.compile(r'/static/([0-9a-f]{16})/(app\.(?:js|css))')


def raw(srv, method, path, headers=None):
    """A request with the path sent exactly as given (requests would normalize "..")."""
    u = urllib.parse.urlsplit(srv.base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


@pytest.fixture(scope="module")
def assets(server):
    """{file name: versioned URL} as the shell names them."""
    html = server.get("/").text
    found = {m.group(2): m.group(0) for m in ASSET_RE.finditer(html)}
    assert set(found) == {"app.js", "app.css"}, html
    return found


@pytest.mark.parametrize("path", PAGES)
def test_page_routes_answer_the_html_shell(server, path):
    r = server.get(path)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{16}(-gz)?"', r.headers["ETag"])
    html = r.content.decode("utf-8")
    assert html.startswith("<!doctype html>")
    assert '<html lang="zh-Hant-TW">' in html
    assert '<meta name="viewport"' in html
    assert '<meta name="od-sru" content="/api/v1">' in html   # the Taiwan root, filled in at start
    assert '<a class="skip" href="#main"' in html
    assert "{{" not in html


def test_shell_revalidates_with_its_etag(server):
    r = server.get("/dataset")
    etag = r.headers["ETag"]
    again = server.get("/dataset/x", headers={"If-None-Match": etag,
                                              "Accept-Encoding": r.request.headers["Accept-Encoding"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert server.get("/", headers={"If-None-Match": '"0000000000000000"'}).status_code == 200


def test_asset_is_long_cached_and_matches_the_file(server, assets):
    for name, url in assets.items():
        r = server.get(url, headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Content-Encoding" not in r.headers
        with open(os.path.join(WEB, "static", name), "rb") as f:
            assert r.content == f.read()
        assert r.headers["Content-Type"] == ("text/javascript; charset=utf-8" if name.endswith(".js")
                                             else "text/css; charset=utf-8")
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_asset_gzip_only_when_accepted(server, assets):
    url = assets["app.js"]
    plain, z = raw(server, "GET", url, {"Accept-Encoding": "identity"})
    gz, zbody = raw(server, "GET", url, {"Accept-Encoding": "gzip, deflate, br"})
    assert plain.getheader("Content-Encoding") is None
    assert gz.getheader("Content-Encoding") == "gzip"
    assert gz.getheader("Vary") == "Accept-Encoding" and plain.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(zbody) == z
    assert len(zbody) < len(z)
    assert int(gz.getheader("Content-Length")) == len(zbody)
    # a representation of its own: its own strong ETag
    assert gz.getheader("ETag") != plain.getheader("ETag")
    for refused in ["gzip;q=0", "br", "identity", ""]:
        r, body = raw(server, "GET", url, {"Accept-Encoding": refused})
        assert r.getheader("Content-Encoding") is None, refused
        assert body == z
    r, body = raw(server, "GET", url)               # no Accept-Encoding at all
    assert r.getheader("Content-Encoding") is None and body == z


def test_asset_304_per_representation(server, assets):
    url = assets["app.css"]
    plain, _ = raw(server, "GET", url, {"Accept-Encoding": "identity"})
    gz, _ = raw(server, "GET", url, {"Accept-Encoding": "gzip"})
    r, body = raw(server, "GET", url, {"Accept-Encoding": "identity", "If-None-Match": plain.getheader("ETag")})
    assert r.status == 304 and body == b""
    r, body = raw(server, "GET", url, {"Accept-Encoding": "gzip", "If-None-Match": gz.getheader("ETag")})
    assert r.status == 304 and body == b""
    # the gzip copy's tag does not validate the identity bytes, nor the other way round
    r, body = raw(server, "GET", url, {"Accept-Encoding": "identity", "If-None-Match": gz.getheader("ETag")})
    assert r.status == 200 and body
    r, body = raw(server, "GET", url, {"If-None-Match": f'"x", {plain.getheader("ETag")}'})
    assert r.status == 304


def test_head_says_what_get_sends(server, assets):
    for path in ["/", assets["app.js"]]:
        get, gbody = raw(server, "GET", path, {"Accept-Encoding": "gzip"})
        head, hbody = raw(server, "HEAD", path, {"Accept-Encoding": "gzip"})
        assert head.status == 200 and hbody == b""
        assert head.getheader("Content-Length") == str(len(gbody))
        for h in ["ETag", "Content-Type", "Cache-Control", "Content-Encoding"]:
            assert head.getheader(h) == get.getheader(h), h


def test_options_and_other_methods(server):
    r, _ = raw(server, "OPTIONS", "/dataset")
    assert r.status in (200, 204)
    assert "GET" in r.getheader("Allow")
    r, body = raw(server, "POST", "/dataset/x")
    assert r.status == 405
    assert "GET" in r.getheader("Allow")
    assert json.loads(body)["success"] is False


@pytest.mark.parametrize("path", [
    "/static/0000000000000000/app.js",          # another version than the current one
    "/static/{ver}/nope.js",
    "/static/{ver}/index.html",                 # the shell is not a static file
    "/static/{ver}/..%2Findex.html",
    "/static/{ver}/..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/{ver}/%2E%2E",
    "/static/{ver}/../../i18n/en.json",
    "/static/{ver}/.%2Fapp.js",
    "/static/{ver}",
    "/static",
    "/static/{ver}/app.js/x",
])
def test_unknown_static_paths_are_404(server, assets, path):
    ver = ASSET_RE.search(assets["app.js"]).group(1)
    r, body = raw(server, "GET", path.replace("{ver}", ver))
    assert r.status == 404
    doc = json.loads(body)
    assert doc["success"] is False
    assert b"root:" not in body


def test_other_paths_keep_the_api_404(server):
    """Paths no page claims stay CKAN's JSON 404, as before."""
    for path in ["/nope", "/dataset/a/b", "/organization/a/b", "/favicon.ico"]:
        r = server.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 404, path
        assert r.json()["success"] is False
        assert r.json()["error"]["__type"] == "Not Found Error"


def test_routes_listed_without_clashes():
    out = subprocess.run([os.path.join(BIN, "opendatad"), "routes"], check=True,
                         capture_output=True, text=True).stdout
    routes = json.loads(out)["routes"]
    web = [r["pattern"] for r in routes if r["api"] == "web"]
    assert "/" in web and "/dataset/{name}/resource/{rid}" in web and "/api/i18n/{lang}" in web
    # segment shapes ("{x}" alike) appear once across all families
    shapes = [re.sub(r"\{[^}]*\}", "{}", r["pattern"]) for r in routes]
    assert len(shapes) == len(set(shapes))


# ---- /api/i18n/{lang} ------------------------------------------------------------------------

def msgids():
    """Every text the pages translate: t('...')/tf('...') in app.js, data-t in the shell,
    the facet labels."""
    with open(os.path.join(WEB, "static", "app.js"), encoding="utf-8") as f:
        js = f.read()
    with open(os.path.join(WEB, "index.html"), encoding="utf-8") as f:
        html = f.read()
    ids = set(re.findall(r"\btf?\('((?:[^'\\]|\\.)*)'", js))
    ids |= set(re.findall(r'data-t="([^"]*)"', html))
    ids |= set(re.findall(r"\['\w+', '([A-Z][^']*)'\]", js))
    assert len(ids) > 50
    return ids


@pytest.mark.parametrize("path,lang", [
    ("/api/i18n/zh_Hant_TW", "zh_Hant_TW"), ("/api/i18n/zh_Hans_CN", "zh_Hans_CN"),
    ("/api/i18n/en", "en"), ("/api/i18n/zh_TW", "zh_Hant_TW"), ("/api/i18n/zh_CN", "zh_Hans_CN"),
    ("/api/1/i18n/zh_Hant_TW", "zh_Hant_TW"), ("/api/2/i18n/en", "en"),
])
def test_i18n_has_ckans_shape(server, path, lang):
    r = server.get(path)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json;charset=utf-8"
    body = r.json()
    assert body[""] == {"domain": "ckan", "lang": lang,
                        "plural-forms": body[""]["plural-forms"]}
    assert body[""]["plural-forms"].startswith("nplurals=")
    for k, v in body.items():
        if k:
            assert isinstance(v, list) and len(v) == 2 and v[0] is None and isinstance(v[1], str) and v[1]


@pytest.mark.parametrize("lang", ["zh_Hant_TW", "zh_Hans_CN"])
def test_i18n_translates_every_page_text(server, lang):
    body = server.get(f"/api/i18n/{lang}").json()
    missing = msgids() - set(body)
    assert not missing, missing
    assert body["Datasets"][1] == {"zh_Hant_TW": "資料集", "zh_Hans_CN": "数据集"}[lang]


def test_i18n_revalidates(server):
    r = server.get("/api/i18n/en")
    assert server.get("/api/i18n/en", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("lang", ["xx", "zh-TW", "EN", "de", "en.json", "..%2Fen"])
def test_i18n_unknown_locale_is_400_as_ckan(server, lang):
    r = server.get(f"/api/i18n/{lang}")
    assert r.status_code == 400
    assert r.headers["Content-Type"] == "application/json;charset=utf-8"
    assert r.json() == "Bad request: Unknown locale: " + urllib.parse.unquote(lang)


def test_i18n_only_under_api_versions_1_and_2(server):
    assert server.get("/api/3/i18n/en").status_code == 404


# ---- the web/ folder at start ----------------------------------------------------------------

def test_without_web_folder_the_apis_still_serve(demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENDATAD_WEB_DIR", str(tmp_path / "absent"))
    srv = Server(demo_db)
    try:
        r = srv.get("/")
        assert r.status_code == 404
        assert r.json()["error"]["message"] == "Not found: the portal's pages are not installed"
        assert srv.get("/api/i18n/en").text == "{}"            # CKAN's answer without a file
        assert srv.get("/api/i18n/xx").status_code == 400
        assert srv.get("/api/3/action/status_show").status_code == 200
        assert "no portal pages" in srv.log_text()
    finally:
        srv.stop()


def test_a_broken_web_folder_stops_the_start(demo_db, tmp_path):
    shutil.copytree(WEB, tmp_path / "web")
    (tmp_path / "web" / "index.html").write_text("<script src=\"{{static:gone.js}}\"></script>")
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", demo_db,
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "OPENDATAD_WEB_DIR": str(tmp_path / "web")})
    assert p.returncode != 0
    assert "names a missing asset gone.js" in p.stderr


def test_i18n_jsonp_as_ckan(server):
    r = server.get("/api/i18n/zh_Hant_TW?callback=cb.x_1")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/javascript")
    assert r.text.startswith("cb.x_1(") and r.text.endswith(");")
    assert json.loads(r.text[len("cb.x_1("):-2]) == server.get("/api/i18n/zh_Hant_TW").json()
    bad = server.get("/api/i18n/en?callback=%3Cscript%3E")
    assert bad.status_code == 400 and "<script>" not in bad.text
    # errors are never wrapped
    r = server.get("/api/i18n/xx?callback=cb")
    assert r.status_code == 400 and r.json() == "Bad request: Unknown locale: xx"
