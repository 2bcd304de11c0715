# opendatad — build, run and test. `make run` and `make test` work on a fresh Debian 12 (root):
# missing packages are installed first (checked with dpkg -s, apt-get update once).

CC      ?= cc
PKGS    := libevent libevent_pthreads json-c libpq minizip zlib
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
           -MMD -MP -Iserver $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
# The server hashes API tokens with OpenSSL's SHA-256.
SERVER_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null)
# The DataStore importers (and their unit tests): libxml2, OpenSSL's SHA-256, libcsv (no .pc).
IMPORT_PKGS := libxml-2.0 libcrypto
CFLAGS  += $(shell pkg-config --cflags $(IMPORT_PKGS) 2>/dev/null)
IMPORT_LIBS := $(shell pkg-config --libs $(IMPORT_PKGS) 2>/dev/null) -lcsv
ifdef SANITIZE
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Debian packages: build, run, test and bench.
DEB_BUILD := build-essential pkg-config libevent-dev libjson-c-dev libpq-dev libminizip-dev zlib1g-dev \
             libcsv-dev libxml2-dev libssl-dev
DEB_RUN   := postgresql-15 postgresql-client-15
DEB_TEST  := python3 python3-pytest python3-requests python3-jsonschema python3-psycopg2
DEB_BENCH := wrk nginx-light postgresql-contrib zip unzip time

COMMON_SRC := server/util.c server/log.c server/arena.c server/config.c server/valid.c
SERVER_SRC := $(COMMON_SRC) server/route.c server/req.c server/resp.c server/db_pool.c \
              server/server.c server/tw_rest.c server/tw_datastore.c server/ckan_action.c server/ckan_auth.c server/ckan_params.c \
              server/ckan_datastore.c server/ds_read.c server/sqlbuild.c server/ckan_package.c server/ckan_group.c server/ckan_search.c \
              server/ckan_util.c server/search_cache.c server/solrq.c server/migrate.c \
              server/user_cli.c server/routes_cli.c server/main.c server/dump.c server/dump_fmt.c server/dump_src.c \
              server/dump_stream.c server/dump_worker.c server/zipw.c
IMPORT_SRC := $(COMMON_SRC) server/jschema.c server/jschema_load.c importers/catalog_in.c \
              importers/enc.c importers/infer.c importers/csv_in.c importers/xml_in.c \
              importers/load.c importers/load_db.c importers/main.c
UNIT_TESTS := $(patsubst tests/unit/%.c,bin/%,$(wildcard tests/unit/test_*.c))

SERVER_OBJ := $(SERVER_SRC:%.c=build/%.o)
IMPORT_OBJ := $(IMPORT_SRC:%.c=build/%.o)

.PHONY: all deps deps-test deps-bench run test unit-test bench clean format fuzz
all: bin/opendatad bin/opendata-import

bin/opendatad: $(SERVER_OBJ)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SERVER_LIBS)

bin/opendata-import: $(IMPORT_OBJ)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(IMPORT_LIBS)

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests include the module's .c themselves (h2o style) and link the libraries only.
bin/test_%: tests/unit/test_%.c
	@mkdir -p bin build/tests
	$(CC) $(CFLAGS) -MF build/tests/test_$*.d -Iimporters -o $@ $< $(LDFLAGS) $(LDLIBS) $(IMPORT_LIBS)

-include $(SERVER_OBJ:.o=.d) $(IMPORT_OBJ:.o=.d) $(wildcard build/tests/*.d)

# Install what is missing, once; a prepared machine never touches apt.
define need_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call need_debs,$(DEB_BUILD) $(DEB_RUN))

deps-test:
	$(call need_debs,$(DEB_BUILD) $(DEB_RUN) $(DEB_TEST))

deps-bench:
	$(call need_debs,$(DEB_BUILD) $(DEB_RUN) $(DEB_TEST) $(DEB_BENCH))

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

unit-test: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || true; done

test: deps-test
	@$(MAKE) --no-print-directory all $(UNIT_TESTS)
	@scripts/test.sh $(UNIT_TESTS)

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@tests/perf/bench.sh

# libFuzzer run of the Solr query parser: new inputs go to build/fuzz/solrq, the seeds stay in
# tests/fuzz/corpus/solrq. FUZZ_ARGS, e.g. -runs=5000000 or -max_total_time=600.
FUZZ_CC   ?= clang
FUZZ_ARGS ?= -max_total_time=300
bin/fuzz_solrq: tests/fuzz/fuzz_solrq.c server/solrq.c server/solrq.h
	@mkdir -p bin
	$(FUZZ_CC) -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -Iserver -o $@ tests/fuzz/fuzz_solrq.c server/solrq.c

fuzz: bin/fuzz_solrq
	@mkdir -p build/fuzz/solrq
	bin/fuzz_solrq -max_len=4096 $(FUZZ_ARGS) build/fuzz/solrq tests/fuzz/corpus/solrq

format:
	clang-format -i server/*.[ch] importers/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf build bin
