/* Unit tests for importers/infer.c: which types a value fits, the column type from a mask, and
 * the binary COPY forms. */
#include "../../importers/infer.c"
#include "testh.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define B(t) INFER_BIT(INFER_##t)
#define NUM (B(INT4) | B(INT8) | B(NUMERIC))

static void test_classify(void)
{
    static const struct {
        const char *in;
        unsigned want; /* without the text bit, which is always set */
    } cases[] = {
        {"0", NUM},
        {"7", NUM},
        {"-12", NUM},
        {"2147483647", NUM},
        {"2147483648", B(INT8) | B(NUMERIC)},
        {"-2147483648", NUM},
        {"-2147483649", B(INT8) | B(NUMERIC)},
        {"9223372036854775807", B(INT8) | B(NUMERIC)},
        {"9223372036854775808", B(NUMERIC)},
        {"-9223372036854775808", B(INT8) | B(NUMERIC)},
        {"99999999999999999999999", B(NUMERIC)},
        {"121.5583420000", B(NUMERIC)},
        {"0.5", B(NUMERIC)},
        {"-0.25", B(NUMERIC)},
        {"10.00", B(NUMERIC)},
        /* signs: numbers, as pandas and spreadsheets read them (the value is kept) */
        {"-0", NUM},
        {"-0.0", B(NUMERIC)},
        {"-0.00", B(NUMERIC)},
        {"+5", NUM},
        {"+1.5", B(NUMERIC)},
        {"+2147483648", B(INT8) | B(NUMERIC)},
        {"+-5", 0},
        {"--5", 0},
        {"+", 0},
        {"+.5", 0},
        /* leading zeros (codes) and other forms stay text */
        {"0145080011", 0},
        {"007", 0},
        {"00.5", 0},
        {"-007", 0},
        {".5", 0},
        {"5.", 0},
        {"1e5", 0},
        {"1,234", 0},
        {" 5", 0},
        {"5 ", 0},
        {"NaN", 0},
        {"10.00%", 0},
        {"-", 0},
        /* dates: YYYY-M-D or YYYY/M/D, the date must exist */
        {"2024-01-31", B(DATE) | B(TIMESTAMP)},
        {"2015/2/24", B(DATE) | B(TIMESTAMP)},
        {"2024/02/29", B(DATE) | B(TIMESTAMP)},
        {"2023/02/29", 0},
        {"2024-13-01", 0},
        {"2024-00-10", 0},
        {"2024-04-31", 0},
        {"2024-01/31", 0},
        {"113/01/01", 0},
        {"0000-01-01", 0},
        {"20240101", NUM},
        {"2024-1-1x", 0},
        /* timestamps */
        {"2018-07-04 22:10", B(TIMESTAMP)},
        {"2020/06/30 20:26:47", B(TIMESTAMP)},
        {"2024-01-31T08:00:00", B(TIMESTAMP)},
        {"2024-01-31 08:00:00.123456", B(TIMESTAMP)},
        {"2024-01-31 8:05", B(TIMESTAMP)},
        {"2024-01-31 08:00:00.1234567", 0},
        {"2024-01-31 24:00", 0},
        {"2024-01-31 23:60", 0},
        {"2024-01-31 23:59:60", 0},
        {"2024-01-31T08:00:00Z", 0},
        {"2024-01-31 08:00+08", 0},
        {"2024-01-31 08", 0},
        /* bool: true/false only */
        {"true", B(BOOL)},
        {"FALSE", B(BOOL)},
        {"True", B(BOOL)},
        {"t", 0},
        {"yes", 0},
        {"Y", 0},
        {"中文", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        unsigned got = infer_classify(cases[i].in, strlen(cases[i].in));
        unsigned want = cases[i].want | B(TEXT);
        T_CHECK(got == want, "classify(\"%s\") = %#x, want %#x", cases[i].in, got, want);
    }
    T_CHECK(infer_classify("", 0) == INFER_ANY, "an empty value fits every type");
}

/* The column type: the narrowest type all values fit. */
static enum infer_type column(const char *const *vals)
{
    unsigned m = INFER_ANY;
    for (; *vals; vals++)
        m &= infer_classify(*vals, strlen(*vals));
    return infer_pick(m);
}

static void test_pick(void)
{
    static const struct {
        const char *vals[5];
        enum infer_type want;
    } cases[] = {
        {{"1", "2", "3"}, INFER_INT4},
        {{"1", "3000000000"}, INFER_INT8},
        {{"1", "2.5"}, INFER_NUMERIC},
        {{"1", "99999999999999999999"}, INFER_NUMERIC},
        {{"1", "x"}, INFER_TEXT},
        {{"0145080011", "1"}, INFER_TEXT},
        {{"2024-01-01", "2024/1/2"}, INFER_DATE},
        {{"2024-01-01", "2024-01-02 10:00"}, INFER_TIMESTAMP},
        {{"2024-01-01", "12"}, INFER_TEXT},
        {{"true", "false"}, INFER_BOOL},
        {{"true", "1"}, INFER_TEXT},
        {{"0", "1"}, INFER_INT4},
        {{NULL}, INFER_TEXT},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        enum infer_type got = column(cases[i].vals);
        T_CHECK(got == cases[i].want, "case %zu: %s, want %s", i, infer_sql_name(got),
                infer_sql_name(cases[i].want));
    }
    T_CHECK(infer_pick(B(TEXT)) == INFER_TEXT, "text only");
    T_STREQ(infer_sql_name(INFER_TIMESTAMP), "timestamp", "sql name");
    T_CHECK(infer_fits(INFER_TEXT, "anything", 8), "text fits anything");
    T_CHECK(infer_fits(INFER_INT8, "12", 2) && !infer_fits(INFER_INT4, "1.5", 3), "fits");
}

static void check_bin(enum infer_type t, const char *in, const char *want_hex)
{
    char out[128], hex[300] = "";
    size_t n = infer_binary(t, in, strlen(in), out);
    for (size_t i = 0; i < n && i < 120; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)out[i]);
    T_CHECK(strcmp(hex, want_hex) == 0, "binary %s \"%s\" = %s, want %s", infer_sql_name(t), in,
            hex, want_hex);
}

static void test_binary(void)
{
    check_bin(INFER_INT4, "1", "00000001");
    check_bin(INFER_INT4, "-2", "fffffffe");
    check_bin(INFER_INT4, "2147483647", "7fffffff");
    check_bin(INFER_INT8, "3000000000", "00000000b2d05e00");
    check_bin(INFER_INT8, "-9223372036854775808", "8000000000000000");
    check_bin(INFER_BOOL, "TRUE", "01");
    check_bin(INFER_BOOL, "false", "00");
    check_bin(INFER_DATE, "2000-01-01", "00000000");
    check_bin(INFER_DATE, "1999-12-31", "ffffffff");
    check_bin(INFER_DATE, "2015/2/24", "0000159d");  /* 5533 days */
    check_bin(INFER_DATE, "0001-01-01", "fff4dbf9"); /* -730119 */
    check_bin(INFER_TIMESTAMP, "2000-01-01 00:00:01.5", "000000000016e360");
    check_bin(INFER_TIMESTAMP, "2000-01-02", "000000141dd76000"); /* 86400 s */
    check_bin(INFER_TIMESTAMP, "1999-12-31 23:59:59", "fffffffffff0bdc0");
    /* numeric: ndigits, weight, sign, dscale, base-10000 digits */
    check_bin(INFER_NUMERIC, "121.5583420000", "000400000000000a007915cf10680000");
    check_bin(INFER_NUMERIC, "0", "0001000000000000" "0000");
    check_bin(INFER_NUMERIC, "-0.25", "0002000040000002000009c4");
    check_bin(INFER_NUMERIC, "12345678", "0002000100000000" "04d2162e");
    check_bin(INFER_NUMERIC, "10.00", "0002000000000002000a0000");
    check_bin(INFER_NUMERIC, "+1.5", "000200000000000100011388");
    check_bin(INFER_NUMERIC, "-0.00", "000200000000000200000000"); /* sign +: zero */
    check_bin(INFER_INT4, "+7", "00000007");
    check_bin(INFER_INT4, "-0", "00000000");
    check_bin(INFER_INT8, "+3000000000", "00000000b2d05e00");
    check_bin(INFER_TEXT, "中", "e4b8ad");
    T_CHECK(infer_binary(INFER_TEXT, "", 0, (char[4]){0}) == 0, "empty is NULL");
}

int main(void)
{
    test_classify();
    test_pick();
    test_binary();
    T_DONE();
}
