#!/usr/bin/python3
"""gen_catalog.py — a synthetic Taiwan dataset-metadata catalogue for the benchmarks.

    gen_catalog.py OUT.json [-n 10000] [--seed 1] [--orgs 50] [--ids F] [--names F] [--q-mix F]

Writes a JSON array of N records shaped like data.gov.tw `rest/dataset/{identifier}` results
(see docs/demo/catalog.json): about 50 publishing agencies, Chinese titles and descriptions
(subjects drawn with Zipf weights, some naming a district), 1-5 keywords, 1-3
distributions each. The first N records of a larger run are the N records of a smaller one
(same seed), so a catalogue can be grown by importing the rest. Every record passes schemas/tw-dataset-metadata.schema.json
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

# What agencies publish, most often first. A record's subject is drawn with Zipf weights
# (1/rank^0.9, like word and topic frequencies in real catalogues): the first subjects are each in
# 5-15% of the titles, the last ones in about 0.2%, so q words hit realistic shares.
SUBJECTS = ["公車路線", "停車場", "空氣品質", "人口統計", "觀光景點", "預算執行", "學校名錄",
            "藝文活動", "醫療院所", "交通事故", "垃圾清運", "土地使用", "採購案件", "補助款",
            "公園綠地", "圖書館", "藥局", "幼兒園", "自行車道", "水質監測", "雨量站", "路燈",
            "YouBike站點", "違規停車", "公共廁所", "避難處所", "消防栓", "餐廳衛生", "農產品價格",
            "電動車充電站", "加油站", "機車停車格", "捷運站", "火車站", "客運站", "建照執照",
            "道路施工", "噪音陳情", "犬貓登記", "長照機構", "社福團體", "身心障礙", "低收入戶",
            "就業服務", "職業訓練", "學生人數", "漁獲量", "公有房舍", "地震紀錄", "颱風警報",
            "古蹟", "夜市", "傳統市場", "民宿", "旅館", "露營區", "登山步道", "海水浴場", "漁港",
            "水庫蓄水", "河川水位", "抽水站", "污水下水道", "資源回收", "焚化廠", "紫外線指數",
            "輻射監測", "用電量", "太陽光電", "風力發電", "門牌", "地價", "實價登錄", "房屋稅",
            "工廠登記", "商業登記", "外籍移工", "失業率", "物價指數", "薪資統計", "寺廟",
            "宗教團體", "選舉投票所", "里辦公處", "戶政事務所", "役男", "兵役", "原住民族語",
            "客家文化", "新住民", "托育", "育兒津貼", "老人共餐", "無障礙設施", "哺乳室",
            "AED設置", "急救責任醫院", "疫苗接種", "登革熱", "食品抽驗"]
SUBJECT_WEIGHTS = [1 / (k + 1) ** 0.9 for k in range(len(SUBJECTS))]
# Townships and districts: 15% of the descriptions name one, so each is in ~0.1% of the
# records (the rare words of the q mix).
DISTRICTS = ["中正區", "大同區", "中山區", "松山區", "大安區", "萬華區", "信義區", "士林區",
             "北投區", "內湖區", "南港區", "文山區", "板橋區", "三重區", "中和區", "永和區",
             "新莊區", "新店區", "樹林區", "鶯歌區", "三峽區", "淡水區", "汐止區", "瑞芳區",
             "土城區", "蘆洲區", "五股區", "泰山區", "林口區", "深坑區", "石碇區", "坪林區",
             "三芝區", "石門區", "八里區", "平溪區", "雙溪區", "貢寮區", "金山區", "萬里區",
             "烏來區", "桃園區", "中壢區", "大溪區", "楊梅區", "蘆竹區", "大園區", "龜山區",
             "八德區", "龍潭區", "平鎮區", "新屋區", "觀音區", "復興區", "西屯區", "南屯區",
             "北屯區", "豐原區", "東勢區", "大甲區", "清水區", "沙鹿區", "梧棲區", "后里區",
             "神岡區", "潭子區", "大雅區", "新社區", "石岡區", "外埔區", "烏日區", "大肚區",
             "龍井區", "霧峰區", "太平區", "大里區", "和平區", "新營區", "鹽水區", "白河區",
             "柳營區", "後壁區", "麻豆區", "下營區", "六甲區", "官田區", "佳里區", "學甲區",
             "西港區", "七股區", "將軍區", "北門區", "新化區", "善化區", "新市區", "安定區",
             "玉井區", "楠西區", "南化區", "左鎮區", "仁德區", "歸仁區", "關廟區", "龍崎區",
             "永康區", "安南區", "安平區", "中西區", "鹽埕區", "鼓山區", "左營區", "楠梓區",
             "三民區", "新興區", "前金區", "苓雅區", "前鎮區", "旗津區", "小港區", "鳳山區",
             "林園區", "大寮區", "大樹區", "大社區", "仁武區", "鳥松區", "岡山區", "橋頭區",
             "燕巢區", "田寮區", "阿蓮區", "路竹區", "湖內區", "茄萣區", "永安區", "彌陀區",
             "梓官區", "旗山區", "美濃區", "六龜區", "甲仙區", "杉林區", "內門區", "茂林區",
             "桃源區", "那瑪夏區"]
# package_search q words for the benchmark (tests/perf/bench.sh W2), from rare to common; the
# share of the records each one finds is measured and reported by the benchmark.
Q_MIX = ["大安區", "梓官區", "食品抽驗", "疫苗接種", "youbike", "觀光景點", "空氣品質", "圖書館"]
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
    subject = rnd.choices(SUBJECTS, SUBJECT_WEIGHTS)[0]
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
        "description": "本資料集提供%s%s之%s，內容包含%s等欄位，資料由%s定期更新維護。" % (
            org["name"], rnd.choice(DISTRICTS) if rnd.random() < 0.15 else "", subject,
            "、".join(rnd.sample(["名稱", "地址", "電話", "經度", "緯度", "日期", "數量", "類別",
                                  "備註", "行政區"], 4)),
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
    ap.add_argument("--names", help="also write the CKAN names (lower-case identifiers), one a line")
    ap.add_argument("--q-mix", help="also write the benchmark's q words, one a line, to this file")
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
    if a.names:
        with open(a.names, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(r["identifier"].lower() + "\n")
    if a.q_mix:
        with open(a.q_mix, "w", encoding="utf-8") as f:
            f.write("\n".join(Q_MIX) + "\n")


if __name__ == "__main__":
    main()
