/* astore — the historical archive's files on disk, copied out of large objects on the dump
 * workers. */
#include "astore.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libpq/libpq-fs.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "dump_worker.h"
#include "req.h"
#include "server.h"
#include "zipw.h"

#define TURN_BYTES (8 << 20) /* copied per worker turn: other jobs get the worker between */
#define PIECE_BYTES (256 << 10)

static struct {
    char *files, *bundles;
    int level;
} g;

/* One copy: a version's bytes to a plain file (sha256 set), or members to a ZIP. */
struct job {
    struct dw_task task; /* first: the worker's handle */
    struct req *r;
    struct event *ev; /* on r's loop: the outcome is ready */
    astore_done done;
    char *path, *sha256;
    struct astore_member *m; /* strings malloc'd */
    int n;
    /* worker side */
    PGconn *c;
    int lo, src, i; /* member i's large object or file, when open */
    int64_t got;    /* bytes of member i read so far */
    int fd;
    char *tmp;
    EVP_MD_CTX *md;
    struct zipw *zw;
    char *buf;
    /* the outcome */
    bool ok;
    char *err;
};

bool astore_init(const char *dir, int zip_level, char **err)
{
    g.files = xasprintf("%s/archive/files", dir);
    g.bundles = xasprintf("%s/archive/bundles", dir);
    g.level = zip_level;
    return zipw_prepare_dir(g.files, err) && zipw_prepare_dir(g.bundles, err);
}

static void job_free(struct job *j)
{
    for (int i = 0; i < j->n; i++) {
        free((char *)j->m[i].name);
        free((char *)j->m[i].oid);
        free((char *)j->m[i].path);
    }
    free(j->m);
    free(j->path);
    free(j->sha256);
    free(j->tmp);
    free(j->buf);
    free(j->err);
    free(j);
}

/* The loop's side: hand the outcome to the request. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct job *j = arg;
    struct req *r = j->r;
    event_free(j->ev);
    if (j->ok)
        j->done(r, arena_strdup(r->a, j->path), NULL);
    else
        j->done(r, NULL, arena_strdup(r->a, j->err ? j->err : "unknown error"));
    job_free(j);
}

/* Release what the worker holds; the transaction only read, so it is simply ended. */
static void worker_release(struct job *j)
{
    if (j->c) {
        PQclear(PQexec(j->c, "ROLLBACK"));
        dw_conn_put(j->c, PQstatus(j->c) == CONNECTION_OK);
        j->c = NULL;
    }
    if (j->fd >= 0)
        close(j->fd);
    if (j->src >= 0)
        close(j->src);
    j->fd = j->src = -1;
    if (j->tmp && !j->ok)
        unlink(j->tmp);
    zipw_abort(j->zw);
    j->zw = NULL;
    EVP_MD_CTX_free(j->md);
    j->md = NULL;
}

static void finish(struct job *j)
{
    worker_release(j);
    dw_job_end();
    event_active(j->ev, 0, 0); /* j belongs to the loop from here on */
}

static void fail(struct job *j, char *err)
{
    j->ok = false;
    j->err = err;
    finish(j);
}

static bool start(struct job *j)
{
    char *err = NULL;
    j->c = dw_conn_get(&err);
    if (!j->c) {
        fail(j, err);
        return false;
    }
    PGresult *res = PQexec(j->c, "BEGIN READ ONLY");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        fail(j, xasprintf("cannot read the stored file: %s", PQerrorMessage(j->c)));
        return false;
    }
    j->buf = xmalloc(PIECE_BYTES);
    if (j->sha256) {
        j->tmp = xasprintf("%s/.tmp-XXXXXX", g.files);
        j->fd = mkstemp(j->tmp);
        j->md = EVP_MD_CTX_new();
        if (j->fd < 0 || !j->md || !EVP_DigestInit_ex(j->md, EVP_sha256(), NULL)) {
            fail(j, xasprintf("cannot create a file in %s: %s", g.files, strerror(errno)));
            return false;
        }
        fchmod(j->fd, 0644);
        return true;
    }
    j->zw = zipw_open(g.bundles, j->m[0].name, g.level, j->m[0].mtime, &err);
    if (!j->zw)
        fail(j, err);
    return j->zw != NULL;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Store n bytes read from member i; false with *err. */
static bool put(struct job *j, size_t n, char **err)
{
    if (!j->sha256)
        return zipw_write(j->zw, j->buf, n, err);
    if (write_all(j->fd, j->buf, n) && EVP_DigestUpdate(j->md, j->buf, n))
        return true;
    *err = xasprintf("cannot write %s: %s", j->tmp, strerror(errno));
    return false;
}

/* The file is complete: check its bytes, then give it its name. */
static bool commit(struct job *j, char **err)
{
    if (!j->sha256) {
        bool ok = zipw_commit(j->zw, j->path, err); /* frees the writer either way */
        j->zw = NULL;
        return ok;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (!EVP_DigestFinal_ex(j->md, d, &len))
        len = 0;
    for (unsigned i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    if (strcmp(hex, j->sha256) != 0) {
        *err = xasprintf("the stored bytes of %s do not match their SHA-256", j->sha256);
        return false;
    }
    if (fsync(j->fd) != 0 || rename(j->tmp, j->path) != 0) {
        *err = xasprintf("cannot store %s: %s", j->path, strerror(errno));
        return false;
    }
    return true;
}

/* Member i is read whole: check its size, then go on to the next or finish. */
static bool next_member(struct job *j, char **err)
{
    const struct astore_member *m = &j->m[j->i];
    if (j->got != m->size) {
        *err = xasprintf("the stored file %s has %lld bytes, %lld recorded",
                         m->oid ? m->oid : m->path, (long long)j->got, (long long)m->size);
        return false;
    }
    if (j->lo >= 0)
        lo_close(j->c, j->lo);
    if (j->src >= 0)
        close(j->src);
    j->lo = j->src = -1;
    j->got = 0;
    if (++j->i == j->n)
        return commit(j, err) && ((j->ok = true), true);
    return j->sha256 || zipw_entry(j->zw, j->m[j->i].name, g.level, j->m[j->i].mtime, err);
}

/* One step: open member i if needed, read a piece and store it (or end the member). NULL, or
 * the error (malloc'd). */
static char *step(struct job *j, size_t *turn)
{
    char *err = NULL;
    if (dw_aborting())
        return xstrdup("the server is stopping");
    const struct astore_member *m = &j->m[j->i];
    if (m->oid && j->lo < 0 &&
        (j->lo = lo_open(j->c, (Oid)strtoul(m->oid, NULL, 10), INV_READ)) < 0)
        return xasprintf("cannot open the stored file %s: %s", m->oid, PQerrorMessage(j->c));
    if (!m->oid && j->src < 0 && (j->src = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
        return xasprintf("cannot open the stored file %s: %s", m->path, strerror(errno));
    ssize_t n =
        m->oid ? lo_read(j->c, j->lo, j->buf, PIECE_BYTES) : read(j->src, j->buf, PIECE_BYTES);
    if (n < 0)
        return m->oid
                   ? xasprintf("cannot read the stored file %s: %s", m->oid, PQerrorMessage(j->c))
                   : xasprintf("cannot read the stored file %s: %s", m->path, strerror(errno));
    if (n == 0 ? !next_member(j, &err) : !put(j, (size_t)n, &err))
        return err;
    j->got += n;
    *turn += (size_t)n;
    return NULL;
}

/* One turn: up to TURN_BYTES copied, then queued again, or finished. */
static void run(struct dw_task *t)
{
    struct job *j = (struct job *)t;
    if (!j->c && !start(j))
        return;
    for (size_t turn = 0; turn < TURN_BYTES && !j->ok;) {
        char *err = step(j, &turn);
        if (err) {
            fail(j, err);
            return;
        }
    }
    if (j->ok)
        finish(j);
    else
        dw_submit(t);
}

static void submit(struct req *r, struct job *j, astore_done done)
{
    j->task.run = run;
    j->r = r;
    j->done = done;
    j->lo = j->src = j->fd = -1;
    bool there = access(j->path, R_OK) == 0; /* made by an earlier request */
    if (there || dw_stopping()) {
        done(r, there ? arena_strdup(r->a, j->path) : NULL,
             there ? NULL : "the server is stopping");
        job_free(j);
        return;
    }
    j->ev = event_new(r->thr->base, -1, 0, on_done, j);
    dw_job_begin();
    dw_submit(&j->task);
}

static struct astore_member copy_member(const struct astore_member *m)
{
    return (struct astore_member){xstrdup(m->name), m->oid ? xstrdup(m->oid) : NULL,
                                  m->path ? xstrdup(m->path) : NULL, m->size, m->mtime};
}

void astore_file(struct req *r, const char *oid, const char *sha256, int64_t size, astore_done done)
{
    struct job *j = xcalloc(1, sizeof(*j));
    j->path = xasprintf("%s/%s", g.files, sha256);
    j->sha256 = xstrdup(sha256);
    j->m = xmalloc(sizeof(*j->m));
    j->m[0] = copy_member(&(struct astore_member){"", oid, NULL, size, 0});
    j->n = 1;
    submit(r, j, done);
}

void astore_bundle(struct req *r, const char *key, const struct astore_member *m, int n,
                   astore_done done)
{
    struct job *j = xcalloc(1, sizeof(*j));
    j->path = xasprintf("%s/%s.zip", g.bundles, key);
    j->m = xmalloc(sizeof(*j->m) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        j->m[i] = copy_member(&m[i]);
    j->n = n;
    submit(r, j, done);
}
