/* hk_resp — the Hong Kong-style APIs' envelope: bare JSON bodies, errors as {"message": ...}. */
#ifndef HK_RESP_H
#define HK_RESP_H

#include "resp.h"

struct req;

extern const struct resp_env hk_resp_env;

/* Answer 400 {"message": "REQUEST ERROR: <what> <name> parameter"}; REQ_DONE. */
int hk_resp_bad_param(struct req *r, const char *what, const char *name);

#endif
