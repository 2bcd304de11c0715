/* jschema_int.h — internals shared by jschema.c (validation) and jschema_load.c (loading and
 * checking a schema file). Not part of the public API: include jschema.h instead. */
#ifndef JSCHEMA_INT_H
#define JSCHEMA_INT_H

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "jschema.h"
#include "sbuf.h"
#include "util.h"

#define JSCHEMA_MAX_DEPTH 128 /* nested schema applications (guards $ref cycles and the C stack) */

/* An instance path as a chain of stack frames, turned into a string only on failure. */
struct jpath {
    const struct jpath *up; /* NULL above the root */
    const char *key;        /* property name, or NULL for an array index */
    size_t idx;
};

/* How telling a failure is, used to pick the best branch of anyOf/oneOf: a wrong type says
 * little, a wrong literal of the right type more, anything else (pattern, length, format,
 * required ...) most. Schema errors always win. */
enum js_rank { R_SHAPE, R_LITERAL, R_VALUE, R_SCHEMA };

struct verr {
    char *path, *field, *msg;
    int depth;
    enum js_rank rank;
    bool authored; /* message came from an errorMessage keyword */
};

struct recache; /* compiled patterns, private to jschema.c */

/* One validation or check call. */
struct ctx {
    json_object *root;
    const struct jschema_format *formats;
    struct recache *re;
    int depth;
};

/* vprintf into a new malloc'd string (never NULL). */
char *jschema_int_vfmt(const char *fmt, va_list ap);

/* Frees a failure's strings and resets it. */
void jschema_int_verr_clear(struct verr *e);

/* Fills *e with a failure at path p. Always returns false. */
__attribute__((format(printf, 4, 5)))
bool jschema_int_fail(struct verr *e, const struct jpath *p, enum js_rank rank, const char *fmt,
                      ...);

/* Returns the compiled pattern (cached in *cache), or NULL with a malloc'd reason in *why. */
const regex_t *jschema_int_re_get(struct recache **cache, const char *src, char **why) MUSTCHECK;

/* Frees the patterns compiled during one call. */
void jschema_int_re_cache_free(struct ctx *c);

/* A json-c int or double. */
bool jschema_int_is_num(json_object *v);

/* Reads a non-negative whole number (a count such as minLength). */
bool jschema_int_count_of(json_object *v, size_t *out) MUSTCHECK;

/* The phrase for a type name ("an integer"), or NULL for an unknown name. */
const char *jschema_int_type_phrase(const char *name);

/* Resolves "#", "#/definitions/NAME" or "#/$defs/NAME" (NAME with ~0/~1 escapes). */
bool jschema_int_ref_lookup(json_object *root, const char *ref, json_object **out) MUSTCHECK;

#endif
