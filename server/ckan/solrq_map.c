/* solrq_map — the CKAN package field map over ckan_search_doc (see solrq.h). */
#include "solrq.h"

#include <stddef.h>

/* ---- the CKAN package field map (sql/migrations/010, table ckan_search_doc AS s) */

static const struct solrq_field ckan_fields[] = {
    {"id", SOLRQ_UUID, false, "s.package_id::text", "s.package_id = %V"},
    {"name", SOLRQ_STR, false, "s.name", NULL},
    {"title", SOLRQ_TEXT, false, "s.title", NULL},
    {"title_string", SOLRQ_STR, false, "s.title", NULL},
    {"notes", SOLRQ_TEXT, false, "s.notes", NULL},
    {"author", SOLRQ_TEXT, false, "s.author", NULL},
    {"author_email", SOLRQ_TEXT, false, "s.author_email", NULL},
    {"maintainer", SOLRQ_TEXT, false, "s.maintainer", NULL},
    {"maintainer_email", SOLRQ_TEXT, false, "s.maintainer_email", NULL},
    {"state", SOLRQ_STR, false, "s.state", NULL},
    {"dataset_type", SOLRQ_STR, false, "s.type", NULL},
    {"type", SOLRQ_STR, false, "s.type", NULL},
    {"version", SOLRQ_STR, false, "s.version", NULL},
    {"url", SOLRQ_STR, false, "s.url", NULL},
    {"license_id", SOLRQ_STR, false, "s.license_id", NULL},
    {"tags", SOLRQ_STRS, false, "s.tags", NULL},
    {"groups", SOLRQ_STRS, false, "s.groups", NULL},
    {"organization", SOLRQ_STR, false, "s.organization", NULL},
    {"owner_org", SOLRQ_UUID, false, "s.owner_org::text", "s.owner_org = %V"},
    {"capacity", SOLRQ_STR, false, "(CASE WHEN s.private THEN 'private' ELSE 'public' END)", NULL},
    {"private", SOLRQ_BOOL, false, "s.private", NULL},
    {"res_format", SOLRQ_STRS, false, "s.res_format", NULL},
    {"res_url", SOLRQ_STRS, false, "s.res_url", NULL},
    {"res_type", SOLRQ_STRS, false, "s.res_type", NULL},
    {"res_name", SOLRQ_TEXT, false, "array_to_string(s.res_name, ' ')", NULL},
    {"res_description", SOLRQ_TEXT, false, "array_to_string(s.res_description, ' ')", NULL},
    {"site_id", SOLRQ_STR, false, "'default'::text", NULL},
    {"entity_type", SOLRQ_STR, false, "'package'::text", NULL},
    {"creator_user_id", SOLRQ_UUID, false, "s.creator_user_id::text", "s.creator_user_id = %V"},
    {"metadata_created", SOLRQ_DATE, false, "s.metadata_created", NULL},
    {"metadata_modified", SOLRQ_DATE, false, "s.metadata_modified", NULL},
    {"num_resources", SOLRQ_INT, false, "s.num_resources", NULL},
    {"num_tags", SOLRQ_INT, false, "s.num_tags", NULL},
    {"text", SOLRQ_TEXT, false, NULL, NULL},
    {"extras_", SOLRQ_TEXT, true, "(s.extras->>%K)", NULL},
    {"vocab_", SOLRQ_STRS, true, "ARRAY(SELECT jsonb_array_elements_text(s.vocab->%K))",
     "s.vocab @> jsonb_build_object(%K, jsonb_build_array(%V))"},
    {NULL, 0, false, NULL, NULL},
};

/* Any other name is an extra under its bare key (CKAN indexes extras both ways). */
static const struct solrq_field ckan_extra_field = {
    "", SOLRQ_STR, true, "(s.extras->>%K)", "s.extras @> jsonb_build_object(%K, %V)"};

const struct solrq_map solrq_ckan_map = {
    .fields = ckan_fields,
    .fallback = &ckan_extra_field,
    .doc_tsv = "s.fts",
    .doc_text = "s.body",
    .tsq_fn = "ckan_search_tsq",
    .tsv_fn = "ckan_search_tsv",
};
