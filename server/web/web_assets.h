/* web_assets — the portal's files (web/), read once at start and kept in memory: each with a
 * strong ETag (a hash of its bytes), a gzip copy when that is smaller, and the version its
 * long-cached URL carries; the HTML shell with its asset URLs and the Taiwan root filled in. */
#ifndef WEB_ASSETS_H
#define WEB_ASSETS_H
#include <stdbool.h>
#include <stddef.h>

struct web_asset {
    char *name;        /* path under web/: "index.html", "static/app.js", "i18n/en.json" */
    const char *type;  /* Content-Type */
    char *data, *gz;   /* gz: NULL when gzip would not make it smaller */
    size_t len, gzlen;
    char ver[17];      /* 16 hex digits of the content hash: the versioned path's segment */
    char etag[24];     /* "\"<ver>\"" */
    char gzetag[28];   /* "\"<ver>-gz\"" */
};

/* Read every file of dir (static/ and i18n/ below it, index.html) into memory; sru is the
 * Taiwan API's root for the shell. false with *err (malloc'd). Once, before threads start:
 * the assets live until the process ends, read-only. */
bool web_assets_load(const char *dir, const char *sru, char **err);
/* The asset at a path under web/ ("static/app.js"), or NULL. */
const struct web_asset *web_asset_find(const char *name);
/* gzip of n bytes (malloc'd, *out_len), or NULL when it fails or would not be smaller. */
char *web_gzip(const char *data, size_t n, size_t *out_len);

#endif
