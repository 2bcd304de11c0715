/* Unit tests for server/core/config.c: defaults, file < env < flags, validation, --help. */
#include "../../server/core/config.c"
#include "../../server/core/netaddr.c"
#include "../../server/core/util.c"
#include "testh.h"

#include <stdlib.h>

static enum cfg_result parse(struct config *c, unsigned scope, int argc, char **argv, char **err)
{
    char **pos = NULL;
    int npos = 0;
    *err = NULL;
    enum cfg_result r = cfg_parse(c, scope, argc, argv, &pos, &npos, err);
    free(pos);
    return r;
}

static void test_defaults(void)
{
    struct config c;
    char *err;
    char *argv[] = {"serve", NULL};
    unsetenv("DATABASE_URL");
    T_CHECK(parse(&c, CFG_SERVE, 1, argv, &err) == CFG_OK, "defaults parse");
    T_STREQ(c.listen, "127.0.0.1:5000", "default listen");
    T_STREQ(c.sru, "/api/v1", "default sru");
    T_CHECK(c.threads == 0 && c.tw_list_max == 1000 && c.access_log, "default numbers");
    T_STREQ(c.db, "", "no default database");
    T_STREQ(c.cors_origins, "*", "CORS open to any origin by default");
    T_STREQ(c.site_url, "http://127.0.0.1:5000", "site URL: the listen address");
    cfg_clear(&c);
    char *other[] = {"serve", "--listen", "localhost:5099", NULL};
    T_CHECK(parse(&c, CFG_SERVE, 3, other, &err) == CFG_OK, "a host name parses");
    T_STREQ(c.site_url, "http://localhost:5099", "site URL follows --listen");
    cfg_clear(&c);
    char *given[] = {"serve", "--listen", "[::1]:5099", "--site-url", "https://data.example",
                     NULL};
    T_CHECK(parse(&c, CFG_SERVE, 5, given, &err) == CFG_OK, "IPv6 parses");
    T_STREQ(c.site_url, "https://data.example", "a given site URL is kept");
    cfg_clear(&c);
}

static void test_precedence(void)
{
    char path[] = "/tmp/opendatad-cfg-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nlisten = 127.0.0.1:6000\nthreads=3\nsru = /api\n\n"
               "cors-origins = https://a.example https://b.example\n");
    fclose(f);
    setenv("OPENDATAD_THREADS", "5", 1);
    setenv("DATABASE_URL", "postgresql:///envdb", 1);
    struct config c;
    char *err;
    char *argv[] = {"serve", "--config", path, "--threads=7", "--access-log", "false", NULL};
    T_CHECK(parse(&c, CFG_SERVE, 6, argv, &err) == CFG_OK, "parse with file: %s", err ? err : "");
    T_STREQ(c.listen, "127.0.0.1:6000", "file sets listen");
    T_STREQ(c.sru, "/api", "file sets sru");
    T_CHECK(c.threads == 7, "flag beats env beats file: %d", c.threads);
    T_STREQ(c.db, "postgresql:///envdb", "env sets db");
    T_CHECK(!c.access_log, "bool flag with value");
    T_STREQ(c.cors_origins, "https://a.example https://b.example", "file sets a CORS list");
    cfg_clear(&c);
    char *argv2[] = {"serve", "--config", path, NULL};
    T_CHECK(parse(&c, CFG_SERVE, 3, argv2, &err) == CFG_OK, "parse");
    T_CHECK(c.threads == 5, "env beats file: %d", c.threads);
    cfg_clear(&c);
    unsetenv("OPENDATAD_THREADS");
    unsetenv("DATABASE_URL");
    unlink(path);
}

/* One file for every command: db init skips the server's settings, refuses unknown names. */
static void test_file_scopes(void)
{
    char path[] = "/tmp/opendatad-cfg-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "db = postgresql:///filedb\nlisten = 127.0.0.1:6000\ndump-dir = /x\n"
               "verbosity = 1\n");
    fclose(f);
    struct config c;
    char *err;
    char *argv[] = {"init", "--config", path, NULL};
    T_CHECK(parse(&c, CFG_DB, 3, argv, &err) == CFG_OK, "db init reads the server's file: %s",
            err ? err : "");
    T_STREQ(c.db, "postgresql:///filedb", "db from the file");
    T_CHECK(c.verbosity == 1, "verbosity from the file");
    T_STREQ(c.listen, "127.0.0.1:5000", "the server's listen skipped by db init");
    cfg_clear(&c);
    free(err);
    f = fopen(path, "a");
    fprintf(f, "no-such-setting = 1\n");
    fclose(f);
    T_CHECK(parse(&c, CFG_DB, 3, argv, &err) == CFG_ERROR && err && strstr(err, "no-such-setting"),
            "an unknown name in the file is an error: %s", err ? err : "");
    free(err);
    cfg_clear(&c);
    unlink(path);
}

static void test_errors(void)
{
    static char *const bad[][3] = {
        {"serve", "--threads", "x"},  {"serve", "--threads", "-1"}, {"serve", "--nope", "1"},
        {"serve", "--access-log=maybe", NULL}, {"serve", "--listen", NULL},
        {"serve", "--config", "/nonexistent/opendatad.conf"},
        {"serve", "--db-pooler", "statement"}, {"serve", "--db-pooler", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config c;
        char *err;
        int argc = bad[i][2] ? 3 : 2;
        T_CHECK(parse(&c, CFG_SERVE, argc, (char **)bad[i], &err) == CFG_ERROR && err,
                "case %zu (%s) must fail", i, bad[i][1]);
        free(err);
        cfg_clear(&c);
    }
    struct config c;
    char *err;
    char *imp[] = {"catalog", "--threads", "2", NULL};
    T_CHECK(parse(&c, CFG_IMPORT, 3, imp, &err) == CFG_ERROR, "serve-only flag refused by import");
    free(err);
    cfg_clear(&c);
    char *help[] = {"serve", "--help", NULL};
    T_CHECK(parse(&c, CFG_SERVE, 2, help, &err) == CFG_HELP, "--help recognised");
    cfg_clear(&c);
}

static void test_pooler(void)
{
    static const struct {
        const char *mode;
        int want;
    } modes[] = {{"none", CFG_POOLER_NONE}, {"session", CFG_POOLER_SESSION},
                 {"transaction", CFG_POOLER_TRANSACTION}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        struct config c;
        char *err;
        char *argv[] = {"serve", "--db", "host=db", "--db-pooler", (char *)modes[i].mode, NULL};
        T_CHECK(parse(&c, CFG_SERVE, 5, argv, &err) == CFG_OK, "--db-pooler %s", modes[i].mode);
        T_CHECK(cfg_pooler(&c) == modes[i].want, "mode %s", modes[i].mode);
        /* long jobs: --db unless --db-direct; a pooler in their way only without it */
        T_STREQ(cfg_db_direct(&c), "host=db", "direct defaults to --db");
        T_CHECK(cfg_db_direct_pooled(&c) == (modes[i].want != CFG_POOLER_NONE), "pooled");
        cfg_clear(&c);
    }
    struct config c;
    char *err;
    char *argv[] = {"serve", "--db", "host=pool", "--db-pooler", "transaction", "--db-direct",
                    "host=pg", NULL};
    T_CHECK(parse(&c, CFG_SERVE, 7, argv, &err) == CFG_OK, "--db-direct");
    T_STREQ(cfg_db_direct(&c), "host=pg", "the direct connection");
    T_CHECK(!cfg_db_direct_pooled(&c), "not through the pooler");
    cfg_clear(&c);
}

static void test_list(void)
{
    struct config c;
    char *err;
    char *none[] = {"serve", NULL};
    T_CHECK(parse(&c, CFG_SERVE, 1, none, &err) == CFG_OK && !*c.db_replicas, "no replica");
    cfg_clear(&c);
    char *two[] = {"serve", "--db-replica", "host=a port=1", "--db-replica=host=b", NULL};
    T_CHECK(parse(&c, CFG_SERVE, 4, two, &err) == CFG_OK, "two replicas parse");
    T_STREQ(c.db_replicas, "host=a port=1\nhost=b", "repeated flags add up, a line each");
    T_CHECK(c.replica_max_lag == 5000, "default lag 5 s");
    cfg_clear(&c);
}

static void test_usage(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_usage(f, CFG_SERVE);
    fclose(f);
    T_CHECK(strstr(buf, "--listen") && strstr(buf, "DATABASE_URL") && strstr(buf, "/api/v1"),
            "usage lists flags, env and defaults");
    T_CHECK(!strstr(buf, "--no-such"), "usage sane");
    free(buf);
}

int main(void)
{
    test_defaults();
    test_precedence();
    test_file_scopes();
    test_errors();
    test_pooler();
    test_list();
    test_usage();
    T_DONE();
}
