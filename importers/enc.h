/* enc — an input file as a stream of UTF-8 text: BOM handling, encoding detection (UTF-8 or
 * Big5/CP950), streaming conversion with iconv, line tracking for error messages, and the
 * SHA-256 of the raw bytes computed on the way.
 *
 * Auto detection is lazy: ASCII reads the same in every supported encoding, so the decision is
 * taken at the first chunk holding a non-ASCII byte, from the rest of that chunk (up to 256 KiB):
 * Big5 when enc_detect says so and the text converts as CP950, else UTF-8. It then holds for
 * the file, including after enc_rewind. Big5 is decoded as CP950 (glibc's
 * CP950 is the superset real Taiwanese files are written in). */
#ifndef ENC_H
#define ENC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

enum enc_kind { ENC_AUTO, ENC_UTF8, ENC_CP950 };

struct enc;

/* The --encoding value: auto, utf-8 (utf8), big5 or cp950, any case. */
bool enc_parse_name(const char *name, enum enc_kind *kind, char **err) MUSTCHECK;

/* What a raw sample looks like: ENC_UTF8 when it reads as UTF-8 (a stray bad byte among many
 * valid multi-byte sequences still counts as UTF-8, so that the error names that byte),
 * ENC_CP950 otherwise, ENC_AUTO when it is all ASCII. An incomplete sequence at the end is
 * ignored. */
enum enc_kind enc_detect(const unsigned char *s, size_t len);

/* Open a regular file for reading as `kind`; NULL with *err (malloc'd). */
struct enc *enc_open(const char *path, enum enc_kind kind, char **err) MUSTCHECK;
/* The same over an open descriptor, which the enc owns from here (closed on failure too);
 * name is the file's name in messages. */
struct enc *enc_open_fd(int fd, const char *name, enum enc_kind kind, char **err) MUSTCHECK;

/* Back to the first byte (a new pass); the hash and line count restart. */
bool enc_rewind(struct enc *e, char **err) MUSTCHECK;

/* The next chunk of UTF-8 text (no NUL bytes, BOM removed) in *out, valid until the next
 * call: its length, 0 at the end, -1 with *err ("FILE:LINE: message", malloc'd). */
ssize_t enc_read(struct enc *e, const char **out, char **err) MUSTCHECK;

/* "utf-8" or "big5" (decoded as CP950); "utf-8" also while auto detection is undecided (the
 * text so far is ASCII). */
const char *enc_name(const struct enc *e);
bool enc_detected(const struct enc *e);
bool enc_bom(const struct enc *e);

/* Raw bytes read in this pass, and the file size. */
uint64_t enc_consumed(const struct enc *e);
uint64_t enc_size(const struct enc *e);

/* The descriptor read (its offset moves with the passes; pread it). */
int enc_fd(const struct enc *e);

/* SHA-256 of the whole file as 64 hex digits; valid once enc_read returned 0. */
const char *enc_sha256(const struct enc *e);

void enc_free(struct enc *e);

#endif
