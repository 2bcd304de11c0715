/* user_cli — `opendatad user add NAME [--sysadmin] [--email E]`: create the user when missing
 * and print one new API token, alone on the last line of stdout. Only its SHA-256 is stored. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "config.h"
#include "log.h"
#include "pgconn.h"
#include "util.h"

struct user_args {
    const char *name, *email;
    bool sysadmin;
};

/* 32 random bytes, base64url without padding (43 characters). */
static char *new_token(void)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33] = {0};
    if (getrandom(raw, 32, 0) != 32)
        return NULL;
    char *out = xmalloc(45);
    size_t o = 0;
    for (size_t i = 0; i < 33; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 18; k >= 0; k -= 6)
            out[o++] = b64[(v >> k) & 63];
    }
    out[43] = '\0';
    return out;
}

/* Split our own flags from the settings flags passed on to cfg_parse. */
static bool parse_user_args(int argc, char **argv, struct user_args *ua, char **rest, int *nrest)
{
    *nrest = 0;
    rest[(*nrest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sysadmin") == 0)
            ua->sysadmin = true;
        else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
            ua->email = argv[++i];
        else if (strncmp(argv[i], "--email=", 8) == 0)
            ua->email = argv[i] + 8;
        else if (argv[i][0] != '-' && !ua->name && i > 1)
            ua->name = argv[i];
        else if (i == 1 && strcmp(argv[i], "add") == 0)
            continue;
        else
            rest[(*nrest)++] = argv[i];
    }
    return argc >= 2 && strcmp(argv[1], "add") == 0;
}

static int user_store(PGconn *pg, const struct user_args *ua, const char *token)
{
    const char *params[4] = {ua->name, ua->email, ua->sysadmin ? "true" : "false", token};
    PGresult *res = PQexecParams(pg,
        "WITH u AS (INSERT INTO users (name, email, sysadmin) VALUES ($1, $2, $3::boolean) "
        "  ON CONFLICT (name) DO UPDATE SET email = coalesce($2, users.email), "
        "  sysadmin = users.sysadmin OR $3::boolean RETURNING id) "
        "INSERT INTO api_token (id, user_id, name, token_hash) "
        "SELECT gen_random_uuid()::text, id, 'cli', sha256(convert_to($4, 'UTF8')) FROM u",
        4, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        const char *m = PQresultErrorMessage(res);
        log_error("cannot add user \"%s\": %.*s", ua->name, (int)strcspn(m, "\n"), m);
    }
    PQclear(res);
    return ok ? 0 : 1;
}

int user_add(const struct config *unused, int argc, char **argv);

int user_add(const struct config *unused, int argc, char **argv)
{
    (void)unused;
    struct user_args ua = {0};
    char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
    int nrest;
    if (!parse_user_args(argc, argv, &ua, rest, &nrest) || !ua.name) {
        log_error("usage: opendatad user add NAME [--sysadmin] [--email E] [--db CONNINFO]");
        free(rest);
        return 2;
    }
    struct config cfg;
    char **pos = NULL, *err = NULL;
    int npos, status = 1;
    enum cfg_result cr = cfg_parse(&cfg, CFG_DB, nrest, rest, &pos, &npos, &err);
    if (cr != CFG_OK || npos > 0) {
        log_error("%s", err ? err : "unexpected argument");
        status = 2;
    } else if (!*cfg.db) {
        log_error("no database: give --db CONNINFO or set DATABASE_URL");
    } else {
        char *cerr = NULL;
        PGconn *pg = pgconn_open_uri(cfg.db, &cerr);
        char *token = new_token();
        if (!pg)
            log_error("cannot connect to the database: %s", cerr);
        else if (token && (status = user_store(pg, &ua, token)) == 0)
            printf("user %s has a new API token:\n%s\n", ua.name, token);
        free(token);
        free(cerr);
        PQfinish(pg);
    }
    free(err);
    free(pos);
    free(rest);
    cfg_clear(&cfg);
    return status;
}
