/* catalog_keys — the rows a catalogue record writes that order matters for (pure). */
#include "catalog_keys.h"

#include <stdlib.h>
#include <string.h>

static const char *field(json_object *rec, const char *key)
{
    json_object *v;
    if (json_object_object_get_ex(rec, key, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

/* regexp_replace(lower(ident), '[^a-z0-9_.-]', '-', 'g') per character, as PostgreSQL does
 * (non-ASCII letters stay out of [a-z] when lowered, so one '-' per UTF-8 character). */
static char *dataset_name(const char *ident)
{
    char *out = xmalloc(strlen(ident) + 1), *o = out;
    for (const unsigned char *s = (const unsigned char *)ident; *s; s++) {
        unsigned char c = *s >= 'A' && *s <= 'Z' ? (unsigned char)(*s + 32) : *s;
        if ((c & 0xC0) == 0x80)
            continue;
        bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("_.-", c);
        *o++ = keep && c ? (char)c : '-';
    }
    *o = '\0';
    return out;
}

/* tw_import_org's choice: the code in lower case where usable, else the title. */
static char *org_key(const char *code, const char *title)
{
    size_t len = strlen(code);
    bool usable = len >= 2 && len <= 100;
    for (size_t i = 0; usable && i < len; i++) {
        char c = code[i] >= 'A' && code[i] <= 'Z' ? (char)(code[i] + 32) : code[i];
        usable = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }
    if (!usable)
        return xasprintf("t:%s", title);
    char *k = xasprintf("c:%s", code);
    for (char *c = k; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    return k;
}

void catkey_of(json_object *rec, struct catkey *k)
{
    const char *title = field(rec, "publisher"), *code = field(rec, "publisherOrgCode");
    k->name = dataset_name(field(rec, "identifier"));
    k->org = org_key(code, title);
    k->decl = xasprintf("%s\x1f%s\x1f%s", title, field(rec, "publisherOID"), code);
    json_object *dist;
    size_t n = json_object_object_get_ex(rec, "distribution", &dist) &&
                       json_object_is_type(dist, json_type_array)
                   ? json_object_array_length(dist)
                   : 0;
    k->res = n ? xcalloc(n, sizeof *k->res) : NULL;
    k->nres = n;
    for (size_t i = 0; i < n; i++)
        k->res[i] = xstrdup(field(json_object_array_get_idx(dist, i), "resourceID"));
}

void catkey_clear(struct catkey *k)
{
    for (size_t i = 0; i < k->nres; i++)
        free(k->res[i]);
    free(k->res);
    free(k->name);
    free(k->org);
    free(k->decl);
    *k = (struct catkey){0};
}

bool catkey_conflict(const struct catkey *a, const struct catkey *b)
{
    if (strcmp(a->name, b->name) == 0)
        return true;
    if (strcmp(a->org, b->org) == 0 && strcmp(a->decl, b->decl) != 0)
        return true;
    for (size_t i = 0; i < a->nres; i++)
        for (size_t j = 0; j < b->nres; j++)
            if (strcmp(a->res[i], b->res[j]) == 0)
                return true;
    return false;
}
