/* netaddr — the --listen address: HOST:PORT where HOST is an IPv4 address, a bracketed IPv6
 * one ([::1]:5000) or a host name (localhost:5099, resolved once at start), and the public
 * URL it implies when --site-url is not given. */
#ifndef NETADDR_H
#define NETADDR_H
#include <stdbool.h>
#include <sys/socket.h>

#include "util.h"

/* Split addr into its host (brackets removed) and port (malloc'd both); false when it is not
 * HOST:PORT with a port of 1-65535 digits. Pure. */
bool netaddr_split(const char *addr, char **host, char **port) MUSTCHECK;
/* The socket address to listen on: a numeric host as it is, a name by getaddrinfo (its first
 * answer); false with *err (malloc'd). */
bool netaddr_resolve(const char *addr, struct sockaddr_storage *ss, int *len,
                     char **err) MUSTCHECK;
/* "http://HOST:PORT" for a listen address (an unspecified one, 0.0.0.0 or [::], names this
 * machine: its host name), malloc'd; NULL when addr does not split. */
char *netaddr_site_url(const char *addr);

#endif
