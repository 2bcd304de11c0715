#!/usr/bin/python3
"""gen_rows.py — the 1M × 10 DataStore CSV of the benchmarks (perf-research §0, bench-ref/gen.sql).

    gen_rows.py OUT.csv [-n 1000000] [--seed 1]

Columns, in the shape of the reference generator SQL (int id, 4 text incl. an md5 hex,
date, 3 numeric, int):

    id           g = 1..n
    district     'district_' || (g % 368)      low cardinality: a filter value matches ~1/368
    city         one of 6 city names, g % 6
    obs_date     2015-01-01 + (g % 3650) days
    amount       0.00 .. 1000.00 (2 decimals, pseudo-random)
    count_val    0 .. 100000 (int, pseudo-random)
    code         md5(str(g)) hex (incompressible, the worst case for deflate and trigrams)
    description  'Some descriptive text for row ' || g
    lat          22.000000 .. 23.000000 (6 decimals, pseudo-random)
    lon          120.000000 .. 121.000000

The numbers come from random.Random(seed), so the bytes depend only on the arguments (about
143 MB for 1M rows). Values are never empty and never need quoting. Stdlib only.
"""
import argparse
import datetime
import hashlib
import random
import sys

CITIES = ["Taipei", "New Taipei", "Taichung", "Tainan", "Kaohsiung", "Taoyuan"]
HEADER = "id,district,city,obs_date,amount,count_val,code,description,lat,lon\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    rand = rnd.random
    day0 = datetime.date(2015, 1, 1)
    dates = [(day0 + datetime.timedelta(days=i)).isoformat() for i in range(3650)]
    districts = ["district_%d" % i for i in range(368)]
    md5 = hashlib.md5
    with open(a.out, "w", encoding="ascii", newline="") as f:
        f.write(HEADER)
        buf = []
        for g in range(1, a.n + 1):
            s = str(g)
            # amount: cents 0..100000; lat/lon: micro-degrees 0..1000000
            c = int(rand() * 100001)
            la = int(rand() * 1000001)
            lo = int(rand() * 1000001)
            buf.append("%s,%s,%s,%s,%d.%02d,%d,%s,Some descriptive text for row %s,%d.%06d,%d.%06d\n" % (
                s, districts[g % 368], CITIES[g % 6], dates[g % 3650], c // 100, c % 100,
                int(rand() * 100001), md5(s.encode()).hexdigest(), s,
                22 + la // 1000000, la % 1000000, 120 + lo // 1000000, lo % 1000000))
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
