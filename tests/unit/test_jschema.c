/* test_jschema.c — unit tests for server/core/jschema.c (JSON Schema draft-07 subset over json-c).
 * Build from the repository root:
 *   gcc -std=c17 -Wall -Wextra -O1 -g -fsanitize=address,undefined tests/unit/test_jschema.c \
 *       $(pkg-config --cflags --libs json-c) -o /tmp/test_jschema && /tmp/test_jschema
 * Files (the metadata schema, the two Taiwan metadata fixtures) are found relative to this
 * source file's path, so run the binary from the directory it was compiled from. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, for the jschema_load_file cases */
#include "../../server/core/jschema.c"
#include "../../server/core/jschema_load.c"
#include "../../server/core/sbuf.c"
#include "../../server/core/util.c"

#include <stdlib.h>
#include <unistd.h>

#include "testh.h"

/* ---- helpers ---- */

/* Parses JSON written with ' for " (keeps the tables readable); *ok is false on bad JSON. */
static json_object *J(const char *text, bool *ok)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    enum json_tokener_error jerr;
    json_object *v = json_tokener_parse_verbose(s, &jerr);
    *ok = jerr == json_tokener_success;
    T_CHECK(*ok, "test JSON does not parse: %s", text);
    free(s);
    return v;
}

static bool same_or_null(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Expected message "...*" means: starts with "...". */
static bool msg_matches(const char *got, const char *want)
{
    size_t n = strlen(want);
    if (n && want[n - 1] == '*')
        return got && strncmp(got, want, n - 1) == 0;
    return got && strcmp(got, want) == 0;
}

/* Checks one validation result against the expected path/field/message (path NULL = valid). */
static void check_result(const char *what, bool ok, struct jschema_error *err, const char *path,
                         const char *field, const char *message)
{
    T_CHECK(ok == (path == NULL), "%s: valid=%d, want %d (got %s: %s)", what, ok, path == NULL,
            err->path ? err->path : "-", err->message ? err->message : "-");
    if (ok || !path) {
        T_CHECK(!err->path && !err->field && !err->message, "%s: error not cleared", what);
        return;
    }
    T_STREQ(err->path, path, what);
    T_CHECK(same_or_null(err->field, field), "%s: field \"%s\", want \"%s\"", what,
            err->field ? err->field : "(null)", field ? field : "(null)");
    T_CHECK(msg_matches(err->message, message), "%s: message \"%s\", want \"%s\"", what,
            err->message ? err->message : "(null)", message);
}

/* ---- the table: every keyword, passing and failing ---- */

struct vcase {
    const char *schema;   /* JSON with ' for " */
    const char *instance; /* JSON with ' for " */
    const char *path;     /* NULL = must be valid */
    const char *field;
    const char *message;  /* exact, or a prefix ending in '*' */
};

static const struct vcase cases[] = {
    /* type */
    {"{'type':'string'}", "'abc'", NULL, NULL, NULL},
    {"{'type':'string'}", "5", "", NULL, "must be a string"},
    {"{'type':'integer'}", "5", NULL, NULL, NULL},
    {"{'type':'integer'}", "5.0", NULL, NULL, NULL},
    {"{'type':'integer'}", "-7", NULL, NULL, NULL},
    {"{'type':'integer'}", "5.5", "", NULL, "must be an integer"},
    {"{'type':'integer'}", "'5'", "", NULL, "must be an integer"},
    {"{'type':'number'}", "5.5", NULL, NULL, NULL},
    {"{'type':'number'}", "5", NULL, NULL, NULL},
    {"{'type':'number'}", "'5'", "", NULL, "must be a number"},
    {"{'type':'object'}", "{}", NULL, NULL, NULL},
    {"{'type':'object'}", "[]", "", NULL, "must be an object"},
    {"{'type':'array'}", "[]", NULL, NULL, NULL},
    {"{'type':'array'}", "{}", "", NULL, "must be an array"},
    {"{'type':'boolean'}", "false", NULL, NULL, NULL},
    {"{'type':'boolean'}", "0", "", NULL, "must be a boolean"},
    {"{'type':'null'}", "null", NULL, NULL, NULL},
    {"{'type':'null'}", "false", "", NULL, "must be null"},
    {"{'type':['string','null']}", "null", NULL, NULL, NULL},
    {"{'type':['string','null']}", "'x'", NULL, NULL, NULL},
    {"{'type':['string','null']}", "1", "", NULL, "must be a string or null"},
    {"{'type':['integer','string','null']}", "true", "", NULL, "must be an integer, a string or null"},
    {"{'type':'strng'}", "'x'", "", NULL, "schema error: keyword \"type\" has an invalid value"},
    /* enum */
    {"{'enum':['a','b',1,null]}", "'b'", NULL, NULL, NULL},
    {"{'enum':['a','b',1,null]}", "1.0", NULL, NULL, NULL},
    {"{'enum':['a','b',1,null]}", "null", NULL, NULL, NULL},
    {"{'enum':['a','b']}", "'c'", "", NULL, "must be one of: \"a\", \"b\""},
    {"{'enum':[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]}", "26", "",
     NULL, "must be one of: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, "
           "... (25 allowed values)"},
    {"{'enum':[{'a':[1,2]}]}", "{'a':[1,2.0]}", NULL, NULL, NULL},
    {"{'enum':[{'a':[1,2]}]}", "{'a':[2,1]}", "", NULL, "must be one of: {\"a\":[1,2]}"},
    /* const */
    {"{'const':'x'}", "'x'", NULL, NULL, NULL},
    {"{'const':'x'}", "'y'", "", NULL, "must be \"x\""},
    {"{'const':null}", "null", NULL, NULL, NULL},
    {"{'const':null}", "0", "", NULL, "must be null"},
    {"{'const':{'a':1}}", "{'a':1.0}", NULL, NULL, NULL},
    {"{'const':{'a':1}}", "{'a':1,'b':2}", "", NULL, "must be {\"a\":1}"},
    /* required */
    {"{'required':['a','b']}", "{'a':1,'b':null}", NULL, NULL, NULL},
    {"{'required':['a','b']}", "{'a':1}", "/b", "b", "required property missing"},
    {"{'required':['a']}", "'not an object'", NULL, NULL, NULL},
    /* properties */
    {"{'properties':{'a':{'type':'string'}}}", "{'a':'x','z':1}", NULL, NULL, NULL},
    {"{'properties':{'a':{'type':'string'}}}", "{'a':1}", "/a", "a", "must be a string"},
    {"{'properties':{'a/b~c':{'type':'string'}}}", "{'a/b~c':1}", "/a~1b~0c", "a/b~c",
     "must be a string"},
    {"{'properties':{'a':false}}", "{'a':1}", "/a", "a", "no value is allowed here"},
    /* additionalProperties */
    {"{'properties':{'a':{}},'additionalProperties':false}", "{'a':1}", NULL, NULL, NULL},
    {"{'properties':{'a':{}},'additionalProperties':false}", "{'a':1,'b':2}", "/b", "b",
     "property not allowed"},
    {"{'additionalProperties':{'type':'integer'}}", "{'x':1,'y':'2'}", "/y", "y",
     "must be an integer"},
    {"{'additionalProperties':true}", "{'x':1}", NULL, NULL, NULL},
    /* items */
    {"{'items':{'type':'integer'}}", "[1,2,3]", NULL, NULL, NULL},
    {"{'items':{'type':'integer'}}", "[1,'x']", "/1", NULL, "must be an integer"},
    {"{'items':false}", "[]", NULL, NULL, NULL},
    {"{'items':false}", "[1]", "/0", NULL, "no value is allowed here"},
    {"{'items':[{}]}", "[1]", "", NULL, "schema error: \"items\" as an array is not supported"},
    /* minItems, maxItems */
    {"{'minItems':2}", "[1,2]", NULL, NULL, NULL},
    {"{'minItems':2}", "[1]", "", NULL, "must have at least 2 items"},
    {"{'minItems':1}", "[]", "", NULL, "must have at least 1 item"},
    {"{'maxItems':1}", "[1]", NULL, NULL, NULL},
    {"{'maxItems':1}", "[1,2]", "", NULL, "must have at most 1 item (has 2)"},
    {"{'minItems':1.5}", "[]", "", NULL, "schema error: keyword \"minItems\" has an invalid value"},
    /* minLength, maxLength: code points, not bytes */
    {"{'minLength':2}", "'臺北'", NULL, NULL, NULL},
    {"{'minLength':2}", "'市'", "", NULL, "must be at least 2 characters long (has 1)"},
    {"{'maxLength':4}", "'自來水管'", NULL, NULL, NULL},
    {"{'maxLength':4}", "'自來水管承'", "", NULL, "must be at most 4 characters long (has 5)"},
    {"{'maxLength':2}", "'😀😀'", NULL, NULL, NULL},
    {"{'minLength':1}", "''", "", NULL, "must not be empty"},
    {"{'minLength':5}", "5", NULL, NULL, NULL},
    {"{'minLength':-1}", "'x'", "", NULL, "schema error: keyword \"minLength\" has an invalid value"},
    /* pattern: POSIX ERE, unanchored */
    {"{'pattern':'^[0-9]+$'}", "'123'", NULL, NULL, NULL},
    {"{'pattern':'^[0-9]+$'}", "'12a'", "", NULL, "does not match the pattern ^[0-9]+$: \"12a\""},
    {"{'pattern':'b'}", "'abc'", NULL, NULL, NULL},
    {"{'pattern':'^[0-9]+$'}", "123", NULL, NULL, NULL},
    {"{'pattern':'^[a-z]+$'}", "'a\\u0000b'", "", NULL, "must not contain a NUL character (\\u0000)"},
    {"{'pattern':'(['}", "'x'", "", NULL, "schema error: invalid pattern ([: *"},
    /* minimum, maximum (inclusive) */
    {"{'minimum':1}", "1", NULL, NULL, NULL},
    {"{'minimum':1}", "0.5", "", NULL, "must be at least 1"},
    {"{'maximum':2.5}", "2.5", NULL, NULL, NULL},
    {"{'maximum':2.5}", "3", "", NULL, "must be at most 2.5"},
    {"{'minimum':0}", "'x'", NULL, NULL, NULL},
    {"{'maximum':9223372036854775807}", "9223372036854775807", NULL, NULL, NULL},
    {"{'maximum':18446744073709551614}", "18446744073709551615", "", NULL,
     "must be at most 18446744073709551614"},
    /* anyOf: the most specific branch error, else a generic one */
    {"{'anyOf':[{'type':'integer'},{'type':'string','pattern':'^[0-9]+$'}]}", "5", NULL, NULL, NULL},
    {"{'anyOf':[{'type':'integer'},{'type':'string','pattern':'^[0-9]+$'}]}", "'5'", NULL, NULL, NULL},
    {"{'anyOf':[{'type':'integer'},{'type':'string','pattern':'^[0-9]+$'}]}", "'x'", "", NULL,
     "does not match the pattern ^[0-9]+$: \"x\""},
    {"{'anyOf':[{'type':'integer'},{'type':'string','pattern':'^[0-9]+$'}]}", "true", "", NULL,
     "does not match any allowed form"},
    {"{'anyOf':[{'type':'null'},{'enum':['a','b']}]}", "'c'", "", NULL, "must be one of: \"a\", \"b\""},
    {"{'anyOf':[{'type':'array'},{'properties':{'a':{'type':'string'}}}]}", "{'a':1}", "/a", "a",
     "must be a string"},
    {"{'anyOf':[{'type':'integer'},{'type':'null'}],'errorMessage':'must be a count'}", "'x'", "",
     NULL, "must be a count: \"x\""},
    /* oneOf */
    {"{'oneOf':[{'type':'integer'},{'minimum':2}]}", "1", NULL, NULL, NULL},
    {"{'oneOf':[{'type':'integer'},{'minimum':2}]}", "'x'", NULL, NULL, NULL},
    {"{'oneOf':[{'type':'integer'},{'minimum':2}]}", "3", "", NULL, "matches more than one allowed form"},
    {"{'oneOf':[{'type':'integer'},{'minimum':2}]}", "1.5", "", NULL, "must be at least 2"},
    /* allOf */
    {"{'allOf':[{'type':'string'},{'maxLength':2}]}", "'ab'", NULL, NULL, NULL},
    {"{'allOf':[{'type':'string'},{'maxLength':2}]}", "'abc'", "", NULL,
     "must be at most 2 characters long (has 3)"},
    {"{'allOf':[{'type':'string'},{'maxLength':2}]}", "5", "", NULL, "must be a string"},
    /* not */
    {"{'not':{'type':'null'}}", "1", NULL, NULL, NULL},
    {"{'not':{'type':'null'}}", "null", "", NULL, "matches a form that is not allowed"},
    /* $ref */
    {"{'definitions':{'d':{'type':'string'}},'properties':{'x':{'$ref':'#/definitions/d'}}}",
     "{'x':'a'}", NULL, NULL, NULL},
    {"{'definitions':{'d':{'type':'string'}},'properties':{'x':{'$ref':'#/definitions/d'}}}",
     "{'x':1}", "/x", "x", "must be a string"},
    {"{'$defs':{'d':{'type':'integer'}},'items':{'$ref':'#/$defs/d'}}", "[1,'a']", "/1", NULL,
     "must be an integer"},
    {"{'properties':{'child':{'$ref':'#'}},'required':['id']}", "{'id':1,'child':{'id':2,'child':{}}}",
     "/child/child/id", "id", "required property missing"},
    {"{'definitions':{'d':{}},'properties':{'x':{'$ref':'#/definitions/d','type':'string'}}}",
     "{'x':1}", NULL, NULL, NULL},
    {"{'definitions':{'a/b':{'type':'null'}},'$ref':'#/definitions/a~1b'}", "1", "", NULL,
     "must be null"},
    {"{'$ref':'#/definitions/nope'}", "1", "", NULL,
     "schema error: cannot resolve $ref \"#/definitions/nope\""},
    {"{'$ref':'#/properties/a'}", "1", "", NULL, "schema error: cannot resolve $ref *"},
    {"{'$ref':'#'}", "1", "", NULL, "schema error: nested more than 128 levels deep (a $ref cycle?)"},
    /* boolean schemas, ignored keywords, unknown formats */
    {"true", "{'x':[1]}", NULL, NULL, NULL},
    {"false", "1", "", NULL, "no value is allowed here"},
    {"{'title':'t','description':'d','$schema':'http://json-schema.org/draft-07/schema#','$id':'x',"
     "'$comment':'c','default':1,'examples':[2],'format':'no-such-format'}", "'x'", NULL, NULL, NULL},
    {"5", "1", "", NULL, "schema error: a schema must be an object or a boolean"},
    /* errorMessage: innermost wins, path moves to the schema that carries it */
    {"{'properties':{'a':{'type':'integer','errorMessage':'must be a count'}}}", "{'a':'x'}", "/a",
     "a", "must be a count: \"x\""},
    {"{'errorMessage':'outer','properties':{'a':{'type':'integer','errorMessage':'inner'}}}",
     "{'a':true}", "/a", "a", "inner: true"},
    {"{'errorMessage':'bad record','properties':{'a':{'type':'integer'}}}", "{'a':'x'}", "", NULL,
     "bad record"},
    /* nested paths; field is the last property name, array indexes skipped */
    {"{'properties':{'distribution':{'items':{'properties':{'resourceModified':{'type':'string'}}}}}}",
     "{'distribution':[{},{'resourceModified':5}]}", "/distribution/1/resourceModified",
     "resourceModified", "must be a string"},
    {"{'properties':{'keyword':{'items':{'type':'string'}}}}", "{'keyword':['a',1]}", "/keyword/1",
     "keyword", "must be a string"},
    /* message quoting: escapes, long values cut after 60 code points */
    {"{'pattern':'^a'}", "'x\\\"y\\n'", "", NULL, "does not match the pattern ^a: \"x\\\"y\\u000a\""},
    {"{'const':'x'}", "'a'", "", NULL, "must be \"x\""},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct vcase *c = &cases[i];
        bool ok1, ok2;
        json_object *s = J(c->schema, &ok1), *inst = J(c->instance, &ok2);
        char what[64];
        snprintf(what, sizeof what, "case %zu", i);
        if (ok1 && ok2) {
            struct jschema_error err;
            bool ok = jschema_validate(s, inst, NULL, &err);
            check_result(what, ok, &err, c->path, c->field, c->message);
            jschema_error_clear(&err);
        }
        json_object_put(s);
        json_object_put(inst);
    }
}

/* ---- messages that are easier to build than to spell out ---- */

static void test_long_values(void)
{
    bool ok;
    json_object *s = J("{'pattern':'^a'}", &ok);
    struct sbuf want = {0}, text = {0};
    sbuf_adds(&text, "\"");
    for (int i = 0; i < 70; i++)
        sbuf_adds(&text, "字");
    sbuf_adds(&text, "\"");
    sbuf_adds(&want, "does not match the pattern ^a: \"");
    for (int i = 0; i < 60; i++)
        sbuf_adds(&want, "字");
    sbuf_adds(&want, "...\"");
    json_object *inst = json_tokener_parse(text.p);
    struct jschema_error err;
    T_CHECK(!jschema_validate(s, inst, NULL, &err), "long value rejected");
    T_STREQ(err.message, want.p, "long value cut after 60 code points");
    jschema_error_clear(&err);
    json_object_put(s);
    json_object_put(inst);
    free(want.p);
    free(text.p);
}

static void test_long_enum(void)
{
    bool ok;
    json_object *s = J("{'enum':['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1',"
                       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2',"
                       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3',"
                       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4',"
                       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5',"
                       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa6']}", &ok);
    json_object *inst = json_object_new_string("b");
    struct jschema_error err;
    T_CHECK(!jschema_validate(s, inst, NULL, &err), "long enum rejected");
    T_CHECK(err.message && strstr(err.message, "a4\", ... (6 allowed values)") &&
                !strstr(err.message, "a5"), "long enum list cut by size: %s", err.message);
    jschema_error_clear(&err);
    jschema_error_clear(&err); /* clearing twice is safe */
    T_CHECK(!err.path && !err.field && !err.message, "cleared error is all NULL");
    T_CHECK(!jschema_validate(s, inst, NULL, NULL), "err may be NULL");
    json_object_put(s);
    json_object_put(inst);
}

/* ---- format callbacks ---- */

static bool check_even(const char *value, void *arg)
{
    ++*(int *)arg;
    return strlen(value) % 2 == 0;
}

static void test_formats(void)
{
    int calls = 0;
    const struct jschema_format fmts[] = {{"even-length", check_even, &calls}, {NULL, NULL, NULL}};
    bool ok;
    json_object *s = J("{'properties':{'code':{'format':'even-length'},'other':{'format':'nope'}}}", &ok);
    static const struct {
        const char *inst, *msg;
    } fc[] = {
        {"{'code':'ab'}", NULL},
        {"{'code':'abc'}", "not a valid even-length: \"abc\""},
        {"{'code':5}", NULL},   /* formats only look at strings */
        {"{'other':'x'}", NULL}, /* unknown formats are ignored */
    };
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) {
        json_object *inst = J(fc[i].inst, &ok);
        struct jschema_error err;
        bool valid = jschema_validate(s, inst, fmts, &err);
        check_result(fc[i].inst, valid, &err, fc[i].msg ? "/code" : NULL, "code", fc[i].msg);
        jschema_error_clear(&err);
        json_object_put(inst);
    }
    T_CHECK(calls == 2, "format callback called with its arg: %d calls, want 2", calls);
    json_object *inst = J("{'code':'abc'}", &ok);
    T_CHECK(jschema_validate(s, inst, NULL, NULL), "no format table: formats ignored");
    json_object_put(inst);
    json_object_put(s);
}

/* ---- the Taiwan metadata schema against real records ---- */

static bool stub_datetime(const char *value, void *arg)
{
    (void)value;
    (void)arg;
    return true;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A real date "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", year 1000-2200 (the importer's rule). */
static bool real_datetime(const char *v, void *arg)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    (void)arg;
    size_t n = strlen(v);
    if ((n != 10 && n != 19) || v[4] != '-' || v[7] != '-')
        return false;
    int y = digits(v, 4), m = digits(v + 5, 2), d = digits(v + 8, 2);
    if (y < 1000 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return false;
    if (n == 10)
        return true;
    int hh = digits(v + 11, 2), mm = digits(v + 14, 2), ss = digits(v + 17, 2);
    return v[10] == ' ' && v[13] == ':' && v[16] == ':' && hh >= 0 && hh < 24 && mm >= 0 &&
           mm < 60 && ss >= 0 && ss < 60;
}

static void test_real_datetime(void)
{
    static const struct {
        const char *v;
        bool ok;
    } dt[] = {
        {"2024-02-29", true},           {"2023-02-29", false},          {"2000-02-29", true},
        {"1900-02-29", false},          {"2024-02-29 23:59:59", true},  {"2024-02-29 24:00:00", false},
        {"0999-12-31", false},          {"1000-01-01", true},           {"2200-12-31 00:00:00", true},
        {"2201-01-01", false},          {"3872-04-17 11:13:15", false}, {"2024-1-01", false},
        {"2024-01-01T00:00:00", false}, {"2024-04-31", false},          {"", false},
    };
    for (size_t i = 0; i < sizeof dt / sizeof dt[0]; i++)
        T_CHECK(real_datetime(dt[i].v, NULL) == dt[i].ok, "real_datetime(\"%s\") != %d", dt[i].v,
                dt[i].ok);
}

/* path of a file relative to this source file's directory */
static char *here(const char *rel)
{
    const char *slash = strrchr(__FILE__, '/');
    struct sbuf b = {0};
    if (slash)
        sbuf_add(&b, __FILE__, (size_t)(slash - __FILE__ + 1));
    sbuf_adds(&b, rel);
    return sbuf_take(&b);
}

static json_object *load_json(const char *rel)
{
    char *path = here(rel);
    json_object *v = json_object_from_file(path);
    T_CHECK(v != NULL, "cannot read %s", path);
    free(path);
    return v;
}

static const struct jschema_format stub_fmts[] = {{"tw-datetime", stub_datetime, NULL}, {NULL, NULL, NULL}};
static const struct jschema_format real_fmts[] = {{"tw-datetime", real_datetime, NULL}, {NULL, NULL, NULL}};

static void test_fixtures(json_object *schema)
{
    json_object *real = load_json("../fixtures/datagovtw_v1_rest_dataset_A41000000G-000001.json");
    json_object *bad = load_json("../fixtures/metadata_313200000G-000216_example.json");
    json_object *result = NULL;
    json_object_object_get_ex(real, "result", &result);
    struct jschema_error err;
    bool ok = result && jschema_validate(schema, result, stub_fmts, &err);
    check_result("A41000000G-000001, stub dates", ok, &err, NULL, NULL, NULL);
    ok = result && jschema_validate(schema, result, real_fmts, &err);
    check_result("A41000000G-000001, real dates", ok, &err, NULL, NULL, NULL);
    ok = bad && jschema_validate(schema, bad, stub_fmts, &err);
    check_result("313200000G-000216 while dates are not checked", ok, &err, NULL, NULL, NULL);
    jschema_error_clear(&err);
    ok = bad && jschema_validate(schema, bad, real_fmts, &err);
    check_result("313200000G-000216, real dates", ok, &err, "/temporalCoverageFrom",
                 "temporalCoverageFrom", "not a real date: \"3872-01-01 00:00:00\"");
    jschema_error_clear(&err);
    json_object_put(real);
    json_object_put(bad);
}

/* The last path segment that is not an array index (what jschema_error.field should be). */
static char *last_name(const char *path)
{
    const char *best = NULL, *end = NULL;
    for (const char *seg = path; seg && *seg == '/'; seg = strchr(seg + 1, '/')) {
        const char *stop = strchr(seg + 1, '/');
        size_t n = stop ? (size_t)(stop - seg - 1) : strlen(seg + 1);
        if (strspn(seg + 1, "0123456789") != n || n == 0)
            best = seg + 1, end = seg + 1 + n;
    }
    struct sbuf b = {0};
    if (!best)
        return NULL;
    sbuf_add(&b, best, (size_t)(end - best));
    return sbuf_take(&b);
}

/* Variations of the real record: one field replaced (or removed when value is NULL). */
struct mcase {
    const char *field;     /* top level, or "distribution/0/NAME" */
    const char *value;     /* JSON with ' for ", NULL = remove */
    const char *path;      /* NULL = valid */
    const char *message;
};

static const struct mcase mcases[] = {
    {"distribution/0/resourceModified", "'3872-04-17 11:13:15'", "/distribution/0/resourceModified",
     "not a real date: \"3872-04-17 11:13:15\""},
    {"distribution/0/resourceModified", "''", NULL, NULL},
    {"distribution/0/resourceModified", "null", NULL, NULL},
    {"distribution/0/resourceID", "'A41000000G-000001 001'", "/distribution/0/resourceID",
     "must be a non-empty string without spaces: \"A41000000G-000001 001\""},
    {"distribution/0/resourceID", "'F-C0032-001'", NULL, NULL},
    {"distribution/0/resourceID", NULL, "/distribution/0/resourceID", "required property missing"},
    {"distribution/0/format", "5", "/distribution/0/format", "must be a string or null"},
    {"issued", "'2024-02-30'", "/issued", "not a real date: \"2024-02-30\""},
    {"issued", "'2024-02-29'", NULL, NULL},
    {"issued", "''", NULL, NULL},
    {"issued", "null", NULL, NULL},
    {"issued", "20240229", "/issued",
     "must be a date \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM:SS\", \"\" or null: 20240229"},
    {"modified", NULL, NULL, NULL},
    {"identifier", "'A41000000G 000001'", "/identifier",
     "must be 1 to 64 letters, digits, '-', '_' or '.' (no spaces): \"A41000000G 000001\""},
    {"identifier", "''", "/identifier", "must be 1 to 64 letters, digits, '-', '_' or '.' (no spaces): \"\""},
    {"identifier", "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", "/identifier",
     "must be 1 to 64 letters, digits, '-', '_' or '.' (no spaces): *"},
    {"identifier", "'A21030000I-D50001'", NULL, NULL},
    {"identifier", "'397000000A_000002'", NULL, NULL},
    {"identifier", "'0b1d9f0e-4d0a-4c43-9f0b-6c1e8e1f2a3b'", NULL, NULL},
    {"identifier", NULL, "/identifier", "required property missing"},
    {"title", NULL, "/title", "required property missing"},
    {"title", "''", "/title", "must not be empty"},
    {"categoryCode", "'J00'", "/categoryCode",
     "must be one of: \"100\", \"200\", \"300\", \"400\", \"500\", \"600\", \"700\", \"800\", "
     "\"900\", \"A00\", \"B00\", \"C00\", \"D00\", \"E00\", \"F00\", \"G00\", \"H00\", \"I00\""},
    {"categoryCode", "'E00'", NULL, NULL},
    {"keyword", "['a','']", "/keyword/1", "must not be empty"},
    {"keyword", "'a'", "/keyword", "must be an array"},
    {"keyword", NULL, NULL, NULL},
    {"numberOfData", "'1'", NULL, NULL},
    {"numberOfData", "''", NULL, NULL},
    {"numberOfData", "null", NULL, NULL},
    {"numberOfData", "28000.0", NULL, NULL},
    {"numberOfData", "'12a'", "/numberOfData",
     "must be a whole number (0 or more), a string of digits, \"\" or null: \"12a\""},
    {"numberOfData", "1.5", "/numberOfData",
     "must be a whole number (0 or more), a string of digits, \"\" or null: 1.5"},
    {"numberOfData", "-1", "/numberOfData",
     "must be a whole number (0 or more), a string of digits, \"\" or null: -1"},
    {"description", "5", "/description", "must be a string or null"},
    {"license", "null", NULL, NULL},
    {"distribution", "null", NULL, NULL},
    {"distribution", "[]", NULL, NULL},
    {"distribution", "{}", "/distribution", "must be an array or null"},
    {"agencyExtra", "{'any':['thing']}", NULL, NULL},
};

static void test_mutations(json_object *schema)
{
    json_object *real = load_json("../fixtures/datagovtw_v1_rest_dataset_A41000000G-000001.json");
    json_object *result = NULL;
    json_object_object_get_ex(real, "result", &result);
    for (size_t i = 0; result && i < sizeof mcases / sizeof mcases[0]; i++) {
        const struct mcase *m = &mcases[i];
        json_object *rec = NULL, *target;
        json_object_deep_copy(result, &rec, NULL);
        const char *name = m->field;
        target = rec;
        if (strncmp(name, "distribution/0/", 15) == 0) {
            json_object_object_get_ex(rec, "distribution", &target);
            target = json_object_array_get_idx(target, 0);
            name += 15;
        }
        bool ok = true;
        if (m->value)
            json_object_object_add(target, name, J(m->value, &ok));
        else
            json_object_object_del(target, name);
        struct jschema_error err;
        char what[96];
        snprintf(what, sizeof what, "%s = %s", m->field, m->value ? m->value : "(removed)");
        bool valid = jschema_validate(schema, rec, real_fmts, &err);
        char *field = m->path ? last_name(m->path) : NULL;
        check_result(what, valid, &err, m->path, field, m->message);
        free(field);
        jschema_error_clear(&err);
        json_object_put(rec);
    }
    json_object_put(real);
}

/* ---- jschema_load_file ---- */

/* Writes text to a fresh temporary file and returns its malloc'd path. */
static char *temp_file(const char *text)
{
    const char *dir = getenv("TMPDIR");
    struct sbuf b = {0};
    sbuf_addf(&b, "%s/test_jschema_XXXXXX", dir && *dir ? dir : "/tmp");
    char *path = sbuf_take(&b);
    int fd = mkstemp(path);
    T_CHECK(fd >= 0, "mkstemp %s failed", path);
    if (fd >= 0) {
        T_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
        close(fd);
    }
    return path;
}

static void test_load_file(void)
{
    static const struct {
        const char *text, *msg; /* msg: NULL = loads; else a substring of the error */
    } lc[] = {
        {"{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/definitions/d\"}},\n"
         " \"definitions\": {\"d\": {\"pattern\": \"^[0-9]+$\"}}}\n", NULL},
        {"true", NULL},
        {"", ":1: invalid JSON: unexpected end of data"},
        {"12", "schema error at \"\": a schema must be an object or a boolean"},
        {"{\n\"type\": }", ":2: invalid JSON: "},
        {"{} x", ":1: invalid JSON: unexpected character"},
        {"{\"a\": 1,}", "invalid JSON"},
        {"[1]", "schema error at \"\": a schema must be an object or a boolean"},
        {"{\"properties\": {\"a\": {\"patternProperties\": {}}}}",
         "schema error at \"/properties/a/patternProperties\": unsupported keyword \"patternProperties\""},
        {"{\"items\": [{}]}", "schema error at \"/items\": \"items\" as an array is not supported"},
        {"{\"anyOf\": [{\"$ref\": \"#/definitions/x\"}]}",
         "schema error at \"/anyOf/0/$ref\": cannot resolve $ref \"#/definitions/x\""},
        {"{\"pattern\": \"([\"}", "schema error at \"/pattern\": invalid POSIX extended regex: "},
        {"{\"type\": [\"string\", \"text\"]}", "schema error at \"/type\": must be a type name"},
        {"{\"maxLength\": \"5\"}", "schema error at \"/maxLength\": must be a non-negative integer"},
        {"{\"required\": [1]}", "schema error at \"/required\": must be an array of property names"},
        {"{\"oneOf\": []}", "schema error at \"/oneOf\": must be a non-empty array of schemas"},
        {"{\"definitions\": {\"d\": 5}}", "schema error at \"/definitions/d\": a schema must be"},
    };
    for (size_t i = 0; i < sizeof lc / sizeof lc[0]; i++) {
        char *path = temp_file(lc[i].text), *msg = (char *)"untouched";
        json_object *s = jschema_load_file(path, &msg);
        if (!lc[i].msg)
            T_CHECK(s && !msg, "load case %zu: want success, got %s", i, msg ? msg : "NULL schema");
        else
            T_CHECK(!s && msg && strstr(msg, lc[i].msg) && strncmp(msg, path, strlen(path)) == 0,
                    "load case %zu: got \"%s\", want \"%s\"", i, msg ? msg : "(null)", lc[i].msg);
        free(msg);
        json_object_put(s);
        s = jschema_load_file(path, NULL);
        T_CHECK(s ? lc[i].msg == NULL : lc[i].msg != NULL, "load case %zu with msg NULL", i);
        json_object_put(s);
        remove(path);
        free(path);
    }
    char *msg = NULL;
    T_CHECK(!jschema_load_file("/nonexistent/x.json", &msg) && msg &&
                strstr(msg, "cannot open /nonexistent/x.json: "),
            "missing file: %s", msg);
    free(msg);
}

int main(void)
{
    test_table();
    test_long_values();
    test_long_enum();
    test_formats();
    test_real_datetime();
    char *path = here("../../schemas/tw-dataset-metadata.schema.json"), *msg = NULL;
    json_object *schema = jschema_load_file(path, &msg);
    T_CHECK(schema != NULL, "schema %s does not load: %s", path, msg ? msg : "");
    free(msg);
    free(path);
    if (schema) {
        test_fixtures(schema);
        test_mutations(schema);
    }
    json_object_put(schema);
    test_load_file();
    T_DONE();
}
