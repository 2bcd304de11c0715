"""datastore_upsert sends plain records (every record the same keys in the same order, scalar
values; server/datastore/ds_rows.h) to PostgreSQL as lines of text, which sql/functions/20's
ds_w_lines writes in one statement, or declines (then the JSON path writes them, as before).
Each scenario here is a series of calls run twice on two tables made alike: once as plain JSON
bodies (the lines path) and once with a key of the body spelled with an escape (the server
parses the body, the records go as JSON). Answers, statuses, rows and their _ids, and the _ids
later records get (the sequence) must be the same."""
import psycopg2
import pytest

FIELDS = [{"id": "k", "type": "text"}, {"id": "n", "type": "int4"},
          {"id": "x", "type": "numeric"}, {"id": "d", "type": "date"},
          {"id": "b", "type": "bool"}, {"id": "v", "type": "varchar"},
          {"id": "j", "type": "json"}, {"id": "t", "type": "_text"}]


def table(site, key=True):
    return site.table("lines", FIELDS, "k" if key else None)


def run(site, steps, key=True):
    """The steps ((method, records text, extra body text), ...) on a new table, as plain bodies
    (escape False) or with an escaped key: the answers and the rows after each step."""
    out = {}
    for escape in (False, True):
        rid = table(site, key)
        seen = []
        for method, records, extra in steps:
            name = "reso\\u0075rce_id" if escape else "resource_id"
            body = (f'{{"{name}": "{rid}", "method": "{method}", "include_records": true'
                    f'{extra}, "records": {records}}}')
            r = site.post("datastore_upsert", body)
            assert r.status_code != 500, r.text
            seen.append((r.status_code, r.text.replace(rid, "RID"), site.rows(rid)))
        out[escape] = seen
    return out


def same(out):
    for a, b in zip(out[False], out[True]):
        assert a == b, (a, b)
    return out[False]


A = '{"k": "a", "n": 1, "x": "1.50", "d": "2024-01-02", "b": true, "v": "\u7ad9"}'
B = '{"k": "b", "n": 2, "x": 2.25, "d": null, "b": false, "v": ""}'


def test_insert_then_upsert_of_new_and_old_keys(raw_site):
    got = same(run(raw_site, [
        ("upsert", f"[{A}, {B}]", ""),
        ("upsert", '[{"k": "b", "n": 20}, {"k": "c", "n": 3}, {"k": "a", "n": 10}]', ""),
        ("insert", '[{"k": "d", "n": 4}]', ""),
    ]))
    assert [s[0] for s in got] == [200, 200, 200]
    last = got[-1][2]
    assert [(r["k"], r["n"], r["_id"]) for r in last] == [
        ("a", 10, 1), ("b", 20, 2), ("c", 3, 3), ("d", 4, 4)]
    assert last[0]["x"] == 1.50 and last[0]["v"] == "\u7ad9"  # fields not given are kept


def test_values_as_the_json_path_reads_them(raw_site):
    recs = ('[{"k": "e", "n": "", "x": "", "d": "", "b": "", "v": ""},'
            ' {"k": "", "n": -7, "x": -0.001, "d": "2024-02-29", "b": "false", "v": 1.50},'
            ' {"k": "\\u00e9\\"\\/", "n": null, "x": 12345678901234567890.5, "d": null,'
            ' "b": null, "v": true}]')
    got = same(run(raw_site, [("upsert", recs, ""),
                              ("insert", recs.replace('"k": "', '"k": "z'), "")]))
    assert got[0][0] == 200 and got[1][0] == 200
    first = {r["k"]: r for r in got[0][2]}
    assert first["e"]["n"] is None and first["e"]["v"] == ""
    assert first[""]["v"] == "1.50" and first['\u00e9"/']["v"] == "true"


@pytest.mark.parametrize("steps", [
    [("upsert", '[{"k": "a", "n": 1}, {"k": "a", "n": 2}]', "")],            # a key twice
    [("upsert", '[{"k": "a", "n": 1}]', ""),
     ("upsert", '[{"k": "b", "n": 2}, {"k": "a", "n": "x"}]', ""),            # refused value
     ("upsert", '[{"k": "c", "n": 3}]', "")],
    [("insert", '[{"k": "a", "n": 1}]', ""),
     ("insert", '[{"k": "b", "n": 2}, {"k": "a", "n": 3}]', ""),              # key taken
     ("insert", '[{"k": "c", "n": 3}]', "")],
    [("insert", '[{"k": "a", "n": 1}, {"k": "b", "n": "1.5"}]', ""),
     ("insert", '[{"k": "c", "n": 3}]', "")],
    [("upsert", '[{"k": "a", "nope": 1}]', "")],                              # unknown field
    [("upsert", '[{"n": 1}]', "")],                                           # no key
    [("upsert", '[{"k": "a", "k": "b", "n": 1}]', "")],                       # repeated field
    [("upsert", '[{"k": "a", "n": 1}]', ""),
     ("update", '[{"k": "a", "x": 5}]', ""),                                 # update, partial
     ("update", '[{"k": "a", "n": 2}, {"k": "q", "n": 3}]', ""),              # a key not there
     ("upsert", '[{"k": "r", "n": 4}]', "")],
    [("upsert", '[{"k": "a", "n": 1}]', ""),
     ("update", '[{"k": "a", "n": 2}, {"k": "a", "n": 3}]', "")],
    [("upsert", '[{"k": "a", "j": "text", "n": 1}]', ""),                     # a json column
     ("upsert", '[{"k": "b", "t": "x"}]', ""),                                # an array column
     ("upsert", '[{"k": "c", "n": 1}]', "")],
    [("upsert", '[{"k": "a", "n": 1}, {"n": 2, "k": "b"}]', "")],             # other order
    [("upsert", '[{"k": "a", "n": 1}]', ', "dry_run": true'),
     ("upsert", '[{"k": "a", "n": 2}, {"k": "b", "n": 2}]', ', "dry_run": true'),
     ("upsert", '[{"k": "b", "n": 3}]', "")],
    [("upsert", '[{"k": "a", "_id": 5}]', ""),                                # _id given
     ("upsert", '[{"k": "b", "n": 1}]', "")],
])
def test_declined_or_refused_answers_alike(raw_site, steps):
    same(run(raw_site, steps))


def test_table_without_key(raw_site):
    got = same(run(raw_site, [("upsert", '[{"k": "a", "n": 1}]', ""),
                              ("insert", '[{"k": "a", "n": 1}, {"k": "a", "n": 2}]', ""),
                              ("update", '[{"k": "a", "n": 1}]', "")], key=False))
    assert [s[0] for s in got] == [409, 200, 409]
    assert [r["_id"] for r in got[1][2]] == [1, 2]


@pytest.mark.parametrize("method,keys,lines,written", [
    ("upsert", '["k", "n"]', "\ta\t1\n\tb\t\\N", 2),
    ("insert", '["n"]', "\t1\n\t2\n\t3", 3),
    ("upsert", '["n"]', "\t1", None),                  # no key field
    ("upsert", '["k", "k"]', "\ta\tb", None),          # a field twice
    ("upsert", '["k", "nope"]', "\ta\t1", None),       # unknown
    ("upsert", '["k", "j"]', "\ta\t1", None),          # json column
    ("upsert", '["k", "t"]', "\ta\tx", None),          # array column
    ("upsert", '["k", "n"]', "\ta\t1\n\ta\t2", None),  # a key twice
    ("upsert", '["k", "n"]', "\ta\tx", None),          # refused value
    ("update", '["k", "n"]', "\tq\t1", None),          # no such row
])
def test_lines_path_takes_what_it_can(raw_site, method, keys, lines, written):
    """ds_w_lines itself: the records it writes, and NULL for those it leaves to the JSON path
    (then nothing is written and the sequence is where it was)."""
    rid = table(raw_site)
    with psycopg2.connect(raw_site.db) as conn, conn.cursor() as cur:
        cur.execute("""SELECT ids, added, written FROM ds_w_lines(%s, (SELECT fields
                       FROM datastore_table WHERE resource_id = %s), %s, %s, %s, true)""",
                    (rid, rid, method, keys, lines))
        ids, added, written_ = cur.fetchone()
        cur.execute(f'SELECT count(*) FROM datastore."{rid}"')
        count = cur.fetchone()[0]
        cur.execute(f"""SELECT nextval(pg_get_serial_sequence('datastore."{rid}"', '_id'))""")
        after = cur.fetchone()[0]
    if written is None:
        assert (ids, added, written_, count, after) == (None, None, None, 0, 1)
    else:
        assert (ids, added, written_, count, after) == (list(range(1, written + 1)), written,
                                                        written, written, written + 1)


@pytest.mark.parametrize("records", [
    '[{"k": null, "n": 1}, {"k": null, "n": 2}]',
    '[{"k": "a", "n": 1}, {"k": "b", "n": 2}, {"k": "b", "n": 3}]',
    '[{"k": "a", "n": 1}, {"k": "c", "n": 2}, {"k": "c", "n": 3}, {"k": null, "n": 4}]',
])
@pytest.mark.parametrize("method", ["upsert", "update"])
def test_repeated_keys_over_rows_answer_alike(raw_site, records, method):
    same(run(raw_site, [("upsert", '[{"k": "a", "n": 0}, {"k": "b", "n": 0}]', ""),
                        (method, records, ""), ("upsert", '[{"k": "z", "n": 9}]', "")]))
