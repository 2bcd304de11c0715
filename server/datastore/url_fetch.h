/* url_fetch — a remote file (a resource's URL, for XLoader's loads) fetched with libcurl into an
 * unnamed file, on a loading thread (blocking). Only http and https, redirects followed one hop
 * at a time up to a limit; every hop's host is resolved here and each of its addresses checked
 * (private, loopback, link-local and the like refused unless allowed; unspecified, multicast
 * and reserved always), and curl is pinned to
 * the checked addresses (CURLOPT_RESOLVE), so a name that resolves differently a second time
 * cannot reach what was refused. The body is streamed to disk, never held in memory, and cut
 * off past a size limit and a time limit. Failures are in words, as XLoader's jobs give them. */
#ifndef URL_FETCH_H
#define URL_FETCH_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

struct ufetch_opts {
    const char *dir;       /* where the unnamed file is made (O_TMPFILE) */
    int64_t max_bytes;     /* body larger: refused */
    int connect_timeout_s; /* each connection */
    int timeout_s;         /* the whole fetch, redirects included */
    int max_redirects;
    bool allow_private;    /* private/loopback/link-local addresses may be fetched */
    bool (*cancelled)(void); /* checked while the body comes (NULL: never) */
};

/* Once, before threads start (curl_global_init). */
bool ufetch_global_init(char **err) MUSTCHECK;

/* Fetch url: an open descriptor of the unnamed file holding the body (at offset 0), or -1 with
 * *err (malloc'd, words for the task's status). *size the body's bytes. */
int ufetch(const char *url, const struct ufetch_opts *o, int64_t *size, char **err);

/* Whom an address reaches: UFA_PRIVATE ones (loopback, RFC 1918, unique local, shared
 * 100.64/10, link-local, documentation and benchmarking ranges, and their IPv6 forms: mapped,
 * NAT64, 6to4) are fetched only with allow_private; UFA_NEVER ones (unspecified, which reaches
 * this host, multicast, reserved, broadcast) never. */
enum ufetch_addr { UFA_PUBLIC, UFA_PRIVATE, UFA_NEVER };
enum ufetch_addr ufetch_addr_class(const struct sockaddr *sa);

#endif
