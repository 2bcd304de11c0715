/* tw_datastore — Taiwan endpoint 7, {SRU}/rest/datastore/{resourceID}: filters, q, sort,
 * fields, limit, offset. Syntax is checked by tw_params.c (ER0200/ER0210); the read is built and
 * run by ds_read.c, whose generator checks field names (OD220 → ER0220, OD210 → ER0210) and whose
 * ds_table answers OD100 → ER0100. */
#include "arena.h"
#include "config.h"
#include "ds_read.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "sqlbuild.h"
#include "tw_config.h"
#include "tw_params.h"
#include "tw_rest.h"

int tw_datastore(struct req *r)
{
    const struct config *cfg = tw_config();
    struct tw_ds_request *d = arena_alloc(r->a, sizeof(*d));
    enum err_kind kind;
    const char *msg = tw_params_datastore(r, req_path_param(r, 0), cfg->datastore_rows_max,
                                          cfg->tw_datastore_limit, d, &kind);
    if (msg) {
        resp_error(r, kind, NULL, "%s", msg);
        return REQ_DONE;
    }
    return dsr_read(r, &d->read);
}
