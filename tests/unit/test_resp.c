/* Unit tests for the pure builders of server/core/resp.c (JSONP names and wrapping, pretty
 * re-indenting, the Accept header rule) and of the families' envelopes (tw/tw_resp.c,
 * ckan/ckan_resp.c), their answers to the refusals SQL functions raise included). */
#include "../../server/core/arena.c"
#include "../../server/core/jcompact.c"
#include "../../server/core/resp.c"
#include "../../server/core/util.c"
#include "../../server/ckan/ckan_resp.c"
#include "../../server/tw/tw_resp.c"
#include "testh.h"

/* Links to the running server, unused by the pure builders. */
static struct config stub_cfg;
const struct config *ckan_config(void) { return &stub_cfg; }
/* The last reply "sent", for the tests of the error path. */
static int sent_status;
static char *sent_text;
void req_finish_text(struct req *r, int status, const char *ct, char *text, size_t len)
{
    (void)r, (void)ct, (void)len;
    sent_status = status;
    free(sent_text);
    sent_text = text;
}
void req_finish_ref(struct req *r, int status, const char *ct, const char *data, size_t len,
                    void (*cleanup)(const void *, size_t, void *), void *arg, uint64_t hash)
{
    (void)r, (void)status, (void)ct, (void)hash;
    cleanup(data, len, arg);
}
void log_msg(enum log_level level, const char *fmt, ...)
{
    (void)level, (void)fmt;
}
const char *req_query_get(const struct req *r, const char *key, int *count)
{
    (void)r, (void)key, (void)count;
    return NULL;
}

static void test_errors(void)
{
    static const struct {
        bool tw;
        enum err_kind kind;
        const char *sub, *msg;
        int status;
        const char *want;
    } cases[] = {
        {true, ERR_NOT_FOUND, "ER010002", "Not found", 404,
         "{\"success\":false,\"error\":{\"message\":\"Not found\",\"type\":\"ER010002:找不到資料集\"}}"},
        {true, ERR_NOT_FOUND, NULL, "找不到資料: Resource \"x\"", 404,
         "{\"success\":false,\"error\":{\"message\":\"找不到資料: Resource \\\"x\\\"\","
         "\"type\":\"ER0100:找不到Resource資料\"}}"},
        {true, ERR_PARAM_NAME, NULL, "limt", 400,
         "{\"success\":false,\"error\":{\"message\":\"limt\",\"type\":\"ER0200:輸入的參數名稱錯誤\"}}"},
        {true, ERR_PARAM_VALUE, NULL, "a/b", 400,
         "{\"success\":false,\"error\":{\"message\":\"a/b\",\"type\":\"ER0210:輸入的參數內容格式錯誤\"}}"},
        {true, ERR_FIELD, NULL, "x", 400,
         "{\"success\":false,\"error\":{\"message\":\"x\",\"type\":\"ER0220:輸入的參數內容中，欄位名稱不存在\"}}"},
        {true, ERR_UNAVAILABLE, NULL, "down", 503,
         "{\"success\":false,\"error\":{\"message\":\"down\",\"type\":\"ER0500:系統錯誤\"}}"},
        {true, ERR_INTERNAL, "ER999999", "bug", 500,
         "{\"success\":false,\"error\":{\"message\":\"bug\",\"type\":\"ER0500:系統錯誤\"}}"},
        {false, ERR_NOT_FOUND, NULL, "Not found", 404,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Not found\","
         "\"__type\":\"Not Found Error\"},\"success\":false}"},
        {true, ERR_FORBIDDEN, NULL, "找不到資料", 404, /* no authorization there: not found */
         "{\"success\":false,\"error\":{\"message\":\"找不到資料\",\"type\":\"ER0100:找不到Resource資料\"}}"},
        {true, ERR_BAD_REQUEST, NULL, "bad", 400,
         "{\"success\":false,\"error\":{\"message\":\"bad\",\"type\":\"ER0210:輸入的參數內容格式錯誤\"}}"},
        {false, ERR_FORBIDDEN, NULL, "Access denied: User  not authorized to read package x", 403,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":"
         "\"Access denied: User  not authorized to read package x\",\"__type\":\"Authorization Error\"},"
         "\"success\":false}"},
        {false, ERR_BAD_REQUEST, NULL, "Bad request - x", 400,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Bad request - x\","
         "\"__type\":\"Bad Request\"},\"success\":false}"},
        {false, ERR_UNAVAILABLE, NULL, "down", 503,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"down\","
         "\"__type\":\"Service Unavailable\"},\"success\":false}"},
        {true, ERR_NO_ROUTE, NULL, "Not found: no such API path /api/v1/rest/x", 404,
         "{\"success\":false,\"error\":{\"message\":\"Not found: no such API path /api/v1/rest/x\","
         "\"type\":\"ER010004:找不到API路徑\"}}"},
        {false, ERR_NO_ROUTE, NULL, "Not found", 404,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Not found\","
         "\"__type\":\"Not Found Error\"},\"success\":false}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = 0;
        char *got = cases[i].tw
                        ? tw_resp_build_error(cases[i].kind, cases[i].sub, cases[i].msg, &status)
                        : ckan_resp_build_error("http://h/api/3/action/help_show?name=x",
                                                cases[i].kind, cases[i].msg, &status);
        T_STREQ(got, cases[i].want, cases[i].msg);
        T_CHECK(status == cases[i].status, "case %zu status %d", i, status);
        free(got);
    }
}

static void test_ok(void)
{
    size_t len;
    char *tw = tw_resp_build_ok("[\"臺北\"]", strlen("[\"臺北\"]"), &len);
    T_STREQ(tw, "{\"success\":true,\"result\":[\"臺北\"]}", "TW ok");
    T_CHECK(len == strlen(tw), "TW length");
    free(tw);
    char *ck = ckan_resp_build_ok("http://h/x?name=a/b", "null", 4, &len);
    T_STREQ(ck, "{\"help\":\"http://h/x?name=a/b\",\"success\":true,\"result\":null}", "CKAN ok");
    free(ck);
}

static void test_ckan_errors(void)
{
    char *got = ckan_resp_build_typed("http://h/x", "Validation Error", "query", "Missing value");
    T_STREQ(got, "{\"help\":\"http://h/x\",\"error\":{\"query\":\"Missing value\","
                 "\"__type\":\"Validation Error\"},\"success\":false}", "bare-string 409");
    free(got);
    got = ckan_resp_build_typed("http://h/x", "Search Query Error", "message", "a/b");
    T_STREQ(got, "{\"help\":\"http://h/x\",\"error\":{\"message\":\"a/b\","
                 "\"__type\":\"Search Query Error\"},\"success\":false}", "any __type");
    free(got);
    got = ckan_resp_build_invalid("http://h/x", "id", "Missing value");
    T_STREQ(got, "{\"help\":\"http://h/x\",\"error\":{\"__type\":\"Validation Error\","
                 "\"id\":[\"Missing value\"]},\"success\":false}", "list 409");
    free(got);
}

/* An SQL function's OD422 DETAIL → CKAN's 409 with every field's messages. */
static void test_ckan_invalid_dict(void)
{
    char *got = ckan_resp_build_invalid_dict(
        "http://h/x", "{\"name\": [\"That URL is already in use.\"], \"url\": [\"a\", \"b\"]}");
    T_STREQ(got, "{\"help\":\"http://h/x\",\"error\":{\"__type\":\"Validation Error\","
                 "\"name\":[\"That URL is already in use.\"],\"url\":[\"a\",\"b\"]},"
                 "\"success\":false}", "dict 409");
    free(got);
    /* one field: the same bytes as the single-field builder */
    got = ckan_resp_build_invalid_dict("http://h/x", "{\"id\": [\"Missing value\"]}");
    char *one = ckan_resp_build_invalid("http://h/x", "id", "Missing value");
    T_STREQ(got, one, "one-field dict");
    free(got);
    free(one);
    static const char *const bad[] = {"", "[\"name\"]", "\"x\"", "{\"a\": ", "null"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        got = ckan_resp_build_invalid_dict("http://h/x", bad[i]);
        T_CHECK(got == NULL, "not a dict: %s", bad[i]);
        free(got);
    }
}

/* A refusal an SQL function raised, as each family's envelope answers it (db_err.h). */
static void test_app_errors(void)
{
    static const struct srv_family ckan = {.name = "ckan", .env = &ckan_resp_env};
    static const struct srv_family tw = {.name = "tw", .env = &tw_resp_env};
    static const struct {
        const struct srv_family *fam;
        enum db_error_kind kind;
        const char *message, *detail;
        int status;
        const char *want;
    } cases[] = {
        {&ckan, DBE_NOT_FOUND, "", "", 404,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Not found\","
         "\"__type\":\"Not Found Error\"},\"success\":false}"},
        {&ckan, DBE_NOT_FOUND, "Resource was not found.", "", 404,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Not found: "
         "Resource was not found.\",\"__type\":\"Not Found Error\"},\"success\":false}"},
        {&ckan, DBE_FORBIDDEN, "User  not authorized to read group g", "", 403,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Access denied: "
         "User  not authorized to read group g\",\"__type\":\"Authorization Error\"},"
         "\"success\":false}"},
        {&ckan, DBE_FORBIDDEN, "", "", 403,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Access denied\","
         "\"__type\":\"Authorization Error\"},\"success\":false}"},
        {&ckan, DBE_NO_FIELD, "field \"z\" does not exist", "sort", 409,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"__type\":\"Validation Error\","
         "\"sort\":[\"field \\\"z\\\" does not exist\"]},\"success\":false}"},
        {&ckan, DBE_BAD_VALUE, "bad", "", 409,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"__type\":\"Validation Error\","
         "\"message\":[\"bad\"]},\"success\":false}"},
        {&ckan, DBE_CONFLICT, "That URL is already in use.", "name", 409,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"__type\":\"Validation Error\","
         "\"name\":[\"That URL is already in use.\"]},\"success\":false}"},
        {&ckan, DBE_INVALID, "invalid dataset", "{\"name\": [\"Missing value\"], \"url\": [\"a\"]}",
         409,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"__type\":\"Validation Error\","
         "\"name\":[\"Missing value\"],\"url\":[\"a\"]},\"success\":false}"},
        {&ckan, DBE_INVALID, "invalid dataset", "name", 500, /* DETAIL not a dict: a bug */
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"database error "
         "OD422\",\"__type\":\"Internal Server Error\"},\"success\":false}"},
        {&tw, DBE_NOT_FOUND, "Resource \"r\" was not found.", "", 404,
         "{\"success\":false,\"error\":{\"message\":\"找不到資料: Resource \\\"r\\\" was not "
         "found.\",\"type\":\"ER0100:找不到Resource資料\"}}"},
        {&tw, DBE_FORBIDDEN, "User  not authorized", "Resource \"r\" was not found.", 404,
         "{\"success\":false,\"error\":{\"message\":\"找不到資料: Resource \\\"r\\\" was not "
         "found.\",\"type\":\"ER0100:找不到Resource資料\"}}"},
        {&tw, DBE_NO_FIELD, "field \"z\" does not exist", "fields", 400,
         "{\"success\":false,\"error\":{\"message\":\"輸入的參數內容中，欄位名稱不存在: field "
         "\\\"z\\\" does not exist\",\"type\":\"ER0220:輸入的參數內容中，欄位名稱不存在\"}}"},
        {&tw, DBE_INVALID, "bad", "{}", 400,
         "{\"success\":false,\"error\":{\"message\":\"輸入的參數內容格式錯誤: bad\","
         "\"type\":\"ER0210:輸入的參數內容格式錯誤\"}}"},
    };
    stub_cfg.site_url = "http://h";
    struct evhttp_request *ev = evhttp_request_new(NULL, NULL);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct req r = {.ev = ev, .a = arena_new(), .fam = cases[i].fam, .method = M_POST,
                        .action = "x"};
        struct db_error err = {cases[i].kind, "OD422", cases[i].message, cases[i].detail};
        sent_status = 0;
        cases[i].fam->env->app_error(&r, &err);
        T_CHECK(sent_status == cases[i].status, "refusal %zu: status %d", i, sent_status);
        T_STREQ(sent_text, cases[i].want, cases[i].message);
        arena_free(r.a);
    }
    evhttp_request_free(ev);
    free(sent_text);
    sent_text = NULL;
}

static void test_jsonp(void)
{
    static const struct { const char *name; bool ok; } names[] = {
        {"cb", true}, {"jQuery123_456", true}, {"a.b_c$1", true}, {"$", true}, {"_x.$y.z9", true},
        {"", false}, {"1a", false}, {"a.1b", false}, {"a..b", false}, {".a", false}, {"a.", false},
        {"a b", false}, {"a(b)", false}, {"<script>", false}, {"a-b", false}, {"a;alert(1)", false},
        {"a[0]", false}, {"臺北", false}, {"a\"b", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        T_CHECK(resp_jsonp_name_valid(names[i].name) == names[i].ok, "jsonp name \"%s\"",
                names[i].name);
    char *longest = xmalloc(258);
    memset(longest, 'a', 257);
    longest[257] = '\0';
    T_CHECK(!resp_jsonp_name_valid(longest), "257 characters refused");
    longest[256] = '\0';
    T_CHECK(resp_jsonp_name_valid(longest), "256 characters accepted");
    free(longest);
    size_t len;
    char *w = resp_build_jsonp("a.b", "{\"x\":1}", 7, &len);
    T_STREQ(w, "a.b({\"x\":1});", "jsonp body");
    T_CHECK(len == strlen(w), "jsonp length");
    free(w);
}

static void test_pretty(void)
{
    const char *in = "{\"help\":\"http://h/a/b\",\"success\":true,\"result\":"
                     "{\"t\":\"臺北\",\"n\":1.50,\"l\":[1,null]}}";
    size_t len;
    char *p = resp_build_pretty(in, strlen(in), &len);
    T_STREQ(p, "{\n  \"help\": \"http://h/a/b\",\n  \"success\": true,\n  \"result\": {\n"
               "    \"t\": \"臺北\",\n    \"n\": 1.50,\n    \"l\": [\n      1,\n      null\n"
               "    ]\n  }\n}", "pretty body");
    T_CHECK(p && len == strlen(p), "pretty length");
    free(p);
    T_CHECK(resp_build_pretty("{\"a\":", 5, &len) == NULL, "broken JSON is not re-indented");
    T_CHECK(resp_build_pretty("{} x", 4, &len) == NULL, "trailing bytes are not dropped");
    p = resp_build_pretty("\"Bad request\"", 13, &len);
    T_STREQ(p, "\"Bad request\"", "a bare string stays as it is");
    free(p);
}

static void test_accept(void)
{
    static const struct { const char *accept; bool html; } cases[] = {
        {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
         true},
        {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
        {"*/*", false},
        {"application/json", false},
        {"application/json, text/javascript, */*; q=0.01", false},
        {"text/html;q=0.5, application/json", false},
        {"application/json;q=0.5, TEXT/HTML", true},
        {"text/html, application/json", false},
        {"text/html;q=0", false},
        {"", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        T_CHECK(resp_accept_prefers_html(cases[i].accept) == cases[i].html, "Accept \"%s\"",
                cases[i].accept);
}

int main(void)
{
    test_errors();
    test_ok();
    test_ckan_errors();
    test_ckan_invalid_dict();
    test_app_errors();
    test_jsonp();
    test_pretty();
    test_accept();
    T_DONE();
}
