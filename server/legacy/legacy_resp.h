/* legacy_resp — the legacy API's envelope (legacy_family.h says its shapes). */
#ifndef LEGACY_RESP_H
#define LEGACY_RESP_H

#include "resp.h"

extern const struct resp_env legacy_resp_env;

#endif
