/* opendata-import — load data into the portal: `catalog FILE` (Taiwan metadata JSON). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_in.h"
#include "config.h"
#include "log.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: opendata-import catalog FILE [--db CONNINFO] [--timezone TZ]\n\n"
               "  catalog FILE  Taiwan dataset metadata JSON: one object, an array of objects,\n"
               "                or a data.gov.tw v1 answer {\"success\": true, \"result\": ...};\n"
               "                exit status 1 when any record failed (the others are imported)\n\n");
    cfg_usage(f, CFG_IMPORT);
}

static int cmd_catalog(const struct config *cfg, const char *file)
{
    PGconn *pg = PQconnectdb(cfg->db);
    if (PQstatus(pg) != CONNECTION_OK) {
        const char *m = PQerrorMessage(pg);
        log_error("cannot connect to the database: %.*s", (int)strcspn(m, "\n"), m);
        PQfinish(pg);
        return 1;
    }
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    char *dir = util_share_dir("OPENDATAD_SCHEMA_DIR", "schemas");
    char *schema = xasprintf("%s/tw-dataset-metadata.schema.json", dir);
    struct catin_stats st = {0};
    char *err = NULL;
    bool ok = catin_import_file(pg, file, schema, cfg->timezone, &st, &err);
    if (!ok) {
        log_error("%s", err);
        free(err);
    } else {
        fprintf(stderr, "%s: %d created, %d updated, %d unchanged, %d failed\n", log_progname,
                st.created, st.updated, st.unchanged, st.failed);
    }
    free(schema);
    free(dir);
    PQfinish(pg);
    return ok && st.failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    log_progname = "opendata-import";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "catalog") != 0) {
        log_error("unknown command \"%s\" (this build imports: catalog)", argv[1]);
        return 2;
    }
    struct config cfg;
    char **pos = NULL, *err = NULL;
    int npos = 0, status = 2;
    enum cfg_result cr = cfg_parse(&cfg, CFG_IMPORT, argc - 1, argv + 1, &pos, &npos, &err);
    if (cr == CFG_HELP) {
        usage(stdout);
        status = 0;
    } else if (cr == CFG_ERROR) {
        log_error("%s", err);
    } else if (npos != 1) {
        log_error("expected one FILE argument");
    } else if (!*cfg.db) {
        log_error("no database: give --db CONNINFO or set DATABASE_URL");
    } else {
        log_verbosity = cfg.verbosity;
        status = cmd_catalog(&cfg, pos[0]);
    }
    free(err);
    free(pos);
    cfg_clear(&cfg);
    return status;
}
