/* passwd — password hashes (see passwd.h). */
#include "passwd.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define PW_YESCRYPT "$y$"
#define PW_PBKDF2 "$pbkdf2-sha512$"
#define PW_PBKDF2_MAX_ROUNDS 10000000 /* passlib's default is 25000; more is a stored DoS */
#define PW_PBKDF2_MAX_BYTES 256       /* of salt or checksum, decoded */
#define PW_PBKDF2_SUM_BYTES 64        /* passlib's checksum: a whole SHA-512 */

/* The byte strings are compared whole whatever their contents (CRYPTO_memcmp). */
static bool same(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

char *pw_hash(const char *password, const char **err)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    /* NULL random bytes: libxcrypt reads them from the system itself. */
    if (!crypt_gensalt_rn(PW_YESCRYPT, 0, NULL, 0, setting, sizeof(setting))) {
        *err = "cannot make a yescrypt salt (libxcrypt without yescrypt, or no entropy)";
        return NULL;
    }
    struct crypt_data *cd = xcalloc(1, sizeof(*cd));
    char *out = NULL;
    const char *h = crypt_rn(password, setting, cd, sizeof(*cd));
    if (h && h[0] == '$')
        out = xstrdup(h);
    else
        *err = "cannot hash the password with yescrypt";
    explicit_bzero(cd, sizeof(*cd)); /* it held the password's derived state */
    free(cd);
    return out;
}

static bool verify_crypt(const char *password, const char *hash)
{
    struct crypt_data *cd = xcalloc(1, sizeof(*cd));
    const char *h = crypt_rn(password, hash, cd, sizeof(*cd));
    bool ok = h && h[0] == '$' && same(h, strlen(h), hash, strlen(hash));
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return ok;
}

/* passlib's "adapted base64": the standard alphabet with '.' for '+', no padding. The bytes
 * of s[0..len) into out (at most max); -1 when s is not of that form or too long. */
static long ab64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const char *p = s[i] ? strchr(abc, s[i]) : NULL;
        if (!p)
            return -1;
        acc = (acc << 6 | (unsigned)(p - abc)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == max)
                return -1;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)n;
}

/* $pbkdf2-sha512$ROUNDS$SALT$CHECKSUM, salt and checksum in passlib's adapted base64. */
static bool verify_pbkdf2(const char *password, const char *hash)
{
    const char *p = hash + strlen(PW_PBKDF2);
    char *end;
    errno = 0;
    unsigned long rounds = strtoul(p, &end, 10);
    if (end == p || *end != '$' || *p == '0' || errno || rounds > PW_PBKDF2_MAX_ROUNDS)
        return false;
    const char *salt = end + 1, *sum = strchr(salt, '$');
    if (!sum)
        return false;
    unsigned char s[PW_PBKDF2_MAX_BYTES], want[PW_PBKDF2_MAX_BYTES], got[PW_PBKDF2_MAX_BYTES];
    long slen = ab64_decode(salt, (size_t)(sum - salt), s, sizeof(s));
    long wlen = ab64_decode(sum + 1, strlen(sum + 1), want, sizeof(want));
    if (slen < 0 || wlen != PW_PBKDF2_SUM_BYTES)
        return false;
    bool ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), s, (int)slen, (int)rounds,
                                EVP_sha512(), (int)wlen, got) == 1 &&
              same(got, (size_t)wlen, want, (size_t)wlen);
    explicit_bzero(got, sizeof(got));
    return ok;
}

bool pw_verify(const char *password, const char *hash)
{
    if (!password || !hash)
        return false;
    if (strncmp(hash, PW_YESCRYPT, strlen(PW_YESCRYPT)) == 0)
        return verify_crypt(password, hash);
    if (strncmp(hash, PW_PBKDF2, strlen(PW_PBKDF2)) == 0)
        return verify_pbkdf2(password, hash);
    return false;
}

bool pw_needs_rehash(const char *hash)
{
    return !hash || strncmp(hash, PW_YESCRYPT, strlen(PW_YESCRYPT)) != 0;
}
