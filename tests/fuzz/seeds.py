#!/usr/bin/python3
"""Write the seed corpora of the libFuzzer drivers (tests/fuzz/corpus/<target>/seed_NNN):
short slices of the real files in tests/fixtures and docs/demo/data (whole lines, so Big5 is
never cut inside a character) and hand-made edge cases. Each seed starts with the driver's
option byte (see the comment at the top of each fuzz_<target>.c); catalog seeds are the file
alone. Run from anywhere: tests/fuzz/seeds.py (rewrites csv, xml, catalog, ckan_params,
tw_datastore and hk_query; solrq's seeds are kept as they are)."""
import json
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEMO = os.path.join(ROOT, "docs", "demo", "data")
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def head_lines(path, nbytes):
    """Whole lines from the start of path, about nbytes of them."""
    data = open(path, "rb").read()
    cut = data.rfind(b"\n", 0, nbytes)
    return data[: cut + 1] if cut > 0 else data[:nbytes]


def xml_records(path, record, records, end):
    """The first records (elements named record) of an XML file, closed with end."""
    data = open(path, "rb").read()
    close = b"</" + record + b">"
    at = 0
    for _ in range(records):
        at = data.index(close, at) + len(close)
    return data[:at] + end


def write(target, seeds):
    d = os.path.join(OUT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, s in enumerate(seeds, 1):
        with open(os.path.join(d, "seed_%03d" % i), "wb") as f:
            f.write(s)


def opt(enc=0, delim=0, sample=0, extra=0):
    """CSV/XML option byte: encoding 0-3, delimiter 0-7 (csv) or record-line flag (xml)."""
    return bytes([enc | delim << 2 | extra | sample << 5])


def big5(s):
    return s.encode("cp950")


def csv_seeds():
    s = []
    for name, enc in [("aec_env_radiation_realtime.csv", 0), ("changhua_top10_souvenirs_cp950.csv", 0),
                      ("changhua_top10_souvenirs_cp950.csv", 2), ("dgpa_calendar_113_2024_utf8bom.csv", 0),
                      ("dgpa_calendar_114_2025_cp950.csv", 0), ("epa_pm25_manual_monitoring.csv", 1),
                      ("moi_village_vital_stats_10310.csv", 0), ("mol_A17000000J-030138_training.csv", 0),
                      ("nhi_maskdata_20200630.csv", 0), ("taichung_top100_stalls.csv", 0)]:
        s.append(opt(enc) + head_lines(os.path.join(DEMO, name), 1500))
    s.append(opt(0, sample=1) + head_lines(os.path.join(FIX, "gds_government_oid_directory.csv"), 1200))
    hand = [
        (opt(), b'a,b,c\n1,2,3\n"x, y","say ""hi""",\n"multi\nline",4,5\n'),
        (opt(), b'a,b\n1,2\n3,4,5,6\n,,\n\n7\n'),                       # ragged, blank, padded
        (opt(), b'name,,_id,name, spaced ,\r\n1,2,3,4,5,\r\n'),           # empty/duplicate/_id headers, CRLF
        (opt(), ("標題" * 40 + ",x\n1,2\n").encode()),                   # header cut at 63 bytes
        (opt(), b'i,big,num,d,ts,b\n1,9223372036854775807,1.50,2015/2/4,2015-02-04 10:11:12.123456,true\n'
                b'-2147483648,-9223372036854775808,-0.001,2024-02-29,2024-2-29T23:59:59,FALSE\n'
                b'007,9223372036854775808,1e5,2023-02-29,2015-02-04 24:00,yes\n'),  # widen on row 3
        (opt(sample=1), b'n\n1\n2\n3\n2147483648\n99999999999999999999\n1.5\nx\n'),  # restart after a small sample
        (opt(delim=4), b'a\tb\n 1 \t 2 \n"q\tq"\t3\n'),
        (opt(delim=3), b'a;b;c\n1;2;3\n'),
        (opt(), b'a;b;c\n1;2;3\n4;5;6\n'),                                 # detected ';'
        (opt(), b'"open\n1,2\n'),                                          # quote never closed
        (opt(), b'\xef\xbb\xbfa,b\n\xe4\xb8\x80,2\n'),                     # BOM
        (opt(), b'\xff\xfea\x00,\x00b\x00\n\x00'),                         # UTF-16
        (opt(), b'a,b\n1,\x002\n'),                                        # NUL
        (opt(), b'a,b\n\xe4\xb8,2\n'),                                     # cut UTF-8
        (opt(1), b'a,b\n\xc3\x28,2\n'),
        (opt(), big5("縣市,人數\n臺北市,1\n") + b"\xc6\xa1\xc6\xa2,\xc7\xfc\n"),  # ETEN extensions
        (opt(2), big5("名稱,值\n") + b"\x81\x40,1\n"),                     # not in CP950
        (opt(), b''),
        (opt(), b'only,a,header'),
        (opt(), b'a,b\n' + b'1,2\n' * 20 + b'3,' + b'x' * 300 + b'\n'),   # crosses chunks
        (opt(delim=6), b'a b c\n1 2 3\n'),
        (opt(), b'a,b\n"x""y",\xe3\x80\x80\n'),
    ]
    s += [o + d for o, d in hand]
    return s


def xml_seeds():
    s = []
    s.append(opt() + xml_records(os.path.join(DEMO, "taichung_top100_stalls.xml"), b"RECORD", 3, b"</ROOT>"))
    s.append(opt() + xml_records(os.path.join(DEMO, "mol_A17000000J-030138_training.xml"), b"row", 2, b"</dataset>"))
    s.append(opt() + xml_records(os.path.join(FIX, "epa_pm25_manual_monitoring.xml"), b"data", 4, b"</records>"))
    s.append(opt(extra=4) + b"/ROOT/RECORD\n" +
             xml_records(os.path.join(DEMO, "taichung_top100_stalls.xml"), b"RECORD", 2, b"</ROOT>"))
    hand = [
        b'<d><r id="1"><a>1</a><b>x</b><geo unit="m"><lat>25.1</lat></geo></r><r id="2"><a>2</a><tag>p</tag><tag>q</tag></r></d>',
        b'<?xml version="1.0" encoding="Big5"?><d><r><a>1</a></r><r><a> 2 </a></r></d>',
        b'<d><r><a><![CDATA[x<y]]></a><b/></r><r><a>&amp;&#x4e00;&#20013;</a></r></d>',
        b'<!DOCTYPE d [<!ENTITY e "expanded">]><d><r><a>&e;</a></r><r><a>2</a></r></d>',
        b'<!DOCTYPE d [<!ENTITY a "xxxxxxxxxx"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><d><r x="&c;"><a>&c;</a></r><r><a>2</a></r></d>',
        b'<!DOCTYPE d SYSTEM "file:///etc/passwd"><d><r><a>1</a></r></d>',
        b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]><d><r><a>&x;</a></r></d>',
        b'<d xmlns:p="urn:x"><p:r p:k="v"><p:a>1</p:a></p:r><p:r><p:a>2</p:a></p:r></d>',
        b'<d><r><a>1</a><a>2</a><a>3</a></r><r><a>4</a></r></d>',
        b'<d><r><a>1</a></r><r>',
        b'<d><one><a>1</a><b>2</b></one></d>',
        b'<d/>',
        b'',
        b'\xef\xbb\xbf<d><r><a>\xe4\xb8\x80</a></r><r><a>2015/2/4</a></r></d>',
        b'<d><r><a>1</a></r><r><a>\xff</a></r></d>',
        b'<d><r a="1" b="true" c="2015-01-01 00:00:00"/><r a="2" b="false" c="2015-01-02"/></d>',
        b'<d>text<r><a>1</a>tail</r><r><a>2</a></r></d>',
    ]
    s += [opt() + d for d in hand]
    s.append(opt(2) + big5("<d><r><名>臺北</名></r><r><名>") + b"\xc6\xa1" + big5("</名></r></d>"))
    s.append(opt(extra=4) + b"a\n<d><r><a>1</a><x><a>2</a></x></r></d>")
    s.append(opt(extra=4, sample=1) + b"/d/r\n<d><r><n>1</n></r><r><n>x</n></r><r><n>2.5</n></r></d>")
    return s


def catalog_seeds():
    demo = json.load(open(os.path.join(ROOT, "docs", "demo", "catalog.json"), encoding="utf-8"))
    one = json.dumps(demo[0], ensure_ascii=False).encode()
    s = [one, json.dumps(demo[1:3], ensure_ascii=False, indent=1).encode()]
    s.append(open(os.path.join(FIX, "metadata_313200000G-000216_example.json"), "rb").read())
    v1 = json.load(open(os.path.join(FIX, "datagovtw_v1_rest_dataset_A41000000G-000001.json"), encoding="utf-8"))
    v1["result"].pop("Comments", None)
    s.append(json.dumps(v1, ensure_ascii=False).encode())
    bad = dict(demo[0])
    bad.update({"categoryCode": "Z99", "issued": "2015-02-30", "keyword": "x", "numberOfData": "1.5"})
    s.append(json.dumps(bad, ensure_ascii=False).encode())
    s += [b'\xef\xbb\xbf' + one, one + b' x', b'[]', b'{}', b'"str"', b'[1, {"identifier": 2}]',
          b'{"success": true, "result": [{"identifier": "A-1"}]}', b'{"a": "\xff"}',
          b"{'a': 1}", b'[' * 40 + b']' * 40, b'{"identifier": "A\\u0000B"}']
    return s


def ckan_seeds():
    get, post = b"\x00", b"\x01"
    named = b"\x02"
    s = [get + b"resource_id=355000000I-000207-001&limit=5",
         get + b"resource_id=r&q=%E7%BE%8E%E6%BF%83&fields=SiteName,Concentration&sort=SiteName%20desc",
         get + b'resource_id=r&filters={"SiteName":["a","b"]}&distinct=true&offset=10',
         get + b"q=a&q=b&callback=cb&pretty=true",
         get + b"limit=-1", get + b"limit=1e3", get + b"a=%ZZ", get + b"a=%C3%28", get + b"&&=&",
         named + b"resource_id=r&bogus=1", named + b"id=r&records_format=csv&include_total=0",
         post + b'{"resource_id": "r", "filters": {"a": 1}, "fields": ["a", "b"], "limit": 5}',
         post + b'{"resource_id": "r", "q": "{\\"a\\": \\"x\\"}", "sort": "a asc, b", "distinct": "yes"}',
         post + b'{"fields": [1, 2]}', post + b'{"limit": "abc"}', post + b'{"limit": 1.5}',
         post + b'[1, 2]', post + b'resource_id=r&limit=3',
         post + b'%7B%22resource_id%22%3A%22r%22%7D=', post + b'{"a": "\xff"}',
         post + b'{"a": "\\ud800"}', post + b'{"a":1}\x00junk', post + b'',
         post + b'{"filters": "{\\"a\\": [1, null]}", "callback": "x"}']
    return s


def tw_seeds():
    tw = b"\x00"
    s = [tw + b"limit=2&offset=10",
         tw + b"q=%E7%BE%8E%E6%BF%83&fields=SiteName,Concentration",
         tw + 'filters={"SiteName":"美濃"}&sort=Concentration%20desc'.encode(),
         tw + 'filters={"SiteName":"美濃","MonitorDate":null,"Concentration":15}&limit=0'.encode(),
         tw + b"sort=MonitorDate&offset=1", tw + b"fields=SiteName,SiteName",
         tw + b"fields=,", tw + b"sort=%20x", tw + b"q=a", tw + b"limit=01&limit=2", tw + b"bogus=1",
         tw + b'filters={"a":[1]}', tw + b'filters={"a":1.5}', tw + b"offset=100000001",
         b"\x01" + 'filters={"年度":"2015","ok":true}&fields=年度,人數&sort=開訓日期%20ASC'.encode(),
         b"\x02" + b'filters={"a\\\\\\"b":"x\'y"}&sort=name%20asc%20asc&fields=x\'y,sp ace',
         b"\x06" + b"offset=5&sort=_id", b"\x03" + b"fields=_id",
         b"\x0a" + b"q=%E7%BE%8E%E6%BF%83",
         b"\x10" + b'{"filters": {"SiteName": ["a", null, 1]}, "q": {"ItemUnit": "50%_"}, "fields": ["SiteName"], '
                   b'"sort": ["Concentration desc", "_id"], "distinct": true, "records_format": 2, "limit": 5, "offset": 3}',
         b"\x31" + '{"q": "x\\\\y", "records_format": 3, "include_total": true, "fields": ["年度", "ok", "ts"]}'.encode(),
         b"\x12" + b'{"filters": {"x\'y": 1, "E\'": false}, "sort": ["desc desc", "name asc"], "records_format": 1}',
         b"\x10" + b'{"filters": {"SiteName": 1.5}}', b"\x10" + b'{"fields": []}']
    return s


def hk_seeds():
    """The Filter API's q: real calls' shapes (DATA.GOV.HK clients), every operator, faults."""
    url = "http://www.chp.gov.hk/files/misc/building_list_eng.csv"
    ops = [[1, "eq", ["Wan Chai"]], [2, "ne", ["x"]], [1, "in", ["a", "b"]], [1, "ni", ["a"]],
           [2, "ct", ["Laguna"]], [2, "nct", ["%_"]], [2, "bw", ["Block"]], [2, "nbw", ["'"]],
           [2, "ew", ["\\"]], [2, "new", ["x"]], [4, "lt", ["5"]], [4, "le", [" +1.5 "]],
           [4, "gt", ["1e3"]], [4, "ge", [".5"]], [4, "bt", ["1", "2"]], [5, "eq", ["x"]]]
    qs = [{"resource": url, "section": 1, "format": "json", "filters": [[1, "eq", ["09/09/2021"]]]},
          {"resource": url, "section": 1, "format": "csv", "sorts": [[3, "desc"]]},
          {"resource": "hk-td", "format": "xml", "filters": ops, "sorts": [[1, "asc"], [4]]},
          {"resource": "r", "section": 2}, {"resource": "r", "filters": [[1, "lt", ["abc"]]]},
          {"resource": "r", "filters": [[1, "bt", ["1"]]]}, {"resource": "名稱", "format": "JSON"}]
    return [json.dumps(q, ensure_ascii=False).encode() for q in qs] + \
        [b"{bad", b"[]", b'{"resource": "\\u0000"}', b'{"resource": "r", "filters": [["2", "eq", []]]}']


if __name__ == "__main__":
    write("csv", csv_seeds())
    write("xml", xml_seeds())
    write("catalog", catalog_seeds())
    write("ckan_params", ckan_seeds())
    write("tw_datastore", tw_seeds())
    write("hk_query", hk_seeds())
