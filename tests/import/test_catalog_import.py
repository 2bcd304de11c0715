"""Black-box tests of `opendata-import catalog FILE --db URL` (Taiwan dataset metadata JSON).

The imported records are checked through the Taiwan API ({SRU}/rest/dataset...) of a server on
the same database. All tests share one database; each builds records with identifiers of its
own (and resource IDs derived from them), so they do not see each other's data.
"""
import copy
import datetime
import itertools
import json
import math
import os
import re
import time
import urllib.parse
from zoneinfo import ZoneInfo

import pytest

from conftest import DEMO_CATALOG, FIXTURES, Server, new_database, run_import, validate

SRU = "/api/v1"
TAIPEI = ZoneInfo("Asia/Taipei")
REAL_FILE = os.path.join(FIXTURES, "datagovtw_v1_rest_dataset_A41000000G-000001.json")
BAD_DATES_FILE = os.path.join(FIXTURES, "metadata_313200000G-000216_example.json")
DATE_FIELDS = ("temporalCoverageFrom", "temporalCoverageTo", "issued", "modified",
               "resourceModified")

with open(DEMO_CATALOG, encoding="utf-8") as _f:
    CATALOG = json.load(_f)
# A complete record with two resources (downloadURL and accessURL kinds are both in the demo).
TEMPLATE = next(r for r in CATALOG if r["identifier"] == "355000000I-000003")
_serial = itertools.count(1)


def record(**changes):
    """A valid record with a fresh identifier; resource IDs are {identifier}-NNN."""
    rec = copy.deepcopy(TEMPLATE)
    ident = f"T{os.getpid() % 100000:05d}000X-{next(_serial):06d}"
    rec["identifier"] = ident
    for n, d in enumerate(rec["distribution"], 1):
        d["resourceID"] = f"{ident}-{n:03d}"
    rec.update(changes)
    return rec


@pytest.fixture(scope="module")
def db(cluster):
    return new_database(cluster)


@pytest.fixture(scope="module")
def srv(db):
    s = Server(db)
    yield s
    s.stop()


@pytest.fixture
def load(db, tmp_path):
    """load(obj or raw=text) writes a file in tmp_path and imports it; returns the process."""
    files = itertools.count(1)

    def run(obj=None, raw=None):
        path = tmp_path / f"in{next(files)}.json"
        if raw is None:
            raw = json.dumps(obj, ensure_ascii=False)
        path.write_bytes(raw.encode("utf-8") if isinstance(raw, str) else raw)
        return run_import(db, "catalog", str(path))
    return run


def counts(stderr):
    """The importer's summary "N created, N updated, N unchanged, N failed" as a dict."""
    found = {k: int(n) for n, k in re.findall(r"(\d+) (created|updated|unchanged|failed)\b",
                                                stderr)}
    assert set(found) == {"created", "updated", "unchanged", "failed"}, stderr
    return found


def show(srv, ident):
    """GET rest/dataset/{ident}: the metadata (validated), or None when 404 Not found."""
    r = srv.get(SRU + "/rest/dataset/" + urllib.parse.quote(ident, safe=""))
    body = r.json()
    if r.status_code == 404:
        validate(body, "tw-error.schema.json")
        assert body["error"]["message"] == "Not found"
        return None
    assert r.status_code == 200, r.text[:300]
    validate(body, "tw-dataset.schema.json")
    return body["result"]


def listed_since(srv, t):
    """Identifiers of rest/dataset?modified= the POSIX time t (portal local time)."""
    local = datetime.datetime.fromtimestamp(t, TAIPEI).strftime("%Y-%m-%d %H:%M:%S")
    r = srv.get(SRU + "/rest/dataset", params={"modified": local})
    assert r.status_code == 200, r.text[:300]
    validate(r.json(), "tw-success-list.schema.json")
    return r.json()["result"]


def assert_same(shown, rec):
    for key, value in rec.items():
        if key == "numberOfData" and isinstance(value, str):
            value = int(value) if value else None
        assert shown.get(key, "<missing>") == value, key


# --- good input ----------------------------------------------------------------------------

def test_good_records_are_created(srv, load):
    recs = [record(), record(), record()]
    p = load(recs)
    assert p.returncode == 0, p.stderr
    assert counts(p.stderr) == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert re.search(r"\b3 created\b", p.stderr)
    for rec in recs:
        assert_same(show(srv, rec["identifier"]), rec)


def test_rerun_is_unchanged(srv, load):
    # Without declared issued/modified the API shows the portal's own times.
    recs = [record(), record()]
    for rec in recs:
        del rec["issued"], rec["modified"]
    p = load(recs)
    assert p.returncode == 0 and counts(p.stderr)["created"] == 2, p.stderr
    first = {r["identifier"]: show(srv, r["identifier"]) for r in recs}
    between = math.floor(time.time()) + 1
    time.sleep(between - time.time() + 0.2)
    p = load(recs)
    assert p.returncode == 0, p.stderr
    assert counts(p.stderr) == {"created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    for rec in recs:
        again = show(srv, rec["identifier"])
        assert again == first[rec["identifier"]]
        assert again["modified"] == first[rec["identifier"]]["modified"]
    since = listed_since(srv, between)
    assert not {r["identifier"] for r in recs} & set(since), since


def test_changed_record_is_updated(srv, load):
    rec = record()
    assert load([rec]).returncode == 0
    between = math.floor(time.time()) + 1
    time.sleep(between - time.time() + 0.2)
    other = record()
    rec2 = dict(rec, title=rec["title"] + "（修正）", numberOfData=99)
    p = load([rec2, other])
    assert p.returncode == 0, p.stderr
    assert counts(p.stderr) == {"created": 1, "updated": 1, "unchanged": 0, "failed": 0}
    assert_same(show(srv, rec["identifier"]), rec2)
    assert sorted(set(listed_since(srv, between)) & {rec["identifier"], other["identifier"]}) \
        == sorted([rec["identifier"], other["identifier"]])


def test_portal_times_are_local(srv, load):
    """A record without issued/modified is shown with the portal's time, in Asia/Taipei."""
    rec = {"identifier": record()["identifier"], "title": "最小資料集", "categoryCode": "I00",
           "publisher": "測試機關"}
    p = load([rec])
    assert p.returncode == 0, p.stderr
    shown = show(srv, rec["identifier"])  # all 33 standard fields present (schema)
    now = datetime.datetime.now(TAIPEI)
    for key in ("issued", "modified"):
        t = datetime.datetime.strptime(shown[key], "%Y-%m-%d %H:%M:%S").replace(tzinfo=TAIPEI)
        assert abs((t - now).total_seconds()) < 120, (key, shown[key], now)
    assert shown["keyword"] == [] and shown["distribution"] == []
    assert shown["numberOfData"] is None


# --- input forms ---------------------------------------------------------------------------

FORMS = {
    "array": lambda r: [r],
    "bare-object": lambda r: r,
    "v1-wrapper": lambda r: {"success": True, "result": r},
    "v1-wrapper-with-help": lambda r: {"help": "說明", "success": True, "result": r},
    "v1-wrapper-array": lambda r: {"success": True, "result": [r]},
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_input_forms(srv, load, form):
    rec = record()
    p = load(FORMS[form](rec))
    assert p.returncode == 0, p.stderr
    assert counts(p.stderr) == {"created": 1, "updated": 0, "unchanged": 0, "failed": 0}
    assert_same(show(srv, rec["identifier"]), rec)


def test_real_datagovtw_answer(srv, db):
    """The real data.gov.tw v1 answer (wrapper with help) imports with every field kept."""
    p = run_import(db, "catalog", REAL_FILE)
    assert p.returncode == 0, p.stderr
    assert counts(p.stderr)["created"] == 1
    with open(REAL_FILE, encoding="utf-8") as f:
        real = json.load(f)["result"]
    shown = show(srv, "A41000000G-000001")
    assert_same(shown, real)
    assert type(shown["numberOfData"]) is int
    p = run_import(db, "catalog", REAL_FILE)
    assert p.returncode == 0
    assert counts(p.stderr) == {"created": 0, "updated": 0, "unchanged": 1, "failed": 0}


@pytest.mark.parametrize("given,shown", [("12", 12), (12, 12), ("0", 0), ("", None),
                                         (None, None)])
def test_number_of_data(srv, load, given, shown):
    rec = record(numberOfData=given)
    p = load([rec])
    assert p.returncode == 0, p.stderr
    value = show(srv, rec["identifier"])["numberOfData"]
    assert value == shown and type(value) is type(shown)


# --- bad records ---------------------------------------------------------------------------

def _set_resource(field, value):
    def change(rec):
        rec["distribution"][0][field] = value
    return change


def _set(field, value):
    def change(rec):
        rec[field] = value
    return change


def _delete(field):
    def change(rec):
        del rec[field]
    return change


BAD = {  # name: (change to a valid record, the field the error must name)
    "category-K00": (_set("categoryCode", "K00"), "categoryCode"),
    "category-lower-k00": (_set("categoryCode", "k00"), "categoryCode"),
    "keyword-string": (_set("keyword", "監測,統計"), "keyword"),
    "keyword-number-item": (_set("keyword", ["監測", 5]), "keyword"),
    "numberOfData-abc": (_set("numberOfData", "abc"), "numberOfData"),
    "numberOfData-decimal": (_set("numberOfData", "1.5"), "numberOfData"),
    "issued-feb-30": (_set("issued", "2016-02-30"), "issued"),
    "modified-slashes": (_set("modified", "2016/01/01"), "modified"),
    "temporalCoverageFrom-3872": (_set("temporalCoverageFrom", "3872-01-01 00:00:00"),
                                  "temporalCoverageFrom"),
    "temporalCoverageTo-month-13": (_set("temporalCoverageTo", "2016-13-01"),
                                    "temporalCoverageTo"),
    "resourceModified-3872": (_set_resource("resourceModified", "3872-04-17 11:36:33"),
                              "resourceModified"),
    "resourceID-empty": (_set_resource("resourceID", ""), "resourceID"),
    "title-missing": (_delete("title"), "title"),
    "categoryCode-missing": (_delete("categoryCode"), "categoryCode"),
    "distribution-object": (_set("distribution", {"resourceID": "x"}), "distribution"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_record_fails_alone(srv, load, case):
    change, field = BAD[case]
    good1, bad, good2 = record(), record(), record()
    change(bad)
    p = load([good1, bad, good2])
    assert p.returncode == 1, p.stderr
    assert bad["identifier"] in p.stderr and field in p.stderr, p.stderr
    assert counts(p.stderr) == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert show(srv, good1["identifier"]) is not None
    assert show(srv, good2["identifier"]) is not None
    assert show(srv, bad["identifier"]) is None


def test_bad_identifier_fails_alone(srv, load):
    good = record()
    p = load([good, record(identifier="A41000000G 000001")])
    assert p.returncode == 1
    assert "identifier" in p.stderr and "A41000000G 000001" in p.stderr, p.stderr
    assert show(srv, good["identifier"]) is not None
    assert show(srv, "A41000000G 000001") is None


def test_example_with_year_3872_is_rejected(srv, db, load):
    """The whchi/tools example record (impossible 3872 dates) among good records."""
    with open(BAD_DATES_FILE, encoding="utf-8") as f:
        bad = json.load(f)
    good1, good2 = record(), record()
    p = load([good1, bad, good2])
    assert p.returncode == 1
    assert "313200000G-000216" in p.stderr
    assert any(f in p.stderr for f in DATE_FIELDS), p.stderr
    assert "3872" in p.stderr
    assert show(srv, "313200000G-000216") is None
    assert show(srv, good1["identifier"]) is not None
    assert show(srv, good2["identifier"]) is not None
    # The file on its own.
    p = run_import(db, "catalog", BAD_DATES_FILE)
    assert p.returncode == 1 and "313200000G-000216" in p.stderr
    assert counts(p.stderr)["failed"] == 1
    assert show(srv, "313200000G-000216") is None


def test_resource_of_another_dataset_fails_alone(srv, load):
    owner = record()
    assert load([owner]).returncode == 0
    thief, good = record(), record()
    thief["distribution"][0]["resourceID"] = owner["distribution"][0]["resourceID"]
    p = load([thief, good])
    assert p.returncode == 1
    assert thief["identifier"] in p.stderr and "resourceID" in p.stderr, p.stderr
    assert counts(p.stderr) == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    assert show(srv, thief["identifier"]) is None
    assert show(srv, good["identifier"]) is not None
    assert show(srv, owner["identifier"])["distribution"] == owner["distribution"]


def test_duplicate_resource_within_record_fails(srv, load):
    """KNOWN SERVER BUG (reported): accepted with "1 created"; the first of the two
    resources is silently lost."""
    rec = record()
    rec["distribution"][1]["resourceID"] = rec["distribution"][0]["resourceID"]
    p = load([rec])
    assert p.returncode == 1 and rec["identifier"] in p.stderr, p.stderr
    assert show(srv, rec["identifier"]) is None


def test_failed_update_keeps_the_old_record(srv, load):
    rec = record()
    assert load([rec]).returncode == 0
    p = load([dict(rec, title="新標題", categoryCode="K00")])
    assert p.returncode == 1 and "categoryCode" in p.stderr
    assert_same(show(srv, rec["identifier"]), rec)


# --- bad files -----------------------------------------------------------------------------

def _malformed(rec):
    good = json.dumps([rec], ensure_ascii=False)
    return {
        "truncated": good[:-10],
        "unterminated-array": good[:-1] + ', {"identifier": ',
        "trailing-garbage": good + " xyz",
        "extra-bracket": good + "]",
        "two-documents": good + good,
        "single-quotes": good.replace('"', "'"),
        "empty-file": "",
        "not-json": "identifier,title\nX,Y\n",
    }


@pytest.mark.parametrize("case", sorted(_malformed({})))
def test_malformed_file_imports_nothing(srv, load, case):
    """KNOWN SERVER BUG (reported): trailing-garbage, extra-bracket, two-documents and
    single-quotes are imported (exit 0): text after the first JSON value is ignored and
    json-c's non-strict mode accepts single-quoted strings."""
    rec = record()
    p = load(raw=_malformed(rec)[case])
    assert p.returncode == 1, (case, p.stderr)
    assert p.stderr.strip(), case
    assert show(srv, rec["identifier"]) is None


@pytest.mark.parametrize("doc", [42, "text", None, True, {"success": False, "error": {}},
                                 {"success": True, "result": "x"}, [1, 2], [[]]])
def test_not_a_catalogue_fails(load, doc):
    p = load(doc)
    assert p.returncode == 1, (doc, p.stderr)
    assert p.stderr.strip()


def test_invalid_utf8_fails(srv, load):
    rec = record(title="TITLE")
    raw = json.dumps([rec]).encode().replace(b'"TITLE"', b'"\xff\xfe"')
    p = load(raw=raw)
    assert p.returncode == 1, p.stderr
    assert show(srv, rec["identifier"]) is None


def test_missing_file(db, tmp_path):
    missing = tmp_path / "no-such-file.json"
    p = run_import(db, "catalog", str(missing))
    assert p.returncode == 1
    assert "no-such-file.json" in p.stderr
