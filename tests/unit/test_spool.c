/* Unit tests for server/core/spool.c: a multipart body's fields as a form, its file part in an
 * unnamed file with size and SHA-256, the limits, fed whole and one byte at a time. */
#include <stdlib.h>
#include <unistd.h>

#include "../../server/core/multipart.c"
#include "../../server/core/spool.c"
#include "../../server/core/util.c"
#include "testh.h"

#define CT "multipart/form-data; boundary=B"
#define CD "Content-Disposition: form-data; "

static const char body[] =
    "--B\r\n" CD "name=\"q\"\r\n\r\n水 & 電=1\r\n"
    "--B\r\n" CD "name=\"upload\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nabc\r\n"
    "--B\r\n" CD "name=\"none\"; filename=\"\"\r\n\r\n\r\n"
    "--B\r\n" CD "name=\"rows\"\r\n\r\n2\r\n--B--\r\n";

static struct spool *feed(const char *b, size_t n, size_t step, uint64_t max_file,
                          size_t max_fields, bool *ok)
{
    struct spool_limits lim = {"/tmp", max_file, max_fields};
    const char *err = NULL;
    struct spool *s = spool_new(CT, &lim, &err);
    *ok = s != NULL;
    for (size_t i = 0; s && i < n && *ok; i += step)
        *ok = spool_feed(s, b + i, n - i < step ? n - i : step);
    *ok = *ok && spool_finish(s);
    return s;
}

static void test_body(void)
{
    for (size_t step = 1; step <= sizeof(body); step += sizeof(body) - 1) {
        bool ok;
        struct spool *s = feed(body, sizeof(body) - 1, step, 100, 100, &ok);
        T_CHECK(ok, "read (step %zu): %s", step, s && spool_error(s) ? spool_error(s) : "-");
        size_t n;
        T_STREQ(spool_form(s, &n), "q=%E6%B0%B4%20%26%20%E9%9B%BB%3D1&rows=2", "the form");
        struct spool_file *f = spool_take_file(s);
        T_CHECK(f && f->size == 3 && strcmp(f->field, "upload") == 0 &&
                    strcmp(f->filename, "a.csv") == 0 && strcmp(f->content_type, "text/csv") == 0,
                "the file part");
        T_STREQ(f ? f->sha256 : "",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "its SHA-256");
        char got[8] = "";
        T_CHECK(f && pread(f->fd, got, sizeof(got), 0) == 3 && memcmp(got, "abc", 3) == 0,
                "its bytes are in the file");
        spool_file_free(f);
        spool_free(s);
    }
}

static void test_limits(void)
{
    bool ok;
    struct spool *s = feed(body, sizeof(body) - 1, 7, 2, 100, &ok);
    T_CHECK(!ok && spool_status(s) == 413 && strstr(spool_error(s), "file"), "file over its limit");
    T_CHECK(spool_take_file(s) == NULL, "no file handed on after a refusal");
    spool_free(s);
    s = feed(body, sizeof(body) - 1, 7, 100, 10, &ok);
    T_CHECK(!ok && spool_status(s) == 413 && strstr(spool_error(s), "fields"), "fields over theirs");
    spool_free(s);
    s = feed(body, sizeof(body) - 10, 7, 100, 100, &ok);
    T_CHECK(!ok && spool_status(s) == 400, "a body cut short: 400 (%s)", spool_error(s));
    spool_free(s);
    static const char two[] = "--B\r\n" CD "name=\"a\"; filename=\"a\"\r\n\r\nx\r\n"
                              "--B\r\n" CD "name=\"b\"; filename=\"b\"\r\n\r\ny\r\n--B--\r\n";
    s = feed(two, sizeof(two) - 1, 100, 100, 100, &ok);
    T_CHECK(!ok && spool_status(s) == 400 && strstr(spool_error(s), "one file"), "two files");
    spool_free(s);
    struct spool_limits lim = {"/tmp", 1, 1};
    const char *err = NULL;
    T_CHECK(!spool_new("text/plain", &lim, &err) && err, "not multipart");
}

int main(void)
{
    test_body();
    test_limits();
    T_DONE();
}
