-- 020_package_write: the CKAN dataset writes (sql/functions/19_ckan_package_write.sql).
--
-- Translations of a dataset's title and notes (title_translated, notes_translated: {lang:
-- text}) are a column of the dataset, so the document triggers that watch package rows keep
-- package_show current with them; a resource's are its extra keys.
ALTER TABLE package ADD COLUMN translated jsonb;

-- package_show names the Taiwan standard's `type` and `notes` extras `dataType` and `remarks`
-- now (CKAN refuses extras named as its own fields): the documents showing the old keys go,
-- and db init builds them again (sql/functions/99_documents.sql).
DELETE FROM ckan_doc d USING package p
WHERE d.package_id = p.id AND (p.data_type IS NOT NULL OR p.remarks IS NOT NULL);
DELETE FROM ckan_search_doc d USING package p
WHERE d.package_id = p.id AND (p.data_type IS NOT NULL OR p.remarks IS NOT NULL);
