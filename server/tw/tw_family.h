/* tw_family — the Taiwan API as the server sees it: endpoints 1-8 under {sru}, its envelope
 * (tw_resp.c). */
#ifndef TW_FAMILY_H
#define TW_FAMILY_H

extern const struct srv_family tw_family;

#endif
