/* hkf_family — the Hong Kong Data Filtering API (GET /v2/filter, /v1/filter) as a family of
 * its own: its routes, its envelope (hkf_resp.h), no state. The DataStore family starts the
 * dump workers it streams with. */
#ifndef HKF_FAMILY_H
#define HKF_FAMILY_H

extern const struct srv_family hkf_family;

#endif
