-- 012_ckan_search_cache: what lets every server process cache package_search pages without q
-- (server/search_cache.c) and never serve one that a committed write made stale, and an index
-- for those pages.
--
-- ckan_search_gen holds one counter. Every transaction that changes what a package_search
-- answer shows bumps it once, in the same transaction: the search documents and the package
-- dicts (both written by the deferred triggers of sql/008 and sql/010, whatever the writer:
-- opendata-import, write actions, another opendatad; a group's new title rewrites the documents
-- of its datasets too), and the licence titles the facets display. A server reads the counter (one tiny statement) after a request arrived and
-- serves a cached page only when it was computed under the same value; a search statement
-- returns the counter it saw in its own snapshot, so a page and its generation always match.
-- This replaces sql/010's NOTIFY, whose delivery trails the commit.

CREATE TABLE ckan_search_gen (
    id   int PRIMARY KEY CHECK (id = 1),
    gen  bigint NOT NULL,
    xact xid8           -- the transaction that bumped it last (once per transaction)
);
INSERT INTO ckan_search_gen VALUES (1, 1, NULL);

-- Once per transaction (a statement trigger fires per statement, even one that changed no
-- row). The row lock is held from the first change of the documents, which the deferred
-- triggers make at commit, to the commit itself: writers queue on it only that long. (Hence no
-- trigger on grp, which importers upsert early in their transactions.)
CREATE FUNCTION ckan_search_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ckan_search_gen SET gen = gen + 1, xact = pg_current_xact_id()
    WHERE id = 1 AND xact IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;

CREATE TRIGGER ckan_search_gen_doc AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ckan_search_doc
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump();
CREATE TRIGGER ckan_search_gen_dict AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ckan_doc
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump();
CREATE TRIGGER ckan_search_gen_license AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ckan_license
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump();

DROP TRIGGER ckan_search_changed ON ckan_search_doc;
DROP TRIGGER IF EXISTS ckan_search_dict_changed ON ckan_doc;
DROP FUNCTION ckan_search_notify();

-- Pages without q over every visible document: the count, the newest first and the facets of
-- the usual fields come from this index alone (an index-only scan instead of reading the wide
-- documents: 50k datasets, 10 MB instead of ~100 MB). Its order is the default sort's once
-- every score ties (metadata_modified desc, then id).
CREATE INDEX ckan_search_visible ON ckan_search_doc
    (metadata_modified DESC NULLS LAST, package_id)
    INCLUDE (organization, tags, res_format, groups, license_id)
    WHERE state = 'active' AND NOT private;
