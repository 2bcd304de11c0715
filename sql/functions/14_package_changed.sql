-- 14_package_changed: what keeps the cached documents current (tw_doc of 03, ckan_doc of 08,
-- ckan_search_doc of 10). Every table a document reads has triggers that map the rows a
-- statement changed to the packages whose documents they feed (pkgchg_map, the one map) and
-- note those packages in package_changed (sql/migrations/019) for the transaction; at its
-- commit one deferred step rebuilds each noted package's three documents once, whatever the
-- number of rows and statements that changed it. A rolled-back transaction (or savepoint)
-- takes its notes with it. The search cache's generation moves with the documents
-- (12_ckan_search_cache). Statement triggers (transition tables) where statements change many
-- rows at once (a dataset's tags and extras); row triggers elsewhere, where most statements
-- are upserts that change one row or none, and a statement trigger would run for nothing.

-- The packages whose documents read the given rows of tbl (rows as jsonb: the inserted, the
-- deleted, or both versions of the updated ones). A table added to a document's sources
-- belongs here, with its triggers at the end of this file.
CREATE OR REPLACE FUNCTION pkgchg_map(tbl text, rows jsonb[]) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    CASE tbl
    WHEN 'package' THEN
        RETURN QUERY SELECT (r->>'id')::uuid FROM unnest(rows) r;
    WHEN 'resource', 'package_tag', 'package_extra' THEN
        -- both versions: a row moved to another package changes the old one too
        RETURN QUERY SELECT (r->>'package_id')::uuid FROM unnest(rows) r;
    WHEN 'member' THEN
        RETURN QUERY SELECT (r->>'table_id')::uuid FROM unnest(rows) r
        WHERE r->>'table_name' = 'package';
    WHEN 'package_relationship' THEN
        RETURN QUERY SELECT (r->>k)::uuid FROM unnest(rows) r,
            unnest(ARRAY['subject_package_id', 'object_package_id']) k;
    WHEN 'grp' THEN
        -- the organization of its datasets, a group of its members
        RETURN QUERY SELECT p.id FROM package p
            WHERE p.owner_org IN (SELECT (r->>'id')::uuid FROM unnest(rows) r)
        UNION SELECT m.table_id FROM member m
            WHERE m.group_id IN (SELECT (r->>'id')::uuid FROM unnest(rows) r)
              AND m.table_name = 'package';
    WHEN 'group_extra' THEN
        -- the publisher fields of an organization's datasets (those not from a Taiwan record)
        RETURN QUERY SELECT p.id FROM package p
            WHERE p.owner_org IN (SELECT (r->>'group_id')::uuid FROM unnest(rows) r);
    WHEN 'tw_category' THEN
        -- categoryCode of the category group's members
        RETURN QUERY SELECT m.table_id FROM member m
            WHERE m.group_id IN (SELECT (r->>'group_id')::uuid FROM unnest(rows) r)
              AND m.table_name = 'package';
    WHEN 'tag' THEN
        RETURN QUERY SELECT pt.package_id FROM package_tag pt
            WHERE pt.tag_id IN (SELECT (r->>'id')::uuid FROM unnest(rows) r);
    WHEN 'vocabulary' THEN
        RETURN QUERY SELECT pt.package_id FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
            WHERE t.vocabulary_id IN (SELECT (r->>'id')::uuid FROM unnest(rows) r);
    WHEN 'ckan_license' THEN
        RETURN QUERY SELECT p.id FROM package p
            WHERE p.license_id IN (SELECT r->>'id' FROM unnest(rows) r);
    WHEN 'system_info' THEN
        -- the portal's time zone: every timestamp the documents show
        RETURN QUERY SELECT p.id FROM package p
            WHERE EXISTS (SELECT 1 FROM unnest(rows) r WHERE r->>'key' = 'tw.timezone');
    END CASE;
END
$$;

-- Note packages as changed by the current transaction; the first note queues the rebuild.
CREATE OR REPLACE FUNCTION pkgchg_mark(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO package_changed (xact, package_id)
    SELECT pg_current_xact_id(), id FROM unnest(ids) id WHERE id IS NOT NULL
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        INSERT INTO package_changed_xact (xact) VALUES (pg_current_xact_id())
        ON CONFLICT DO NOTHING;
    END IF;
END
$$;

-- The statement triggers: the changed rows as jsonb through the map. An update that left a
-- row as it was (an upsert's no-op) changes no document.
CREATE OR REPLACE FUNCTION pkgchg_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    rows jsonb[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        rows := ARRAY(SELECT to_jsonb(n) FROM new_rows n);
    ELSIF TG_OP = 'DELETE' THEN
        rows := ARRAY(SELECT to_jsonb(o) FROM old_rows o);
    ELSE
        rows := ARRAY(SELECT x FROM ((SELECT to_jsonb(o) FROM old_rows o
                                      EXCEPT ALL SELECT to_jsonb(n) FROM new_rows n)
                                     UNION ALL
                                     (SELECT to_jsonb(n) FROM new_rows n
                                      EXCEPT ALL SELECT to_jsonb(o) FROM old_rows o)) d(x));
    END IF;
    IF cardinality(rows) > 0 THEN
        PERFORM pkgchg_mark(ARRAY(SELECT pkgchg_map(TG_TABLE_NAME, rows)));
    END IF;
    RETURN NULL;
END
$$;

-- The row triggers (updates only when the row changed: their WHEN clause).
CREATE OR REPLACE FUNCTION pkgchg_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pkgchg_mark(ARRAY(SELECT pkgchg_map(TG_TABLE_NAME,
        CASE TG_OP WHEN 'INSERT' THEN ARRAY[to_jsonb(NEW)] WHEN 'DELETE' THEN ARRAY[to_jsonb(OLD)]
                   ELSE ARRAY[to_jsonb(OLD), to_jsonb(NEW)] END)));
    RETURN NULL;
END
$$;

-- The deferred step, once per transaction with notes (again if SET CONSTRAINTS ran it early
-- and more changes followed): each noted package's documents, the package dict first (the
-- search document reads it), in package order so that concurrent commits lock alike.
CREATE OR REPLACE FUNCTION pkgchg_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pid uuid;
BEGIN
    DELETE FROM package_changed_xact WHERE xact = NEW.xact;
    FOR pid IN WITH d AS (DELETE FROM package_changed WHERE xact = NEW.xact RETURNING package_id)
               SELECT package_id FROM d ORDER BY package_id LOOP
        PERFORM ckan_refresh_doc(pid);
        PERFORM ckan_search_refresh(pid);
        PERFORM tw_refresh_doc(pid);
    END LOOP;
    RETURN NULL;
END
$$;

SELECT schema_trigger('package_changed_xact', 'CREATE CONSTRAINT TRIGGER pkgchg_refresh
    AFTER INSERT ON public.package_changed_xact
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pkgchg_refresh()');

SELECT schema_trigger('package_tag', 'CREATE TRIGGER pkgchg_package_tag_insert AFTER INSERT ON public.package_tag
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pkgchg_statement()');
SELECT schema_trigger('package_tag', 'CREATE TRIGGER pkgchg_package_tag_update AFTER UPDATE ON public.package_tag
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pkgchg_statement()');
SELECT schema_trigger('package_tag', 'CREATE TRIGGER pkgchg_package_tag_delete AFTER DELETE ON public.package_tag
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pkgchg_statement()');

SELECT schema_trigger('package_extra', 'CREATE TRIGGER pkgchg_package_extra_insert AFTER INSERT ON public.package_extra
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pkgchg_statement()');
SELECT schema_trigger('package_extra', 'CREATE TRIGGER pkgchg_package_extra_update AFTER UPDATE ON public.package_extra
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pkgchg_statement()');
SELECT schema_trigger('package_extra', 'CREATE TRIGGER pkgchg_package_extra_delete AFTER DELETE ON public.package_extra
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pkgchg_statement()');

SELECT schema_trigger('package', 'CREATE TRIGGER pkgchg_package AFTER INSERT OR DELETE ON public.package
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('package', 'CREATE TRIGGER pkgchg_package_update AFTER UPDATE ON public.package
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('resource', 'CREATE TRIGGER pkgchg_resource AFTER INSERT OR DELETE ON public.resource
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('resource', 'CREATE TRIGGER pkgchg_resource_update AFTER UPDATE ON public.resource
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('member', 'CREATE TRIGGER pkgchg_member AFTER INSERT OR DELETE ON public.member
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('member', 'CREATE TRIGGER pkgchg_member_update AFTER UPDATE ON public.member
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('package_relationship', 'CREATE TRIGGER pkgchg_package_relationship AFTER INSERT OR DELETE ON public.package_relationship
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('package_relationship', 'CREATE TRIGGER pkgchg_package_relationship_update AFTER UPDATE ON public.package_relationship
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('grp', 'CREATE TRIGGER pkgchg_grp AFTER INSERT OR DELETE ON public.grp
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('grp', 'CREATE TRIGGER pkgchg_grp_update AFTER UPDATE ON public.grp
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('group_extra', 'CREATE TRIGGER pkgchg_group_extra AFTER INSERT OR DELETE ON public.group_extra
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('group_extra', 'CREATE TRIGGER pkgchg_group_extra_update AFTER UPDATE ON public.group_extra
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('tw_category', 'CREATE TRIGGER pkgchg_tw_category AFTER INSERT OR DELETE ON public.tw_category
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('tw_category', 'CREATE TRIGGER pkgchg_tw_category_update AFTER UPDATE ON public.tw_category
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('tag', 'CREATE TRIGGER pkgchg_tag AFTER INSERT OR DELETE ON public.tag
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('tag', 'CREATE TRIGGER pkgchg_tag_update AFTER UPDATE ON public.tag
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('vocabulary', 'CREATE TRIGGER pkgchg_vocabulary AFTER INSERT OR DELETE ON public.vocabulary
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('vocabulary', 'CREATE TRIGGER pkgchg_vocabulary_update AFTER UPDATE ON public.vocabulary
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('ckan_license', 'CREATE TRIGGER pkgchg_ckan_license AFTER INSERT OR DELETE ON public.ckan_license
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('ckan_license', 'CREATE TRIGGER pkgchg_ckan_license_update AFTER UPDATE ON public.ckan_license
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');

SELECT schema_trigger('system_info', 'CREATE TRIGGER pkgchg_system_info AFTER INSERT OR DELETE ON public.system_info
    FOR EACH ROW EXECUTE FUNCTION pkgchg_row()');
SELECT schema_trigger('system_info', 'CREATE TRIGGER pkgchg_system_info_update AFTER UPDATE ON public.system_info
    FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION pkgchg_row()');
