/* Unit tests for the envelope builders of server/resp.c (Taiwan and CKAN). */
#include "../../server/arena.c"
#include "../../server/resp.c"
#include "../../server/util.c"
#include "testh.h"

/* resp.c's links to the running server, unused by the pure builders. */
static struct config stub_cfg;
const struct config *srv_config(void) { return &stub_cfg; }
void req_finish(struct req *r, int status, const char *ct, struct evbuffer *b)
{
    (void)r, (void)status, (void)ct, (void)b;
}

static void test_errors(void)
{
    static const struct {
        int api;
        enum err_kind kind;
        const char *sub, *msg;
        int status;
        const char *want;
    } cases[] = {
        {API_TW, ERR_NOT_FOUND, "ER010002", "Not found", 404,
         "{\"success\":false,\"error\":{\"message\":\"Not found\",\"type\":\"ER010002:找不到資料集\"}}"},
        {API_TW, ERR_NOT_FOUND, NULL, "找不到資料: Resource \"x\"", 404,
         "{\"success\":false,\"error\":{\"message\":\"找不到資料: Resource \\\"x\\\"\","
         "\"type\":\"ER0100:找不到Resource資料\"}}"},
        {API_TW, ERR_PARAM_NAME, NULL, "limt", 400,
         "{\"success\":false,\"error\":{\"message\":\"limt\",\"type\":\"ER0200:輸入的參數名稱錯誤\"}}"},
        {API_TW, ERR_PARAM_VALUE, NULL, "a/b", 400,
         "{\"success\":false,\"error\":{\"message\":\"a/b\",\"type\":\"ER0210:輸入的參數內容格式錯誤\"}}"},
        {API_TW, ERR_FIELD, NULL, "x", 400,
         "{\"success\":false,\"error\":{\"message\":\"x\",\"type\":\"ER0220:輸入的參數內容中，欄位名稱不存在\"}}"},
        {API_TW, ERR_UNAVAILABLE, NULL, "down", 503,
         "{\"success\":false,\"error\":{\"message\":\"down\",\"type\":\"ER0500:系統錯誤\"}}"},
        {API_TW, ERR_INTERNAL, "ER999999", "bug", 500,
         "{\"success\":false,\"error\":{\"message\":\"bug\",\"type\":\"ER0500:系統錯誤\"}}"},
        {API_CKAN, ERR_NOT_FOUND, NULL, "Not found", 404,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"Not found\","
         "\"__type\":\"Not Found Error\"},\"success\":false}"},
        {API_CKAN, ERR_UNAVAILABLE, NULL, "down", 503,
         "{\"help\":\"http://h/api/3/action/help_show?name=x\",\"error\":{\"message\":\"down\","
         "\"__type\":\"Internal Server Error\"},\"success\":false}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = 0;
        char *got = resp_build_error(cases[i].api, "http://h/api/3/action/help_show?name=x",
                                     cases[i].kind, cases[i].sub, cases[i].msg, &status);
        T_STREQ(got, cases[i].want, cases[i].msg);
        T_CHECK(status == cases[i].status, "case %zu status %d", i, status);
        free(got);
    }
}

static void test_ok(void)
{
    size_t len;
    char *tw = resp_build_ok(API_TW, NULL, "[\"臺北\"]", strlen("[\"臺北\"]"), &len);
    T_STREQ(tw, "{\"success\":true,\"result\":[\"臺北\"]}", "TW ok");
    T_CHECK(len == strlen(tw), "TW length");
    free(tw);
    char *ck = resp_build_ok(API_CKAN, "http://h/x?name=a/b", "null", 4, &len);
    T_STREQ(ck, "{\"help\":\"http://h/x?name=a/b\",\"success\":true,\"result\":null}", "CKAN ok");
    free(ck);
}

int main(void)
{
    test_errors();
    test_ok();
    T_DONE();
}
