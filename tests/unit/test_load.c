/* Unit tests for the loading library's entry (importers/load.h) without a database: the
 * dry-run result from a path and from a descriptor, the log and cancel callbacks, refusals. */
#include "../../importers/csv_in.c"
#include "../../importers/enc.c"
#include "../../importers/infer.c"
#include "../../importers/load.c"
#include "../../importers/load_cols.c"
#include "../../importers/load_compat.c"
#include "../../importers/load_copy.c"
#include "../../importers/load_db.c"
#include "../../importers/load_index.c"
#include "../../importers/load_report.c"
#include "../../importers/load_sql.c"
#include "../../importers/xml_in.c"
#include "../../server/core/log.c"
#include "../../server/core/pgconn.c"
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"
#include "testh.h"

static char *temp_file(const char *data)
{
    char *path = xstrdup("/tmp/test_load_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        exit(2);
    close(fd);
    return path;
}

/* "id,name,amount" and n rows. */
static char *csv_rows(int n)
{
    char *s = xstrdup("id,name,amount\n");
    for (int i = 1; i <= n; i++) {
        char *next = xasprintf("%s%d,name %d,%d.5\n", s, i, i, i);
        free(s);
        s = next;
    }
    return s;
}

static void check_csv_plan(const struct load_result *r, const char *what)
{
    T_STREQ(r->format, "csv", what);
    T_STREQ(r->encoding, "utf-8", what);
    T_CHECK(r->encoding_detected && !r->bom && r->delimiter == ',' && !r->record, "%s", what);
    T_CHECK(r->sampled == 3000 && r->sample_whole && r->rows == 0, "%s: sampled %lld", what,
            (long long)r->sampled);
    T_CHECK(r->nfields == 3, "%s: %zu fields", what, r->nfields);
    if (r->nfields == 3) {
        T_STREQ(r->fields[0].name, "id", what);
        T_STREQ(r->fields[0].type, "int4", what);
        T_STREQ(r->fields[1].type, "text", what);
        T_STREQ(r->fields[2].name, "amount", what);
        T_STREQ(r->fields[2].type, "numeric", what);
    }
}

static void test_dry_run_path_and_fd(void)
{
    char *data = csv_rows(3000), *path = temp_file(data);
    struct load_opts o = {.format = "csv", .path = path, .sample_rows = 100000, .dry_run = true};
    struct load_result r;
    char *err = NULL;
    T_CHECK(load_file(&o, &r, &err) == 0, "path: %s", err ? err : "");
    check_csv_plan(&r, "path");
    T_CHECK(r.size == strlen(data), "size %llu", (unsigned long long)r.size);
    load_result_clear(&r);
    T_CHECK(r.fields == NULL && r.nfields == 0, "cleared");

    /* An upload: a descriptor (the caller's, left open) and a name for messages. */
    int fd = open(path, O_RDONLY);
    o.from_fd = true;
    o.fd = fd;
    o.path = "upload.csv";
    T_CHECK(load_file(&o, &r, &err) == 0, "fd: %s", err ? err : "");
    check_csv_plan(&r, "fd");
    load_result_clear(&r);
    T_CHECK(fcntl(fd, F_GETFD) >= 0, "the caller's descriptor stays open");
    close(fd);
    o.fd = fd; /* closed now */
    T_CHECK(load_file(&o, &r, &err) == -1 && err && strncmp(err, "upload.csv: ", 12) == 0,
            "a closed descriptor: %s", err ? err : "");
    free(err);
    load_result_clear(&r);
    unlink(path);
    free(path);
    free(data);
}

static void test_xml_plan_from_fd(void)
{
    char *path = temp_file("<rows><row><a>1</a><b>2024-01-02</b></row>"
                           "<row><a>2</a><b>2024-01-03</b></row></rows>\n");
    int fd = open(path, O_RDONLY);
    struct load_opts o = {.format = "xml",
                          .path = "up.xml",
                          .from_fd = true,
                          .fd = fd,
                          .sample_rows = 10,
                          .dry_run = true};
    struct load_result r;
    char *err = NULL;
    T_CHECK(load_file(&o, &r, &err) == 0, "xml: %s", err ? err : "");
    T_STREQ(r.record, "/rows/row", "record");
    T_CHECK(r.nfields == 2 && r.sampled == 2 && r.delimiter == 0, "xml: %zu fields", r.nfields);
    if (r.nfields == 2)
        T_STREQ(r.fields[1].type, "date", "xml type");
    load_result_clear(&r);
    close(fd);
    unlink(path);
    free(path);
}

static bool cancel_now(void *arg)
{
    int *calls = arg;
    return ++*calls > 0;
}

static void test_cancelled(void)
{
    char *data = csv_rows(3000), *path = temp_file(data);
    int calls = 0;
    struct load_opts o = {.format = "csv",
                          .path = path,
                          .sample_rows = 100000,
                          .dry_run = true,
                          .cancelled = cancel_now,
                          .arg = &calls};
    struct load_result r;
    char *err = NULL;
    T_CHECK(load_file(&o, &r, &err) == -1 && err && strcmp(err, "the load was cancelled") == 0,
            "cancelled: %s", err ? err : "");
    T_CHECK(calls == 1, "polled %d times before stopping", calls);
    free(err);
    load_result_clear(&r);
    unlink(path);
    free(path);
    free(data);
}

struct lines {
    int n;
    enum load_level level;
    char *last;
};

static void keep_line(void *arg, enum load_level level, const char *line)
{
    struct lines *l = arg;
    l->n++;
    l->level = level;
    free(l->last);
    l->last = xstrdup(line);
}

/* Log lines reach the callback only; debug ones only when asked for. */
static void test_log_callback(void)
{
    struct load_opts o = {.log = keep_line};
    struct lines l = {0};
    o.arg = &l;
    struct loader L = {.o = &o};
    load_log(&L, LOAD_INFO, "%d rows", 12);
    load_log(&L, LOAD_DEBUG, "hidden");
    T_CHECK(l.n == 1 && l.level == LOAD_INFO, "one line, info: %d", l.n);
    T_STREQ(l.last, "12 rows", "line");
    o.debug = true;
    load_log(&L, LOAD_DEBUG, "shown");
    T_CHECK(l.n == 2 && l.level == LOAD_DEBUG, "debug when asked: %d", l.n);
    free(l.last);
    o.log = NULL;
    load_log(&L, LOAD_WARN, "nobody listens"); /* no callback: nothing happens */
    T_CHECK(l.n == 2, "no callback");
}

static void test_refusals(void)
{
    struct load_opts o = {.format = "json", .path = "x.json", .dry_run = true};
    struct load_result r;
    char *err = NULL;
    T_CHECK(load_file(&o, &r, &err) == -1 && err && strstr(err, "unknown format \"json\""),
            "format: %s", err ? err : "");
    free(err);
    err = NULL;
    o.format = "csv";
    o.path = "/nonexistent/x.csv";
    T_CHECK(load_file(&o, &r, &err) == -1 && err && strstr(err, "/nonexistent/x.csv: No such"),
            "missing file: %s", err ? err : "");
    free(err);
    load_result_clear(&r);
    enum enc_kind k;
    char d;
    err = NULL;
    T_CHECK(load_parse_encoding("Big5", &k, &err) && k == ENC_CP950, "big5");
    T_CHECK(load_parse_delimiter("tab", &d, &err) && d == '\t', "tab");
    T_CHECK(!load_parse_delimiter("\"", &d, &err) && err, "a quote is no delimiter");
    free(err);
}

int main(void)
{
    test_dry_run_path_and_fd();
    test_xml_plan_from_fd();
    test_cancelled();
    test_log_callback();
    test_refusals();
    T_DONE();
}
