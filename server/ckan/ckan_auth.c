/* ckan_auth — API tokens to users (see ckan_auth.h). */
#include "ckan_auth.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "db_pool.h"
#include "req.h"

static struct db_stmt st_auth = {"ckan_auth",
    "SELECT user_id, name, sysadmin, viewer FROM ckan_auth($1::bytea)", 1, 0};

void ckan_auth_init(void)
{
    dbp_register(&st_auth);
}

static bool blank(const char *s)
{
    return !s || !*s || strspn(s, " \t") == strlen(s);
}

const char *ckan_auth_token(const char *authorization, const char *api_key)
{
    if (!blank(authorization)) {
        const char *t = authorization + strspn(authorization, " \t");
        if (strncasecmp(t, "Bearer ", 7) == 0)
            t += 7 + strspn(t + 7, " \t");
        if (!blank(t))
            return t;
    }
    return blank(api_key) ? NULL : api_key;
}

void ckan_auth_hash_text(const char *token, char out[67])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
    out[0] = '\\';
    out[1] = 'x';
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", md[i]);
}

const char *ckan_auth_viewer(const struct req *r)
{
    return r->user ? r->user->viewer : NULL;
}

static void auth_done(struct req *r, PGresult *res)
{
    int (*next)(struct req *) = r->auth_next;
    r->auth_next = NULL;
    if (PQntuples(res) == 1) {
        struct req_user *u = arena_alloc(r->a, sizeof(*u));
        u->id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
        u->name = arena_strdup(r->a, PQgetvalue(res, 0, 1));
        u->sysadmin = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
        u->viewer = arena_strdup(r->a, PQgetvalue(res, 0, 3));
        r->user = u;
    }
    next(r);
}

int ckan_auth_then(struct req *r, int (*next)(struct req *r))
{
    if (req_query_get(r, "callback", NULL))
        return next(r); /* JSONP runs anonymously: a page must not read a user's data */
    struct evkeyvalq *h = evhttp_request_get_input_headers(r->ev);
    const char *token = ckan_auth_token(evhttp_find_header(h, "Authorization"),
                                        evhttp_find_header(h, "X-CKAN-API-Key"));
    if (!token)
        return next(r);
    char *hash = arena_alloc(r->a, 67);
    ckan_auth_hash_text(token, hash);
    const char **params = arena_alloc(r->a, sizeof(char *));
    params[0] = hash;
    r->auth_next = next;
    return req_db(r, &st_auth, params, auth_done);
}
