"""CKAN package_search (ckan-research §4.1): q (plain words and the Solr subset), fq, fq_list,
sort, rows, start, facets, visibility, errors, and the ckanext-harvest paging pattern over 250
datasets. Most tests run on a small crafted catalogue whose answers are known exactly."""
import json
import os
import urllib.parse

import pytest
import requests

from conftest import SCHEMAS, Server, new_database, run_import, validate

PATH = "/api/3/action/package_search"


def rec(ident, title, org, publisher, cat, formats, keywords, description="", **extra):
    r = {
        "identifier": ident, "title": title, "categoryCode": cat, "description": description,
        "publisherOrgCode": org, "publisher": publisher, "keyword": keywords,
        "distribution": [{"resourceID": "%s-%03d" % (ident, i + 1), "format": f,
                          "resourceDescription": "%s %s" % (title, f),
                          "downloadURL": "https://example.gov.tw/%s/%d.%s" % (ident, i, f.lower())}
                         for i, f in enumerate(formats)],
        # fixed: without them the extras show the import time, whose digits plain-word
        # queries such as "50%" would match at minute or second 50
        "issued": "2023-01-02 03:04:05", "modified": "2023-01-02 03:04:05",
    }
    r.update(extra)
    return r


CRAFTED = [
    rec("T10000000A-000001", "Water quality of rivers", "T10000000A", "臺北市政府環境保護局", "E00",
        ["CSV", "JSON"], ["water", "環境"], "Monthly measurements of running water in rivers.",
        accrualPeriodicity="每月", department="env"),
    rec("T10000000A-000002", "臺北市空氣品質監測站", "T10000000A", "臺北市政府環境保護局", "E00",
        ["XML"], ["空氣", "環境"], "提供臺北市各監測站之即時空氣品質資料", accrualPeriodicity="每日"),
    rec("T20000000B-000001", "Air quality index", "T20000000B", "臺中市政府", "E00", ["CSV"],
        ["air"], "Hourly air quality index (AQI) of the city.", accrualPeriodicity="每日"),
    rec("T20000000B-000002", "公車路線資料", "T20000000B", "臺中市政府", "A00", ["CSV", "KML"],
        ["交通", "公車"], "臺中市公車路線與站牌"),
    rec("T30000000C-000001", "Budget 2024", "T30000000C", "高雄市政府", "I00", ["PDF", "XLSX"],
        ["預算"], "Annual budget of the city"),
    rec("T30000000C-000002", "Parking lots", "T30000000C", "高雄市政府", "A00", ["JSON"], ["停車"],
        "Parking lots and fees, 50% off on weekends"),
] + [rec("T30000000C-%06d" % n, "Filler dataset number %d" % n, "T30000000C", "高雄市政府", "I00",
         ["CSV"], ["filler"], "Nothing to see") for n in range(3, 9)]

ALL = sorted(r["identifier"].lower() for r in CRAFTED)


def write_catalog(path, records):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False)
    return str(path)


@pytest.fixture(scope="module")
def crafted(cluster, tmp_path_factory):
    cat = write_catalog(tmp_path_factory.mktemp("search") / "catalog.json", CRAFTED)
    db = new_database(cluster, cat)
    s = Server(db)
    yield s
    s.stop()


def search(srv, status=200, **params):
    r = srv.get(PATH, params=params)
    assert r.status_code == status, r.text[:300]
    body = r.json()
    if status == 200:
        validate(body, "ckan-package-search.schema.json")
        return body["result"]
    if os.path.exists(os.path.join(SCHEMAS, "ckan-error.schema.json")):
        validate(body, "ckan-error.schema.json")
    return body["error"]


def names(result):
    return sorted(p["name"] for p in result["results"])


def found(srv, q=None, **params):
    if q is not None:
        params["q"] = q
    params.setdefault("rows", 1000)
    return names(search(srv, **params))


# ---- the envelope and the defaults ---------------------------------------------------------


def test_default_page(crafted):
    r = crafted.get(PATH)
    body = r.json()
    assert list(body) == ["help", "success", "result"]
    assert body["help"].endswith("/api/3/action/help_show?name=package_search")
    res = body["result"]
    assert list(res) == ["count", "facets", "results", "sort", "search_facets"]
    assert res["count"] == 12
    assert len(res["results"]) == 10  # rows defaults to 10
    assert res["sort"] == "score desc, metadata_modified desc"
    assert res["facets"] == {} and res["search_facets"] == {}
    mods = [p["metadata_modified"] for p in res["results"]]
    assert mods == sorted(mods, reverse=True)  # no q: every score ties, newest first


def test_results_are_package_show_dicts(crafted):
    res = search(crafted, q="name:t10000000a-000001")
    assert res["count"] == 1
    show = crafted.get("/api/3/action/package_show", params={"id": "t10000000a-000001"})
    if show.status_code == 200:
        assert res["results"][0] == show.json()["result"]
    p = res["results"][0]
    assert p["title"] == "Water quality of rivers"
    assert {t["name"] for t in p["tags"]} == {"water", "環境"}
    assert [r["format"] for r in p["resources"]] == ["CSV", "JSON"]


@pytest.mark.parametrize("q", ["", "*:*", '""', "''", "   "])
def test_empty_q_means_everything(crafted, q):
    assert search(crafted, q=q)["count"] == 12


def test_post_json_body(crafted):
    r = requests.post(crafted.base + PATH, json={
        "q": "water", "fq_list": ["res_format:CSV"], "rows": 5,
        "facet.field": ["organization"]}, timeout=10)
    assert r.status_code == 200
    res = r.json()["result"]
    assert names(res) == ["t10000000a-000001"]
    assert res["facets"] == {"organization": {"t10000000a": 1}}


# ---- q: plain words (dismax) ---------------------------------------------------------------


@pytest.mark.parametrize("q,want", [
    ("water", ["t10000000a-000001"]),
    ("WATER", ["t10000000a-000001"]),
    ("waters", ["t10000000a-000001"]),           # English stemming
    ("run", ["t10000000a-000001"]),              # notes: "running"
    ("quality", ["t10000000a-000001", "t20000000b-000001"]),
    ("air quality", ["t20000000b-000001"]),      # 2 words: both required
    ("water quality xyzzy", ["t10000000a-000001"]),  # 3 words: all but one
    ("water xyzzy", []),
    ('"quality of rivers"', ["t10000000a-000001"]),
    ('"rivers of quality"', []),
    ("quality -air", ["t10000000a-000001"]),
    ("+air quality", ["t20000000b-000001"]),
    ("the", ["t20000000b-000001", "t30000000c-000001"]),  # no stop words
    ("t10000000a-000002", ["t10000000a-000002"]),  # the name
    ("50%", ["t30000000c-000002"]),
    ("filler", ["t30000000c-%06d" % n for n in range(3, 9)]),
])
def test_plain_words(crafted, q, want):
    assert found(crafted, q) == want


@pytest.mark.parametrize("q,want", [
    ("臺北", ["t10000000a-000001", "t10000000a-000002"]),  # org title 臺北市政府環境保護局 too
    ("北市空氣", ["t10000000a-000002"]),          # a substring of a title
    ("空氣品質", ["t10000000a-000002"]),
    ("監測站", ["t10000000a-000002"]),
    ("站牌", ["t20000000b-000002"]),
    ("公車", ["t20000000b-000002"]),
    ("臺中市 公車", ["t20000000b-000002"]),
    ("車路", ["t20000000b-000002"]),
    ("路車", []),
    ("高雄", ["t30000000c-%06d" % n for n in range(1, 9)]),
])
def test_chinese_substrings(crafted, q, want):
    assert found(crafted, q) == want


def test_single_chinese_character(crafted):
    assert "t10000000a-000002" in found(crafted, "氣")
    assert found(crafted, "氣") == found(crafted, "text:氣")


def test_title_weighs_more_than_notes(crafted):
    # "quality" is in both titles; "air" is in one title and nowhere else, "city" only in notes
    res = search(crafted, q="city budget")
    assert [p["name"] for p in res["results"]] == ["t30000000c-000001"]
    res = search(crafted, q="air OR water")  # dismax: OR makes both optional, mm then wants both
    assert res["count"] == 0
    res = search(crafted, q="quality")
    assert res["count"] == 2


# ---- q and fq: the Solr subset -------------------------------------------------------------


@pytest.mark.parametrize("q,want", [
    ("name:t10000000a-000001", ["t10000000a-000001"]),
    ("name:t10000000a*", ["t10000000a-000001", "t10000000a-000002"]),
    ("name:t1000000?a-000001", ["t10000000a-000001"]),
    ("title:water", ["t10000000a-000001"]),
    ("title:wat*", ["t10000000a-000001"]),
    ("title:city", []),                          # only in notes
    ("notes:city", ["t20000000b-000001", "t30000000c-000001"]),
    ('title:"quality index"', ["t20000000b-000001"]),
    ("title:臺北", ["t10000000a-000002"]),
    ("tags:water", ["t10000000a-000001"]),
    ("tags:環境", ["t10000000a-000001", "t10000000a-000002"]),
    ("tags:wat*", ["t10000000a-000001"]),
    ("organization:t20000000b", ["t20000000b-000001", "t20000000b-000002"]),
    ("groups:a00", ["t20000000b-000002", "t30000000c-000002"]),
    ("res_format:KML", ["t20000000b-000002"]),
    ("res_format:(PDF OR KML)", ["t20000000b-000002", "t30000000c-000001"]),
    ("res_format:CSV AND res_format:JSON", ["t10000000a-000001"]),
    ("res_format:CSV && -groups:i00",
     ["t10000000a-000001", "t20000000b-000001", "t20000000b-000002"]),
    ("groups:e00 NOT organization:t10000000a", ["t20000000b-000001"]),
    ("(tags:air OR tags:water) AND res_format:CSV", ["t10000000a-000001", "t20000000b-000001"]),
    ("department:env", ["t10000000a-000001"]),           # an extra by its bare key
    ("extras_department:env", ["t10000000a-000001"]),
    ("accrualPeriodicity:每日", ["t10000000a-000002", "t20000000b-000001"]),  # Taiwan field
    ("num_resources:2", ["t10000000a-000001", "t20000000b-000002", "t30000000c-000001"]),
    ("num_resources:[2 TO *] AND groups:a00", ["t20000000b-000002"]),
    ("res_name:KML", ["t20000000b-000002"]),
    ("capacity:public AND organization:t10000000a", ["t10000000a-000001", "t10000000a-000002"]),
    ("state:active AND tags:air", ["t20000000b-000001"]),
    ("dataset_type:dataset AND tags:air", ["t20000000b-000001"]),
    ("tags:air^2", ["t20000000b-000001"]),
    ("organization:nobody", []),
    ("text:rivers", ["t10000000a-000001"]),
])
def test_solr_subset(crafted, q, want):
    assert found(crafted, q) == want
    assert found(crafted, fq=q) == want  # the same syntax as a filter


def test_match_all_and_ranges(crafted):
    assert found(crafted, "*:*") == ALL
    assert found(crafted, "metadata_modified:[NOW-1DAY TO NOW]") == ALL
    assert found(crafted, "metadata_modified:[NOW-1DAY TO *]") == ALL
    assert found(crafted, "metadata_modified:[* TO NOW-1DAY]") == []
    assert found(crafted, "metadata_created:[2000-01-01T00:00:00Z TO *]") == ALL
    assert found(crafted, "metadata_modified:{* TO 2000-01-01T00:00:00.000000Z}") == []
    assert found(crafted, "name:[t20000000b-000001 TO t20000000b-999999]") == [
        "t20000000b-000001", "t20000000b-000002"]
    assert found(crafted, "tags:*") == ALL


def test_by_id(crafted):
    one = search(crafted, q="name:t30000000c-000002")["results"][0]
    assert found(crafted, "id:" + one["id"]) == ["t30000000c-000002"]
    assert found(crafted, fq="owner_org:" + one["owner_org"]) == [
        "t30000000c-%06d" % n for n in range(1, 9)]
    assert found(crafted, "id:not-a-uuid") == []


def test_fq_and_fq_list_combine_with_q(crafted):
    assert found(crafted, "quality", fq="organization:t20000000b") == ["t20000000b-000001"]
    got = crafted.get(PATH + "?fq_list=groups:e00&fq_list=res_format:CSV&rows=100").json()
    assert names(got["result"]) == ["t10000000a-000001", "t20000000b-000001"]
    assert found(crafted, fq="groups:e00", fq_list="res_format:XML") == ["t10000000a-000002"]


def test_fl_gives_index_fields(crafted):
    r = crafted.get(PATH, params={"q": "name:t20000000b-000001", "fl": "id,name,tags"}).json()
    (item,) = r["result"]["results"]
    assert set(item) == {"id", "name", "tags"}
    assert item["name"] == "t20000000b-000001" and item["tags"] == ["air"]
    r = crafted.get(PATH, params={"q": "tags:air", "fl": "name"}).json()
    assert r["result"]["results"] == [{"name": "t20000000b-000001"}]


# ---- sort, rows, start ---------------------------------------------------------------------


def test_sort(crafted):
    res = search(crafted, sort="name asc", rows=100)
    assert [p["name"] for p in res["results"]] == ALL
    assert res["sort"] == "name asc"
    res = search(crafted, sort="name desc", rows=3)
    assert [p["name"] for p in res["results"]] == ALL[::-1][:3]
    res = search(crafted, sort="title_string asc", rows=100)
    titles = [p["title"] for p in res["results"]]
    assert titles == sorted(titles, key=lambda t: t.encode())
    res = search(crafted, sort="metadata_modified asc", rows=100)
    mods = [p["metadata_modified"] for p in res["results"]]
    assert mods == sorted(mods)
    res = search(crafted, sort="num_resources desc, name asc", rows=3)
    assert [p["name"] for p in res["results"]] == [
        "t10000000a-000001", "t20000000b-000002", "t30000000c-000001"]
    res = search(crafted, sort="id asc", rows=100)
    ids = [p["id"] for p in res["results"]]
    assert ids == sorted(ids)
    assert search(crafted, sort="rank")["sort"] == "score desc, metadata_modified desc"
    # any other name is an extra's bare key, as in CKAN's catch-all string field
    res = search(crafted, sort="department desc, name asc", rows=2)
    assert [p["name"] for p in res["results"]] == ["t10000000a-000001", "t10000000a-000002"]


def test_score_orders_by_relevance(crafted):
    res = search(crafted, q="quality OR rivers", rows=10, mm="1")
    assert [p["name"] for p in res["results"]][0] == "t10000000a-000001"


@pytest.mark.parametrize("sort", ["title asc", "tags asc", "res_format desc", "name", "name up",
                                  "name asc extra", "text desc", ",", "score"])
def test_bad_sort(crafted, sort):
    err = search(crafted, 400, sort=sort)
    assert err == {"message": "Search Query is invalid: 'Invalid \"sort\" parameter'",
                   "__type": "Search Query Error"}


def test_rows_and_start(crafted):
    assert len(search(crafted, rows=3)["results"]) == 3
    assert len(search(crafted, rows=0)["results"]) == 0
    assert search(crafted, rows=0)["count"] == 12
    assert len(search(crafted, rows=5000)["results"]) == 12  # clamped to 1000, not refused
    pages = [search(crafted, sort="name asc", rows=5, start=s)["results"] for s in (0, 5, 10, 15)]
    assert [p["name"] for page in pages for p in page] == ALL
    assert pages[3] == []


@pytest.mark.parametrize("key,value,msg", [
    ("rows", "-1", "Must be a natural number"),
    ("rows", "ten", "Invalid integer"),
    ("start", "-5", "Must be a natural number"),
    ("start", "1.5", "Invalid integer"),
    ("facet.limit", "x", "Invalid integer"),
    ("facet.mincount", "-1", "Must be a natural number"),
])
def test_bad_numbers(crafted, key, value, msg):
    err = search(crafted, 409, **{key: value})
    assert err == {"__type": "Validation Error", key: [msg]}


# ---- facets --------------------------------------------------------------------------------


def test_facets(crafted):
    res = search(crafted, **{"facet.field": json.dumps(["organization", "tags", "res_format"]),
                             "rows": 0})
    assert list(res["facets"]) == ["organization", "tags", "res_format"]
    assert res["facets"]["organization"] == {"t30000000c": 8, "t10000000a": 2, "t20000000b": 2}
    assert list(res["facets"]["organization"]) == ["t30000000c", "t10000000a", "t20000000b"]
    assert res["facets"]["res_format"] == {"CSV": 9, "JSON": 2, "KML": 1, "PDF": 1, "XLSX": 1,
                                           "XML": 1}
    assert res["facets"]["tags"]["filler"] == 6 and res["facets"]["tags"]["環境"] == 2
    org = res["search_facets"]["organization"]
    assert org["title"] == "organization"
    # items: display_name is the organization's title, sorted by display_name descending
    assert org["items"] == [
        {"name": "t30000000c", "display_name": "高雄市政府", "count": 8},
        {"name": "t10000000a", "display_name": "臺北市政府環境保護局", "count": 2},
        {"name": "t20000000b", "display_name": "臺中市政府", "count": 2},
    ]
    fmts = [i["display_name"] for i in res["search_facets"]["res_format"]["items"]]
    assert fmts == sorted(fmts, reverse=True)


def test_facets_follow_the_query(crafted):
    res = search(crafted, fq="groups:e00", **{"facet.field": '["groups", "res_format"]'})
    assert res["facets"]["groups"] == {"e00": 3}
    assert res["search_facets"]["groups"]["items"] == [
        {"name": "e00", "display_name": "生活安全及品質", "count": 3}]
    assert res["facets"]["res_format"] == {"CSV": 2, "JSON": 1, "XML": 1}


def test_facet_limit_and_mincount(crafted):
    ff = {"facet.field": '["res_format"]'}
    assert search(crafted, **ff, **{"facet.limit": 2})["facets"]["res_format"] == {
        "CSV": 9, "JSON": 2}
    assert len(search(crafted, **ff, **{"facet.limit": -1})["facets"]["res_format"]) == 6
    assert search(crafted, **ff, **{"facet.limit": 0})["facets"]["res_format"] == {}
    assert search(crafted, **ff, **{"facet.mincount": 2})["facets"]["res_format"] == {
        "CSV": 9, "JSON": 2}
    assert search(crafted, **ff, facet="false")["facets"] == {}


def test_facet_field_forms(crafted):
    r = crafted.get(PATH + "?facet.field=tags&facet.field=groups&rows=0")
    assert list(r.json()["result"]["facets"]) == ["tags", "groups"]
    r = crafted.get(PATH, params={"facet.field": '"license_id"', "rows": 0})
    assert list(r.json()["result"]["facets"]) == ["license_id"]
    res = search(crafted, **{"facet.field": '["accrualPeriodicity", "num_resources"]'})
    assert res["facets"]["accrualPeriodicity"] == {"每日": 2, "每月": 1}
    assert res["facets"]["num_resources"] == {"1": 9, "2": 3}
    err = search(crafted, 409, **{"facet.field": "[organization"})
    assert err == {"__type": "Validation Error", "facet.field": ["Could not parse as valid JSON"]}


# ---- errors --------------------------------------------------------------------------------


def test_unknown_parameters(crafted):
    err = search(crafted, 400, limit="5")
    assert err == {"message": "Search Query is invalid: \"Invalid search parameters: ['limit']\"",
                   "__type": "Search Query Error"}
    assert search(crafted, ext_bbox="1,2,3,4", qf="name^4", wt="json", tie="0.1")["count"] == 12


@pytest.mark.parametrize("q,detail", [
    ("title:(water", "expected ')'"),
    ("title:water)", "unexpected ')'"),
    ("water AND", "expected a term"),
    ("title:wat~2", "fuzzy and proximity searches (~) are not supported"),
    ("name:/t1.*/", "regular expressions"),
    ('title:"open', "missing closing quote"),
    ("metadata_modified:[yesterday TO *]", "is not a date"),
    ("metadata_modified:[2024-02-30T00:00:00Z TO *]", "is not a date"),
    ("title:[a TO b]", "range queries are not supported on the field 'title'"),
    ("num_resources:[a TO b]", "is not an integer"),
    ("a:b:c", "found ':'"),
])
def test_syntax_errors_are_400(crafted, q, detail):
    for where in ("q", "fq"):
        err = search(crafted, 400, **{where: q})
        assert err["__type"] == "Search Query Error"
        assert err["message"].startswith("Search Query is invalid: ")
        assert detail in err["message"] and "Cannot parse" in err["message"]


def test_local_params_are_a_search_error(crafted):
    err = search(crafted, 409, q="{!lucene}water")
    assert err == {"message": "Search error: 'Local parameters are not supported.'",
                   "__type": "Search Error"}


def test_hostile_input_never_500(crafted):
    for q in ["'; DROP TABLE package; --", "\\", "name:\\", "((((((((((", "*:*:*", "-", "+",
              "AND", "title:*", "x" * 5000, "臺" * 3000, "name:" + "a*" * 100,
              "metadata_modified:[NOW-99999YEARS TO *]", "tags:(" + " OR ".join(["a"] * 2000) + ")"]:
        for where in ("q", "fq"):
            r = crafted.get(PATH, params={where: q})
            assert r.status_code in (200, 400), (where, q[:50], r.text[:200])
    assert search(crafted)["count"] == 12


# ---- visibility and freshness (their own database: they change it) --------------------------


@pytest.fixture
def own(cluster, tmp_path):
    db = new_database(cluster, write_catalog(tmp_path / "catalog.json", CRAFTED))
    s = Server(db)
    s.db = db
    yield s
    s.stop()


def psql(cluster, db, sql):
    return cluster.psql(sql, db.rsplit("/", 1)[1])


def test_private_and_draft_datasets_are_hidden(cluster, own):
    assert search(own)["count"] == 12  # kept by the cache of answers without q
    psql(cluster, own.db, "UPDATE package SET private = true WHERE name = 't10000000a-000001';"
                          "UPDATE package SET state = 'draft' WHERE name = 't20000000b-000001'")
    assert search(own)["count"] == 10  # the commit is seen at once, whatever was cached
    for extra in ({}, {"include_private": "true"}, {"include_drafts": "true"},
                  {"include_private": "true", "include_drafts": "true"},
                  {"fq": "+state:draft"}, {"q": "capacity:private"}):
        got = found(own, **extra)
        assert "t10000000a-000001" not in got and "t20000000b-000001" not in got


def test_writes_are_seen(cluster, own):
    search(own, **{"facet.field": '["tags"]'})  # warm the cache
    psql(cluster, own.db, "UPDATE package SET title = 'Groundwater wells' "
                          "WHERE name = 't30000000c-000002'")
    assert found(own, "groundwater") == ["t30000000c-000002"]
    assert search(own, q="name:t30000000c-000002")["results"][0]["title"] == "Groundwater wells"
    psql(cluster, own.db, "DELETE FROM package WHERE name = 't30000000c-000003'")
    res = search(own, **{"facet.field": '["tags"]'})
    assert res["count"] == 11 and res["facets"]["tags"]["filler"] == 5


# ---- the cache of answers without q (server/search_cache.c, sql/012) --------------------------

FACETS = '["organization", "tags", "res_format"]'
# answers the cache keeps: the default page, with facets, a facet link's filter, other pages
CACHED = [{}, {"facet.field": FACETS}, {"facet.field": FACETS, "fq": 'tags:"filler"'},
          {"q": "*:*", "fq": "+organization:t30000000c", "facet.field": '["tags"]', "rows": "3",
           "start": "2", "sort": "name asc"}, {"facet": "false", "rows": "1"}]


@pytest.fixture
def pair(cluster, tmp_path):
    """Two servers on one database of the crafted catalogue: one with the cache (the default)
    and one without, whose answers are computed for every request."""
    db = new_database(cluster, write_catalog(tmp_path / "catalog.json", CRAFTED))
    a, b = Server(db), Server(db, "--search-cache-mb", "0")
    a.db = db
    yield a, b
    a.stop()
    b.stop()


def raw(srv, params, **kw):
    r = srv.get(PATH, params=params, **kw)
    assert r.status_code == 200, r.text[:300]
    return r.content


def same_as_uncached(a, b):
    """Each cached kind of answer, twice from a (the second from its cache), equals b's."""
    for params in CACHED:
        first, again = raw(a, params), raw(a, params)
        assert first == again == raw(b, params), params


def test_cached_answers_equal_uncached_ones(pair):
    a, b = pair
    same_as_uncached(a, b)
    validate(json.loads(raw(a, {"facet.field": FACETS})), "ckan-package-search.schema.json")
    # a POST body asks the same search as the query string
    body = {"facet.field": ["organization", "tags", "res_format"]}
    r = requests.post(a.base + PATH, json=body, timeout=10)
    assert r.status_code == 200 and r.content == raw(b, {"facet.field": FACETS})


def test_cached_answers_have_the_envelope_features(pair):
    """Headers, ETag/304, JSONP and pretty are as for an answer computed for the request."""
    a, b = pair
    params = {"facet.field": FACETS}
    raw(a, params)  # kept now
    ra, rb = a.get(PATH, params=params), b.get(PATH, params=params)
    for h in ("Content-Type", "ETag", "Cache-Control"):
        assert ra.headers.get(h) == rb.headers.get(h), h
    assert ra.headers["ETag"]
    r = a.get(PATH, params=params, headers={"If-None-Match": ra.headers["ETag"]})
    assert r.status_code == 304 and r.content == b""
    for extra in ({"callback": "cb"}, {"pretty": "true"}):
        ra, rb = a.get(PATH, params={**params, **extra}), b.get(PATH, params={**params, **extra})
        assert ra.status_code == rb.status_code == 200
        assert ra.content == rb.content and ra.headers["Content-Type"] == rb.headers["Content-Type"]
    assert ra.content.startswith(b"{\n")  # pretty: indented
    assert a.get(PATH, params={**params, "callback": "cb"}).content.startswith(b"cb(")


def test_a_commit_is_seen_by_the_next_request(cluster, pair):
    a, b = pair
    same_as_uncached(a, b)
    psql(cluster, a.db, "UPDATE package SET title = 'Newest of all', metadata_modified = now() "
                        "WHERE name = 't30000000c-000004'")
    top = search(a)["results"][0]
    assert (top["name"], top["title"]) == ("t30000000c-000004", "Newest of all")
    same_as_uncached(a, b)
    # a deletion changes the count and the facets
    psql(cluster, a.db, "DELETE FROM package WHERE name IN ('t30000000c-000005', "
                        "'t30000000c-000006')")
    res = search(a, **{"facet.field": FACETS})
    assert res["count"] == 10 and res["facets"]["tags"]["filler"] == 4
    assert res["facets"]["res_format"]["CSV"] == 7
    same_as_uncached(a, b)
    # an organization's new title is its facet item's display name
    psql(cluster, a.db, "UPDATE grp SET title = 'Kaohsiung City' WHERE name = 't30000000c'")
    items = search(a, **{"facet.field": FACETS})["search_facets"]["organization"]["items"]
    assert {"name": "t30000000c", "display_name": "Kaohsiung City", "count": 6} in items
    same_as_uncached(a, b)


def test_an_import_is_seen_by_the_next_request(cluster, pair, tmp_path):
    a, b = pair
    before = search(a, **{"facet.field": FACETS})
    assert before["count"] == 12 and "newtag" not in before["facets"]["tags"]
    new = rec("T40000000D-000001", "Freshly imported", "T40000000D", "新竹市政府", "A00",
              ["GeoJSON"], ["newtag", "filler"], "Imported while the cache held the old page")
    run_import(a.db, "catalog", write_catalog(tmp_path / "new.json", [new]), check=True)
    res = search(a, **{"facet.field": FACETS})
    assert res["count"] == 13 and res["results"][0]["name"] == "t40000000d-000001"
    assert res["facets"]["tags"]["newtag"] == 1 and res["facets"]["tags"]["filler"] == 7
    assert res["facets"]["res_format"]["GeoJSON"] == 1
    assert res["facets"]["organization"]["t40000000d"] == 1
    same_as_uncached(a, b)


def test_concurrent_requests_after_a_commit_all_see_it(cluster, pair):
    a, b = pair
    from concurrent.futures import ThreadPoolExecutor
    params = {"facet.field": FACETS}
    raw(a, params)
    psql(cluster, a.db, "UPDATE package SET private = true WHERE name = 't10000000a-000002'")
    with ThreadPoolExecutor(16) as pool:
        bodies = list(pool.map(lambda _: raw(a, params), range(64)))
    assert all(json.loads(x)["result"]["count"] == 11 for x in bodies)
    assert set(bodies) == {raw(b, params)}


def test_callers_with_credentials_are_not_served_from_the_cache(cluster, pair):
    a, b = pair
    every = {"rows": "20"}
    raw(a, every)
    # a change that does not move the generation (its trigger off): the cache keeps the page
    psql(cluster, a.db, "ALTER TABLE ckan_doc DISABLE TRIGGER ckan_search_gen_dict;"
                        "ALTER TABLE ckan_search_doc DISABLE TRIGGER ckan_search_gen_doc;"
                        "ALTER TABLE tw_doc DISABLE TRIGGER ckan_search_gen_tw;"
                        "UPDATE package SET title = 'Unannounced' WHERE name = 't10000000a-000001'")
    try:
        def titles(**kw):
            return {p["title"] for p in json.loads(raw(a, every, **kw))["result"]["results"]}
        assert "Unannounced" not in titles()  # anonymous: the kept answer
        for header in ("Authorization", "X-CKAN-API-Key"):
            assert "Unannounced" in titles(headers={header: "some-token"})
    finally:
        psql(cluster, a.db, "ALTER TABLE ckan_doc ENABLE TRIGGER ckan_search_gen_dict;"
                            "ALTER TABLE ckan_search_doc ENABLE TRIGGER ckan_search_gen_doc;"
                            "ALTER TABLE tw_doc ENABLE TRIGGER ckan_search_gen_tw")


def test_more_keys_than_the_cache_holds(cluster, tmp_path):
    db = new_database(cluster, write_catalog(tmp_path / "catalog.json", CRAFTED))
    a, b = Server(db, "--search-cache-mb", "1"), Server(db, "--search-cache-mb", "0")
    try:
        keys = [{"rows": str(r), "start": str(s), "facet.field": FACETS}
                for r in range(1, 13) for s in range(0, 13)]  # 156 keys: evictions, the table grows
        for k in keys + keys:
            assert raw(a, k) == raw(b, k)
        psql(cluster, db, "UPDATE package SET title = 'Changed' WHERE name = 't20000000b-000002'")
        for k in keys[::7]:
            assert raw(a, k) == raw(b, k)
    finally:
        a.stop()
        b.stop()


def test_search_cache_mb_sizes_the_cache(cluster, tmp_path):
    """--search-cache-mb 0 keeps nothing; 1 keeps answers until 1 MiB of newer ones push the
    oldest out. Seen through a change that does not move the generation (its triggers off)."""
    db = new_database(cluster, write_catalog(tmp_path / "catalog.json", CRAFTED))
    a, b = Server(db, "--search-cache-mb", "1"), Server(db, "--search-cache-mb", "0")
    first = {"rows": "20"}

    def titles(srv):
        return {p["title"] for p in json.loads(raw(srv, first))["result"]["results"]}
    try:
        raw(a, first)
        raw(b, first)
        psql(cluster, db, "ALTER TABLE ckan_doc DISABLE TRIGGER ckan_search_gen_dict;"
                          "ALTER TABLE ckan_search_doc DISABLE TRIGGER ckan_search_gen_doc;"
                          "ALTER TABLE tw_doc DISABLE TRIGGER ckan_search_gen_tw;"
                          "UPDATE package SET title = 'Unannounced' WHERE name = 't10000000a-000001'")
        assert "Unannounced" not in titles(a)  # kept
        assert "Unannounced" in titles(b)  # nothing kept
        newer = 0
        for rows in range(1, 13):
            for start in range(0, 13):
                if newer <= (5 << 20) // 4:
                    newer += len(raw(a, {"rows": str(rows), "start": str(start),
                                         "facet.field": FACETS}))
        assert newer > (5 << 20) // 4, newer
        assert "Unannounced" in titles(a)  # pushed out by more than 1 MiB of newer answers
    finally:
        psql(cluster, db, "ALTER TABLE ckan_doc ENABLE TRIGGER ckan_search_gen_dict;"
                          "ALTER TABLE ckan_search_doc ENABLE TRIGGER ckan_search_gen_doc;"
                          "ALTER TABLE tw_doc ENABLE TRIGGER ckan_search_gen_tw")
        a.stop()
        b.stop()


# ---- the demo catalogue --------------------------------------------------------------------


def test_demo_catalogue(server):
    res = search(server, **{"facet.field": '["organization", "tags", "res_format"]'})
    assert res["count"] >= 39
    assert res["search_facets"]["organization"]["items"]
    res = search(server, q="臺中")
    assert res["count"] > 0
    assert all("臺中" in json.dumps(p, ensure_ascii=False) for p in res["results"])


# ---- ckanext-harvest: fq on metadata_modified, sort=id asc, paging with start ----------------


HARVEST_ORGS = ["H1000000%sA" % c for c in "ABCDE"]


def harvest_catalog():
    cats = ["100", "A00", "E00", "I00"]
    return [rec("%s-%06d" % (HARVEST_ORGS[i % 5], i), "Harvest dataset %d" % i, HARVEST_ORGS[i % 5],
                "機關%d" % (i % 5), cats[i % 4], ["CSV"], ["h%d" % (i % 7)]) for i in range(250)]


@pytest.fixture(scope="module")
def harvest(cluster, tmp_path_factory):
    db = new_database(cluster, write_catalog(tmp_path_factory.mktemp("harvest") / "h.json",
                                             harvest_catalog()))
    s = Server(db)
    s.db = db
    yield s
    s.stop()


def harvest_ids(srv, fq_terms):
    """ckanext-harvest's CKANHarvester._search_for_datasets, step by step."""
    params = {"rows": "100", "start": "0", "sort": "id asc"}
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    ids, previous, pages = [], None, 0
    while True:
        url = srv.base + PATH + "?" + urllib.parse.urlencode(params)
        content = requests.get(url, timeout=30).content
        assert content != previous, "identical consecutive pages"
        previous = content
        page = json.loads(content)["result"]["results"]
        if not page:
            break
        ids += [p["id"] for p in page]
        params["start"] = str(int(params["start"]) + int(params["rows"]))
        pages += 1
        assert pages < 20
    return ids


def test_harvest_paging_gets_each_dataset_once(cluster, harvest):
    all_ids = psql(cluster, harvest.db, "SELECT id FROM package ORDER BY id").split()
    assert len(all_ids) == 250
    ids = harvest_ids(harvest, ["metadata_modified:[2000-01-01T00:00:00.000000Z TO *]"])
    assert ids == all_ids  # each exactly once, in id order
    assert harvest_ids(harvest, []) == all_ids


def test_harvest_since_a_time(cluster, harvest):
    since = psql(cluster, harvest.db,
                 "SELECT to_char(metadata_modified AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM package "
                 "ORDER BY metadata_modified, id OFFSET 137 LIMIT 1").strip()
    want = psql(cluster, harvest.db,
                "SELECT id FROM package WHERE metadata_modified >= '%sZ' ORDER BY id" % since
                ).split()
    assert 100 < len(want) <= 113
    assert harvest_ids(harvest, ["metadata_modified:[%sZ TO *]" % since]) == want


def test_harvest_with_organization_and_group_terms(cluster, harvest):
    want = psql(cluster, harvest.db,
                "SELECT p.id FROM package p JOIN grp o ON o.id = p.owner_org "
                "JOIN member m ON m.table_id = p.id JOIN grp g ON g.id = m.group_id "
                "WHERE o.name = 'h1000000aa' AND g.name = 'e00' ORDER BY p.id").split()
    assert want
    got = harvest_ids(harvest, ["metadata_modified:[2000-01-01T00:00:00.000000Z TO *]",
                                "organization:h1000000aa", "-organization:h1000000ba",
                                "groups:e00"])
    assert got == want


# ---- package_show's anonymous answers, kept the same way -----------------------------------

SHOW = "/api/3/action/package_show"


def show_names(srv):
    return srv.get("/api/3/action/package_list").json()["result"]


def test_package_show_kept_answers_equal_computed_ones(pair):
    a, b = pair
    names = show_names(b)
    ids = [b.get(SHOW, params={"id": n}).json()["result"]["id"] for n in names]
    for key in names + ids:  # by name and by id: separate entries, equal answers
        first, again, other = (s.get(SHOW, params={"id": key}) for s in (a, a, b))
        assert first.status_code == 200 and first.content == again.content == other.content
        assert first.headers["ETag"] == other.headers["ETag"]
        r = a.get(SHOW, params={"id": key}, headers={"If-None-Match": first.headers["ETag"]})
        assert r.status_code == 304
    for lang in ("en", "tc", "sc"):  # a language prefix is part of the key
        path = f"/{lang}-data/api/3/action/package_show"
        assert a.get(path, params={"id": names[0]}).content == \
            b.get(path, params={"id": names[0]}).content
    for extra in ({"callback": "cb"}, {"pretty": "true"}):
        ra = a.get(SHOW, params={"id": names[0], **extra})
        assert ra.content == b.get(SHOW, params={"id": names[0], **extra}).content
    missing = a.get(SHOW, params={"id": "no-such-dataset"})
    assert missing.status_code == 404 and missing.content == \
        b.get(SHOW, params={"id": "no-such-dataset"}).content


def test_package_show_sees_a_commit_at_once(cluster, pair):
    a, b = pair
    name = show_names(b)[0]
    assert a.get(SHOW, params={"id": name}).status_code == 200  # kept
    psql(cluster, a.db, f"UPDATE package SET title = 'Changed under the cache' WHERE name = '{name}'")
    got = a.get(SHOW, params={"id": name})
    assert got.json()["result"]["title"] == "Changed under the cache"
    assert got.content == b.get(SHOW, params={"id": name}).content
    psql(cluster, a.db, f"UPDATE package SET private = true WHERE name = '{name}'")
    gone, other = a.get(SHOW, params={"id": name}), b.get(SHOW, params={"id": name})
    assert gone.status_code == other.status_code != 200 and gone.content == other.content
    psql(cluster, a.db, f"UPDATE package SET private = false WHERE name = '{name}'")
    assert a.get(SHOW, params={"id": name}).status_code == 200


def test_package_show_with_credentials_is_never_served_from_memory(cluster, pair):
    a, b = pair
    name = show_names(b)[1]
    a.get(SHOW, params={"id": name})
    psql(cluster, a.db, "ALTER TABLE ckan_doc DISABLE TRIGGER ckan_search_gen_dict;"
                        "ALTER TABLE ckan_search_doc DISABLE TRIGGER ckan_search_gen_doc;"
                        "ALTER TABLE tw_doc DISABLE TRIGGER ckan_search_gen_tw;"
                        f"UPDATE package SET title = 'Unannounced show' WHERE name = '{name}'")
    try:
        anon = a.get(SHOW, params={"id": name}).json()["result"]["title"]
        assert anon != "Unannounced show"  # anonymous: the kept answer (the trigger was off)
        mine = a.get(SHOW, params={"id": name}, headers={"Authorization": "some-token"})
        assert mine.json()["result"]["title"] == "Unannounced show"
    finally:
        psql(cluster, a.db, "ALTER TABLE ckan_doc ENABLE TRIGGER ckan_search_gen_dict;"
                            "ALTER TABLE ckan_search_doc ENABLE TRIGGER ckan_search_gen_doc;"
                            "ALTER TABLE tw_doc ENABLE TRIGGER ckan_search_gen_tw;")


def test_taiwan_dataset_kept_answers_are_never_stale(cluster, pair):
    """Endpoint 6 is kept the same way (every caller gets the same public document)."""
    a, b = pair
    ids = b.get("/api/v1/rest/dataset").json()["result"]
    for i in ids:
        path = f"/api/v1/rest/dataset/{i}"
        first, again, other = a.get(path), a.get(path), b.get(path)
        assert first.status_code == 200 and first.content == again.content == other.content
        assert a.get(path + "?pretty=true").content == b.get(path + "?pretty=true").content
    missing = "/api/v1/rest/dataset/NO-SUCH-ID"
    assert a.get(missing).status_code == 404
    assert a.get(missing).content == b.get(missing).content  # ER010002 as computed
    name = ids[0].lower()
    psql(cluster, a.db, f"UPDATE package SET title = '改過的標題' WHERE name = '{name}'")
    got = a.get(f"/api/v1/rest/dataset/{ids[0]}").json()["result"]
    assert got["title"] == "改過的標題"
    psql(cluster, a.db, f"UPDATE package SET private = true WHERE name = '{name}'")
    gone = a.get(f"/api/v1/rest/dataset/{ids[0]}")
    assert gone.status_code == 404 and gone.content == b.get(f"/api/v1/rest/dataset/{ids[0]}").content
