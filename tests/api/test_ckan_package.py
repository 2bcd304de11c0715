"""CKAN package and resource read actions (ckan-research §3.1, §4): package_show, package_list,
current_package_list_with_resources, package_autocomplete, format_autocomplete, resource_show,
resource_search, package_relationships_list. Read-only checks run on the session server (demo
catalogue + the real data.gov.tw record A41000000G-000001); checks that need private, deleted or
related datasets, licences or changed rows run on a database of their own. Every caller is
anonymous: only active, public datasets are visible. Answers are validated against
schemas/ckan-*.schema.json."""
import json
import os
import re

import psycopg2
import pytest
import requests

from conftest import DEMO_CATALOG, FIXTURES, Server, new_database, run_import, validate

REAL_ID = "A41000000G-000001"
REAL_NAME = "a41000000g-000001"
REAL = os.path.join(FIXTURES, "datagovtw_v1_rest_dataset_A41000000G-000001.json")
SITE = "http://portal.example.test"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")

# The Taiwan standard fields that are not title/description/keyword/distribution: each is an
# extra with the same key, but `type` and `notes` (CKAN's own field names): TW_EXTRA_NAME.
TW_EXTRA_NAME = {"type": "dataType", "notes": "remarks"}
TW_EXTRA_KEYS = [
    "categoryCode", "identifier", "fieldDescription", "type", "license", "licenseURL", "cost",
    "costURL", "costLaw", "organization", "organizationContactName", "organizationContactPhone",
    "organizationContactEmail", "publisher", "publisherContactName", "publisherContactPhone",
    "publisherContactEmail", "publisherOID", "publisherOrgCode", "accrualPeriodicity",
    "temporalCoverageFrom", "temporalCoverageTo", "issued", "modified", "spatial", "language",
    "landingPage", "numberOfData", "notes"]


def act(srv, action, **params):
    return srv.get(f"/api/3/action/{action}", params=params)


def post(srv, action, body):
    return requests.post(f"{srv.base}/api/3/action/{action}", json=body, timeout=10)


def ok(r, schema=None):
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["help", "success", "result"]
    assert body["success"] is True
    if schema:
        validate(body, schema)
    return body["result"]


def error(r, status, type_):
    assert r.status_code == status, r.text
    body = r.json()
    validate(body, "ckan-error.schema.json")
    assert body["error"]["__type"] == type_
    return body["error"]


def invalid(r):
    return error(r, 409, "Validation Error")


def show(srv, id_):
    return ok(act(srv, "package_show", id=id_), "ckan-package-show.schema.json")


@pytest.fixture(scope="module")
def real_record():
    with open(REAL, encoding="utf-8") as f:
        return json.load(f)["result"]


@pytest.fixture(scope="module")
def real(server):
    return show(server, REAL_ID)


# ---- package_show on the real record --------------------------------------------------------

def test_package_show_real_record_core_fields(real, real_record):
    assert real["name"] == REAL_NAME
    assert real["title"] == real_record["title"] == "政府資料開放平臺資料集清單"
    assert real["notes"] == real_record["description"]
    assert real["type"] == "dataset"
    assert real["state"] == "active" and real["private"] is False
    assert real["url"] == real_record["landingPage"]
    assert real["maintainer"] == real_record["publisherContactName"]
    assert real["maintainer_email"] == real_record["publisherContactEmail"]
    assert real["author"] is None and real["version"] is None
    assert TS.match(real["metadata_created"]) and TS.match(real["metadata_modified"])
    assert real["metadata_created"] <= real["metadata_modified"]
    assert real["relationships_as_subject"] == [] and real["relationships_as_object"] == []


def test_package_show_keys_in_alphabetical_order(real):
    assert list(real) == sorted(real)
    core = list(real["resources"][0])[:20]
    assert core == sorted(core)


def test_package_show_tags_from_keyword_sorted_by_code_point(real, real_record):
    names = [t["name"] for t in real["tags"]]
    assert names == sorted(real_record["keyword"]) == ["OpenData", "全部資料集", "本站清單"]
    for t in real["tags"]:
        assert t["display_name"] == t["name"]
        assert t["state"] == "active" and t["vocabulary_id"] is None
    assert real["num_tags"] == 3


def test_package_show_organization_and_group(real):
    org = real["organization"]
    assert org["name"] == "a41000000g" and org["title"] == "國家發展委員會"
    assert org["is_organization"] is True and org["type"] == "organization"
    assert org["state"] == "active" and org["approval_status"] == "approved"
    assert real["owner_org"] == org["id"]
    assert [g["name"] for g in real["groups"]] == ["i00"]
    g = real["groups"][0]
    assert g["title"] == g["display_name"] == "公共資訊"


def test_package_show_resources(real, real_record):
    res = real["resources"]
    assert [r["id"] for r in res] == [f"{REAL_ID}-00{i}" for i in (1, 2, 3)]
    assert [r["position"] for r in res] == [0, 1, 2]
    assert real["num_resources"] == 3
    for r, d in zip(res, real_record["distribution"]):
        assert r["package_id"] == real["id"]
        assert r["url"] == d["downloadURL"]
        assert r["format"] == d["format"]
        assert r["description"] == r["name"] == d["resourceDescription"]
        assert r["characterSetCode"] == d["characterSetCode"]
        assert r["metadataSourceOfData"] == d["metadataSourceOfData"]
        assert r["state"] == "active" and r["hash"] == "" and r["datastore_active"] is False
        assert r["size"] is None and r["url_type"] is None
    # resourceModified is Taipei time; CKAN shows naive UTC.
    assert res[0]["last_modified"] == "2016-06-16T15:59:40"


def test_package_show_extras_carry_every_taiwan_field(real, real_record):
    extras = real["extras"]
    keys = [e["key"] for e in extras]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    values = {e["key"]: e["value"] for e in extras}
    for k in TW_EXTRA_KEYS:
        want = real_record[k]
        key = TW_EXTRA_NAME.get(k, k)
        assert values[key] == (want if isinstance(want, str) else json.dumps(want)), k
    assert "type" not in values and "notes" not in values
    assert values["numberOfData"] == "28000"
    assert values["categoryCode"] == "I00"
    assert values["identifier"] == REAL_ID
    assert values["issued"] == "2013-11-01 00:00:00"
    assert values["modified"] == "2016-06-25 09:28:53"


def test_package_show_agency_extras_json_encoded(real, real_record):
    values = {e["key"]: e["value"] for e in real["extras"]}
    assert values["viewCount"] == "622"
    assert values["downloadCount"] == ""
    assert json.loads(values["Comments"]) == real_record["Comments"]


def test_package_show_taiwan_licence_text_when_no_license_id(real, real_record):
    assert real["license_id"] is None
    assert real["license_title"] == real_record["license"]
    assert real["license_url"] == real_record["licenseURL"]
    assert real["isopen"] is False


# ---- package_show lookups and errors --------------------------------------------------------

@pytest.mark.parametrize("id_", [REAL_ID, REAL_NAME, "a41000000G-000001", "A41000000g-000001"])
def test_package_show_by_identifier_any_case_and_name(server, real, id_):
    assert show(server, id_) == real


def test_package_show_by_uuid_and_name_or_id(server, real):
    assert show(server, real["id"]) == real
    assert show(server, real["id"].upper()) == real
    assert ok(act(server, "package_show", name_or_id=REAL_NAME)) == real
    # id="" falls back to name_or_id, as CKAN's `data_dict.get("id") or ...` does
    assert ok(act(server, "package_show", id="", name_or_id=REAL_NAME)) == real


def test_package_show_post_json_and_flags(server, real):
    assert ok(post(server, "package_show", {"id": REAL_NAME, "use_default_schema": True,
                                            "include_plugin_data": True})) == real
    assert ok(act(server, "package_show", id=REAL_NAME, use_default_schema="true",
                  include_plugin_data="false")) == real


def test_package_show_help_link(server):
    body = act(server, "package_show", id=REAL_NAME).json()
    assert body["help"].endswith("/api/3/action/help_show?name=package_show")


def test_package_show_missing_id(server):
    err = invalid(act(server, "package_show"))
    assert err == {"__type": "Validation Error", "name_or_id": ["Missing value"]}
    assert invalid(post(server, "package_show", {}))["name_or_id"] == ["Missing value"]


@pytest.mark.parametrize("id_", ["no-such-dataset", "00000000-0000-0000-0000-000000000000", ""])
def test_package_show_unknown_is_404(server, id_):
    params = {"name_or_id": id_} if id_ == "" else {"id": id_}
    err = error(act(server, "package_show", **params), 404, "Not Found Error")
    assert err["message"] == "Not found"


def test_package_show_every_demo_dataset_validates(server):
    for name in ok(act(server, "package_list")):
        p = show(server, name)
        assert p["name"] == name
        assert p["num_resources"] == len(p["resources"])
        assert p["num_tags"] == len(p["tags"])
        assert [r["position"] for r in p["resources"]] == list(range(len(p["resources"])))
        tags = [t["name"] for t in p["tags"]]
        assert tags == sorted(tags)


# ---- package_list ---------------------------------------------------------------------------

def test_package_list_all_sorted(server):
    names = ok(act(server, "package_list"), "ckan-package-list.schema.json")
    assert len(names) == 39
    assert names == sorted(names)
    assert REAL_NAME in names


def test_package_list_limit_offset(server):
    names = ok(act(server, "package_list"))
    assert ok(act(server, "package_list", limit=5)) == names[:5]
    assert ok(act(server, "package_list", limit=5, offset=3)) == names[3:8]
    assert ok(act(server, "package_list", offset=37)) == names[37:]
    assert ok(act(server, "package_list", offset=1000)) == []
    # CKAN applies the limit only when it is truthy: 0 means all
    assert ok(act(server, "package_list", limit=0)) == names
    assert ok(post(server, "package_list", {"limit": 2, "offset": 1})) == names[1:3]


@pytest.mark.parametrize("param,value,msg", [
    ("limit", "-1", "Must be a natural number"), ("limit", "x", "Invalid integer"),
    ("offset", "-5", "Must be a natural number"), ("offset", "1.5", "Invalid integer")])
def test_package_list_bad_paging(server, param, value, msg):
    err = invalid(act(server, "package_list", **{param: value}))
    assert err[param] == [msg]


# ---- current_package_list_with_resources -----------------------------------------------------

def test_current_package_list_default_page(server):
    page = ok(act(server, "current_package_list_with_resources"),
              "ckan-current-package-list.schema.json")
    assert len(page) == 10
    mods = [p["metadata_modified"] for p in page]
    assert mods == sorted(mods, reverse=True)
    # the real record was imported last
    assert page[0]["name"] == REAL_NAME
    assert page[0] == show(server, REAL_NAME)


def test_current_package_list_limit_offset_page(server):
    everything = ok(act(server, "current_package_list_with_resources", limit=1000),
                    "ckan-current-package-list.schema.json")
    assert len(everything) == 39
    names = [p["name"] for p in everything]
    assert sorted(names) == ok(act(server, "package_list"))

    def page(**kw):
        return [p["name"] for p in ok(act(server, "current_package_list_with_resources", **kw))]
    assert page(limit=3) == names[:3]
    assert page(limit=3, offset=2) == names[2:5]
    assert page(offset=35) == names[35:]
    assert page(limit=3, page=2) == names[3:6]
    assert page(limit=3, page=2, offset=1) == names[1:4]  # offset wins over page
    assert page(page=3) == names[:10]                     # page needs a limit
    assert page(limit=0) == []
    assert len(page(limit=5000)) == 39                     # rows clamp at 1000


@pytest.mark.parametrize("params,field,msg", [
    ({"limit": "-1"}, "limit", "Must be a natural number"),
    ({"offset": "a"}, "offset", "Invalid integer"),
    ({"page": "0"}, "page", "Must be a positive integer"),
    ({"page": "-2"}, "page", "Must be a positive integer"),
    ({"page": "x"}, "page", "Invalid integer")])
def test_current_package_list_bad_params(server, params, field, msg):
    assert invalid(act(server, "current_package_list_with_resources", **params))[field] == [msg]


# ---- package_autocomplete -------------------------------------------------------------------

def test_package_autocomplete_by_name(server):
    res = ok(act(server, "package_autocomplete", q="a41000000g-000001"),
             "ckan-package-autocomplete.schema.json")
    assert res[0] == {"name": REAL_NAME, "title": "政府資料開放平臺資料集清單",
                      "match_field": "name", "match_displayed": REAL_NAME}
    res = ok(act(server, "package_autocomplete", q="A41"))
    assert len(res) == 4 and all(r["name"].startswith("a41") for r in res)
    assert all(r["match_field"] == "name" for r in res)


def test_package_autocomplete_by_title(server):
    res = ok(act(server, "package_autocomplete", q="資料集清單"),
             "ckan-package-autocomplete.schema.json")
    assert res == [{"name": REAL_NAME, "title": "政府資料開放平臺資料集清單",
                    "match_field": "title",
                    "match_displayed": f"政府資料開放平臺資料集清單 ({REAL_NAME})"}]


def test_package_autocomplete_limit(server):
    assert len(ok(act(server, "package_autocomplete", q="0"))) == 10
    assert len(ok(act(server, "package_autocomplete", q="0", limit=3))) == 3
    assert ok(act(server, "package_autocomplete", q="0", limit=0)) == []
    assert ok(act(server, "package_autocomplete", q="")) == []
    assert ok(act(server, "package_autocomplete", q="%")) == []  # wildcards are literal
    assert ok(post(server, "package_autocomplete", {"q": "a41", "limit": 1}))[0]["name"].startswith("a41")


def test_package_autocomplete_errors(server):
    assert invalid(act(server, "package_autocomplete"))["q"] == ["Missing value"]
    assert invalid(act(server, "package_autocomplete", q="a", limit="-1"))["limit"] == \
        ["Must be a natural number"]


# ---- format_autocomplete --------------------------------------------------------------------

def test_format_autocomplete(server):
    res = ok(act(server, "format_autocomplete", q="s"), "ckan-format-autocomplete.schema.json")
    assert res[0] == "csv"  # most used first
    assert set(res) <= {"csv", "json", "ods", "xlsx", "rss", "xls"}
    assert len(res) == 5
    assert ok(act(server, "format_autocomplete", q="CS")) == ["csv"]
    assert ok(act(server, "format_autocomplete", q="x", limit=1)) == ["xml"]
    assert ok(act(server, "format_autocomplete", q="壓縮")) == ["壓縮檔"]
    assert ok(act(server, "format_autocomplete", q="nothing-like-this")) == []
    assert ok(act(server, "format_autocomplete", q="_")) == []
    assert ok(post(server, "format_autocomplete", {"q": "json"})) == ["json"]


def test_format_autocomplete_errors(server):
    assert invalid(act(server, "format_autocomplete"))["q"] == ["Missing value"]
    assert invalid(act(server, "format_autocomplete", q="c", limit="z"))["limit"] == \
        ["Invalid integer"]


# ---- resource_show --------------------------------------------------------------------------

def test_resource_show_is_the_package_show_resource(server, real):
    for res in real["resources"]:
        got = ok(act(server, "resource_show", id=res["id"]), "ckan-resource-show.schema.json")
        assert got == res
    assert ok(post(server, "resource_show", {"id": f"{REAL_ID}-002"}))["position"] == 1


def test_resource_show_errors(server):
    assert invalid(act(server, "resource_show")) == {"__type": "Validation Error",
                                                     "id": ["Missing value"]}
    for rid in ("no-such-resource", "", f"{REAL_ID.lower()}-001"):
        err = error(act(server, "resource_show", id=rid), 404, "Not Found Error")
        assert err["message"] == "Not found"


# ---- resource_search ------------------------------------------------------------------------

def search(srv, **params):
    return ok(act(srv, "resource_search", **params), "ckan-resource-search.schema.json")


def test_resource_search_format(server):
    res = search(server, query="format:csv")
    assert res["count"] == 35 == len(res["results"])
    assert all(r["format"] == "CSV" for r in res["results"])
    assert search(server, query="format:SV")["count"] == 35  # substring, any case


def test_resource_search_terms_and(server):
    both = search(server, query=["format:csv", "url:search.data.gov.tw"])
    assert both["count"] == 1 and both["results"][0]["id"] == f"{REAL_ID}-001"
    # a repeated field: the last term wins, as in CKAN's dict of pairs
    assert search(server, query=["format:json", "format:xml"])["count"] == 11


def test_resource_search_fields(server, real):
    r1 = real["resources"][0]
    assert search(server, query="description:103年01月01日")["count"] == 3
    assert search(server, query="name:開始收錄")["count"] == 3
    assert search(server, query="characterSetCode:utf-8")["count"] > 3
    assert search(server, query=f"created:{r1['created']}")["count"] >= 1
    assert search(server, query="last_modified:2016-06-16T15:59:40")["results"][0]["id"] == r1["id"]
    assert search(server, query="last_modified:not-a-date")["count"] == 0
    assert search(server, query="size:12")["count"] == 0
    assert search(server, query="size:abc")["count"] == 0
    assert search(server, query="hash:")["count"] == 73  # empty prefix matches every hash
    assert search(server, query="mimetype:x")["count"] == 0
    assert search(server, query="cache_url:x")["count"] == 0
    assert search(server, query="format:%")["count"] == 0  # wildcards are literal


def test_resource_search_paging_and_order(server):
    allr = search(server, query="format:json")
    assert allr["count"] == 20
    # results come sorted by position, like CKAN's resource_list_dictize
    pos = [r["position"] for r in allr["results"]]
    assert pos == sorted(pos)
    page = search(server, query="format:json", limit=5, offset=2)
    assert page["count"] == 20 and len(page["results"]) == 5
    by_url = search(server, query="format:json", order_by="url", limit=4)
    urls = sorted(r["url"] for r in allr["results"])
    assert sorted(r["url"] for r in by_url["results"]) == urls[:4]
    assert search(server, query="format:json", order_by="no_such_column")["count"] == 20
    res = ok(post(server, "resource_search", {"query": ["format:xml"], "limit": 1}))
    assert res["count"] == 11 and len(res["results"]) == 1


def test_resource_search_errors(server):
    assert invalid(act(server, "resource_search")) == {"__type": "Validation Error",
                                                       "query": "Missing value"}
    assert invalid(act(server, "resource_search", query="csv")) == {
        "__type": "Validation Error", "query": "Must be <field>:<value> pair(s)"}
    assert invalid(act(server, "resource_search", query="id:x")) == {
        "__type": "Validation Error", "query": "Field \"id\" not recognised in resource_search."}
    assert invalid(post(server, "resource_search", {"query": [1]}))["query"] == \
        "Must be <field>:<value> pair(s)"
    assert invalid(act(server, "resource_search", query="format:csv", limit="-1"))["limit"] == \
        ["Must be a natural number"]
    assert invalid(act(server, "resource_search", query="format:csv", offset="q"))["offset"] == \
        ["Invalid integer"]


# ---- package_relationships_list (none in the demo) -----------------------------------------

def test_package_relationships_list_empty(server):
    assert ok(act(server, "package_relationships_list", id=REAL_ID),
              "ckan-package-relationships-list.schema.json") == []
    assert ok(act(server, "package_relationships_list", id=REAL_NAME, rel="relationships")) == []


def test_package_relationships_list_errors(server):
    assert invalid(act(server, "package_relationships_list"))["id"] == ["Missing value"]
    err = error(act(server, "package_relationships_list", id="nope"), 404, "Not Found Error")
    assert err["message"] == "Not found: First package named in request was not found."
    err = error(act(server, "package_relationships_list", id=REAL_NAME, id2="nope"), 404,
                "Not Found Error")
    assert err["message"] == "Not found: Second package named in address was not found."
    err = error(act(server, "package_relationships_list", id=REAL_NAME, rel="child_of"), 404,
                "Not Found Error")
    assert err["message"] == f'Not found: Relationship "{REAL_NAME} child_of None" not found.'


# ---- a database of our own: visibility, licences, relationships, URLs, cache ---------------

PRIVATE = "382000000a-000101"
DELETED = "397000000a-000201"
DRAFT = "387000000a-000301"
SUBJ, OBJ = "313200000g-000216", "355000000i-000003"

SETUP = f"""
UPDATE package SET private = true WHERE name = '{PRIVATE}';
UPDATE package SET state = 'deleted' WHERE name = '{DELETED}';
UPDATE package SET state = 'draft' WHERE name = '{DRAFT}';
INSERT INTO package_relationship (subject_package_id, object_package_id, type, comment)
SELECT s.id, o.id, t, c FROM (VALUES ('{SUBJ}', '{OBJ}', 'depends_on', 'needs it'),
    ('{OBJ}', 'a62000000a-000001', 'child_of', ''),
    ('{SUBJ}', '{PRIVATE}', 'links_to', 'hidden')) v(sn, onm, t, c)
JOIN package s ON s.name = v.sn JOIN package o ON o.name = v.onm;
"""


class Own:
    def __init__(self, srv, db):
        self.srv, self.db = srv, db

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None


@pytest.fixture(scope="module")
def own(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "catalog", REAL, check=True)
    o = Own(None, db)
    o.sql(SETUP)
    o.srv = Server(db, "--site-url", SITE)
    yield o
    o.srv.stop()


def pkg_id(own, name):
    return own.sql("SELECT id::text FROM package WHERE name = %s", name)[0][0]


@pytest.mark.parametrize("name", [PRIVATE, DELETED, DRAFT])
def test_package_show_not_public_is_403(own, name):
    err = error(act(own.srv, "package_show", id=name), 403, "Authorization Error")
    assert err["message"] == f"Access denied: User  not authorized to read package {pkg_id(own, name)}"


def test_not_public_datasets_hidden_from_lists(own):
    names = ok(act(own.srv, "package_list"))
    assert len(names) == 36 and not {PRIVATE, DELETED, DRAFT} & set(names)
    cur = [p["name"] for p in ok(act(own.srv, "current_package_list_with_resources", limit=100))]
    assert sorted(cur) == names
    assert ok(act(own.srv, "package_autocomplete", q=PRIVATE)) == []
    rid = f"{PRIVATE.upper()}-001"
    assert all(r["package_id"] != pkg_id(own, PRIVATE)
               for r in ok(act(own.srv, "resource_search", query="format:"))["results"])
    err = error(act(own.srv, "resource_show", id=rid), 403, "Authorization Error")
    assert err["message"] == f"Access denied: User  not authorized to read resource {rid}"


def test_deleted_resource_is_404_with_message(own):
    rid = f"{REAL_ID}-002"
    own.sql("UPDATE resource SET state = 'deleted' WHERE id = %s", rid)
    try:
        err = error(act(own.srv, "resource_show", id=rid), 404, "Not Found Error")
        assert err["message"] == "Not found: Resource was not found."
        p = show(own.srv, REAL_ID)
        assert [r["id"] for r in p["resources"]] == [f"{REAL_ID}-001", f"{REAL_ID}-003"]
        assert [r["position"] for r in p["resources"]] == [0, 1]
        assert p["num_resources"] == 2
        assert ok(act(own.srv, "resource_show", id=f"{REAL_ID}-003"))["position"] == 1
        assert search(own.srv, query="url:export=true&format=json")["count"] == 0
    finally:
        own.sql("UPDATE resource SET state = 'active' WHERE id = %s", rid)
    assert show(own.srv, REAL_ID)["num_resources"] == 3


def test_relationships_in_package_show(own):
    p = show(own.srv, SUBJ)
    subj = {(r["type"], r["__extras"]["object_package_id"], r["comment"])
            for r in p["relationships_as_subject"]}
    assert subj == {("depends_on", pkg_id(own, OBJ), "needs it"),
                    ("links_to", pkg_id(own, PRIVATE), "hidden")}
    assert p["relationships_as_object"] == []
    o = show(own.srv, OBJ)
    assert [r["type"] for r in o["relationships_as_object"]] == ["depends_on"]
    assert o["relationships_as_object"][0]["__extras"]["subject_package_id"] == p["id"]


def test_package_relationships_list(own):
    rels = ok(act(own.srv, "package_relationships_list", id=SUBJ),
              "ckan-package-relationships-list.schema.json")
    # the relationship to the private dataset is left out
    assert rels == [{"subject": SUBJ, "type": "depends_on", "object": OBJ, "comment": "needs it"}]
    rels = ok(act(own.srv, "package_relationships_list", id=OBJ.upper()))
    assert rels == [
        {"subject": OBJ, "type": "dependency_of", "object": SUBJ, "comment": "needs it"},
        {"subject": OBJ, "type": "child_of", "object": "a62000000a-000001", "comment": ""}]
    assert ok(act(own.srv, "package_relationships_list", id=OBJ, id2=SUBJ)) == rels[:1]
    assert ok(act(own.srv, "package_relationships_list", id=OBJ, rel="child_of")) == rels[1:]
    assert ok(act(own.srv, "package_relationships_list", id=OBJ, id2=SUBJ,
                  rel="dependency_of")) == rels[:1]
    assert ok(post(own.srv, "package_relationships_list", {"id": "a62000000a-000001"})) == [
        {"subject": "a62000000a-000001", "type": "parent_of", "object": OBJ, "comment": ""}]
    err = error(act(own.srv, "package_relationships_list", id=OBJ, id2=SUBJ, rel="depends_on"),
                404, "Not Found Error")
    assert err["message"] == f'Not found: Relationship "{OBJ} depends_on {SUBJ}" not found.'


def test_package_relationships_list_not_public_is_403(own):
    for params in ({"id": PRIVATE}, {"id": SUBJ, "id2": DELETED}):
        err = error(act(own.srv, "package_relationships_list", **params), 403,
                    "Authorization Error")
        assert err["message"] == "Access denied: User  not authorized to read these packages"


@pytest.mark.parametrize("license_id,title,url,isopen", [
    ("cc-by", "Creative Commons Attribution", "http://www.opendefinition.org/licenses/cc-by", True),
    ("odc-odbl", "Open Data Commons Open Database License (ODbL)",
     "http://www.opendefinition.org/licenses/odc-odbl", True),
    ("other-open", "Other (Open)", None, True),
    ("notspecified", "License not specified", None, False),
    ("cc-nc", "Creative Commons Non-Commercial (Any)",
     "http://creativecommons.org/licenses/by-nc/2.0/", False),
    ("gov-tw-1.0", "gov-tw-1.0", None, False)])
def test_license_fields(own, license_id, title, url, isopen):
    name = "a62000000a-000001"
    own.sql("UPDATE package SET license_id = %s WHERE name = %s", license_id, name)
    try:
        p = show(own.srv, name)
    finally:
        own.sql("UPDATE package SET license_id = NULL WHERE name = %s", name)
    assert p["license_id"] == license_id
    assert p["license_title"] == title
    assert p.get("license_url") == url and (url is not None or "license_url" not in p)
    assert p["isopen"] is isopen


def test_resource_urls_as_ckan_shows_them(own):
    name = "a41000000g-000120"
    pid = pkg_id(own, name)
    rows = own.sql("SELECT id FROM resource WHERE package_id = %s ORDER BY position", pid)
    r1, r2 = rows[0][0], rows[1][0]
    own.sql("UPDATE resource SET url_type = 'datastore' WHERE id = %s", r1)
    own.sql("UPDATE resource SET url_type = 'upload', download_url = 'My Data File.CSV' "
            "WHERE id = %s", r2)
    p = show(own.srv, name)
    assert p["resources"][0]["url"] == f"{SITE}/datastore/dump/{r1}"
    assert p["resources"][1]["url"] == \
        f"{SITE}/dataset/{pid}/resource/{r2}/download/my-data-file.csv"
    assert ok(act(own.srv, "resource_show", id=r1))["url"] == f"{SITE}/datastore/dump/{r1}"
    listed = ok(act(own.srv, "current_package_list_with_resources", limit=100))
    assert [x for x in listed if x["id"] == pid] == [p]
    own.sql("UPDATE resource SET url_type = NULL, download_url = 'example.org/x.csv' "
            "WHERE id = %s", r2)
    assert show(own.srv, name)["resources"][1]["url"] == "http://example.org/x.csv"
    # an uploaded group image is served by the portal
    own.sql("UPDATE grp SET image_url = 'logo.png' WHERE name = 'i00'")
    own.sql("UPDATE grp SET image_url = 'https://img.example.test/a.png' WHERE name = 'a00'")
    groups = show(own.srv, REAL_ID)["groups"]
    assert groups[0]["image_display_url"] == f"{SITE}/uploads/group/logo.png"


def test_cache_follows_changes(own):
    name = "a44000000g-000012"
    pid = pkg_id(own, name)
    before = show(own.srv, name)
    own.sql("UPDATE package SET title = '  新標題  ', metadata_modified = "
            "'2020-11-01 10:44:40+00' WHERE id = %s", pid)
    own.sql("UPDATE grp SET title = '新機關' WHERE id = %s", before["owner_org"])
    own.sql("INSERT INTO tag (name) VALUES ('Zeta'), ('alpha') ON CONFLICT DO NOTHING")
    own.sql("INSERT INTO package_tag (package_id, tag_id) SELECT %s, id FROM tag "
            "WHERE name IN ('Zeta', 'alpha') AND vocabulary_id IS NULL", pid)
    own.sql("INSERT INTO package_extra (package_id, key, value) VALUES "
            "(%s, 'zz', '{\"a\": [1, 2]}'), (%s, 'cost', '\"shadowed\"')", pid, pid)
    own.sql("INSERT INTO member (group_id, table_name, table_id) SELECT id, 'package', %s "
            "FROM grp WHERE name = 'a00'", pid)
    p = show(own.srv, name)
    assert p["title"] == "新標題"  # stripped as CKAN does
    assert p["metadata_modified"] == "2020-11-01T10:44:40"  # no fraction when zero
    assert p["organization"]["title"] == "新機關"
    tags = [t["name"] for t in p["tags"]]
    assert tags == sorted(tags) and {"Zeta", "alpha"} <= set(tags)
    assert tags.index("Zeta") < tags.index("alpha")  # code-point order
    values = {e["key"]: e["value"] for e in p["extras"]}
    assert values["zz"] == '{"a": [1, 2]}'
    assert values["cost"] != "shadowed"  # the Taiwan column wins over a stored extra
    assert [e["key"] for e in p["extras"]].count("cost") == 1
    assert {g["name"] for g in p["groups"]} == {"a00", "e00"}
    assert [g["display_name"] for g in p["groups"]] == sorted(g["display_name"] for g in p["groups"])
    assert {e["key"]: e["value"] for e in p["extras"]}["categoryCode"] == "A00"  # the lowest code
    assert p["num_tags"] == before["num_tags"] + 2


def test_uncached_doc_is_identical(own):
    name = "a21030000i-000050"
    pid = pkg_id(own, name)
    cached = show(own.srv, name)
    own.sql("DELETE FROM ckan_doc WHERE package_id = %s", pid)
    assert show(own.srv, name) == cached
    live = own.sql("SELECT ckan_build_doc(%s, %s, 'Asia/Taipei')", pid, SITE)[0][0]
    assert json.loads(live) == cached
    own.sql("SELECT ckan_refresh_doc(%s)", pid)
    assert own.sql("SELECT count(*) FROM ckan_doc WHERE package_id = %s", pid)[0][0] == 1
    assert show(own.srv, name) == cached


def test_package_doc_interface(own):
    """ckan_package_doc(pid, site_url) is what package_search and group_show splice in."""
    pid = pkg_id(own, REAL_NAME)
    doc = json.loads(own.sql("SELECT ckan_package_doc(%s, %s)", pid, SITE)[0][0])
    assert doc == show(own.srv, REAL_ID)
    assert own.sql("SELECT ckan_package_doc(gen_random_uuid(), %s)", SITE)[0][0] is None
    # any state: callers decide visibility
    doc = json.loads(own.sql("SELECT ckan_package_doc(%s, %s)", pkg_id(own, PRIVATE), SITE)[0][0])
    assert doc["private"] is True
