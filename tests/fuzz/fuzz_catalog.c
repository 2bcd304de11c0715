/* libFuzzer driver for the catalogue import's reading and validation (importers/catalog_in.c,
 * server/core/jschema*.c, schemas/tw-dataset-metadata.schema.json): the input is a catalogue file
 * (an object, an array, or a data.gov.tw v1 answer). Every record is validated as
 * `opendata-import catalog` validates it; a valid record's text for tw_import_record (the
 * mapping itself is SQL) must parse back to the same object and validate again. Error
 * messages must be valid UTF-8 and name a field or say what is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_in.h"
#include "jschema.h"
#include "log.h"
#include "util.h"

static json_object *schema;

#define FAIL(...)                                                                            \
    do {                                                                                     \
        fprintf(stderr, "fuzz_catalog: " __VA_ARGS__);                                       \
        fputc('\n', stderr);                                                                 \
        abort();                                                                             \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_progname = "fuzz_catalog";
    /* As opendata-import finds it: OPENDATAD_SCHEMA_DIR, else bin/../schemas. */
    char *dir = util_share_dir("OPENDATAD_SCHEMA_DIR", "schemas");
    char *path = xasprintf("%s/tw-dataset-metadata.schema.json", dir);
    char *err = NULL;
    schema = jschema_load_file(path, &err);
    if (!schema)
        FAIL("%s", err);
    free(path);
    free(dir);
    return 0;
}

static void check_message(const char *what, const char *msg)
{
    if (!msg || !*msg || !util_utf8_valid(msg, strlen(msg)))
        FAIL("%s: empty or not UTF-8", what);
}

static void check_record(json_object *rec)
{
    char *err = NULL;
    if (!catin_validate(schema, rec, &err)) {
        check_message("validation error", err);
        free(err);
        return;
    }
    /* What import_one sends to tw_import_record. */
    const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
    json_object *back = catin_parse(text, strlen(text), &err);
    if (!back)
        FAIL("a valid record's text does not parse: %s", err);
    if (!json_object_equal(back, rec))
        FAIL("a valid record's text parses to another value: %s", text);
    if (!catin_validate(schema, back, &err))
        FAIL("a valid record's text no longer validates: %s", err);
    json_object_put(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    json_object *doc = catin_parse((const char *)data, size, &err);
    if (!doc) {
        check_message("parse error", err);
        free(err);
        return 0;
    }
    json_object *recs = catin_records(doc, &err);
    if (!recs) {
        check_message("records error", err);
        free(err);
    } else if (json_object_is_type(recs, json_type_object)) {
        check_record(recs);
    } else {
        size_t n = json_object_array_length(recs);
        for (size_t i = 0; i < n; i++)
            check_record(json_object_array_get_idx(recs, i));
    }
    json_object_put(doc);
    return 0;
}
