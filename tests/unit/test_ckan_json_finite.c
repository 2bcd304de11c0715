/* Unit tests for ckan_json_finite (server/ckan/ckan_params.c): the NaN and infinities json-c
 * reads become Python's str() of them, at any depth, before a request goes to jsonb; other
 * values stay as they are. */
#include <event2/buffer.h>
#include <event2/http.h>

#include "../../server/core/arena.c"
#include "../../server/ckan/ckan_params.c"
#include "../../server/core/json_span.c"
#include "../../server/core/req_query.c"
#include "../../server/core/route.c"
#include "../../server/core/util.c"
#include "../../server/core/valid.c"
#include "testh.h"

/* ckan_params.c's replies; not reached here. */
void ckan_resp_invalid(struct req *r, const char *field, const char *message)
{
    (void)r, (void)field, (void)message;
}

void ckan_resp_invalid_str(struct req *r, const char *field, const char *message)
{
    (void)r, (void)field, (void)message;
}

void ckan_resp_bare(struct req *r, int status, const char *message)
{
    (void)r, (void)status, (void)message;
}

static void check(const char *in, const char *want)
{
    json_object *o = json_tokener_parse(in);
    T_CHECK(o != NULL, "parse %s", in);
    ckan_json_finite(o);
    T_STREQ(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), want, in);
    json_object_put(o);
}

int main(void)
{
    check("{\"a\":NaN}", "{\"a\":\"nan\"}");
    check("{\"a\":Infinity,\"b\":-Infinity}", "{\"a\":\"inf\",\"b\":\"-inf\"}");
    check("{\"l\":[1,NaN,{\"x\":[Infinity]}]}", "{\"l\":[1,\"nan\",{\"x\":[\"inf\"]}]}");
    check("{\"n\":1.5,\"s\":\"NaN\",\"z\":null}", "{\"n\":1.5,\"s\":\"NaN\",\"z\":null}");
    T_DONE();
}
