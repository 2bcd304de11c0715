/* Unit tests for server/tw/tw_params.c: the Taiwan API's parameter rules and endpoint 7's
 * filters, q, fields, sort, limit and offset, on a struct req that has only an arena. */
#include "../../server/core/arena.c"
#include "../../server/core/req_query.c"
#include "../../server/core/route.c"
#include "../../server/tw/tw_params.c"
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "testh.h"

/* Endpoint 7 on query string qs: NULL when accepted (*d filled), else the error message. */
static const char *ds(struct arena *a, const char *qs, struct tw_ds_request *d, enum err_kind *k)
{
    struct req r = {.a = a};
    if (!req_parse_query(&r, qs))
        return "bad encoding";
    return tw_params_datastore(&r, "rid", 1000, 50, d, k);
}

static void test_refused(void)
{
    static const struct {
        const char *qs, *has;
        enum err_kind kind;
    } cases[] = {
        {"bogus=1", "unknown parameter \"bogus\"", ERR_PARAM_NAME},
        {"limit=1&limit=2", "given more than once", ERR_PARAM_VALUE},
        {"filters=[1]", "filters must be a JSON object", ERR_PARAM_VALUE},
        {"filters={\"a\":{\"b\":1}}", "filters must be", ERR_PARAM_VALUE},
        {"q=a", "at least 2 characters", ERR_PARAM_VALUE},
        {"fields=a,,b", "fields must be field names", ERR_PARAM_VALUE},
        {"fields=a,", "fields must be field names", ERR_PARAM_VALUE},
        {"fields=%20a", "fields must be field names", ERR_PARAM_VALUE},
        {"sort=a%20b%20c%20", "sort must be one field name", ERR_PARAM_VALUE},
        {"sort=%22a%22", "sort must be one field name", ERR_PARAM_VALUE},
        {"limit=1001", "limit must be an integer from 0 to 1000", ERR_PARAM_VALUE},
        {"offset=-1", "offset must be an integer", ERR_PARAM_VALUE},
    };
    struct arena *a = arena_new();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct tw_ds_request d;
        enum err_kind k = ERR_INTERNAL;
        const char *msg = ds(a, cases[i].qs, &d, &k);
        T_CHECK(msg && strstr(msg, cases[i].has) && k == cases[i].kind, "%s: %s (kind %d)",
                cases[i].qs, msg ? msg : "accepted", k);
    }
    arena_free(a);
}

static void test_accepted(void)
{
    struct arena *a = arena_new();
    struct tw_ds_request d;
    enum err_kind k;
    const char *msg = ds(a, "filters=%7B%22%E7%B8%A3%E5%B8%82%22:%22x%22,%22n%22:1%7D"
                            "&q=%E7%BE%8E%E6%BF%83&fields=a,b%20c&sort=a%20DESC&offset=7", &d, &k);
    T_CHECK(!msg, "accepted: %s", msg ? msg : "");
    if (!msg) {
        T_STREQ(d.p[0], "rid", "$1");
        T_STREQ(d.p[1], "{\"縣市\":\"x\",\"n\":1}", "$2 filters");
        T_STREQ(d.p[2], "美濃", "$3 q");
        T_STREQ(d.p[3], "[\"a\",\"b c\"]", "$4 fields");
        T_STREQ(d.p[4], "a DESC", "$5 sort");
        T_STREQ(d.p[5], "50", "$6 the default limit");
        T_STREQ(d.p[6], "7", "$7 offset");
        T_CHECK(d.read.style == SQLB_TW && d.read.nfields == 2 && d.read.nsort == 1 &&
                    d.read.limit == 50 && d.read.offset == 7 && d.read.filters && d.read.q,
                "the prepared read");
    }
    msg = ds(a, "", &d, &k);
    T_CHECK(!msg && !d.p[1] && !d.p[3] && !d.read.fields && d.read.offset == 0, "no parameters");
    arena_free(a);
}

int main(void)
{
    test_refused();
    test_accepted();
    T_DONE();
}
