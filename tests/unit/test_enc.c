/* Unit tests for importers/enc.c: encoding names, detection, streaming decode of files (BOM,
 * UTF-8, Big5/CP950, characters cut by the chunk boundary), errors with their line, SHA-256. */
#include "../../importers/enc.c"
#include "../../server/core/util.c"
#include "testh.h"

static char *write_tmp(const char *data, size_t len)
{
    char *path = xstrdup("/tmp/test_enc_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
        perror("mkstemp/write");
        exit(2);
    }
    close(fd);
    return path;
}

/* Decode the whole file: the text (malloc'd, *len bytes) or NULL with *err. */
static char *decode(struct enc *e, size_t *len, char **err)
{
    size_t cap = 1024;
    char *all = xmalloc(cap);
    const char *chunk;
    ssize_t n;
    *len = 0;
    while ((n = enc_read(e, &chunk, err)) > 0) {
        if (*len + (size_t)n + 1 > cap) {
            cap = 2 * (*len + (size_t)n + 1);
            all = xrealloc(all, cap);
        }
        memcpy(all + *len, chunk, (size_t)n);
        *len += (size_t)n;
    }
    if (n < 0) {
        free(all);
        return NULL;
    }
    all[*len] = '\0';
    return all;
}

/* Decode raw[0..len) as kind; check the text (or the error's "LINE: message" suffix). */
static void check_file(const char *raw, size_t len, enum enc_kind kind, const char *want,
                       const char *want_err, const char *want_name)
{
    char *path = write_tmp(raw, len), *err = NULL;
    struct enc *e = enc_open(path, kind, &err);
    T_CHECK(e != NULL, "open %s: %s", path, err ? err : "");
    size_t n = 0;
    char *text = e ? decode(e, &n, &err) : NULL;
    if (want) {
        T_CHECK(text && n == strlen(want) && memcmp(text, want, n) == 0, "decoded %s: %s", path,
                err ? err : (text ? text : ""));
        if (want_name && e)
            T_STREQ(enc_name(e), want_name, "encoding name");
    } else {
        const char *tail = err ? strstr(err, path) : NULL;
        T_CHECK(!text && tail && strcmp(tail + strlen(path), want_err) == 0,
                "error \"%s\", want \"%s%s\"", err ? err : "(none)", path, want_err);
    }
    free(text);
    free(err);
    enc_free(e);
    unlink(path);
    free(path);
}

static void test_names(void)
{
    enum enc_kind k;
    char *err = NULL;
    T_CHECK(enc_parse_name("auto", &k, &err) && k == ENC_AUTO, "auto");
    T_CHECK(enc_parse_name("UTF-8", &k, &err) && k == ENC_UTF8, "UTF-8");
    T_CHECK(enc_parse_name("utf8", &k, &err) && k == ENC_UTF8, "utf8");
    T_CHECK(enc_parse_name("Big5", &k, &err) && k == ENC_CP950, "Big5");
    T_CHECK(enc_parse_name("cp950", &k, &err) && k == ENC_CP950, "cp950");
    T_CHECK(!enc_parse_name("latin1", &k, &err) && err && strstr(err, "latin1"), "latin1");
    free(err);
}

static void test_detect(void)
{
    const unsigned char ascii[] = "SiteName,Date\n", utf8[] = "美濃,基隆,宜蘭",
                        big5[] = "\xac\xfc\xbf\x40,\xb0\xf2\xb6\xa9", cut[] = "abc\xe4\xb8";
    T_CHECK(enc_detect(ascii, sizeof(ascii) - 1) == ENC_AUTO, "ascii is undecided");
    T_CHECK(enc_detect(utf8, sizeof(utf8) - 1) == ENC_UTF8, "utf-8");
    T_CHECK(enc_detect(big5, sizeof(big5) - 1) == ENC_CP950, "big5");
    T_CHECK(enc_detect(cut, sizeof(cut) - 1) == ENC_AUTO, "a cut sequence at the end is ignored");
    /* A damaged UTF-8 file (one bad byte among many characters) is still UTF-8. */
    char damaged[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(damaged, "中文");
    strcat(damaged, "\xff");
    T_CHECK(enc_detect((const unsigned char *)damaged, strlen(damaged)) == ENC_UTF8, "damaged");
}

static void test_decode(void)
{
    const char bom[] = "\xef\xbb\xbf西元日期,星期\r\n20240101,一\r\n";
    check_file(bom, sizeof(bom) - 1, ENC_AUTO, "西元日期,星期\r\n20240101,一\r\n", NULL, "utf-8");
    const char big5[] = "\xa6\xe8\xa4\xb8\xa4\xe9\xb4\xc1,\xac\x50\xb4\xc1\n20250101,\xa4\x54\n";
    check_file(big5, sizeof(big5) - 1, ENC_AUTO, "西元日期,星期\n20250101,三\n", NULL, "big5");
    check_file(big5, sizeof(big5) - 1, ENC_CP950, "西元日期,星期\n20250101,三\n", NULL, "big5");
    check_file(big5, sizeof(big5) - 1, ENC_UTF8, NULL, ":1: invalid UTF-8 (byte 0xA6)", NULL);
    check_file("a\n\xe4\xb8\xad\nb\xff\n", 9, ENC_AUTO, NULL,
               ":3: invalid UTF-8 (byte 0xFF); the file was detected as UTF-8, give --encoding "
               "big5 if it is Big5",
               NULL);
    check_file("a\n\xe4\xb8\xad\nb\xff\n", 9, ENC_UTF8, NULL, ":3: invalid UTF-8 (byte 0xFF)",
               NULL);
    check_file("\xa4\xa4\n\xa4\x20\n", 6, ENC_CP950, NULL,
               ":2: not valid Big5/CP950 (bytes 0xA4 0x20)", NULL);
    check_file("ab\ncd\0e\n", 8, ENC_AUTO, NULL, ":2: NUL byte in the text", NULL);
    check_file("\xff\xfe" "a\0", 4, ENC_AUTO, NULL,
               ":1: UTF-16 text is not supported (convert the file to UTF-8)", NULL);
    check_file("a\xe4\xb8", 3, ENC_UTF8, NULL,
               ":1: incomplete UTF-8 sequence at the end of the file", NULL);
    check_file("a\xa4", 2, ENC_CP950, NULL, ":1: not valid Big5/CP950 (byte 0xA4)", NULL);
    /* ETEN extensions: kana and Cyrillic, not glibc's private-use characters. */
    check_file("\xa4\xe2\xa7\x40\xc6\xd2\xc7\xb1\xc6\xa1!", 11, ENC_CP950, "手作のДヾ!", NULL,
               "big5");
    check_file("", 0, ENC_AUTO, "", NULL, "utf-8");
    check_file("ab", 2, ENC_AUTO, "ab", NULL, "utf-8");
}

/* Characters cut by the 256 KiB read boundary, and a decision taken late (ASCII first). */
static void test_chunks(void)
{
    size_t pad = ENC_CHUNK - 1;
    char *raw = xmalloc(pad + 64), *want = xmalloc(pad + 64);
    memset(raw, 'a', pad);
    memset(want, 'a', pad);
    strcpy(raw + pad, "\xe4\xb8\xad,\xe6\x96\x87\n");
    strcpy(want + pad, "中,文\n");
    check_file(raw, strlen(raw), ENC_AUTO, want, NULL, "utf-8");
    strcpy(raw + pad, "\xa4\xa4,\xa4\xe5\n");
    check_file(raw, strlen(raw), ENC_AUTO, want, NULL, "big5");
    memset(raw, '\n', pad);
    strcpy(raw + pad, "\xa4\xa4\xff\xff");
    char err_line[64];
    snprintf(err_line, sizeof(err_line), ":%zu: not valid Big5/CP950 (bytes 0xFF 0xFF)", pad + 1);
    check_file(raw, strlen(raw), ENC_CP950, NULL, err_line, NULL);
    free(raw);
    free(want);
}

static void test_hash_and_rewind(void)
{
    char *path = write_tmp("abc", 3), *err = NULL;
    struct enc *e = enc_open(path, ENC_AUTO, &err);
    size_t n;
    char *t1 = decode(e, &n, &err);
    T_STREQ(enc_sha256(e), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "sha256(abc)");
    T_CHECK(enc_consumed(e) == 3 && enc_size(e) == 3, "sizes");
    T_CHECK(enc_rewind(e, &err), "rewind");
    T_CHECK(enc_sha256(e)[0] == '\0', "no hash before the end");
    char *t2 = decode(e, &n, &err);
    T_STREQ(t2, t1, "the same text after rewind");
    T_STREQ(enc_sha256(e), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "the same hash after rewind");
    free(t1);
    free(t2);
    enc_free(e);
    unlink(path);
    free(path);
    T_CHECK(enc_open("/nonexistent/x.csv", ENC_AUTO, &err) == NULL && strstr(err, "/nonexistent"),
            "missing file");
    free(err);
    err = NULL;
    T_CHECK(enc_open("/tmp", ENC_AUTO, &err) == NULL && strstr(err, "not a regular file"),
            "directory");
    free(err);
}

int main(void)
{
    test_names();
    test_detect();
    test_decode();
    test_chunks();
    test_hash_and_rewind();
    T_DONE();
}
