/* ckan_user — CKAN's user actions: the reads user_list, user_show (sql/functions/09), the writes
 * user_create, user_update, user_patch, user_delete and the API token actions
 * (sql/functions/15), all through ckan_call. User dicts carry an email address only for the
 * user themself and sysadmins, never a password hash. What only C does for the writes: a
 * password is hashed here (passwd.c) and never reaches SQL or a log; a new token is made here
 * (apitoken.c) and only its SHA-256 is stored. */
#include "ckan_handlers.h"

#include <json-c/json.h>
#include <string.h>

#include "apitoken.h"
#include "arena.h"
#include "bgwork.h"
#include "ckan_auth.h"
#include "ckan_config.h"
#include "config.h"
#include "passwd.h"
#include "resp.h"
#include "server.h"

#include "ckan_call.h"
#include "ckan_params.h"
#include "db_pool.h"
#include "req.h"
#include "util.h"

CKAN_CALL_STMT_V(user_list, ckan_user_list);
CKAN_CALL_STMT_V(user_show, ckan_user_show);
CKAN_CALL_STMT_V(user_create, ckan_user_create);
CKAN_CALL_STMT_V(user_update, ckan_user_update);
CKAN_CALL_STMT_V(user_delete, ckan_user_delete);
CKAN_CALL_STMT_V(api_token_create, ckan_api_token_create);
CKAN_CALL_STMT_V(api_token_list, ckan_api_token_list);
CKAN_CALL_STMT_V(api_token_revoke, ckan_api_token_revoke);

/* Register the statements of the actions below (once, before the threads start). */
void ckan_user_init(void)
{
    struct db_stmt *all[] = {&st_user_list,        &st_user_show,     &st_user_create,
                             &st_user_update,      &st_user_delete,   &st_api_token_create,
                             &st_api_token_list,   &st_api_token_revoke};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        dbp_register(all[i]);
}

/* user_list: order_by names a user column (else display_name); filtering by email is for
 * sysadmins only. */
int ckan_user_list(struct req *r)
{
    static const char *const orders[] = {"name", "fullname", "display_name", "created", "about",
        "sysadmin", "number_created_packages", "id", "state", "image_url", "last_active"};
    json_object *in = ckan_request_data(r);
    bool all_fields;
    if (!in || !ckan_asbool(r, in, "all_fields", true, &all_fields))
        return REQ_DONE;
    const char *email = ckan_unicode_safe(in, "email"), *order = ckan_unicode_safe(in, "order_by");
    const char *q = ckan_unicode_safe(in, "q");
    if (email && *email && !(r->user && r->user->sysadmin))
        return ckan_call_fail(r, 403, "Access denied");
    if (order && strcmp(order, "edits") == 0)
        return ckan_call_invalid(r, "message", "order_by=edits is no longer supported");
    const char *ob = "display_name";
    for (size_t i = 0; order && i < ARRAY_LEN(orders); i++)
        if (strcmp(order, orders[i]) == 0)
            ob = orders[i];
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "q", q);
    ckan_call_add_str(p, "email", email && *email ? email : NULL);
    ckan_call_add_str(p, "order_by", ob);
    ckan_call_add_bool(p, "all_fields", all_fields);
    return ckan_call(r, &st_user_list, p);
}

/* user_show: id or name; without one, the caller (anonymous: not found). */
int ckan_user_show(struct req *r)
{
    json_object *in = ckan_request_data(r);
    bool datasets, followers;
    if (!in || !ckan_asbool(r, in, "include_datasets", false, &datasets) ||
        !ckan_asbool(r, in, "include_num_followers", false, &followers))
        return REQ_DONE;
    const char *id = ckan_unicode_safe(in, "id");
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id && *id ? id : NULL);
    ckan_call_add_bool(p, "include_datasets", datasets);
    ckan_call_add_bool(p, "include_num_followers", followers);
    return ckan_call(r, &st_user_show, p);
}

/* Characters (code points) of a UTF-8 text, as Python's len counts them. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void wipe_free(void *s)
{
    explicit_bzero(s, strlen(s));
    free(s);
}

/* A password being hashed off the loop (bgwork), then the write it belongs to. */
struct pw_job {
    struct req *r;
    json_object *p;
    const struct db_stmt *st;
    char *password; /* wiped once hashed */
    char *hash;
    const char *err;
};

static void pw_job_work(void *arg)
{
    struct pw_job *j = arg;
    j->hash = pw_hash(j->password, &j->err);
    wipe_free(j->password);
    j->password = NULL;
}

/* The write with the hash, or a 500 when the system could not make one. */
static int pw_job_finish(struct pw_job *j)
{
    if (!j->hash) {
        json_object_put(j->p);
        resp_error(j->r, ERR_INTERNAL, NULL, "cannot hash a password: %s", j->err);
        return REQ_DONE;
    }
    ckan_call_add_str(j->p, "_password_hash", j->hash);
    wipe_free(j->hash);
    return ckan_call(j->r, j->st, j->p);
}

/* On the loop again. */
static void pw_job_done(void *arg)
{
    (void)pw_job_finish(arg); /* answers, now or from its callback */
}

/* CKAN's user_password_validator on p's password, which is taken out of p: a hash of a good
 * one as "_password_hash", else why it is refused as "_password_error" ("" counts as none);
 * then st is called with p. A good password is hashed on a worker thread (~50 ms of yescrypt
 * would stall every request of this loop), or here when no worker can take it. */
static int call_with_password(struct req *r, json_object *p, const struct db_stmt *st)
{
    json_object *pw = json_object_object_get(p, "password");
    const char *text = pw ? json_object_get_string(pw) : NULL;
    if (!pw) {
        return ckan_call(r, st, p);
    } else if (!json_object_is_type(pw, json_type_string)) {
        ckan_call_add_str(p, "_password_error", "Passwords must be strings");
    } else if (json_object_get_string_len(pw) == 0) {
        /* CKAN drops an empty password */
    } else if (utf8_chars(text) < 8) {
        ckan_call_add_str(p, "_password_error", "Your password must be 8 characters or longer");
    } else {
        struct pw_job *j = arena_alloc(r->a, sizeof *j);
        *j = (struct pw_job){r, p, st, xstrdup(text), NULL, NULL};
        json_object_object_del(p, "password");
        if (bgw_run(r->thr->base, pw_job_work, pw_job_done, j))
            return REQ_ASYNC;
        pw_job_work(j);
        return pw_job_finish(j);
    }
    json_object_object_del(p, "password");
    return ckan_call(r, st, p);
}

/* A new token as p's "_token" (wiped once the request ends); false once a 500 was answered. */
static bool add_token(struct req *r, json_object *p)
{
    char *token = apitok_new();
    if (!token) {
        json_object_put(p);
        resp_error(r, ERR_INTERNAL, NULL, "cannot read random bytes for a token");
        return false;
    }
    arena_defer(r->a, wipe_free, token);
    ckan_call_add_str(p, "_token", token);
    return true;
}

/* user_create: sysadmins, or anyone when the site allows it (--create-user-via-api, CKAN's
 * ckan.auth.create_user_via_api); with_apitoken (Python truthiness) adds a token. */
int ckan_user_create(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    json_object *p = ckan_call_write_input(in);
    bool with_token = ckan_truthy(json_object_object_get(in, "with_apitoken"));
    json_object_object_del(p, "with_apitoken");
    if (!(r->user && r->user->sysadmin) && !ckan_config()->create_user_via_api)
        json_object_object_del(p, "password"); /* refused anyway: spend no hashing on it */
    if (with_token && !add_token(r, p))
        return REQ_DONE;
    ckan_call_add_bool(p, "_with_apitoken", with_token);
    ckan_call_add_bool(p, "_via_api", ckan_config()->create_user_via_api);
    return call_with_password(r, p, &st_user_create);
}

/* user_update and user_patch: id required; the SQL checks who may, then the fields. */
static int user_write(struct req *r, bool patch)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    json_object *p = ckan_call_write_input(in);
    if (!r->user)
        json_object_object_del(p, "password"); /* refused anyway: spend no hashing on it */
    ckan_call_add_str(p, "id", id);
    ckan_call_add_bool(p, "_patch", patch);
    return call_with_password(r, p, &st_user_update);
}

int ckan_user_update(struct req *r)
{
    return user_write(r, false);
}

int ckan_user_patch(struct req *r)
{
    return user_write(r, true);
}

/* user_delete: sysadmins (the table says); id required. */
int ckan_user_delete(struct req *r)
{
    json_object *in = ckan_request_data(r);
    const char *id;
    if (!in || !ckan_get_or_bust(r, in, "id", &id))
        return REQ_DONE;
    json_object *p = json_object_new_object();
    ckan_call_add_str(p, "id", id);
    return ckan_call(r, &st_user_delete, p);
}

/* api_token_create: user and name; the token is answered once, never stored. */
int ckan_api_token_create(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    json_object *p = json_object_new_object();
    const char *keys[] = {"user", "name"};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        json_object *v = json_object_object_get(in, keys[i]);
        if (json_object_object_get_ex(in, keys[i], NULL))
            json_object_object_add(p, keys[i], ckan_call_sql_json(v));
    }
    if (!add_token(r, p))
        return REQ_DONE;
    return ckan_call(r, &st_api_token_create, p);
}

/* api_token_list: user_id (or user). */
int ckan_api_token_list(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    json_object *p = json_object_new_object();
    const char *id = ckan_unicode_safe(in, "user_id");
    ckan_call_add_str(p, "user_id", id ? id : ckan_unicode_safe(in, "user"));
    return ckan_call(r, &st_api_token_list, p);
}

/* api_token_revoke: jti, else token (required then), looked up by its SHA-256. */
int ckan_api_token_revoke(struct req *r)
{
    json_object *in = ckan_request_data(r);
    if (!in)
        return REQ_DONE;
    const char *jti = ckan_unicode_safe(in, "jti"), *token;
    json_object *p = json_object_new_object();
    if (jti && *jti) {
        ckan_call_add_str(p, "jti", jti);
    } else if (ckan_get_or_bust(r, in, "token", &token)) {
        char hash[67];
        ckan_auth_hash_text(token, hash);
        ckan_call_add_str(p, "token_hash", hash);
    } else {
        json_object_put(p);
        return REQ_DONE;
    }
    return ckan_call(r, &st_api_token_revoke, p);
}
