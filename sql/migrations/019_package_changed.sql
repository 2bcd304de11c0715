-- 019_package_changed: one "package changed" mechanism for the cached documents (tw_doc,
-- ckan_doc, ckan_search_doc), in place of each cache's own deferred row triggers, which had
-- drifted apart (only ckan_doc followed a resource moved to another package, only the search
-- document followed vocabularies, none followed a licence). The triggers of
-- sql/functions/14_package_changed.sql map the changed rows of every table a document reads to
-- package ids, kept here until the transaction's commit rebuilds each package's documents once.

-- The packages a transaction changed, from the change to its commit. Unlogged: no row outlives
-- its transaction (a rolled-back one leaves none, a crash empties the table).
CREATE UNLOGGED TABLE package_changed (
    xact       xid8 NOT NULL,
    package_id uuid NOT NULL,
    PRIMARY KEY (xact, package_id)
);

-- One row per transaction with packages pending: inserting it queues the deferred rebuild.
CREATE UNLOGGED TABLE package_changed_xact (
    xact xid8 PRIMARY KEY
);

DROP TRIGGER IF EXISTS tw_doc_package ON package;
DROP TRIGGER IF EXISTS tw_doc_resource ON resource;
DROP TRIGGER IF EXISTS tw_doc_package_tag ON package_tag;
DROP TRIGGER IF EXISTS tw_doc_package_extra ON package_extra;
DROP TRIGGER IF EXISTS tw_doc_member ON member;
DROP TRIGGER IF EXISTS tw_doc_grp ON grp;
DROP TRIGGER IF EXISTS tw_doc_group_extra ON group_extra;
DROP TRIGGER IF EXISTS tw_doc_tag ON tag;

DROP TRIGGER IF EXISTS ckan_doc_package ON package;
DROP TRIGGER IF EXISTS ckan_doc_resource ON resource;
DROP TRIGGER IF EXISTS ckan_doc_package_tag ON package_tag;
DROP TRIGGER IF EXISTS ckan_doc_package_extra ON package_extra;
DROP TRIGGER IF EXISTS ckan_doc_member ON member;
DROP TRIGGER IF EXISTS ckan_doc_grp ON grp;
DROP TRIGGER IF EXISTS ckan_doc_group_extra ON group_extra;
DROP TRIGGER IF EXISTS ckan_doc_tag ON tag;
DROP TRIGGER IF EXISTS ckan_doc_package_relationship ON package_relationship;
DROP TRIGGER IF EXISTS ckan_doc_system_info ON system_info;

DROP TRIGGER IF EXISTS ckan_search_package ON package;
DROP TRIGGER IF EXISTS ckan_search_resource ON resource;
DROP TRIGGER IF EXISTS ckan_search_package_tag ON package_tag;
DROP TRIGGER IF EXISTS ckan_search_package_extra ON package_extra;
DROP TRIGGER IF EXISTS ckan_search_member ON member;
DROP TRIGGER IF EXISTS ckan_search_grp ON grp;
DROP TRIGGER IF EXISTS ckan_search_group_extra ON group_extra;
DROP TRIGGER IF EXISTS ckan_search_tag ON tag;
DROP TRIGGER IF EXISTS ckan_search_vocabulary ON vocabulary;

DROP FUNCTION IF EXISTS tw_doc_touch();
DROP FUNCTION IF EXISTS ckan_doc_touch();
DROP FUNCTION IF EXISTS ckan_search_touch();
