/* Unit tests for server/web/web_accept.c (Accept-Encoding, locale codes) and web_assets.c's
 * gzip copy (a round trip through zlib). */
#include <zlib.h>

#include "../../server/core/util.c"
#include "../../server/web/web_accept.c"
#include "../../server/web/web_assets.c"
#include "testh.h"

static const struct {
    const char *header;
    bool gzip;
} enc_cases[] = {
    {NULL, false},
    {"", false},
    {"gzip", true},
    {"gzip, deflate, br", true},
    {"deflate, gzip;q=1.0, *;q=0.5", true},
    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
    {"GZIP", true},
    {"x-gzip", true},
    {" gzip ; q=0.001", true},
    {"gzip;q=0", false},
    {"gzip;q=0.000", false},
    {"gzip; q=0, *", false},          /* named and refused: the star does not bring it back */
    {"*", true},
    {"*;q=0", false},
    {"identity", false},
    {"deflate, br", false},
    {"gzipx", false},
    {"xgzip", false},
    {"gzip;q=", false},
    {"gzip;level=1", true},
    {",,gzip,,", true},
    {"identity;q=1, gzip;q=0.5", true},
};

static const struct {
    const char *lang, *file;
} locale_cases[] = {
    {"en", "en"},
    {"zh_Hant_TW", "zh_Hant_TW"},
    {"zh_TW", "zh_Hant_TW"},
    {"zh_Hans_CN", "zh_Hans_CN"},
    {"zh_CN", "zh_Hans_CN"},
    {"zh-TW", NULL},
    {"EN", NULL},
    {"de", NULL},
    {"", NULL},
    {NULL, NULL},
    {"en/../x", NULL},
};

static void gzip_round_trip(void)
{
    const char *text = "<p>開放資料 open data</p> <p>開放資料 open data</p> <p>開放資料 open data</p>";
    size_t n = strlen(text), zn = 0;
    char *z = web_gzip(text, n, &zn);
    T_CHECK(z != NULL && zn < n, "a repetitive text is compressed (%zu -> %zu)", n, zn);
    char back[256];
    z_stream s = {0};
    T_CHECK(inflateInit2(&s, 15 + 16) == Z_OK, "inflateInit2");
    s.next_in = (Bytef *)z, s.avail_in = (uInt)zn;
    s.next_out = (Bytef *)back, s.avail_out = sizeof(back);
    T_CHECK(inflate(&s, Z_FINISH) == Z_STREAM_END, "the gzip stream ends");
    T_CHECK(s.total_out == n && memcmp(back, text, n) == 0, "gunzip gives the bytes back");
    inflateEnd(&s);
    free(z);
    size_t tn = 0;
    T_CHECK(web_gzip("ab", 2, &tn) == NULL, "no gzip copy when it would be larger");
}

static void shell_placeholders(void)
{
    char *err = NULL;
    char *s = fill_shell("<a href=\"{{sru}}\">x</a>", "/a\"<b>&", &err);
    T_STREQ(s, "<a href=\"/a&quot;&lt;b>&amp;\">x</a>", "sru escaped");
    free(s);
    s = fill_shell("{{static:missing.js}}", "/api/v1", &err);
    T_CHECK(s == NULL && err != NULL, "a missing asset stops the start");
    free(err);
    err = NULL;
    s = fill_shell("{{what}}", "/api/v1", &err);
    T_CHECK(s == NULL && err != NULL, "an unknown placeholder stops the start");
    free(err);
    err = NULL;
    s = fill_shell("no placeholders {{ but an open one", "/api/v1", &err);
    T_STREQ(s, "no placeholders {{ but an open one", "unclosed braces kept");
    free(s);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++)
        T_CHECK(web_accepts_gzip(enc_cases[i].header) == enc_cases[i].gzip, "Accept-Encoding %s",
                enc_cases[i].header ? enc_cases[i].header : "(none)");
    for (size_t i = 0; i < sizeof(locale_cases) / sizeof(locale_cases[0]); i++) {
        const char *got = web_locale_file(locale_cases[i].lang);
        T_CHECK(got == locale_cases[i].file || (got && locale_cases[i].file &&
                                                strcmp(got, locale_cases[i].file) == 0),
                "locale %s", locale_cases[i].lang ? locale_cases[i].lang : "(null)");
    }
    gzip_round_trip();
    shell_placeholders();
    T_DONE();
}
