/* url_fetch — a remote file (a resource's URL, for XLoader's loads) fetched with libcurl into an
 * unnamed file, on a loading thread (blocking). Only http and https, redirects followed one hop
 * at a time up to a limit; every hop's host is resolved here and each of its addresses checked
 * (private, loopback, link-local and the like refused unless allowed), and curl is pinned to
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

/* True for an address not to be fetched without allow_private: unspecified, loopback, private
 * (RFC 1918, unique local), shared (100.64/10), link-local, multicast, reserved, and IPv6 forms
 * of those (mapped, NAT64). */
bool ufetch_addr_refused(const struct sockaddr *sa);

#endif
