/* xml_in — XML files → rows for load_, streamed with libxml2's xmlTextReader (the text comes
 * through enc, so encodings are handled as for CSV and any encoding declaration is ignored).
 * Entities are never expanded: a document declaring any, or naming an undeclared one, is
 * refused.
 *
 * Records: the elements at --record PATH ("/dataset/row", absolute, names as written, with
 * their prefix if any) or NAME ("row": any element of that name not inside another record);
 * without --record, the element path occurring most often among elements that have child
 * elements or attributes (ties: the shallowest), or, when none repeats, the shallowest element
 * whose children are all leaves (ties: the one with the most children).
 * Columns: each leaf element under the record, by its path relative to the record ("年度",
 * "geo/lat"); attributes of the record ("@id", column "id") and of its descendants
 * ("geo/@unit"); a child repeated within a record gets further columns ("tag[2]", column
 * "tag_2"). Values are the element's text, trimmed of white space; an empty element is NULL.
 * Text directly inside an element that has child elements is ignored. */
#ifndef XML_IN_H
#define XML_IN_H
#include <stdbool.h>

#include "enc.h"
#include "load_src.h"

/* Prepare src to read XML from e, which src owns from here (path: the file's name in messages,
 * borrowed; record NULL: detect). False with *err. */
bool xmlin_open(struct load_source *src, struct enc *e, const char *path, const char *record,
                char **err) MUSTCHECK;
void xmlin_close(struct load_source *src);

#endif
