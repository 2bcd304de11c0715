# opendatad — build, run and test. `make run` and `make test` work on a fresh Debian 12 (root):
# missing packages are installed first (checked with dpkg -s, apt-get update once).

CC      ?= cc
PKGS    := libevent libevent_pthreads json-c libpq minizip zlib
CFLAGS  ?= -O2 -g
# The server's folders: the core, the API families and the programs (docs/ARCHITECTURE.md); and
# importers/, the loading library's headers (importers/load.h), which the DataStore family uses.
SERVER_DIRS := core tw ckan datastore hk legacy web cmd
SERVER_INC  := $(SERVER_DIRS:%=-Iserver/%) -Iimporters
# The version both programs and status_show report (server/core/version.h).
VERSION := $(shell cat VERSION 2>/dev/null)
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
           -MMD -MP $(SERVER_INC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
           $(if $(VERSION),-DOPENDATAD_VERSION='"$(VERSION)"')
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
# The server hashes API tokens with OpenSSL's SHA-256, passwords with libxcrypt's yescrypt (and
# checks CKAN's pbkdf2_sha512 ones with OpenSSL).
CRYPT_LIBS  := -lcrypt
# XLoader fetches resource URLs with libcurl (url_fetch.c).
SERVER_LIBS := $(shell pkg-config --libs libcrypto libcurl 2>/dev/null) $(CRYPT_LIBS)
CFLAGS  += $(shell pkg-config --cflags libcurl 2>/dev/null)
# The DataStore importers (and their unit tests): libxml2, OpenSSL's SHA-256, libcsv (no .pc).
IMPORT_PKGS := libxml-2.0 libcrypto
CFLAGS  += $(shell pkg-config --cflags $(IMPORT_PKGS) 2>/dev/null)
IMPORT_LIBS := $(shell pkg-config --libs $(IMPORT_PKGS) 2>/dev/null) -lcsv
ifdef SANITIZE
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
# Where objects and programs go: `make test` builds a second, sanitized copy of everything in
# build/san (B=build/san BINDIR=build/san/bin SANITIZE=address,undefined).
B       ?= build
BINDIR  ?= bin
SAN_B   := build/san
SAN_BIN := $(SAN_B)/bin
# `make install` (PREFIX, DESTDIR): programs in $(PREFIX)/bin, the SQL, schemas, portal pages,
# demo catalogue and example config in $(PREFIX)/share/opendatad, which the programs also find
# from a compiled-in default (util_share_dir); what the server writes under STATEDIR.
PREFIX   ?= /usr/local
DATADIR  := $(PREFIX)/share/opendatad
STATEDIR ?= /var/lib/opendatad
SHARE_SUBDIRS := sql schemas $(wildcard web)

# Debian packages: build, run, test and bench.
DEB_BUILD := build-essential pkg-config libevent-dev libjson-c-dev libpq-dev libminizip-dev zlib1g-dev \
             libcsv-dev libxml2-dev libssl-dev libcrypt-dev \
             libcurl4-openssl-dev
DEB_RUN   := postgresql-15 postgresql-client-15
DEB_TEST  := python3 python3-pytest python3-requests python3-jsonschema python3-psycopg2 \
             python3-docopt python3-simplejson python3-slugify curl clang libclang-rt-14-dev \
             pgbouncer nginx-light haproxy openssl chromium chromium-driver python3-selenium
DEB_BENCH := wrk nginx-light postgresql-contrib zip unzip time bc gnuplot-nox
# The install tests (tests/install): the Debian package build, the unit's check, the compose
# file's validator (without its recommended container engine).
DEB_PKG   := dpkg-dev debhelper fakeroot systemd
DEB_NOREC := docker-compose

COMMON_SRC := $(addprefix server/core/,util.c sbuf.c log.c arena.c config.c netaddr.c valid.c pgconn.c)
CORE_SRC   := $(addprefix server/core/,hframe.c edge.c route.c req.c req_db.c req_query.c resp.c db_err.c db_pool.c db_policy.c \
              server.c srv_thread.c migrate.c multipart.c spool.c range.c fsend.c proxy.c passwd.c apitoken.c bgwork.c \
              json_span.c jcompact.c replica.c scache.c)
TW_SRC     := $(addprefix server/tw/,tw_family.c tw_config.c tw_resp.c tw_rest.c tw_params.c tw_datastore.c)
CKAN_SRC   := $(addprefix server/ckan/,ckan_family.c ckan_config.c ckan_resp.c ckan_action.c ckan_auth.c ckan_params.c ckan_datastore.c ckan_datastore_write.c ckan_datastore_sql.c \
              ckan_geo.c ckan_package.c ckan_package_write.c ckan_group.c ckan_tag.c ckan_user.c ckan_activity.c ckan_site.c \
              ckan_call.c ckan_xloader.c ckan_download.c ckan_upload.c ckan_search.c ckan_util.c solrq.c solrq_mem.c solrq_lex.c solrq_parse.c \
              solrq_sql.c solrq_map.c ckan_view_rel.c ckan_openapi.c)
DS_SRC     := $(addprefix server/datastore/,ds_family.c ds_read.c ds_cache.c sqlbuild.c sqlbuild_read.c \
              sqlbuild_cols.c sqlbuild_geo.c astore.c dump.c dump_fmt.c dump_src.c \
              dump_stream.c dump_worker.c zipw.c ds_load.c ustore.c url_fetch.c hk_query.c ds_rows.c ds_json.c)
HK_SRC     := $(addprefix server/hk/,hkf_family.c hkf_resp.c hkf_filter.c hk_family.c hk_resp.c hk_archive.c hk_nearest.c hk_params.c)
LEGACY_SRC := $(addprefix server/legacy/,legacy_family.c legacy_resp.c legacy_req.c legacy_rest.c legacy_search.c legacy_query.c \
                                            legacy_util.c legacy_munge.c)
WEB_SRC    := $(addprefix server/web/,web_family.c web_assets.c web_accept.c)
CMD_SRC    := $(addprefix server/cmd/,main.c user_cli.c routes_cli.c)
SERVER_SRC := $(COMMON_SRC) $(CORE_SRC) $(TW_SRC) $(CKAN_SRC) $(DS_SRC) $(HK_SRC) $(LEGACY_SRC) $(WEB_SRC) $(CMD_SRC)
# The loading library (importers/load.h): a static archive both programs link.
LOAD_SRC   := $(addprefix importers/,enc.c infer.c csv_in.c xml_in.c load.c load_cols.c load_copy.c \
              load_report.c load_db.c load_index.c load_compat.c load_sql.c)
LOADLIB    := $(B)/lib/libodload.a
IMPORT_SRC := $(COMMON_SRC) server/core/jschema.c server/core/jschema_load.c importers/catalog_in.c \
              importers/catalog_keys.c importers/main.c
# Test programs the black-box suites run (tests/import/test_load_threads.py).
TEST_PROGS := $(BINDIR)/load_threads
LOAD_THREADS_SRC := tests/import/load_threads.c server/datastore/ds_load.c $(COMMON_SRC)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BINDIR)/%,$(wildcard tests/unit/test_*.c))
# Checks of the source tree's layout, run with the unit tests (same last line): the core
# includes no family header.
LAYOUT_CHECKS := tests/layout/core_includes.sh tests/layout/self_contained.sh
# Installing and packaging (same last line): the example config lists every setting, the
# compose file is valid, `make install` and the Debian package give a working server.
INSTALL_CHECKS := tests/install/config_example.sh tests/install/compose_check.sh \
                  tests/install/install_test.sh

# minizip's include directory has a crypt.h of its own, which would hide libxcrypt's <crypt.h>.
$(B)/server/core/passwd.o $(BINDIR)/test_passwd: CFLAGS := $(filter-out \
    $(shell pkg-config --cflags-only-I minizip 2>/dev/null),$(CFLAGS))

SERVER_OBJ := $(SERVER_SRC:%.c=$(B)/%.o)
IMPORT_OBJ := $(IMPORT_SRC:%.c=$(B)/%.o)
LOAD_OBJ   := $(LOAD_SRC:%.c=$(B)/%.o)
LOAD_THREADS_OBJ := $(LOAD_THREADS_SRC:%.c=$(B)/%.o)

.PHONY: all install uninstall deps deps-test deps-bench run test unit-test sanitized bench bench-quick clean format fuzz fuzz-smoke ckanapi-src axe-src
all: $(BINDIR)/opendatad $(BINDIR)/opendata-import $(TEST_PROGS)

$(LOADLIB): $(LOAD_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BINDIR)/opendatad: $(SERVER_OBJ) $(LOADLIB)
	@mkdir -p $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SERVER_LIBS) $(IMPORT_LIBS)

$(BINDIR)/opendata-import: $(IMPORT_OBJ) $(LOADLIB)
	@mkdir -p $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(IMPORT_LIBS)

$(BINDIR)/load_threads: $(LOAD_THREADS_OBJ) $(LOADLIB)
	@mkdir -p $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(IMPORT_LIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Unit tests include the module's .c themselves (h2o style) and link the libraries only.
$(BINDIR)/test_%: tests/unit/test_%.c
	@mkdir -p $(BINDIR) $(B)/tests
	$(CC) $(CFLAGS) -MF $(B)/tests/test_$*.d -o $@ $< $(LDFLAGS) $(LDLIBS) $(IMPORT_LIBS) $(CRYPT_LIBS)

# url_fetch.c's test links libcurl, as the server does.
$(BINDIR)/test_url_fetch: LDLIBS += $(shell pkg-config --libs libcurl 2>/dev/null)

# The compiled-in folders; util.o is rebuilt when they change (paths.stamp holds them).
UTIL_PATHS := -DOPENDATAD_DATADIR='"$(DATADIR)"' -DOPENDATAD_STATEDIR='"$(STATEDIR)"'
$(B)/server/core/util.o: CFLAGS += $(UTIL_PATHS)
$(B)/server/core/util.o: $(B)/paths.stamp
$(B)/paths.stamp: FORCE
	@mkdir -p $(B)
	@echo '$(UTIL_PATHS)' | cmp -s - $@ || echo '$(UTIL_PATHS)' >$@
FORCE:

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)
	install -m 755 $(BINDIR)/opendatad $(BINDIR)/opendata-import $(DESTDIR)$(PREFIX)/bin/
	@# whole folders replaced: a function file dropped from sql/ must not stay behind
	set -e; for d in $(SHARE_SUBDIRS) demo; do rm -rf $(DESTDIR)$(DATADIR)/$$d; done; \
	for d in $(SHARE_SUBDIRS); do cp -R --no-preserve=ownership $$d $(DESTDIR)$(DATADIR)/; done; \
	cp -R --no-preserve=ownership docs/demo $(DESTDIR)$(DATADIR)/demo; \
	chmod -R u+rwX,go+rX,go-w $(DESTDIR)$(DATADIR)
	install -m 644 docs/opendatad.conf.example $(DESTDIR)$(DATADIR)/
	@# the systemd unit, for the programs of this PREFIX (the Debian package installs its own)
	sed 's,/usr/bin/,$(PREFIX)/bin/,g' debian/opendatad.service >$(DESTDIR)$(DATADIR)/opendatad.service
	chmod 644 $(DESTDIR)$(DATADIR)/opendatad.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/opendatad $(DESTDIR)$(PREFIX)/bin/opendata-import
	rm -rf $(DESTDIR)$(DATADIR)

-include $(SERVER_OBJ:.o=.d) $(IMPORT_OBJ:.o=.d) $(LOAD_OBJ:.o=.d) $(LOAD_THREADS_OBJ:.o=.d) \
    $(wildcard $(B)/tests/*.d)

# Install what is missing, once; a prepared machine never touches apt. $(2): apt-get options.
define need_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) $$missing >/dev/null; \
	fi
endef

deps:
	$(call need_debs,$(DEB_BUILD) $(DEB_RUN))

deps-test:
	$(call need_debs,$(DEB_BUILD) $(DEB_RUN) $(DEB_TEST) $(DEB_PKG))
	$(call need_debs,$(DEB_NOREC),--no-install-recommends)

deps-bench:
	$(call need_debs,$(DEB_BUILD) $(DEB_RUN) $(DEB_TEST) $(DEB_BENCH))

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

unit-test: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS) $(LAYOUT_CHECKS); do echo "== $$t"; $$t || true; done

# The programs and unit tests again with AddressSanitizer (leaks included) and UBSan.
sanitized:
	@CFLAGS="-O1 -g" $(MAKE) --no-print-directory B=$(SAN_B) BINDIR=$(SAN_BIN) \
	    SANITIZE=address,undefined all $(patsubst $(BINDIR)/%,$(SAN_BIN)/%,$(UNIT_TESTS))

test: deps-test ckanapi-src axe-src
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(FUZZ_SMOKE)
	@$(MAKE) --no-print-directory sanitized
	@scripts/test.sh $(UNIT_TESTS) $(FUZZ_SMOKE) $(LAYOUT_CHECKS) $(INSTALL_CHECKS)

# The real ckanapi client (tests/api/test_ckanapi_roundtrip.py) at a pinned commit, fetched into
# build/ckanapi, never kept in the repository. Without the network its test is skipped and says so.
CKANAPI_REF := bedd91d1d41065e591d9e3ceea47edf5d34a3d7d
ckanapi-src:
	@[ -f build/ckanapi/ckanapi/cli/main.py ] || { rm -rf build/ckanapi.tmp && mkdir -p build/ckanapi.tmp && \
	  curl -fsSL --connect-timeout 10 --max-time 120 \
	    https://codeload.github.com/ckan/ckanapi/tar.gz/$(CKANAPI_REF) | \
	    tar -xz --strip-components=1 -C build/ckanapi.tmp && mv build/ckanapi.tmp build/ckanapi; } \
	  2>/dev/null || { rm -rf build/ckanapi.tmp; echo "ckanapi not fetched: its round-trip test will be skipped"; }

# axe-core (the accessibility rules tests/api/test_web_pages.py runs in Chromium) at a pinned
# version from npm into build/axe, never kept in the repository. Without npm (or the network)
# those checks are skipped and say so.
AXE_VERSION := 4.10.3
axe-src:
	@[ -f build/axe/node_modules/axe-core/axe.min.js ] || { mkdir -p build/axe && \
	    npm install --no-save --no-audit --no-fund --prefix build/axe axe-core@$(AXE_VERSION) >/dev/null 2>&1; } \
	  || echo "axe-core not installed: the portal pages' accessibility checks will be skipped"

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@tests/perf/bench_curves.sh
	@tests/perf/bench.sh

# The same workloads with shorter runs on smaller data (about 10 minutes); the report keeps the
# cost curves of the last `make bench` or `make bench-curves-quick` (short curves, ~12 minutes).
bench-quick: deps-bench
	@$(MAKE) --no-print-directory all
	@BENCH_QUICK=1 tests/perf/bench.sh

bench-curves-quick: deps-bench
	@$(MAKE) --no-print-directory all
	@CURVE_SIZES="1000 4000" CURVE_ROWS="50000 200000" CURVE_DURATION=3 tests/perf/bench_curves.sh

# libFuzzer drivers (tests/fuzz/fuzz_<target>.c), one per parser of outside input. `make fuzz`
# runs each for FUZZ_TIME seconds, one after another; new inputs go to build/fuzz/<target>, the
# seeds stay in tests/fuzz/corpus/<target>, a crashing input is saved as build/fuzz/<target>-crash-*
# (replay: bin/fuzz_<target> FILE). FUZZ_ARGS are added, e.g. -runs=1000000.
# `make fuzz-smoke` (also part of `make test`) runs each driver over its seeds only.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 300
FUZZ_ARGS    ?=
FUZZ_TARGETS := solrq csv xml catalog ckan_params tw_datastore hframe multipart range hk_query hk_params \
                proxy json_span legacy_query ds_rows web_accept
FUZZ_BINS    := $(FUZZ_TARGETS:%=bin/fuzz_%)
FUZZ_SMOKE   := $(FUZZ_TARGETS:%=build/fuzz-smoke/%)
# ENC_CHUNK: enc.c reads tiny chunks, so that short inputs cross chunk boundaries.
FUZZ_FLAGS   := -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter \
                $(SERVER_INC) -DENC_CHUNK=257 \
                $(shell pkg-config --cflags $(PKGS) $(IMPORT_PKGS) 2>/dev/null)
# The loading library but its SQL: load_db.c, load_index.c and load_sql.c (fuzz_load.c stands in
# for the database).
FUZZ_LOAD    := tests/fuzz/fuzz_load.c importers/enc.c importers/infer.c importers/load.c \
                importers/load_cols.c importers/load_copy.c importers/load_report.c \
                importers/csv_in.c importers/xml_in.c \
                server/core/sbuf.c server/core/util.c server/core/log.c
FUZZ_SRC_solrq        := $(addprefix server/ckan/,solrq.c solrq_mem.c solrq_lex.c solrq_parse.c solrq_sql.c solrq_map.c) \
                         server/core/arena.c server/core/sbuf.c server/core/util.c
FUZZ_SRC_csv          := $(FUZZ_LOAD)
FUZZ_SRC_xml          := $(FUZZ_LOAD)
FUZZ_SRC_catalog      := importers/catalog_in.c importers/catalog_keys.c server/core/jschema.c server/core/jschema_load.c \
                         server/core/valid.c server/core/sbuf.c server/core/util.c server/core/log.c server/core/pgconn.c
FUZZ_SRC_ckan_params  := server/ckan/ckan_params.c server/core/json_span.c server/core/req_query.c server/core/route.c server/core/arena.c \
                         server/core/util.c server/core/valid.c
FUZZ_SRC_tw_datastore := server/tw/tw_params.c server/core/req_query.c server/core/route.c server/core/arena.c \
                         server/core/sbuf.c server/core/util.c server/core/valid.c server/datastore/sqlbuild.c \
                         server/datastore/sqlbuild_read.c server/datastore/sqlbuild_cols.c
FUZZ_SRC_hk_query     := server/datastore/hk_query.c server/datastore/sqlbuild.c \
                         server/datastore/sqlbuild_read.c server/datastore/sqlbuild_cols.c server/core/valid.c \
                         server/core/sbuf.c server/core/util.c
FUZZ_SRC_hframe       := server/core/hframe.c
FUZZ_SRC_multipart    := server/core/multipart.c server/core/util.c
FUZZ_SRC_range        := server/core/range.c
FUZZ_SRC_web_accept   := server/web/web_accept.c
FUZZ_SRC_proxy        := server/core/proxy.c server/core/arena.c server/core/util.c
FUZZ_SRC_hk_params    := server/hk/hk_params.c server/core/valid.c server/core/util.c
FUZZ_SRC_json_span    := server/core/json_span.c server/core/util.c
FUZZ_SRC_ds_rows      := server/datastore/ds_rows.c server/core/json_span.c server/core/util.c
FUZZ_SRC_legacy_query := server/legacy/legacy_query.c server/legacy/legacy_munge.c server/core/sbuf.c server/core/util.c
FUZZ_LIBS_legacy_query := $(shell pkg-config --libs json-c 2>/dev/null)
FUZZ_LIBS_hframe      := $(shell pkg-config --libs libevent 2>/dev/null)
FUZZ_LIBS_csv          := -lcsv $(shell pkg-config --libs libxml-2.0 libcrypto 2>/dev/null)
FUZZ_LIBS_xml          := -lcsv $(shell pkg-config --libs libxml-2.0 libcrypto 2>/dev/null)
FUZZ_LIBS_catalog      := $(shell pkg-config --libs json-c libpq 2>/dev/null)
FUZZ_LIBS_ckan_params  := $(shell pkg-config --libs libevent json-c 2>/dev/null)
FUZZ_LIBS_tw_datastore := $(shell pkg-config --libs libevent json-c 2>/dev/null)
FUZZ_LIBS_hk_query     := $(shell pkg-config --libs json-c 2>/dev/null)
FUZZ_LIBS_hk_params    := $(shell pkg-config --libs json-c 2>/dev/null) -lm
FUZZ_LIBS_json_span    := $(shell pkg-config --libs json-c 2>/dev/null)
FUZZ_LIBS_ds_rows      := $(shell pkg-config --libs json-c 2>/dev/null)
# Longest input tried: a query string is short, a file slice longer.
FUZZ_LEN_solrq := 4096
FUZZ_LEN_csv := 8192
FUZZ_LEN_xml := 8192
FUZZ_LEN_catalog := 16384
FUZZ_LEN_ckan_params := 4096
FUZZ_LEN_tw_datastore := 2048
FUZZ_LEN_hframe := 4096
FUZZ_LEN_hk_query := 4096
FUZZ_LEN_multipart := 4096
FUZZ_LEN_range := 256
FUZZ_LEN_hk_params := 256
FUZZ_LEN_json_span := 4096
FUZZ_LEN_ds_rows := 4096

define fuzz_rules
bin/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1)) $(wildcard server/*/*.h importers/*.h tests/fuzz/*.h)
	@mkdir -p bin
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -o $$@ tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1)) $(FUZZ_LIBS_$(1))

build/fuzz-smoke/$(1): bin/fuzz_$(1) tests/fuzz/smoke.sh
	@mkdir -p build/fuzz-smoke
	@printf '#!/bin/sh\nexec tests/fuzz/smoke.sh %s\n' $(1) >$$@ && chmod +x $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rules,$(t))))

fuzz: $(FUZZ_BINS)
	@set -e; $(foreach t,$(FUZZ_TARGETS),mkdir -p build/fuzz/$(t); \
	  echo "== fuzz_$(t): $(FUZZ_TIME) s"; \
	  bin/fuzz_$(t) -max_len=$(FUZZ_LEN_$(t)) -max_total_time=$(FUZZ_TIME) \
	    $(if $(wildcard tests/fuzz/$(t).dict),-dict=tests/fuzz/$(t).dict) \
	    -artifact_prefix=build/fuzz/$(t)- $(FUZZ_ARGS) build/fuzz/$(t) tests/fuzz/corpus/$(t);)

fuzz-smoke: $(FUZZ_BINS)
	@tests/fuzz/smoke.sh $(FUZZ_TARGETS)

# Formats the lines changed since HEAD (staged or not) with .clang-format; hand-laid tables
# elsewhere stay as they are. FORMAT_BASE=main formats a whole branch's changes.
FORMAT_BASE ?= HEAD
format:
	git clang-format --binary clang-format $(FORMAT_BASE) -- '*.c' '*.h'

clean:
	rm -rf build bin
