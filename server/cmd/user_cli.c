/* user_cli — `opendatad user ...` (see user_cli.h). `user add` is the first command and keeps
 * its own argument handling; the others share one table and sql/functions/13_users.sql. */
#include "user_cli.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "passwd.h"
#include "pgconn.h"
#include "util.h"

#define UCLI_PASSWORD_MAX 4096 /* bytes of a password read from stdin */

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

/* `user add NAME [--sysadmin] [--email E]`: create the user when missing and print one new
 * API token, alone on the last line of stdout. Only its SHA-256 is stored. */
static int user_add(int argc, char **argv)
{
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

/* ---- the other commands ------------------------------------------------------------------ */

struct ucli_opts {
    bool json;
    const char *token_name;
    char **args; /* the operands */
};

struct ucli_cmd {
    const char *words, *usage, *help;
    int nargs;
    bool json, name; /* --json, --name N accepted */
    int (*run)(PGconn *pg, const struct ucli_opts *o);
};

/* The first line of the database's message for a failed statement (a refusal of
 * sql/functions/13_users.sql is its exception's message). */
static void ucli_db_error(const PGresult *res)
{
    const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (!m)
        m = PQresultErrorMessage(res);
    log_error("%.*s", (int)strcspn(m, "\n"), m);
}

/* One statement with text parameters; its rows, or NULL after printing why. */
static PGresult *ucli_query(PGconn *pg, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return res;
    ucli_db_error(res);
    PQclear(res);
    return NULL;
}

#define PG_BOOLOID 16
#define PG_INT8OID 20

/* A value as a table shows it: yes/no for booleans, "-" for NULL. */
static const char *ucli_cell(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return "-";
    const char *v = PQgetvalue(res, row, col);
    if (PQftype(res, col) == PG_BOOLOID)
        return *v == 't' ? "yes" : "no";
    return v;
}

static size_t ucli_width(const char *s)
{
    size_t n = strlen(s);
    return util_utf8_valid(s, n) ? util_utf8_len(s, n) : n;
}

/* The rows under the given column titles, columns padded to their widest value. */
static void ucli_print_table(const PGresult *res, const char *const *titles)
{
    int rows = PQntuples(res), cols = PQnfields(res);
    size_t *w = xcalloc((size_t)cols, sizeof(size_t));
    for (int c = 0; c < cols; c++) {
        w[c] = ucli_width(titles[c]);
        for (int r = 0; r < rows; r++)
            if (ucli_width(ucli_cell(res, r, c)) > w[c])
                w[c] = ucli_width(ucli_cell(res, r, c));
    }
    for (int r = -1; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            const char *v = r < 0 ? titles[c] : ucli_cell(res, r, c);
            if (c == cols - 1)
                printf("%s\n", v);
            else
                printf("%s%*s  ", v, (int)(w[c] - ucli_width(v)), "");
        }
    free(w);
}

/* The rows as a JSON array of objects named by the columns (booleans, integers and nulls as
 * JSON has them). */
static void ucli_print_json(const PGresult *res)
{
    json_object *arr = json_object_new_array();
    for (int r = 0; r < PQntuples(res); r++) {
        json_object *o = json_object_new_object();
        for (int c = 0; c < PQnfields(res); c++) {
            const char *v = PQgetvalue(res, r, c);
            json_object *j = NULL;
            if (PQgetisnull(res, r, c))
                j = NULL;
            else if (PQftype(res, c) == PG_BOOLOID)
                j = json_object_new_boolean(*v == 't');
            else if (PQftype(res, c) == PG_INT8OID)
                j = json_object_new_int64(strtoll(v, NULL, 10));
            else
                j = json_object_new_string(v);
            json_object_object_add(o, PQfname(res, c), j);
        }
        json_object_array_add(arr, o);
    }
    printf("%s\n",
           json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
}

static int ucli_list_rows(PGconn *pg, const char *sql, const char *arg, bool json,
                          const char *const *titles)
{
    const char *params[1] = {arg};
    PGresult *res = ucli_query(pg, sql, arg ? 1 : 0, params);
    if (!res)
        return 1;
    if (json)
        ucli_print_json(res);
    else
        ucli_print_table(res, titles);
    PQclear(res);
    return 0;
}

static int ucli_list(PGconn *pg, const struct ucli_opts *o)
{
    static const char *const titles[] = {"NAME", "SYSADMIN", "STATE", "EMAIL", "TOKENS"};
    return ucli_list_rows(pg, "SELECT name, sysadmin, state, email, tokens FROM user_list()", NULL,
                          o->json, titles);
}

static int ucli_remove(PGconn *pg, const struct ucli_opts *o)
{
    PGresult *res = ucli_query(pg, "SELECT name, tokens, was_deleted FROM user_remove($1)", 1,
                               (const char *const *)o->args);
    if (!res)
        return 1;
    printf("user %s %s; %s API token(s) revoked\n", PQgetvalue(res, 0, 0),
           *PQgetvalue(res, 0, 2) == 't' ? "was deleted already" : "deleted",
           PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

/* Echo off while a password is typed at a terminal. */
static bool ucli_echo(bool on)
{
    struct termios t;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t) != 0)
        return false;
    t.c_lflag = on ? t.c_lflag | ECHO : t.c_lflag & ~(tcflag_t)ECHO;
    return tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
}

/* The first line of stdin (without its line end), malloc'd; NULL after printing why. Never
 * from argv: the command lines of processes are visible to every user of the machine. */
static char *ucli_read_password(const char *user)
{
    bool tty = isatty(STDIN_FILENO);
    if (tty)
        fprintf(stderr, "New password for %s: ", user);
    bool echo_off = tty && ucli_echo(false);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (echo_off && ucli_echo(true))
        fputc('\n', stderr);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    const char *why = n < 0                       ? "no password on stdin"
                      : n == 0                    ? "the password is empty"
                      : n > UCLI_PASSWORD_MAX     ? "the password is longer than 4096 bytes"
                      : strlen(line) != (size_t)n ? "the password holds a NUL byte"
                                                  : NULL;
    if (why) {
        log_error("%s", why);
        if (line)
            explicit_bzero(line, cap);
        free(line);
        return NULL;
    }
    return line;
}

static int ucli_password(PGconn *pg, const struct ucli_opts *o)
{
    char *pw = ucli_read_password(o->args[0]);
    if (!pw)
        return 1;
    const char *err = NULL;
    char *hash = pw_hash(pw, &err);
    explicit_bzero(pw, strlen(pw));
    free(pw);
    if (!hash) {
        log_error("%s", err);
        return 1;
    }
    const char *params[2] = {o->args[0], hash};
    PGresult *res = ucli_query(pg, "SELECT user_set_password($1, $2)", 2, params);
    free(hash);
    if (!res)
        return 1;
    printf("user %s has a new password\n", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int ucli_token_list(PGconn *pg, const struct ucli_opts *o)
{
    static const char *const titles[] = {"ID", "NAME", "CREATED", "LAST USED"};
    return ucli_list_rows(pg, "SELECT id, name, created, last_used FROM user_token_list($1)",
                          o->args[0], o->json, titles);
}

static int ucli_token_add(PGconn *pg, const struct ucli_opts *o)
{
    char *token = new_token();
    if (!token) {
        log_error("cannot read random bytes for a token");
        return 1;
    }
    const char *params[3] = {o->args[0], o->token_name ? o->token_name : "cli", token};
    PGresult *res = ucli_query(pg, "SELECT id, name FROM user_token_add($1, $2, $3)", 3, params);
    if (res)
        printf("user %s has a new API token:\n%s\n", PQgetvalue(res, 0, 1), token);
    explicit_bzero(token, strlen(token));
    free(token);
    PQclear(res);
    return res ? 0 : 1;
}

static int ucli_token_revoke(PGconn *pg, const struct ucli_opts *o)
{
    PGresult *res = ucli_query(pg, "SELECT user_token_revoke($1)", 1, (const char *const *)o->args);
    if (!res)
        return 1;
    printf("API token %s of user %s revoked\n", o->args[0], PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int ucli_member_add(PGconn *pg, const struct ucli_opts *o)
{
    PGresult *res = ucli_query(pg, "SELECT org, name, was FROM user_member_add($1, $2, $3)", 3,
                               (const char *const *)o->args);
    if (!res)
        return 1;
    const char *org = PQgetvalue(res, 0, 0), *name = PQgetvalue(res, 0, 1);
    if (PQgetisnull(res, 0, 2))
        printf("user %s is now %s of organization %s\n", name, o->args[2], org);
    else if (strcmp(PQgetvalue(res, 0, 2), o->args[2]) == 0)
        printf("user %s was %s of organization %s already\n", name, o->args[2], org);
    else
        printf("user %s is now %s of organization %s (was %s)\n", name, o->args[2], org,
               PQgetvalue(res, 0, 2));
    PQclear(res);
    return 0;
}

static int ucli_member_remove(PGconn *pg, const struct ucli_opts *o)
{
    PGresult *res = ucli_query(pg, "SELECT org, name, was FROM user_member_remove($1, $2)", 2,
                               (const char *const *)o->args);
    if (!res)
        return 1;
    printf("user %s (%s) is no longer a member of organization %s\n", PQgetvalue(res, 0, 1),
           PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static const struct ucli_cmd ucli_cmds[] = {
    {"list", "[--json]", "every user (deleted ones too): name, sysadmin, state, email, tokens", 0,
     true, false, ucli_list},
    {"remove", "NAME",
     "delete the user as CKAN does (state deleted, memberships deleted), "
     "revoking their API tokens",
     1, false, false, ucli_remove},
    {"password", "NAME", "set the user's password to the first line of stdin (yescrypt hash)", 1,
     false, false, ucli_password},
    {"token list", "NAME [--json]", "the user's API tokens: id, name, created, last used", 1, true,
     false, ucli_token_list},
    {"token add", "NAME [--name N]", "print a new API token of the user, alone on the last line", 1,
     false, true, ucli_token_add},
    {"token revoke", "TOKEN_ID", "revoke the API token with this id (see `token list`)", 1, false,
     false, ucli_token_revoke},
    {"member add", "ORG USER CAPACITY",
     "make the user admin, editor or member of the "
     "organization (name or id)",
     3, false, false, ucli_member_add},
    {"member remove", "ORG USER", "end the user's membership of the organization", 2, false, false,
     ucli_member_remove},
};

static void ucli_usage(FILE *f, const struct ucli_cmd *only)
{
    if (!only || !only->run)
        fprintf(f, "usage: opendatad user add NAME [--sysadmin] [--email E] [--db CONNINFO]\n"
                   "         create the user when missing; print a new API token, alone on "
                   "the last line\n");
    for (size_t i = 0; i < ARRAY_LEN(ucli_cmds); i++)
        if (!only || only == &ucli_cmds[i])
            fprintf(f, "%s opendatad user %s %s [--db CONNINFO]\n         %s\n",
                    only ? "usage:" : "      ", ucli_cmds[i].words, ucli_cmds[i].usage,
                    ucli_cmds[i].help);
    fputc('\n', f);
    cfg_usage(f, CFG_DB);
}

/* The command named by argv[1] (and argv[2]); *used: how many words. */
static const struct ucli_cmd *ucli_find(int argc, char **argv, int *used)
{
    for (size_t i = 0; i < ARRAY_LEN(ucli_cmds); i++) {
        const char *w = ucli_cmds[i].words, *sp = strchr(w, ' ');
        size_t n = sp ? (size_t)(sp - w) : strlen(w);
        if (argc < 2 || strlen(argv[1]) != n || strncmp(argv[1], w, n) != 0)
            continue;
        if (!sp) {
            *used = 2;
            return &ucli_cmds[i];
        }
        if (argc >= 3 && strcmp(argv[2], sp + 1) == 0) {
            *used = 3;
            return &ucli_cmds[i];
        }
    }
    return NULL;
}

static bool ucli_is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* Our flags out of argv[from..]; the rest (settings and operands) into rest after rest[0]. */
static bool ucli_flags(const struct ucli_cmd *c, int argc, char **argv, int from,
                       struct ucli_opts *o, char **rest, int *nrest)
{
    for (int i = from; i < argc; i++) {
        if (c->json && strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (c->name && strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            o->token_name = argv[++i];
        else if (c->name && strncmp(argv[i], "--name=", 7) == 0)
            o->token_name = argv[i] + 7;
        else if (c->name && strcmp(argv[i], "--name") == 0)
            return false;
        else
            rest[(*nrest)++] = argv[i];
    }
    return true;
}

static int ucli_connect_run(const struct ucli_cmd *c, const struct config *cfg,
                            const struct ucli_opts *o)
{
    if (!*cfg->db) {
        log_error("no database: give --db CONNINFO or set DATABASE_URL");
        return 1;
    }
    char *err = NULL;
    PGconn *pg = pgconn_open_uri(cfg->db, &err);
    if (!pg) {
        log_error("cannot connect to the database: %s", err);
        free(err);
        return 1;
    }
    int status = c->run(pg, o);
    PQfinish(pg);
    return status;
}

static int ucli_run(const struct ucli_cmd *c, int argc, char **argv, int used)
{
    struct ucli_opts o = {0};
    char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
    int nrest = 1;
    rest[0] = argv[0];
    struct config cfg;
    char **pos = NULL, *err = NULL;
    int npos = 0, status = 2;
    if (!ucli_flags(c, argc, argv, used, &o, rest, &nrest)) {
        log_error("--name needs a value");
        free(rest);
        return 2;
    }
    enum cfg_result cr = cfg_parse(&cfg, CFG_DB, nrest, rest, &pos, &npos, &err);
    if (cr == CFG_HELP) {
        ucli_usage(stdout, c);
        status = 0;
    } else if (cr == CFG_ERROR) {
        log_error("%s", err);
    } else if (npos != c->nargs) {
        log_error("usage: opendatad user %s %s (`opendatad user %s --help`)", c->words, c->usage,
                  c->words);
    } else {
        log_verbosity = cfg.verbosity;
        o.args = pos;
        status = ucli_connect_run(c, &cfg, &o);
    }
    free(err);
    free(pos);
    free(rest);
    cfg_clear(&cfg);
    return status;
}

int user_cli(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0) {
        for (int i = 2; i < argc; i++)
            if (ucli_is_help(argv[i])) {
                static const struct ucli_cmd add = {"add", NULL, NULL, 0, false, false, NULL};
                ucli_usage(stdout, &add);
                return 0;
            }
        return user_add(argc, argv);
    }
    if (argc < 2 || ucli_is_help(argv[1])) {
        ucli_usage(argc < 2 ? stderr : stdout, NULL);
        return argc < 2 ? 2 : 0;
    }
    int used = 0;
    const struct ucli_cmd *c = ucli_find(argc, argv, &used);
    if (!c) {
        log_error("unknown command \"user %s%s%s\" (`opendatad user --help` lists them)", argv[1],
                  argc > 2 && argv[2][0] != '-' ? " " : "",
                  argc > 2 && argv[2][0] != '-' ? argv[2] : "");
        return 2;
    }
    return ucli_run(c, argc, argv, used);
}
