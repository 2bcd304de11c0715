-- 015_tw_dataset_publisher: a Taiwan record's publisher, publisherOID and publisherOrgCode are
-- the dataset's own values.
--
-- Until now they lived on the shared organization (grp.title and the group_extra rows written
-- by tw_import_org, sql/004), which every dataset of the publisher read (sql/003 tw_build_doc,
-- sql/008 ckan_extras_doc): importing a second dataset of one publisher with another value
-- changed what the first showed. Every other standard field already has a column of package
-- or resource, or is a row naming itself (keyword → tag by name, categoryCode → the category's
-- group, both compared exactly), so these three are the only ones that could leak between
-- datasets. The organization keeps its title and extras (the latest import's, as before): they
-- are CKAN's organization, not a field of any record.
--
-- Existing data: each dataset gets the values it shows today (its organization's), which are
-- its own unless another dataset of the publisher was imported later with different ones (or
-- its own record later dropped a value: the organization kept the old one). Which datasets
-- are affected cannot be told from the database, so every imported dataset is listed in
-- tw_recheck: the next import of the same record (skipped as unchanged until now) sets the
-- three values from the record, and moves metadata_modified only when one of them differs.
-- The documents and the upsert that read the new columns: sql/functions/03_tw_api.sql,
-- 04_tw_import.sql, 08_ckan_package.sql.

ALTER TABLE package
    ADD COLUMN publisher text,            -- Taiwan `publisher` as declared (CKAN: the org's title)
    ADD COLUMN publisher_oid text,        -- Taiwan `publisherOID`
    ADD COLUMN publisher_org_code text;   -- Taiwan `publisherOrgCode`

-- Datasets whose publisher fields may not be their record's (see above); emptied by imports.
CREATE TABLE tw_recheck (
    package_id uuid PRIMARY KEY REFERENCES package(id) ON DELETE CASCADE
);

-- The documents already show these values, so the rewrite need not rebuild them (minutes on a
-- large catalogue): the triggers that would are off for this one statement (the deferred
-- document triggers, the only user triggers of package; none yet in a new database).
ALTER TABLE package DISABLE TRIGGER USER;
UPDATE package p SET publisher = o.title,
    publisher_oid = (SELECT value FROM group_extra WHERE group_id = o.id AND key = 'publisherOID'),
    publisher_org_code = (SELECT value FROM group_extra
                          WHERE group_id = o.id AND key = 'publisherOrgCode')
FROM grp o
WHERE o.id = p.owner_org AND p.identifier IS NOT NULL;
ALTER TABLE package ENABLE TRIGGER USER;

INSERT INTO tw_recheck (package_id)
SELECT id FROM package WHERE identifier IS NOT NULL AND source_hash IS NOT NULL;

-- Datasets of an organization that is no longer active showed no publisher fields in their
-- CKAN extras (the organization was not read); now they show their own: their documents go,
-- and db init builds them again with the new functions (sql/functions/99_documents.sql).
DELETE FROM ckan_doc d USING package p JOIN grp o ON o.id = p.owner_org
WHERE d.package_id = p.id AND o.state <> 'active' AND p.identifier IS NOT NULL;
DELETE FROM ckan_search_doc d USING package p JOIN grp o ON o.id = p.owner_org
WHERE d.package_id = p.id AND o.state <> 'active' AND p.identifier IS NOT NULL;
