"""DataStore writes hand the records of a plain JSON body to PostgreSQL as the client sent them
(server/core/json_span.c vouches for the text; anything else is parsed by the server first, as
before). Both ways must answer alike: the same body is sent once plainly and once with a key
spelled with an escape (which the scanner leaves to json-c), to two tables made alike, and the
answers, statuses and rows compared."""
import json

import pytest

FIELDS = [{"id": "k", "type": "text"}, {"id": "n", "type": "int8"}, {"id": "x", "type": "numeric"},
          {"id": "f", "type": "float8"}, {"id": "j", "type": "json"}, {"id": "t", "type": "_text"}]


def rows(site, rid):
    return site.rows(rid, order="k", without_id=True)


CASES = [
    '[{"k": "a", "n": 1, "x": "1.50", "f": 2.5, "j": {"b": [1, 2]}, "t": ["p", "q"]}]',
    '[{"k": "b", "n": 123456789012345678, "x": 1e5, "f": -0.0, "j": [], "t": []}]',
    '[{"k": "c", "n": -0, "x": 12345678901234567890123, "f": 1e400}]',
    '[{"k": "d\\u00e9\\n\\"\\/", "j": "\\ud83d\\ude00", "x": 0.1000}]',
    '[{"k": "e", "n": "not a number"}]',
    '[{"k": "f", "nope": 1}]',
    '[{"k": "g"}, {"k": "g", "n": 2}]',
    '[1, 2]',
    '"text"',
    '{"k": "h"}',
    '[{"k": "i", "n": 9223372036854775808}]',
    '[{"k": "j", "f": NaN}]',
    '[{"k": "k", "x": "\\u0000"}]',
]


@pytest.mark.parametrize("records", CASES)
@pytest.mark.parametrize("method", ["insert", "upsert"])
def test_raw_and_parsed_records_answer_alike(raw_site, records, method):
    a, b = raw_site.table("raw", FIELDS, "k"), raw_site.table("raw", FIELDS, "k")
    plain = f'{{"resource_id": "{a}", "method": "{method}", "include_records": true, ' \
            f'"records": {records}}}'
    escaped = f'{{"reso\\u0075rce_id": "{b}", "method": "{method}", ' \
              f'"include_records": true, "records": {records}}}'
    ra, rb = raw_site.post("datastore_upsert", plain), raw_site.post("datastore_upsert", escaped)
    assert ra.status_code == rb.status_code, (ra.text, rb.text)
    assert ra.text.replace(a, "RID") == rb.text.replace(b, "RID")
    assert rows(raw_site, a) == rows(raw_site, b)


@pytest.mark.parametrize("records", CASES[:4])
def test_create_with_records_answers_alike(raw_site, records):
    out = []
    for key in ("resource_id", "reso\\u0075rce_id"):
        rid = raw_site.resource("rawc")
        r = raw_site.post("datastore_create", f'{{"{key}": "{rid}", "fields": '
                          f'{json.dumps(FIELDS)}, "records": {records}}}')
        out.append((r.status_code, r.text.replace(rid, "RID"),
                    rows(raw_site, rid) if r.status_code == 200 else None))
    assert out[0] == out[1]
