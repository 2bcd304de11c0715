/* dump_fmt — dump byte formats for the Taiwan zip entries and CKAN /datastore/dump. */
#include "dump_fmt.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define UTF8_BOM "\xEF\xBB\xBF"
#define XSI_NS "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""

/* ---- escaping -------------------------------------------------------------------------------- */

/* A JSON string as simplejson (>= 3.14) writes it with ensure_ascii=False: \" \\ \b \f \n \r \t,
 * other control characters as \u00XX, everything else (U+2028 too) as UTF-8. */
static void json_str(struct sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_addc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t el = 2;
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
        } else if (c < 0x20) {
            const char *shortf = strchr("\b\f\n\r\t", c);
            esc[0] = '\\';
            if (c && shortf) {
                esc[1] = "bfnrt"[shortf - "\b\f\n\r\t"];
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4], esc[5] = hex[c & 15], el = 6;
            }
        } else {
            continue;
        }
        sbuf_add(b, s + run, i - run);
        sbuf_add(b, esc, el);
        run = i + 1;
    }
    sbuf_add(b, s + run, n - run);
    sbuf_addc(b, '"');
}

/* XML character data. CKAN (ElementTree) escapes & < > only. Taiwan also keeps CR (&#13;) and
 * replaces characters XML 1.0 cannot carry by U+FFFD, so the file is always well formed. */
static void xml_text(struct sbuf *b, const char *s, size_t n, bool strict)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        size_t skip = 1;
        if (c == '&')
            esc = "&amp;";
        else if (c == '<')
            esc = "&lt;";
        else if (c == '>')
            esc = "&gt;";
        else if (strict && c == '\r')
            esc = "&#13;";
        else if (strict && c < 0x20 && c != '\t' && c != '\n')
            esc = "\xEF\xBF\xBD";
        else if (strict && c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
                 ((unsigned char)s[i + 2] & 0xFE) == 0xBE)
            esc = "\xEF\xBF\xBD", skip = 3;
        if (!esc)
            continue;
        sbuf_add(b, s + run, i - run);
        sbuf_adds(b, esc);
        i += skip - 1;
        run = i + 1;
    }
    sbuf_add(b, s + run, n - run);
}

/* A CSV field as PostgreSQL COPY writes it: quoted when empty, when it holds the delimiter, a
 * quote, CR or LF, or when it is exactly \. (header=true: Python's csv rule, no empty case). */
static void csv_field(struct sbuf *b, const char *s, size_t n, char delim, bool header)
{
    bool quote = (!header && (n == 0 || (n == 2 && s[0] == '\\' && s[1] == '.')));
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        sbuf_add(b, s, n);
        return;
    }
    sbuf_addc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            sbuf_add(b, s + run, i + 1 - run);
            run = i;
        }
    sbuf_add(b, s + run, n - run);
    sbuf_addc(b, '"');
}

/* ---- numbers as Python prints them ----------------------------------------------------------- */

static void add_zeros(char **o, int k)
{
    while (k-- > 0)
        *(*o)++ = '0';
}

/* Python's float repr layout of the digits dig[0..nd) (no trailing zeros) with the decimal point
 * after decpt digits: positional for -4 < decpt <= 16, else d.ddde+XX. */
static size_t py_layout(bool neg, const char *dig, int nd, int decpt, char *out)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            memcpy(o, "0.", 2), o += 2;
            add_zeros(&o, -decpt);
            memcpy(o, dig, (size_t)nd), o += nd;
        } else if (decpt >= nd) {
            memcpy(o, dig, (size_t)nd), o += nd;
            add_zeros(&o, decpt - nd);
            memcpy(o, ".0", 2), o += 2;
        } else {
            memcpy(o, dig, (size_t)decpt), o += decpt;
            *o++ = '.';
            memcpy(o, dig + decpt, (size_t)(nd - decpt)), o += nd - decpt;
        }
        *o = '\0';
        return (size_t)(o - out);
    }
    *o++ = dig[0];
    if (nd > 1) {
        *o++ = '.';
        memcpy(o, dig + 1, (size_t)(nd - 1)), o += nd - 1;
    }
    o += sprintf(o, "e%c%02d", decpt - 1 < 0 ? '-' : '+', abs(decpt - 1));
    return (size_t)(o - out);
}

size_t dfmt_py_float(double x, char out[32])
{
    if (x == 0)
        return (size_t)snprintf(out, 32, "%s", signbit(x) ? "-0.0" : "0.0");
    char e[40], dig[24];
    int p = 1, nd = 0;
    for (; p < 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    if (p == 17)
        snprintf(e, sizeof(e), "%.16e", x);
    const char *s = e + (e[0] == '-');
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            dig[nd++] = *s;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    return py_layout(x < 0, dig, nd, atoi(s + 1) + 1, out);
}

/* repr(float(s)) for a plain decimal s ([-]digits[.digits]) of at most 15 significant digits:
 * such a decimal survives the round trip through a double, so its own digits are the shortest
 * repr. Returns 0 (nothing written) for longer ones. */
static size_t py_decimal(const char *s, size_t n, char out[32])
{
    bool neg = n && s[0] == '-';
    char dig[16];
    int nd = 0, decpt = 0;
    bool frac = false, lead = true;
    for (size_t i = neg; i < n; i++) {
        if (s[i] == '.') {
            frac = true;
            continue;
        }
        if (lead && s[i] == '0') {
            decpt -= frac;
            continue;
        }
        lead = false;
        if (nd == 15)
            return 0;
        dig[nd++] = s[i];
        decpt += !frac;
    }
    while (nd > 0 && dig[nd - 1] == '0')
        nd--;
    if (nd == 0)
        return (size_t)snprintf(out, 32, "%s", neg ? "-0.0" : "0.0");
    return py_layout(neg, dig, nd, decpt, out);
}

/* JSON number syntax (what json.loads accepts as a number). */
static bool json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* A numeric value after CKAN's round trip through Python: an integer stays as written, a
 * decimal becomes repr(float); NaN/Infinity were JSON strings. */
static void py_number(struct sbuf *b, const char *s, size_t n, bool xml)
{
    if (!json_number(s, n)) {
        if (xml)
            xml_text(b, s, n, false);
        else
            json_str(b, s, n);
        return;
    }
    if (!memchr(s, '.', n)) {
        sbuf_add(b, s, n);
        return;
    }
    char out[32];
    size_t len = py_decimal(s, n, out);
    if (len) {
        sbuf_add(b, out, len);
        return;
    }
    double x = strtod(s, NULL);
    if (isinf(x)) {
        sbuf_adds(b, xml ? (x > 0 ? "inf" : "-inf") : (x > 0 ? "Infinity" : "-Infinity"));
        return;
    }
    sbuf_add(b, out, dfmt_py_float(x, out));
}

/* ---- XML names (Taiwan) ---------------------------------------------------------------------- */

static bool xml_name_start(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
           (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) || c == 0x200C ||
           c == 0x200D || (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
           (c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
           (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}

static bool xml_name_char(uint32_t c)
{
    return xml_name_start(c) || c == '-' || c == '.' || (c >= '0' && c <= '9') || c == 0xB7 ||
           (c >= 0x300 && c <= 0x36F) || c == 0x203F || c == 0x2040;
}

/* Decode one UTF-8 sequence (valid input assumed, as PostgreSQL sends); *len = its bytes. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (k > n)
        k = 1;
    uint32_t cp = k == 1 ? c : c & (0x3F >> (k - 1));
    for (size_t i = 1; i < k; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    *len = k;
    return cp;
}

/* The field id as an XML element name: invalid characters become '_', a name that cannot
 * start with its first character gets a '_' in front. */
static char *xml_name(const char *id)
{
    struct sbuf b = {0};
    size_t n = strlen(id), k;
    for (size_t i = 0; i < n; i += k) {
        uint32_t cp = utf8_next((const unsigned char *)id + i, n - i, &k);
        bool ok = i == 0 ? xml_name_start(cp) : xml_name_char(cp);
        if (i == 0 && !ok && xml_name_char(cp))
            sbuf_addc(&b, '_'), ok = true;
        if (ok)
            sbuf_add(&b, id + i, k);
        else
            sbuf_addc(&b, '_');
    }
    if (b.len == 0)
        sbuf_addc(&b, '_');
    b.p[b.len] = '\0';
    return b.p;
}

static bool tag_taken(const struct dfmt *d, int i)
{
    for (int j = 0; j < i; j++)
        if (strcmp(d->f[i].tag, d->f[j].tag) == 0)
            return true;
    return false;
}

/* Make the Taiwan element names unique: a repeated name gets _2, _3, ... */
static void xml_names_unique(struct dfmt *d)
{
    for (int i = 1; i < d->nf; i++) {
        char *base = xstrdup(d->f[i].tag);
        for (int k = 2; tag_taken(d, i); k++) {
            free(d->f[i].tag);
            d->f[i].tag = xasprintf("%s_%d", base, k);
        }
        free(base);
    }
}

/* ---- set-up ---------------------------------------------------------------------------------- */

static enum dfmt_type type_of(const char *t)
{
    if (!strcmp(t, "int4") || !strcmp(t, "int8") || !strcmp(t, "int"))
        return DT_INT;
    if (!strcmp(t, "numeric"))
        return DT_NUM;
    if (!strcmp(t, "bool"))
        return DT_BOOL;
    return DT_TEXT;
}

bool dfmt_is_csv(enum dfmt_kind kind)
{
    return kind == DFMT_TW_CSV || kind == DFMT_CKAN_CSV || kind == DFMT_CKAN_TSV ||
           kind == DFMT_HK_CSV;
}

static bool is_ckan(enum dfmt_kind kind)
{
    return kind >= DFMT_CKAN_CSV && kind <= DFMT_CKAN_XML;
}

static bool is_hk(enum dfmt_kind kind)
{
    return kind >= DFMT_HK_CSV;
}

/* An XML attribute value: & < > " escaped, tab and line ends as character references, other
 * characters XML 1.0 cannot carry as U+FFFD. */
static void xml_attr(struct sbuf *b, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\"\t\n\r");
        xml_text(b, s, n, true);
        s += n;
        if (*s) {
            sbuf_adds(b, *s == '"'    ? "&quot;"
                         : *s == '\t' ? "&#9;"
                         : *s == '\n' ? "&#10;"
                                      : "&#13;");
            s++;
        }
    }
}

/* The Filter API's bytes before each value of a field. */
static char *hk_tag(enum dfmt_kind kind, const char *header)
{
    struct sbuf b = {0};
    if (kind == DFMT_HK_JSON) {
        json_str(&b, header, strlen(header));
        sbuf_addc(&b, ':');
    } else {
        sbuf_adds(&b, "<field name=\"");
        xml_attr(&b, header);
        sbuf_adds(&b, "\">");
    }
    sbuf_addc(&b, '\0');
    return b.p;
}

bool dfmt_init(struct dfmt *d, enum dfmt_kind kind, bool bom, const char *fields_json)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->bom = bom;
    json_object *arr = json_tokener_parse(fields_json);
    if (!arr || !json_object_is_type(arr, json_type_array) || !json_object_array_length(arr)) {
        json_object_put(arr);
        return false;
    }
    d->nf = (int)json_object_array_length(arr);
    d->f = xcalloc((size_t)d->nf, sizeof(*d->f));
    for (int i = 0; i < d->nf; i++) {
        json_object *o = json_object_array_get_idx(arr, (size_t)i), *id, *ty, *hd = NULL;
        json_object_object_get_ex(o, "id", &id);
        json_object_object_get_ex(o, "type", &ty);
        json_object_object_get_ex(o, "header", &hd);
        struct dfmt_field *f = &d->f[i];
        f->id = xstrdup(id ? json_object_get_string(id) : "");
        f->type = xstrdup(ty ? json_object_get_string(ty) : "text");
        f->header = xstrdup(hd ? json_object_get_string(hd) : f->id);
        f->t = type_of(f->type);
        f->tag = kind == DFMT_TW_XML                           ? xml_name(f->id)
                 : kind == DFMT_HK_JSON || kind == DFMT_HK_XML ? hk_tag(kind, f->header)
                                                               : xstrdup(f->id);
    }
    json_object_put(arr);
    if (kind == DFMT_TW_XML)
        xml_names_unique(d);
    d->id_attr = kind == DFMT_CKAN_XML && strcmp(d->f[0].id, "_id") == 0;
    return true;
}

void dfmt_free(struct dfmt *d)
{
    for (int i = 0; i < d->nf; i++) {
        free(d->f[i].id);
        free(d->f[i].type);
        free(d->f[i].tag);
        free(d->f[i].header);
    }
    free(d->f);
    d->f = NULL;
    d->nf = 0;
}

/* ---- head and tail --------------------------------------------------------------------------- */

static void csv_header(struct dfmt *d, struct sbuf *b, char delim, const char *eol)
{
    for (int i = 0; i < d->nf; i++) {
        if (i)
            sbuf_addc(b, delim);
        const char *h = is_hk(d->kind) ? d->f[i].header : d->f[i].id;
        csv_field(b, h, strlen(h), delim, true);
    }
    sbuf_adds(b, eol);
}

/* CKAN's field list: [{"id":"_id","type":"int"},{"id":...,"type":...}] (compact). */
static void ckan_fields(struct dfmt *d, struct sbuf *b)
{
    sbuf_addc(b, '[');
    for (int i = 0; i < d->nf; i++) {
        const struct dfmt_field *f = &d->f[i];
        const char *type = strcmp(f->id, "_id") == 0 ? "int" : f->type;
        sbuf_adds(b, i ? ",{\"id\":" : "{\"id\":");
        json_str(b, f->id, strlen(f->id));
        sbuf_adds(b, ",\"type\":");
        json_str(b, type, strlen(type));
        sbuf_addc(b, '}');
    }
    sbuf_addc(b, ']');
}

void dfmt_head(struct dfmt *d, struct sbuf *b)
{
    if (d->bom)
        sbuf_adds(b, UTF8_BOM);
    switch (d->kind) {
    case DFMT_TW_CSV: csv_header(d, b, ',', "\n"); break;
    case DFMT_CKAN_CSV: csv_header(d, b, ',', "\r\n"); break;
    case DFMT_CKAN_TSV: csv_header(d, b, '\t', "\r\n"); break;
    case DFMT_TW_JSON: sbuf_addc(b, '['); break;
    case DFMT_TW_XML:
        sbuf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dataset " XSI_NS ">\n");
        break;
    case DFMT_CKAN_JSON:
        sbuf_adds(b, "{\n  \"fields\": ");
        ckan_fields(d, b);
        sbuf_adds(b, ",\n  \"records\": [");
        break;
    case DFMT_CKAN_XML: sbuf_adds(b, "<data " XSI_NS ">\n"); break;
    case DFMT_HK_CSV: csv_header(d, b, ',', "\n"); break;
    case DFMT_HK_JSON: sbuf_addc(b, '['); break;
    case DFMT_HK_XML: sbuf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rows>\n"); break;
    }
}

void dfmt_tail(struct dfmt *d, struct sbuf *b)
{
    switch (d->kind) {
    case DFMT_TW_JSON: sbuf_adds(b, "\n]\n"); break;
    case DFMT_TW_XML: sbuf_adds(b, "</dataset>\n"); break;
    case DFMT_CKAN_JSON: sbuf_adds(b, "\n]}\n"); break;
    case DFMT_CKAN_XML: sbuf_adds(b, "</data>\n"); break;
    case DFMT_HK_JSON: sbuf_adds(b, "\n]\n"); break;
    case DFMT_HK_XML: sbuf_adds(b, "</rows>\n"); break;
    default: break;
    }
}

/* ---- records --------------------------------------------------------------------------------- */

static void row_csv(struct dfmt *d, struct sbuf *b, const char *const *v, const int *len)
{
    char delim = d->kind == DFMT_CKAN_TSV ? '\t' : ',';
    for (int i = 0; i < d->nf; i++) {
        if (i)
            sbuf_addc(b, delim);
        if (!v[i])
            continue;
        if (d->f[i].t == DT_BOOL && d->kind == DFMT_TW_CSV)
            sbuf_adds(b, v[i][0] == 't' ? "true" : "false");
        else
            csv_field(b, v[i], (size_t)len[i], delim, false);
    }
    sbuf_addc(b, '\n');
}

/* One JSON value; CKAN numbers go through Python floats, Taiwan shows numeric as a string. */
static void json_value(struct dfmt *d, struct sbuf *b, int i, const char *v, size_t n)
{
    if (!v)
        sbuf_adds(b, "null");
    else if (d->f[i].t == DT_INT)
        sbuf_add(b, v, n);
    else if (d->f[i].t == DT_BOOL)
        sbuf_adds(b, v[0] == 't' ? "true" : "false");
    else if (d->f[i].t == DT_NUM && is_ckan(d->kind))
        py_number(b, v, n, false);
    else
        json_str(b, v, n);
}

static void row_tw_json(struct dfmt *d, struct sbuf *b, const char *const *v, const int *len)
{
    sbuf_adds(b, d->rows ? ",\n{" : "\n{");
    for (int i = 0; i < d->nf; i++) {
        if (i)
            sbuf_addc(b, ',');
        json_str(b, d->f[i].id, strlen(d->f[i].id));
        sbuf_addc(b, ':');
        json_value(d, b, i, v[i], v[i] ? (size_t)len[i] : 0);
    }
    sbuf_addc(b, '}');
}

static void row_ckan_json(struct dfmt *d, struct sbuf *b, const char *const *v, const int *len)
{
    sbuf_adds(b, d->rows ? ",\n    [" : "\n    [");
    for (int i = 0; i < d->nf; i++) {
        if (i)
            sbuf_addc(b, ',');
        json_value(d, b, i, v[i], v[i] ? (size_t)len[i] : 0);
    }
    sbuf_addc(b, ']');
}

/* One XML element; ElementTree writes an empty one as <tag /> and NULL as xsi:nil. */
static void xml_elem(struct dfmt *d, struct sbuf *b, int i, const char *v, size_t n)
{
    bool ckan = d->kind == DFMT_CKAN_XML;
    const char *tag = d->f[i].tag;
    sbuf_addc(b, '<');
    sbuf_adds(b, tag);
    if (!v) {
        sbuf_adds(b, ckan ? " xsi:nil=\"true\" />" : " xsi:nil=\"true\"/>");
        return;
    }
    if (ckan && n == 0) {
        sbuf_adds(b, " />");
        return;
    }
    sbuf_addc(b, '>');
    if (d->f[i].t == DT_BOOL)
        sbuf_adds(b, v[0] == 't' ? (ckan ? "True" : "true") : (ckan ? "False" : "false"));
    else if (d->f[i].t == DT_NUM && ckan)
        py_number(b, v, n, true);
    else
        xml_text(b, v, n, !ckan);
    sbuf_adds(b, "</");
    sbuf_adds(b, tag);
    sbuf_addc(b, '>');
}

static void row_xml(struct dfmt *d, struct sbuf *b, const char *const *v, const int *len)
{
    int first = 0;
    if (d->id_attr) {
        sbuf_adds(b, "<row _id=\"");
        if (v[0])
            sbuf_add(b, v[0], (size_t)len[0]);
        else
            sbuf_adds(b, "None");
        sbuf_addc(b, '"');
        first = 1;
    } else {
        sbuf_adds(b, "<row");
    }
    if (first >= d->nf) {
        sbuf_adds(b, " />\n");
        return;
    }
    sbuf_addc(b, '>');
    for (int i = first; i < d->nf; i++)
        xml_elem(d, b, i, v[i], v[i] ? (size_t)len[i] : 0);
    sbuf_adds(b, "</row>\n");
}

/* The Filter API's JSON: numbers and booleans as JSON ones, an empty cell "". */
static void row_hk_json(struct dfmt *d, struct sbuf *b, const char *const *v, const int *len)
{
    sbuf_adds(b, d->rows ? ",\n{" : "\n{");
    for (int i = 0; i < d->nf; i++) {
        const struct dfmt_field *f = &d->f[i];
        size_t n = v[i] ? (size_t)len[i] : 0;
        if (i)
            sbuf_addc(b, ',');
        sbuf_adds(b, f->tag);
        if (!v[i])
            sbuf_adds(b, "\"\"");
        else if (f->t == DT_BOOL)
            sbuf_adds(b, v[i][0] == 't' ? "true" : "false");
        else if ((f->t == DT_INT || f->t == DT_NUM) && json_number(v[i], n))
            sbuf_add(b, v[i], n);
        else
            json_str(b, v[i], n);
    }
    sbuf_addc(b, '}');
}

static void row_hk_xml(struct dfmt *d, struct sbuf *b, const char *const *v, const int *len)
{
    sbuf_adds(b, "<row>");
    for (int i = 0; i < d->nf; i++) {
        sbuf_adds(b, d->f[i].tag);
        if (v[i] && d->f[i].t == DT_BOOL)
            sbuf_adds(b, v[i][0] == 't' ? "true" : "false");
        else if (v[i])
            xml_text(b, v[i], (size_t)len[i], true);
        sbuf_adds(b, "</field>");
    }
    sbuf_adds(b, "</row>\n");
}

void dfmt_row(struct dfmt *d, struct sbuf *b, const char *const *vals, const int *lens)
{
    switch (d->kind) {
    case DFMT_HK_JSON: row_hk_json(d, b, vals, lens); break;
    case DFMT_HK_XML: row_hk_xml(d, b, vals, lens); break;
    case DFMT_TW_JSON: row_tw_json(d, b, vals, lens); break;
    case DFMT_CKAN_JSON: row_ckan_json(d, b, vals, lens); break;
    case DFMT_TW_XML:
    case DFMT_CKAN_XML: row_xml(d, b, vals, lens); break;
    default: row_csv(d, b, vals, lens); break;
    }
    d->rows++;
}

void dfmt_copy_line(struct dfmt *d, struct sbuf *b, const char *line, size_t n)
{
    sbuf_add(b, line, n);
    d->rows++;
}
