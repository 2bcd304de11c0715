/* url_fetch — remote files for loads, fetched hop by hop with checked, pinned addresses. */
#include "url_fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

bool ufetch_global_init(char **err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        *err = xasprintf("cannot set up libcurl: %s", curl_easy_strerror(rc));
    return rc == CURLE_OK;
}

/* ---- addresses ------------------------------------------------------------------------------- */

static enum ufetch_addr v4_class(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
        enum ufetch_addr c;
    } nets[] = {
        {0x00000000, 0xff000000, UFA_NEVER},   /* 0/8 "this network" (0.0.0.0 is this host) */
        {0x0a000000, 0xff000000, UFA_PRIVATE}, /* 10/8 */
        {0x64400000, 0xffc00000, UFA_PRIVATE}, /* 100.64/10 shared (carrier-grade NAT) */
        {0x7f000000, 0xff000000, UFA_PRIVATE}, /* 127/8 loopback */
        {0xa9fe0000, 0xffff0000, UFA_PRIVATE}, /* 169.254/16 link-local (cloud metadata) */
        {0xac100000, 0xfff00000, UFA_PRIVATE}, /* 172.16/12 */
        {0xc0000000, 0xffffff00, UFA_PRIVATE}, /* 192.0.0/24 protocol assignments */
        {0xc0000200, 0xffffff00, UFA_PRIVATE}, /* 192.0.2/24 documentation */
        {0xc0a80000, 0xffff0000, UFA_PRIVATE}, /* 192.168/16 */
        {0xc6120000, 0xfffe0000, UFA_PRIVATE}, /* 198.18/15 benchmarking */
        {0xc6336400, 0xffffff00, UFA_PRIVATE}, /* 198.51.100/24 documentation */
        {0xcb007100, 0xffffff00, UFA_PRIVATE}, /* 203.0.113/24 documentation */
        {0xe0000000, 0xe0000000, UFA_NEVER}, /* 224/4 multicast, 240/4 reserved, broadcast */
    };
    for (size_t i = 0; i < ARRAY_LEN(nets); i++)
        if ((a & nets[i].mask) == nets[i].net)
            return nets[i].c;
    return UFA_PUBLIC;
}

static uint32_t v4_at(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static enum ufetch_addr v6_class(const unsigned char *b)
{
    static const unsigned char zero[15] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (memcmp(b, zero, 15) == 0) /* :: (this host) and ::1 (loopback) */
        return b[15] == 1 ? UFA_PRIVATE : UFA_NEVER;
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_class(v4_at(b + 12));
    if (memcmp(b, zero, 12) == 0) /* the old IPv4-compatible form */
        return UFA_NEVER;
    if (b[0] == 0x20 && b[1] == 0x02) /* 6to4: the IPv4 address inside */
        return v4_class(v4_at(b + 2));
    if (b[0] == 0xff || (b[0] == 0x01 && memcmp(b + 1, zero, 7) == 0)) /* multicast, discard */
        return UFA_NEVER;
    if ((b[0] & 0xfe) == 0xfc                                     /* fc00::/7 unique local */
        || (b[0] == 0xfe && (b[1] & 0x80) == 0x80)                /* fe80::/10, fec0::/10 */
        || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)) /* documentation */
        return UFA_PRIVATE;
    return UFA_PUBLIC;
}

enum ufetch_addr ufetch_addr_class(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_class(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_class(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return UFA_NEVER;
}

/* ---- one hop --------------------------------------------------------------------------------- */

struct sink {
    int fd;
    int64_t n, max;
    long long length; /* the answer's Content-Length, -1 when none */
    bool too_big;
    int werr;
    bool (*cancelled)(void);
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t len = size * nmemb;
    if (s->n + (int64_t)len > s->max) {
        s->too_big = true;
        s->n += (int64_t)len; /* what came, as XLoader counts it */
        return 0;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(s->fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            s->werr = errno;
            return 0;
        }
        off += (size_t)w;
    }
    s->n += (int64_t)len;
    return len;
}

/* Content-Length, for the words of a refusal curl makes before any body comes. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t len = size * nmemb;
    static const char name[] = "content-length:";
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        char *end = NULL, *copy = strndup(p + sizeof(name) - 1, len - (sizeof(name) - 1));
        long long v = copy ? strtoll(copy, &end, 10) : -1;
        if (copy && end != copy && v >= 0)
            s->length = v;
        free(copy);
    }
    return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const struct sink *s = arg;
    return s->cancelled && s->cancelled() ? 1 : 0;
}

/* host (as the URL writes it, an IPv6 literal in brackets) resolved and checked: the
 * CURLOPT_RESOLVE entry pinning it to those addresses (NULL for a literal address), or false. */
static bool pin_host(const char *host, const char *port, bool allow_private,
                     struct curl_slist **pin, char **err)
{
    char *name = xstrdup(host);
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '[' && name[len - 1] == ']')
        memmove(name, name + 1, len - 2), name[len - 2] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int g = getaddrinfo(name, port, &hints, &ai);
    if (g != 0) {
        *err = xasprintf("Could not resolve host: %s (%s)", name, gai_strerror(g));
        free(name);
        return false;
    }
    unsigned char probe[sizeof(struct in6_addr)];
    bool literal = inet_pton(AF_INET, name, probe) == 1 || inet_pton(AF_INET6, name, probe) == 1;
    char *list = xstrdup("");
    bool ok = true;
    for (struct addrinfo *a = ai; a && ok; a = a->ai_next) {
        char txt[INET6_ADDRSTRLEN] = "";
        const void *bytes = a->ai_family == AF_INET
                                ? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
                                : (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        inet_ntop(a->ai_family, bytes, txt, sizeof(txt));
        enum ufetch_addr c = ufetch_addr_class(a->ai_addr);
        if (c == UFA_NEVER || (c == UFA_PRIVATE && !allow_private)) {
            *err = xasprintf(c == UFA_NEVER ? "The URL's host %s has the address %s: "
                                              "unspecified, multicast and reserved addresses "
                                              "are not fetched."
                                            : "The URL's host %s has the address %s: private, "
                                              "loopback and link-local addresses are not "
                                              "fetched.",
                             name, txt);
            ok = false;
            break;
        }
        char *more = xasprintf(a->ai_family == AF_INET6 ? "%s%s[%s]" : "%s%s%s", list,
                               *list ? "," : "", txt);
        free(list);
        list = more;
    }
    freeaddrinfo(ai);
    if (ok && !*list) {
        *err = xasprintf("Could not resolve host: %s (no IPv4 or IPv6 address)", name);
        ok = false;
    }
    if (ok && !literal) {
        char *entry = xasprintf("%s:%s:%s", host, port, list);
        *pin = curl_slist_append(NULL, entry);
        free(entry);
    }
    free(list);
    free(name);
    return ok;
}

/* The URL's scheme checked (http, https) and its host pinned. */
static bool target(const char *url, bool allow_private, struct curl_slist **pin, char **err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    unsigned flags = CURLU_NON_SUPPORT_SCHEME;
#ifdef CURLU_PUNYCODE
    unsigned hflags = CURLU_PUNYCODE;
#else
    unsigned hflags = 0;
#endif
    CURLUcode uc = u ? curl_url_set(u, CURLUPART_URL, url, flags) : CURLUE_OUT_OF_MEMORY;
    bool ok = uc == CURLUE_OK;
    if (!ok)
        *err = xasprintf("The URL %s cannot be fetched: %s.", url, curl_url_strerror(uc));
    if (ok && (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
               (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))) {
        *err = xasprintf("Only http and https resources may be fetched (the URL's scheme is "
                         "%s).", scheme ? scheme : "missing");
        ok = false;
    }
    if (ok && (curl_url_get(u, CURLUPART_HOST, &host, hflags) != CURLUE_OK ||
               curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)) {
        *err = xasprintf("The URL %s has no host.", url);
        ok = false;
    }
    if (ok)
        ok = pin_host(host, port, allow_private, pin, err);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
    return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* What a transfer that ended with rc says, in words (XLoader's where it has them). */
static char *transfer_error(CURLcode rc, const struct sink *s, const struct ufetch_opts *o,
                            const char *ebuf)
{
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return xasprintf("Connection timed out after %ds", o->timeout_s);
    if (rc == CURLE_FILESIZE_EXCEEDED || s->too_big)
        return xasprintf("Data too large to load into Datastore: %lld bytes > max %lld bytes.",
                         s->length > s->max ? s->length : (long long)s->n,
                         (long long)s->max);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return xstrdup("The fetch was stopped: the server is stopping.");
    if (s->werr)
        return xasprintf("cannot write the fetched file: %s", strerror(s->werr));
    return xasprintf("Could not fetch the URL: %s", *ebuf ? ebuf : curl_easy_strerror(rc));
}

/* A body that opens with markup (after white space and a UTF-8 BOM): a web page, when the
 * answer says text/html too (some sites label CSV files text/html; those are kept). */
static bool body_is_markup(int fd)
{
    unsigned char b[512];
    ssize_t n = pread(fd, b, sizeof(b), 0);
    ssize_t i = n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf ? 3 : 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < n && b[i] == '<';
}

/* After a transfer: 0 a 2xx answer (the body is the file), 1 a redirect (*next), -1 (*err). */
static int answer_of(CURL *c, const char *url, int fd, char **next, char **err)
{
    long status = 0;
    char *loc = NULL, *ctype = NULL;
    (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    (void)curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
    (void)curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
    if (status >= 300 && status < 400 && loc) {
        *next = xstrdup(loc);
        return 1;
    }
    if (status < 200 || status >= 300) {
        *err = xasprintf("Xloader received a bad HTTP response when trying to download the data "
                         "file: HTTP status %ld from %s",
                         status, url);
        return -1;
    }
    if (starts_with_ci(ctype, "text/html") && body_is_markup(fd)) {
        *err = xasprintf("The URL %s answered a web page (Content-Type %s), not a table: CSV, "
                         "TSV and XML files are loaded.",
                         url, ctype);
        return -1;
    }
    return 0;
}

static void set_options(CURL *c, const char *url, struct sink *s, struct curl_slist *pin,
                        long left_ms, const struct ufetch_opts *o, char *ebuf)
{
    long connect_ms = (long)o->connect_timeout_s * 1000L;
    (void)curl_easy_setopt(c, CURLOPT_URL, url);
    (void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    (void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* each hop is checked here */
    (void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
    /* no proxy from the environment: the address checked is the one connected to */
    (void)curl_easy_setopt(c, CURLOPT_PROXY, "");
    (void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms < left_ms ? connect_ms : left_ms);
    (void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left_ms);
    (void)curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
    (void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    (void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    (void)curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    (void)curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    (void)curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    (void)curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    (void)curl_easy_setopt(c, CURLOPT_USERAGENT, "opendatad-xloader");
    (void)curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    (void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
}

/* One request of url into s (emptied first): as answer_of. */
static int hop(const char *url, const struct ufetch_opts *o, struct sink *s, int64_t deadline_us,
               char **next, char **err)
{
    struct curl_slist *pin = NULL;
    if (!target(url, o->allow_private, &pin, err))
        return -1;
    long left_ms = (long)((deadline_us - util_now_us()) / 1000);
    if (left_ms <= 0) {
        curl_slist_free_all(pin);
        *err = xasprintf("Connection timed out after %ds", o->timeout_s);
        return -1;
    }
    CURL *c = curl_easy_init();
    char ebuf[CURL_ERROR_SIZE] = "";
    int rc = -1;
    s->n = 0;
    s->length = -1;
    if (!c)
        *err = xstrdup("cannot set up libcurl");
    else if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0)
        *err = xasprintf("cannot write the fetched file: %s", strerror(errno));
    else {
        set_options(c, url, s, pin, left_ms, o, ebuf);
        CURLcode cc = curl_easy_perform(c);
        if (cc != CURLE_OK)
            *err = transfer_error(cc, s, o, ebuf);
        else
            rc = answer_of(c, url, s->fd, next, err);
    }
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(pin);
    return rc;
}

int ufetch(const char *url, const struct ufetch_opts *o, int64_t *size, char **err)
{
    int fd = open(o->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        *err = xasprintf("cannot make a file for the fetch: %s", strerror(errno));
        return -1;
    }
    struct sink s = {.fd = fd, .max = o->max_bytes, .cancelled = o->cancelled};
    int64_t deadline = util_now_us() + (int64_t)o->timeout_s * 1000000;
    char *cur = xstrdup(url);
    int rc;
    for (int hops = 0;; hops++) {
        char *next = NULL;
        rc = hop(cur, o, &s, deadline, &next, err);
        free(cur);
        cur = next;
        if (rc != 1)
            break;
        if (hops >= o->max_redirects) {
            *err = xasprintf("Too many redirects: more than %d.", o->max_redirects);
            rc = -1;
            break;
        }
    }
    free(cur);
    if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0) {
        *err = xasprintf("cannot read the fetched file: %s", strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    *size = s.n;
    return fd;
}
