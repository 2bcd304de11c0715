/* legacy_query — CKAN 2.7's convert_legacy_parameters_to_solr and QueryOptions.validate, restated
 * for package_search. */
#include "legacy_query.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbuf.h"
#include "util.h"

/* Options package_search takes as they are (CKAN 2.7's VALID_SOLR_PARAMETERS); we pass on q, fl,
 * rows, sort and start, and drop the rest (facets and Solr tuning, which a legacy answer never
 * shows). fq is always replaced by the public-only filter. */
static const char *const solr_keys[] = {"q", "fl", "fq", "rows", "sort", "start", "wt", "qf",
                                        "bf", "boost", "facet", "facet.mincount", "facet.limit",
                                        "facet.field", "extras", "fq_list", "tie", "defType",
                                        "mm", NULL};

static bool in_list(const char *const *list, const char *key)
{
    for (; *list; list++)
        if (strcmp(*list, key) == 0)
            return true;
    return false;
}

/* Python's repr of a short string, single-quoted (malloc'd). */
static char *repr(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(2 * n + 3), *p = out;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '\'';
    *p = '\0';
    return out;
}

static bool fail(char **err, const char *fmt, const char *key, const char *value)
{
    char *k = repr(key), *v = value ? repr(value) : NULL;
    *err = xasprintf(fmt, k, v ? v : "");
    free(k);
    free(v);
    return false;
}

/* A value as text: strings as they are, other JSON values as their JSON text. */
static const char *text_of(json_object *v)
{
    return v ? json_object_get_string(v) : "";
}

/* '+' in a legacy value is a space (form encoding seen twice). */
static char *plus_to_space(const char *s)
{
    char *out = xstrdup(s);
    for (char *p = out; *p; p++)
        if (*p == '+')
            *p = ' ';
    return out;
}

char *legacy_escape(const char *s)
{
    static const char special[] = "\\+-&|!(){}[]^\"~*?:";
    char *out = xmalloc(2 * strlen(s) + 1), *p = out;
    for (; *s; s++) {
        if (strchr(special, *s))
            *p++ = '\\';
        *p++ = *s;
    }
    *p = '\0';
    return out;
}

/* Python's int(): optional blanks and sign around decimal digits. */
static bool py_int(const char *s, long long *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno || !isdigit((unsigned char)end[-1]))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    *out = v;
    return *end == '\0';
}

/* offset / limit: integers, not negative. */
static bool int_option(json_object *v, const char *key, long long *out, char **err)
{
    const char *s = text_of(v);
    if (json_object_is_type(v, json_type_boolean) || !py_int(s, out))
        return fail(err, "Value for search option %s must be an integer but received %s", key, s);
    if (*out < 0)
        return fail(err, "Value for search option %s must not be negative but received %s", key,
                    s);
    return true;
}

/* paste's asbool: true/yes/on/y/t/1 and false/no/off/n/f/0, any case, blanks around. */
static bool as_bool(json_object *v)
{
    static const char *const words[] = {"true", "yes", "on", "y", "t", "1",
                                        "false", "no", "off", "n", "f", "0", NULL};
    if (json_object_is_type(v, json_type_boolean) || json_object_is_type(v, json_type_int) ||
        json_object_is_type(v, json_type_null))
        return true;
    const char *s = text_of(v);
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    for (const char *const *w = words; *w; w++)
        if (strlen(*w) == n && strncasecmp(*w, s, n) == 0)
            return true;
    return false;
}

/* all_fields counts as set when its value is truthy as a string: "0" and "false" are (CKAN 2.7's
 * test of the raw value), only "" , JSON false, 0 and null are not. */
static bool truthy(json_object *v)
{
    if (!v || json_object_is_type(v, json_type_null))
        return false;
    if (json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v);
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v) != 0;
    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v) > 0;
    return *text_of(v) != '\0';
}

/* A search term, after a space when there are terms before it. */
static void q_add(struct sbuf *b, const char *part)
{
    if (b->len)
        sbuf_addc(b, ' ');
    sbuf_adds(b, part);
}

/* tags: a string or a list → tags:"t" terms. */
static bool add_tags(struct sbuf *b, json_object *v, char **err)
{
    bool list = json_object_is_type(v, json_type_array);
    if (!list && !json_object_is_type(v, json_type_string))
        return fail(err, "Was expecting either a string or JSON list for the tags parameter: %s",
                    text_of(v), NULL);
    size_t n = list ? json_object_array_length(v) : 1;
    for (size_t i = 0; i < n; i++) {
        char *e = legacy_escape(text_of(list ? json_object_array_get_idx(v, i) : v));
        char *term = xasprintf("tags:\"%s\"", e);
        q_add(b, term);
        free(term);
        free(e);
    }
    return true;
}

/* K=V → K:V, V escaped, quoted when it holds a space; blank values add nothing. */
static void add_term(struct sbuf *b, const char *key, const char *raw)
{
    char *v = plus_to_space(raw);
    const char *p = v;
    while (isspace((unsigned char)*p))
        p++;
    if (*p) {
        char *e = legacy_escape(v);
        char *term = strchr(e, ' ') ? xasprintf("%s:\"%s\"", key, e) : xasprintf("%s:%s", key, e);
        q_add(b, term);
        free(term);
        free(e);
    }
    free(v);
}

static void add_terms(struct sbuf *b, const char *key, json_object *v)
{
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            add_term(b, key, text_of(json_object_array_get_idx(v, i)));
    } else if (!json_object_is_type(v, json_type_null)) {
        add_term(b, key, text_of(v));
    }
}

static void put_num(json_object *in, const char *key, long long n)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", n);
    json_object_object_add(in, key, json_object_new_string(buf));
}

/* A key that can name an index field (the rest would change the query's syntax). */
static bool field_name(const char *key)
{
    if (!*key)
        return false;
    for (const char *p = key; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return true;
}

struct opts {
    long long rows, start;
    const char *sort, *fl;
    bool all_fields;
};

/* One option or term; false with *err. */
static bool one(const char *key, json_object *v, struct opts *o, struct sbuf *q, char **err)
{
    if (strcmp(key, "callback") == 0)
        return true; /* JSONP's, not a search term */
    if (strcmp(key, "filter_by_openness") == 0 || strcmp(key, "filter_by_downloadable") == 0)
        return fail(err, "Search option %s is not supported", key, NULL);
    if (strcmp(key, "all_fields") == 0) {
        if (!as_bool(v))
            return fail(err, "Value for search option %s must be True or False (1 or 0) but "
                             "received %s", key, text_of(v));
        o->all_fields = truthy(v);
        return true;
    }
    if (strcmp(key, "offset") == 0 || strcmp(key, "start") == 0)
        return int_option(v, key, &o->start, err);
    if (strcmp(key, "limit") == 0 || strcmp(key, "rows") == 0)
        return int_option(v, key, &o->rows, err);
    if (strcmp(key, "order_by") == 0 || strcmp(key, "sort") == 0) {
        if (json_object_is_type(v, json_type_string) && *text_of(v))
            o->sort = strcmp(key, "sort") == 0 ? xstrdup(text_of(v))
                                                : xasprintf("%s asc", text_of(v));
        return true;
    }
    if (strcmp(key, "fl") == 0) {
        if (json_object_is_type(v, json_type_string) && *text_of(v))
            o->fl = text_of(v);
        return true;
    }
    if (strcmp(key, "q") == 0) {
        if (json_object_is_type(v, json_type_string) && *text_of(v)) {
            char *s = plus_to_space(text_of(v));
            q_add(q, s);
            free(s);
        }
        return true;
    }
    if (strcmp(key, "tags") == 0)
        return add_tags(q, v, err);
    if (in_list(solr_keys, key))
        return true;
    if (!field_name(key))
        return fail(err, "Unknown search option %s", key, NULL);
    add_terms(q, key, v);
    return true;
}

bool legacy_search_translate(json_object *params, int ver, struct legacy_search *out,
                             char **err)
{
    struct opts o = {.rows = LEGACY_ROWS_DEFAULT, .start = 0};
    struct sbuf q = {0};
    *err = NULL;
    memset(out, 0, sizeof(*out));
    /* q first, so that the terms follow it as CKAN 2.7 put them */
    json_object *qv;
    if (json_object_object_get_ex(params, "q", &qv) && !one("q", qv, &o, &q, err))
        goto failed;
    json_object_object_foreach(params, key, val)
    {
        if (strcmp(key, "q") != 0 && !one(key, val, &o, &q, err))
            goto failed;
    }
    json_object *in = json_object_new_object();
    if (q.p)
        json_object_object_add(in, "q", json_object_new_string(q.p));
    json_object_object_add(in, "fq", json_object_new_string("+capacity:public"));
    put_num(in, "rows", o.rows > LEGACY_ROWS_MAX ? LEGACY_ROWS_MAX : o.rows);
    put_num(in, "start", o.start);
    if (o.sort)
        json_object_object_add(in, "sort", json_object_new_string(o.sort));
    if (o.fl && strcmp(o.fl, "*") == 0) /* every field: the whole dicts */
        o.all_fields = true;
    const char *fl = o.all_fields ? "id" : o.fl ? o.fl : ver == 2 ? "id" : "name";
    json_object_object_add(in, "fl", json_object_new_string(fl));
    json_object_object_add(in, "facet", json_object_new_string("false"));
    out->in = in;
    out->all_fields = o.all_fields;
    out->single = o.all_fields ? NULL : strcmp(fl, "id") == 0 ? "id"
                                      : strcmp(fl, "name") == 0 ? "name" : NULL;
    free((char *)o.sort);
    sbuf_free(&q);
    return true;
failed:
    free((char *)o.sort);
    sbuf_free(&q);
    return false;
}

static bool digits(const char **p, int n)
{
    for (int i = 0; i < n; i++, (*p)++)
        if (!isdigit((unsigned char)**p))
            return false;
    return true;
}

static bool lit(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

bool legacy_iso_time_ok(const char *s)
{
    const char *p = s;
    if (!digits(&p, 4) || !lit(&p, '-') || !digits(&p, 2) || !lit(&p, '-') || !digits(&p, 2))
        return false;
    int month = atoi(s + 5), day = atoi(s + 8);
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    if (!*p)
        return true;
    if (*p != 'T' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2) || !lit(&p, ':') || !digits(&p, 2) || atoi(p - 5) > 23 || atoi(p - 2) > 59)
        return false;
    if (lit(&p, ':')) {
        if (!digits(&p, 2) || atoi(p - 2) > 59)
            return false;
        if (lit(&p, '.')) {
            const char *f = p;
            while (isdigit((unsigned char)*p))
                p++;
            if (p == f || p - f > 6)
                return false;
        }
    }
    return *p == '\0';
}
