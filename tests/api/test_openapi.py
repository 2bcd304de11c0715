"""/api/openapi.json: the OpenAPI 3.1 description of every route.

(1) The served document validates against the OpenAPI 3.1 meta-schema (tests/fixtures/openapi)
and its schemas are JSON Schema 2020-12; the committed document is what schemas/openapi/gen.py
writes. (2) Every route and CKAN action of `opendatad routes` is described, and every described
path is one the server routes. (3) Every GET operation whose required parameters have examples
is run against a server on the demo catalogue, and the answer's status, media type and body
must be as described; so are a sample of error answers.
"""
import copy
import json
import os
import subprocess
import sys
import urllib.parse

import jsonschema
import pytest
import requests

from conftest import (BIN, DEMO_CATALOG, FIXTURES, ROOT, Server, free_port, new_database,
                      run_import)

sys.path.insert(0, os.path.join(ROOT, "schemas", "openapi"))
import gen  # noqa: E402  (the document's generator)

DOC_FILE = os.path.join(ROOT, "schemas", "openapi", "openapi.json")
META = os.path.join(FIXTURES, "openapi", "oas-3.1-schema.json")
RID = gen.RID
DATA = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
SITE = "http://127.0.0.1:5000"
METHODS = ("get", "post", "put", "delete")

with open(DOC_FILE, encoding="utf-8") as _f:
    COMMITTED = json.load(_f)

# GET operations with required parameters and no example, and why.
NO_EXAMPLE = {
    "/api/3/action/datastore_nearest": "the demo tables have no coordinates",
    "/api/3/action/resource_view_show": "the demo catalogue has no views",
    "/api/3/action/vocabulary_show": "the demo catalogue has no vocabularies",
    "/api/3/action/xloader_status": "no load ran on the demo catalogue (404)",
    "/dataset/{id}/resource/{rid}/download/{name}": "the demo catalogue has no uploads",
    "/v1/nearest-schools": "no school list is configured",
    "/v1/historical-archive/list-file-versions": "the archive is empty",
    "/v1/historical-archive/get-file": "the archive is empty",
    "/v1/historical-archive/get-schema": "the archive is empty",
    "/v1/historical-archive/get-data-dictionary": "the archive is empty",
    "/v1/historical-archive/files/{rid}/{hash}/{name}": "the archive is empty",
    "/v1/historical-archive/bundles/{rid}/{day}/{file}": "the archive is empty",
    "/v1/historical-archive/schemas/{rid}/{file}": "the archive is empty",
}
for _v in ("", "/1", "/2"):
    NO_EXAMPLE.update({
        f"/api{_v}/rest/{{reg}}/{{id}}/{{sub}}": "a dataset's sub-registers are empty",
        f"/api{_v}/rest/{{reg}}/{{id}}/{{sub}}/{{id2}}": "a dataset's sub-registers are empty",
    })
for _p in ("", "/en-data", "/tc-data", "/sc-data"):
    for _a in ("/api/3/action/{name}", "/api/action/{name}"):
        NO_EXAMPLE[_p + _a] = "each action is run at /api/3/action/NAME"


@pytest.fixture(scope="module")
def site(cluster):
    """The demo catalogue with the PM2.5 table, a sysadmin "admin", datastore_search_sql on."""
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", DATA, "--resource-id", RID, check=True)
    out = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", "admin", "--sysadmin",
                          "--db", db], check=True, capture_output=True, text=True).stdout
    srv = Server(db, "--datastore-sql", "true")
    srv.db = db
    srv.token = out.strip().splitlines()[-1]
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def doc(site):
    r = site.get("/api/openapi.json")
    assert r.status_code == 200, r.text
    return r.json()


def validator(doc, schema):
    """A 2020-12 validator of schema whose refs resolve in doc (as they do in the document)."""
    root = {"components": doc["components"], "allOf": [schema]}
    return jsonschema.Draft202012Validator(root)


def resolve(doc, obj):
    while "$ref" in obj:
        node = doc
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def check_answer(doc, path, method, r):
    """r's status, media type and body as the document describes them."""
    responses = doc["paths"][path][method]["responses"]
    code = str(r.status_code)
    assert code in responses, (path, method, code, r.text[:300])
    described = resolve(doc, responses[code])
    content = described.get("content")
    if not content or r.status_code == 304:
        return
    ctype = r.headers["Content-Type"].split(";")[0].strip()
    assert ctype in content, (path, code, ctype, list(content))
    if ctype == "application/json":
        errors = list(validator(doc, content[ctype]["schema"]).iter_errors(r.json()))
        assert not errors, (path, code, [e.message[:300] for e in errors[:3]])


# ---- (1) the document ---------------------------------------------------------------------------

def test_document_validates_against_the_openapi_31_meta_schema(doc):
    with open(META, encoding="utf-8") as f:
        meta = json.load(f)
    errors = list(jsonschema.Draft202012Validator(meta).iter_errors(doc))
    assert not errors, [(list(e.absolute_path)[:4], e.message[:200]) for e in errors[:5]]
    assert doc["openapi"].startswith("3.1.")


def test_meta_schema_finds_faults():
    """The meta-schema check is not vacuous: a broken document fails it."""
    with open(META, encoding="utf-8") as f:
        v = jsonschema.Draft202012Validator(json.load(f))
    bad = copy.deepcopy(COMMITTED)
    bad["paths"]["no-slash"] = {}
    del bad["paths"]["/api/3/action/package_show"]["get"]["responses"]["200"]["description"]
    assert len(list(v.iter_errors(bad))) >= 2


def test_component_schemas_are_json_schema_2020_12(doc):
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "definitions" not in schema and "$schema" not in schema, name


def test_refs_resolve(doc):
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        resolve(doc, {"$ref": ref})  # raises KeyError when it points nowhere


def test_path_parameters_match_the_templates(doc):
    for path, item in doc["paths"].items():
        names = {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}
        for method in METHODS:
            if method in item:
                params = item[method].get("parameters", [])
                declared = {p["name"] for p in params if p["in"] == "path"}
                assert declared == names, (path, method, declared, names)
                for p in params:
                    assert "schema" in p or "content" in p, (path, p["name"])


def test_operation_ids_are_unique(doc):
    ids = [o["operationId"] for item in doc["paths"].values() for m, o in item.items()
           if m in METHODS and "operationId" in o]
    assert len(ids) == len(set(ids)) and len(ids) > 100


def test_committed_document_is_what_the_generator_writes():
    with open(DOC_FILE, encoding="utf-8") as f:
        assert f.read() == gen.render(), "run python3 schemas/openapi/gen.py"


def test_schema_files_are_carried_over():
    files = {n[:-len(".schema.json")] for n in os.listdir(os.path.join(ROOT, "schemas"))
             if n.endswith(".schema.json")}
    assert files - {"tw-dataset-metadata"} <= set(COMMITTED["components"]["schemas"])


# ---- serving ------------------------------------------------------------------------------------

def test_served_with_site_url_version_and_a_strong_etag(site, doc):
    r = site.get("/api/openapi.json")
    assert r.headers["Content-Type"].startswith("application/json")
    etag = r.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert site.get("/api/openapi.json", headers={"If-None-Match": etag}).status_code == 304
    head = requests.head(site.base + "/api/openapi.json", timeout=10)
    assert head.status_code == 200 and head.headers["ETag"] == etag
    assert doc["servers"] == [{"url": SITE}]
    with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
        assert doc["info"]["version"] == f.read().strip()
    served = dict(doc, servers=COMMITTED["servers"],
                  info=dict(doc["info"], version=COMMITTED["info"]["version"]))
    assert served == COMMITTED


def test_pretty_and_cors_as_other_ckan_routes(site):
    pretty = site.get("/api/openapi.json", params={"pretty": "true"})
    assert pretty.status_code == 200 and pretty.text.startswith("{\n")
    origin = {"Origin": "http://example.org"}
    a = site.get("/api/openapi.json", headers=origin).headers
    b = site.get("/api/3/action/site_read", headers=origin).headers
    assert a.get("Access-Control-Allow-Origin") == b.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize("path", ["/api", "/api/1", "/api/2", "/api/3", "/api/openapi.json"])
def test_api_roots_link_the_description(site, path):
    r = site.get(path)
    assert r.status_code == 200
    assert r.headers["Link"] == '</api/openapi.json>; rel="service-desc"'


def test_other_service_root_and_site_url(cluster):
    """Taiwan paths follow --sru; servers follows --site-url."""
    db = new_database(cluster)
    srv = Server(db, "--sru", "/tw/open", "--site-url", "https://data.example.org")
    try:
        d = srv.get("/api/openapi.json").json()
        assert d["servers"] == [{"url": "https://data.example.org"}]
        assert "/tw/open/rest/dataset/{id}" in d["paths"]
        assert not any(p.startswith("/api/v1/") for p in d["paths"])
        assert len(d["paths"]) == len(COMMITTED["paths"])
        assert srv.get("/tw/open/rest/dataset").status_code == 200
    finally:
        srv.stop()


@pytest.mark.parametrize("text", [None, "{not json", "[1]", '{"openapi": "3.1.0"}'])
def test_no_start_without_the_document(cluster, tmp_path, text):
    """The description is part of the server: missing or broken, the server does not start."""
    (tmp_path / "openapi").mkdir()
    if text is not None:
        (tmp_path / "openapi" / "openapi.json").write_text(text)
    env = dict(os.environ, OPENDATAD_SCHEMA_DIR=str(tmp_path))
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", new_database(cluster),
                        "--listen", f"127.0.0.1:{free_port()}"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert p.returncode != 0 and "openapi.json" in p.stderr, p.stderr


# ---- (2) completeness ---------------------------------------------------------------------------

def server_routes():
    out = subprocess.run([os.path.join(BIN, "opendatad"), "routes"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def shape(path):
    """A path with its parameter names left out: /a/{x} and /a/{y} are one path."""
    return "/".join("{}" if s.startswith("{") else s for s in path.split("/"))


def route_matches(pattern, path):
    """Whether the server's route pattern takes the documented path."""
    a, b = pattern.split("/"), path.split("/")
    return len(a) == len(b) and all(x == y or (x.startswith("{") and not y.startswith("{")) or
                                    (x.startswith("{") and y.startswith("{"))
                                    for x, y in zip(a, b))


def test_every_route_is_documented():
    doc_shapes = {shape(p): item for p, item in COMMITTED["paths"].items()}
    missing = []
    for route in server_routes()["routes"]:
        pattern = route["pattern"].replace("{sru}", gen.SRU)
        item = doc_shapes.get(shape(pattern))
        if item is None:
            missing.append(pattern)
            continue
        documented = {m.upper() for m in item if m in METHODS}
        assert documented == set(route["methods"]), (pattern, documented, route["methods"])
    assert not missing, f"routes not in schemas/openapi (gen.py): {missing}"


def test_every_action_is_documented_with_its_methods():
    actions = server_routes()["ckan_actions"]
    assert len(actions) >= 100
    for a in actions:
        item = COMMITTED["paths"].get("/api/3/action/" + a["name"])
        assert item, f"action {a['name']} not in schemas/openapi (gen.py)"
        assert "post" in item and ("get" in item) == (not a["post_only"]), a
    names = {a["name"] for a in actions}
    documented = {p.rsplit("/", 1)[1] for p in COMMITTED["paths"]
                  if p.startswith("/api/3/action/") and "{" not in p}
    assert documented == names
    enum = COMMITTED["paths"]["/api/action/{name}"]["get"]["parameters"][0]["schema"]["enum"]
    assert set(enum) == names


def test_every_documented_path_is_routed():
    routes = server_routes()
    patterns = [(r["pattern"].replace("{sru}", gen.SRU), set(r["methods"]))
                for r in routes["routes"]]
    for path, item in COMMITTED["paths"].items():
        methods = {m.upper() for m in item if m in METHODS}
        hits = [ms for pat, ms in patterns if route_matches(pat, path)]
        assert hits, f"{path} is documented but no route takes it"
        assert methods <= hits[0], (path, methods, hits[0])


def test_every_action_has_its_parameters_documented():
    """Each action's help names its parameters; each one so named is described."""
    help_of = gen.action_help()
    for name, (summary, specs) in gen.ACTIONS.items():
        params = {gen.parse_spec(s)[0] for s in specs}
        item = COMMITTED["paths"]["/api/3/action/" + name]
        body = item["post"].get("requestBody", {}).get("content", {})
        schema = body.get("application/json", {}).get("schema", {})
        assert set(schema.get("properties", {})) == params, name
        if "get" in item:
            assert {p["name"] for p in item["get"]["parameters"]} == params, name
        assert item["post"]["description"] == help_of[name][0]


# ---- (3) live answers ---------------------------------------------------------------------------

def example_operations():
    """(path, param examples) of every GET operation whose required parameters have examples;
    and the paths of those that lack one."""
    ops, lacking = [], []
    for path, item in COMMITTED["paths"].items():
        if "get" not in item:
            continue
        params = item["get"]["parameters"]
        if all("example" in p for p in params if p["required"]):
            ops.append((path, {p["name"]: (p["in"], p["example"])
                               for p in params if "example" in p}))
        else:
            lacking.append(path)
    return ops, lacking


def query_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def run_example(site, path, examples):
    url = path
    query = {}
    for name, (where, value) in examples.items():
        if where == "path":
            url = url.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        else:
            query[name] = query_value(value)
    headers = {"Authorization": site.token} if path.startswith("/api/3/action/") else {}
    return requests.get(site.base + url, params=query, headers=headers, timeout=60,
                        allow_redirects=False)


def test_operations_without_examples_are_known():
    _, lacking = example_operations()
    assert set(lacking) == set(NO_EXAMPLE), sorted(set(lacking) ^ set(NO_EXAMPLE))


@pytest.mark.parametrize("path,examples", example_operations()[0],
                         ids=[p for p, _ in example_operations()[0]])
def test_example_answer_is_as_documented(site, doc, path, examples):
    r = run_example(site, path, examples)
    assert 200 <= r.status_code < 400, (path, r.status_code, r.text[:300])
    check_answer(doc, path, "get", r)


# (method, documented path, path values, query or JSON body, as whom, status)
ERRORS = [
    ("get", "/api/3/action/package_show", {}, {"id": "no-such-dataset"}, None, 404),
    ("get", "/api/3/action/package_show", {}, {}, None, 409),
    ("post", "/api/3/action/package_create", {}, {"name": "anonymous-try"}, None, 403),
    ("post", "/api/3/action/package_create", {}, {"name": "x"}, "admin", 409),
    ("post", "/api/3/action/datastore_search", {}, {"resource_id": "nope"}, None, 404),
    ("get", "/api/3/action/{name}", {"name": "package_create"}, {}, None, 400),
    ("get", "/api/v1/rest/dataset/{id}", {"id": "NO-SUCH"}, {}, None, 404),
    ("get", "/api/v1/rest/dataset", {}, {"x": "1"}, None, 400),
    ("get", "/api/v1/rest/datastore/{rid}", {"rid": RID}, {"limit": "-1"}, None, 400),
    ("get", "/datastore/dump/{rid}", {"rid": "nope"}, {}, None, 404),
    ("get", "/api/rest/{reg}/{id}", {"reg": "dataset", "id": "no-such"}, {}, None, 404),
    ("get", "/v1/filter", {}, {"q": "x"}, None, 400),
    ("get", "/v1/historical-archive/list-files", {}, {"start": "x", "end": "y"}, None, 400),
]


@pytest.mark.parametrize("method,path,values,data,user,status", ERRORS,
                         ids=[f"{e[1]}-{e[5]}" for e in ERRORS])
def test_error_answer_is_as_documented(site, doc, method, path, values, data, user, status):
    url = path
    for k, v in values.items():
        url = url.replace("{" + k + "}", v)
    headers = {"Authorization": site.token} if user else {}
    if method == "get":
        r = requests.get(site.base + url, params=data, headers=headers, timeout=60)
    else:
        r = requests.post(site.base + url, json=data, headers=headers, timeout=60)
    assert r.status_code == status, r.text[:300]
    check_answer(doc, path, method, r)


# Actions that want one of two parameters (neither is required alone), and one whose empty
# call is a write (every view of the site deleted).
ONE_OF = {"api_token_list": {"user_id", "user"}, "api_token_revoke": {"jti", "token"},
          "datastore_create": {"resource_id", "resource"}, "datastore_info": {"resource_id", "id"}}
EMPTY_CALL_WRITES = {"resource_view_clear"}


@pytest.mark.parametrize("name", sorted(set(gen.ACTIONS) - EMPTY_CALL_WRITES))
def test_required_parameters_are_the_ones_the_action_asks_for(site, doc, name):
    """An empty call (as a sysadmin) is refused when, and only when, the document says a
    parameter is required; the fields a refusal names are documented parameters."""
    specs = [gen.parse_spec(s) for s in gen.ACTIONS[name][1]]
    params = {n for n, _, _ in specs}
    required = {n for n, r, _ in specs if r} or ONE_OF.get(name, set())
    r = requests.post(f"{site.base}/api/3/action/{name}", json={},
                      headers={"Authorization": site.token}, timeout=60)
    check_answer(doc, "/api/3/action/" + name, "post", r)
    if name == "datastore_search_sql":
        return  # served only with --datastore-sql; its one parameter is sql
    if not required:
        assert r.status_code == 200, r.text[:300]
        return
    assert 400 <= r.status_code < 500, r.text[:300]
    if r.status_code == 409:
        named = {k.split("__")[0] for k in r.json()["error"] if k not in ("__type", "message")}
        named = {"id" if k == "name_or_id" else k for k in named}
        assert named <= params, (name, named - params)
