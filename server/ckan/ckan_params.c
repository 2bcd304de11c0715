/* ckan_params — CKAN action input and CKAN-style parameter validation. */
#include "ckan_params.h"

#include <errno.h>
#include <limits.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "json_span.h"
#include "ckan_resp.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "util.h"
#include "valid.h"

static void put_json(void *o)
{
    json_object_put(o);
}

/* Add key=value; a repeated key turns the value into a list. */
static void add_value(json_object *obj, const char *key, const char *value)
{
    json_object *old, *v = json_object_new_string(value);
    if (!json_object_object_get_ex(obj, key, &old)) {
        json_object_object_add(obj, key, v);
    } else if (json_object_is_type(old, json_type_array)) {
        json_object_array_add(old, v);
    } else {
        json_object *list = json_object_new_array();
        json_object_array_add(list, json_object_get(old));
        json_object_array_add(list, v);
        json_object_object_add(obj, key, list);
    }
}

static json_object *from_query(struct req *r)
{
    json_object *obj = json_object_new_object();
    for (int i = 0; i < r->nquery; i++)
        add_value(obj, r->query[i].key, r->query[i].value);
    return obj;
}

#define JSON_ERROR "Bad request - JSON Error: "

/* CKAN's 400 for a body that does not decode: a bare JSON string. */
static void bad_body(struct req *r, const char *why)
{
    ckan_resp_bare(r, 400, arena_printf(r->a, JSON_ERROR "Error decoding JSON data. Error: %s",
                                        why));
}

/* True (answered, o dropped) when the request data o is not a JSON object. */
static bool not_dict(struct req *r, json_object *o)
{
    if (json_object_is_type(o, json_type_object))
        return false;
    json_object_put(o);
    ckan_resp_bare(r, 400, JSON_ERROR "Request data JSON decoded to a value that is not a "
                                      "dictionary, but it needs to be a dictionary.");
    return true;
}

/* The body is a form when its Content-Type says so (as for CKAN, whose framework parses only
 * those). */
static bool is_form(struct req *r)
{
    const char *ct =
        evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type");
    static const char form[] = "application/x-www-form-urlencoded";
    return ct && strncasecmp(ct, form, sizeof(form) - 1) == 0;
}

/* A form body, as CKAN reads one: its fields, except that a single field whose value is "" or
 * "1" must be a JSON object in its name (how some clients post JSON). NULL once answered. */
static json_object *from_form(struct req *r, const char *body, size_t len)
{
    struct req tmp = *r;
    if (memchr(body, '\0', len) || !req_parse_query(&tmp, body)) {
        bad_body(r, "the form is not valid percent-encoded UTF-8");
        return NULL;
    }
    if (tmp.nquery == 1 && (!*tmp.query[0].value || strcmp(tmp.query[0].value, "1") == 0)) {
        const char *key = tmp.query[0].key, *why;
        json_object *o;
        if (!valid_json(key, strlen(key), VALID_JSON_DEPTH, &o, &why)) {
            bad_body(r, why);
            return NULL;
        }
        return not_dict(r, o) ? NULL : o;
    }
    json_object *obj = json_object_new_object();
    for (int i = 0; i < tmp.nquery; i++)
        add_value(obj, tmp.query[i].key, tmp.query[i].value);
    return obj;
}

/* The POST body: a JSON object whatever the Content-Type, else a form when it says so; any
 * other body is CKAN's 400 "JSON Error" (a bare string). NULL once answered. */
/* The POST body, '\0'-terminated, in r's arena. */
static char *body_text(struct req *r, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    *len = evbuffer_get_length(in);
    char *body = arena_alloc(r->a, *len + 1);
    evbuffer_copyout(in, body, *len);
    body[*len] = '\0';
    return body;
}

static json_object *from_body(struct req *r)
{
    size_t len;
    char *body = body_text(r, &len);
    if (len == 0)
        return json_object_new_object();
    const char *why;
    json_object *o;
    if (valid_json(body, len, VALID_JSON_DEPTH, &o, &why))
        return not_dict(r, o) ? NULL : o;
    if (is_form(r))
        return from_form(r, body, len);
    bad_body(r, why);
    return NULL;
}

/* Keys that shape the reply, not the action's input: every action accepts them. A call naming
 * a JSONP callback runs as anonymous, as CKAN runs it (a page on another site must not read
 * what the visitor's credentials would show). */
/* The body without key's value (json_span.h): the text with "null" in its place, parsed. NULL
 * when the body is not one json_span vouches for. */
static json_object *body_without(struct req *r, const char *key, const char **raw,
                                 size_t *rawlen)
{
    size_t len, a, b;
    char *body = body_text(r, &len);
    if (len > INT_MAX || memchr(body, '\0', len) || !util_utf8_valid(body, len) ||
        !json_span_member(body, len, key, VALID_JSON_DEPTH - 2, &a, &b))
        return NULL;
    char *rest = arena_printf(r->a, "%.*snull%s", (int)a, body, body + b);
    const char *why;
    json_object *o;
    if (!valid_json(rest, strlen(rest), VALID_JSON_DEPTH, &o, &why))
        return NULL;
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return NULL;
    }
    json_object_object_del(o, key);
    *raw = body + a;
    *rawlen = b - a;
    return o;
}

static void strip_reply_keys(struct req *r, json_object *o)
{
    if (json_object_object_get_ex(o, "callback", NULL)) {
        json_object_object_del(o, "callback");
        r->user = NULL;
    }
    if (r->method != M_POST)
        json_object_object_del(o, "pretty");
}

json_object *ckan_request_data_raw(struct req *r, const char *key, const char **raw,
                                   size_t *rawlen)
{
    *raw = NULL, *rawlen = 0;
    json_object *o = r->method == M_POST ? body_without(r, key, raw, rawlen) : NULL;
    if (!o)
        return ckan_request_data(r);
    arena_defer(r->a, put_json, o);
    strip_reply_keys(r, o);
    return o;
}

json_object *ckan_request_data(struct req *r)
{
    json_object *o = r->method == M_POST ? from_body(r) : from_query(r);
    if (!o)
        return NULL;
    arena_defer(r->a, put_json, o);
    strip_reply_keys(r, o);
    return o;
}

static bool invalid(struct req *r, const char *key, const char *msg)
{
    ckan_resp_invalid(r, key, msg);
    return false;
}

bool ckan_boolean_validator(struct req *r, json_object *in, const char *key, bool def, bool *out)
{
    static const char *const yes[] = {"true", "yes", "t", "y", "1", "on"};
    json_object *v;
    (void)r;
    *out = def;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (json_object_is_type(v, json_type_boolean)) {
        *out = json_object_get_boolean(v);
        return true;
    }
    const char *s = json_object_get_string(v);
    *out = false;
    for (size_t i = 0; i < ARRAY_LEN(yes); i++)
        if (strcasecmp(s, yes[i]) == 0)
            *out = true;
    return true;
}

bool ckan_natural_number_validator(struct req *r, json_object *in, const char *key, long long def,
                                   long long *out)
{
    json_object *v;
    *out = def;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    /* a JSON integer's text too: json-c saturates one beyond 64 bits, strtoll tells */
    const char *s = json_object_get_string(v);
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (!*s || *end || errno == ERANGE)
        return invalid(r, key, "Invalid integer");
    *out = n;
    return *out >= 0 ? true : invalid(r, key, "Must be a natural number");
}

bool ckan_list_of_strings(struct req *r, json_object *in, const char *key, json_object **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++)
            if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
                return invalid(r, key, "Not a list of strings");
        *out = v;
        return true;
    }
    if (!json_object_is_type(v, json_type_string))
        return invalid(r, key, "Not a list of strings");
    json_object *list = json_object_new_array();
    const char *s = json_object_get_string(v);
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ",");
        const char *b = p, *e = p + n;
        while (b < e && *b == ' ')
            b++;
        while (e > b && e[-1] == ' ')
            e--;
        if (e > b)
            json_object_array_add(list, json_object_new_string_len(b, (int)(e - b)));
        p += n + (p[n] == ',');
    }
    json_object_object_add(in, key, list); /* in owns it now */
    *out = list;
    return true;
}

bool ckan_json_object_validator(struct req *r, json_object *in, const char *key, json_object **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (json_object_is_type(v, json_type_string)) {
        const char *text = json_object_get_string(v), *why;
        json_object *parsed;
        if (!valid_json(text, strlen(text), VALID_JSON_DEPTH, &parsed, &why) ||
            !json_object_is_type(parsed, json_type_object)) {
            json_object_put(parsed);
            return invalid(r, key, "Not a JSON object");
        }
        json_object_object_add(in, key, parsed);
        v = parsed;
    }
    if (!json_object_is_type(v, json_type_object))
        return invalid(r, key, "Not a JSON object");
    *out = v;
    return true;
}

bool ckan_params_known(struct req *r, json_object *in, const char *const *allowed)
{
    json_object_object_foreach(in, key, val)
    {
        (void)val;
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char *msg = arena_printf(r->a, "invalid value \"%s\"", key);
            return invalid(r, "__extras", msg);
        }
    }
    return true;
}

/* ---- the validators moved from the actions ------------------------------------------------ */

const char *ckan_unicode_safe(json_object *in, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null) ||
        json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_object))
        return NULL;
    return json_object_get_string(v);
}

bool ckan_truthy(json_object *v)
{
    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v) > 0;
    if (json_object_is_type(v, json_type_object))
        return json_object_object_length(v) > 0;
    return json_object_get_boolean(v);
}

bool ckan_get_or_bust(struct req *r, json_object *in, const char *key, const char **out)
{
    *out = ckan_unicode_safe(in, key);
    return *out ? true : invalid(r, key, "Missing value");
}

/* The text of a non-finite double as Python's str() writes it. */
static const char *nonfinite_text(double d)
{
    return isnan(d) ? "nan" : d > 0 ? "inf" : "-inf";
}

void ckan_json_finite(json_object *v)
{
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            if (json_object_is_type(val, json_type_double) &&
                !isfinite(json_object_get_double(val)))
                json_object_object_add(
                    v, key, json_object_new_string(nonfinite_text(json_object_get_double(val))));
            else
                ckan_json_finite(val);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *e = json_object_array_get_idx(v, i);
            if (json_object_is_type(e, json_type_double) && !isfinite(json_object_get_double(e)))
                json_object_array_put_idx(
                    v, i, json_object_new_string(nonfinite_text(json_object_get_double(e))));
            else
                ckan_json_finite(e);
        }
    }
}

/* True when s, without its surrounding spaces, is one of words (any case); *n is its length. */
static bool word_in(const char *s, size_t n, const char *const *words, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return true;
    return false;
}

bool ckan_asbool(struct req *r, json_object *in, const char *key, bool def, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "y", "t", "1"};
    static const char *const no[] = {"false", "no", "off", "n", "f", "0"};
    json_object *v;
    *out = def;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (!json_object_is_type(v, json_type_string)) {
        *out = json_object_get_boolean(v);
        return true;
    }
    const char *s = json_object_get_string(v);
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (word_in(s, n, yes, ARRAY_LEN(yes)) || word_in(s, n, no, ARRAY_LEN(no))) {
        *out = word_in(s, n, yes, ARRAY_LEN(yes));
        return true;
    }
    ckan_resp_invalid_str(r, "message", "Parameter is not an bool");
    return false;
}

bool ckan_ignore_missing_natural(struct req *r, json_object *in, const char *key, long long def,
                                 long long *out)
{
    const char *s = ckan_unicode_safe(in, key);
    if (s && !*s) {
        *out = def;
        return true;
    }
    return ckan_natural_number_validator(r, in, key, def, out);
}

bool ckan_int_validator(struct req *r, json_object *in, const char *key, long long def,
                        long long *out)
{
    json_object *v;
    *out = def;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return true;
    }
    const char *s = json_object_get_string(v);
    char *end;
    long long n = strtoll(s, &end, 10);
    if (!*s || *end)
        return invalid(r, key, "Invalid integer");
    *out = n;
    return true;
}

bool ckan_is_positive_integer(struct req *r, json_object *in, const char *key, long long *out)
{
    json_object *v;
    *out = 0;
    if (!json_object_object_get_ex(in, key, &v) || json_object_is_type(v, json_type_null))
        return true;
    const char *s = json_object_get_string(v);
    char *end;
    long long n = strtoll(s, &end, 10);
    if (!json_object_is_type(v, json_type_int) && (!*s || *end))
        return invalid(r, key, "Invalid integer");
    if (n < 1)
        return invalid(r, key, "Must be a positive integer");
    *out = n;
    return true;
}

long long ckan_limit_to_configured_maximum(long long value, long long max)
{
    return value > max ? max : value;
}
