/* libFuzzer target for server/datastore/ds_rows.c (datastore_upsert's records as lines of
 * text). The input is the records' text. Whenever ds_rows_flat vouches for it, json-c must read
 * it as an array of objects, one a line, each with the keys given in that order, and every
 * value must be in its line as ds_rows.h says: strings as they are, null as \N, true and false,
 * numbers as written. (The caller checks the text is UTF-8 without NUL, as the server does.) */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_rows.h"
#include "util.h"

static void check_value(json_object *v, const char *field)
{
    char *end;
    switch (json_object_get_type(v)) {
    case json_type_null:
        if (strcmp(field, "\\N") != 0)
            abort();
        break;
    case json_type_boolean:
        if (strcmp(field, json_object_get_boolean(v) ? "true" : "false") != 0)
            abort();
        break;
    case json_type_string:
        if (strcmp(field, json_object_get_string(v)) != 0)
            abort();
        break;
    case json_type_int: /* json-c saturates past 64 bits: compare what it keeps */
        if (strspn(field, "-0123456789") != strlen(field) ||
            (strlen(field) <= 18 && strtoll(field, &end, 10) != json_object_get_int64(v)))
            abort();
        break;
    case json_type_double:
        if (strtod(field, &end) != json_object_get_double(v) || *end)
            abort();
        break;
    default:
        abort(); /* nested values are not the plain kind */
    }
}

/* Record rec against its line (the text after the leading tab), keys the JSON array given. */
static void check_record(json_object *rec, json_object *keys, char *line)
{
    size_t nk = json_object_array_length(keys);
    if (!json_object_is_type(rec, json_type_object))
        abort();
    for (size_t k = 0; k < nk; k++) {
        char *tab = strchr(line, '\t');
        if ((k + 1 < nk) != (tab != NULL))
            abort();
        if (tab)
            *tab = '\0';
        json_object *v;
        const char *name = json_object_get_string(json_object_array_get_idx(keys, k));
        if (!json_object_object_get_ex(rec, name, &v))
            abort();
        /* a key given twice: json-c keeps one value of the two, the last as PostgreSQL */
        bool twice = false;
        for (size_t j = 0; j < nk; j++)
            twice |= j != k &&
                     strcmp(name, json_object_get_string(json_object_array_get_idx(keys, j))) == 0;
        if (!twice)
            check_value(v, line);
        line = tab ? tab + 1 : line + strlen(line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        abort();
    memcpy(t, data, size);
    t[size] = '\0';
    struct ds_rows rows;
    if (!memchr(t, '\0', size) && util_utf8_valid(t, size) && ds_rows_flat(t, size, &rows)) {
        json_tokener *tok = json_tokener_new_ex(64);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *all = json_tokener_parse_ex(tok, t, (int)size + 1);
        json_object *keys = json_tokener_parse(rows.keys);
        if (!json_object_is_type(all, json_type_array) ||
            !json_object_is_type(keys, json_type_array) ||
            json_object_array_length(all) != rows.nrows || rows.nrows == 0 ||
            json_object_array_length(keys) == 0)
            abort();
        char *line = rows.rows;
        for (size_t i = 0; i < rows.nrows; i++) {
            char *nl = strchr(line, '\n');
            if ((i + 1 < rows.nrows) != (nl != NULL) || line[0] != '\t')
                abort();
            if (nl)
                *nl = '\0';
            check_record(json_object_array_get_idx(all, i), keys, line + 1);
            line = nl ? nl + 1 : line;
        }
        json_tokener_free(tok);
        json_object_put(all);
        json_object_put(keys);
        ds_rows_free(&rows);
    }
    free(t);
    return 0;
}
