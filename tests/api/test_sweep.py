"""The hostile-input sweep (issue 8: never a 5xx for client input).

Every route and every CKAN action the server lists (`opendatad routes`, read from the arrays it
dispatches on, so an action added later is swept without editing this file) gets hostile values
for every parameter: wrong JSON types, huge and negative numbers, empty strings, NUL bytes and
invalid UTF-8, SQL- and Solr-looking strings, 10,000-level nesting, repeated keys and 100 KB
values; as GET query strings, POST JSON bodies and POST form bodies. Every answer must be a 2xx or
4xx in its API's own envelope, the server must stay alive, and it must log no error line.
"""
import concurrent.futures
import json
import os
import re
import subprocess
import threading
import urllib.parse
from collections import Counter

import pytest
import requests

from conftest import BIN, DEMO_CATALOG, ROOT, Server, new_database, run_import

RID = "355000000I-000207-001"   # the EPA PM2.5 file of docs/demo/data, loaded below
DATA = os.path.join(ROOT, "docs", "demo", "data", "epa_pm25_manual_monitoring.csv")
SRU = "/api/v1"
USER = "sweeper"

# Every parameter name a handler reads. Made by grepping server/*.c for the keys handlers look
# up (ckan_param_*, json_object_object_get_ex, req_query_get, the `known`/`allowed` lists and
# the option tables of ckan_group.c, ckan_package.c, ckan_search.c, ckan_util.c, tw_rest.c,
# tw_datastore.c and dump.c), plus CKAN's own names for the same things; a superset on purpose.
PARAMS = [
    "id", "name_or_id", "name", "resource_id", "q", "fq", "fq_list", "sort", "rows", "start",
    "facet", "facet.field", "facet.limit", "facet.mincount", "fl", "qf", "df", "mm", "bf",
    "tie", "defType", "wt", "include_private", "include_drafts", "include_deleted",
    "use_default_schema", "include_plugin_data", "limit", "offset", "filters", "fields",
    "distinct", "records_format", "include_total", "total_estimation_threshold", "plain",
    "language", "full_text", "query", "order_by", "all_fields", "groups", "organizations",
    "include_dataset_count", "include_extras", "include_tags", "include_groups",
    "include_users", "include_followers", "include_member_count", "include_datasets", "type",
    "group_type", "object_type", "capacity", "permission", "vocabulary_id", "tag",
    "incomplete", "activity_types", "exclude_activity_types", "before", "after", "page",
    "ignore_self", "email", "user", "format", "bom", "callback", "pretty", "modified",
    "names_only", "terms", "dataset", "__extras",
]
# The parameters of the Taiwan endpoints (others are ER0200, swept once per route).
TW_PARAMS = ["limit", "offset", "modified", "q", "filters", "sort", "fields", "format", "x"]

LONG = "長" * 3 + "a" * 100_000


class Raw(str):
    """A query value sent as it is (already percent-encoded)."""


# Query-string values (GET, and form bodies).
GET_VALUES = [
    "", "-1", "0", "2147483648", "9223372036854775808", "1e308", "NaN", "-Infinity",
    Raw("%00"), Raw("a%00b"), Raw("%FF%FE"), "' OR 1=1-- \"; DROP TABLE x; $1 \\'\\",
    "title:(a OR [* TO", "{!func}tags:AND *:*", '{"a":', '["a",{"b":1}]', '{"a":{"b":[1]}}',
]
# POST JSON values: every JSON type where another is expected.
DEEP = "[" * 10_000 + "]" * 10_000
JSON_VALUES = [
    0, -1, 2 ** 31, 2 ** 63, -2 ** 63 - 1, 1e308, 1.5, True, False, None, [], ["a", 1, None],
    {}, {"a": {"b": [1]}}, "a\u0000b", "\ud800x", "' OR 1=1--", "$1", LONG,
]
# Parameters that also get the 100 KB value in a query string (all get it in JSON bodies).
LONG_GET_PARAMS = {"id", "q", "fq", "resource_id", "fields", "sort", "filters", "query", "name"}

# Whole bodies that are not a JSON object (content types: JSON, none, form).
BAD_BODIES = [
    b'{"id":', b'{"id": "x"} trailing', b"\xff\xfe{}", b'{"id": "a\x00b"}', b"\x00",
    DEEP.encode(), b'{"a":' * 10_000 + b"1" + b"}" * 10_000, b"[]", b"1", b"null", b'"s"',
    b'{"id": "\xff"}', b'{"id": NaN}', b"{'id': 'x'}", b'{"id": "x", "id": "y"}',
    b'{"a": 1e999}', b'{"id": "\\ud800"}', b"id=a&id=b", b"%FF=1", b"a=%00",
]
# Hostile values for path placeholders, percent-encoded.
PATH_VALUES = ["%00", "%FF%FE", "'%20OR%201=1--", "%22%3B%20DROP%20TABLE%20x%3B", "%241",
               "%5C", "*:*", "%7B!func%7D", "-1", "2147483648", "a" * 4000, "..", "%2F",
               "%25", "%20", "title:(a%20OR"]
AUTH_VALUES = ["' OR 1=1--", "Bearer ", "Bearer " + "x" * 5000, "Bearer $1\\", "é"]

ERROR_LINE = re.compile(r"^opendatad: error: .*$", re.M)


def server_routes():
    out = subprocess.run([os.path.join(BIN, "opendatad"), "routes"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def sweep(cluster):
    """The demo catalogue with a real datastore table and a user, and a server whose header
    limit lets 100 KB query strings reach the handlers."""
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", DATA, "--resource-id", RID, check=True)
    subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", USER, "--sysadmin",
                    "--db", db], check=True, capture_output=True)
    srv = Server(db, "--max-header-size", "262144")
    yield srv
    srv.stop()


# ---- valid context, so hostile values reach deep code ------------------------------------------

VALID_PATH = {"code": "100", "tag": "監測", "id": "A41000000G-000001", "rid": RID,
              "kind": "dataset", "op": "autocomplete", "name": "status_show"}


def action_context(name):
    """Valid identifying parameters for an action, guessed from its name (none: still swept)."""
    if name.startswith("datastore_"):
        return {"resource_id": RID}
    if name.startswith("resource_"):
        return {"id": RID, "query": "name:a"}
    if name.startswith("package_") or name == "current_package_list_with_resources":
        return {"id": "a41000000g-000001"}
    if name.startswith(("group_", "member_")):
        return {"id": "100"}
    if name.startswith("organization_"):
        return {"id": "355000000i"}
    if name.startswith("tag_"):
        return {"id": "監測", "query": "監"}
    if name.startswith("user_"):
        return {"id": USER, "q": "sw"}
    return {}


def route_path(pattern, values=None):
    """The path of a route pattern, placeholders filled with values (encoded) or valid ones."""
    def fill(m):
        key = m.group(1)
        if key == "sru":
            return SRU
        if values and key in values:
            return values[key]
        return urllib.parse.quote(VALID_PATH.get(key, "x"), safe="")
    return re.sub(r"\{([a-z]+)\}", fill, pattern)


def enc(v):
    return str(v) if isinstance(v, Raw) else urllib.parse.quote(str(v), safe="")


def query(pairs):
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)


# ---- the calls ---------------------------------------------------------------------------------

class Call:
    __slots__ = ("api", "method", "path", "qs", "body", "ctype", "headers", "tag", "success_env")

    def __init__(self, api, method, path, qs="", body=None, ctype=None, headers=None, tag="",
                 success_env=False):
        self.api, self.method, self.path, self.qs = api, method, path, qs
        self.body, self.ctype, self.headers, self.tag = body, ctype, headers, tag
        self.success_env = success_env  # a 200 must be {"success": true, ...}

    def describe(self):
        body = self.body if self.body is None else self.body[:120]
        return f"{self.method} {self.path}?{self.qs[:160]} body={body!r} ctype={self.ctype}"


def action_calls(name, post_only):
    path = f"/api/3/action/{name}"
    ctx = action_context(name)
    calls = []

    def get(pairs, tag):
        if not post_only:
            calls.append(Call("ckan", "GET", path, query(pairs), tag=tag, success_env=True))

    def post(data, ctype, tag, headers=None):
        calls.append(Call("ckan", "POST", path, body=data, ctype=ctype, tag=tag,
                          headers=headers, success_env=True))

    for p in PARAMS:
        base = [(k, v) for k, v in ctx.items() if k != p]
        for v in GET_VALUES:
            get(base + [(p, v)], "get")
        if p in LONG_GET_PARAMS:
            get(base + [(p, LONG)], "get-long")
        get(base + [(p, "a"), (p, "b")], "get-repeated")
        for v in JSON_VALUES:
            post(json.dumps({**dict(base), p: v}).encode(), "application/json", "json")
        deep = json.dumps(dict(base))[:-1] + (", " if base else "") + json.dumps(p) + ": " + DEEP + "}"
        post(deep.encode(), "application/json", "json-deep")
        post(query(base + [(p, "' OR 1=1--"), (p, "x")]).encode(),
             "application/x-www-form-urlencoded", "form")
    for body in BAD_BODIES:
        for ctype in ("application/json", None, "application/x-www-form-urlencoded"):
            post(body, ctype, "body")
    for auth in AUTH_VALUES:
        for header in ("Authorization", "X-CKAN-API-Key"):
            hdr = {header: auth.encode("utf-8")}
            if not post_only:
                calls.append(Call("ckan", "GET", path, query(ctx.items()), headers=hdr,
                                  tag="auth", success_env=True))
            post(json.dumps(ctx).encode(), "application/json", "auth", headers=hdr)
    for method in ("PUT", "DELETE", "PATCH"):
        calls.append(Call("ckan", method, path, tag="method"))
    return calls


def route_calls(route):
    """Calls for a route other than the action ones: its placeholders and its parameters."""
    api, pattern = route["api"], route["pattern"]
    params = TW_PARAMS if api == "tw" else PARAMS
    base = [("limit", "3")] if "dump" in pattern else []
    calls = []
    for key in re.findall(r"\{([a-z]+)\}", pattern):
        if key == "sru":
            continue
        for v in PATH_VALUES:
            calls.append(Call(api, "GET", route_path(pattern, {key: v}), query(base), tag="path"))
    path = route_path(pattern)
    for p in params:
        pbase = [(k, v) for k, v in base if k != p]
        for v in GET_VALUES:
            calls.append(Call(api, "GET", path, query(pbase + [(p, v)]), tag="route-get"))
        calls.append(Call(api, "GET", path, query(pbase + [(p, "1"), (p, "2")]),
                          tag="route-repeated"))
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        if method not in route["methods"]:
            calls.append(Call(api, method, path, body=b'{"id": "x"}', tag="method"))
    return calls


# ---- checking one answer -----------------------------------------------------------------------

def envelope_problem(call, status, ctype, body):
    """Why an answer is not in its API's envelope, or None."""
    if status >= 500:
        return f"status {status}"
    if status < 200 or status >= 500 or 300 <= status < 400 and status != 304:
        return f"unexpected status {status}"
    if status < 300 and not call.success_env and call.api == "ckan":
        return None  # dumps, /api/util and the version roots answer bare bodies
    if status < 300 and call.api == "tw" and "json" not in ctype:
        return None  # Taiwan dumps are zips
    if status == 200 and ctype.startswith("application/javascript"):
        m = re.match(rb"^[A-Za-z_$][\w$.]*\((.*)\);$", body, re.S)  # JSONP
        if not m:
            return "not a JSONP body"
        body = m.group(1)
    try:
        doc = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if call.api == "tw":
        if status < 300:
            return None if isinstance(doc, dict) and doc.get("success") is True else "not TW ok"
        err = doc.get("error") if isinstance(doc, dict) else None
        if not (doc.get("success") is False and isinstance(err, dict)
                and re.match(r"^ER[0-9]{4,8}:", str(err.get("type")))
                and isinstance(err.get("message"), str)):
            return "not a Taiwan error envelope"
        return None
    if status == 400 and isinstance(doc, str):
        return None  # CKAN's bare JSON string
    if not isinstance(doc, dict) or not isinstance(doc.get("help"), str):
        return "not a CKAN envelope"
    if status < 300:
        return None if doc.get("success") is True and "result" in doc else "CKAN ok without result"
    err = doc.get("error")
    if doc.get("success") is not False or not isinstance(err, dict) or "__type" not in err:
        return "not a CKAN error envelope"
    if err["__type"] != "Validation Error" and not isinstance(err.get("message"), str):
        return "CKAN error without message"
    return None


_local = threading.local()


def run_call(base, call):
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    headers = dict(call.headers or {})
    if call.ctype:
        headers["Content-Type"] = call.ctype
    url = base + call.path + ("?" + call.qs if call.qs else "")
    try:
        r = s.request(call.method, url, data=call.body, headers=headers, timeout=30)
    except requests.RequestException as e:
        s.close()
        _local.session = None
        return f"no answer: {type(e).__name__}: {e}"[:300]
    why = envelope_problem(call, r.status_code, r.headers.get("Content-Type", ""), r.content)
    return None if why is None else f"{why}: {r.status_code} {r.content[:200]!r}"


def run_all(base, calls, workers=4):
    failures = []
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        for call, why in zip(calls, ex.map(lambda c: run_call(base, c), calls, chunksize=64)):
            if why:
                failures.append(f"{call.describe()}\n    -> {why}")
    return failures


def report(failures, limit=40):
    return f"{len(failures)} bad answers:\n" + "\n".join(failures[:limit])


# ---- the tests ---------------------------------------------------------------------------------

def test_routes_command_lists_the_dispatch_tables():
    table = server_routes()
    patterns = {r["pattern"] for r in table["routes"]}
    assert {"{sru}/rest/datastore/{rid}", "/api/3/action/{name}", "/datastore/dump/{rid}"} <= patterns
    assert all(r["api"] in ("ckan", "tw") and r["methods"] for r in table["routes"])
    names = [a["name"] for a in table["ckan_actions"]]
    assert names == sorted(names) and len(names) == len(set(names))
    assert {"status_show", "package_show", "datastore_search", "package_search"} <= set(names)


def test_sweep_every_action_and_route(sweep):
    table = server_routes()
    calls = []
    for a in table["ckan_actions"]:
        calls += action_calls(a["name"], a["post_only"])
    for route in table["routes"]:
        if "{name}" not in route["pattern"]:
            calls += route_calls(route)
    # Every action and route the server lists is swept, every parameter of every action.
    per_action = Counter(c.path.rsplit("/", 1)[1] for c in calls if "/action/" in c.path)
    assert set(per_action) == {a["name"] for a in table["ckan_actions"]}
    assert min(per_action.values()) >= len(PARAMS) * len(JSON_VALUES)
    failures = run_all(sweep.base, calls)
    assert sweep.get("/api/3/action/status_show").status_code == 200, "server died"
    errors = ERROR_LINE.findall(sweep.log_text())
    assert not failures, report(failures)
    assert not errors, f"{len(errors)} error lines logged:\n" + "\n".join(errors[:20])
