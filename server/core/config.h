/* config — ONE table of settings drives command-line flags, environment variables, the optional
 * config file (`key = value` lines) and --help. Precedence: default < file < env < flag. */
#ifndef CONFIG_H
#define CONFIG_H
#include "util.h"
#include <stdbool.h>
#include <stdio.h>

/* Which program/subcommand a setting applies to (for --help and for accepting the flag). */
enum cfg_scope { CFG_SERVE = 1, CFG_DB = 2, CFG_IMPORT = 4, CFG_ALL = 7 };

struct config {
    char *db;              /* libpq conninfo or URI */
    char *db_pooler;       /* none, session or transaction: what --db reaches (PgBouncer's modes) */
    char *db_direct;       /* conninfo for long jobs holding a session (loads, dumps); "": --db */
    char *db_replicas;     /* read replicas' conninfos, one a line (--db-replica, repeatable) */
    int replica_max_lag;   /* milliseconds of replay lag beyond which a replica takes no reads */
    char *listen;          /* HOST:PORT */
    int threads;           /* 0 = number of cores */
    char *sru;             /* Taiwan API service root path */
    char *site_url;
    char *timezone;        /* portal local time for the Taiwan API */
    int db_pool_min;       /* connections per thread kept open */
    int db_pool_max;       /* connections per thread at most */
    int db_queue_max;      /* requests per thread waiting for a connection */
    int max_requests;      /* requests in flight per thread; 503 beyond */
    int max_header_size;
    int max_body_size;
    int timeout;           /* seconds, idle/read/write timeout of a client connection */
    char *log_file;        /* "" = stderr */
    int header_timeout;    /* seconds for a whole request head */
    int body_min_rate;     /* bytes/s a request body must average (0: none) */
    int max_conns_per_ip;  /* open connections per client address (0: no cap) */
    int statement_timeout; /* milliseconds */
    int connect_timeout;   /* seconds, database connection set-up */
    int tw_list_max;       /* largest limit accepted by the Taiwan list endpoints */
    int datastore_rows_max; /* largest page of datastore rows (CKAN rows_max) */
    char *nearest_schools_resource; /* the school list /v1/nearest-schools searches ("": none) */
    int tw_datastore_limit; /* rows of Taiwan endpoint 7 when no limit is given */
    bool datastore_prepared; /* datastore reads by prepared statements (ds_read.c) */
    bool datastore_sql;    /* CKAN datastore_search_sql served (off: unknown action) */
    bool tw_groups_used;   /* rest/group lists only categories in use */
    bool create_user_via_api; /* anyone may call user_create, not only sysadmins */
    bool access_log;
    char *cors_origins;    /* "*", space-separated origins, or "" (no CORS headers) */
    char *trusted_proxies; /* addresses/CIDRs whose X-Forwarded-For is believed, or "" */
    int search_cache_mb;   /* package_search answers kept in memory (MiB); 0 = none */
    int verbosity;
    char *dump_dir;        /* cache of Taiwan dump zips; "" = util_share_dir's var/cache/dumps */
    int dump_workers;      /* threads that build dumps (blocking libpq, deflate, file writes) */
    int dump_zip_level;    /* deflate level of dump zips (0 = stored) */
    int dump_streams_max;  /* CKAN /datastore/dump streams at once (each holds a connection) */
    char *upload_dir;      /* uploaded files; "" = util_share_dir's var/uploads */
    int max_upload_size;   /* bytes of one uploaded file */
    int xloader_max_size;  /* bytes of a fetched resource URL; 0 = max_upload_size */
    int xloader_timeout;   /* seconds of a whole fetch */
    int xloader_connect_timeout; /* seconds to connect */
    bool xloader_allow_private; /* private/loopback/link-local addresses fetched */
    char *config_file;
    /* opendata-import csv|xml */
    char *resource_id;
    char *dataset;         /* Taiwan identifier of the dataset to create a missing resource in */
    char *encoding;        /* auto, utf-8, big5, cp950 */
    char *delimiter;       /* auto, tab or one character */
    char *record;          /* XML record element name or path; empty = detect */
    int jobs;              /* catalog: connections (0 = online CPUs, capped) */
    int sample_rows;       /* rows the column types are inferred from */
    bool dry_run;
    bool no_search_index;
};

/* CFG_LIST: a string setting given any number of times, the values joined by newlines. */
enum cfg_type { CFG_STR, CFG_INT, CFG_BOOL, CFG_LIST };

struct cfg_entry {
    const char *name;      /* flag --name and config-file key */
    const char *env;       /* environment variable or NULL */
    enum cfg_type type;
    size_t offset;         /* into struct config */
    const char *def;
    long min, max;         /* for CFG_INT */
    unsigned scope;
    const char *help;
};

/* Outcome of cfg_parse. */
enum cfg_result { CFG_OK = 0, CFG_HELP = 1, CFG_ERROR = -1 };

/* Fill c from defaults, file, environment and argv (flags of `scope` only). Non-flag arguments
 * are returned in pos (malloc'd array of argv pointers, *npos of them). On CFG_ERROR *err is a
 * malloc'd message. */
enum cfg_result cfg_parse(struct config *c, unsigned scope, int argc, char **argv, char ***pos,
                          int *npos, char **err) MUSTCHECK;
void cfg_usage(FILE *f, unsigned scope);
/* --db-pooler as a number: CFG_POOLER_NONE, _SESSION, _TRANSACTION; -1 when unknown. */
enum { CFG_POOLER_NONE, CFG_POOLER_SESSION, CFG_POOLER_TRANSACTION };
int cfg_pooler(const struct config *c);
/* The connection string of jobs that hold a session (--db-direct, else --db), and whether it
 * reaches a pooler (no startup options then). */
const char *cfg_db_direct(const struct config *c);
bool cfg_db_direct_pooled(const struct config *c);
void cfg_clear(struct config *c);
/* Set one setting by name from text; returns false with *err when name or value is bad. */
bool cfg_set(struct config *c, const char *name, const char *value, unsigned scope,
             char **err) MUSTCHECK;

#endif
