/* util — allocation that aborts on OOM, small string helpers, monotonic time, a fast hash. */
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

char *util_vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

int64_t util_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Length of the UTF-8 sequence at s (1-4), or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    if (left < n)
        return 0;
    unsigned cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

size_t util_utf8_prefix(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}

bool util_utf8_valid(const char *s, size_t len)
{
    return util_utf8_prefix(s, len) == len;
}

size_t util_utf8_len(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

#ifndef OPENDATAD_DATADIR
#define OPENDATAD_DATADIR "/usr/local/share/opendatad"
#endif
#ifndef OPENDATAD_STATEDIR
#define OPENDATAD_STATEDIR "/var/lib/opendatad"
#endif

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder above the one holding the running program ("/usr" for /usr/bin/opendatad, "" for
 * /opendatad); NULL when /proc/self/exe cannot be read. */
static char *exe_root(void)
{
    char *exe = realpath("/proc/self/exe", NULL);
    if (!exe)
        return NULL;
    char *root = xstrdup(dirname(dirname(exe)));
    free(exe);
    if (strcmp(root, "/") == 0)
        root[0] = '\0';
    return root;
}

/* util_share_dir's order for a program whose folder above bin/ is root (NULL: unknown). A
 * var/ subfolder is written to, so it is never looked up among the shipped files: an installed
 * program (root/share/opendatad exists) keeps it under OPENDATAD_STATEDIR, a build tree beside
 * its bin/ (made when missing, as before). */
static char *share_dir_at(const char *root, const char *sub)
{
    char *installed = root ? xasprintf("%s/share/opendatad", root) : NULL;
    char *dir = NULL;
    if (strncmp(sub, "var/", 4) == 0) {
        if (!root || is_dir(installed))
            dir = xasprintf("%s/%s", OPENDATAD_STATEDIR, sub + 4);
        else
            dir = xasprintf("%s/%s", root, sub);
    } else if (root) {
        dir = xasprintf("%s/%s", installed, sub);
        if (!is_dir(dir)) {
            free(dir);
            dir = xasprintf("%s/%s", root, sub);
            if (!is_dir(dir)) {
                free(dir);
                dir = NULL;
            }
        }
    }
    free(installed);
    return dir ? dir : xasprintf("%s/%s", OPENDATAD_DATADIR, sub);
}

char *util_share_dir(const char *env, const char *sub)
{
    const char *v = getenv(env);
    if (v && *v)
        return xstrdup(v);
    char *root = exe_root();
    char *dir = share_dir_at(root, sub);
    free(root);
    return dir;
}

char *util_read_file(const char *path, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = xasprintf("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (cap - n < 65536)
            buf = xrealloc(buf, cap = cap * 2 + 65536);
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        *err = xasprintf("cannot read %s", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- XXH64, written from the published algorithm (github.com/Cyan4973/xxHash, doc/) ---------- */

#define XXH_P1 0x9E3779B185EBCA87ULL
#define XXH_P2 0xC2B2AE3D27D4EB4FULL
#define XXH_P3 0x165667B19E3779F9ULL
#define XXH_P4 0x85EBCA77C2B2AE63ULL
#define XXH_P5 0x27D4EB2F165667C5ULL

static uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static uint64_t xxh_round(uint64_t acc, uint64_t input)
{
    return rotl64(acc + input * XXH_P2, 31) * XXH_P1;
}

static uint64_t xxh_merge(uint64_t h, uint64_t acc)
{
    return (h ^ xxh_round(0, acc)) * XXH_P1 + XXH_P4;
}

/* The four lanes over whole 32-byte stripes; *p is left after the last stripe. */
static uint64_t xxh_stripes(const unsigned char **p, const unsigned char *end)
{
    uint64_t v1 = XXH_P1 + XXH_P2, v2 = XXH_P2, v3 = 0, v4 = -XXH_P1;
    const unsigned char *s = *p;
    for (; end - s >= 32; s += 32) {
        v1 = xxh_round(v1, read64(s));
        v2 = xxh_round(v2, read64(s + 8));
        v3 = xxh_round(v3, read64(s + 16));
        v4 = xxh_round(v4, read64(s + 24));
    }
    *p = s;
    uint64_t h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    return xxh_merge(xxh_merge(xxh_merge(xxh_merge(h, v1), v2), v3), v4);
}

uint64_t util_hash64(const void *data, size_t n)
{
    const unsigned char *p = data, *end = p + n;
    uint64_t h = n >= 32 ? xxh_stripes(&p, end) : XXH_P5;
    h += n;
    for (; end - p >= 8; p += 8)
        h = rotl64(h ^ xxh_round(0, read64(p)), 27) * XXH_P1 + XXH_P4;
    if (end - p >= 4) {
        h = rotl64(h ^ read32(p) * XXH_P1, 23) * XXH_P2 + XXH_P3;
        p += 4;
    }
    for (; p < end; p++)
        h = rotl64(h ^ *p * XXH_P5, 11) * XXH_P1;
    h = (h ^ (h >> 33)) * XXH_P2;
    h = (h ^ (h >> 29)) * XXH_P3;
    return h ^ (h >> 32);
}

bool util_etag_listed(const char *list, const char *etag)
{
    size_t el = strlen(etag);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ","), m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        const char *t = p;
        if (m >= 2 && t[0] == 'W' && t[1] == '/')
            t += 2, m -= 2;
        if ((m == 1 && *t == '*') || (m == el && memcmp(t, etag, el) == 0))
            return true;
        p += n;
    }
    return false;
}
