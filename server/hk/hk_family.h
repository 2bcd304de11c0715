/* hk_family — the Hong Kong-style extension APIs as the server sees them: the historical
 * archive (/v1/historical-archive/...) and /v1/nearest-schools, with their envelope (bare JSON
 * bodies, errors as {"message": ...}). docs/HK_API.md. */
#ifndef HK_FAMILY_H
#define HK_FAMILY_H

extern const struct srv_family hk_family;

#endif
