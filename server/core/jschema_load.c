/* jschema_load.c — loading a schema file and checking, once, that every keyword in it is one
 * the validator in jschema.c honours (see jschema.h). */
#include "jschema.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jschema_int.h"
#include "util.h"

/* ---- checking a schema once, at load time ---- */

static const char *const js_unsupported[] = {
    "patternProperties", "additionalItems", "contains",         "propertyNames",
    "dependencies",      "if",              "then",             "else",
    "uniqueItems",       "multipleOf",      "exclusiveMinimum", "exclusiveMaximum",
    "minProperties",     "maxProperties",   NULL,
};
static const char *const js_sub_one[] = {"additionalProperties", "items", "not", NULL};
static const char *const js_sub_list[] = {"allOf", "anyOf", "oneOf", NULL};
static const char *const js_sub_map[] = {"properties", "definitions", "$defs", NULL};
static const char *const js_counts[] = {"minLength", "maxLength", "minItems", "maxItems", NULL};
static const char *const js_strings[] = {"pattern", "format", "errorMessage", "$ref", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static bool lint_node(struct ctx *c, json_object *s, const struct jpath *p, struct verr *e);

static bool lint_type(json_object *v, const struct jpath *at, struct verr *e)
{
    bool single = json_object_is_type(v, json_type_string);
    size_t n = single ? 1 : json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    bool ok = n > 0;
    for (size_t i = 0; ok && i < n; i++) {
        json_object *t = single ? v : json_object_array_get_idx(v, i);
        ok = json_object_is_type(t, json_type_string) &&
             jschema_int_type_phrase(json_object_get_string(t));
    }
    return ok || jschema_int_fail(e, at, R_SCHEMA, "must be a type name or an array of them");
}

static bool lint_required(json_object *v, const struct jpath *at, struct verr *e)
{
    bool ok = json_object_is_type(v, json_type_array);
    for (size_t i = 0; ok && i < json_object_array_length(v); i++)
        ok = json_object_is_type(json_object_array_get_idx(v, i), json_type_string);
    return ok || jschema_int_fail(e, at, R_SCHEMA, "must be an array of property names");
}

/* Checks the value of a keyword that holds no subschema. */
static bool lint_value(struct ctx *c, const char *k, json_object *v, const struct jpath *at,
                       struct verr *e)
{
    size_t n;
    char *why = NULL;
    json_object *target;
    if (in_list(js_strings, k) && !json_object_is_type(v, json_type_string))
        return jschema_int_fail(e, at, R_SCHEMA, "must be a string");
    if (!strcmp(k, "$ref") && !jschema_int_ref_lookup(c->root, json_object_get_string(v), &target))
        return jschema_int_fail(e, at, R_SCHEMA, "cannot resolve $ref \"%s\" (supported: \"#\", "
                                "\"#/definitions/NAME\", \"#/$defs/NAME\")",
                                json_object_get_string(v));
    if (!strcmp(k, "pattern") && !jschema_int_re_get(&c->re, json_object_get_string(v), &why)) {
        jschema_int_fail(e, at, R_SCHEMA, "invalid POSIX extended regex: %s", why);
        free(why);
        return false;
    }
    if (in_list(js_counts, k) && !jschema_int_count_of(v, &n))
        return jschema_int_fail(e, at, R_SCHEMA, "must be a non-negative integer");
    if ((!strcmp(k, "minimum") || !strcmp(k, "maximum")) && !jschema_int_is_num(v))
        return jschema_int_fail(e, at, R_SCHEMA, "must be a number");
    if (!strcmp(k, "enum") && !json_object_is_type(v, json_type_array))
        return jschema_int_fail(e, at, R_SCHEMA, "must be an array");
    if (!strcmp(k, "required"))
        return lint_required(v, at, e);
    if (!strcmp(k, "type"))
        return lint_type(v, at, e);
    return true;
}

/* Checks a keyword whose value is a list or a map of subschemas. */
static bool lint_children(struct ctx *c, const char *k, json_object *v, const struct jpath *at,
                          struct verr *e)
{
    if (in_list(js_sub_list, k)) {
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
            return jschema_int_fail(e, at, R_SCHEMA, "must be a non-empty array of schemas");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            struct jpath ip = {at, NULL, i};
            if (!lint_node(c, json_object_array_get_idx(v, i), &ip, e))
                return false;
        }
        return true;
    }
    if (!json_object_is_type(v, json_type_object))
        return jschema_int_fail(e, at, R_SCHEMA, "must be an object of schemas");
    struct json_object_iterator it = json_object_iter_begin(v), end = json_object_iter_end(v);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        struct jpath kp = {at, json_object_iter_peek_name(&it), 0};
        if (!lint_node(c, json_object_iter_peek_value(&it), &kp, e))
            return false;
    }
    return true;
}

static bool lint_keyword(struct ctx *c, const char *k, json_object *v, const struct jpath *p,
                         struct verr *e)
{
    struct jpath at = {p, k, 0};
    if (in_list(js_unsupported, k))
        return jschema_int_fail(e, &at, R_SCHEMA, "unsupported keyword \"%s\"", k);
    if (!strcmp(k, "items") && json_object_is_type(v, json_type_array))
        return jschema_int_fail(e, &at, R_SCHEMA, "\"items\" as an array is not supported");
    if (in_list(js_sub_one, k))
        return lint_node(c, v, &at, e);
    if (in_list(js_sub_list, k) || in_list(js_sub_map, k))
        return lint_children(c, k, v, &at, e);
    return lint_value(c, k, v, &at, e);
}

/* Walks a schema and reports the first keyword this validator cannot honour. */
static bool lint_node(struct ctx *c, json_object *s, const struct jpath *p, struct verr *e)
{
    if (json_object_is_type(s, json_type_boolean))
        return true;
    if (!json_object_is_type(s, json_type_object))
        return jschema_int_fail(e, p, R_SCHEMA, "a schema must be an object or a boolean");
    struct json_object_iterator it = json_object_iter_begin(s), end = json_object_iter_end(s);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
        if (!lint_keyword(c, json_object_iter_peek_name(&it), json_object_iter_peek_value(&it), p, e))
            return false;
    return true;
}

/* ---- loading ---- */

__attribute__((format(printf, 2, 3)))
static void set_msg(char **msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = jschema_int_vfmt(fmt, ap);
    va_end(ap);
    if (msg)
        *msg = s;
    else
        free(s);
}

/* 1-based line of a byte offset, for parse error messages. */
static size_t line_of(const char *text, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

/* Parses strict JSON that must be exactly one value (surrounding whitespace allowed). */
static json_object *parse_text(const char *path, const char *text, size_t len, char **msg)
{
    if (len >= INT_MAX) {
        set_msg(msg, "%s: file too large", path);
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(JSCHEMA_MAX_DEPTH);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* len + 1 hands over the terminating NUL too, so a bare literal at the end completes */
    json_object *obj = json_tokener_parse_ex(tok, text, (int)len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success)
        set_msg(msg, "%s:%zu: invalid JSON: %s", path, line_of(text, end),
                jerr == json_tokener_continue ? "unexpected end of file"
                                              : json_tokener_error_desc(jerr));
    else if (end + strspn(text + end, " \t\r\n") != len)
        set_msg(msg, "%s:%zu: invalid JSON: unexpected data after the value", path,
                line_of(text, end));
    else
        return obj;
    json_object_put(obj);
    return NULL;
}

/* ---- public API ---- */

/* Loads a schema file, then checks that every keyword in it is one this validator honours. */
json_object *jschema_load_file(const char *path, char **msg)
{
    size_t len;
    if (msg)
        *msg = NULL;
    char *err = NULL;
    char *text = util_read_file(path, &len, &err);
    if (!text) {
        set_msg(msg, "%s", err);
        free(err);
        return NULL;
    }
    json_object *schema = parse_text(path, text, len, msg);
    free(text);
    if (!schema)
        return NULL;
    struct ctx c = {.root = schema};
    struct verr e = {0};
    bool ok = lint_node(&c, schema, NULL, &e);
    jschema_int_re_cache_free(&c);
    if (!ok) {
        set_msg(msg, "%s: schema error at \"%s\": %s", path, e.path, e.msg);
        jschema_int_verr_clear(&e);
        json_object_put(schema);
        return NULL;
    }
    return schema;
}

