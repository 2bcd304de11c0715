/* jschema.h — a small JSON Schema (draft-07 subset) validator over json-c.
 *
 * Supported keywords: type (a name or an array of names: object, array, string, integer,
 * number, boolean, null; "integer" also accepts doubles with a zero fraction), enum, const,
 * required, properties, additionalProperties (boolean or schema), items (one schema for every
 * element), minItems, maxItems, minLength, maxLength (counted in Unicode code points),
 * pattern (POSIX extended regex, unanchored, searched as by regexec; write [0-9] rather than
 * \d), minimum, maximum, anyOf, oneOf, allOf, not, format (looked up in the caller's table;
 * unknown formats are ignored), and $ref of the forms "#", "#/definitions/NAME" and
 * "#/$defs/NAME", resolved against the root schema (siblings of $ref are ignored, as draft-07
 * says). Boolean schemas (true/false) work everywhere a schema may appear. title, description,
 * $schema, $id, $comment, default, examples and other unknown keywords are ignored.
 *
 * Only the first failure is reported, in schema order (type, const, enum, string/number/array/
 * object keywords, then allOf, anyOf, oneOf, not; properties in the schema's order). When every
 * branch of anyOf/oneOf fails, the branch that got furthest is reported: the deepest path, then
 * a value error (pattern, length, format, required ...) over a wrong literal (const/enum of the
 * right JSON type) over a wrong type. If all that can be said is that the value has none of the
 * allowed types, the message is "does not match any allowed form".
 *
 * Extension: "errorMessage": "text" on a schema replaces the message of any failure inside that
 * schema with "text" (plus ": <value>" when the value is a string, number, boolean or null) and
 * moves the error's path to that schema's value. The innermost errorMessage wins, except that
 * the message of an anyOf/oneOf branch whose type does not fit is dropped like the rest of it.
 *
 * Patterns run in the process's LC_CTYPE/LC_COLLATE (the C locale unless the program called
 * setlocale): there "." and bracket expressions see bytes, so keep patterns to ASCII classes.
 *
 * Not supported: patternProperties, additionalItems, items as an array, contains,
 * propertyNames, dependencies, if/then/else, uniqueItems, multipleOf, exclusiveMinimum,
 * exclusiveMaximum, minProperties, maxProperties, remote or nested-pointer $refs.
 * jschema_validate ignores them; jschema_load_file rejects schemas that use them, so a
 * schema author never believes a rule is enforced when it is not.
 *
 * Errors are returned, never printed. Out of memory aborts, as elsewhere in the project. */
#ifndef JSCHEMA_H
#define JSCHEMA_H

#include <stdbool.h>

#include "util.h"
#include <json-c/json.h>

/* One named format checker; an array of these ends with an entry whose name is NULL. */
struct jschema_format {
    const char *name;
    bool (*check)(const char *value, void *arg);
    void *arg;
};

/* The first validation failure. All strings are malloc'd; free with jschema_error_clear. */
struct jschema_error {
    char *path;    /* JSON pointer of the failing value, e.g. "/distribution/0/resourceModified"; "" = root */
    char *field;   /* the last property name on the path (array indexes skipped), or NULL */
    char *message; /* human readable, e.g. "not a real date: \"3872-04-17 11:13:15\"" */
};

/* Validates instance against schema; on failure fills *err (if not NULL) with the first error.
 * *err is overwritten, not freed: clear a previous error first. */
bool jschema_validate(json_object *schema, json_object *instance,
                      const struct jschema_format *formats, struct jschema_error *err) MUSTCHECK;

/* Frees the strings of an error and resets it to all-NULL; safe on a cleared error. */
void jschema_error_clear(struct jschema_error *err);

/* Loads and checks a schema file; returns NULL and sets *msg (malloc'd) on failure. */
json_object *jschema_load_file(const char *path, char **msg) MUSTCHECK;

#endif
