/* load_cols — column names of a loaded table: cleaned headers, made unique (load_src.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_src.h"

/* White space at either end of a header: ASCII, NBSP, ideographic space, BOM. */
static size_t space_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')))
        return 1;
    if (len >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    if (len >= 3 && ((p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) ||
                     (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)))
        return 3;
    return 0;
}

static size_t space_before(const char *s, size_t len)
{
    for (size_t k = 1; k <= 3 && k <= len; k++)
        if (space_at(s + len - k, k) == k)
            return k;
    return 0;
}

/* Control characters as spaces, trimmed, cut to LOAD_NAME_MAX bytes on a character boundary,
 * trimmed again: a name never starts or ends with white space (the Taiwan API's fields and
 * sort refuse such names). */
static char *clean_name(const char *s, size_t len)
{
    char *out = xstrndup(s, len);
    len = strlen(out);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F)
            out[i] = ' ';
    const char *p = out;
    size_t k;
    while ((k = space_at(p, len)) > 0)
        p += k, len -= k;
    while ((k = space_before(p, len)) > 0)
        len -= k;
    if (len > LOAD_NAME_MAX) {
        len = LOAD_NAME_MAX + 1;
        do
            len--;
        while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80);
        while ((k = space_before(p, len)) > 0)
            len -= k;
    }
    memmove(out, p, len);
    out[len] = '\0';
    return out;
}

static bool name_taken(const struct load_cols *c, const char *name)
{
    if (strcmp(name, "_id") == 0)
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].name, name) == 0)
            return true;
    return false;
}

/* base, or base_2, base_3 ... (base cut on a character boundary so that all fits 63 bytes). */
static char *unique_name(const struct load_cols *c, char *base)
{
    if (!name_taken(c, base))
        return base;
    char *name = NULL;
    for (int k = 2;; k++) {
        char suffix[16];
        size_t sl = (size_t)snprintf(suffix, sizeof(suffix), "_%d", k), bl = strlen(base);
        while (bl + sl > LOAD_NAME_MAX || (bl > 0 && ((unsigned char)base[bl] & 0xC0) == 0x80))
            bl--;
        free(name);
        name = xasprintf("%.*s%s", (int)bl, base, suffix);
        if (!name_taken(c, name))
            break;
    }
    free(base);
    return name;
}

size_t load_cols_add_as(struct load_cols *c, const char *orig, size_t olen, const char *name,
                        size_t nlen)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    char *clean = clean_name(name, nlen);
    if (!*clean) {
        free(clean);
        clean = xasprintf("column_%zu", c->n + 1);
    }
    c->v[c->n].name = unique_name(c, clean);
    c->v[c->n].orig = xstrndup(orig, olen);
    return c->n++;
}

size_t load_cols_add(struct load_cols *c, const char *orig, size_t len)
{
    return load_cols_add_as(c, orig, len, orig, len);
}

void load_cols_clear(struct load_cols *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].orig);
    }
    free(c->v);
    memset(c, 0, sizeof(*c));
}
