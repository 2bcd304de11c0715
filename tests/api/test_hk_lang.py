"""DATA.GOV.HK's language endpoints (/en-data, /tc-data, /sc-data /api/3/action/*) over one
catalogue, and the translations of group and organization texts they show: every action of the
table answers under every prefix, the plain text keys hold that language's text (the default text
where a translation is missing), names and ids are the same, help links keep the prefix, writes
through a prefix store what /api/3 stores, and q matches the translations.

Users: sam sysadmin."""
import json

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, Server, new_database, run_import, add_user

SITE = "http://data.example.test"
PREFIXES = {"en-data": "en", "tc-data": "zh_TW", "sc-data": "zh_CN"}
TITLE = {"en": "Air quality", "zh_TW": "空氣質素", "zh_CN": "空气质素"}
NOTES = {"en": "Hourly readings", "zh_TW": "每小時讀數"}  # no zh_CN: the default text
RES_NAME = {"en": "Readings (CSV)", "zh_TW": "讀數"}
ORG_TITLE = {"en": "Environmental Protection Department", "zh_TW": "環境保護署",
             "zh_CN": "环境保护署"}
ORG_DESC = {"zh_TW": "環保署"}
GROUP_TITLE = {"en": "Environment", "zh_TW": "環境", "zh_CN": "环境"}



class Site:
    def __init__(self, srv, db, token):
        self.srv, self.db, self.token = srv, db, token

    def url(self, prefix, action):
        root = f"/{prefix}/api/3/action" if prefix else "/api/3/action"
        return f"{self.srv.base}{root}/{action}"

    def post(self, action, prefix=None, auth=True, **data):
        headers = {"Authorization": self.token} if auth else {}
        return requests.post(self.url(prefix, action), json=data, headers=headers, timeout=20)

    def get(self, action, prefix=None, **params):
        return requests.get(self.url(prefix, action), params=params, timeout=20)

    def ok(self, action, prefix=None, **data):
        r = self.post(action, prefix, **data)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def read(self, action, prefix=None, **params):
        r = self.get(action, prefix, **params)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    token = add_user(db, "sam", "--sysadmin")
    srv = Server(db, "--site-url", SITE)
    s = Site(srv, db, token)
    s.ok("organization_create", name="hk-epd", title="EPD (default)", description="EPD desc",
         title_translated=ORG_TITLE, description_translated=ORG_DESC)
    s.ok("group_create", name="environment", title="Environment (default)",
         title_translated=GROUP_TITLE)
    s.ok("package_create", name="hk-epd-aqhi", title="AQHI (default)", notes="default notes",
         owner_org="hk-epd", groups=[{"name": "environment"}], title_translated=TITLE,
         notes_translated=NOTES,
         resources=[{"url": "http://example.test/aqhi.csv", "name": "readings default",
                     "description": "default description", "name_translated": RES_NAME,
                     "format": "CSV"}])
    yield s
    srv.stop()


def expect(tr, lang, default):
    return tr.get(lang) or default


@pytest.mark.parametrize("prefix,lang", PREFIXES.items())
def test_package_show_in_each_language(site, prefix, lang):
    d = site.read("package_show", prefix, id="hk-epd-aqhi")
    base = site.read("package_show", None, id="hk-epd-aqhi")
    assert d["title"] == TITLE[lang]
    assert d["notes"] == expect(NOTES, lang, "default notes")
    assert d["resources"][0]["name"] == expect(RES_NAME, lang, "readings default")
    assert d["resources"][0]["description"] == "default description"  # no translation
    assert d["organization"]["title"] == ORG_TITLE[lang]
    assert d["organization"]["description"] == expect(ORG_DESC, lang, "EPD desc")
    assert d["groups"][0]["title"] == GROUP_TITLE[lang]
    assert d["groups"][0]["display_name"] == GROUP_TITLE[lang]
    # names, ids and the translations themselves are the same in every language
    for k in ("id", "name", "owner_org", "title_translated", "notes_translated",
              "metadata_modified"):
        assert d[k] == base[k]
    assert d["resources"][0]["id"] == base["resources"][0]["id"]
    assert d["groups"][0]["name"] == "environment"
    assert base["title"] == "AQHI (default)"
    assert base["organization"]["title"] == "EPD (default)"


def test_default_language_unchanged(site):
    base = site.read("package_show", None, id="hk-epd-aqhi")
    assert base["notes"] == "default notes"
    assert base["resources"][0]["name"] == "readings default"
    assert base["groups"][0]["title"] == "Environment (default)"
    # a dataset without translations is the same dict under every prefix
    plain = site.read("package_list")[0]
    same = {p: site.read("package_show", p, id=plain) for p in [None, *PREFIXES]}
    assert all(v == same[None] for v in same.values())


@pytest.mark.parametrize("prefix,lang", PREFIXES.items())
def test_help_url_keeps_prefix(site, prefix, lang):
    r = site.get("package_show", prefix, id="hk-epd-aqhi")
    assert r.json()["help"] == f"{SITE}/{prefix}/api/3/action/help_show?name=package_show"
    r = site.get("package_show", prefix, id="no-such-dataset")
    assert r.status_code == 404
    assert r.json()["help"] == f"{SITE}/{prefix}/api/3/action/help_show?name=package_show"
    assert r.json()["error"]["__type"] == "Not Found Error"
    r = site.get("package_show")
    assert r.json()["help"] == f"{SITE}/api/3/action/help_show?name=package_show"


def test_api_action_spelling_under_prefix(site):
    r = requests.get(f"{site.srv.base}/tc-data/api/action/package_show",
                     params={"id": "hk-epd-aqhi"}, timeout=10)
    assert r.status_code == 200
    assert r.json()["result"]["title"] == TITLE["zh_TW"]


@pytest.mark.parametrize("path", ["/xx-data/api/3/action/package_show",
                                  "/tc-data/api/4/action/package_show",
                                  "/TC-data/api/3/action/package_show",
                                  "/tc-data/api/3/action"])
def test_unknown_prefix_404(site, path):
    r = requests.get(site.srv.base + path, params={"id": "hk-epd-aqhi"}, timeout=10)
    assert r.status_code == 404
    assert r.json()["success"] is False


def test_unknown_action_under_prefix(site):
    r = site.get("no_such_action", "en-data")
    assert r.status_code == 400
    assert "Action name not known: no_such_action" in r.text


@pytest.mark.parametrize("prefix,lang", PREFIXES.items())
def test_search_results_and_cache(site, prefix, lang):
    for _ in range(2):  # the second answer may come from the search cache
        res = site.read("package_search", prefix, fq="organization:hk-epd")
        assert res["count"] == 1
        d = res["results"][0]
        assert d["title"] == TITLE[lang]
        assert d["organization"]["title"] == ORG_TITLE[lang]
    res = site.read("package_search", None, fq="organization:hk-epd")
    assert res["results"][0]["title"] == "AQHI (default)"


@pytest.mark.parametrize("prefix,lang", [(None, None), *PREFIXES.items()])
def test_search_facet_titles(site, prefix, lang):
    res = site.read("package_search", prefix, fq="organization:hk-epd",
                    **{"facet.field": '["organization", "groups"]'})
    items = res["search_facets"]["organization"]["items"]
    assert items == [{"name": "hk-epd", "count": 1,
                      "display_name": ORG_TITLE[lang] if lang else "EPD (default)"}]
    items = res["search_facets"]["groups"]["items"]
    assert items[0]["display_name"] == (GROUP_TITLE[lang] if lang else "Environment (default)")


@pytest.mark.parametrize("q", ["空氣質素", "空气", "Hourly", "讀數", "AQHI"])
def test_search_matches_translations(site, q):
    for prefix in [None, *PREFIXES]:
        names = [d["name"] for d in site.read("package_search", prefix, q=q)["results"]]
        assert "hk-epd-aqhi" in names, (prefix, q)


@pytest.mark.parametrize("prefix,lang", PREFIXES.items())
def test_group_and_org_reads(site, prefix, lang):
    o = site.read("organization_show", prefix, id="hk-epd")
    assert o["title"] == o["display_name"] == ORG_TITLE[lang]
    assert o["description"] == expect(ORG_DESC, lang, "EPD desc")
    assert o["title_translated"] == ORG_TITLE and o["description_translated"] == ORG_DESC
    g = site.read("group_show", prefix, id="environment", include_datasets=True)
    assert g["title"] == GROUP_TITLE[lang]
    assert g["description"] == ""
    assert g["packages"][0]["title"] == TITLE[lang]
    orgs = site.read("organization_list", prefix, all_fields=True, organizations=["hk-epd"])
    assert [x["title"] for x in orgs] == [ORG_TITLE[lang]]
    groups = site.read("group_list", prefix, all_fields=True, sort="name")
    assert GROUP_TITLE[lang] in [x["title"] for x in groups]
    assert site.read("organization_list", prefix) == site.read("organization_list")
    cur = site.read("current_package_list_with_resources", prefix, limit=1000)
    mine = [d for d in cur if d["name"] == "hk-epd-aqhi"]
    assert mine[0]["title"] == TITLE[lang]
    r = site.read("resource_show", prefix, id=mine[0]["resources"][0]["id"])
    assert r["name"] == expect(RES_NAME, lang, "readings default")


def test_group_show_default(site):
    o = site.read("organization_show", None, id="hk-epd")
    assert o["title"] == "EPD (default)" and o["display_name"] == "EPD (default)"
    assert o["title_translated"] == ORG_TITLE
    # keys in CKAN's sorted order
    keys = list(o)
    assert keys == sorted(keys)


def test_activity_embeds_translated_package(site):
    acts = site.read("package_activity_list", "tc-data", id="hk-epd-aqhi")
    assert acts and acts[0]["data"]["package"]["title"] == TITLE["zh_TW"]


def test_every_get_action_answers_under_prefixes(site):
    """No action answers 5xx under a prefix, and the answer has the same shape."""
    names = site.read("help_show", "en-data", name="package_show") and None
    r = requests.get(f"{site.srv.base}/api/3/action/package_list", timeout=10)
    assert r.status_code == 200
    for action in ["package_list", "package_search", "group_list", "organization_list",
                   "tag_list", "license_list", "status_show", "site_read", "user_list",
                   "recently_changed_packages_activity_list", "format_autocomplete",
                   "help_show", "package_autocomplete", "resource_search", "vocabulary_list"]:
        for prefix in [None, *PREFIXES]:
            r = site.get(action, prefix, q="a", name="package_show", query="name:a")
            assert r.status_code < 500, (action, prefix, r.text)
            base = site.get(action, None, q="a", name="package_show", query="name:a")
            assert r.status_code == base.status_code, (action, prefix)
            assert r.json()["success"] == base.json()["success"]


def test_write_through_prefix_stores_the_same(site):
    a = site.ok("package_create", "tc-data", name="via-prefix", title="Default",
                owner_org="hk-epd", title_translated={"zh_TW": "經前綴"})
    b = site.ok("package_create", None, name="via-api", title="Default",
                owner_org="hk-epd", title_translated={"zh_TW": "經前綴"})
    # a write's answer and what it stores are the default dict, whatever the prefix
    assert a["title"] == b["title"] == "Default"
    rows = site.sql("""SELECT name, title, translated FROM package
                       WHERE name IN ('via-prefix', 'via-api') ORDER BY name""")
    assert rows[0][1:] == rows[1][1:]
    acts = site.sql("""SELECT p.name, a.data->'package'->>'title' FROM activity a
                       JOIN package p ON p.id = a.object_id
                       WHERE p.name IN ('via-prefix', 'via-api') ORDER BY p.name""")
    assert [x[1] for x in acts] == ["Default", "Default"]
    p = site.ok("package_patch", "en-data", id="via-prefix", notes="n")
    assert p["title"] == "Default"
    assert p["title_translated"] == {"zh_TW": "經前綴"}
    assert site.read("package_show", "tc-data", id="via-prefix")["title"] == "經前綴"
    g = site.ok("group_patch", "sc-data", id="environment", description="d")
    assert g["title"] == "Environment (default)"
    assert g["title_translated"] == GROUP_TITLE
    r = site.post("package_create", "en-data", auth=False, name="anon")
    assert r.status_code == 403
    assert r.json()["help"].startswith(f"{SITE}/en-data/api/3/action/help_show")


def test_org_translation_writes(site):
    site.ok("organization_create", name="tr-org", title="T")
    o = site.read("organization_show", None, id="tr-org")
    assert "title_translated" not in o
    o = site.ok("organization_patch", id="tr-org", title_translated={"en": "E"})
    assert o["title_translated"] == {"en": "E"}
    assert site.read("organization_show", "en-data", id="tr-org")["title"] == "E"
    assert site.read("organization_show", "tc-data", id="tr-org")["title"] == "T"
    # update: a key not given stays; null removes
    o = site.ok("organization_update", id="tr-org", name="tr-org", title="T2")
    assert o["title_translated"] == {"en": "E"}
    o = site.ok("organization_update", id="tr-org", name="tr-org", title_translated=None)
    assert "title_translated" not in o
    # a JSON text of an object is read as the object (as for datasets)
    o = site.ok("group_create", name="tr-group", title_translated='{"zh_CN": "组"}')
    assert o["title_translated"] == {"zh_CN": "组"}
    # the organization's datasets show the new title at once (documents rebuilt)
    site.ok("organization_patch", id="hk-epd",
            title_translated={**ORG_TITLE, "zh_TW": "環保署 (新)"})
    d = site.read("package_show", "tc-data", id="hk-epd-aqhi")
    assert d["organization"]["title"] == "環保署 (新)"
    site.ok("organization_patch", id="hk-epd", title_translated=ORG_TITLE)


@pytest.mark.parametrize("value,message", [
    ({"fr": "x"}, 'invalid language code: "fr"'),
    ({"en": 1}, 'invalid type for "en" value'),
    ("not json", "Failed to decode JSON string"),
    ([1], "expecting JSON object"),
    (5, "expecting JSON object"),
])
@pytest.mark.parametrize("key", ["title_translated", "description_translated"])
def test_translation_validation(site, key, value, message):
    before = site.sql("SELECT count(*), max(name) FROM grp")
    for action in ("organization_create", "group_create"):
        r = site.post(action, name="bad-tr", **{key: value})
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert err["__type"] == "Validation Error"
        assert err[key] == [message]
    r = site.post("organization_patch", id="hk-epd", **{key: value})
    assert r.status_code == 409 and r.json()["error"][key] == [message]
    # the dataset write gives the same message for the same value
    if key == "title_translated":
        r = site.post("package_create", name="bad-tr", owner_org="hk-epd", **{key: value})
        assert r.status_code == 409 and r.json()["error"][key] == [message]
    assert site.sql("SELECT count(*), max(name) FROM grp") == before


def test_activity_of_untranslated_org(site):
    org = site.sql("""SELECT name FROM grp WHERE is_organization AND translated IS NULL
                      AND state = 'active' ORDER BY name LIMIT 1""")[0][0]
    site.ok("package_create", name="in-plain-org", title="Plain", owner_org=org,
            title_translated={"zh_CN": "简"})
    for prefix, title in [("sc-data", "简"), ("tc-data", "Plain"), (None, "Plain")]:
        acts = site.read("package_activity_list", prefix, id="in-plain-org")
        assert acts[0]["data"]["package"]["title"] == title
        assert acts[0]["data"]["package"]["organization"]["name"] == org


# ---- the catalogue importer's translations (docs/HK_API.md) ----------------------------------

def record(ident, **extra):
    rec = {"identifier": ident, "title": "道路交通 (default)", "description": "預設說明",
           "publisher": "運輸署", "publisherOrgCode": "HK-TD", "categoryCode": "A00",
           "type": "rawData", "license": "政府資料開放授權條款-第1版",
           "distribution": [{"resourceID": ident + "-1", "resourceDescription": "預設資源",
                             "format": "CSV", "downloadURL": "http://example.test/a.csv",
                             "name_translated": {"en": "Detectors (CSV)", "zh_CN": "检测器"}}]}
    rec.update(extra)
    return rec


@pytest.fixture(scope="module")
def imported(cluster, tmp_path_factory):
    db = new_database(cluster)
    path = tmp_path_factory.mktemp("cat") / "catalog.json"
    path.write_text(json.dumps([
        record("hk-td-1", title_translated={"en": "Traffic detectors", "zh_TW": "交通偵測器",
                                            "zh_CN": "交通侦测器"},
               description_translated={"en": "Locations of detectors"},
               publisher_translated={"en": "Transport Department", "zh_CN": "运输署"}),
        record("hk-td-2", title_translated=None)], ensure_ascii=False))
    run_import(db, "catalog", str(path), check=True)
    srv = Server(db, "--site-url", SITE)
    yield Site(srv, db, None), path
    srv.stop()


@pytest.mark.parametrize("prefix,title,notes,res,org", [
    ("en-data", "Traffic detectors", "Locations of detectors", "Detectors (CSV)",
     "Transport Department"),
    ("tc-data", "交通偵測器", "預設說明", "預設資源", "運輸署"),
    ("sc-data", "交通侦测器", "預設說明", "检测器", "运输署"),
    (None, "道路交通 (default)", "預設說明", "預設資源", "運輸署")])
def test_import_translations(imported, prefix, title, notes, res, org):
    site, _ = imported
    d = site.read("package_show", prefix, id="hk-td-1")
    assert (d["title"], d["notes"], d["resources"][0]["name"], d["organization"]["title"]) == \
        (title, notes, res, org)
    assert d["title_translated"]["zh_TW"] == "交通偵測器"
    assert not [e for e in d["extras"] if e["key"].endswith("_translated")]
    plain = site.read("package_show", prefix, id="hk-td-2")
    assert plain["title"] == "道路交通 (default)" and "title_translated" not in plain
    assert plain["organization"]["title"] == org


def test_import_refuses_bad_translations(cluster, tmp_path):
    db = new_database(cluster)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([record("hk-bad-1", title_translated={"fr": "x"}),
                                record("hk-bad-2", title_translated="text")]))
    p = run_import(db, "catalog", str(path))
    assert p.returncode != 0
    assert "title_translated" in p.stderr
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM package WHERE identifier LIKE 'hk-bad-%'")
        assert cur.fetchone()[0] == 0


# ---- a real client's calls -------------------------------------------------------------------
# The HTTP calls of mcp-open-data-hk (github.com/mcp-open-data-hk/mcp-open-data-hk,
# src/mcp_open_data_hk/server.py): its tools GET {base}/{en,tc,sc}-data/api/3/action/<action>
# with these parameters (booleans as the strings "true"/"false") and read result[...] when
# success is true. Replayed here with requests, its base URL swapped for ours.

@pytest.mark.parametrize("lang", ["en", "tc", "sc"])
def test_mcp_open_data_hk_calls(site, lang):
    base = f"{site.srv.base}/{lang}-data/api/3/action"

    def call(action, params=None):
        r = requests.get(f"{base}/{action}", params=params, timeout=20)
        r.raise_for_status()
        body = r.json()
        assert body["success"] is True, body
        return body["result"]

    # list_datasets(limit, offset)
    names = call("package_list", {"limit": 1000})
    assert "hk-epd-aqhi" in names
    assert call("package_list", {"limit": 2, "offset": 1}) == names[1:3]
    # get_dataset_details(dataset_id, include_tracking=True)
    d = call("package_show", {"id": "hk-epd-aqhi", "include_tracking": "true"})
    assert d["title"] == TITLE[PREFIXES[f"{lang}-data"]]
    # list_categories(): sort "title asc", all_fields as "true"/"false", limit/offset as text,
    # order_by only when not "name"
    groups = call("group_list", {"sort": "title asc", "all_fields": "false"})
    assert "environment" in groups
    full = call("group_list", {"sort": "title asc", "all_fields": "true", "limit": "10",
                               "offset": "0", "order_by": "packages"})
    assert any(g["name"] == "environment" and g["title"] == GROUP_TITLE[PREFIXES[f"{lang}-data"]]
               for g in full)
    # get_category_details(category_id, include_* flags)
    g = call("group_show", {"id": "environment", "include_datasets": "true",
                            "include_dataset_count": "true", "include_extras": "true",
                            "include_users": "true", "include_groups": "true",
                            "include_tags": "true", "include_followers": "true"})
    assert g["name"] == "environment" and g["package_count"] >= 1
    assert g["packages"][0]["title"] == TITLE[PREFIXES[f"{lang}-data"]]
    # search_datasets(query, limit, offset)
    s = call("package_search", {"q": "AQHI", "rows": 10, "start": 0})
    assert s["count"] >= 1 and "results" in s
    s = call("package_search", {"q": "*:*", "rows": 1000, "start": 0})
    assert s["count"] == len(names)
    # search_datasets_with_facets(query)
    s = call("package_search", {"q": "*:*", "rows": 3, "start": 0, "facet": "true",
                                "facet.limit": 10})
    assert len(s["results"]) == 3 and "search_facets" in s
    # get_datasets_by_format(file_format)
    s = call("package_search", {"q": "res_format:CSV", "rows": 10, "start": 0})
    assert s["count"] >= 1
    assert all(any(r["format"] == "CSV" for r in d["resources"]) for d in s["results"])
