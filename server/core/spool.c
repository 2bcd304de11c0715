/* spool — a multipart body's fields in memory, its file part in an unnamed temporary file. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "multipart.h"

enum part_kind { PART_NONE, PART_FIELD, PART_FILE, PART_SKIP };

struct spool {
    struct mp_reader *mp;
    struct spool_limits lim;
    enum part_kind part;
    char *form; /* the encoded fields so far */
    size_t form_len, form_cap;
    struct spool_file *file;
    EVP_MD_CTX *md;
    bool finished;
    int status;
    const char *error; /* static */
};

static bool refuse(struct spool *s, int status, const char *why)
{
    if (!s->status) {
        s->status = status;
        s->error = why;
    }
    return false;
}

/* Append len bytes to the form, percent-encoded unless raw; false beyond the limit. */
static bool form_add(struct spool *s, const char *p, size_t len, bool raw)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        bool plain = raw || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        size_t need = s->form_len + (plain ? 1 : 3);
        if (need > s->lim.max_fields)
            return refuse(s, 413, "The form fields of the request are too large.");
        if (need + 1 > s->form_cap) {
            s->form_cap = s->form_cap ? s->form_cap * 2 : 256;
            while (s->form_cap < need + 1)
                s->form_cap *= 2;
            s->form = xrealloc(s->form, s->form_cap);
        }
        if (plain) {
            s->form[s->form_len++] = (char)c;
        } else {
            s->form[s->form_len++] = '%';
            s->form[s->form_len++] = hex[c >> 4];
            s->form[s->form_len++] = hex[c & 15];
        }
        s->form[s->form_len] = '\0';
    }
    return true;
}

static bool file_open(struct spool *s, const struct mp_part *part)
{
    if (s->file)
        return refuse(s, 400, "The request has more than one file: one file per request is "
                              "accepted.");
    int fd = open(s->lim.dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
    if (fd < 0)
        return refuse(s, 500, "The uploaded file could not be stored.");
    struct spool_file *f = xcalloc(1, sizeof(*f));
    f->fd = fd;
    f->field = xstrdup(part->name);
    f->filename = xstrdup(part->filename);
    f->content_type = part->content_type ? xstrdup(part->content_type) : NULL;
    s->file = f;
    s->md = EVP_MD_CTX_new();
    if (!s->md || !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL))
        return refuse(s, 500, "The uploaded file could not be stored.");
    return true;
}

static bool on_part(void *ctx, const struct mp_part *part)
{
    struct spool *s = ctx;
    if (part->filename && *part->filename) {
        s->part = PART_FILE;
        return file_open(s, part);
    }
    if (part->filename) { /* an empty file input: no file chosen, as browsers send it */
        s->part = PART_SKIP;
        return true;
    }
    s->part = PART_FIELD;
    return (s->form_len == 0 || form_add(s, "&", 1, true)) &&
           form_add(s, part->name, strlen(part->name), false) && form_add(s, "=", 1, true);
}

static bool file_write(struct spool *s, const char *data, size_t len)
{
    struct spool_file *f = s->file;
    if (len > s->lim.max_file - f->size)
        return refuse(s, 413, "The uploaded file is larger than the server accepts.");
    if (!EVP_DigestUpdate(s->md, data, len))
        return refuse(s, 500, "The uploaded file could not be stored.");
    while (len > 0) {
        ssize_t n = write(f->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return refuse(s, 500, "The uploaded file could not be stored.");
        data += n, len -= (size_t)n, f->size += (uint64_t)n;
    }
    return true;
}

static bool on_data(void *ctx, const char *data, size_t len)
{
    struct spool *s = ctx;
    switch (s->part) {
    case PART_FIELD: return form_add(s, data, len, false);
    case PART_FILE: return file_write(s, data, len);
    default: return true;
    }
}

static bool on_part_end(void *ctx, const struct mp_part *part)
{
    (void)part;
    struct spool *s = ctx;
    if (s->part == PART_FILE) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (!EVP_DigestFinal_ex(s->md, d, &n) || n != 32)
            return refuse(s, 500, "The uploaded file could not be stored.");
        for (unsigned i = 0; i < n; i++)
            snprintf(s->file->sha256 + 2 * i, 3, "%02x", d[i]);
    }
    s->part = PART_NONE;
    return true;
}

struct spool *spool_new(const char *content_type, const struct spool_limits *lim,
                        const char **err)
{
    static const struct mp_callbacks cb = {on_part, on_data, on_part_end};
    struct spool *s = xcalloc(1, sizeof(*s));
    s->lim = *lim;
    s->mp = mp_new(content_type, NULL, &cb, s, err);
    if (!s->mp) {
        free(s);
        return NULL;
    }
    s->form = xstrdup("");
    s->form_cap = 1;
    return s;
}

void spool_file_free(struct spool_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    free(f->field);
    free(f->filename);
    free(f->content_type);
    free(f);
}

void spool_free(struct spool *s)
{
    if (!s)
        return;
    mp_free(s->mp);
    EVP_MD_CTX_free(s->md);
    spool_file_free(s->file);
    free(s->form);
    free(s);
}

bool spool_feed(struct spool *s, const char *data, size_t len)
{
    if (s->status)
        return false;
    if (!mp_feed(s->mp, data, len))
        return refuse(s, 400, mp_error(s->mp));
    return true;
}

bool spool_finish(struct spool *s)
{
    if (s->status)
        return false;
    if (!mp_finish(s->mp))
        return refuse(s, 400, mp_error(s->mp));
    s->finished = true;
    return true;
}

int spool_status(const struct spool *s)
{
    return s->status;
}

const char *spool_error(const struct spool *s)
{
    return s->error;
}

const char *spool_form(const struct spool *s, size_t *len)
{
    *len = s->form_len;
    return s->form;
}

struct spool_file *spool_take_file(struct spool *s)
{
    if (!s->finished)
        return NULL;
    struct spool_file *f = s->file;
    s->file = NULL;
    return f;
}
