/* config — one settings table for flags, environment, config file and --help. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "util.h"

#define OFF(f) offsetof(struct config, f)
#define S CFG_SERVE
#define D CFG_DB
#define I CFG_IMPORT

static const struct cfg_entry cfg_table[] = {
    {"db", "DATABASE_URL", CFG_STR, OFF(db), "", 0, 0, CFG_ALL,
     "PostgreSQL connection string or URI"},
    {"db-pooler", "OPENDATAD_DB_POOLER", CFG_STR, OFF(db_pooler), "none", 0, 0, S,
     "what --db reaches: none (PostgreSQL itself), session or transaction (a PgBouncer pool in "
     "that mode: no startup options; transaction: no named prepared statements either)"},
    {"db-direct", "OPENDATAD_DB_DIRECT", CFG_STR, OFF(db_direct), "", 0, 0, S,
     "connection string for jobs that hold a session for long (DataStore loads, dump builds): "
     "PostgreSQL itself when --db is a transaction pool (default: --db)"},
    {"db-replica", "OPENDATAD_DB_REPLICA", CFG_LIST, OFF(db_replicas), "", 0, 0, S,
     "a read replica (repeatable): anonymous reads go to one that is up and not lagging; "
     "writes and the reads of callers with credentials go to --db"},
    {"replica-max-lag", "OPENDATAD_REPLICA_MAX_LAG", CFG_INT, OFF(replica_max_lag), "5000", 0,
     86400000, S, "milliseconds of replay lag beyond which a replica takes no reads"},
    {"listen", "OPENDATAD_LISTEN", CFG_STR, OFF(listen), "127.0.0.1:5000", 0, 0, S,
     "HOST:PORT to serve HTTP on"},
    {"threads", "OPENDATAD_THREADS", CFG_INT, OFF(threads), "0", 0, 256, S,
     "event-loop threads (0 = number of cores)"},
    {"sru", "OPENDATAD_SRU", CFG_STR, OFF(sru), "/api/v1", 0, 0, S,
     "service root path of the Taiwan common API (e.g. /api/v1 or /api)"},
    {"site-url", "OPENDATAD_SITE_URL", CFG_STR, OFF(site_url), "", 0, 0, S,
     "public base URL of the portal (CKAN help links, site_url); empty: http:// and the listen "
     "address (this machine's name for 0.0.0.0 or [::])"},
    {"timezone", "OPENDATAD_TIMEZONE", CFG_STR, OFF(timezone), "Asia/Taipei", 0, 0, S | I,
     "portal local time zone for Taiwan API times"},
    {"db-pool-min", "OPENDATAD_DB_POOL_MIN", CFG_INT, OFF(db_pool_min), "2", 1, 64, S,
     "database connections kept open per thread"},
    {"db-pool-max", "OPENDATAD_DB_POOL_MAX", CFG_INT, OFF(db_pool_max), "8", 1, 256, S,
     "database connections per thread at most (grown while queries are slow)"},
    {"db-queue-max", "OPENDATAD_DB_QUEUE_MAX", CFG_INT, OFF(db_queue_max), "16384", 1, 1000000,
     S, "requests per thread waiting for a database connection; 503 beyond"},
    {"max-requests", "OPENDATAD_MAX_REQUESTS", CFG_INT, OFF(max_requests), "8192", 1, 1000000, S,
     "requests in flight per thread; 503 beyond"},
    {"max-header-size", "OPENDATAD_MAX_HEADER_SIZE", CFG_INT, OFF(max_header_size), "65536",
     1024, 1 << 24, S, "largest request header block in bytes (431/400 beyond)"},
    {"max-body-size", "OPENDATAD_MAX_BODY_SIZE", CFG_INT, OFF(max_body_size), "10485760", 0,
     1 << 30, S, "largest request body in bytes (413 beyond)"},
    {"timeout", "OPENDATAD_TIMEOUT", CFG_INT, OFF(timeout), "60", 1, 86400, S,
     "client connection read/write/idle timeout in seconds"},
    {"header-timeout", "OPENDATAD_HEADER_TIMEOUT", CFG_INT, OFF(header_timeout), "10", 1, 3600,
     S, "seconds a client has to send a whole request head (from its first byte, or from "
        "connecting); the connection is closed beyond"},
    {"body-min-rate", "OPENDATAD_BODY_MIN_RATE", CFG_INT, OFF(body_min_rate), "1024", 0,
     1 << 30, S, "bytes per second a request body must average after its first header-timeout "
                 "seconds; the connection is closed below (0 = no minimum)"},
    {"max-conns-per-ip", "OPENDATAD_MAX_CONNS_PER_IP", CFG_INT, OFF(max_conns_per_ip), "0", 0,
     1000000, S, "open connections per client address; requests on more get 503 and the "
                 "connection is closed (0 = no cap; behind a proxy all clients share its address)"},
    {"statement-timeout", "OPENDATAD_STATEMENT_TIMEOUT", CFG_INT, OFF(statement_timeout),
     "30000", 0, 86400000, S, "database statement timeout in milliseconds (0 = none)"},
    {"connect-timeout", "OPENDATAD_CONNECT_TIMEOUT", CFG_INT, OFF(connect_timeout), "5", 1, 600,
     S, "database connection set-up timeout in seconds"},
    {"tw-list-max", "OPENDATAD_TW_LIST_MAX", CFG_INT, OFF(tw_list_max), "1000", 1, 100000000, S,
     "largest `limit` the Taiwan list endpoints accept (ER0210 beyond)"},
    {"datastore-rows-max", "OPENDATAD_DATASTORE_ROWS_MAX", CFG_INT, OFF(datastore_rows_max),
     "32000", 1, 10000000, S, "largest page of datastore rows (limit beyond: ER0210)"},
    {"nearest-schools-resource", "OPENDATAD_NEAREST_SCHOOLS_RESOURCE", CFG_STR,
     OFF(nearest_schools_resource), "", 0, 0, S,
     "resource id of the school list /v1/nearest-schools searches (none: it answers 404)"},
    {"tw-datastore-limit", "OPENDATAD_TW_DATASTORE_LIMIT", CFG_INT, OFF(tw_datastore_limit),
     "1000", 1, 10000000, S, "rows of rest/datastore when no limit is given"},
    {"datastore-prepared", "OPENDATAD_DATASTORE_PREPARED", CFG_BOOL, OFF(datastore_prepared),
     "true", 0, 0, S,
     "datastore reads through statements prepared per request shape (false: the same SQL, unprepared)"},
    {"datastore-sql", "OPENDATAD_DATASTORE_SQL", CFG_BOOL, OFF(datastore_sql), "false", 0, 0, S,
     "serve CKAN's datastore_search_sql: one read-only SELECT over datastore tables, as a role "
     "that reads nothing else (off: the action is unknown, as in CKAN)"},
    {"tw-groups-used", "OPENDATAD_TW_GROUPS_USED", CFG_BOOL, OFF(tw_groups_used), "false", 0, 0,
     S, "rest/group lists only categories used by a dataset (default: all 18)"},
    {"create-user-via-api", "OPENDATAD_CREATE_USER_VIA_API", CFG_BOOL, OFF(create_user_via_api),
     "false", 0, 0, S,
     "anyone may call CKAN's user_create (CKAN's ckan.auth.create_user_via_api; sysadmins always may)"},
    {"access-log", "OPENDATAD_ACCESS_LOG", CFG_BOOL, OFF(access_log), "true", 0, 0, S,
     "write one line per request to stderr"},
    {"trusted-proxies", "OPENDATAD_TRUSTED_PROXIES", CFG_STR, OFF(trusted_proxies), "", 0, 0, S,
     "reverse proxies (IP addresses or ADDRESS/BITS, comma-separated) whose X-Forwarded-For "
     "names the client in the access log; empty: none"},
    {"cors-origins", "OPENDATAD_CORS_ORIGINS", CFG_STR, OFF(cors_origins), "*", 0, 0, S,
     "origins browsers may call the API from (CORS): * for any, a space-separated list such as "
     "\"https://a.example https://b.example\", or empty for none"},
    {"search-cache-mb", "OPENDATAD_SEARCH_CACHE_MB", CFG_INT, OFF(search_cache_mb), "32", 0,
     65536, S, "memory for package_search answers without q kept between writes (MiB; 0 = "
     "no cache)"},
    {"log-file", "OPENDATAD_LOG_FILE", CFG_STR, OFF(log_file), "", 0, 0, S,
     "write the log (access lines included) to this file instead of stderr; SIGHUP reopens "
     "it (for log rotation)"},
    {"verbosity", "OPENDATAD_VERBOSITY", CFG_INT, OFF(verbosity), "2", 0, 3, CFG_ALL,
     "log level: 0 errors, 1 warnings, 2 info, 3 debug"},
    {"dump-dir", "OPENDATAD_DUMP_DIR", CFG_STR, OFF(dump_dir), "", 0, 0, S,
     "directory of cached dump zips (default: var/cache/dumps beside the program's bin/ in a "
     "build tree, /var/lib/opendatad/cache/dumps when installed)"},
    {"upload-dir", "OPENDATAD_UPLOAD_DIR", CFG_STR, OFF(upload_dir), "", 0, 0, S,
     "directory of uploaded resource files and of uploads being received (default: "
     "var/uploads beside the program's bin/ in a build tree, /var/lib/opendatad/uploads when "
     "installed)"},
    {"max-upload-size", "OPENDATAD_MAX_UPLOAD_SIZE", CFG_INT, OFF(max_upload_size),
     "1073741824", 0, 2147483647,
     S, "largest file accepted in a multipart upload (bytes); larger ones get 413"},
    {"xloader-max-size", "OPENDATAD_XLOADER_MAX_SIZE", CFG_INT, OFF(xloader_max_size), "0", 0,
     2147483647, S, "largest file xloader_submit fetches from a resource's URL (bytes; 0 = "
     "--max-upload-size)"},
    {"xloader-timeout", "OPENDATAD_XLOADER_TIMEOUT", CFG_INT, OFF(xloader_timeout), "60", 1,
     86400, S, "seconds a fetch of a resource's URL may take in all, redirects included"},
    {"xloader-connect-timeout", "OPENDATAD_XLOADER_CONNECT_TIMEOUT", CFG_INT,
     OFF(xloader_connect_timeout), "10", 1, 3600, S,
     "seconds to connect to a resource's URL's host"},
    {"xloader-allow-private", "OPENDATAD_XLOADER_ALLOW_PRIVATE", CFG_BOOL,
     OFF(xloader_allow_private), "false", 0, 0, S,
     "fetch resource URLs whose host has a private, loopback or link-local address (off: such "
     "fetches are refused)"},
    {"dump-workers", "OPENDATAD_DUMP_WORKERS", CFG_INT, OFF(dump_workers), "2", 1, 64, S,
     "threads that read and compress datastore dumps"},
    {"dump-zip-level", "OPENDATAD_DUMP_ZIP_LEVEL", CFG_INT, OFF(dump_zip_level), "1", 0, 9, S,
     "deflate level of the Taiwan dump zips (0 = stored, 1 = fastest, 9 = smallest)"},
    {"dump-streams-max", "OPENDATAD_DUMP_STREAMS_MAX", CFG_INT, OFF(dump_streams_max), "32", 1,
     10000, S, "CKAN /datastore/dump streams at once (each holds a database connection); 503 "
     "beyond"},
    {"config", "OPENDATAD_CONFIG", CFG_STR, OFF(config_file), "", 0, 0, S | D,
     "configuration file of `name = value` lines (names as the flags)"},
    {"resource-id", NULL, CFG_STR, OFF(resource_id), "", 0, 0, I,
     "csv/xml: the resource whose DataStore table the file replaces"},
    {"dataset", NULL, CFG_STR, OFF(dataset), "", 0, 0, I,
     "csv/xml: create a missing resource in the dataset with this identifier (any case)"},
    {"encoding", NULL, CFG_STR, OFF(encoding), "auto", 0, 0, I,
     "csv/xml: file encoding: auto, utf-8, big5 or cp950"},
    {"delimiter", NULL, CFG_STR, OFF(delimiter), "auto", 0, 0, I,
     "csv: field delimiter: auto (, ; or tab), tab, or one character"},
    {"record", NULL, CFG_STR, OFF(record), "", 0, 0, I,
     "xml: record element, a name (row) or a path (/dataset/row); default: detected"},
    {"jobs", NULL, CFG_INT, OFF(jobs), "0", 0, 16, I,
     "catalog: database connections the records are dealt to (0 = online CPUs, at most 4)"},
    {"sample-rows", NULL, CFG_INT, OFF(sample_rows), "10000", 1, 100000000, I,
     "csv/xml: rows the column types are inferred from"},
    {"dry-run", NULL, CFG_BOOL, OFF(dry_run), "false", 0, 0, I,
     "csv/xml: print encoding, delimiter, record, fields and types; load nothing"},
    {"no-search-index", NULL, CFG_BOOL, OFF(no_search_index), "false", 0, 0, I,
     "skip the indexes built after the swap (q trigram, filter btrees); the data is usable without them"},
};

static const struct cfg_entry *cfg_find(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_table); i++)
        if (strlen(cfg_table[i].name) == len && strncmp(cfg_table[i].name, name, len) == 0)
            return &cfg_table[i];
    return NULL;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = true, true;
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

static bool cfg_assign(struct config *c, const struct cfg_entry *e, const char *value, char **err)
{
    char *field = (char *)c + e->offset;
    if (e->type == CFG_LIST && *(char **)field && **(char **)field && *value) {
        char *joined = xasprintf("%s\n%s", *(char **)field, value);
        free(*(char **)field);
        *(char **)field = joined;
        return true;
    }
    if (e->type == CFG_STR || e->type == CFG_LIST) {
        free(*(char **)field);
        *(char **)field = xstrdup(value);
        return true;
    }
    if (e->type == CFG_BOOL) {
        if (parse_bool(value, (bool *)field))
            return true;
        *err = xasprintf("--%s: expected true or false, got \"%s\"", e->name, value);
        return false;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < e->min || v > e->max) {
        *err = xasprintf("--%s: expected an integer from %ld to %ld, got \"%s\"", e->name, e->min,
                         e->max, value);
        return false;
    }
    *(int *)field = (int)v;
    return true;
}

bool cfg_set(struct config *c, const char *name, const char *value, unsigned scope, char **err)
{
    const struct cfg_entry *e = cfg_find(name, strlen(name));
    if (!e || !(e->scope & scope)) {
        *err = xasprintf("unknown setting \"%s\"", name);
        return false;
    }
    return cfg_assign(c, e, value, err);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && strchr(" \t\r\n", end[-1]))
        *--end = '\0';
    return s;
}

/* Read `name = value` lines; '#' starts a comment line. One file serves every command (serve,
 * db init, user ...): a setting of another command is skipped, an unknown name is an error. */
static bool cfg_read_file(struct config *c, const char *path, unsigned scope, char **err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = xasprintf("cannot open config file %s: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            *err = xasprintf("%s:%d: expected name = value", path, lineno);
            ok = false;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *inner = NULL;
        const struct cfg_entry *e = cfg_find(name, strlen(name));
        if (e && !(e->scope & scope))
            continue;
        if (!cfg_set(c, name, trim(eq + 1), scope, &inner)) {
            *err = xasprintf("%s:%d: %s", path, lineno, inner);
            free(inner);
            ok = false;
        }
    }
    free(line);
    fclose(f);
    return ok;
}

static bool cfg_defaults(struct config *c, char **err)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_table); i++)
        if (!cfg_assign(c, &cfg_table[i], cfg_table[i].def, err))
            return false;
    return true;
}

static bool cfg_apply_env(struct config *c, unsigned scope, char **err)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_table); i++) {
        const struct cfg_entry *e = &cfg_table[i];
        const char *v = e->env ? getenv(e->env) : NULL;
        if (v && (e->scope & scope) && !cfg_assign(c, e, v, err))
            return false;
    }
    return true;
}

/* The value of --config given on the command line, if any. */
static const char *argv_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

static enum cfg_result cfg_apply_argv(struct config *c, unsigned scope, int argc, char **argv,
                                      char ***pos, int *npos, char **err)
{
    *pos = xcalloc((size_t)argc + 1, sizeof(char *));
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return CFG_HELP;
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            (*pos)[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct cfg_entry *e = cfg_find(name, len);
        if (!e || !(e->scope & scope)) {
            *err = xasprintf("unknown option --%.*s", (int)len, name);
            return CFG_ERROR;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && e->type == CFG_BOOL && !(i + 1 < argc && argv[i + 1][0] != '-'))
            value = "true";
        if (!value && i + 1 >= argc) {
            *err = xasprintf("option --%s needs a value", e->name);
            return CFG_ERROR;
        }
        if (!value)
            value = argv[++i];
        if (!cfg_assign(c, e, value, err))
            return CFG_ERROR;
    }
    return CFG_OK;
}

enum cfg_result cfg_parse(struct config *c, unsigned scope, int argc, char **argv, char ***pos,
                          int *npos, char **err)
{
    memset(c, 0, sizeof(*c));
    *pos = NULL;
    *npos = 0;
    if (!cfg_defaults(c, err))
        return CFG_ERROR;
    const char *file = argv_config(argc, argv);
    if (!file)
        file = getenv("OPENDATAD_CONFIG");
    if (file && *file && !cfg_read_file(c, file, scope, err))
        return CFG_ERROR;
    if (!cfg_apply_env(c, scope, err))
        return CFG_ERROR;
    enum cfg_result r = cfg_apply_argv(c, scope, argc, argv, pos, npos, err);
    if (r == CFG_OK && (scope & S) && cfg_pooler(c) < 0) {
        *err = xasprintf("--db-pooler must be none, session or transaction, got \"%s\"",
                         c->db_pooler);
        return CFG_ERROR;
    }
    if (r == CFG_OK && (scope & S) && !*c->site_url) {
        char *url = netaddr_site_url(c->listen); /* NULL: the listen address is refused later */
        if (url) {
            free(c->site_url);
            c->site_url = url;
        }
    }
    return r;
}

int cfg_pooler(const struct config *c)
{
    static const char *const modes[] = {"none", "session", "transaction"};
    for (size_t i = 0; c->db_pooler && i < ARRAY_LEN(modes); i++)
        if (strcmp(c->db_pooler, modes[i]) == 0)
            return (int)i;
    return -1;
}

const char *cfg_db_direct(const struct config *c)
{
    return *c->db_direct ? c->db_direct : c->db;
}

bool cfg_db_direct_pooled(const struct config *c)
{
    return !*c->db_direct && cfg_pooler(c) != CFG_POOLER_NONE;
}

void cfg_usage(FILE *f, unsigned scope)
{
    fprintf(f, "options (flag, environment variable, default):\n");
    for (size_t i = 0; i < ARRAY_LEN(cfg_table); i++) {
        const struct cfg_entry *e = &cfg_table[i];
        if (!(e->scope & scope))
            continue;
        fprintf(f, "  --%-20s %s\n  %-22s [%s%s%s]\n", e->name, e->help, "",
                e->env ? e->env : "", e->env ? ", " : "", *e->def ? e->def : "none");
    }
}

void cfg_clear(struct config *c)
{
    for (size_t i = 0; i < ARRAY_LEN(cfg_table); i++)
        if (cfg_table[i].type == CFG_STR || cfg_table[i].type == CFG_LIST) {
            char **p = (char **)((char *)c + cfg_table[i].offset);
            free(*p);
            *p = NULL;
        }
}
