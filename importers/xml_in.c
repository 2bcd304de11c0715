/* xml_in — XML → rows with xmlTextReader: record detection, then leaf elements → columns. */
#include "xml_in.h"

#include <libxml/entities.h>
#include <libxml/hash.h>
#include <libxml/xmlreader.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

/* Record detection stops once one element path has been seen this often. */
#define DETECT_LIMIT 10000
/* Distinct element paths tracked by detection (more are ignored). */
#define DETECT_PATHS 4096

struct pathstat {
    char *path;
    long count, children;
    int depth;
    bool has_child, has_grandchild, has_attr;
};

/* One open element: where its path ends in x->path, whether it has child elements. */
struct lvl {
    size_t path_len;
    bool has_child;
    long stat;              /* detection: index in x->ps, -1 when untracked */
};

struct xmlin {
    struct load_source *src;
    xmlTextReaderPtr r;
    const char *pend;       /* text from enc not yet handed to libxml2 */
    size_t plen;
    char *ioerr, *xerr;
    long xerr_line;
    struct sbuf path;       /* "/dataset/row/年度" of the current element */
    struct lvl *lv;
    size_t nlv;
    struct pathstat *ps;
    size_t nps;
    /* The record being read: rec_depth < 0 outside one. */
    int rec_depth;
    size_t rec_path_len;
    long rec_no, rec_line, records;
    struct sbuf text, vals, key;
    size_t *voff, *vlen, *rlen, ncap, hint;
    long *stamp;            /* stamp[i] == rec_no: column i has a value in this record */
    const char **val;
    load_row_fn fn;
    void *arg;
    int stop;               /* 1: fn stopped the pass; -1: error */
};

/* libxml2 input callback: the next bytes of UTF-8 text from enc. */
static int io_read(void *ctx, char *buf, int len)
{
    struct xmlin *x = ctx;
    if (x->plen == 0) {
        const char *p;
        ssize_t n = enc_read(x->src->enc, &p, &x->ioerr);
        if (n <= 0)
            return n < 0 ? -1 : 0;
        x->pend = p;
        x->plen = (size_t)n;
    }
    size_t k = x->plen < (size_t)len ? x->plen : (size_t)len;
    memcpy(buf, x->pend, k);
    x->pend += k;
    x->plen -= k;
    return (int)k;
}

/* libxml2's first error, kept for the message (warnings are ignored). */
static void on_xml_error(void *arg, xmlErrorPtr e)
{
    struct xmlin *x = arg;
    if (!e || e->level < XML_ERR_ERROR || x->xerr)
        return;
    const char *m = e->message ? e->message : "malformed XML";
    x->xerr = xstrndup(m, strcspn(m, "\n"));
    x->xerr_line = e->line;
}

/* Track the element path on entering an element at depth. */
static void enter(struct xmlin *x, int depth, const char *name)
{
    if ((size_t)depth >= x->nlv) {
        size_t old = x->nlv;
        x->nlv = 2 * (size_t)depth + 16;
        x->lv = xrealloc(x->lv, x->nlv * sizeof(*x->lv));
        for (size_t i = old; i < x->nlv; i++)
            x->lv[i] = (struct lvl){0, false, -1};
    }
    x->path.len = depth > 0 ? x->lv[depth - 1].path_len : 0;
    sbuf_add(&x->path, "/", 1);
    sbuf_add(&x->path, name, strlen(name));
    x->lv[depth].path_len = x->path.len;
    x->lv[depth].has_child = false;
    if (depth > 0)
        x->lv[depth - 1].has_child = true;
}

/* --- record detection ----------------------------------------------------------------------- */

static long find_stat(struct xmlin *x, int depth, long hint)
{
    if (hint >= 0 && strcmp(x->ps[hint].path, x->path.p) == 0)
        return hint;
    for (size_t i = 0; i < x->nps; i++)
        if (strcmp(x->ps[i].path, x->path.p) == 0)
            return (long)i;
    if (x->nps == DETECT_PATHS)
        return -1;
    x->ps = xrealloc(x->ps, (x->nps + 1) * sizeof(*x->ps));
    x->ps[x->nps] = (struct pathstat){xstrdup(x->path.p), 0, 0, depth, false, false, false};
    return (long)x->nps++;
}

static void detect_node(struct xmlin *x)
{
    if (xmlTextReaderNodeType(x->r) != XML_READER_TYPE_ELEMENT)
        return;
    int d = xmlTextReaderDepth(x->r);
    long prev = (size_t)d < x->nlv ? x->lv[d].stat : -1;
    enter(x, d, (const char *)xmlTextReaderConstName(x->r));
    long s = x->lv[d].stat = find_stat(x, d, prev);
    if (s < 0)
        return;
    x->ps[s].count++;
    x->ps[s].has_attr |= xmlTextReaderHasAttributes(x->r) == 1;
    if (d >= 1 && x->lv[d - 1].stat >= 0) {
        x->ps[x->lv[d - 1].stat].has_child = true;
        x->ps[x->lv[d - 1].stat].children++;
    }
    if (d >= 2 && x->lv[d - 2].stat >= 0)
        x->ps[x->lv[d - 2].stat].has_grandchild = true;
    if (x->ps[s].count >= DETECT_LIMIT)
        x->stop = 1;
}

/* The record path from the statistics (rules in xml_in.h); NULL when there is none. */
static const char *pick_record(struct xmlin *x)
{
    long best = -1;
    for (size_t i = 0; i < x->nps; i++) {
        struct pathstat *p = &x->ps[i];
        if (!p->has_child && !p->has_attr)
            continue;
        if (best < 0 || p->count > x->ps[best].count ||
            (p->count == x->ps[best].count && p->depth < x->ps[best].depth))
            best = (long)i;
    }
    if (best >= 0 && x->ps[best].count > 1)
        return x->ps[best].path;
    best = -1;
    for (size_t i = 0; i < x->nps; i++) {
        struct pathstat *p = &x->ps[i];
        bool leafy = (p->has_child && !p->has_grandchild) || (p->has_attr && !p->has_child);
        if (leafy && (best < 0 || p->depth < x->ps[best].depth ||
                      (p->depth == x->ps[best].depth && p->children > x->ps[best].children)))
            best = (long)i;
    }
    return best >= 0 ? x->ps[best].path : NULL;
}

/* --- records -------------------------------------------------------------------------------- */

static void grow_cols(struct xmlin *x, size_t n)
{
    if (n <= x->ncap)
        return;
    size_t old = x->ncap;
    x->ncap = 2 * n + 16;
    x->voff = xrealloc(x->voff, x->ncap * sizeof(*x->voff));
    x->vlen = xrealloc(x->vlen, x->ncap * sizeof(*x->vlen));
    x->rlen = xrealloc(x->rlen, x->ncap * sizeof(*x->rlen));
    x->val = xrealloc(x->val, x->ncap * sizeof(*x->val));
    x->stamp = xrealloc(x->stamp, x->ncap * sizeof(*x->stamp));
    for (size_t i = old; i < x->ncap; i++)
        x->stamp[i] = 0;
}

/* The column of key; records usually list their children in the same order, so the column
 * after the previous one is tried first. */
static long find_col(struct xmlin *x, const char *key)
{
    struct load_cols *c = &x->src->cols;
    if (x->hint < c->n && strcmp(c->v[x->hint].orig, key) == 0)
        return (long)x->hint;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].orig, key) == 0)
            return (long)i;
    return -1;
}

/* The column for key in this record: a repeat within the record goes to "key[2]", ...; -1
 * (and the pass stops) when the table would have too many columns. */
static long col_for(struct xmlin *x, const char *key, size_t klen)
{
    x->key.len = 0;
    sbuf_add(&x->key, key, klen);
    long i = find_col(x, x->key.p);
    for (int k = 2; i >= 0 && x->stamp[i] == x->rec_no; k++) {
        char suffix[24];
        x->key.len = klen;
        sbuf_add(&x->key, suffix, (size_t)snprintf(suffix, sizeof(suffix), "[%d]", k));
        i = find_col(x, x->key.p);
    }
    if (i < 0 && x->src->cols.n >= LOAD_COLS_MAX) {
        x->ioerr = xasprintf("%s:%ld: more than %d distinct fields", x->src->path, x->rec_line,
                             LOAD_COLS_MAX);
        x->stop = -1;
        return -1;
    }
    if (i < 0) {
        /* The column name: the key without '@' and "[k]" (load_cols_add numbers repeats). */
        char *name = xstrndup(key, klen), *w = name;
        for (const char *r = name; *r; r++)
            if (*r != '@')
                *w++ = *r;
        i = (long)load_cols_add_as(&x->src->cols, x->key.p, x->key.len, name, (size_t)(w - name));
        free(name);
        grow_cols(x, x->src->cols.n);
    }
    x->hint = (size_t)i + 1;
    return i;
}

static void set_value(struct xmlin *x, const char *key, size_t klen, const char *v, size_t n)
{
    while (n > 0 && strchr(" \t\r\n", v[0]))
        v++, n--;
    while (n > 0 && strchr(" \t\r\n", v[n - 1]))
        n--;
    long i = col_for(x, key, klen);
    if (i < 0)
        return;
    x->stamp[i] = x->rec_no;
    x->voff[i] = x->vals.len;
    x->vlen[i] = n;
    sbuf_add(&x->vals, v, n);
    sbuf_add(&x->vals, "", 1);
}

/* Attributes of an element in the record; prefix is its path relative to the record. */
static void take_attrs(struct xmlin *x, const char *prefix, size_t plen)
{
    while (xmlTextReaderMoveToNextAttribute(x->r) == 1) {
        if (xmlTextReaderIsNamespaceDecl(x->r) == 1)
            continue;
        const char *name = (const char *)xmlTextReaderConstName(x->r);
        const char *v = (const char *)xmlTextReaderConstValue(x->r);
        char *key = xasprintf("%.*s%s@%s", (int)plen, prefix, plen ? "/" : "", name);
        set_value(x, key, strlen(key), v ? v : "", v ? strlen(v) : 0);
        free(key);
    }
    xmlTextReaderMoveToElement(x->r);
}

static void begin_record(struct xmlin *x, int depth)
{
    x->rec_depth = depth;
    x->rec_path_len = x->path.len;
    x->rec_no++;
    x->records++;
    x->rec_line = xmlTextReaderGetParserLineNumber(x->r);
    x->vals.len = 0;
    x->hint = 0;
    take_attrs(x, "", 0);
}

static void end_record(struct xmlin *x)
{
    size_t n = x->src->cols.n, used = 0;
    x->rec_depth = -1;
    if (x->stop)
        return;
    for (size_t i = 0; i < n; i++) {
        bool has = x->stamp[i] == x->rec_no;
        x->val[i] = has ? x->vals.p + x->voff[i] : NULL;
        x->rlen[i] = has ? x->vlen[i] : 0;
        used += x->rlen[i] != 0;
    }
    struct load_row row = {n, x->val, x->rlen, x->rec_line};
    if (used > 0 && x->fn(x->arg, &row))
        x->stop = 1;
}

/* The end of an element inside a record: a leaf gives its text to its column. */
static void end_inner(struct xmlin *x, int depth)
{
    if (x->lv[depth].has_child)
        return;
    const char *key = x->path.p + x->rec_path_len + 1;
    size_t klen = x->lv[depth].path_len - x->rec_path_len - 1;
    set_value(x, key, klen, x->text.p ? x->text.p : "", x->text.len);
}

static bool is_record(struct xmlin *x, const char *name)
{
    const char *want = x->src->record;
    return want[0] == '/' ? strcmp(x->path.p, want) == 0 : strcmp(name, want) == 0;
}

static void on_element(struct xmlin *x, int d)
{
    const char *name = (const char *)xmlTextReaderConstName(x->r);
    bool empty = xmlTextReaderIsEmptyElement(x->r) == 1;
    enter(x, d, name);
    if (x->rec_depth < 0) {
        if (!is_record(x, name))
            return;
        begin_record(x, d);
        if (empty)
            end_record(x);
        return;
    }
    x->text.len = 0;
    const char *rel = x->path.p + x->rec_path_len + 1;
    take_attrs(x, rel, x->path.len - x->rec_path_len - 1);
    if (empty)
        end_inner(x, d);
}

static void record_node(struct xmlin *x)
{
    int type = xmlTextReaderNodeType(x->r), d = xmlTextReaderDepth(x->r);
    if (type == XML_READER_TYPE_ELEMENT) {
        on_element(x, d);
    } else if (x->rec_depth < 0) {
        return;
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
        if (d == x->rec_depth)
            end_record(x);
        else
            end_inner(x, d);
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
               type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
        const char *v = (const char *)xmlTextReaderConstValue(x->r);
        if (v)
            sbuf_add(&x->text, v, strlen(v));
    }
}

/* --- passes --------------------------------------------------------------------------------- */

/* Entities are never expanded (an internal one would be in attribute values, where libxml2's
 * reader resolves them, and dropped from element text): a document declaring any, or naming
 * one that is not declared, is refused rather than read differently from what it says. */
struct ent_pick {
    xmlEntityPtr any, external;
};

static void ent_pick(void *payload, void *data, const xmlChar *name)
{
    (void)name;
    xmlEntityPtr e = payload;
    struct ent_pick *p = data;
    if (!p->any)
        p->any = e;
    if (!p->external && (e->SystemID || e->URI))
        p->external = e;
}

/* What the refusal says: an external entity by name and file (the one that matters: it would
 * read another file or URL), else the first declared one. */
static char *entity_refusal(xmlDtdPtr dtd)
{
    struct ent_pick p = {NULL, NULL};
    if (dtd->entities)
        xmlHashScan(dtd->entities, ent_pick, &p);
    if (dtd->pentities)
        xmlHashScan(dtd->pentities, ent_pick, &p);
    if (p.external)
        return xasprintf("entity \"%s\" refers to an external file (%s); external entities "
                         "are not read", (const char *)p.external->name,
                         (const char *)(p.external->SystemID ? p.external->SystemID
                                                              : p.external->URI));
    if (p.any)
        return xasprintf("entity \"%s\" is declared; entities are not supported",
                         (const char *)p.any->name);
    return NULL;
}

static bool entities_refused(struct xmlin *x, int type)
{
    char *what = NULL;
    if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
        xmlNodePtr node = xmlTextReaderCurrentNode(x->r); /* CurrentDoc would keep the doc */
        xmlDtdPtr dtd = node && node->doc ? node->doc->intSubset : NULL;
        if (dtd)
            what = entity_refusal(dtd);
    } else if (type == XML_READER_TYPE_ENTITY_REFERENCE) {
        what = xasprintf("entity \"%s\" is not declared in the file (a DTD outside the file "
                         "is not read)", (const char *)xmlTextReaderConstName(x->r));
    }
    if (!what)
        return false;
    x->ioerr = xasprintf("%s:%d: XML: %s (entities are never expanded)", x->src->path,
                         xmlTextReaderGetParserLineNumber(x->r), what);
    free(what);
    x->stop = -1;
    return true;
}

/* One pass over the document, node by node; 0 at the end, 1 stopped, -1 with *err. */
static int walk(struct xmlin *x, void (*on_node)(struct xmlin *), char **err)
{
    if (!enc_rewind(x->src->enc, err))
        return -1;
    x->plen = 0;
    x->stop = 0;
    x->rec_depth = -1;
    x->records = 0;
    free(x->ioerr); /* left by a pass that stopped early */
    free(x->xerr);
    x->ioerr = x->xerr = NULL;
    int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_IGNORE_ENC;
    x->r = xmlReaderForIO(io_read, NULL, x, x->src->path, "UTF-8", opts);
    if (!x->r) {
        *err = xasprintf("%s: cannot start the XML reader", x->src->path);
        return -1;
    }
    xmlTextReaderSetStructuredErrorHandler(x->r, on_xml_error, x);
    int ret = 1;
    while (!x->stop && (ret = xmlTextReaderRead(x->r)) == 1)
        if (!entities_refused(x, xmlTextReaderNodeType(x->r)))
            on_node(x);
    /* libxml2 ends the document quietly when a read fails after the root element closed (a
     * bad byte or NUL in trailing text): the file is still malformed. */
    if (x->stop < 0 || (x->stop == 0 && x->ioerr))
        ret = -1;
    xmlFreeTextReader(x->r);
    x->r = NULL;
    if (x->stop > 0 || (ret == 0 && !x->stop))
        return x->stop;
    if (x->ioerr)
        *err = x->ioerr;
    else
        *err = xasprintf("%s:%ld: XML: %s", x->src->path, x->xerr_line,
                         x->xerr ? x->xerr : "malformed document");
    x->ioerr = NULL;
    return -1;
}

static int xmlin_run(void *ctx, load_row_fn fn, void *arg, char **err)
{
    struct xmlin *x = ctx;
    if (!x->src->record) {
        if (walk(x, detect_node, err) < 0)
            return -1;
        const char *p = pick_record(x);
        if (!p) {
            *err = xasprintf("%s: no record element found (give --record NAME or PATH)",
                             x->src->path);
            return -1;
        }
        x->src->record = xstrdup(p);
    }
    x->fn = fn;
    x->arg = arg;
    int r = walk(x, record_node, err);
    if (r == 0 && x->records == 0) {
        *err = xasprintf("%s: no record elements %s", x->src->path, x->src->record);
        return -1;
    }
    return r;
}

/* libxml2's global tables are set up once, before any thread parses (its rule for threaded
 * programs). */
static void init_libxml(void)
{
    xmlInitParser();
}

bool xmlin_open(struct load_source *src, struct enc *e, const char *path, const char *record,
                char **err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)err; /* nothing can fail yet: the file was opened by enc */
    pthread_once(&once, init_libxml);
    memset(src, 0, sizeof(*src));
    src->enc = e;
    struct xmlin *x = xcalloc(1, sizeof(*x));
    x->src = src;
    x->rec_depth = -1;
    src->format = "xml";
    src->path = path;
    src->record = record && *record ? xstrdup(record) : NULL;
    src->ctx = x;
    src->run = xmlin_run;
    return true;
}

void xmlin_close(struct load_source *src)
{
    struct xmlin *x = src->ctx;
    if (x) {
        for (size_t i = 0; i < x->nps; i++)
            free(x->ps[i].path);
        free(x->ps);
        free(x->lv);
        free(x->path.p);
        free(x->text.p);
        free(x->vals.p);
        free(x->key.p);
        free(x->voff);
        free(x->vlen);
        free(x->rlen);
        free(x->val);
        free(x->stamp);
        free(x->ioerr);
        free(x->xerr);
        free(x);
    }
    enc_free(src->enc);
    free(src->record);
    load_cols_clear(&src->cols);
    memset(src, 0, sizeof(*src));
}
