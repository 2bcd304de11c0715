/* web_accept — what the portal pages' requests ask for, pure: whether an Accept-Encoding
 * header takes gzip, and which of the pages' translations a CKAN language code names. */
#ifndef WEB_ACCEPT_H
#define WEB_ACCEPT_H
#include <stdbool.h>

/* True when the Accept-Encoding value (NULL: none) accepts gzip: "gzip" or "x-gzip" or "*"
 * with a q-value above 0, and gzip not refused by its own q=0. */
bool web_accepts_gzip(const char *accept_encoding);
/* The translation file a CKAN locale code names ("en", "zh_Hant_TW", "zh_Hans_CN", and the
 * older "zh_TW", "zh_CN"): "en", "zh_Hant_TW" or "zh_Hans_CN"; NULL for any other. */
const char *web_locale_file(const char *lang);

#endif
