"""`opendata-import catalog --jobs N` deals the records to N connections (importers/catalog_in.c):
the database ends as a sequential import leaves it, whatever the records share (organizations,
tags, category groups, a dataset identifier given twice: the later record wins), the lines come
out in record order, a bad record fails alone, and a record whose transaction died in a
deadlock runs again."""
import copy
import json
import random
import re

import psycopg2

from conftest import DEMO_CATALOG, Server, new_database, run_import
from test_schema_upgrade import normalized

with open(DEMO_CATALOG, encoding="utf-8") as _f:
    TEMPLATE = next(r for r in json.load(_f) if r["identifier"] == "355000000I-000003")

ORGS = [("355000000I", "行政院環境保護署"), ("A41000000G", "內政部"), ("376590000A", "交通部")]
WORDS = ["即時", "氣象", "監測", "紫外線", "空氣", "水質", "交通", "人口", "地震", "河川"]
CATEGORIES = ["E00", "A00", "H00", "100"]
SCHEMA_BAD, DB_BAD, REPEATED = 7, 23, (5, 38)


def shared(n, seed=3):
    """n records sharing three organizations, ten tags (listed in shuffled orders) and four
    categories."""
    rnd = random.Random(seed)
    recs = []
    for k in range(1, n + 1):
        rec = copy.deepcopy(TEMPLATE)
        code, org = ORGS[k % len(ORGS)]
        rec.update(identifier=f"{code}-{k:06d}", publisherOrgCode=code, publisher=org,
                   title=f"資料集 {k}", categoryCode=CATEGORIES[k % len(CATEGORIES)],
                   keyword=rnd.sample(WORDS, 6))
        for i, d in enumerate(rec["distribution"], 1):
            d["resourceID"] = f"{rec['identifier']}-{i:03d}"
        recs.append(rec)
    return recs


def catalogue():
    """48 shared records; record 38 repeats record 5's identifier (in other case, with another
    title), record 7 fails validation, record 23 claims a resource of record 21 (in flight with
    it)."""
    recs = shared(48)
    first, again = REPEATED
    recs[again - 1]["identifier"] = recs[first - 1]["identifier"].lower()
    recs[again - 1]["distribution"] = copy.deepcopy(recs[first - 1]["distribution"])
    recs[again - 1]["title"] = "後來的標題"
    recs[SCHEMA_BAD - 1]["title"] = 12345
    recs[DB_BAD - 1]["distribution"][0]["resourceID"] = recs[20]["distribution"][0]["resourceID"]
    return recs


def answers(url, identifiers):
    s = Server(url)
    try:
        paths = [f"/api/3/action/package_show?id={i}" for i in identifiers]
        paths += [f"/api/v1/rest/dataset/{i}" for i in identifiers]
        paths += ["/api/v1/rest/dataset", "/api/3/action/package_search?sort=name%20asc&rows=100",
                  "/api/3/action/organization_list?all_fields=true", "/api/3/action/tag_list",
                  "/api/3/action/group_show?id=e00"]
        out = {p: (r.status_code, normalized(r.text)) for p in paths for r in [s.get(p)]}
        # The default page sorts on metadata_modified, the time each record's transaction
        # began; records in flight together began in no fixed order, so the page is compared
        # as the set of its datasets.
        page = s.get("/api/3/action/package_search?rows=100").json()["result"]
        out["default page"] = (page["count"], sorted(r["name"] for r in page["results"]))
        return out
    finally:
        s.stop()


def import_lines(db, path, jobs):
    p = run_import(db, "catalog", str(path), "--jobs", str(jobs))
    assert p.returncode == 1, p.stderr
    return [line for line in p.stderr.splitlines() if line.startswith("opendata-import:")]


def test_jobs_4_leaves_what_jobs_1_leaves(cluster, tmp_path):
    recs = catalogue()
    path = tmp_path / "c.json"
    path.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    one, four = new_database(cluster), new_database(cluster)
    lines = import_lines(one, path, 1)
    assert import_lines(four, path, 4) == lines
    failed = [int(n) for n in re.findall(r"^opendata-import: error: record (\d+) ",
                                         "\n".join(lines), re.M)]
    assert failed == [SCHEMA_BAD, DB_BAD]
    assert "already belongs to another dataset" in lines[1]
    assert lines[-1] == "opendata-import: 45 created, 1 updated, 0 unchanged, 2 failed"
    identifiers = sorted({r["identifier"] for k, r in enumerate(recs, 1)
                          if k not in (SCHEMA_BAD, DB_BAD)})
    want = answers(one, identifiers)
    assert answers(four, identifiers) == want
    shown = want[f"/api/3/action/package_show?id={recs[REPEATED[0] - 1]['identifier']}"]
    assert json.loads(shown[1])["result"]["title"] == "後來的標題"
    # again: the same lines; every good record unchanged but the repeated pair, whose two
    # versions replace each other
    again = import_lines(one, path, 1)
    assert import_lines(four, path, 4) == again
    assert again[-1] == "opendata-import: 0 created, 2 updated, 44 unchanged, 2 failed"


def test_a_deadlocked_record_runs_again(cluster, tmp_path):
    """A trigger makes the record's first two transactions die as in a deadlock (a sequence
    counts the attempts; it is not rolled back); a second record dies every time."""
    db = new_database(cluster)
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("""
            CREATE SEQUENCE attempts;
            CREATE FUNCTION t_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.identifier = 'X-000002' AND nextval('attempts') <= 2
                   OR NEW.identifier = 'X-000004' THEN
                    RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = '40P01';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER t_deadlock BEFORE INSERT ON package
                FOR EACH ROW EXECUTE FUNCTION t_deadlock();""")
    recs = shared(6)
    for k, rec in enumerate(recs, 1):
        rec["identifier"] = f"X-{k:06d}"
        rec["title"] = f"資料集 {k}"
        for i, d in enumerate(rec["distribution"], 1):
            d["resourceID"] = f"X-{k:06d}-{i:03d}"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    lines = import_lines(db, path, 2)
    assert len(lines) == 2 and re.match(
        r"opendata-import: error: record 4 \(X-000004\): ERROR: +deadlock detected \(test\)",
        lines[0]), lines
    assert lines[-1] == "opendata-import: 5 created, 0 updated, 0 unchanged, 1 failed"
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute("SELECT identifier FROM package ORDER BY 1")
        assert [i for i, in cur.fetchall()] == [f"X-{k:06d}" for k in (1, 2, 3, 5, 6)]
