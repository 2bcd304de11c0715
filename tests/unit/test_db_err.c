/* Unit tests for server/core/db_err.c: the one reading of a failed statement's SQLSTATE, and
 * the error kind each reading is answered with. */
#include "../../server/core/db_err.c"
#include "testh.h"

static void test_classify(void)
{
    static const struct {
        const char *state;
        bool lost;
        enum db_error_kind want;
    } cases[] = {
        {"OD100", false, DBE_NOT_FOUND},   {"OD210", false, DBE_BAD_VALUE},
        {"OD220", false, DBE_NO_FIELD},    {"OD403", false, DBE_FORBIDDEN},
        {"OD409", false, DBE_CONFLICT},    {"OD422", false, DBE_INVALID},
        {"OD999", false, DBE_QUERY}, /* not in the contract: a function's bug */
        {"OD10", false, DBE_QUERY},        {"od100", false, DBE_QUERY},
        {"08006", false, DBE_UNAVAILABLE}, {"08001", false, DBE_UNAVAILABLE},
        {"57P01", false, DBE_UNAVAILABLE}, {"57P03", false, DBE_UNAVAILABLE},
        {"57014", false, DBE_TIMEOUT},     {"23505", false, DBE_QUERY},
        {"42P01", false, DBE_QUERY},       {"", false, DBE_QUERY},
        {NULL, false, DBE_QUERY},          {"", true, DBE_UNAVAILABLE},
        {NULL, true, DBE_UNAVAILABLE},
        {"OD100", true, DBE_UNAVAILABLE}, /* a broken connection wins */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        T_CHECK(dberr_classify(cases[i].state, cases[i].lost) == cases[i].want,
                "classify(%s, %d) = %d", cases[i].state ? cases[i].state : "NULL", cases[i].lost,
                dberr_classify(cases[i].state, cases[i].lost));
}

static void test_refused(void)
{
    static const enum db_error_kind yes[] = {DBE_NOT_FOUND, DBE_BAD_VALUE, DBE_NO_FIELD,
                                             DBE_FORBIDDEN, DBE_CONFLICT,  DBE_INVALID};
    static const enum db_error_kind no[] = {DBE_NONE, DBE_UNAVAILABLE, DBE_TIMEOUT, DBE_QUERY};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++)
        T_CHECK(dberr_refused(yes[i]), "kind %d is a refusal", yes[i]);
    for (size_t i = 0; i < ARRAY_LEN(no); i++)
        T_CHECK(!dberr_refused(no[i]), "kind %d is not a refusal", no[i]);
}

static void test_err_kind(void)
{
    static const struct {
        enum db_error_kind kind;
        enum err_kind want;
    } cases[] = {
        {DBE_NOT_FOUND, ERR_NOT_FOUND},     {DBE_FORBIDDEN, ERR_FORBIDDEN},
        {DBE_NO_FIELD, ERR_FIELD},          {DBE_BAD_VALUE, ERR_PARAM_VALUE},
        {DBE_CONFLICT, ERR_PARAM_VALUE},    {DBE_INVALID, ERR_PARAM_VALUE},
        {DBE_UNAVAILABLE, ERR_UNAVAILABLE}, {DBE_TIMEOUT, ERR_UNAVAILABLE},
        {DBE_QUERY, ERR_INTERNAL},          {DBE_NONE, ERR_INTERNAL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        T_CHECK(dberr_err_kind(cases[i].kind) == cases[i].want, "err kind of %d", cases[i].kind);
    /* what the dumps did before the classifier was shared: "" is a lost connection */
    T_CHECK(dberr_err_kind(dberr_classify("", true)) == ERR_UNAVAILABLE, "lost connection");
    T_CHECK(dberr_err_kind(dberr_classify("57014", false)) == ERR_UNAVAILABLE, "timeout");
    T_CHECK(dberr_err_kind(dberr_classify("22P02", false)) == ERR_INTERNAL, "other failure");
}

int main(void)
{
    test_classify();
    test_refused();
    test_err_kind();
    T_DONE();
}
