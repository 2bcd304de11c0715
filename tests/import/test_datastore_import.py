"""Black-box tests of `opendata-import csv|xml FILE --resource-id RID` (docs/DATASTORE.md).

Real files (docs/demo/data, tests/fixtures) are imported into a database holding the demo
catalogue, and the DataStore tables are compared value by value with Python's own reading of
the same files. Failures (bad bytes, SIGKILL mid-COPY) must leave the previous data intact.
"""
import csv
import io
import json
import os
import re
import signal
import subprocess
import threading
import time

import psycopg2
import pytest

from conftest import BIN, DEMO_CATALOG, FIXTURES, ROOT, new_database, run_import

DATA = os.path.join(ROOT, "docs", "demo", "data")
MOL_CSV = os.path.join(DATA, "mol_A17000000J-030138_training.csv")
MOL_XML = os.path.join(DATA, "mol_A17000000J-030138_training.xml")
STALLS_CSV = os.path.join(DATA, "taichung_top100_stalls.csv")
STALLS_XML = os.path.join(DATA, "taichung_top100_stalls.xml")
EPA_CSV = os.path.join(DATA, "epa_pm25_manual_monitoring.csv")
EPA_XML = os.path.join(FIXTURES, "epa_pm25_manual_monitoring.xml")
GDS_CSV = os.path.join(FIXTURES, "gds_government_oid_directory.csv")
DATASET = "A62000000A-000001"  # a demo dataset new resources are created in


@pytest.fixture(scope="module")
def db(cluster):
    return new_database(cluster, DEMO_CATALOG)


def sql(db, query, *args):
    with psycopg2.connect(db) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def imp(db, kind, path, rid, *extra):
    return run_import(db, kind, path, "--resource-id", rid, *extra)


def ok(p):
    assert p.returncode == 0, p.stderr
    return p


def info(db, rid):
    rows = sql(db, "SELECT table_name, fields, row_count, max_id, data_version, search_expr,"
                   " source FROM datastore_table WHERE resource_id = %s", rid)
    if not rows:
        return None
    keys = ("table_name", "fields", "row_count", "max_id", "data_version", "search_expr",
            "source")
    return dict(zip(keys, rows[0]))


def table(db, rid):
    """Every row as text (None for NULL), in _id order, with the fields."""
    i = info(db, rid)
    cols = ", ".join('"%s"::text' % f["id"].replace('"', '""') for f in i["fields"])
    rows = sql(db, 'SELECT _id, %s FROM datastore."%s" ORDER BY _id' % (cols, i["table_name"]))
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1)), "_id is dense from 1"
    return i["fields"], [list(r[1:]) for r in rows]


def norm_date(v, with_time):
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d\d)(?::(\d\d))?)?", v)
    y, mo, d, h, mi, s = m.groups()
    out = "%s-%02d-%02d" % (y, int(mo), int(d))
    if with_time:
        out += " %02d:%s:%s" % (int(h or 0), mi or "00", s or "00")
    return out


def expected(value, typ):
    """The text PostgreSQL shows for a file value loaded into a column of type typ (unquoted
    fields lose their spaces and tabs at either end; none of these files quotes such)."""
    value = value.strip(" \t")
    if value == "":
        return None
    if typ == "date":
        return norm_date(value, False)
    if typ == "timestamp":
        return norm_date(value, True)
    if typ == "bool":
        return value.lower()
    return value


def csv_source(path, encoding):
    with open(path, encoding=encoding, newline="") as f:
        rows = [r for r in csv.reader(f) if any(v.strip() for v in r)]
    return rows[0], rows[1:]


def assert_same_rows(fields, got, src_rows):
    assert len(got) == len(src_rows)
    types = [f["type"] for f in fields]
    for n, (g, s) in enumerate(zip(got, src_rows), 1):
        want = [expected(s[i], t) if i < len(s) else None for i, t in enumerate(types)]
        assert g == want, "row %d" % n
        assert all(not v.strip() for v in s[len(types):]), "row %d: values dropped" % n


# --- CSV: encodings, shapes, types ------------------------------------------------------------

CSV_FILES = [
    # file, resource, encoding for Python, encoding reported, some expected types
    ("dgpa_calendar_113_2024_utf8bom.csv", "A62000000A-000001-001", "utf-8-sig", "utf-8",
     {"西元日期": "int4", "備註": "text"}),
    ("dgpa_calendar_114_2025_cp950.csv", "A62000000A-000001-002", "cp950", "big5",
     {"西元日期": "int4", "星期": "text"}),
    ("changhua_top10_souvenirs_cp950.csv", "376470000A-000088-001", "cp950", "big5",
     {"年度": "int4", "電話": "text"}),
    ("mol_A17000000J-030138_training.csv", "A17000000J-030138-001", "utf-8-sig", "utf-8",
     {"開訓日期": "date", "訓練時數": "int4", "就業率": "text"}),
    ("taichung_top100_stalls.csv", "387000000A-000123-001", "utf-8-sig", "utf-8",
     {"編號": "int4", "電話": "text"}),
    ("epa_pm25_manual_monitoring.csv", "355000000I-000207-001", "utf-8-sig", "utf-8",
     {"SiteName": "text", "Concentration": "int4"}),
    ("moi_village_vital_stats_10310.csv", "301000000A-000311-001", "utf-8-sig", "utf-8",
     {"統計年月": "int4", "離婚對數": "int4"}),
    ("aec_env_radiation_realtime.csv", "A44000000G-000012-001", "utf-8-sig", "utf-8",
     {"監測值(微西弗/時)": "numeric", "時間": "timestamp", "GPS經度": "numeric"}),
    ("nhi_maskdata_20200630.csv", "A21030000I-000050-001", "utf-8-sig", "utf-8",
     {"醫事機構代碼": "text", "成人口罩剩餘數": "int4", "來源資料時間": "timestamp"}),
]


@pytest.mark.parametrize("name,rid,pyenc,enc,types", CSV_FILES, ids=[c[0] for c in CSV_FILES])
def test_csv_real_files(db, name, rid, pyenc, enc, types):
    path = os.path.join(DATA, name)
    p = ok(imp(db, "csv", path, rid))
    assert "rows" in p.stderr and "loaded" in p.stderr
    header, src = csv_source(path, pyenc)
    fields, got = table(db, rid)
    assert_same_rows(fields, got, src)
    names = [f["id"] for f in fields]
    assert names == [h.strip() for h in header if h.strip()] or name.startswith("moi")
    for col, typ in types.items():
        assert {f["id"]: f["type"] for f in fields}[col] == typ, col
    i = info(db, rid)
    assert i["row_count"] == i["max_id"] == len(src)
    assert i["source"] == {"file": name, "format": "csv", "encoding": enc, "delimiter": ","}
    assert all(f["info"]["original_header"] == f["id"] for f in fields)
    assert sql(db, "SELECT datastore_active FROM resource WHERE id = %s", rid) == [(True,)]


def test_trailing_delimiter_column_dropped(db):
    path = os.path.join(DATA, "moi_village_vital_stats_10310.csv")
    ok(imp(db, "csv", path, "301000000A-000311-001"))
    fields, _ = table(db, "301000000A-000311-001")
    assert len(fields) == 11 and fields[-1]["id"] == "離婚對數"


def test_leading_zeros_stay_text(db):
    ok(imp(db, "csv", os.path.join(DATA, "nhi_maskdata_20200630.csv"), "A21030000I-000050-001"))
    fields, rows = table(db, "A21030000I-000050-001")
    assert fields[0]["type"] == "text" and rows[0][0] == "0145080011"
    assert rows[0][6] == "2020-06-30 20:26:47"


def test_numeric_text_form_kept(db):
    ok(imp(db, "csv", os.path.join(DATA, "aec_env_radiation_realtime.csv"),
           "A44000000G-000012-001"))
    _, rows = table(db, "A44000000G-000012-001")
    assert rows[0] == ["彭佳嶼", "PENGCHIAYU", "0.060", "2018-07-04 22:10:00", "122.081985",
                       "25.628234"]


def test_signed_numbers_and_negative_zero_are_numbers(db, tmp_path):
    """A "-0.00" or "+1.5" among the numbers (a thermometer's zero, a signed change) keeps the
    column numeric, so it sorts as numbers: as pandas reads it."""
    path = tmp_path / "temps.csv"
    path.write_text("站名,溫度,變化\nA,9.99,+1\nB,-0.00,-2\nC,+10.5,+0\nD,-3.25,7\n",
                    encoding="utf-8")
    ok(imp(db, "csv", str(path), "signed-numbers", "--dataset", "A62000000A-000001"))
    fields, rows = table(db, "signed-numbers")
    assert [f["type"] for f in fields] == ["text", "numeric", "int4"]
    assert [r[1:] for r in rows] == [["9.99", "1"], ["0.00", "-2"], ["10.5", "0"],
                                     ["-3.25", "7"]]
    top = sql(db, 'SELECT "站名" FROM datastore."signed-numbers" ORDER BY "溫度" DESC')
    assert [r[0] for r in top] == ["C", "A", "B", "D"]


def test_dash_reads_standard_input(db):
    """csv/xml "-" read standard input (spooled: the load reads its file more than once), as
    does catalog; a Big5 file through a pipe is detected as when named."""
    path = os.path.join(DATA, "aec_env_radiation_realtime.csv")
    with open(path, "rb") as f:
        p = subprocess.run([os.path.join(BIN, "opendata-import"), "csv", "-", "--resource-id",
                            "from-stdin", "--dataset", "A62000000A-000001", "--db", db],
                           stdin=f, capture_output=True, text=True)
    ok(p)
    _, rows = table(db, "from-stdin")
    _, named = table(db, "A44000000G-000012-001") if info(db, "A44000000G-000012-001") else \
        (None, None)
    assert rows[0] == ["彭佳嶼", "PENGCHIAYU", "0.060", "2018-07-04 22:10:00", "122.081985",
                       "25.628234"]
    if named:
        assert rows == named
    assert sql(db, "SELECT source->>'file' FROM datastore_table WHERE resource_id = %s",
               "from-stdin")[0][0] == "stdin"
    p = subprocess.run([os.path.join(BIN, "opendata-import"), "csv", "-", "--resource-id",
                        "from-stdin", "--db", db], input="", capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr  # an empty input is refused in words
    assert table(db, "from-stdin")[1] == rows  # and the table is as it was
    with open(DEMO_CATALOG, "rb") as f:
        p = subprocess.run([os.path.join(BIN, "opendata-import"), "catalog", "-", "--db", db],
                           stdin=f, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "0 failed" in p.stderr and " unchanged" in p.stderr


def test_progress_on_a_terminal_covers_every_phase(db, tmp_path):
    """On a terminal: loading, then the indexes counted, then the version stored, each with an
    ETA; otherwise no progress line, the summary lines only (the last one after every phase)."""
    import pty
    path = tmp_path / "rows.csv"
    path.write_text("name,kind,value\n" + "".join(f"n{i},k{i % 7},{i * 0.5}\n"
                                                   for i in range(20000)), encoding="utf-8")
    args = [os.path.join(BIN, "opendata-import"), "csv", str(path), "--resource-id", "progress",
            "--dataset", "A62000000A-000001", "--db", db]
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert p.wait() == 0, out
    text = out.decode()
    # four indexes: the search index and a filter btree per column
    for phase in ("loading 20000 rows", "indexing 0 of 4", "indexing 4 of 4", "versioning"):
        assert phase in text, (phase, text)
    assert "ETA" in text and text.index("loading") < text.index("indexing") < \
        text.index("versioning") < text.index("indexes and version done")
    again = subprocess.run(args, capture_output=True, text=True)
    assert again.returncode == 0 and "\r" not in again.stderr and "ETA" not in again.stderr
    assert again.stderr.rstrip().splitlines()[-1].endswith(" s in all)")


def test_empty_and_duplicate_headers_and_ragged_rows(db):
    """GDS: 5 named columns, then 9 empty names over unquoted commas of the DN column."""
    rid = "GDS-TEST-001"
    ok(imp(db, "csv", GDS_CSV, rid, "--dataset", DATASET))
    fields, got = table(db, rid)
    assert [f["id"] for f in fields][:6] == ["機關名稱", "OID", "電話", "地址", "DN", "column_6"]
    assert len({f["id"] for f in fields}) == len(fields)
    assert [f["info"]["original_header"] for f in fields][5:] == [""] * (len(fields) - 5)
    _, src = csv_source(GDS_CSV, "utf-8")
    assert_same_rows(fields, got, src)
    assert got[0][4:6] == ["o=國民大會", "c=TW"]


def test_forced_encodings(db, tmp_path):
    path = os.path.join(DATA, "dgpa_calendar_114_2025_cp950.csv")
    ok(imp(db, "csv", path, "A62000000A-000001-002", "--encoding", "big5"))
    ok(imp(db, "csv", path, "A62000000A-000001-002", "--encoding", "CP950"))
    assert info(db, "A62000000A-000001-002")["source"]["encoding"] == "big5"
    p = imp(db, "csv", path, "A62000000A-000001-002", "--encoding", "utf-8")
    assert p.returncode == 1
    assert p.stderr.startswith("opendata-import: error: %s:1: invalid UTF-8 (byte 0xA6)" % path)
    p = imp(db, "csv", path, "A62000000A-000001-002", "--encoding", "latin1")
    assert p.returncode == 2 and "--encoding" in p.stderr


def test_tab_and_semicolon_delimiters(db, tmp_path):
    for delim, name in (("\t", "tab"), (";", ";")):
        path = tmp_path / "d.csv"
        path.write_text(f"a{delim}b{delim}c\n1{delim}x, y{delim}2,5\n2{delim} z {delim}\n")
        ok(imp(db, "csv", str(path), "DELIM-1", "--dataset", DATASET))
        fields, rows = table(db, "DELIM-1")
        assert [f["id"] for f in fields] == ["a", "b", "c"]
        assert rows == [["1", "x, y", "2,5"], ["2", "z", None]]
        assert info(db, "DELIM-1")["source"]["delimiter"] == delim
        p = ok(imp(db, "csv", str(path), "DELIM-1", "--delimiter", name))


# --- XML ----------------------------------------------------------------------------------------

def xml_like_csv(db, xml, csvf, xml_rid, csv_rid, record):
    ok(imp(db, "csv", csvf, csv_rid))
    p = ok(imp(db, "xml", xml, xml_rid))
    assert "loaded" in p.stderr
    xf, xrows = table(db, xml_rid)
    cf, crows = table(db, csv_rid)
    assert [f["id"] for f in xf] == [f["id"] for f in cf]
    assert [f["type"] for f in xf] == [f["type"] for f in cf]
    assert xrows == crows
    assert info(db, xml_rid)["source"]["record"] == record
    assert info(db, xml_rid)["source"]["format"] == "xml"


def test_xml_dataset_row_with_declaration(db):
    xml_like_csv(db, MOL_XML, MOL_CSV, "A17000000J-030138-002", "A17000000J-030138-001",
                 "/dataset/row")
    fields, _ = table(db, "A17000000J-030138-002")
    assert fields[0] == {"id": "年度", "type": "int4", "info": {"original_header": "年度"}}


def test_xml_root_record_one_line_no_declaration(db):
    xml_like_csv(db, STALLS_XML, STALLS_CSV, "387000000A-000123-002", "387000000A-000123-001",
                 "/ROOT/RECORD")


def test_xml_records_data_large_single_line(db):
    xml_like_csv(db, EPA_XML, EPA_CSV, "355000000I-000207-002", "355000000I-000207-001",
                 "/records/data")
    assert info(db, "355000000I-000207-002")["row_count"] == 11571


@pytest.mark.parametrize("record", ["row", "/dataset/row"])
def test_xml_record_given(db, record):
    ok(imp(db, "xml", MOL_XML, "A17000000J-030138-002", "--record", record))
    assert info(db, "A17000000J-030138-002")["row_count"] == 1896
    assert info(db, "A17000000J-030138-002")["source"]["record"] == record


def test_xml_wrong_record_fails_and_keeps_data(db):
    ok(imp(db, "xml", MOL_XML, "A17000000J-030138-002"))
    before = info(db, "A17000000J-030138-002")
    p = imp(db, "xml", MOL_XML, "A17000000J-030138-002", "--record", "/dataset/nothing")
    assert p.returncode == 1
    assert p.stderr == ("opendata-import: error: %s: no record elements /dataset/nothing\n"
                        % MOL_XML)
    assert info(db, "A17000000J-030138-002") == before


def test_xml_attributes_nested_repeated_big5(db, tmp_path):
    text = ("<資料 xmlns:x='urn:x'>\n<說明>header</說明>\n"
            "<筆 id='1'><名稱> 甲 </名稱><位置><緯度>25.1</緯度><經度>121.5</經度></位置>"
            "<標籤>a</標籤><標籤>b</標籤><日期>2024/1/2</日期><空/></筆>\n"
            "<筆 id='2'><名稱>乙 &amp; 丙</名稱><位置 單位='度'><緯度>24</緯度></位置>"
            "<備註><![CDATA[<b>x</b>]]></備註></筆>\n</資料>\n")
    path = tmp_path / "big5.xml"
    path.write_bytes(text.encode("cp950"))
    p = ok(imp(db, "xml", str(path), "XML-SHAPES-1", "--dataset", DATASET))
    fields, rows = table(db, "XML-SHAPES-1")
    got = {f["id"]: (f["type"], f["info"]["original_header"]) for f in fields}
    assert got == {
        "id": ("int4", "@id"), "名稱": ("text", "名稱"), "位置/緯度": ("numeric", "位置/緯度"),
        "位置/經度": ("numeric", "位置/經度"), "標籤": ("text", "標籤"),
        "標籤_2": ("text", "標籤[2]"), "日期": ("date", "日期"), "空": ("text", "空"),
        "位置/單位": ("text", "位置/@單位"), "備註": ("text", "備註")}
    assert [f["id"] for f in fields][:3] == ["id", "名稱", "位置/緯度"]
    by_name = [dict(zip([f["id"] for f in fields], r)) for r in rows]
    assert by_name[0]["名稱"] == "甲" and by_name[0]["標籤_2"] == "b"
    assert by_name[0]["日期"] == "2024-01-02" and by_name[0]["空"] is None
    assert by_name[1] == {"id": "2", "名稱": "乙 & 丙", "位置/緯度": "24", "位置/經度": None,
                          "標籤": None, "標籤_2": None, "日期": None, "空": None,
                          "位置/單位": "度", "備註": "<b>x</b>"}
    assert info(db, "XML-SHAPES-1")["source"]["encoding"] == "big5"
    assert info(db, "XML-SHAPES-1")["source"]["record"] == "/資料/筆"


def test_xml_malformed_names_line(db, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text("<rows>\n<row><a>1</a></row>\n<row><a>2</b></row>\n</rows>\n")
    p = imp(db, "xml", str(path), "XML-BAD-1", "--dataset", DATASET)
    assert p.returncode == 1
    assert p.stderr.startswith("opendata-import: error: %s:3: XML: " % path), p.stderr
    assert info(db, "XML-BAD-1") is None


SMALL_XML = ("<dataset><row><name>a</name><note>1</note></row>"
             "<row><name>b</name><note>2</note></row></dataset>\n")


@pytest.mark.parametrize("decl, ref, name", [
    ('<!ENTITY x SYSTEM "{url}">', "&x;", "x"),
    ('<!ENTITY % p SYSTEM "{url}"> %p;', "z", "p"),
])
def test_xml_external_entity_refused_keeps_data(db, tmp_path, decl, ref, name):
    """An external entity is never read (it could name any file or URL); the import fails with
    one line naming it, and the previous data stays (the rows would have lost its text)."""
    rid = "XML-XXE-" + name
    good = tmp_path / "good.xml"
    good.write_text(SMALL_XML)
    ok(imp(db, "xml", str(good), rid, "--dataset", DATASET))
    before = table(db, rid)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET\n")
    url = "file://%s" % secret
    bad = tmp_path / "xxe.xml"
    bad.write_text('<?xml version="1.0"?>\n<!DOCTYPE dataset [' + decl.format(url=url) + ']>\n'
                   "<dataset><row><name>%s</name><note>1</note></row>\n"
                   "<row><name>b</name><note>2</note></row></dataset>\n" % ref)
    p = imp(db, "xml", str(bad), rid)
    assert p.returncode == 1
    assert re.fullmatch(r'opendata-import: error: %s:\d+: XML: entity "%s" refers to an '
                        r'external file \(%s\); external entities are not read \(entities are '
                        r'never expanded\)\n' % (re.escape(str(bad)), name, re.escape(url)),
                        p.stderr), p.stderr
    assert table(db, rid) == before
    assert "TOPSECRET" not in p.stderr + p.stdout


def test_xml_internal_dtd_imported_entities_refused(db, tmp_path):
    """Agency files with a DTD import (an external DTD is simply not read); entities are never
    expanded: a file declaring one is refused, naming it."""
    path = tmp_path / "dtd.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE dataset [\n'
                    "<!ELEMENT dataset (row*)>\n<!ELEMENT row (name, note)>\n]>\n"
                    "<dataset><row><name>&#29872;&amp;</name><note>1</note></row>"
                    "<row><name>b</name><note>c</note></row></dataset>\n", encoding="utf-8")
    ok(imp(db, "xml", str(path), "XML-DTD-1", "--dataset", DATASET))
    assert table(db, "XML-DTD-1")[1] == [["環&", "1"], ["b", "c"]]
    ent = tmp_path / "ent.xml"
    ent.write_text('<?xml version="1.0"?>\n<!DOCTYPE dataset [<!ENTITY agency "環境部">]>\n'
                   "<dataset><row><name>&agency;</name><note>1</note></row></dataset>\n",
                   encoding="utf-8")
    p = imp(db, "xml", str(ent), "XML-DTD-1")
    assert p.returncode == 1
    assert 'entity "agency" is declared; entities are not supported' in p.stderr
    assert table(db, "XML-DTD-1")[1] == [["環&", "1"], ["b", "c"]]
    path.write_text('<?xml version="1.0"?>\n'
                    '<!DOCTYPE dataset SYSTEM "http://example.org/dataset.dtd">\n' + SMALL_XML)
    ok(imp(db, "xml", str(path), "XML-DTD-1"))
    assert table(db, "XML-DTD-1")[1] == [["a", "1"], ["b", "2"]]


def test_xml_undeclared_entity_fails(db, tmp_path):
    """An entity declared only in a DTD outside the file has no known text: refused."""
    path = tmp_path / "und.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE dataset SYSTEM "dataset.dtd">\n'
                    "<dataset><row><name>&agency;</name><note>1</note></row>"
                    "<row><name>b</name><note>2</note></row></dataset>\n")
    p = imp(db, "xml", str(path), "XML-UND-1", "--dataset", DATASET)
    assert p.returncode == 1
    assert re.fullmatch(r'opendata-import: error: %s:\d+: XML: entity "agency" is not declared '
                        r"in the file \(a DTD outside the file is not read\) \(entities are "
                        r"never expanded\)\n" % re.escape(str(path)), p.stderr), p.stderr
    assert info(db, "XML-UND-1") is None


def test_database_warnings_are_log_lines(cluster, tmp_path):
    """A WARNING raised on the importer's connections (a trigger here) is one log line in the
    importer's format, not libpq's raw "WARNING:  ..." block."""
    db = new_database(cluster, DEMO_CATALOG)
    sql(db, """CREATE FUNCTION warn_me() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            RAISE WARNING E'%% row\nadded', TG_TABLE_NAME USING HINT = 'just a test';
            RETURN NULL; END $$;
        CREATE TRIGGER warn_me AFTER INSERT ON resource_version
            FOR EACH ROW EXECUTE FUNCTION warn_me();
        CREATE TRIGGER warn_me AFTER INSERT ON activity FOR EACH ROW EXECUTE FUNCTION warn_me();""")
    p = ok(imp(db, "csv", MOL_CSV, "A17000000J-030138-001"))
    want = ("opendata-import: warning: PostgreSQL WARNING: resource_version row added "
            "HINT: just a test")
    assert want in p.stderr.splitlines(), p.stderr
    rec = tmp_path / "rec.json"
    with open(DEMO_CATALOG, encoding="utf-8") as f:
        one = json.load(f)[0]
    one["title"] += " (changed)"
    rec.write_text(json.dumps(one, ensure_ascii=False), encoding="utf-8")
    p = run_import(db, "catalog", str(rec))
    assert p.returncode == 0, p.stderr
    assert ("opendata-import: warning: PostgreSQL WARNING: activity row added HINT: just a test"
            in p.stderr.splitlines()), p.stderr
    assert not [ln for ln in p.stderr.splitlines() if not ln.startswith("opendata-import: ")]


# --- paging exactness, types on restart -------------------------------------------------------

def test_rows_keep_file_order(db):
    ok(imp(db, "csv", MOL_CSV, "A17000000J-030138-001"))
    _, src = csv_source(MOL_CSV, "utf-8-sig")
    fields = info(db, "A17000000J-030138-001")["fields"]
    types = [f["type"] for f in fields]
    cols = ", ".join('"%s"::text' % f["id"] for f in fields)
    got = sql(db, 'SELECT _id, %s FROM datastore."A17000000J-030138-001"'
                  " WHERE _id IN (11, 12) ORDER BY _id" % cols)
    for n in (11, 12):
        row = next(r for r in got if r[0] == n)
        assert list(row[1:]) == [expected(v, t) for v, t in zip(src[n - 1], types)]
    assert got[0][1:4] == ("2015", "勞動力發展署北基宜花金馬分署", "新北市泰山區致遠新村55之1號")


def test_late_values_widen_types_and_restart(db, tmp_path):
    lines = ["id,day,amount,flag,code"]
    lines += ["%d,2024-01-%02d,%d,true,%d" % (i, i % 28 + 1, i, 100 + i) for i in range(1, 301)]
    lines += ["301,2024-02-01 08:30,3000000000,false,007",   # timestamp, int8, text code
              "302,2024-02-02,12.50,maybe,1,extra"]           # numeric, text, an extra field
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    p = ok(imp(db, "csv", str(path), "LATE-1", "--dataset", DATASET, "--sample-rows", "100"))
    assert re.search(r"late\.csv:302: column \"day\": value \"2024-02-01 08:30\" is not date, "
                     r"the column becomes timestamp; the load restarts", p.stderr), p.stderr
    fields, rows = table(db, "LATE-1")
    assert [(f["id"], f["type"]) for f in fields] == [
        ("id", "int4"), ("day", "timestamp"), ("amount", "numeric"), ("flag", "text"),
        ("code", "text"), ("column_6", "text")]
    assert rows[-2:] == [["301", "2024-02-01 08:30:00", "3000000000", "false", "007", None],
                         ["302", "2024-02-02 00:00:00", "12.50", "maybe", "1", "extra"]]
    assert rows[0] == ["1", "2024-01-02 00:00:00", "1", "true", "101", None]
    assert len(rows) == 302


# --- atomic replace --------------------------------------------------------------------------

def snapshot(db, rid):
    return info(db, rid), table(db, rid), sql(db, "SELECT count(*) FROM resource_version"
                                                  " WHERE resource_id = %s", rid)


def staging_tables(db):
    return sql(db, "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace"
                   " WHERE nspname = 'datastore' AND relname LIKE '\\_stg\\_%%'")


def write_big_csv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,name,amount,day\n")
        chunk = 100000
        for start in range(1, rows + 1, chunk):
            f.write("".join("%d,名稱%d,%d.5,2024-01-%02d\n" % (i, i, i, i % 28 + 1)
                            for i in range(start, min(start + chunk, rows + 1))))


def test_sigkill_mid_copy_keeps_old_data(db, tmp_path):
    rid = "A17000000J-030138-001"
    ok(imp(db, "csv", MOL_CSV, rid))
    before = snapshot(db, rid)
    big = tmp_path / "big.csv"
    write_big_csv(big, 2000000)
    proc = subprocess.Popen([os.path.join(BIN, "opendata-import"), "csv", str(big),
                             "--resource-id", rid, "--db", db],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    copied = 0
    while time.time() < deadline and proc.poll() is None:
        got = sql(db, "SELECT tuples_processed FROM pg_stat_progress_copy"
                      " WHERE datname = current_database()")
        if got and got[0][0] > 0:
            copied = got[0][0]
            break
        time.sleep(0.01)
    assert copied > 0 and proc.poll() is None, "the COPY did not start"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The server notices the lost client at its next read and rolls back.
    while sql(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                  " AND query LIKE 'COPY%%'")[0][0]:
        time.sleep(0.05)
    assert snapshot(db, rid) == before
    assert staging_tables(db) == []
    assert before[0]["row_count"] == 1896


def test_undecodable_byte_mid_file_keeps_old_data(db, tmp_path):
    rid = "A17000000J-030138-001"
    ok(imp(db, "csv", MOL_CSV, rid))
    before = snapshot(db, rid)
    lines = ["編號,名稱"] + ["%d,名稱%d" % (i, i) for i in range(1, 30001)]
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    cut = raw.index("\n20000,".encode()) + 1  # the start of line 20001
    bad = raw[:cut] + b"20000,\xff\xfe\n" + raw[cut:]
    path = tmp_path / "bad.csv"
    path.write_bytes(bad)
    p = imp(db, "csv", str(path), rid)
    assert p.returncode == 1
    assert p.stderr.endswith("opendata-import: error: %s:20001: invalid UTF-8 (byte 0xFF); the "
                             "file was detected as UTF-8, give --encoding big5 if it is Big5\n"
                             % path), p.stderr
    assert "loaded" not in p.stderr
    assert snapshot(db, rid) == before
    assert staging_tables(db) == []
    # In the sample (before any COPY) as well.
    path.write_bytes(b"a,b\n1,2\n3,\xa4\n")
    p = imp(db, "csv", str(path), rid, "--encoding", "big5")
    assert p.returncode == 1 and ":3: not valid Big5/CP950 (bytes 0xA4 0x0A)" in p.stderr, p.stderr
    assert snapshot(db, rid) == before


def test_readers_see_old_or_new_never_a_mix(db, tmp_path):
    rid = "SWAP-1"
    small = tmp_path / "small.csv"
    small.write_text("id,v\n" + "".join("%d,old\n" % i for i in range(1, 1001)))
    bigger = tmp_path / "bigger.csv"
    bigger.write_text("id,v\n" + "".join("%d,new\n" % i for i in range(1, 200001)))
    ok(imp(db, "csv", str(small), rid, "--dataset", DATASET))
    name = info(db, rid)["table_name"]
    seen, stop = set(), threading.Event()

    def reader():
        conn = psycopg2.connect(db)
        conn.autocommit = True
        with conn.cursor() as cur:
            while not stop.is_set():
                cur.execute('SELECT count(*), min(v), max(v) FROM datastore."%s"' % name)
                seen.add(cur.fetchone())
        conn.close()

    t = threading.Thread(target=reader)
    t.start()
    try:
        ok(imp(db, "csv", str(bigger), rid))
        time.sleep(0.1)
    finally:
        stop.set()
        t.join()
    assert seen <= {(1000, "old", "old"), (200000, "new", "new")}, seen
    assert (200000, "new", "new") in seen


# --- versions, catalogue ---------------------------------------------------------------------

def test_reimport_same_file_stores_one_version(db, tmp_path):
    rid = "387000000A-000123-001"
    ok(imp(db, "csv", STALLS_CSV, rid))
    v1 = info(db, rid)["data_version"]
    p = ok(imp(db, "csv", STALLS_CSV, rid))
    assert "already stored as a version" in p.stderr
    assert info(db, rid)["data_version"] == v1 + 1
    versions = sql(db, "SELECT content_hash, size, file_name, format, row_count,"
                       " lo_get(content_oid) FROM resource_version WHERE resource_id = %s", rid)
    raw = open(STALLS_CSV, "rb").read()
    import hashlib
    assert [v[:5] for v in versions] == [(hashlib.sha256(raw).hexdigest(), len(raw),
                                          "taichung_top100_stalls.csv", "csv", 100)]
    assert bytes(versions[0][5]) == raw
    changed = tmp_path / "taichung_top100_stalls.csv"
    changed.write_bytes(raw + "\"101\",\"新攤\",\"中區\",\"1\",\"x\"\n".encode())
    ok(imp(db, "csv", str(changed), rid))
    assert sql(db, "SELECT count(*), max(row_count) FROM resource_version"
                   " WHERE resource_id = %s", rid) == [(2, 101)]


def test_modified_times_bumped(db):
    rid = "A17000000J-030138-001"
    before = sql(db, "SELECT r.metadata_modified, p.metadata_modified FROM resource r"
                     " JOIN package p ON p.id = r.package_id WHERE r.id = %s", rid)[0]
    time.sleep(0.01)
    ok(imp(db, "csv", MOL_CSV, rid))
    after = sql(db, "SELECT r.metadata_modified, p.metadata_modified FROM resource r"
                    " JOIN package p ON p.id = r.package_id WHERE r.id = %s", rid)[0]
    assert after[0] > before[0] and after[1] > before[1]


def test_missing_resource(db):
    rid = "NEW-RESOURCE-001"
    p = imp(db, "csv", STALLS_CSV, rid)
    assert p.returncode == 1
    assert p.stderr == ("opendata-import: error: resource %s does not exist (give --dataset "
                        "IDENTIFIER to create it)\n" % rid)
    p = imp(db, "csv", STALLS_CSV, rid, "--dataset", "NO-SUCH-DATASET")
    assert p.returncode == 1
    assert p.stderr == "opendata-import: error: no dataset with identifier NO-SUCH-DATASET\n"
    assert sql(db, "SELECT count(*) FROM resource WHERE id = %s", rid) == [(0,)]
    last = sql(db, "SELECT max(position) FROM resource WHERE id LIKE '387000000A-000123-%%'")
    ok(imp(db, "csv", STALLS_CSV, rid, "--dataset", "387000000a-000123"))
    got = sql(db, "SELECT p.identifier, r.name, r.format, r.position, r.datastore_active"
                  " FROM resource r JOIN package p ON p.id = r.package_id WHERE r.id = %s", rid)
    assert got == [("387000000A-000123", "taichung_top100_stalls.csv", "CSV", last[0][0] + 1,
                    True)]
    assert info(db, rid)["row_count"] == 100


def test_search_expression_and_index(db):
    rid = "A17000000J-030138-001"
    ok(imp(db, "csv", MOL_CSV, rid))
    i = info(db, rid)
    assert '"開訓日期"' not in i["search_expr"] and 'coalesce("機構名稱", \'\')' in i["search_expr"]
    n = sql(db, 'SELECT count(*) FROM datastore."%s" WHERE (%s) ILIKE %%s'
                % (i["table_name"], i["search_expr"]), "%桃竹苗%")[0][0]
    assert n > 0
    idx = sql(db, "SELECT indexdef, indisvalid FROM pg_indexes JOIN pg_class c"
                  " ON c.relname = indexname JOIN pg_index x ON x.indexrelid = c.oid"
                  " WHERE schemaname = 'datastore' AND tablename = %s ORDER BY indexname",
              i["table_name"])
    assert all(v for _, v in idx)
    defs = [d for d, _ in idx]
    assert sum("_pkey" in d for d in defs) == 1
    assert sum("gin_trgm_ops" in d for d in defs) == 1
    # filter indexes (column, _id) for every column but dates/timestamps
    assert 'btree ("訓練職類大類", _id)' in " ".join(defs)
    assert not any('"開訓日期"' in d for d in defs)
    ok(imp(db, "csv", MOL_CSV, rid, "--no-search-index"))
    assert sql(db, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'datastore'"
                   " AND tablename = %s", i["table_name"]) == [(1,)]


def test_indexes_side_by_side_or_one_after_the_other(db, cluster, tmp_path):
    """After the swap the indexes (search, spatial, a btree per column) are built on two
    connections at once, each logged; a role allowed one connection only gets every one of them
    all the same, one after the other, and is told why."""
    path = tmp_path / "places.csv"
    path.write_text("name,lat,lon\n" + "".join(f"p{i},{22 + i / 1000},{120 + i / 1000}\n"
                                               for i in range(500)), encoding="utf-8")

    def built(rid, url):
        p = ok(run_import(url, "csv", str(path), "--resource-id", rid, "--dataset", DATASET,
                          "--verbosity", "3"))
        t = info(db, rid)["table_name"]
        rows = sql(db, "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid"
                       " WHERE x.indrelid = %s::regclass AND x.indisvalid AND NOT x.indisprimary",
                   'datastore."%s"' % t)
        return p.stderr, {n[len(t) + 1:] for (n,) in rows}

    want = {"search", "geo", "f1", "f2", "f3"}
    err, names = built("places-two", db)
    assert names == want
    assert err.count("debug: built in ") == 5 and "one after the other" not in err, err
    role = "imp_one_%d" % os.getpid()
    cluster.psql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1; GRANT postgres TO {role}")
    try:
        one = psycopg2.extensions.make_dsn(db, user=role, options="-c role=postgres")
        err, names = built("places-one", one)
        assert names == want
        assert "the indexes are built one after the other" in err, err
        assert "too many connections" in err and err.count("debug: built in ") == 5, err
    finally:
        cluster.psql(f"DROP ROLE {role}")


# --- dry run, arguments ----------------------------------------------------------------------

def dry(*args):
    return subprocess.run([os.path.join(BIN, "opendata-import"), *args, "--dry-run",
                           "--db", "postgresql://nobody@/nonexistent?host=/nonexistent"],
                          capture_output=True, text=True)


def test_dry_run_csv_needs_no_database():
    path = os.path.join(DATA, "dgpa_calendar_114_2025_cp950.csv")
    p = dry("csv", path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == (
        "file: %s\nsize: 6029 bytes\nformat: csv\nencoding: big5 (detected)\ndelimiter: ,\n"
        "sample: 365 rows (the whole file)\nfields: 4\n  西元日期  int4\n  星期  text\n"
        "  是否放假  int4\n  備註  text\n" % path)
    p = dry("csv", GDS_CSV, "--sample-rows", "10")
    assert "encoding: utf-8 (detected)\n" in p.stdout
    assert "sample: 10 rows (the file has more)\n" in p.stdout
    assert '  column_6  text  (header "")\n' in p.stdout


def test_dry_run_xml(db):
    p = dry("xml", STALLS_XML)
    assert p.returncode == 0, p.stderr
    assert "encoding: utf-8 (detected)\nrecord: /ROOT/RECORD\nsample: 100 rows" in p.stdout
    assert "  編號  int4\n" in p.stdout and "delimiter" not in p.stdout
    p = dry("csv", MOL_CSV, "--encoding", "utf-8")
    assert "encoding: utf-8 (given, BOM)\n" in p.stdout
    assert "  開訓日期  date\n" in p.stdout


def test_usage_errors(db):
    p = run_import(db, "csv", MOL_CSV)
    assert p.returncode == 2 and "--resource-id" in p.stderr
    p = imp(db, "csv", MOL_CSV, "x", "--record", "row")
    assert p.returncode == 2 and "--record applies to xml" in p.stderr
    p = imp(db, "xml", MOL_XML, "x", "--delimiter", ";")
    assert p.returncode == 2 and "--delimiter applies to csv" in p.stderr
    p = imp(db, "csv", MOL_CSV, "bad id!")
    assert p.returncode == 1 and "--resource-id" in p.stderr
    p = imp(db, "csv", "/nonexistent.csv", "A17000000J-030138-001")
    assert p.returncode == 1
    assert p.stderr.startswith("opendata-import: error: /nonexistent.csv: No such file")
