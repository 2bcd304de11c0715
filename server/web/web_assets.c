/* web_assets — the portal's files in memory (read once at start, read-only afterwards). */
#include "web_assets.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

static struct web_asset *assets;
static size_t nassets;

static const char *type_of(const char *name)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json;charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < ARRAY_LEN(types); i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

char *web_gzip(const char *data, size_t n, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)n);
    char *out = xmalloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || *out_len >= n) {
        free(out);
        return NULL;
    }
    return out;
}

/* Hash, ETags and gzip copy of an asset whose name and bytes are set. */
static void asset_finish(struct web_asset *a)
{
    snprintf(a->ver, sizeof(a->ver), "%016llx", (unsigned long long)util_hash64(a->data, a->len));
    snprintf(a->etag, sizeof(a->etag), "\"%s\"", a->ver);
    snprintf(a->gzetag, sizeof(a->gzetag), "\"%s-gz\"", a->ver);
    a->type = type_of(a->name);
    a->gz = web_gzip(a->data, a->len, &a->gzlen);
}

static struct web_asset *asset_add(char *name, char *data, size_t len)
{
    assets = xrealloc(assets, (nassets + 1) * sizeof(*assets));
    struct web_asset *a = &assets[nassets++];
    *a = (struct web_asset){.name = name, .data = data, .len = len};
    return a;
}

/* Names the server serves: letters, digits, '-', '_', one or more '.', not leading. */
static bool name_ok(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* Every plain file of dir/sub (not below), hashed and compressed. */
static bool load_folder(const char *dir, const char *sub, char **err)
{
    char *path = xasprintf("%s/%s", dir, sub);
    DIR *d = opendir(path);
    free(path);
    if (!d) {
        *err = xasprintf("cannot read the portal's folder %s/%s", dir, sub);
        return false;
    }
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        if (e->d_type != DT_REG || !name_ok(e->d_name))
            continue;
        char *file = xasprintf("%s/%s/%s", dir, sub, e->d_name);
        size_t len;
        char *data = util_read_file(file, &len, err);
        free(file);
        if (!data) {
            ok = false;
            break;
        }
        asset_finish(asset_add(xasprintf("%s/%s", sub, e->d_name), data, len));
    }
    closedir(d);
    return ok;
}

const struct web_asset *web_asset_find(const char *name)
{
    for (size_t i = 0; i < nassets; i++)
        if (strcmp(assets[i].name, name) == 0)
            return &assets[i];
    return NULL;
}

/* Text with every "{{key}}" replaced: "{{static:F}}" by the versioned URL of static/F,
 * "{{sru}}" by the Taiwan root (HTML-escaped: it is configuration, not markup). NULL with
 * *err for an unknown key or asset. */
static char *fill_shell(const char *text, const char *sru, char **err)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    for (const char *p = text; *p;) {
        const char *open = strstr(p, "{{"), *close = open ? strstr(open, "}}") : NULL;
        if (!close) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(open - p), f);
        char *key = xasprintf("%.*s", (int)(close - open - 2), open + 2);
        if (strcmp(key, "sru") == 0) {
            for (const char *s = sru; *s; s++)
                *s == '"' ? fputs("&quot;", f) : *s == '&' ? fputs("&amp;", f)
                : *s == '<' ? fputs("&lt;", f) : fputc(*s, f);
        } else if (strncmp(key, "static:", 7) == 0) {
            char *name = xasprintf("static/%s", key + 7);
            const struct web_asset *a = web_asset_find(name);
            free(name);
            if (a)
                fprintf(f, "/static/%s/%s", a->ver, key + 7);
            else if (!*err)
                *err = xasprintf("web/index.html names a missing asset %s", key + 7);
        } else if (!*err) {
            *err = xasprintf("web/index.html has an unknown placeholder {{%s}}", key);
        }
        free(key);
        p = close + 2;
    }
    fclose(f);
    if (*err) {
        free(out);
        return NULL;
    }
    return out;
}

bool web_assets_load(const char *dir, const char *sru, char **err)
{
    *err = NULL;
    if (!load_folder(dir, "static", err) || !load_folder(dir, "i18n", err))
        return false;
    char *file = xasprintf("%s/index.html", dir);
    size_t len;
    char *text = util_read_file(file, &len, err);
    free(file);
    if (!text)
        return false;
    char *shell = fill_shell(text, sru, err);
    free(text);
    if (!shell)
        return false;
    asset_finish(asset_add(xstrdup("index.html"), shell, strlen(shell)));
    return true;
}
