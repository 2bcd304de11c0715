-- 12_ckan_search_cache: the bump of ckan_search_gen (sql/migrations/012 and 013 say why), as
-- the last work of a writing transaction's commit: a deferred row trigger on the documents
-- queues its events behind the document work already queued, so the counter's row is locked
-- from then to the end of the commit only.

-- Once per transaction (a statement trigger fires per statement, even one that changed no
-- row). The row lock is held from the first change of the documents, which the deferred
-- triggers make at commit, to the commit itself: writers queue on it only that long. (Hence no
-- trigger on grp, which importers upsert early in their transactions.)
CREATE OR REPLACE FUNCTION ckan_search_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ckan_search_gen SET gen = gen + 1, xact = pg_current_xact_id()
    WHERE id = 1 AND xact IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;

SELECT schema_trigger('ckan_search_doc', 'CREATE CONSTRAINT TRIGGER ckan_search_gen_doc
    AFTER INSERT OR DELETE OR UPDATE ON public.ckan_search_doc
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ckan_search_bump()');

SELECT schema_trigger('ckan_doc', 'CREATE CONSTRAINT TRIGGER ckan_search_gen_dict
    AFTER INSERT OR DELETE OR UPDATE ON public.ckan_doc
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ckan_search_bump()');

-- The Taiwan API's dataset documents are kept by the same cache (core/scache.c).
SELECT schema_trigger('tw_doc', 'CREATE CONSTRAINT TRIGGER ckan_search_gen_tw
    AFTER INSERT OR DELETE OR UPDATE ON public.tw_doc
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ckan_search_bump()');

SELECT schema_trigger('tw_doc', 'CREATE TRIGGER ckan_search_gen_tw_truncate
    AFTER TRUNCATE ON public.tw_doc
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump()');

SELECT schema_trigger('ckan_license', 'CREATE TRIGGER ckan_search_gen_license
    AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.ckan_license
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump()');

-- TRUNCATE has statement triggers only (and is no concurrent writer's business).
SELECT schema_trigger('ckan_search_doc', 'CREATE TRIGGER ckan_search_gen_doc_truncate
    AFTER TRUNCATE ON public.ckan_search_doc
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump()');

SELECT schema_trigger('ckan_doc', 'CREATE TRIGGER ckan_search_gen_dict_truncate
    AFTER TRUNCATE ON public.ckan_doc
    FOR EACH STATEMENT EXECUTE FUNCTION ckan_search_bump()');
