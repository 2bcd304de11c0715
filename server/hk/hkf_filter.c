/* hkf_filter — the Filter API's one endpoint. */
#include "hkf_filter.h"

#include <stdlib.h>

#include "dump_stream.h"
#include "hk_query.h"
#include "req.h"
#include "resp.h"

static const struct {
    enum dfmt_kind kind;
    const char *ctype;
} formats[] = {
    [HKQ_CSV] = {DFMT_HK_CSV, "text/csv; charset=utf-8"},
    [HKQ_JSON] = {DFMT_HK_JSON, "application/json; charset=utf-8"},
    [HKQ_XML] = {DFMT_HK_XML, "application/xml; charset=utf-8"},
};

int hkf_filter(struct req *r)
{
    int count = 0;
    const char *q = req_query_get(r, "q", &count);
    if (!q || count > 1) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "%s",
                   q ? "q is given more than once" : "q is missing: give the query as JSON in q");
        return REQ_DONE;
    }
    struct hkq hq;
    char *err = NULL;
    if (!hkq_parse(q, &hq, &err)) {
        resp_error(r, ERR_BAD_REQUEST, NULL, "%s", err);
        free(err);
        return REQ_DONE;
    }
    /* the worker parses the text again: one owner of the query, no copies of its parts */
    struct dsrc_query dq = {.colq = q};
    struct dstream_spec spec = {&dq, formats[hq.format].kind, false, formats[hq.format].ctype,
                                NULL};
    hkq_free(&hq);
    return dstream_start(r, &spec);
}
