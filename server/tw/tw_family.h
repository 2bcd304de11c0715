/* tw_family — the Taiwan API as the server sees it: endpoints 1-8 under {sru}, its envelope
 * (tw_resp.c), and the configuration handed over at start. */
#ifndef TW_FAMILY_H
#define TW_FAMILY_H

struct config;

extern const struct srv_family tw_family;
/* The running configuration, as the server handed it to tw_family's init. */
const struct config *tw_config(void);

#endif
