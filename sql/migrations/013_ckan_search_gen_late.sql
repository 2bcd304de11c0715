-- 013_ckan_search_gen_late: bump ckan_search_gen (sql/012) at the end of a writing transaction's
-- commit work, not at its first document change; a narrow index to count pages without q.
--
-- sql/012 bumped the counter from statement triggers of ckan_doc and ckan_search_doc. Those
-- tables are written by the deferred triggers of sql/008 and sql/010 at commit, and the first
-- write (the package dict) took the counter's row lock while the rest of that work (the search
-- and Taiwan documents: ~3 ms of a catalogue record's ~7) still had to run, so concurrent
-- writers queued on the row for it. Here the bump is itself a deferred row trigger: its events
-- are queued when the documents are written, behind the document work already queued, so the
-- row is locked from then to the end of the commit only. (Two importers at once, sampled:
-- waiting for a lock in 6 of 78 samples before, 1 of 81 after.) Same transaction, same
-- guarantee: the bump commits with the documents or not at all.

-- The statement triggers of sql/012 (databases migrated before this split have them); the row
-- triggers that replace them are in sql/functions/12_ckan_search_cache.sql.
DROP TRIGGER IF EXISTS ckan_search_gen_doc ON ckan_search_doc;
DROP TRIGGER IF EXISTS ckan_search_gen_dict ON ckan_doc;

-- The count of a page without q: ckan_search_visible (sql/012) carries the facet fields, five
-- times the width of this one, and counting 50k entries took twice as long there (11 ms → 5 ms).
CREATE INDEX ckan_search_visible_order ON ckan_search_doc
    (metadata_modified DESC NULLS LAST, package_id)
    WHERE state = 'active' AND NOT private;
