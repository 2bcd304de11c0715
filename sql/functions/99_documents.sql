-- 99_documents: the cached documents (tw_doc, ckan_doc, ckan_search_doc) of packages that have
-- none, built with the functions just applied. Triggers keep the documents current as data
-- changes; this fills in the ones nothing has built: packages that were there before their
-- document table, or whose documents a migration deleted because the functions that build
-- them changed (the way a migration asks for documents to be rebuilt, since it runs before the
-- new functions are in place). Runs at every db init; with nothing missing it reads three
-- indexes.

CREATE OR REPLACE FUNCTION schema_build_missing_docs() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- the package dicts first: the search documents read them
    PERFORM ckan_refresh_doc(p.id) FROM package p
    WHERE NOT EXISTS (SELECT 1 FROM ckan_doc d WHERE d.package_id = p.id);
    PERFORM ckan_search_refresh(p.id) FROM package p
    WHERE NOT EXISTS (SELECT 1 FROM ckan_search_doc d WHERE d.package_id = p.id);
    PERFORM tw_refresh_doc(p.id) FROM package p
    WHERE NOT EXISTS (SELECT 1 FROM tw_doc d WHERE d.package_id = p.id);
END
$$;

SELECT schema_build_missing_docs();
