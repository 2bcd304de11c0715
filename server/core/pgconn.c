/* pgconn — libpq connections whose notices go through the log. */
#include "pgconn.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"

static int notice_level(const char *severity)
{
    static const struct { const char *sev; int level; } map[] = {
        {"NOTICE", LOG_DEBUG}, {"INFO", LOG_DEBUG}, {"LOG", LOG_DEBUG}, {"DEBUG", LOG_DEBUG},
    };
    for (size_t i = 0; severity && i < ARRAY_LEN(map); i++)
        if (strncasecmp(severity, map[i].sev, strlen(map[i].sev)) == 0)
            return map[i].level;
    return LOG_WARN; /* WARNING, and ERROR/FATAL sent while idle (the server going away) */
}

/* Append " label: text" (or the text alone without a label), line breaks made spaces. */
static void add_part(char **out, const char *label, const char *text)
{
    if (!text || !*text)
        return;
    char *s = xasprintf("%s%s%s%s", *out ? *out : "", *out ? " " : "", label ? label : "", text);
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    free(*out);
    *out = s;
}

static const char *severity(const PGresult *res)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!sev)
        sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
    return sev ? sev : "NOTICE";
}

/* "PostgreSQL WARNING: message DETAIL: ... HINT: ..." on one line (malloc'd). */
static char *notice_text(const PGresult *res)
{
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    char *out = xasprintf("PostgreSQL %s:", severity(res));
    add_part(&out, NULL, msg ? msg : PQresultErrorMessage(res));
    add_part(&out, "DETAIL: ", PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
    add_part(&out, "HINT: ", PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
    return out;
}

char *pgconn_notice_line(const PGresult *res, int *level)
{
    *level = notice_level(severity(res));
    return notice_text(res);
}

static void on_notice(void *arg, const PGresult *res)
{
    (void)arg;
    if (notice_level(severity(res)) > log_verbosity)
        return;
    int level;
    char *text = pgconn_notice_line(res, &level);
    log_msg((enum log_level)level, "%s", text);
    free(text);
}

void pgconn_log_notices(PGconn *pg)
{
    if (pg)
        PQsetNoticeReceiver(pg, on_notice, NULL);
}

/* The connection's connect_timeout in ms (libpq's rules: none when unset or <= 0, at least
 * 2 s); -1 for none. */
static int timeout_ms(PGconn *pg)
{
    PQconninfoOption *opts = PQconninfo(pg);
    int ms = -1;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && atoi(o->val) > 0)
            ms = (atoi(o->val) < 2 ? 2 : atoi(o->val)) * 1000;
    PQconninfoFree(opts);
    return ms;
}

static char *first_line(PGconn *pg)
{
    const char *m = pg ? PQerrorMessage(pg) : "out of memory";
    return xstrndup(m, strcspn(m, "\n"));
}

PGconn *pgconn_open(const char *const *keys, const char *const *vals, char **err)
{
    return pgconn_open_with(keys, vals, on_notice, NULL, err);
}

PGconn *pgconn_open_with(const char *const *keys, const char *const *vals, PQnoticeReceiver rcv,
                         void *arg, char **err)
{
    PGconn *pg = PQconnectStartParams(keys, vals, 1);
    if (pg)
        PQsetNoticeReceiver(pg, rcv, arg);
    int ms = pg ? timeout_ms(pg) : -1;
    int64_t deadline = ms > 0 ? util_now_us() + ms * 1000LL : -1;
    /* libpq's loop: wait for what PQconnectPoll asked for (writing first), then poll again. */
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (pg && PQstatus(pg) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        struct pollfd pfd = {PQsocket(pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        int wait = deadline < 0 ? -1 : (int)((deadline - util_now_us()) / 1000);
        if (deadline >= 0 && (wait <= 0 || poll(&pfd, 1, wait) == 0)) {
            *err = xstrdup("timeout expired");
            PQfinish(pg);
            return NULL;
        }
        if (deadline < 0)
            poll(&pfd, 1, -1);
        st = PQconnectPoll(pg);
    }
    if (pg && PQstatus(pg) == CONNECTION_OK)
        return pg;
    *err = first_line(pg);
    PQfinish(pg);
    return NULL;
}

PGconn *pgconn_open_uri(const char *conninfo, char **err)
{
    const char *keys[] = {"dbname", NULL};
    const char *vals[] = {conninfo, NULL};
    return pgconn_open(keys, vals, err);
}
