/* Unit tests for server/hk/hk_params.c (the archive's day and time forms, counts)
 * and core/valid.c's valid_degrees (the coordinates of nearest-schools and datastore_nearest). */
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "../../server/hk/hk_params.c"
#include "testh.h"

static void test_day(void)
{
    static const struct {
        const char *in;
        int want; /* 0: refused */
    } cases[] = {
        {"20260110", 20260110}, {"20050301", 20050301}, {"20240229", 20240229},
        {"20230229", 0}, {"21000229", 0}, {"20000229", 20000229}, {"20261301", 0},
        {"20260132", 0}, {"20260100", 0}, {"2026-01-10", 0}, {"2026011", 0}, {"202601100", 0},
        {"+2026011", 0}, {" 20260110", 0}, {"", 0}, {"09990101", 0}, {"2026011a", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int got = 0;
        bool ok = hk_parse_day(cases[i].in, &got);
        T_CHECK(ok == (cases[i].want != 0) && (!ok || got == cases[i].want),
                "hk_parse_day(%s): %d %d", cases[i].in, ok, got);
    }
    int d;
    T_CHECK(!hk_parse_day(NULL, &d), "hk_parse_day(NULL)");
}

static void test_time(void)
{
    static const struct {
        const char *in, *want; /* want NULL: refused */
    } cases[] = {
        {"20260110-0805", "20260110-0805"}, {"202601100805", "20260110-0805"},
        {"20260110-2359", "20260110-2359"}, {"20260110-0000", "20260110-0000"},
        {"20260110-2400", NULL}, {"20260110-0860", NULL}, {"202507", NULL},
        {"20260110", NULL}, {"20260110-805", NULL}, {"20260110 0805", NULL},
        {"2026-01-10-0805", NULL}, {"20260230-0805", NULL}, {"20260110-08:05", NULL},
        {"20260110-08050", NULL}, {"", NULL}, {"20260110_0805", NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char out[14] = "";
        bool ok = hk_parse_time(cases[i].in, out);
        T_CHECK(ok == (cases[i].want != NULL), "hk_parse_time(%s): %d", cases[i].in, ok);
        if (ok && cases[i].want)
            T_CHECK(strcmp(out, cases[i].want) == 0, "%s: %s", cases[i].in, out);
    }
}

static void test_count(void)
{
    long long v = 0;
    T_CHECK(hk_parse_count("1", 1, 100, &v) && v == 1, "1");
    T_CHECK(hk_parse_count("100", 1, 100, &v) && v == 100, "100");
    T_CHECK(!hk_parse_count("101", 1, 100, &v), "101");
    T_CHECK(!hk_parse_count("0", 1, 100, &v), "0");
    T_CHECK(!hk_parse_count("-1", 0, 100, &v), "-1");
    T_CHECK(!hk_parse_count("5.0", 1, 100, &v), "5.0");
    T_CHECK(!hk_parse_count("", 0, 100, &v), "empty");
    T_CHECK(!hk_parse_count(" 5", 0, 100, &v), "space");
    T_CHECK(!hk_parse_count("9999999999999999999999", 0, 100, &v), "overflow");
    T_CHECK(hk_parse_count("000000000000000005", 0, 100, &v) && v == 5, "leading zeros");
}


static void test_degrees(void)
{
    static const struct {
        const char *in;
        double limit;
        bool ok;
        double want;
    } cases[] = {
        {"22.3193", 90, true, 22.3193}, {"-22.5", 90, true, -22.5}, {"+114", 180, true, 114},
        {"90", 90, true, 90}, {"90.0000001", 90, false, 0}, {"180", 180, true, 180},
        {"-181", 180, false, 0}, {"1e2", 180, false, 0}, {"nan", 90, false, 0},
        {"inf", 90, false, 0}, {" 22", 90, false, 0}, {"22 ", 90, false, 0}, {"", 90, false, 0},
        {".5", 90, false, 0}, {"5.", 90, false, 0}, {"1234", 180, false, 0}, {"0x10", 90, false, 0},
        {"22.123456789012345678901", 90, false, 0}, {"22.12345678901234567890", 90, true,
                                                      22.1234567890123456789},
        {"--1", 90, false, 0}, {"-", 90, false, 0}, {"22-17-16", 90, false, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        double v = -999;
        bool ok = valid_degrees(cases[i].in, cases[i].limit, &v);
        T_CHECK(ok == cases[i].ok && (!ok || v == cases[i].want), "valid_degrees(%s): %d %g",
                cases[i].in, ok, v);
    }
}

int main(void)
{
    test_day();
    test_time();
    test_count();
    test_degrees();
    T_DONE();
}
