"""The hostile-input sweep (issue 8: never a 5xx for client input).

Every route and every CKAN action the server lists (`opendatad routes`, read from the arrays it
dispatches on, so an action added later is swept without editing this file) gets hostile values
for every parameter: wrong JSON types, huge and negative numbers, empty strings, NUL bytes and
invalid UTF-8, SQL- and Solr-looking strings, 10,000-level nesting, repeated keys and 100 KB
values; as GET query strings, POST JSON bodies and POST form bodies. Every answer must be a 2xx or
4xx in its API's own envelope, the server must stay alive, and it must log no error line.
"""
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
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
# The Filter API (/v2/filter): q, a JSON text; hostile ones beyond GET_VALUES, on RID.
HKF_PARAMS = ["q", "x"]
HK_Q_VALUES = [json.dumps(q) for q in (
    {"resource": RID, "filters": [[1, "lt", ["1e999"]], [2, "bt", ["-1e-999", ".5"]]]},
    {"resource": RID, "filters": [[1, op, ["' OR 1=1--", "\\", "%_", "長", "$1"]]
                                  for op in ("in", "ni")]},
    {"resource": RID, "filters": [[c, op, ["' OR 1=1-- \\ %"]] for c in (1, 2, 3, 4)
                                  for op in ("eq", "ne", "ct", "nct", "bw", "nbw", "ew", "new")]},
    {"resource": RID, "filters": [[1, "ct", ["a" * 20_000]]], "format": "xml"},
    {"resource": RID, "filters": [[2, "gt", [" +1.e5 "]]], "sorts": [[4, "desc"], [1, "asc"]]},
    {"resource": RID, "sorts": [[9223372036854775807, "asc"]]},
    {"resource": RID, "filters": [[18446744073709551616, "eq", ["x"]]]},
    {"resource": RID, "section": 1e400}, {"resource": RID, "section": -0},
    {"resource": RID, "format": "JSON"}, {"resource": RID * 1000},
    {"resource": "' OR 1=1--"}, {"resource": {"a": 1}}, {"resource": [RID]},
    {"resource": RID, "filters": [[1, "in", [str(i) for i in range(1000)]]] * 3},
)] + ["{" * 100 + "}" * 100, '{"resource": "' + RID + '", "x": ' + "[" * 40 + "]" * 40 + "}"]
# The parameters of the Hong Kong routes (historical archive, nearest-schools).
HK_PARAMS = ["start", "end", "url", "time", "date", "category", "provider", "format", "search",
             "order", "max", "skip", "lat", "long", "x"]

LONG = "長" * 3 + "a" * 100_000


class Raw(str):
    """A query value sent as it is (already percent-encoded)."""


# Query-string values (GET, and form bodies).
GET_VALUES = [
    "", "-1", "0", "2147483648", "9223372036854775807", "9223372036854775808", "1e308", "NaN",
    "-Infinity",
    Raw("%00"), Raw("%FF%FE"), "' OR 1=1-- \"; DROP TABLE x; $1 \\'\\", "title:(a OR [* TO",
    "{!func}tags:AND *:*", '{"a":', '["a",{"b":1}]', '{"a":{"b":[1]}}',
    # past the field-name checks: a real field of the datastore table, hostile inside
    '{"SiteName": null, "MonitorDate": "x"}', '{"SiteName": {"a": 1}}',
    '{"MonitorDate": [1, null, "9223372036854775808"]}', "SiteName,' OR 1=1--",
    '{"SiteName": "a\\u0000b"}', '{"SiteName": "美濃"} trailing', "SiteName,ItemUnit,SiteName",
]
# More Solr syntax for the query parameters (q, fq): ranges, dates, boosts, local params.
SOLR_PARAMS = {"q", "fq"}
SOLR_VALUES = [
    "title:/a.*/", "name:a*b?c", "title:a~2", "metadata_modified:[NOW-1DAY TO *]",
    "metadata_modified:[1e308 TO *]", "metadata_modified:[99999-01-01T00:00:00Z TO *]",
    "metadata_created:[* TO 2020-13-45T99:99:99Z]", "num_resources:[1 TO 1e308]",
    "num_resources:[-9223372036854775809 TO 2]", "num_resources:99999999999999999999",
    "num_tags:{1 TO 3}", "metadata_modified:[NOW-9999999999DAYS TO NOW]",
    "title:\"a b\"~99999999999", "title:a^1e308", "_val_:\"recip(rord(x),1,1000,1000)\"",
    "(" * 2000 + "a" + ")" * 2000, "NOT " * 1000 + "a", "title:a\\", "-*:*",
    "title:a AND OR b", "extras_x:[* TO *]", "res_format:[a TO]",
]
# Dates and times at the edges, for the parameters that take them.
DATE_PARAMS = {"modified", "before", "after"}
DATE_VALUES = ["2200-12-31T23:59:59-23:59", "1000-01-01T00:00:00+15:59", "2016-02-29",
               "2015-02-29", "2200-12-31 23:59:59", "2015-01-01T00:00:00.99999999999999999999Z",
               "253402300800", "-62135596801", "1e-320"]
# POST JSON values: every JSON type where another is expected.
DEEP = "[" * 10_000 + "]" * 10_000
JSON_VALUES = [
    0, -1, 2 ** 31, 2 ** 63, 1e308, 1.5, True, False, None, [], ["a", 1, None], {},
    {"a": {"b": [1]}}, "a\u0000b", "\ud800x", LONG,
]
# The same inside a dict and a list that start with a real field of the datastore table, so
# they pass the field-name checks.
FIELD = "MonitorDate"
NESTED_VALUES = [2 ** 63, None, {}, "' OR 1=1--"]
# The shorter pass as a sysadmin (other SQL: the caller's rights).
AUTH_GET_VALUES = ["-1", "' OR 1=1-- title:(a OR"]
AUTH_JSON_VALUES = [2 ** 63, None, {"a": {}}]
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
# Hostile parameter names.
NAME_VALUES = [Raw("%00"), Raw("%FF%FE"), "", "' OR 1=1--", "$1", "__proto__", "k" * 10_000,
               "a[b]", "filters[SiteName]", "q.alt", "é"]
# Whole query strings and paths that are odd in themselves.
RAW_QUERIES = ["&&&", "=", "==x", "id", "%", "%G0=1", "a=%2", ";", "a=1;b=2", "+", "a+b=c+d",
               "callback=a&callback=b", "pretty=true&callback=x.y", "pretty=%FF"]
ODD_PATHS = ["/api/3/action/", "/api/3/action//package_show", "/api/3/action/package_show/x",
             "/" + "a/" * 40, "//", "/api/v1/rest/", "/api/v1/rest/dataset//", "/%00",
             "/api/3/action/%FF", "/api/v1/rest/datastore/" + RID + "/x", "/datastore/dump/"]
# Other headers the server reads.
ODD_HEADERS = [{"If-None-Match": "' OR 1=1--"}, {"If-None-Match": "*"}, {"Origin": "x" * 5000},
               {"Accept": "text/html;q=NaN, application/json;q=1e999"}, {"Accept": ";;;,,"},
               {"Content-Type": "application/x-www-form-urlencoded; charset=big5"}]
AUTH_VALUES = ["' OR 1=1--", "Bearer ", "Bearer " + "x" * 5000, "Bearer $1\\", "é"]

# Error lines: ours, and the sanitizers' when the server is built with them.
ERROR_LINE = re.compile(r"^(?:(?:\S+Z )?opendatad: error: |.*runtime error: "
                        r"|.*ERROR: \w+Sanitizer).*$", re.M)
STRAY_LINE = re.compile(r"^(?!\d{4}-\d\d-\d\dT|opendatad: ).+$", re.M)


def server_routes():
    out = subprocess.run([os.path.join(BIN, "opendatad"), "routes"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def sweep_db(cluster):
    """The demo catalogue with a real datastore table, and a sysadmin's token."""
    db = new_database(cluster, DEMO_CATALOG)
    run_import(db, "csv", DATA, "--resource-id", RID, check=True)
    out = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", USER, "--sysadmin",
                          "--db", db], check=True, capture_output=True, text=True).stdout
    return db, out.strip().splitlines()[-1]


def start_server(db, *extra):
    """A server whose header limit lets 100 KB query strings reach the handlers."""
    dump_dir = tempfile.mkdtemp(prefix="opendatad-dumps-")
    srv = Server(db, "--max-header-size", "262144", "--dump-dir", dump_dir, *extra)
    srv.dump_dir = dump_dir
    return srv


def stop_server(srv):
    """Stop it and remove its files: the sweep's log is some 60 MB, and what matters in it is in
    the assertion messages."""
    srv.stop()
    shutil.rmtree(srv.dump_dir, ignore_errors=True)
    os.remove(srv.log_path)


@pytest.fixture(scope="module")
def sweep(sweep_db):
    srv = start_server(sweep_db[0])
    srv.token = sweep_db[1]
    yield srv
    stop_server(srv)


# ---- valid context, so hostile values reach deep code ------------------------------------------

VALID_PATH = {"code": "100", "tag": "監測", "id": "A41000000G-000001", "rid": RID,
              "kind": "dataset", "op": "autocomplete", "name": "status_show"}


# Valid parameters that take an action past "missing value" and "not found", so hostile values
# reach deep code. An action gets the first set it answers 200 to (its name's guess first),
# none when it answers none of them 200: it is still swept.
CONTEXTS = [{"resource_id": RID}, {"id": "a41000000g-000001"}, {"id": RID}, {"id": "100"},
            {"id": "355000000i"}, {"id": "監測"}, {"id": USER}, {"name": "package_show"},
            {"q": "a"}, {"query": "監"}, {"query": "name:a"}]


def context_guess(name):
    prefixes = {"datastore_": {"resource_id": RID}, "resource_": {"id": RID},
                "package_": {"id": "a41000000g-000001"}, "group_": {"id": "100"},
                "member_": {"id": "100"}, "organization_": {"id": "355000000i"},
                "tag_": {"id": "監測"}, "user_": {"id": USER}}
    return next((c for p, c in prefixes.items() if name.startswith(p)), {})


def action_context(base, name, post_only):
    for ctx in [context_guess(name)] + CONTEXTS:
        call = Call("ckan", "POST" if post_only else "GET", f"/api/3/action/{name}",
                    "" if post_only else query(ctx.items()),
                    body=json.dumps(ctx).encode() if post_only else None)
        if exchange(base, call)[0] == 200:
            return ctx
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
        headers = {k: v[:40] for k, v in (self.headers or {}).items()}
        return (f"[{self.tag}] {self.method} {self.path}?{self.qs[:160]} body={body!r} "
                f"ctype={self.ctype} headers={headers}")


def action_calls(name, post_only, ctx, token=None):
    """Every parameter with every hostile value added to the valid ones in ctx, then bodies,
    credentials and methods; with a token (a sysadmin's), a shorter pass as that caller."""
    path = f"/api/3/action/{name}"
    auth = {"Authorization": token} if token else None
    calls = []

    def get(pairs, tag, headers=auth):
        if not post_only:
            calls.append(Call("ckan", "GET", path, query(pairs), headers=headers, tag=tag,
                              success_env=True))

    def post(data, ctype, tag, headers=auth):
        calls.append(Call("ckan", "POST", path, body=data, ctype=ctype, tag=tag,
                          headers=headers, success_env=True))

    for p in PARAMS:
        base = [(k, v) for k, v in ctx.items() if k != p]
        for v in (AUTH_GET_VALUES if token else GET_VALUES):
            get(base + [(p, v)], "get")
        for v in (AUTH_JSON_VALUES if token else JSON_VALUES):
            post(json.dumps({**dict(base), p: v}).encode(), "application/json", "json")
        if token:
            continue
        for v in NESTED_VALUES:
            for nested in ({FIELD: v}, [FIELD, v], [FIELD, FIELD]):
                post(json.dumps({**dict(base), p: nested}).encode(), "application/json", "nested")
        if p in LONG_GET_PARAMS:
            get(base + [(p, LONG)], "get-long")
        for v in (SOLR_VALUES if p in SOLR_PARAMS else DATE_VALUES if p in DATE_PARAMS else []):
            get(base + [(p, v)], "special")
        get(base + [(p, "a"), (p, "b")], "get-repeated")
        deep = json.dumps({**dict(base), p: "DEEP"}).replace('"DEEP"', DEEP)
        post(deep.encode(), "application/json", "json-deep")
        post(query(base + [(p, "' OR 1=1--"), (p, "x")]).encode(),
             "application/x-www-form-urlencoded", "form")
    if token:
        return calls
    for key in NAME_VALUES:
        get(list(ctx.items()) + [(key, "1")], "name")
        if not isinstance(key, Raw):
            post(json.dumps({**ctx, key: "1"}).encode(), "application/json", "name")
    for body in BAD_BODIES:
        for ctype in ("application/json", None, "application/x-www-form-urlencoded"):
            post(body, ctype, "body")
    for value in AUTH_VALUES:
        for header in ("Authorization", "X-CKAN-API-Key"):
            get(ctx.items(), "auth", {header: value.encode("utf-8")})
            post(json.dumps(ctx).encode(), "application/json", "auth",
                 {header: value.encode("utf-8")})
    for qs in RAW_QUERIES:
        if not post_only:
            calls.append(Call("ckan", "GET", path, qs, tag="raw-query", success_env=True))
    for headers in ODD_HEADERS:
        get(ctx.items(), "header", headers)
        post(json.dumps(ctx).encode(), None, "header", headers)
    for method in ("PUT", "DELETE", "PATCH"):
        calls.append(Call("ckan", method, path, tag="method"))
    return calls


def route_calls(route):
    """Calls for a route other than the action ones: its placeholders and its parameters."""
    api, pattern = route["api"], route["pattern"]
    params = {"tw": TW_PARAMS, "hk": HK_PARAMS, "hk-filter": HKF_PARAMS}.get(api, PARAMS)
    base = [("limit", "3")] if "dump" in pattern else []
    calls = []
    for key in re.findall(r"\{([a-z]+)\}", pattern):
        if key == "sru":
            continue
        for v in PATH_VALUES:
            calls.append(Call(api, "GET", route_path(pattern, {key: v}), query(base), tag="path"))
    path = route_path(pattern)
    for method in ("HEAD", "OPTIONS"):
        calls.append(Call(api, method, path, query(base), tag="method"))
    calls += [Call(api, "GET", path, qs, tag="raw-query") for qs in RAW_QUERIES]
    if "{name}" in pattern:
        return calls  # the actions' parameters are swept by action_calls
    for p in params:
        pbase = [(k, v) for k, v in base if k != p]
        for v in GET_VALUES + (DATE_VALUES if p in DATE_PARAMS else []) + \
                (HK_Q_VALUES if api == "hk-filter" and p == "q" else []):
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
    if call.method in ("HEAD", "OPTIONS") or status == 304:
        return None if status < 500 else f"status {status}"
    if call.api == "hk":
        return hk_problem(status, ctype, body)
    if call.api == "legacy":
        return legacy_problem(status, ctype, body)
    if call.api == "web":
        return web_problem(status, ctype, body)
    if status < 200 or status >= 500 or 300 <= status < 400 and status != 304:
        return f"unexpected status {status}"
    if status < 300 and not call.success_env and call.api == "ckan":
        return None  # dumps, /api/util and the version roots answer bare bodies
    if status < 300 and call.api == "tw" and "json" not in ctype:
        return None  # Taiwan dumps are zips
    if call.api == "hk-filter":
        return hkf_problem(status, body)
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


def web_problem(status, ctype, body):
    """Why a portal page's answer is not its shape: the HTML shell or a static file (200, or
    /api/i18n's JSONP), /api/i18n's unknown locale a JSON string, other errors CKAN's error envelope (409: a path that is not
    UTF-8, refused before any route is known)."""
    if status == 200:
        return None if body and ctype else "empty page or file"
    try:
        doc = json.loads(body)
    except ValueError:
        return "error body is not JSON"
    if status == 400 and isinstance(doc, str):
        return None if doc.startswith("Bad request: ") else "not CKAN's 400"
    if status not in (400, 404, 405, 409):
        return f"unexpected status {status}"
    err = doc.get("error") if isinstance(doc, dict) else None
    if doc.get("success") is not False or not isinstance(err, dict) or "__type" not in err:
        return "not an error envelope"
    return None


def legacy_problem(status, ctype, body):
    """Why a legacy API answer is not its shape: JSON (JSONP on 200s; a delete's empty body),
    errors a bare string, a 409 dict, or the Integrity Error dict."""
    if status not in (200, 201, 400, 403, 404, 405, 409):
        return f"unexpected status {status}"
    if status == 200 and ctype.startswith("application/javascript"):
        m = re.match(rb"^[A-Za-z_$][\w$.]*\((.*)\);$", body, re.S)
        if not m:
            return "not a JSONP body"
        body = m.group(1)
    if status == 200 and body == b"":
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if status < 300 or isinstance(doc, str) and status != 409:
        return None
    if status == 409 and isinstance(doc, dict) and "__type" not in doc:
        return None
    if status == 400 and isinstance(doc, dict) and doc.get("error", {}).get("__type") == \
            "Integrity Error":
        return None
    return "not a legacy error"


def hkf_problem(status, body):
    """Why a Filter API answer is not its envelope: the data itself, or {code, message}."""
    if status < 300:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(doc, dict) or set(doc) != {"code", "message"} \
            or doc["code"] != str(status) or not isinstance(doc["message"], str):
        return "not a Filter API error"
    return None


def hk_problem(status, ctype, body):
    """Why a Hong Kong API answer is not in its shape: bare JSON, redirects to the archive's
    files, the files themselves (any type, ranges), errors as {"message": text}."""
    if status in (302, 304):
        return None
    if status in (200, 206) and "json" not in ctype:
        return None  # an archived file
    try:
        doc = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if status < 300:
        return None if isinstance(doc, dict) else "not a JSON object"
    if status in (400, 404, 405, 416) and isinstance(doc, dict) and list(doc) == ["message"] \
            and isinstance(doc["message"], str):
        return None
    return f"not a Hong Kong error ({status})"


_local = threading.local()


def exchange(base, call):
    """One request on this thread's keep-alive connection (http.client: requests costs ~0.5 ms
    of CPU per call under the GIL, which would more than double the sweep's time)."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    headers = dict(call.headers or {})
    if call.ctype:
        headers["Content-Type"] = call.ctype
    url = call.path + ("?" + call.qs if call.qs else "")
    for attempt in range(2):
        conn = getattr(_local, "conn", None)
        if conn is None:
            conn = _local.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request(call.method, url, body=call.body, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.will_close:
                conn.close()
                _local.conn = None
            return resp.status, resp.getheader("Content-Type", ""), body
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            _local.conn = None
            # a kept-alive connection the server had closed: once more on a new one
            if attempt == 1 or isinstance(e, TimeoutError):
                raise


def run_call(base, call):
    try:
        status, ctype, body = exchange(base, call)
    except (OSError, http.client.HTTPException) as e:
        return f"no answer: {type(e).__name__}: {e}"[:300]
    why = envelope_problem(call, status, ctype, body)
    return None if why is None else f"{why}: {status} {body[:200]!r}"


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
    assert all(r["api"] in ("ckan", "tw", "hk-filter", "hk", "legacy", "web") and r["methods"]
               for r in table["routes"])
    assert {"/v2/filter", "/v1/filter"} <= patterns
    names = [a["name"] for a in table["ckan_actions"]]
    assert names == sorted(names) and len(names) == len(set(names))
    assert {"status_show", "package_show", "datastore_search", "package_search"} <= set(names)


def test_sweep_every_action_and_route(sweep):
    table = server_routes()
    calls = []
    for a in table["ckan_actions"]:
        ctx = action_context(sweep.base, a["name"], a["post_only"])
        calls += action_calls(a["name"], a["post_only"], ctx)
        calls += action_calls(a["name"], a["post_only"], ctx, token=sweep.token)
    for route in table["routes"]:
        calls += route_calls(route)
    for path in ODD_PATHS:
        api = "tw" if path.startswith(SRU + "/rest") else "ckan"
        calls += [Call(api, m, path, tag="path") for m in ("GET", "POST")]
    # Every action and route the server lists is swept, every parameter of every action.
    names = {a["name"] for a in table["ckan_actions"]}
    per_action = Counter(c.path.rsplit("/", 1)[1] for c in calls if "/action/" in c.path)
    assert names <= set(per_action)
    assert min(per_action[n] for n in names) >= len(PARAMS) * len(JSON_VALUES)
    check_sweep(sweep, calls)


def log_problems(text):
    """Error lines, and lines that are neither access-log lines nor ours (libpq's notices)."""
    return ERROR_LINE.findall(text) + STRAY_LINE.findall(text)


def check_sweep(srv, calls):
    failures = run_all(srv.base, calls)
    problems = log_problems(srv.log_text())
    try:
        alive = srv.get("/api/3/action/status_show").status_code == 200
    except requests.RequestException:
        alive = False
    assert alive, "the server died; its last lines:\n" + "\n".join(problems[-40:])
    assert not failures, report(failures)
    assert not problems, f"{len(problems)} lines logged:\n" + "\n".join(problems[:20])


def test_sweep_datastore_reads_by_the_sql_functions(sweep_db):
    """The same for the datastore reads with --datastore-prepared false (another SQL path)."""
    table = server_routes()
    srv = start_server(sweep_db[0], "--datastore-prepared", "false")
    try:
        calls = []
        for a in table["ckan_actions"]:
            if a["name"].startswith("datastore_"):
                calls += action_calls(a["name"], a["post_only"], {"resource_id": RID})
        for route in table["routes"]:
            if "datastore" in route["pattern"]:
                calls += route_calls(route)
        check_sweep(srv, calls)
    finally:
        stop_server(srv)


# ---- what the sweep found, one test each -------------------------------------------------------

def post_raw(srv, action, body, ctype="application/json"):
    headers = {"Content-Type": ctype} if ctype else {}
    return requests.post(f"{srv.base}/api/3/action/{action}", data=body, headers=headers,
                         timeout=10)


def assert_json_error_400(r):
    assert r.status_code == 400, r.text
    assert r.json().startswith("Bad request - JSON Error: "), r.text


def test_distinct_sorted_by_a_field_not_shown_is_409_on_sort(sweep):
    """Was a 500 "database error 42P10" and an error line in the log."""
    for fmt in ("objects", "lists", "csv"):
        r = sweep.get("/api/3/action/datastore_search", params={
            "resource_id": RID, "fields": "SiteName", "sort": "ItemUnit desc",
            "distinct": "true", "records_format": fmt})
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert err["__type"] == "Validation Error" and "ItemUnit" in err["sort"][0]
    # still fine: sorted by a field shown, or by one that does not exist (its own message)
    r = sweep.get("/api/3/action/datastore_search", params={
        "resource_id": RID, "fields": "SiteName", "sort": "SiteName desc", "distinct": "true"})
    assert r.status_code == 200 and r.json()["result"]["total"] > 1
    names = [rec["SiteName"] for rec in r.json()["result"]["records"]]
    assert names == sorted(set(names), reverse=True)
    r = sweep.get("/api/3/action/datastore_search", params={
        "resource_id": RID, "fields": "SiteName", "sort": "nope", "distinct": "true"})
    assert r.status_code == 409 and r.json()["error"]["sort"] == ['field "nope" does not exist']
    # the Taiwan endpoint has no distinct: a sort by a field not shown is fine there
    r = sweep.get(f"{SRU}/rest/datastore/{RID}", params={"fields": "SiteName",
                                                         "sort": "ItemUnit", "limit": "2"})
    assert r.status_code == 200 and len(r.json()["result"]["records"]) == 2
    assert "database error" not in sweep.log_text()


@pytest.mark.parametrize("body", [
    b'{"id":',                                   # truncated (was 409 name_or_id: Missing value)
    b'{"id": "a41000000g-000001"} trailing',     # trailing garbage (was 200)
    b'{"id": "a41000000g-000001"}{}',
    b'{"id": "\xff"}',                           # invalid UTF-8 (was a 500 on other actions)
    b'{"id": "a41000000g-000001"}\x00',          # a NUL byte
    b'{"id": "a\\u0000b"}',                      # a NUL character in a string
    b'{"id": ' + b"[" * 40 + b"]" * 40 + b"}",   # too deep
])
def test_post_body_that_is_not_json_is_bare_400(sweep, body):
    for ctype in ("application/json", None):
        assert_json_error_400(post_raw(sweep, "package_show", body, ctype))


def test_post_body_json_error_texts(sweep):
    r = post_raw(sweep, "package_show", b'{"id":')
    assert r.json() == "Bad request - JSON Error: Error decoding JSON data. Error: unexpected end of data"
    r = post_raw(sweep, "package_show", b"null")
    assert "not a dictionary" in r.json()


def test_post_form_bodies_follow_ckan(sweep):
    form = "application/x-www-form-urlencoded"
    r = post_raw(sweep, "package_show", b"id=a41000000g-000001&use_default_schema=true", form)
    assert r.status_code == 200 and r.json()["result"]["name"] == "a41000000g-000001"
    # one field whose value is "" or "1": its name is the JSON (CKAN's rule for such clients)
    r = post_raw(sweep, "package_show", urllib.parse.quote('{"id": "a41000000g-000001"}'), form)
    assert r.status_code == 200 and r.json()["result"]["name"] == "a41000000g-000001"
    assert_json_error_400(post_raw(sweep, "package_show", b"id=", form))
    assert_json_error_400(post_raw(sweep, "package_show", b'{"id":', form))
    # a form without a form Content-Type is not read as one
    assert_json_error_400(post_raw(sweep, "package_show", b"id=a41000000g-000001", None))


def test_package_search_survives_a_body_it_refuses(sweep):
    """package_search used its request after answering 400 to a bad body (a crash)."""
    for _ in range(20):
        assert_json_error_400(post_raw(sweep, "package_search", b'{"q":'))
    assert sweep.get("/api/3/action/status_show").status_code == 200


@pytest.mark.parametrize("value", ["1e308", "9223372036854775808", "-1e20", 1e308])
def test_activity_time_window_beyond_datetime_is_409(sweep, value):
    """Was a 500 "timestamp out of range" and an error line in the log."""
    for key in ("before", "after"):
        r = sweep.get("/api/3/action/package_activity_list",
                      params={"id": "a41000000g-000001", key: value})
        assert r.status_code == 409, r.text
        assert r.json()["error"][key] == ["Must be a float timestamp"]
    r = sweep.get("/api/3/action/package_activity_list",
                  params={"id": "a41000000g-000001", "before": "253402300799"})
    assert r.status_code == 200


@pytest.mark.parametrize("action,params", [
    ("datastore_info", {"id": "\udcff"}), ("group_show", {"id": "\udcff"}),
    ("datastore_search", {"resource_id": RID, "q": "a\u0000b"}),
])
def test_json_strings_postgresql_refuses_are_400(sweep, action, params):
    """Invalid UTF-8 and NUL characters reached PostgreSQL (500, error line in the log)."""
    body = json.dumps(params).encode("utf-8", "surrogateescape").replace(b"\\udcff", b"\xff")
    assert_json_error_400(post_raw(sweep, action, body))


def test_integers_beyond_64_bits_are_invalid(sweep):
    """They were read as 2^63-1, and offset + limit overflowed in the _links (UBSan)."""
    for value in ("9223372036854775808", "-9223372036854775809", "99999999999999999999"):
        r = sweep.get("/api/3/action/datastore_search", params={"resource_id": RID,
                                                                  "offset": value})
        assert r.status_code == 409 and r.json()["error"]["offset"] == ["Invalid integer"], r.text
    r = post_raw(sweep, "datastore_search", b'{"resource_id": "%s", "limit": 18446744073709551616}'
                 % RID.encode())
    assert r.status_code == 409 and r.json()["error"]["limit"] == ["Invalid integer"], r.text
    r = sweep.get("/api/3/action/datastore_search", params={
        "resource_id": RID, "offset": str(2 ** 63 - 1), "limit": "5"})
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert res["records"] == [] and res["_links"]["next"].endswith(f"offset={2 ** 63 - 1}")


def test_group_package_show_huge_float_limit_means_no_limit(sweep):
    """A float limit beyond 64 bits was converted to an integer: undefined behaviour."""
    r = post_raw(sweep, "group_package_show", b'{"id": "100", "limit": 1e308}')
    assert r.status_code == 200 and isinstance(r.json()["result"], list), r.text


def test_postgresql_notices_stay_out_of_the_log(sweep):
    """A word of q too long for the full-text index made libpq print PostgreSQL's NOTICE on
    stderr, outside the log's format."""
    r = sweep.get("/api/3/action/package_search", params={"q": "a" * 3000})
    assert r.status_code == 200, r.text
    assert "NOTICE" not in sweep.log_text()


@pytest.mark.parametrize("text", ['{"SiteName": "a\\u0000b"}', '{"SiteName": "美濃"} x'])
def test_json_text_parameters_are_whole_and_without_nul(sweep, text):
    """JSON in a query parameter with "\\u0000" reached jsonb (500 database error 22P05, an error
    line); trailing text after it was ignored."""
    r = sweep.get("/api/3/action/datastore_search", params={"resource_id": RID, "filters": text})
    assert r.status_code == 409 and r.json()["error"]["filters"] == ["Not a JSON object"], r.text
    r = sweep.get("/api/3/action/datastore_search", params={"resource_id": RID, "q": text})
    assert r.status_code == 409 and r.json()["error"]["q"] == ["Not a JSON object"], r.text
    r = sweep.get(f"{SRU}/rest/datastore/{RID}", params={"filters": text})
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0210"), r.text
    r = sweep.get(f"/datastore/dump/{RID}", params={"filters": text})
    assert r.status_code == 409 and "filters" in r.json()["error"], r.text
    assert not log_problems(sweep.log_text())


@pytest.mark.parametrize("value", ["2200-12-31T23:59:59-23:59", "1000-01-01T00:00:00+16:00"])
def test_tw_modified_offset_beyond_postgresql_is_er0210(sweep, value):
    """An RFC 3339 offset past 15:59 was a 500 (PostgreSQL's 22009) and an error line."""
    r = sweep.get(f"{SRU}/rest/dataset", params={"modified": value})
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0210"), r.text
    r = sweep.get(f"{SRU}/rest/dataset", params={"modified": "1000-01-01T00:00:00+15:59"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("fields", ["SiteName,SiteName", "_id,ItemUnit,_id",
                                    ",".join(["SiteName"] * 1700)])
def test_a_field_named_twice_is_refused(sweep, fields):
    """Was a 500 (42702: ambiguous column; 54011 past 1664 columns) and an error line."""
    for fmt in ("objects", "lists", "csv"):
        r = sweep.get("/api/3/action/datastore_search", params={
            "resource_id": RID, "fields": fields, "records_format": fmt})
        assert r.status_code == 409 and "twice" in r.json()["error"]["fields"][0], r.text
    r = sweep.get(f"{SRU}/rest/datastore/{RID}", params={"fields": fields})
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0210"), r.text
    assert not log_problems(sweep.log_text())


def test_datastore_q_longer_than_1000_characters_is_refused(sweep):
    """A 100,000-character q object value ran past the statement timeout (503): matching costs
    its length on every row."""
    long_q = "美" * 1001
    for q in (long_q, json.dumps({"SiteName": long_q})):
        r = sweep.get("/api/3/action/datastore_search", params={"resource_id": RID, "q": q})
        assert r.status_code == 409 and r.json()["error"]["q"] == ["Longer than 1000 characters"]
        r = sweep.get(f"/datastore/dump/{RID}", params={"q": q})
        assert r.status_code == 409 and r.json()["error"]["q"] == ["Longer than 1000 characters"]
    r = sweep.get(f"{SRU}/rest/datastore/{RID}", params={"q": long_q})
    assert r.status_code == 400 and r.json()["error"]["type"].startswith("ER0210"), r.text
    r = sweep.get("/api/3/action/datastore_search",
                  params={"resource_id": RID, "q": json.dumps({"SiteName": "美" * 1000})})
    assert r.status_code == 200 and r.json()["result"]["total"] == 0
