/* enc — raw file → UTF-8 text chunks, with detection, iconv, line tracking and SHA-256. */
#include "enc.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Raw bytes read at a time; also the window auto detection looks at. The fuzz drivers define
 * a tiny one so that short inputs cross chunk boundaries. */
#ifndef ENC_CHUNK
#define ENC_CHUNK (256 * 1024)
#endif
/* Room kept before the chunk for the incomplete sequence carried from the previous one. */
#define ENC_CARRY 8

struct enc {
    char *path;
    int fd;
    uint64_t size, consumed;
    enum enc_kind asked, kind;
    bool bom, at_start, eof;
    iconv_t cd;             /* CP950 → UTF-8, opened when first needed */
    unsigned char *in;      /* raw bytes; the pending ones are in[off, off + len) */
    size_t off, len;
    char *out;              /* converted text (CP950) */
    long line;              /* line the next byte is on */
    EVP_MD_CTX *md;
    char hex[65];
};

bool enc_parse_name(const char *name, enum enc_kind *kind, char **err)
{
    if (strcasecmp(name, "auto") == 0)
        *kind = ENC_AUTO;
    else if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0)
        *kind = ENC_UTF8;
    else if (strcasecmp(name, "big5") == 0 || strcasecmp(name, "cp950") == 0)
        *kind = ENC_CP950;
    else {
        *err = xasprintf("--encoding: expected auto, utf-8, big5 or cp950, got \"%s\"", name);
        return false;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at s (left bytes available): 1-4; 0 when invalid; -1
 * when it is a valid beginning cut short by the end of the buffer. */
static int utf8_seq_len(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    if (c < 0x80)
        return c ? 1 : 0;
    int n;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    for (int i = 1; i < n; i++) {
        if ((size_t)i >= left)
            return -1;
        unsigned b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
            return 0;
    }
    return n;
}

/* Bytes of s that are complete, valid UTF-8 without NUL. *bad tells whether the stop is an
 * invalid byte (rather than the end or a sequence cut short by it). */
static size_t utf8_prefix(const unsigned char *s, size_t len, bool *bad)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    *bad = false;
    while (i < len) {
        /* Eight ASCII bytes without NUL at a time: most open data is mostly ASCII. */
        if (i + 8 <= len) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (!(v & highs) && !((v - ones) & ~v & highs)) {
                i += 8;
                continue;
            }
        }
        int n = utf8_seq_len(s + i, len - i);
        if (n <= 0) {
            *bad = n == 0;
            return i;
        }
        i += (size_t)n;
    }
    return i;
}

enum enc_kind enc_detect(const unsigned char *s, size_t len)
{
    size_t multi = 0, bad = 0, i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int n = utf8_seq_len(s + i, len - i);
        if (n < 0)
            break;
        if (n == 0) {
            bad++;
            i++;
        } else {
            multi++;
            i += (size_t)n;
        }
    }
    if (multi == 0 && bad == 0)
        return ENC_AUTO;
    /* Big5 text is full of invalid UTF-8 (its lead bytes are mostly UTF-8 continuation bytes),
     * so a handful of bad bytes among many good sequences is a damaged UTF-8 file. */
    return bad == 0 || multi >= 16 * bad ? ENC_UTF8 : ENC_CP950;
}

struct enc *enc_open(const char *path, enum enc_kind kind, char **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    return enc_open_fd(fd, path, kind, err);
}

struct enc *enc_open_fd(int fd, const char *name, enum enc_kind kind, char **err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = xasprintf("%s: %s", name, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *err =
            xasprintf("%s: not a regular file (the importer reads the file more than once)", name);
        close(fd);
        return NULL;
    }
    struct enc *e = xcalloc(1, sizeof(*e));
    e->path = xstrdup(name);
    e->fd = fd;
    e->size = (uint64_t)st.st_size;
    e->asked = e->kind = kind;
    e->cd = (iconv_t)-1;
    e->in = xmalloc(ENC_CARRY + ENC_CHUNK);
    e->out = xmalloc(2 * (ENC_CARRY + ENC_CHUNK));
    e->md = EVP_MD_CTX_new();
    if (!e->md || !enc_rewind(e, err)) {
        enc_free(e);
        return NULL;
    }
    return e;
}

bool enc_rewind(struct enc *e, char **err)
{
    if (lseek(e->fd, 0, SEEK_SET) != 0 || !EVP_DigestInit_ex(e->md, EVP_sha256(), NULL)) {
        *err = xasprintf("%s: cannot rewind: %s", e->path, strerror(errno));
        return false;
    }
    e->consumed = 0;
    e->off = e->len = 0;
    e->eof = false;
    e->at_start = true;
    e->line = 1;
    e->hex[0] = '\0';
    if (e->cd != (iconv_t)-1)
        iconv(e->cd, NULL, NULL, NULL, NULL);
    return true;
}

static void finish_hash(struct enc *e)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(e->md, d, &n);
    for (unsigned i = 0; i < n && i < 32; i++)
        snprintf(e->hex + 2 * i, 3, "%02x", d[i]);
}

/* Keep the pending bytes (an incomplete sequence at most) and read the next chunk after them. */
static bool fill(struct enc *e, char **err)
{
    if (e->eof)
        return true;
    memmove(e->in, e->in + e->off, e->len);
    e->off = 0;
    ssize_t n;
    do
        n = read(e->fd, e->in + e->len, ENC_CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        *err = xasprintf("%s: read error: %s", e->path, strerror(errno));
        return false;
    }
    if (n == 0) {
        e->eof = true;
        finish_hash(e);
        return true;
    }
    EVP_DigestUpdate(e->md, e->in + e->len, (size_t)n);
    e->consumed += (uint64_t)n;
    e->len += (size_t)n;
    return true;
}

static long count_lines(const char *s, size_t len)
{
    long n = 0;
    const char *end = s + len;
    while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        n++;
        s++;
    }
    return n;
}

/* "FILE:LINE: message" for a problem at pending byte `at` (lines counted in the raw bytes:
 * '\n' is the same byte in every supported encoding and never part of a Big5 character). */
static char *error_at(struct enc *e, size_t at, const char *msg)
{
    long line = e->line + count_lines((const char *)e->in + e->off, at);
    return xasprintf("%s:%ld: %s", e->path, line, msg);
}

/* The first bytes of the file: a UTF-8 BOM is dropped, UTF-16 is refused. */
static bool start(struct enc *e, char **err)
{
    const unsigned char *p = e->in + e->off;
    if (e->len < 3 && !e->eof)
        return true;
    e->at_start = false;
    if (e->len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        *err = error_at(e, 0, "UTF-16 text is not supported (convert the file to UTF-8)");
        return false;
    }
    if (e->len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF && e->kind != ENC_CP950) {
        e->bom = true;
        e->kind = ENC_UTF8;
        e->off += 3;
        e->len -= 3;
    }
    return true;
}

static char *bad_utf8_msg(struct enc *e, const unsigned char *b)
{
    if (*b == 0)
        return xstrdup("NUL byte in the text");
    return xasprintf("invalid UTF-8 (byte 0x%02X)%s", *b,
                     e->asked == ENC_AUTO && !e->bom
                         ? "; the file was detected as UTF-8, give --encoding big5 if it is Big5"
                         : "");
}

/* UTF-8: the valid prefix is passed on in place. */
static ssize_t decode_utf8(struct enc *e, const char **out, char **err)
{
    const unsigned char *p = e->in + e->off;
    bool bad;
    size_t n = utf8_prefix(p, e->len, &bad);
    if (bad || (n == 0 && e->eof)) {
        char *msg = bad ? bad_utf8_msg(e, p + n)
                        : xstrdup("incomplete UTF-8 sequence at the end of the file");
        *err = error_at(e, n, msg);
        free(msg);
        return -1;
    }
    *out = (const char *)p;
    e->off += n;
    e->len -= n;
    return (ssize_t)n;
}

/* Big5's ETEN extensions 0xC6A1-0xC7FC (kana, Cyrillic, circled and bracketed numbers), used
 * by real Taiwanese files: glibc's CP950 maps them to the private use area U+F6B1-U+F7A9, in
 * this order; these are their characters (as in the Big5-ETEN tables and Python's cp950). */
#define ETEN_FIRST 0xF6B1
static const uint16_t eten[] = {
    0x30FE, 0x309D, 0x309E, 0x3005, 0x3041, 0x3042, 0x3043, 0x3044, 0x3045, 0x3046,
    0x3047, 0x3048, 0x3049, 0x304A, 0x304B, 0x304C, 0x304D, 0x304E, 0x304F, 0x3050,
    0x3051, 0x3052, 0x3053, 0x3054, 0x3055, 0x3056, 0x3057, 0x3058, 0x3059, 0x305A,
    0x305B, 0x305C, 0x305D, 0x305E, 0x305F, 0x3060, 0x3061, 0x3062, 0x3063, 0x3064,
    0x3065, 0x3066, 0x3067, 0x3068, 0x3069, 0x306A, 0x306B, 0x306C, 0x306D, 0x306E,
    0x306F, 0x3070, 0x3071, 0x3072, 0x3073, 0x3074, 0x3075, 0x3076, 0x3077, 0x3078,
    0x3079, 0x307A, 0x307B, 0x307C, 0x307D, 0x307E, 0x307F, 0x3080, 0x3081, 0x3082,
    0x3083, 0x3084, 0x3085, 0x3086, 0x3087, 0x3088, 0x3089, 0x308A, 0x308B, 0x308C,
    0x308D, 0x308E, 0x308F, 0x3090, 0x3091, 0x3092, 0x3093, 0x30A1, 0x30A2, 0x30A3,
    0x30A4, 0x30A5, 0x30A6, 0x30A7, 0x30A8, 0x30A9, 0x30AA, 0x30AB, 0x30AC, 0x30AD,
    0x30AE, 0x30AF, 0x30B0, 0x30B1, 0x30B2, 0x30B3, 0x30B4, 0x30B5, 0x30B6, 0x30B7,
    0x30B8, 0x30B9, 0x30BA, 0x30BB, 0x30BC, 0x30BD, 0x30BE, 0x30BF, 0x30C0, 0x30C1,
    0x30C2, 0x30C3, 0x30C4, 0x30C5, 0x30C6, 0x30C7, 0x30C8, 0x30C9, 0x30CA, 0x30CB,
    0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D0, 0x30D1, 0x30D2, 0x30D3, 0x30D4, 0x30D5,
    0x30D6, 0x30D7, 0x30D8, 0x30D9, 0x30DA, 0x30DB, 0x30DC, 0x30DD, 0x30DE, 0x30DF,
    0x30E0, 0x30E1, 0x30E2, 0x30E3, 0x30E4, 0x30E5, 0x30E6, 0x30E7, 0x30E8, 0x30E9,
    0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EE, 0x30EF, 0x30F0, 0x30F1, 0x30F2, 0x30F3,
    0x30F4, 0x30F5, 0x30F6, 0x0414, 0x0415, 0x0401, 0x0416, 0x0417, 0x0418, 0x0419,
    0x041A, 0x041B, 0x041C, 0x0423, 0x0424, 0x0425, 0x0426, 0x0427, 0x0428, 0x0429,
    0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F, 0x0430, 0x0431, 0x0432, 0x0433,
    0x0434, 0x0435, 0x0451, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B, 0x043C,
    0x043D, 0x043E, 0x043F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446,
    0x0447, 0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F, 0x2460,
    0x2461, 0x2462, 0x2463, 0x2464, 0x2465, 0x2466, 0x2467, 0x2468, 0x2469, 0x2474,
    0x2475, 0x2476, 0x2477, 0x2478, 0x2479, 0x247A, 0x247B, 0x247C, 0x247D,
};

/* Replace ETEN private-use characters in place (their UTF-8 is never longer); new length. */
static size_t fix_eten(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp = p[i] == 0xEF && i + 2 < len
                          ? ((p[i] & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu)
                          : 0;
        if (cp < ETEN_FIRST || cp >= ETEN_FIRST + sizeof(eten) / sizeof(eten[0])) {
            p[w++] = p[i++];
            continue;
        }
        unsigned c = eten[cp - ETEN_FIRST];
        if (c < 0x800) {
            p[w++] = (unsigned char)(0xC0 | (c >> 6));
        } else {
            p[w++] = (unsigned char)(0xE0 | (c >> 12));
            p[w++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        }
        p[w++] = (unsigned char)(0x80 | (c & 0x3F));
        i += 3;
    }
    return w;
}

static ssize_t decode_cp950(struct enc *e, const char **out, char **err)
{
    if (e->cd == (iconv_t)-1 && (e->cd = iconv_open("UTF-8", "CP950")) == (iconv_t)-1) {
        *err = xasprintf("iconv cannot convert from CP950: %s", strerror(errno));
        return -1;
    }
    char *src = (char *)e->in + e->off, *dst = e->out;
    size_t left = e->len, room = 2 * (ENC_CARRY + ENC_CHUNK);
    size_t r = iconv(e->cd, &src, &left, &dst, &room);
    size_t used = e->len - left, made = (size_t)(dst - e->out);
    if (r == (size_t)-1 && (errno == EILSEQ || (errno == EINVAL && e->eof))) {
        const unsigned char *b = (const unsigned char *)src;
        char *msg = left >= 2 ? xasprintf("not valid Big5/CP950 (bytes 0x%02X 0x%02X)", b[0], b[1])
                              : xasprintf("not valid Big5/CP950 (byte 0x%02X)", b[0]);
        *err = error_at(e, used, msg);
        free(msg);
        return -1;
    }
    const char *nul = memchr(e->out, '\0', made);
    if (nul) {
        long line = e->line + count_lines(e->out, (size_t)(nul - e->out));
        *err = xasprintf("%s:%ld: NUL byte in the text", e->path, line);
        return -1;
    }
    if (memchr(e->out, 0xEF, made))
        made = fix_eten(e->out, made);
    *out = e->out;
    e->off += used;
    e->len -= used;
    return (ssize_t)made;
}

/* Whether s converts as CP950 (a character cut by the end aside). Text that is neither Big5
 * nor UTF-8 is read as UTF-8, whose error then names the first bad byte. */
static bool cp950_fits(struct enc *e, const unsigned char *s, size_t len)
{
    if (e->cd == (iconv_t)-1 && (e->cd = iconv_open("UTF-8", "CP950")) == (iconv_t)-1)
        return false;
    char *src = (char *)s, *dst = e->out;
    size_t left = len, room = 2 * (ENC_CARRY + ENC_CHUNK);
    size_t r = iconv(e->cd, &src, &left, &dst, &room);
    bool ok = r != (size_t)-1 || errno == EINVAL;
    iconv(e->cd, NULL, NULL, NULL, NULL);
    return ok;
}

/* Auto, undecided: pass ASCII on; decide at the first non-ASCII byte. */
static ssize_t decode_auto(struct enc *e, const char **out, char **err)
{
    const unsigned char *p = e->in + e->off;
    size_t i = 0;
    while (i < e->len && p[i] < 0x80 && p[i] != 0)
        i++;
    if (i == e->len || (i > 0 && p[i] == 0)) {
        *out = (const char *)p;
        e->off += i;
        e->len -= i;
        return (ssize_t)i;
    }
    if (p[i] == 0) {
        *err = error_at(e, i, "NUL byte in the text");
        return -1;
    }
    enum enc_kind k = enc_detect(p + i, e->len - i);
    e->kind = k == ENC_CP950 && cp950_fits(e, p + i, e->len - i) ? ENC_CP950 : ENC_UTF8;
    return e->kind == ENC_UTF8 ? decode_utf8(e, out, err) : decode_cp950(e, out, err);
}

ssize_t enc_read(struct enc *e, const char **out, char **err)
{
    for (;;) {
        if (e->len < ENC_CARRY && !fill(e, err))
            return -1;
        if (e->at_start) {
            if (!start(e, err))
                return -1;
            if (e->at_start)
                continue; /* fewer than 3 bytes so far: the BOM check needs more */
        }
        if (e->len == 0 && e->eof)
            return 0;
        ssize_t n = e->kind == ENC_AUTO   ? decode_auto(e, out, err)
                    : e->kind == ENC_UTF8 ? decode_utf8(e, out, err)
                                          : decode_cp950(e, out, err);
        if (n < 0)
            return -1;
        if (n > 0) {
            e->line += count_lines(*out, (size_t)n);
            return n;
        }
        if (e->eof) {
            *err = xasprintf("%s: incomplete character at the end of the file", e->path);
            return -1;
        }
    }
}

const char *enc_name(const struct enc *e)
{
    return e->kind == ENC_CP950 ? "big5" : "utf-8";
}

bool enc_detected(const struct enc *e)
{
    return e->asked == ENC_AUTO;
}

bool enc_bom(const struct enc *e)
{
    return e->bom;
}

uint64_t enc_consumed(const struct enc *e)
{
    return e->consumed;
}

uint64_t enc_size(const struct enc *e)
{
    return e->size;
}

int enc_fd(const struct enc *e)
{
    return e->fd;
}

const char *enc_sha256(const struct enc *e)
{
    return e->hex;
}

void enc_free(struct enc *e)
{
    if (!e)
        return;
    if (e->cd != (iconv_t)-1)
        iconv_close(e->cd);
    if (e->fd >= 0)
        close(e->fd);
    EVP_MD_CTX_free(e->md);
    free(e->in);
    free(e->out);
    free(e->path);
    free(e);
}
