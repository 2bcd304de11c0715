/* Unit tests for importers/csv_in.c (and the column naming of load_cols.c): delimiter detection,
 * header cleanup, ragged rows, quoting, line numbers, errors. */
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

struct sink {
    char *text; /* "LINE:v1|v2|...\n" per row, NULL values as "~" */
    size_t len;
    int rows, stop_after;
};

static void sink_add(struct sink *s, const char *t, size_t n)
{
    s->text = xrealloc(s->text, s->len + n + 1);
    memcpy(s->text + s->len, t, n);
    s->len += n;
    s->text[s->len] = '\0';
}

static int collect(void *arg, const struct load_row *r)
{
    struct sink *s = arg;
    char num[32];
    sink_add(s, num, (size_t)snprintf(num, sizeof(num), "%ld:", r->line));
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            sink_add(s, "|", 1);
        if (r->val[i])
            sink_add(s, r->val[i], r->len[i]);
        else
            sink_add(s, "~", 1);
    }
    sink_add(s, "\n", 1);
    return ++s->rows == s->stop_after;
}

/* Columns as "name" or "name(orig)" when the header differs, joined by ','. */
static char *cols_text(const struct load_cols *c)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < c->n; i++) {
        char *next = strcmp(c->v[i].name, c->v[i].orig) == 0
                         ? xasprintf("%s%s%s", out, i ? "," : "", c->v[i].name)
                         : xasprintf("%s%s%s(%s)", out, i ? "," : "", c->v[i].name, c->v[i].orig);
        free(out);
        out = next;
    }
    return out;
}

struct result {
    int rc;
    char delim;
    char *cols, *rows, *err;
};

static struct result parse(const char *data, char delim, int stop_after)
{
    char path[] = "/tmp/test_csv_in_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        exit(2);
    close(fd);
    struct result res = {0};
    struct load_source src;
    struct sink s = {.stop_after = stop_after};
    struct enc *e = enc_open(path, ENC_AUTO, &res.err);
    if (!e || !csvin_open(&src, e, path, delim, &res.err)) {
        res.rc = -2;
    } else {
        res.rc = src.run(src.ctx, collect, &s, &res.err);
        res.delim = src.delimiter;
        res.cols = cols_text(&src.cols);
        csvin_close(&src);
    }
    res.rows = s.text ? s.text : xstrdup("");
    unlink(path);
    return res;
}

static void result_free(struct result *r)
{
    free(r->cols);
    free(r->rows);
    free(r->err);
}

static void check(const char *data, const char *want_cols, const char *want_rows)
{
    struct result r = parse(data, 0, 0);
    T_CHECK(r.rc == 0, "parse failed: %s", r.err ? r.err : "?");
    T_STREQ(r.cols, want_cols, "columns");
    T_STREQ(r.rows, want_rows, "rows");
    result_free(&r);
}

static void test_delimiters(void)
{
    static const struct {
        const char *in;
        char want;
    } cases[] = {
        {"a,b,c\n1,2,3\n", ','},
        {"a;b;c\n1,5;2,5;3\n", ';'},
        {"a\tb\tc\n1\t2\t3\n", '\t'},
        {"name,desc\n\"x; y; z\",2\n", ','},
        {"\"a,b\";c\n1;2\n", ';'},
        {"single\nvalue\n", ','},
        {"a;b", ';'},
        {"", ','},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char got = csvin_detect_delim(cases[i].in, strlen(cases[i].in));
        T_CHECK(got == cases[i].want, "detect(%zu) = '%c', want '%c'", i, got, cases[i].want);
    }
    char d;
    char *err = NULL;
    T_CHECK(csvin_parse_delim("auto", &d, &err) && d == 0, "auto");
    T_CHECK(csvin_parse_delim("tab", &d, &err) && d == '\t', "tab");
    T_CHECK(csvin_parse_delim("|", &d, &err) && d == '|', "|");
    T_CHECK(!csvin_parse_delim("\"", &d, &err), "a quote is not a delimiter");
    free(err);
    err = NULL;
    T_CHECK(!csvin_parse_delim(",,", &d, &err), "two characters");
    free(err);
    struct result r = parse("a\tb\n 1 \t x y \n", 0, 0);
    T_CHECK(r.delim == '\t', "tab detected");
    T_STREQ(r.rows, "2:1|x y\n", "tab-separated fields are trimmed of spaces only");
    result_free(&r);
    r = parse("a;b\n1;2\n", ',', 0);
    T_STREQ(r.rows, "2:1;2\n", "a given delimiter is used as given");
    result_free(&r);
}

static void test_header(void)
{
    /* BOM gone, names trimmed, empty names numbered, duplicates numbered, trailing empties
     * (lines ending in a delimiter) dropped. */
    check("\xef\xbb\xbf" " 編號 ,name,,name,_id,\xe3\x80\x80" "x\xe3\x80\x80,,\n1,2,3,4,5,6,,\n",
          "編號,name,column_3(),name_2(name),_id_2(_id),x(\xe3\x80\x80x\xe3\x80\x80)",
          "2:1|2|3|4|5|6\n");
    check("\"a\nb\",c\td\n1,2\n", "a b(a\nb),c d(c\td)", "3:1|2\n");
    /* 63 bytes at most, cut on a character boundary (21 CJK characters = 63 bytes). */
    check("一二三四五六七八九十一二三四五六七八九十一二三,一二三四五六七八九十一二三四五六七八九十一二\n1,2\n",
          "一二三四五六七八九十一二三四五六七八九十一(一二三四五六七八九十一二三四五六七八九十一二三),"
          "一二三四五六七八九十一二三四五六七八九十_2(一二三四五六七八九十一二三四五六七八九十一二)",
          "2:1|2\n");
    /* Found by fuzz_csv: control characters at the ends became spaces after the trim, and a cut
     * could end on a space, giving names the Taiwan API's fields and sort refuse. */
    check("\"\x01x\x7f\x7f\",y\x02 \x03,\x7f\n1,2,3\n", "x(\x01x\x7f\x7f),y(y\x02 \x03),column_3(\x7f)",
          "2:1|2|3\n");
    check("\"\x01\x7f\n\"\n1\n", "column_1(\x01\x7f\n)", "3:1\n");
    check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bc\n1\n",
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bc)",
          "2:1\n");
    check("a,b\n", "a,b", "");
    struct result r = parse("", 0, 0);
    T_CHECK(r.rc == -1 && r.err && strstr(r.err, "empty file (no header line)"), "empty: %s",
            r.err ? r.err : "");
    result_free(&r);
}

static void test_rows(void)
{
    /* Fewer fields: the row is short (NULL-padded by the loader); more non-empty fields add
     * columns; empty extra fields are ignored; blank and all-empty records are skipped. */
    check("a,b,c\n1\n\n1,2,3,4,5\n,,\n6,7,8,,\n9,,,,x\n",
          "a,b,c,column_4(),column_5()", "2:1\n4:1|2|3|4|5\n6:6|7|8||\n7:9||||x\n");
    /* Quotes: delimiters, quotes and line breaks inside; the row's line is where it starts. */
    check("id,text\r\n1,\"a,b\"\r\n2,\"say \"\"hi\"\"\"\r\n3,\"two\r\nlines\"\r\n4,x\r\n",
          "id,text", "2:1|a,b\n3:2|say \"hi\"\n4:3|two\r\nlines\n6:4|x\n");
    check("a,b\n 1 , \" 2 \" \n", "a,b", "2:1| 2 \n");
    check("a,b\n1,2", "a,b", "2:1|2\n");
    struct result r = parse("a,b\n1,2\n3,\"open\n4,5\n", 0, 0);
    T_CHECK(r.rc == -1 && r.err && strstr(r.err, ":3: a quoted field is not closed"),
            "unterminated quote: %d %s [%s]", r.rc, r.err ? r.err : "", r.rows);
    result_free(&r);
    r = parse("a\n1\n2\n3\n", 0, 2);
    T_CHECK(r.rc == 1, "stopped by the callback");
    T_STREQ(r.rows, "2:1\n3:2\n", "rows until the stop");
    result_free(&r);
}

static void test_names(void)
{
    struct load_cols c = {0};
    load_cols_add(&c, "x", 1);
    load_cols_add(&c, "x", 1);
    load_cols_add(&c, "x_2", 3);
    load_cols_add(&c, "", 0);
    load_cols_add_as(&c, "@id", 3, "id", 2);
    load_cols_add(&c, "a\x01" "b", 3);
    char *t = cols_text(&c);
    T_STREQ(t, "x,x_2(x),x_2_2(x_2),column_4(),id(@id),a b(a\x01" "b)", "names");
    free(t);
    load_cols_clear(&c);
    /* A long name and its duplicate: the suffix fits in 63 bytes. */
    char longname[80];
    memset(longname, 'n', 70);
    load_cols_add(&c, longname, 70);
    load_cols_add(&c, longname, 70);
    T_CHECK(strlen(c.v[0].name) == 63 && strlen(c.v[1].name) == 63 &&
                strcmp(c.v[1].name + 61, "_2") == 0,
            "long names: %s / %s", c.v[0].name, c.v[1].name);
    load_cols_clear(&c);
}

int main(void)
{
    log_verbosity = LOG_ERROR;
    test_delimiters();
    test_header();
    test_rows();
    test_names();
    T_DONE();
}
