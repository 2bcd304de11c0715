/* opendatad — entry point: `serve`, `db init`, `user ...`, `routes`. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckan_family.h"
#include "config.h"
#include "ds_family.h"
#include "hkf_family.h"
#include "log.h"
#include "migrate.h"
#include "pgconn.h"
#include "routes_cli.h"
#include "scache.h"
#include "server.h"
#include "hk_family.h"
#include "legacy_family.h"
#include "tw_family.h"
#include "user_cli.h"
#include "util.h"
#include "version.h"
#include "web_family.h"

/* The API families served, in the order their routes are matched; CKAN answers the paths
 * nobody claims. The kept answers (no routes) serve the Taiwan and CKAN families. */
static const struct srv_family *const families[] = {
    &scache_family,
    &tw_family,
    &ds_family,
    &hkf_family,
    &hk_family,
    &legacy_family,
    &web_family,
    &ckan_family,
};
#define FALLBACK_FAMILY (&ckan_family)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: opendatad serve [options]\n"
            "       opendatad db init [--db CONNINFO]\n"
            "       opendatad user add NAME [--sysadmin] [--email E] [--db CONNINFO]\n"
            "       opendatad user list|remove|password|token|member ...  (opendatad user --help)\n"
            "       opendatad routes    (the HTTP routes and CKAN actions served, as JSON)\n\n");
    cfg_usage(f, CFG_SERVE | CFG_DB);
}

/* Connect for a command-line task; NULL after printing why. */
static PGconn *connect_blocking(const struct config *cfg)
{
    if (!*cfg->db) {
        log_error("no database: give --db CONNINFO or set DATABASE_URL");
        return NULL;
    }
    char *err = NULL;
    PGconn *pg = pgconn_open_uri(cfg->db, &err);
    if (!pg) {
        log_error("cannot connect to the database: %s", err);
        free(err);
        return NULL;
    }
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    return pg;
}

static int cmd_db_init(const struct config *cfg)
{
    PGconn *pg = connect_blocking(cfg);
    if (!pg)
        return 1;
    char *dir = migrate_sql_dir(), *err = NULL;
    bool ok = migrate_apply(pg, dir, &err);
    if (!ok) {
        log_error("%s", err);
        free(err);
    }
    free(dir);
    PQfinish(pg);
    return ok ? 0 : 1;
}

/* The database must be reachable and migrated before serving. */
static bool serve_precheck(const struct config *cfg)
{
    PGconn *pg = connect_blocking(cfg);
    if (!pg)
        return false;
    char *dir = migrate_sql_dir(), *err = NULL;
    struct migrate_status st;
    bool ok = migrate_status(pg, dir, &st, &err);
    free(dir);
    PQfinish(pg);
    if (!ok) {
        log_error("%s", err);
        free(err);
        return false;
    }
    if (st.migrations > 0 || st.functions > 0) {
        log_error("the database schema is not up to date (%d migrations pending, %d function "
                  "files changed): run `opendatad db init` first",
                  st.migrations, st.functions);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("opendatad %s\n", OPENDATAD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "user") == 0)
        return user_cli(argc - 1, argv + 1);
    if (strcmp(cmd, "routes") == 0) {
        if (argc > 2) {
            log_error("unexpected argument \"%s\"", argv[2]);
            return 2;
        }
        return routes_print(stdout, families, ARRAY_LEN(families));
    }
    bool db_init = strcmp(cmd, "db") == 0;
    if (db_init && (argc < 3 || strcmp(argv[2], "init") != 0)) {
        log_error("unknown command: expected `db init`");
        return 2;
    }
    if (!db_init && strcmp(cmd, "serve") != 0) {
        log_error("unknown command \"%s\"", cmd);
        usage(stderr);
        return 2;
    }
    struct config cfg;
    char **pos = NULL, *err = NULL;
    int npos = 0, shift = db_init ? 2 : 1;
    enum cfg_result cr = cfg_parse(&cfg, db_init ? CFG_DB : CFG_SERVE, argc - shift, argv + shift,
                                   &pos, &npos, &err);
    int status = 2;
    if (cr == CFG_HELP) {
        usage(stdout);
        status = 0;
    } else if (cr == CFG_ERROR) {
        log_error("%s", err);
    } else if (npos > 0) {
        log_error("unexpected argument \"%s\"", pos[0]);
    } else {
        log_verbosity = cfg.verbosity;
        if (db_init) {
            status = cmd_db_init(&cfg);
        } else {
            log_timestamps = true; /* a long-running server: every line says when */
            status = serve_precheck(&cfg)
                         ? srv_run(&cfg, families, ARRAY_LEN(families), FALLBACK_FAMILY)
                         : 1;
        }
    }
    free(err);
    free(pos);
    cfg_clear(&cfg);
    return status;
}
