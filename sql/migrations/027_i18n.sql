-- 027_i18n: translations of group and organization texts, and the per-language package dicts
-- the language endpoints (/en-data, /tc-data, /sc-data) serve (sql/functions/25_i18n.sql).
--
-- A group's title_translated and description_translated ({lang: text}) are a column of the
-- group, as a dataset's are of the dataset (020), so the triggers that watch grp rows rebuild
-- the datasets' documents that show them.
ALTER TABLE grp ADD COLUMN IF NOT EXISTS translated jsonb;

-- A dataset's package_show dict in each language, cached beside the default one (ckan_doc;
-- a table of its own, since ckan_doc has deferred triggers whose events an earlier migration
-- of the same db init may have queued, and ALTER TABLE refuses such a table): a row only for
-- datasets whose texts, resources, organization or groups have a translation, a column NULL
-- where that language's dict is the default one. Datasets without translations cost nothing.
CREATE TABLE IF NOT EXISTS ckan_doc_lang (
    package_id uuid PRIMARY KEY REFERENCES package(id) ON DELETE CASCADE,
    doc_en     text,
    doc_zh_tw  text,
    doc_zh_cn  text
);

-- The dict builders take the language now (sql/functions/08): the old signatures go, so that
-- a call with fewer arguments names one function.
DROP FUNCTION IF EXISTS ckan_build_doc(uuid, text, text);
DROP FUNCTION IF EXISTS ckan_resource_doc(resource, int, text);
DROP FUNCTION IF EXISTS ckan_groups_doc(uuid, text);

-- Documents of datasets with translations are built again at db init (99_documents): their
-- language dicts, and their search documents, which index the translations now.
DELETE FROM ckan_doc d USING package p
WHERE d.package_id = p.id
  AND (p.translated IS NOT NULL
       OR EXISTS (SELECT 1 FROM resource r WHERE r.package_id = p.id
                  AND r.extras ?| ARRAY['name_translated', 'description_translated']));
DELETE FROM ckan_search_doc s
WHERE NOT EXISTS (SELECT 1 FROM ckan_doc d WHERE d.package_id = s.package_id);
