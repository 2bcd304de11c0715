-- 012_ckan_search_cache: what lets every server process cache package_search pages without q
-- (server/search_cache.c) and never serve one that a committed write made stale, and an index
-- for those pages.
--
-- ckan_search_gen holds one counter. Every transaction that changes what a package_search
-- answer shows bumps it once, in the same transaction: the search documents and the package
-- dicts (both written by the deferred triggers of sql/008 and sql/010, whatever the writer:
-- opendata-import, write actions, another opendatad; a group's new title rewrites the documents
-- of its datasets too), and the licence titles the facets display. A server reads the counter
-- (one tiny statement) after a request arrived and serves a cached page only when it was
-- computed under the same value; a search statement returns the counter it saw in its own
-- snapshot, so a page and its generation always match.
-- This replaces sql/010's NOTIFY, whose delivery trails the commit. The bump and its triggers:
-- sql/functions/12_ckan_search_cache.sql.

CREATE TABLE ckan_search_gen (
    id   int PRIMARY KEY CHECK (id = 1),
    gen  bigint NOT NULL,
    xact xid8           -- the transaction that bumped it last (once per transaction)
);
INSERT INTO ckan_search_gen VALUES (1, 1, NULL);

-- The NOTIFY of sql/010 (databases migrated before this split have it).
DROP TRIGGER IF EXISTS ckan_search_changed ON ckan_search_doc;
DROP TRIGGER IF EXISTS ckan_search_dict_changed ON ckan_doc;
DROP FUNCTION IF EXISTS ckan_search_notify();

-- Pages without q over every visible document: the count, the newest first and the facets of
-- the usual fields come from this index alone (an index-only scan instead of reading the wide
-- documents: 50k datasets, 10 MB instead of ~100 MB). Its order is the default sort's once
-- every score ties (metadata_modified desc, then id).
CREATE INDEX ckan_search_visible ON ckan_search_doc
    (metadata_modified DESC NULLS LAST, package_id)
    INCLUDE (organization, tags, res_format, groups, license_id)
    WHERE state = 'active' AND NOT private;
