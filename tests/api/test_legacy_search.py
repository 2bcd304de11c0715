"""The legacy search API (CKAN 2.7's /api[/1|/2]/search/{dataset|package|resource|revision}):
q, qjson, field terms, tags, fl, all_fields (and its "0" quirk), offset/limit defaults, order_by,
refused options (400 "Bad search option: ..."), public datasets only, JSONP, and the resource and
revision searches."""
import json

import pytest
import requests

from conftest import DEMO_CATALOG, Server, new_database, add_user

SITE = "http://data.example.test"
JSON_TYPE = "application/json;charset=utf-8"



class Site:
    def __init__(self, srv, tokens):
        self.srv, self.tokens = srv, tokens

    def get(self, path, user=None, **params):
        headers = {"Authorization": self.tokens[user]} if user else {}
        return requests.get(self.srv.base + path, params=params, headers=headers, timeout=10)

    def ok(self, path, user=None, **params):
        r = self.get(path, user, **params)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == JSON_TYPE
        return r.json()

    def bad(self, path, text, **params):
        r = self.get(path, **params)
        assert r.status_code == 400, r.text
        assert r.json() == text
        return r

    def action(self, _action, _user="sam", **data):
        r = requests.post(f"{self.srv.base}/api/3/action/{_action}", json=data,
                          headers={"Authorization": self.tokens[_user]}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["result"]


@pytest.fixture(scope="module")
def site(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    tokens = {"sam": add_user(db, "sam", "--sysadmin")}
    srv = Server(db, "--site-url", SITE)
    s = Site(srv, tokens)
    s.action("organization_create", name="srch-org")
    s.action("package_create", name="srch-alpha", title="Zebra crossing counts",
             owner_org="srch-org", tags=[{"name": "zebra"}, {"name": "road safety"}],
             extras=[{"key": "unit", "value": "count"}],
             resources=[{"url": "http://x.test/alpha.csv", "format": "CSV",
                         "description": "Crossings by Month"}])
    s.action("package_create", name="srch-beta", title="Zebra habitat", owner_org="srch-org",
             tags=[{"name": "zebra"}],
             resources=[{"url": "http://x.test/beta.json", "format": "JSON"}])
    s.action("package_create", name="srch-hidden", title="Zebra secret", owner_org="srch-org",
             private=True, tags=[{"name": "zebra"}])
    s.ids = {d: s.action("package_show", id=d)["id"]
             for d in ("srch-alpha", "srch-beta", "srch-hidden")}
    yield s
    srv.stop()


@pytest.mark.parametrize("prefix", ["/api", "/api/1"])
@pytest.mark.parametrize("reg", ["dataset", "package"])
def test_q_gives_names_in_v1(site, prefix, reg):
    res = site.ok(f"{prefix}/search/{reg}", q="zebra")
    assert res == {"count": 2, "results": sorted(res["results"])} or res["count"] == 2
    assert sorted(res["results"]) == ["srch-alpha", "srch-beta"]  # never the private one


def test_q_gives_ids_in_v2(site):
    res = site.ok("/api/2/search/dataset", q="zebra")
    assert sorted(res["results"]) == sorted([site.ids["srch-alpha"], site.ids["srch-beta"]])
    assert set(res) == {"count", "results"}


def test_private_not_shown_even_to_sysadmin(site):
    res = site.ok("/api/search/dataset", "sam", q="zebra")
    assert "srch-hidden" not in res["results"] and res["count"] == 2


def test_field_terms_and_tags(site):
    assert site.ok("/api/search/dataset", title="habitat")["results"] == ["srch-beta"]
    # a value with a space is quoted: a phrase
    assert site.ok("/api/search/dataset", title="crossing counts")["results"] == ["srch-alpha"]
    assert site.ok("/api/search/dataset", tags="road safety")["results"] == ["srch-alpha"]
    both = site.ok("/api/search/dataset", tags="zebra")
    assert sorted(both["results"]) == ["srch-alpha", "srch-beta"]
    # q and a term together narrow
    assert site.ok("/api/search/dataset", q="zebra", name="srch-beta")["results"] == ["srch-beta"]
    # '+' in a value is a space
    assert site.ok("/api/search/dataset", q="habitat+zebra")["results"] == ["srch-beta"]


def test_fl(site):
    res = site.ok("/api/search/dataset", q="zebra", fl="name,title", order_by="name")
    assert res["results"] == [{"name": "srch-alpha", "title": "Zebra crossing counts"},
                              {"name": "srch-beta", "title": "Zebra habitat"}]
    res = site.ok("/api/1/search/dataset", q="zebra", fl="id", order_by="name")
    assert res["results"] == [site.ids["srch-alpha"], site.ids["srch-beta"]]


@pytest.mark.parametrize("value", ["1", "true", "0", "false"])
def test_all_fields_any_nonempty_value(site, value):
    """CKAN 2.7 tested the raw string: "0" and "false" also give whole dicts."""
    res = site.ok("/api/search/dataset", q="zebra", all_fields=value, order_by="name")
    assert res["count"] == 2
    alpha = res["results"][0]
    assert alpha["name"] == "srch-alpha" and alpha["extras"]["unit"] == "count"
    assert sorted(alpha["tags"]) == ["road safety", "zebra"]
    assert alpha == site.ok("/api/rest/dataset/srch-alpha")


def test_fl_star_is_all_fields(site):
    res = site.ok("/api/search/dataset", q="habitat", fl="*")
    assert res["results"] == [site.ok("/api/rest/dataset/srch-beta")]


def test_all_fields_v2_refers_by_id(site):
    res = site.ok("/api/2/search/dataset", q="habitat", all_fields="1")
    assert res["results"] == [site.ok("/api/2/rest/dataset/srch-beta")]


def test_all_fields_not_a_boolean(site):
    site.bad("/api/search/dataset", "Bad request - Bad search option: Value for search option "
             "'all_fields' must be True or False (1 or 0) but received ''", all_fields="")
    site.bad("/api/search/dataset", "Bad request - Bad search option: Value for search option "
             "'all_fields' must be True or False (1 or 0) but received 'maybe'", all_fields="maybe")


def test_limit_offset_defaults_and_order_by(site):
    total = site.ok("/api/search/dataset")["count"]
    assert total > 10  # the demo catalogue and ours
    assert len(site.ok("/api/search/dataset")["results"]) == 10  # default rows
    names = site.ok("/api/search/dataset", order_by="name", limit="1000")["results"]
    assert names == sorted(names) and len(names) == total
    page = site.ok("/api/search/dataset", order_by="name", offset="3", limit="4")["results"]
    assert page == names[3:7]
    assert site.ok("/api/search/dataset", limit="0")["results"] == []


@pytest.mark.parametrize("key", ["limit", "offset"])
def test_limit_offset_not_integers(site, key):
    site.bad("/api/search/dataset", "Bad request - Bad search option: Value for search option "
             f"'{key}' must be an integer but received 'x'", **{key: "x"})
    r = site.get("/api/search/dataset", **{key: "-1"})
    assert r.status_code == 400 and r.json().startswith("Bad request - Bad search option: ")


@pytest.mark.parametrize("key", ["filter_by_openness", "filter_by_downloadable"])
def test_unsupported_options(site, key):
    site.bad("/api/search/dataset", "Bad request - Bad search option: Search option "
             f"'{key}' is not supported", **{key: "1"})


def test_unknown_options(site):
    """A key that cannot name a field is refused; a field name nothing has matches nothing (as
    Solr's catch-all dynamic field did); a query the parser refuses is a bad option."""
    site.bad("/api/search/dataset", "Bad request - Bad search option: Unknown search option "
             "'no such:option'", **{"no such:option": "x"})
    assert site.ok("/api/search/dataset", nosuchfield="x") == {"count": 0, "results": []}
    r = site.get("/api/search/dataset", q="title:(unclosed")
    assert r.status_code == 400 and r.json().startswith("Bad request - Bad search option: ")


def test_qjson_and_post(site):
    qj = json.dumps({"q": "zebra", "limit": 1, "order_by": "name"})
    assert site.ok("/api/search/dataset", qjson=qj) == {"count": 2, "results": ["srch-alpha"]}
    r = requests.post(site.srv.base + "/api/search/dataset",
                      data=json.dumps({"q": "zebra", "offset": 1, "order_by": "name"}), timeout=10)
    assert r.status_code == 200 and r.json() == {"count": 2, "results": ["srch-beta"]}
    r = requests.post(site.srv.base + "/api/search/dataset",
                      data={json.dumps({"tags": ["zebra", "road safety"]}): ""}, timeout=10)
    assert r.status_code == 200 and r.json()["results"] == ["srch-alpha"]
    r = site.get("/api/search/dataset", qjson="{bad")
    assert r.status_code == 400
    assert r.json().startswith("Bad request - Could not read parameters: Malformed qjson value")
    site.bad("/api/search/dataset", "Bad request - Could not read parameters: Request params "
             "must be in form of a json encoded dictionary.", qjson="[1]")
    r = site.get("/api/search/dataset", qjson=json.dumps({"tags": 5}))
    assert r.status_code == 400 and "tags parameter" in r.json()


def test_jsonp(site):
    r = site.get("/api/search/dataset", q="habitat", callback="cb")
    assert r.headers["Content-Type"] == "application/javascript;charset=utf-8"
    assert r.text == 'cb({"count": 1, "results": ["srch-beta"]});'
    r = site.get("/api/search/dataset", limit="x", callback="cb")
    assert r.status_code == 400 and r.json().startswith("Bad request")


def test_unknown_register(site):
    r = site.get("/api/search/group")
    assert r.status_code == 404 and r.json() == "Not found - Unknown register: group"


def test_resource_search(site):
    res = site.ok("/api/search/resource", format="csv", limit="1000")
    alpha = site.action("package_show", id="srch-alpha")["resources"][0]
    assert alpha["id"] in res["results"]
    assert site.ok("/api/search/resource", description="by month")["results"] == [alpha["id"]]
    full = site.ok("/api/2/search/resource", url="x.test/alpha", all_fields="1")
    assert full["count"] == 1 and full["results"][0]["id"] == alpha["id"]
    assert full["results"][0]["url"] == "http://x.test/alpha.csv"
    assert site.ok("/api/search/resource", hash="nothing-starts-so") == {"count": 0, "results": []}
    r = site.get("/api/search/resource", colour="red")
    assert r.status_code == 400 and r.json().startswith("Bad request - Bad search option: ")
    site.bad("/api/search/resource", "Bad request - Bad search option: Value for search option "
             "'limit' must be an integer but received 'x'", format="csv", limit="x")


def test_revision_search(site):
    site.bad("/api/search/revision", "Bad request - Missing search term ('since_id=UUID' or  "
             "'since_time=TIMESTAMP')")
    assert site.ok("/api/search/revision", since_time="2020-01-01T00:00:00") == []
    assert site.ok("/api/2/search/revision", since_time="2020-01-01") == []
    r = site.get("/api/search/revision", since_time="yesterday")
    assert r.status_code == 400 and r.json().startswith("Bad request - ValueError")
    r = site.get("/api/search/revision", since_id="abc")
    assert r.status_code == 404 and r.json() == "Not found - There is no revision with id: abc"
    site.bad("/api/search/revision", "Bad request - No revision specified", since_id="")
