/* jschema.c — a small JSON Schema (draft-07 subset) validator over json-c.
 * See jschema.h for the supported keywords. Paths are kept as a chain of stack frames
 * (struct jpath) and only turned into strings when something fails. Loading a schema file,
 * and checking it once, is in jschema_load.c. */
#include "jschema.h"

#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jschema_int.h"
#include "util.h"

#define JSCHEMA_VALUE_CHARS 60 /* code points of a string value quoted in a message */
#define JSCHEMA_ENUM_SHOWN 20  /* enum values listed in full up to this many ... */
#define JSCHEMA_ENUM_BYTES 200 /* ... and this many bytes; otherwise the list is cut */

char *jschema_int_vfmt(const char *fmt, va_list ap)
{
    struct sbuf b = {0};
    sbuf_vaddf(&b, fmt, ap);
    return sbuf_take(&b);
}

/* Appends a string as a JSON string literal, cut after max code points. */
static void sb_quote(struct sbuf *b, const char *s, size_t len, size_t max)
{
    size_t cps = 0;
    sbuf_add(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80 && cps++ == max) {
            sbuf_adds(b, "...");
            break;
        }
        if (ch == '"' || ch == '\\')
            sbuf_addf(b, "\\%c", ch);
        else if (ch < 0x20)
            sbuf_addf(b, "\\u%04x", ch);
        else
            sbuf_add(b, (const char *)&ch, 1);
    }
    sbuf_add(b, "\"", 1);
}

/* Appends a JSON value the way a message shows it (long strings and containers cut). */
static void sb_value(struct sbuf *b, json_object *v)
{
    if (json_object_is_type(v, json_type_string)) {
        sb_quote(b, json_object_get_string(v), (size_t)json_object_get_string_len(v),
                 JSCHEMA_VALUE_CHARS);
        return;
    }
    const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(t);
    if (n <= 80) {
        sbuf_add(b, t, n);
        return;
    }
    size_t cut = 77;
    while (cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80)
        cut--; /* never cut inside a UTF-8 sequence */
    sbuf_add(b, t, cut);
    sbuf_adds(b, "...");
}

/* ---- instance paths ---- */

static int path_depth(const struct jpath *p)
{
    int d = 0;
    for (; p; p = p->up)
        d++;
    return d;
}

static void path_render(struct sbuf *b, const struct jpath *p)
{
    if (!p)
        return;
    path_render(b, p->up);
    if (!p->key) {
        sbuf_addf(b, "/%zu", p->idx);
        return;
    }
    sbuf_add(b, "/", 1);
    for (const char *k = p->key; *k; k++) {
        if (*k == '~')
            sbuf_adds(b, "~0");
        else if (*k == '/')
            sbuf_adds(b, "~1");
        else
            sbuf_add(b, k, 1);
    }
}

static char *path_string(const struct jpath *p)
{
    struct sbuf b = {0};
    path_render(&b, p);
    return sbuf_take(&b);
}

static char *path_field(const struct jpath *p)
{
    while (p && !p->key)
        p = p->up;
    return p ? xstrdup(p->key) : NULL;
}

/* ---- internal errors ---- */

void jschema_int_verr_clear(struct verr *e)
{
    free(e->path);
    free(e->field);
    free(e->msg);
    *e = (struct verr){0};
}

/* Fills *e with a failure at path p; takes ownership of msg. Always returns false. */
static bool fail_msg(struct verr *e, const struct jpath *p, enum js_rank rank, char *msg)
{
    *e = (struct verr){.path = path_string(p), .field = path_field(p), .msg = msg,
                       .depth = path_depth(p), .rank = rank};
    return false;
}

bool jschema_int_fail(struct verr *e, const struct jpath *p, enum js_rank rank, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = jschema_int_vfmt(fmt, ap);
    va_end(ap);
    return fail_msg(e, p, rank, msg);
}

/* Is failure a more specific than b? Deeper paths first, then the rank. */
static bool verr_better(const struct verr *a, const struct verr *b)
{
    if (a->rank == R_SCHEMA || b->rank == R_SCHEMA)
        return a->rank == R_SCHEMA && b->rank != R_SCHEMA;
    if (a->depth != b->depth)
        return a->depth > b->depth;
    return a->rank > b->rank;
}

/* ---- validation context and compiled patterns ---- */

struct recache {
    struct recache *next;
    const char *src; /* the schema's own string, stable for the whole call */
    regex_t re;
    int rc;
};

void jschema_int_re_cache_free(struct ctx *c)
{
    while (c->re) {
        struct recache *n = c->re->next;
        if (c->re->rc == 0)
            regfree(&c->re->re);
        free(c->re);
        c->re = n;
    }
}

const regex_t *jschema_int_re_get(struct recache **cache, const char *src, char **why)
{
    struct recache *r;
    for (r = *cache; r && r->src != src; r = r->next)
        ;
    if (!r) {
        r = xmalloc(sizeof *r);
        r->src = src;
        r->rc = regcomp(&r->re, src, REG_EXTENDED | REG_NOSUB);
        r->next = *cache;
        *cache = r;
    }
    if (r->rc == 0)
        return &r->re;
    size_t n = regerror(r->rc, &r->re, NULL, 0);
    *why = xmalloc(n);
    regerror(r->rc, &r->re, *why, n);
    return NULL;
}

/* ---- small json helpers ---- */

bool jschema_int_is_num(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static bool dbl_integral(double d)
{
    if (!(d - d == 0))
        return false; /* NaN or infinite */
    if (d >= 9007199254740992.0 || d <= -9007199254740992.0)
        return true; /* beyond 2^53 every double is a whole number */
    return d == (double)(int64_t)d;
}

static bool is_integer(json_object *v)
{
    return json_object_is_type(v, json_type_int) ||
           (json_object_is_type(v, json_type_double) && dbl_integral(json_object_get_double(v)));
}

/* Three-way numeric comparison; exact for two json-c ints (including uint64 ones). */
static int num_cmp(json_object *a, json_object *b)
{
    if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int)) {
        int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);
        if (x == INT64_MAX && y == INT64_MAX) {
            uint64_t ux = json_object_get_uint64(a), uy = json_object_get_uint64(b);
            return (ux > uy) - (ux < uy);
        }
        return (x > y) - (x < y);
    }
    double x = json_object_get_double(a), y = json_object_get_double(b);
    return (x > y) - (x < y);
}

static bool same_kind(json_object *a, json_object *b)
{
    return json_object_get_type(a) == json_object_get_type(b) ||
           (jschema_int_is_num(a) && jschema_int_is_num(b));
}

static bool json_equal(json_object *a, json_object *b);

static bool obj_equal(json_object *a, json_object *b)
{
    if (json_object_object_length(a) != json_object_object_length(b))
        return false;
    struct json_object_iterator it = json_object_iter_begin(a), end = json_object_iter_end(a);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        json_object *bv;
        if (!json_object_object_get_ex(b, json_object_iter_peek_name(&it), &bv) ||
            !json_equal(json_object_iter_peek_value(&it), bv))
            return false;
    }
    return true;
}

/* JSON Schema equality: numbers compare by value (1 == 1.0), containers deeply. */
static bool json_equal(json_object *a, json_object *b)
{
    if (jschema_int_is_num(a) && jschema_int_is_num(b))
        return num_cmp(a, b) == 0;
    if (json_object_get_type(a) != json_object_get_type(b))
        return false;
    switch (json_object_get_type(a)) {
    case json_type_null:
        return true;
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string:
        return json_object_get_string_len(a) == json_object_get_string_len(b) &&
               memcmp(json_object_get_string(a), json_object_get_string(b),
                      (size_t)json_object_get_string_len(a)) == 0;
    case json_type_array:
        if (json_object_array_length(a) != json_object_array_length(b))
            return false;
        for (size_t i = 0; i < json_object_array_length(a); i++)
            if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return false;
        return true;
    case json_type_object:
        return obj_equal(a, b);
    default:
        return false;
    }
}

/* Keyword lookup: NULL when absent (a keyword set to null counts as absent). */
static json_object *kw(json_object *s, const char *name)
{
    json_object *v = NULL;
    json_object_object_get_ex(s, name, &v);
    return v;
}

bool jschema_int_count_of(json_object *v, size_t *out)
{
    if (!is_integer(v) || json_object_get_double(v) < 0)
        return false;
    double d = json_object_get_double(v);
    *out = d >= 9007199254740992.0 ? SIZE_MAX : (size_t)json_object_get_int64(v);
    return true;
}

/* Reads a count keyword: 0 absent, 1 present, -1 malformed. */
static int kw_count(json_object *s, const char *name, size_t *out)
{
    json_object *v = kw(s, name);
    if (!v)
        return 0;
    return jschema_int_count_of(v, out) ? 1 : -1;
}

static bool bad_kw(struct verr *e, const struct jpath *p, const char *name)
{
    return jschema_int_fail(e, p, R_SCHEMA, "schema error: keyword \"%s\" has an invalid value",
                            name);
}

/* ---- keywords ---- */

static bool v_node(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                   struct verr *e);

static const char *const js_types[][2] = {
    {"object", "an object"},   {"array", "an array"},     {"string", "a string"},
    {"integer", "an integer"}, {"number", "a number"},    {"boolean", "a boolean"},
    {"null", "null"},
};

const char *jschema_int_type_phrase(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(js_types); i++)
        if (strcmp(js_types[i][0], name) == 0)
            return js_types[i][1];
    return NULL;
}

/* 1 when v has the named type, 0 when not, -1 for an unknown type name. */
static int type_is(const char *name, json_object *v)
{
    json_type t = json_object_get_type(v);
    if (!strcmp(name, "integer"))
        return is_integer(v);
    if (!strcmp(name, "number"))
        return jschema_int_is_num(v);
    if (!strcmp(name, "object"))
        return t == json_type_object;
    if (!strcmp(name, "array"))
        return t == json_type_array;
    if (!strcmp(name, "string"))
        return t == json_type_string;
    if (!strcmp(name, "boolean"))
        return t == json_type_boolean;
    if (!strcmp(name, "null"))
        return t == json_type_null;
    return -1;
}

static bool v_type(json_object *s, json_object *inst, const struct jpath *p, struct verr *e)
{
    json_object *t = kw(s, "type");
    if (!t)
        return true;
    bool single = json_object_is_type(t, json_type_string);
    if (!single && !json_object_is_type(t, json_type_array))
        return bad_kw(e, p, "type");
    size_t n = single ? 1 : json_object_array_length(t);
    struct sbuf b = {0};
    sbuf_adds(&b, "must be ");
    for (size_t i = 0; i < n; i++) {
        json_object *name = single ? t : json_object_array_get_idx(t, i);
        const char *str = json_object_get_string(name);
        int r = json_object_is_type(name, json_type_string) ? type_is(str, inst) : -1;
        if (r != 0) {
            free(b.p);
            return r > 0 ? true : bad_kw(e, p, "type");
        }
        sbuf_adds(&b, i == 0 ? "" : i + 1 < n ? ", " : " or ");
        sbuf_adds(&b, jschema_int_type_phrase(str));
    }
    return fail_msg(e, p, R_SHAPE, sbuf_take(&b));
}

static bool v_const(json_object *s, json_object *inst, const struct jpath *p, struct verr *e)
{
    json_object *v;
    if (!json_object_object_get_ex(s, "const", &v) || json_equal(v, inst))
        return true;
    struct sbuf b = {0};
    sbuf_adds(&b, "must be ");
    sb_value(&b, v);
    return fail_msg(e, p, same_kind(v, inst) ? R_LITERAL : R_SHAPE, sbuf_take(&b));
}

/* "must be one of: ..." listing the values, cut when the list gets long. */
static char *enum_message(json_object *list)
{
    struct sbuf b = {0};
    size_t n = json_object_array_length(list);
    sbuf_adds(&b, "must be one of: ");
    size_t start = b.len;
    for (size_t i = 0; i < n; i++) {
        if (i == JSCHEMA_ENUM_SHOWN || b.len - start > JSCHEMA_ENUM_BYTES) {
            sbuf_addf(&b, ", ... (%zu allowed values)", n);
            break;
        }
        sbuf_adds(&b, i ? ", " : "");
        sb_value(&b, json_object_array_get_idx(list, i));
    }
    return sbuf_take(&b);
}

static bool v_enum(json_object *s, json_object *inst, const struct jpath *p, struct verr *e)
{
    json_object *list = kw(s, "enum");
    if (!list)
        return true;
    if (!json_object_is_type(list, json_type_array))
        return bad_kw(e, p, "enum");
    enum js_rank rank = R_SHAPE;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *v = json_object_array_get_idx(list, i);
        if (json_equal(v, inst))
            return true;
        if (same_kind(v, inst))
            rank = R_LITERAL;
    }
    return fail_msg(e, p, rank, enum_message(list));
}

static bool v_strlen(json_object *s, json_object *inst, const struct jpath *p, struct verr *e)
{
    size_t min = 0, max = 0;
    size_t n =
        util_utf8_len(json_object_get_string(inst), (size_t)json_object_get_string_len(inst));
    int rmin = kw_count(s, "minLength", &min), rmax = kw_count(s, "maxLength", &max);
    if (rmin < 0)
        return bad_kw(e, p, "minLength");
    if (rmax < 0)
        return bad_kw(e, p, "maxLength");
    if (rmin && n < min && min == 1)
        return jschema_int_fail(e, p, R_VALUE, "must not be empty");
    if (rmin && n < min)
        return jschema_int_fail(e, p, R_VALUE, "must be at least %zu characters long (has %zu)",
                                min, n);
    if (rmax && n > max)
        return jschema_int_fail(e, p, R_VALUE, "must be at most %zu characters long (has %zu)",
                                max, n);
    return true;
}

/* A string holding U+0000 cannot be handed whole to regexec or a format checker. */
static bool has_nul(json_object *str)
{
    return strlen(json_object_get_string(str)) != (size_t)json_object_get_string_len(str);
}

static bool v_pattern(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                      struct verr *e)
{
    json_object *pat = kw(s, "pattern");
    if (!pat)
        return true;
    if (!json_object_is_type(pat, json_type_string))
        return bad_kw(e, p, "pattern");
    char *why = NULL;
    const regex_t *re = jschema_int_re_get(&c->re, json_object_get_string(pat), &why);
    if (!re) {
        jschema_int_fail(e, p, R_SCHEMA, "schema error: invalid pattern %s: %s",
                         json_object_get_string(pat), why);
        free(why);
        return false;
    }
    if (has_nul(inst))
        return jschema_int_fail(e, p, R_VALUE, "must not contain a NUL character (\\u0000)");
    if (regexec(re, json_object_get_string(inst), 0, NULL, 0) == 0)
        return true;
    struct sbuf b = {0};
    sbuf_addf(&b, "does not match the pattern %s: ", json_object_get_string(pat));
    sb_value(&b, inst);
    return fail_msg(e, p, R_VALUE, sbuf_take(&b));
}

static bool v_format(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                     struct verr *e)
{
    json_object *f = kw(s, "format");
    if (!f || !c->formats || !json_object_is_type(f, json_type_string))
        return true;
    const char *name = json_object_get_string(f);
    const struct jschema_format *x = c->formats;
    while (x->name && strcmp(x->name, name) != 0)
        x++;
    if (!x->name || (!has_nul(inst) && x->check(json_object_get_string(inst), x->arg)))
        return true;
    struct sbuf b = {0};
    sbuf_addf(&b, "not a valid %s: ", name);
    sb_value(&b, inst);
    return fail_msg(e, p, R_VALUE, sbuf_take(&b));
}

static bool v_string(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                     struct verr *e)
{
    return v_strlen(s, inst, p, e) && v_pattern(c, s, inst, p, e) && v_format(c, s, inst, p, e);
}

/* minimum (sign -1) or maximum (sign +1), both inclusive. */
static bool v_bound(json_object *s, const char *name, int sign, json_object *inst,
                    const struct jpath *p, struct verr *e)
{
    json_object *b = kw(s, name);
    if (!b)
        return true;
    if (!jschema_int_is_num(b))
        return bad_kw(e, p, name);
    if (num_cmp(inst, b) * sign <= 0)
        return true;
    struct sbuf m = {0};
    sbuf_adds(&m, sign < 0 ? "must be at least " : "must be at most ");
    sb_value(&m, b);
    return fail_msg(e, p, R_VALUE, sbuf_take(&m));
}

static bool v_array(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                    struct verr *e)
{
    size_t n = json_object_array_length(inst), min = 0, max = 0;
    int rmin = kw_count(s, "minItems", &min), rmax = kw_count(s, "maxItems", &max);
    if (rmin < 0)
        return bad_kw(e, p, "minItems");
    if (rmax < 0)
        return bad_kw(e, p, "maxItems");
    if (rmin && n < min)
        return jschema_int_fail(e, p, R_VALUE, "must have at least %zu item%s", min,
                                min == 1 ? "" : "s");
    if (rmax && n > max)
        return jschema_int_fail(e, p, R_VALUE, "must have at most %zu item%s (has %zu)", max,
                                max == 1 ? "" : "s", n);
    json_object *items = kw(s, "items");
    if (!items)
        return true;
    if (json_object_is_type(items, json_type_array))
        return jschema_int_fail(e, p, R_SCHEMA,
                                "schema error: \"items\" as an array is not supported");
    for (size_t i = 0; i < n; i++) {
        struct jpath child = {p, NULL, i};
        if (!v_node(c, items, json_object_array_get_idx(inst, i), &child, e))
            return false;
    }
    return true;
}

static bool v_required(json_object *s, json_object *inst, const struct jpath *p, struct verr *e)
{
    json_object *req = kw(s, "required");
    if (!req)
        return true;
    if (!json_object_is_type(req, json_type_array))
        return bad_kw(e, p, "required");
    for (size_t i = 0; i < json_object_array_length(req); i++) {
        json_object *name = json_object_array_get_idx(req, i);
        if (!json_object_is_type(name, json_type_string))
            return bad_kw(e, p, "required");
        if (!json_object_object_get_ex(inst, json_object_get_string(name), NULL)) {
            struct jpath child = {p, json_object_get_string(name), 0};
            return jschema_int_fail(e, &child, R_VALUE, "required property missing");
        }
    }
    return true;
}

static bool v_properties(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                         struct verr *e)
{
    json_object *props = kw(s, "properties");
    if (!props)
        return true;
    if (!json_object_is_type(props, json_type_object))
        return bad_kw(e, p, "properties");
    struct json_object_iterator it = json_object_iter_begin(props);
    struct json_object_iterator end = json_object_iter_end(props);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *name = json_object_iter_peek_name(&it);
        json_object *v;
        struct jpath child = {p, name, 0};
        if (json_object_object_get_ex(inst, name, &v) &&
            !v_node(c, json_object_iter_peek_value(&it), v, &child, e))
            return false;
    }
    return true;
}

static bool v_additional(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                         struct verr *e)
{
    json_object *ap = kw(s, "additionalProperties"), *props = kw(s, "properties");
    if (!ap || (json_object_is_type(ap, json_type_boolean) && json_object_get_boolean(ap)))
        return true;
    struct json_object_iterator it = json_object_iter_begin(inst);
    struct json_object_iterator end = json_object_iter_end(inst);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        const char *name = json_object_iter_peek_name(&it);
        struct jpath child = {p, name, 0};
        if (json_object_object_get_ex(props, name, NULL))
            continue;
        if (json_object_is_type(ap, json_type_boolean))
            return jschema_int_fail(e, &child, R_VALUE, "property not allowed");
        if (!v_node(c, ap, json_object_iter_peek_value(&it), &child, e))
            return false;
    }
    return true;
}

static bool v_object(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                     struct verr *e)
{
    return v_required(s, inst, p, e) && v_properties(c, s, inst, p, e) &&
           v_additional(c, s, inst, p, e);
}

/* Returns the array value of a combinator keyword, NULL when absent; *bad when malformed. */
static json_object *kw_list(json_object *s, const char *name, bool *bad)
{
    json_object *v = kw(s, name);
    *bad = v && !json_object_is_type(v, json_type_array);
    return *bad ? NULL : v;
}

static bool v_allof(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                    struct verr *e)
{
    bool bad;
    json_object *list = kw_list(s, "allOf", &bad);
    if (bad)
        return bad_kw(e, p, "allOf");
    for (size_t i = 0; list && i < json_object_array_length(list); i++)
        if (!v_node(c, json_object_array_get_idx(list, i), inst, p, e))
            return false;
    return true;
}

/* Tries the branches of anyOf/oneOf and returns how many matched (stopping at the first
 * match when first_only), or -1 on a schema error. The most specific failure is left in
 * *best (cleared when something matched). */
static int v_branches(struct ctx *c, json_object *list, json_object *inst, const struct jpath *p,
                      struct verr *best, bool first_only)
{
    int matched = 0;
    *best = (struct verr){0};
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct verr e = {0};
        if (v_node(c, json_object_array_get_idx(list, i), inst, p, &e)) {
            matched++;
            if (first_only)
                break;
            continue;
        }
        if (!best->msg || verr_better(&e, best)) {
            jschema_int_verr_clear(best);
            *best = e;
        } else {
            jschema_int_verr_clear(&e);
        }
        if (best->rank == R_SCHEMA)
            return -1;
    }
    if (matched)
        jschema_int_verr_clear(best);
    return matched;
}

/* Reports a failure of every branch: the most specific branch error, unless all that can be
 * said is that the value has none of the allowed types. */
static bool fail_branches(struct verr *best, const struct jpath *p, struct verr *e)
{
    if (!best->msg || (best->rank == R_SHAPE && best->depth == path_depth(p))) {
        jschema_int_verr_clear(best);
        return jschema_int_fail(e, p, R_SHAPE, "does not match any allowed form");
    }
    *e = *best;
    return false;
}

static bool v_anyof(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                    struct verr *e)
{
    bool bad;
    struct verr best;
    json_object *list = kw_list(s, "anyOf", &bad);
    if (bad)
        return bad_kw(e, p, "anyOf");
    if (!list)
        return true;
    int n = v_branches(c, list, inst, p, &best, true);
    if (n < 0) {
        *e = best;
        return false;
    }
    return n > 0 || fail_branches(&best, p, e);
}

static bool v_oneof(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                    struct verr *e)
{
    bool bad;
    struct verr best;
    json_object *list = kw_list(s, "oneOf", &bad);
    if (bad)
        return bad_kw(e, p, "oneOf");
    if (!list)
        return true;
    int n = v_branches(c, list, inst, p, &best, false);
    if (n < 0) {
        *e = best;
        return false;
    }
    if (n == 0)
        return fail_branches(&best, p, e);
    return n == 1 || jschema_int_fail(e, p, R_VALUE, "matches more than one allowed form");
}

static bool v_not(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                  struct verr *e)
{
    json_object *neg = kw(s, "not");
    struct verr ne = {0};
    if (!neg)
        return true;
    if (v_node(c, neg, inst, p, &ne))
        return jschema_int_fail(e, p, R_VALUE, "matches a form that is not allowed");
    if (ne.rank == R_SCHEMA) {
        *e = ne;
        return false;
    }
    jschema_int_verr_clear(&ne);
    return true;
}

bool jschema_int_ref_lookup(json_object *root, const char *ref, json_object **out)
{
    const char *name;
    json_object *defs;
    if (strcmp(ref, "#") == 0) {
        *out = root;
        return true;
    }
    if (strncmp(ref, "#/definitions/", 14) == 0)
        name = ref + 14, defs = kw(root, "definitions");
    else if (strncmp(ref, "#/$defs/", 8) == 0)
        name = ref + 8, defs = kw(root, "$defs");
    else
        return false;
    struct sbuf key = {0};
    for (; *name && *name != '/'; name++) {
        bool esc = name[0] == '~' && (name[1] == '0' || name[1] == '1');
        sbuf_add(&key, esc ? (name[1] == '0' ? "~" : "/") : name, 1);
        name += esc;
    }
    char *k = sbuf_take(&key);
    bool found = *name == '\0' && json_object_object_get_ex(defs, k, out) && *out;
    free(k);
    return found;
}

static bool v_ref(struct ctx *c, json_object *ref, json_object *inst, const struct jpath *p,
                  struct verr *e)
{
    json_object *target;
    if (json_object_is_type(ref, json_type_string) &&
        jschema_int_ref_lookup(c->root, json_object_get_string(ref), &target))
        return v_node(c, target, inst, p, e);
    struct sbuf b = {0};
    sbuf_adds(&b, "schema error: cannot resolve $ref ");
    sb_value(&b, ref);
    return fail_msg(e, p, R_SCHEMA, sbuf_take(&b));
}

/* The errorMessage extension: the schema author's text replaces a failure's message. */
static void apply_error_message(json_object *s, json_object *inst, const struct jpath *p,
                                struct verr *e)
{
    json_object *m = kw(s, "errorMessage");
    if (!json_object_is_type(m, json_type_string) || e->authored || e->rank == R_SCHEMA)
        return;
    struct sbuf b = {0};
    sbuf_adds(&b, json_object_get_string(m));
    json_type t = json_object_get_type(inst);
    if (t != json_type_object && t != json_type_array) {
        sbuf_adds(&b, ": ");
        sb_value(&b, inst);
    }
    enum js_rank rank = e->rank;
    jschema_int_verr_clear(e);
    fail_msg(e, p, rank, sbuf_take(&b));
    e->authored = true;
}

static bool v_keywords(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                       struct verr *e)
{
    json_object *ref;
    if (json_object_object_get_ex(s, "$ref", &ref))
        return v_ref(c, ref, inst, p, e); /* draft-07: siblings of $ref are ignored */
    if (!v_type(s, inst, p, e) || !v_const(s, inst, p, e) || !v_enum(s, inst, p, e))
        return false;
    bool ok = true;
    switch (json_object_get_type(inst)) {
    case json_type_string:
        ok = v_string(c, s, inst, p, e);
        break;
    case json_type_int:
    case json_type_double:
        ok = v_bound(s, "minimum", -1, inst, p, e) && v_bound(s, "maximum", 1, inst, p, e);
        break;
    case json_type_array:
        ok = v_array(c, s, inst, p, e);
        break;
    case json_type_object:
        ok = v_object(c, s, inst, p, e);
        break;
    default:
        break;
    }
    return ok && v_allof(c, s, inst, p, e) && v_anyof(c, s, inst, p, e) &&
           v_oneof(c, s, inst, p, e) && v_not(c, s, inst, p, e);
}

/* Applies one schema (object or boolean) to one value. */
static bool v_node(struct ctx *c, json_object *s, json_object *inst, const struct jpath *p,
                   struct verr *e)
{
    if (json_object_is_type(s, json_type_boolean))
        return json_object_get_boolean(s) ||
               jschema_int_fail(e, p, R_SHAPE, "no value is allowed here");
    if (!json_object_is_type(s, json_type_object))
        return jschema_int_fail(e, p, R_SCHEMA,
                                "schema error: a schema must be an object or a boolean");
    if (c->depth >= JSCHEMA_MAX_DEPTH)
        return jschema_int_fail(e, p, R_SCHEMA,
                                "schema error: nested more than %d levels deep (a $ref cycle?)",
                                JSCHEMA_MAX_DEPTH);
    c->depth++;
    bool ok = v_keywords(c, s, inst, p, e);
    c->depth--;
    if (!ok)
        apply_error_message(s, inst, p, e);
    return ok;
}

/* ---- public API ---- */

/* Validates one value; the first failure (in schema order) ends up in *err. */
bool jschema_validate(json_object *schema, json_object *instance,
                      const struct jschema_format *fmts, struct jschema_error *err)
{
    struct ctx c = {.root = schema, .formats = fmts};
    struct verr e = {0};
    if (err)
        *err = (struct jschema_error){0};
    bool ok = v_node(&c, schema, instance, NULL, &e);
    jschema_int_re_cache_free(&c);
    if (ok)
        return true;
    if (err)
        *err = (struct jschema_error){.path = e.path, .field = e.field, .message = e.msg};
    else
        jschema_int_verr_clear(&e);
    return false;
}

/* Frees an error's strings so the struct can be reused. */
void jschema_error_clear(struct jschema_error *err)
{
    if (!err)
        return;
    free(err->path);
    free(err->field);
    free(err->message);
    *err = (struct jschema_error){0};
}
