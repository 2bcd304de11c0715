"""The real `ckanapi` command line against the server: `dump` a portal of 1,000 datasets, `load`
the dump into an empty portal (organizations, groups, then datasets in parallel workers: the
package_show / package_create / package_update calls ckanapi makes), `dump` that portal and
find the same datasets; `load` again (every dataset now an update) and find nothing changed.

ckanapi is not part of this repository: `make test` fetches its source at a pinned commit into
build/ckanapi when the network allows (CKANAPI_SRC may name another checkout). It runs with
Debian's python3-requests, python3-docopt, python3-simplejson and python3-slugify. Without it, the test is
skipped and says so."""
import json
import os
import subprocess
import sys
import tempfile

import pytest
import requests

from conftest import BIN, ROOT, Server, new_database, run_import

SITE = "http://data.example.test"
N = 1000
CKANAPI = os.environ.get("CKANAPI_SRC") or os.path.join(ROOT, "build", "ckanapi")
HAVE_CKANAPI = os.path.isfile(os.path.join(CKANAPI, "ckanapi", "cli", "main.py"))
pytestmark = pytest.mark.skipif(not HAVE_CKANAPI,
                                reason=f"ckanapi's source is not at {CKANAPI} (make test fetches it)")

# What a portal sets itself on a write, whoever sends the dict (CKAN too: the writer is the
# creator, tags are rows of the portal with ids of its own).
VOLATILE = {"metadata_modified", "metadata_created", "revision_id", "creator_user_id"}


@pytest.fixture(scope="module")
def ckanapi_bin():
    """A `ckanapi` program on PATH (its load spawns `ckanapi load --worker` processes), with the
    package metadata its version lookup reads."""
    d = tempfile.mkdtemp(prefix="ckanapi-")
    site = os.path.join(d, "site")
    dist = os.path.join(site, "ckanapi-0.dist-info")
    os.makedirs(dist)
    with open(os.path.join(dist, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\nName: ckanapi\nVersion: 0\n")
    prog = os.path.join(d, "ckanapi")
    with open(prog, "w") as f:
        f.write(f"#!/bin/sh\nPYTHONPATH='{CKANAPI}:{site}' exec /usr/bin/python3 -c "
                "'import sys; from ckanapi.cli.main import main; sys.exit(main())' \"$@\"\n")
    os.chmod(prog, 0o755)
    return d


def add_sysadmin(db):
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", "sam", "--sysadmin",
                        "--db", db], check=True, capture_output=True, text=True)
    return p.stdout.strip().splitlines()[-1]


class Portal:
    def __init__(self, cluster, catalog=None):
        self.db = new_database(cluster)
        if catalog:
            run_import(self.db, "catalog", catalog, check=True)
        self.token = add_sysadmin(self.db)
        self.srv = Server(self.db, "--site-url", SITE)

    def ckanapi(self, bindir, *args):
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
                   CKANAPI_MY_SITES=self.srv.base)
        p = subprocess.run(["ckanapi", *args, "-r", self.srv.base, "-a", self.token],
                           env=env, capture_output=True, text=True, timeout=1200)
        assert p.returncode == 0, f"ckanapi {args[:2]}: {p.returncode}\n{p.stderr[-3000:]}"
        return p

    def dump(self, bindir, thing, out):
        self.ckanapi(bindir, "dump", thing, "--all", "-p", "2", "-O", out)
        with open(out, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def tw(self, identifier):
        r = requests.get(f"{self.srv.base}/api/v1/rest/dataset/{identifier}", timeout=10)
        assert r.status_code == 200, r.text
        return r.json()


def comparable(d):
    """A dataset as a portal that loaded it must show it again."""
    d = {k: v for k, v in d.items() if k not in VOLATILE}
    d["resources"] = [{k: v for k, v in r.items() if k not in VOLATILE}
                      for r in d.get("resources", [])]
    d["tags"] = [{k: v for k, v in t.items() if k != "id"} for t in d.get("tags", [])]
    if "organization" in d and d["organization"]:
        d["organization"] = {k: v for k, v in d["organization"].items()
                             if k not in VOLATILE | {"created"}}
    return d


@pytest.fixture(scope="module")
def portals(cluster, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ckanapi")
    catalog = str(tmp / "catalog.json")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "perf", "gen_catalog.py"),
                    catalog, "-n", str(N), "--seed", "7"], check=True)
    src = Portal(cluster, catalog)
    dst = Portal(cluster)
    yield src, dst, tmp
    src.srv.stop()
    dst.srv.stop()


def test_load_dump_round_trip(portals, ckanapi_bin):
    src, dst, tmp = portals
    orgs = src.dump(ckanapi_bin, "organizations", str(tmp / "orgs.jsonl"))
    groups = src.dump(ckanapi_bin, "groups", str(tmp / "groups.jsonl"))
    before = src.dump(ckanapi_bin, "datasets", str(tmp / "datasets.jsonl"))
    assert len(before) == N and orgs and groups

    for thing in ("organizations", "groups", "datasets"):
        p = dst.ckanapi(ckanapi_bin, "load", thing, "-p", "3",
                        "-I", str(tmp / {"organizations": "orgs.jsonl", "groups": "groups.jsonl",
                                         "datasets": "datasets.jsonl"}[thing]))
        assert "Error" not in p.stderr, p.stderr[-3000:]

    after = dst.dump(ckanapi_bin, "datasets", str(tmp / "again.jsonl"))
    by_name = {d["name"]: comparable(d) for d in after}
    assert len(by_name) == N
    for d in before:
        got, want = by_name[d["name"]], comparable(d)
        assert got == want, (d["name"], {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
                                         if got.get(k) != want.get(k)})

    # The Taiwan API of the new portal shows what the old one did. The keywords' order is not
    # kept: CKAN lists a dataset's tags by name, so the dump has them in that order.
    for d in before[:: N // 20]:
        ident = next(e["value"] for e in d["extras"] if e["key"] == "identifier")
        old, new = src.tw(ident)["result"], dst.tw(ident)["result"]
        for k in ("metadata_modified", "metadata_created"):
            old.pop(k, None), new.pop(k, None)
        assert sorted(new.pop("keyword")) == sorted(old.pop("keyword")), ident
        assert new == old, ident


def test_second_load_changes_nothing(portals, ckanapi_bin):
    src, dst, tmp = portals
    first = {d["name"]: comparable(d) for d in dst.dump(ckanapi_bin, "datasets",
                                                         str(tmp / "first.jsonl"))}
    p = dst.ckanapi(ckanapi_bin, "load", "datasets", "-p", "3", "-I", str(tmp / "datasets.jsonl"))
    assert p.stderr.count(" update ") >= N, p.stderr[-2000:]
    second = {d["name"]: comparable(d) for d in dst.dump(ckanapi_bin, "datasets",
                                                          str(tmp / "second.jsonl"))}
    assert second == first
