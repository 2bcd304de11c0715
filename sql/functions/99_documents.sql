-- 99_documents: the cached documents (tw_doc, ckan_doc, ckan_search_doc) of packages that have
-- none, built with the functions just applied. Triggers keep the documents current as data
-- changes; this fills in the ones nothing has built: packages that were there before their
-- document table, or whose documents a migration deleted because the functions that build
-- them changed (the way a migration asks for documents to be rebuilt, since it runs before the
-- new functions are in place). Runs at every db init; with nothing missing it reads three
-- indexes. The packages are noted as changed (14_package_changed), so db init's commit builds
-- their documents as any other commit would, and moves the search cache's generation.

CREATE OR REPLACE FUNCTION schema_build_missing_docs() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pkgchg_mark(ARRAY(
        SELECT p.id FROM package p
        WHERE NOT EXISTS (SELECT 1 FROM ckan_doc d WHERE d.package_id = p.id)
           OR NOT EXISTS (SELECT 1 FROM ckan_search_doc d WHERE d.package_id = p.id)
           OR NOT EXISTS (SELECT 1 FROM tw_doc d WHERE d.package_id = p.id)));
END
$$;

SELECT schema_build_missing_docs();
