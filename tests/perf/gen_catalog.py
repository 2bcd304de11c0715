#!/usr/bin/python3
"""gen_catalog.py — a synthetic Taiwan dataset-metadata catalogue for the benchmarks.

    gen_catalog.py OUT.json [-n 10000] [--seed 1] [--orgs 50]

Writes a JSON array of N records shaped like data.gov.tw `rest/dataset/{identifier}` results
(see docs/demo/catalog.json): about 50 publishing agencies, Chinese titles and descriptions,
1-5 keywords, 1-3 distributions each. Every record passes schemas/tw-dataset-metadata.schema.json
(categoryCode one of the 18 codes, identifier {orgcode}-{6 digits}, dates "YYYY-MM-DD HH:MM:SS").
The output depends only on the arguments (stdlib `random` seeded), so every run benchmarks the
same bytes. Stdlib only.
"""
import argparse
import datetime
import json
import random
import sys

CATEGORIES = ["100", "200", "300", "400", "500", "600", "700", "800", "900",
              "A00", "B00", "C00", "D00", "E00", "F00", "G00", "H00", "I00"]

AGENCY_PREFIX = ["臺北市", "新北市", "桃園市", "臺中市", "臺南市", "高雄市", "基隆市", "新竹縣",
                 "苗栗縣", "彰化縣", "南投縣", "雲林縣", "嘉義縣", "屏東縣", "宜蘭縣", "花蓮縣",
                 "臺東縣", "澎湖縣", "金門縣", "連江縣", "行政院", "內政部", "交通部", "經濟部",
                 "衛生福利部"]
AGENCY_SUFFIX = ["政府", "環境保護局", "交通局", "衛生局", "教育局", "主計處", "地政局",
                 "文化局", "觀光局", "工務局", "警察局", "消防局", "農業局", "社會局"]

SUBJECTS = ["空氣品質", "公車路線", "停車場", "垃圾清運", "人口統計", "土地使用", "觀光景點",
            "藝文活動", "醫療院所", "藥局", "幼兒園", "圖書館", "公園綠地", "自行車道", "路燈",
            "水質監測", "雨量站", "地震紀錄", "颱風警報", "交通事故", "違規停車", "公共廁所",
            "避難處所", "消防栓", "餐廳衛生", "農產品價格", "漁獲量", "預算執行", "補助款",
            "採購案件", "公有房舍", "建照執照", "道路施工", "噪音陳情", "犬貓登記", "長照機構",
            "社福團體", "身心障礙", "低收入戶", "就業服務", "職業訓練", "學校名錄", "學生人數",
            "電動車充電站", "加油站", "機車停車格", "捷運站", "火車站", "客運站", "YouBike站點"]
QUALIFIERS = ["一覽表", "統計", "資料", "清冊", "即時資訊", "年報", "月報", "位置", "開放資料",
              "名冊", "分布", "明細"]
TAG_POOL = ["OpenData", "交通", "環境", "醫療", "教育", "文化", "觀光", "社福", "統計", "財政",
            "地理資訊", "GIS", "即時", "公共安全", "農業", "漁業", "氣象", "防災", "人口", "住宅",
            "就業", "預算", "採購", "能源", "水資源", "空氣", "噪音", "停車", "公車", "捷運",
            "自行車", "圖書館", "公園", "長照", "兒童", "高齡", "身障", "原住民", "客家", "新住民"]
FORMATS = ["CSV", "JSON", "XML", "XLSX", "ODS", "PDF", "ZIP", "KML", "SHP", "API"]
PERIODS = ["每日", "每週", "每月", "每季", "每半年", "每年", "不定期", "即時"]
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "志明俊傑家豪怡君淑芬雅婷宗翰冠宇佳穎建宏美玲"


def fmt(ts):
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def make_orgs(rnd, n):
    orgs, seen = [], set()
    while len(orgs) < n:
        name = rnd.choice(AGENCY_PREFIX) + rnd.choice(AGENCY_SUFFIX)
        if name in seen:
            continue
        seen.add(name)
        # Agency codes look like A41000000G / 313200000G: 9 alphanumerics then a letter.
        code = "%s%02d%06dG" % (rnd.choice("ABCDEFGHIJ0123456789"), len(orgs) + 10,
                                rnd.randrange(10000) * 100)
        phone = "0%d-%04d%04d" % (rnd.randrange(2, 9), rnd.randrange(10000), rnd.randrange(10000))
        orgs.append({"name": name, "code": code, "phone": phone,
                     "email": "opendata%02d@example.gov.tw" % len(orgs),
                     "oid": "2.16.886.101.%d.%d" % (20000 + len(orgs), rnd.randrange(1, 99999)),
                     "seq": 0})
    return orgs


def person(rnd):
    return rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)


def make_record(rnd, org, base):
    org["seq"] += 1
    ident = "%s-%06d" % (org["code"], org["seq"])
    subject = rnd.choice(SUBJECTS)
    title = "%s%s%s" % (org["name"], subject, rnd.choice(QUALIFIERS))
    issued = base + datetime.timedelta(seconds=rnd.randrange(0, 8 * 365 * 86400))
    modified = issued + datetime.timedelta(seconds=rnd.randrange(0, 365 * 86400))
    tags = rnd.sample(TAG_POOL, rnd.randint(1, 5))
    if rnd.random() < 0.3:
        tags.append(subject)
    dist = []
    for k in range(rnd.randint(1, 3)):
        f = rnd.choice(FORMATS)
        rmod = issued + datetime.timedelta(seconds=rnd.randrange(0, 400 * 86400))
        dist.append({
            "resourceID": "%s-%03d" % (ident, k + 1),
            "resourceDescription": "%s（%s格式）" % (subject, f),
            "format": f,
            "resourceModified": fmt(rmod),
            "downloadURL": "https://data.example.gov.tw/%s/%03d.%s" % (ident, k + 1, f.lower()),
            "metadataSourceOfData": "",
            "characterSetCode": "UTF-8",
        })
    cov_from = issued - datetime.timedelta(days=rnd.randrange(0, 3650))
    return {
        "identifier": ident,
        "title": title,
        "categoryCode": rnd.choice(CATEGORIES),
        "description": "本資料集提供%s之%s，內容包含%s等欄位，資料由%s定期更新維護。" % (
            org["name"], subject, "、".join(rnd.sample(["名稱", "地址", "電話", "經度", "緯度",
                                                        "日期", "數量", "類別", "備註", "行政區"], 4)),
            org["name"]),
        "fieldDescription": "、".join(rnd.sample(["名稱", "地址", "電話", "經度", "緯度", "日期",
                                                  "數量", "類別", "備註", "行政區"], 5)),
        "type": rnd.choice(["rawData", "rawData", "rawData", "services"]),
        "license": "政府資料開放授權條款-第1版",
        "licenseURL": "https://data.gov.tw/license",
        "cost": "免費",
        "costURL": "",
        "costLaw": "",
        "organization": org["name"],
        "organizationContactName": person(rnd),
        "organizationContactPhone": org["phone"],
        "organizationContactEmail": org["email"],
        "publisher": org["name"],
        "publisherContactName": person(rnd) + rnd.choice([" 先生", " 小姐"]),
        "publisherContactPhone": "%s#%d" % (org["phone"], rnd.randrange(100, 9999)),
        "publisherContactEmail": "staff%04d@example.gov.tw" % rnd.randrange(10000),
        "publisherOID": org["oid"],
        "publisherOrgCode": org["code"],
        "accrualPeriodicity": rnd.choice(PERIODS),
        "temporalCoverageFrom": fmt(cov_from) if rnd.random() < 0.7 else "",
        "temporalCoverageTo": "",
        "issued": fmt(issued),
        "modified": fmt(modified),
        "spatial": rnd.choice(["臺灣", org["name"][:3], ""]),
        "language": "zh-TW",
        "landingPage": "https://data.example.gov.tw/dataset/%s" % ident,
        "keyword": tags,
        "numberOfData": rnd.randrange(0, 100000),
        "notes": rnd.choice(["", "", "資料每日凌晨更新", "部分欄位可能為空值"]),
        "distribution": dist,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="output file (JSON array); - for stdout")
    ap.add_argument("-n", type=int, default=10000, help="number of records (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orgs", type=int, default=50)
    ap.add_argument("--ids", help="also write the identifiers, one a line, to this file")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    orgs = make_orgs(rnd, a.orgs)
    base = datetime.datetime(2014, 1, 1)
    recs = [make_record(rnd, rnd.choice(orgs), base) for _ in range(a.n)]
    text = json.dumps(recs, ensure_ascii=False, indent=None, separators=(",", ":"))
    if a.out == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if a.ids:
        with open(a.ids, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(r["identifier"] + "\n")


if __name__ == "__main__":
    main()
