-- 22_ckan_view_rel: CKAN's resource views (resource_view_create, _update, _delete, _show,
-- _list, _reorder, _clear) and the writes of dataset relationships
-- (package_relationship_create, _update, _delete), as CKAN 2.11 answers them. Each action is
-- one function f(p jsonb, site text, v ckan_viewer) RETURNS text, one transaction, every
-- refusal RAISEd (docs/ARCHITECTURE.md, "SQL → C"), checked in CKAN's order (its action first
-- looks the objects up, then validates, then asks its auth function).

-- CKAN's "not value": absent, null, "", false, 0, [] and {} are all missing (not_empty,
-- ignore_empty).
CREATE OR REPLACE FUNCTION ckan_vr_missing(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL THEN true
                WHEN jsonb_typeof(j) = 'number' THEN j::text::numeric = 0
                ELSE j IN ('null', '""', 'false', '[]', '{}') END
$$;

-- A value as Python's repr shows it, for CKAN's "%r" messages.
CREATE OR REPLACE FUNCTION ckan_vr_repr(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'string' THEN
            CASE WHEN strpos(s, '''') > 0 AND strpos(s, '"') = 0
                 THEN '"' || replace(s, '\', '\\') || '"'
                 ELSE '''' || replace(replace(s, '\', '\\'), '''', '\''') || '''' END
        WHEN 'null' THEN 'None'
        WHEN 'boolean' THEN CASE WHEN j = 'true' THEN 'True' ELSE 'False' END
        ELSE j::text END
    FROM (SELECT j #>> '{}' AS s) x
$$;

-- CKAN's get_or_bust of several keys: OD422 naming every absent one.
CREATE OR REPLACE FUNCTION ckan_vr_get_or_bust(d jsonb, keys text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    errs jsonb := '{}';
    k text;
BEGIN
    FOREACH k IN ARRAY keys LOOP
        IF NOT d ? k THEN
            errs := ckan_gw_err(errs, k, 'Missing value');
        END IF;
    END LOOP;
    PERFORM ckan_gw_raise(errs);
END
$$;

-- What CKAN's auth functions outside get.py answer an anonymous caller first.
CREATE OR REPLACE FUNCTION ckan_vr_need_user(v ckan_viewer, action text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF (ckan_authz_user(v)).id IS NULL THEN
        RAISE EXCEPTION 'Action % requires an authenticated user', action USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- May v edit dataset pid? CKAN's package_update auth: update_dataset in its organization; a
-- dataset without one by the unowned-dataset switches, or by create_dataset in any
-- organization.
CREATE OR REPLACE FUNCTION ckan_vr_may_update(v ckan_viewer, pid uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT ckan_authz_is_sysadmin(v) OR coalesce((
        SELECT CASE WHEN pk.owner_org IS NOT NULL
                    THEN ckan_authz_has(v, 'update_dataset', pk.owner_org)
               ELSE (ckan_authz_user(v)).id IS NOT NULL
                    AND (ckan_authz_config('create_dataset_if_not_in_organization')
                         AND ckan_authz_config('create_unowned_dataset')
                         OR EXISTS (SELECT 1 FROM member m JOIN grp g ON g.id = m.group_id
                                    WHERE m.table_name = 'user' AND m.table_id = (v).user_id
                                      AND m.state = 'active' AND g.state = 'active'
                                      AND g.is_organization
                                      AND ckan_authz_role_has(m.capacity, 'create_dataset')))
               END
        FROM package pk WHERE pk.id = pid), false)
$$;

-- ---------------------------------------------------------------------------------------------
-- Resource views

-- The view types served (CKAN's view plugins shipped with 2.11 that need no other service).
CREATE OR REPLACE FUNCTION ckan_vr_view_types() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['audio_view', 'datatables_view', 'image_view', 'text_view', 'video_view',
                 'webpage_view']
$$;

-- The keys a view type's schema adds to the view's own (its config).
CREATE OR REPLACE FUNCTION ckan_vr_view_keys(view_type text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE view_type
        WHEN 'audio_view' THEN ARRAY['audio_url']
        WHEN 'image_view' THEN ARRAY['image_url']
        WHEN 'video_view' THEN ARRAY['video_url', 'poster_url']
        WHEN 'webpage_view' THEN ARRAY['page_url']
        WHEN 'datatables_view' THEN ARRAY['responsive', 'ellipsis_length', 'date_format',
                                          'show_fields', 'filterable', 'filter_fields',
                                          'filter_values']
        ELSE '{}'::text[] END
$$;

-- CKAN's default(def) then boolean_validator.
CREATE OR REPLACE FUNCTION ckan_vr_bool(j jsonb, def boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL OR j IN ('null', '""') THEN def
                WHEN jsonb_typeof(j) = 'boolean' THEN j = 'true'
                ELSE lower(ckan_gw_text(j)) IN ('true', 'yes', 't', 'y', '1') END
$$;

-- A value as convert_to_list_if_string leaves it: a list, or a one-item list.
CREATE OR REPLACE FUNCTION ckan_vr_list(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) = 'null' THEN NULL
                WHEN jsonb_typeof(j) = 'array' THEN j ELSE jsonb_build_array(j) END
$$;

-- datatables_view's filter_fields and filter_values (its filtered schema): both lists of the
-- same length; the filters dict {field: [values]} made from them.
CREATE OR REPLACE FUNCTION ckan_vr_filters(d jsonb, INOUT errs jsonb, INOUT config jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fields jsonb := ckan_vr_list(d->'filter_fields');
    vals jsonb := ckan_vr_list(d->'filter_values');
    same text := '"filter_fields" and "filter_values" should have the same length';
BEGIN
    IF vals IS NOT NULL THEN
        config := config || jsonb_build_object('filter_values', vals);
    END IF;
    IF fields IS NULL THEN
        RETURN;
    END IF;
    config := config || jsonb_build_object('filter_fields', fields);
    IF jsonb_array_length(fields) <> jsonb_array_length(coalesce(vals, '[]')) THEN
        errs := ckan_gw_err(ckan_gw_err(errs, 'filter_fields', same), 'filter_values', same);
    END IF;
    IF jsonb_array_length(fields) = 0 THEN
        errs := ckan_gw_err(errs, 'filter_fields',
                            '"filter_fields" is required when "filter_values" is filled');
    END IF;
    IF coalesce(jsonb_array_length(vals), 0) = 0 THEN
        errs := ckan_gw_err(errs, 'filter_values',
                            '"filter_values" is required when "filter_fields" is filled');
    END IF;
    config := config || jsonb_build_object('filters', (
        SELECT coalesce(jsonb_object_agg(f, vs), '{}')
        FROM (SELECT ckan_gw_text(f.v) AS f, jsonb_agg(x.v ORDER BY f.n) AS vs
              FROM jsonb_array_elements(fields) WITH ORDINALITY f(v, n)
              JOIN jsonb_array_elements(coalesce(vals, '[]')) WITH ORDINALITY x(v, n)
                ON x.n = f.n
              GROUP BY 1) g));
END
$$;

-- datatables_view's own keys with their defaults.
CREATE OR REPLACE FUNCTION ckan_vr_datatables(d jsonb, INOUT errs jsonb, OUT config jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    len jsonb := d->'ellipsis_length';
    n numeric;
    filters jsonb;
BEGIN
    config := jsonb_build_object('responsive', ckan_vr_bool(d->'responsive', false),
                                 'filterable', ckan_vr_bool(d->'filterable', true));
    config := config || jsonb_build_object('date_format',
        CASE WHEN d->'date_format' IS NULL OR d->'date_format' IN ('null', '""')
             THEN '"llll"' ELSE d->'date_format' END);
    IF d->'show_fields' IS NOT NULL AND d->'show_fields' <> 'null' THEN
        config := config || jsonb_build_object('show_fields', d->'show_fields');
    END IF;
    IF len IS NULL OR len IN ('null', '""') THEN
        n := 100;
    ELSIF jsonb_typeof(len) = 'number' AND len::text::numeric = trunc(len::text::numeric)
          OR jsonb_typeof(len) = 'string' AND len #>> '{}' ~ '^\s*[-+]?[0-9]{1,15}\s*$' THEN
        n := (len #>> '{}')::numeric;
    ELSE
        errs := ckan_gw_err(errs, 'ellipsis_length', 'Invalid integer');
    END IF;
    IF n < 0 THEN
        errs := ckan_gw_err(errs, 'ellipsis_length', 'Must be a natural number');
    ELSIF n IS NOT NULL THEN
        config := config || jsonb_build_object('ellipsis_length', n);
    END IF;
    SELECT f.errs, f.config INTO errs, filters FROM ckan_vr_filters(d, errs, '{}') f;
    config := config || filters;
END
$$;

-- A view type's own keys from d, checked (the plugin's schema): the config to store.
CREATE OR REPLACE FUNCTION ckan_vr_view_config(view_type text, d jsonb, INOUT errs jsonb,
                                               OUT config jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF view_type = 'datatables_view' THEN
        SELECT x.errs, x.config INTO errs, config FROM ckan_vr_datatables(d, errs) x;
        RETURN;
    END IF;
    -- the URL keys: ignore_empty, unicode_safe
    SELECT coalesce(jsonb_object_agg(k, ckan_gw_text(d->k)), '{}') INTO config
    FROM unnest(ckan_vr_view_keys(view_type)) k WHERE NOT ckan_vr_missing(d->k);
END
$$;

-- The fields of CKAN's create (self NULL) or update resource view schema checked against d:
-- the errors, and the config to store.
CREATE OR REPLACE FUNCTION ckan_vr_view_check(d jsonb, view_type text, self uuid,
                                              v ckan_viewer, OUT errs jsonb, OUT config jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    known text[] := ARRAY['id', 'resource_id', 'title', 'description', 'view_type']
                    || ckan_vr_view_keys(view_type)
                    || CASE WHEN self IS NOT NULL THEN ARRAY['package_id'] ELSE '{}' END;
    rid text := ckan_gw_text(d->'resource_id');
    given_id text := ckan_gw_text(d->'id');
BEGIN
    errs := '{}';
    IF self IS NULL AND NOT ckan_vr_missing(d->'id') THEN
        IF NOT ckan_authz_is_sysadmin(v) THEN
            errs := ckan_gw_err(errs, 'id', 'The input field id was not expected.');
        ELSIF NOT ckan_g_is_uuid(given_id) THEN
            errs := ckan_gw_err(errs, 'id', 'Invalid id provided');
        ELSIF EXISTS (SELECT 1 FROM resource_view rv WHERE rv.id = given_id::uuid) THEN
            errs := ckan_gw_err(errs, 'id', 'ResourceView id already exists');
        END IF;
    END IF;
    IF self IS NULL AND ckan_vr_missing(d->'resource_id') THEN
        errs := ckan_gw_err(errs, 'resource_id', 'Missing value');
    ELSIF d->'resource_id' IS NOT NULL AND d->'resource_id' <> 'null'
          AND NOT EXISTS (SELECT 1 FROM resource r WHERE r.id = rid AND r.state = 'active') THEN
        errs := ckan_gw_err(errs, 'resource_id', 'Resource not found: ' || rid);
    END IF;
    IF self IS NULL AND ckan_vr_missing(d->'title') THEN
        errs := ckan_gw_err(errs, 'title', 'Missing value');
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_object_keys(d) k WHERE k <> ALL(known)) THEN
        errs := ckan_gw_err(errs, '__extras', 'The input field __extras was not expected.');
    END IF;
    SELECT x.errs, x.config INTO errs, config FROM ckan_vr_view_config(view_type, d, errs) x;
END
$$;

-- A view as CKAN's resource_view_dictize shows it: its columns but order, its config's keys,
-- its dataset's id.
CREATE OR REPLACE FUNCTION ckan_vr_view_dict(rv resource_view) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT (jsonb_build_object('id', rv.id, 'resource_id', rv.resource_id, 'title', rv.title,
                               'description', rv.description, 'view_type', rv.view_type)
            || rv.config
            || jsonb_build_object('package_id', (SELECT r.package_id FROM resource r
                                                 WHERE r.id = rv.resource_id)))::text
$$;

-- A view by its id as given (an id that is no UUID names none).
CREATE OR REPLACE FUNCTION ckan_vr_view(ref jsonb) RETURNS resource_view
LANGUAGE sql STABLE AS $$
    SELECT rv FROM resource_view rv
    WHERE ckan_g_is_uuid(ckan_gw_text(ref)) AND rv.id = ckan_gw_text(ref)::uuid
$$;

-- OD403 with CKAN's text unless v may edit the dataset of resource rid.
CREATE OR REPLACE FUNCTION ckan_vr_check_resource(v ckan_viewer, rid text, action text,
                                                  msg text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM ckan_vr_need_user(v, action);
    IF NOT ckan_vr_may_update(v, (SELECT r.package_id FROM resource r WHERE r.id = rid)) THEN
        RAISE EXCEPTION 'User % not authorized to %', ckan_viewer_name(v), msg
            USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- OD403 with resource_show's text unless v may read resource rid.
CREATE OR REPLACE FUNCTION ckan_vr_check_read(v ckan_viewer, rid text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT ckan_package_visible((SELECT r.package_id FROM resource r WHERE r.id = rid), v) THEN
        RAISE EXCEPTION 'User % not authorized to read resource %', ckan_viewer_name(v), rid
            USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- One writer at a time of a resource's view order (a new view goes after the last one).
CREATE OR REPLACE FUNCTION ckan_vr_lock_views(rid text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('resource_view ' || rid, 0))
$$;

-- resource_view_create: the new view, last in its resource's order.
CREATE OR REPLACE FUNCTION ckan_resource_view_create(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    vt text := ckan_gw_text(p->'view_type');
    chk record;
    rid text := ckan_gw_text(p->'resource_id');
    rv resource_view;
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['resource_id']);
    PERFORM ckan_vr_get_or_bust(p, ARRAY['view_type']);
    IF vt IS NULL OR vt <> ALL(ckan_vr_view_types()) THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422', DETAIL = jsonb_build_object(
            'view_type', 'No plugin found for view_type ' || coalesce(vt, 'None'))::text;
    END IF;
    SELECT * INTO chk FROM ckan_vr_view_check(p, vt, NULL, v);
    PERFORM ckan_gw_raise(chk.errs);
    PERFORM ckan_vr_check_resource(v, rid, 'resource_view_create',
        format('create resources on dataset %s',
               (SELECT r.package_id FROM resource r WHERE r.id = rid)));
    PERFORM ckan_vr_lock_views(rid);
    INSERT INTO resource_view (id, resource_id, title, description, view_type, "order", config)
    VALUES (coalesce(CASE WHEN NOT ckan_vr_missing(p->'id') THEN ckan_gw_text(p->'id')::uuid END,
                     gen_random_uuid()),
            rid, ckan_gw_text(p->'title'), ckan_gw_text(p->'description'), vt,
            coalesce((SELECT max(x."order") + 1 FROM resource_view x WHERE x.resource_id = rid),
                     0),
            chk.config)
    RETURNING * INTO rv;
    RETURN ckan_vr_view_dict(rv);
END
$$;

-- resource_view_update: the given fields over the stored view; the config replaced.
CREATE OR REPLACE FUNCTION ckan_resource_view_update(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    rv resource_view;
    chk record;
    rid text;
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['id']);
    rv := ckan_vr_view(p->'id');
    IF rv.id IS NULL THEN
        RAISE EXCEPTION 'Resource view was not found.' USING ERRCODE = 'OD100';
    END IF;
    SELECT * INTO chk FROM ckan_vr_view_check(p, rv.view_type, rv.id, v);
    PERFORM ckan_gw_raise(chk.errs);
    PERFORM ckan_vr_check_resource(v, rv.resource_id, 'resource_view_update',
                                   format('edit resource %s', rv.resource_id));
    rid := coalesce(ckan_gw_text(p->'resource_id'), rv.resource_id);
    IF rid <> rv.resource_id THEN  -- moved: the new resource's dataset must be editable too
        PERFORM ckan_vr_check_resource(v, rid, 'resource_view_update',
                                       format('edit resource %s', rid));
    END IF;
    UPDATE resource_view x
    SET resource_id = rid,
        title = coalesce(ckan_gw_text(p->'title'), x.title),  -- ignore_missing: null keeps
        description = coalesce(ckan_gw_text(p->'description'), x.description),
        config = chk.config
    WHERE x.id = rv.id
    RETURNING * INTO rv;
    RETURN ckan_vr_view_dict(rv);
END
$$;

-- resource_view_delete: {resource_id} of the view deleted.
CREATE OR REPLACE FUNCTION ckan_resource_view_delete(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    rv resource_view;
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['id']);
    rv := ckan_vr_view(p->'id');
    IF rv.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_vr_check_resource(v, rv.resource_id, 'resource_view_delete',
                                   format('delete resource %s', rv.resource_id));
    DELETE FROM resource_view x WHERE x.id = rv.id;
    RETURN json_build_object('resource_id', rv.resource_id)::text;
END
$$;

-- resource_view_show: one view, for those who may read its resource.
CREATE OR REPLACE FUNCTION ckan_resource_view_show(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rv resource_view;
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['id']);
    rv := ckan_vr_view(p->'id');
    IF rv.id IS NULL THEN  -- CKAN's auth function says so first; sysadmins skip it
        RAISE EXCEPTION '%', CASE WHEN ckan_authz_is_sysadmin(v) THEN ''
                                  ELSE 'Resource view not found, cannot check auth.' END
            USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_vr_check_read(v, rv.resource_id);
    RETURN ckan_vr_view_dict(rv);
END
$$;

-- resource_view_list: a resource's views in their order.
CREATE OR REPLACE FUNCTION ckan_resource_view_list(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rid text := ckan_gw_text(p->'id');
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['id']);
    IF NOT EXISTS (SELECT 1 FROM resource r WHERE r.id = rid) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_vr_check_read(v, rid);
    RETURN (SELECT coalesce(json_agg(ckan_vr_view_dict(rv)::json ORDER BY rv."order", rv.id),
                            '[]')::text
            FROM resource_view rv WHERE rv.resource_id = rid);
END
$$;

-- resource_view_reorder: the views named first, in the order given, then the others as they
-- were; {id, order}.
CREATE OR REPLACE FUNCTION ckan_resource_view_reorder(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    rid text := ckan_gw_text(p->'id');
    ord jsonb := p->'order';
    bad text;
    ids text[];
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['id', 'order']);
    IF jsonb_typeof(ord) <> 'array' THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"order": "Must supply order as a list"}';
    ELSIF (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(ord) e) THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"order": "No duplicates allowed in order"}';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM resource r WHERE r.id = rid) THEN
        RAISE EXCEPTION 'Resource was not found.' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_vr_check_resource(v, rid, 'resource_view_reorder',
                                   format('edit resource %s', rid));
    PERFORM ckan_vr_lock_views(rid);
    SELECT ckan_gw_text(e) INTO bad FROM jsonb_array_elements(ord) WITH ORDINALITY x(e, n)
    WHERE jsonb_typeof(e) <> 'string'
       OR NOT EXISTS (SELECT 1 FROM resource_view rv
                      WHERE rv.resource_id = rid AND rv.id::text = e #>> '{}')
    ORDER BY n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = jsonb_build_object('order', format('View %s does not exist', bad))::text;
    END IF;
    SELECT array_agg(id ORDER BY k) INTO ids FROM (
        SELECT e #>> '{}' AS id, n AS k FROM jsonb_array_elements(ord) WITH ORDINALITY x(e, n)
        UNION ALL
        SELECT rv.id::text, jsonb_array_length(ord) + row_number() OVER (ORDER BY rv."order")
        FROM resource_view rv
        WHERE rv.resource_id = rid AND NOT ord @> to_jsonb(ARRAY[rv.id::text])) o;
    UPDATE resource_view rv SET "order" = array_position(ids, rv.id::text)
    WHERE rv.resource_id = rid;
    RETURN json_build_object('id', rid, 'order', coalesce(ids, '{}'))::text;
END
$$;

-- resource_view_clear (sysadmins): every view, or those of the given view_types.
CREATE OR REPLACE FUNCTION ckan_resource_view_clear(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    types jsonb := ckan_vr_list(p->'view_types');
BEGIN
    PERFORM ckan_vr_need_user(v, 'resource_view_clear');
    PERFORM ckan_authz_check_sysadmin(v);
    DELETE FROM resource_view rv
    WHERE coalesce(jsonb_array_length(types), 0) = 0 OR types @> to_jsonb(ARRAY[rv.view_type]);
    RETURN 'null';
END
$$;

-- A deleted resource takes its views with it.
CREATE OR REPLACE FUNCTION ckan_vr_resource_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'deleted' THEN
        DELETE FROM resource_view rv WHERE rv.resource_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

SELECT schema_trigger('resource', 'CREATE TRIGGER resource_view_deleted AFTER UPDATE OF state ON public.resource
    FOR EACH ROW EXECUTE FUNCTION ckan_vr_resource_deleted()');

-- ---------------------------------------------------------------------------------------------
-- Dataset relationships

-- CKAN's relationship types, each forward type before its reverse.
CREATE OR REPLACE FUNCTION ckan_vr_rel_types() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['depends_on', 'dependency_of', 'derives_from', 'has_derivation', 'links_to',
                 'linked_from', 'child_of', 'parent_of']
$$;

-- The subject and object datasets named by p (any state), or OD100 with CKAN's text.
CREATE OR REPLACE FUNCTION ckan_vr_rel_packages(p jsonb, OUT subj uuid, OUT obj uuid)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM ckan_vr_get_or_bust(p, ARRAY['subject', 'object', 'type']);
    subj := ckan_gw_package_id(ckan_gw_text(p->'subject'));
    obj := ckan_gw_package_id(ckan_gw_text(p->'object'));
    IF subj IS NULL THEN
        RAISE EXCEPTION 'Subject package % was not found.', ckan_vr_repr(p->'subject')
            USING ERRCODE = 'OD100';
    ELSIF obj IS NULL THEN
        RAISE EXCEPTION 'Object package % was not found.', ckan_vr_repr(p->'object')
            USING ERRCODE = 'OD100';
    END IF;
END
$$;

-- type: one of CKAN's (one_of: "" passes); required when required.
CREATE OR REPLACE FUNCTION ckan_vr_rel_check_type(p jsonb, required boolean) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t text := ckan_gw_text(p->'type');
    errs jsonb := '{}';
BEGIN
    IF required AND ckan_vr_missing(p->'type') THEN
        errs := ckan_gw_err(errs, 'type', 'Missing value');
    ELSIF t IS NOT NULL AND t <> '' AND t <> ALL(ckan_vr_rel_types()) THEN
        errs := ckan_gw_err(errs, 'type', 'Value must be one of '
            || (SELECT '[' || string_agg('''' || x || '''', ', ') || ']'
                FROM unnest(ckan_vr_rel_types()) x));
    END IF;
    IF required AND NOT ckan_vr_missing(p->'id') THEN
        errs := ckan_gw_err(errs, 'id', 'The input field id was not expected.');
    END IF;
    PERFORM ckan_gw_raise(errs);
END
$$;

-- The active relationship of s to o of type t as either side names it (CKAN's
-- get_relationships_with), locked; NULL when there is none.
CREATE OR REPLACE FUNCTION ckan_vr_rel_find(s uuid, o uuid, t text) RETURNS package_relationship
LANGUAGE sql VOLATILE AS $$
    SELECT x FROM package_relationship x
    WHERE x.state = 'active'
      AND (x.subject_package_id = s AND x.object_package_id = o AND x.type = t
           OR x.subject_package_id = o AND x.object_package_id = s
              AND x.type = ckan_rel_reverse(t))
    ORDER BY x.id LIMIT 1 FOR UPDATE
$$;

-- A relationship as CKAN's as_dict shows it, as stored, datasets by name.
CREATE OR REPLACE FUNCTION ckan_vr_rel_dict(x package_relationship) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('subject', (SELECT name FROM package WHERE id = x.subject_package_id),
                             'type', x.type,
                             'object', (SELECT name FROM package WHERE id = x.object_package_id),
                             'comment', x.comment)::text
$$;

-- package_relationship_create / _update / _delete: edit rights on both datasets.
CREATE OR REPLACE FUNCTION ckan_vr_rel_check(v ckan_viewer, s uuid, o uuid, action text,
                                             msg text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM ckan_vr_need_user(v, action);
    IF NOT (ckan_vr_may_update(v, s) AND ckan_vr_may_update(v, o)) THEN
        RAISE EXCEPTION 'User % not authorized to %', ckan_viewer_name(v), msg
            USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- package_relationship_create: a new relationship, stored in its forward form; an active one
-- already there gets the comment; a deleted one comes back.
CREATE OR REPLACE FUNCTION ckan_package_relationship_create(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk record := ckan_vr_rel_packages(p);
    t text := ckan_gw_text(p->'type');
    note text := coalesce(ckan_gw_text(p->'comment'), '');
    fwd boolean;
    x package_relationship;
BEGIN
    PERFORM ckan_vr_rel_check_type(p, true);
    PERFORM ckan_vr_rel_check(v, pk.subj, pk.obj, 'package_relationship_create',
                              'edit these packages');
    x := ckan_vr_rel_find(pk.subj, pk.obj, t);
    IF x.id IS NOT NULL THEN
        UPDATE package_relationship r SET comment = note WHERE r.id = x.id RETURNING * INTO x;
        RETURN ckan_vr_rel_dict(x);
    END IF;
    fwd := array_position(ckan_vr_rel_types(), t) % 2 = 1;
    INSERT INTO package_relationship AS r (subject_package_id, object_package_id, type, comment)
    VALUES (CASE WHEN fwd THEN pk.subj ELSE pk.obj END, CASE WHEN fwd THEN pk.obj ELSE pk.subj END,
            CASE WHEN fwd THEN t ELSE ckan_rel_reverse(t) END, note)
    ON CONFLICT (subject_package_id, object_package_id, type) DO UPDATE
    SET state = 'active', comment = CASE WHEN note <> '' THEN note ELSE r.comment END
    RETURNING * INTO x;
    RETURN ckan_vr_rel_dict(x);
END
$$;

-- package_relationship_update: a new comment (omitted: none).
CREATE OR REPLACE FUNCTION ckan_package_relationship_update(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk record := ckan_vr_rel_packages(p);
    x package_relationship;
BEGIN
    PERFORM ckan_vr_rel_check_type(p, false);
    PERFORM ckan_vr_rel_check(v, pk.subj, pk.obj, 'package_relationship_update',
                              'edit these packages');
    x := ckan_vr_rel_find(pk.subj, pk.obj, ckan_gw_text(p->'type'));
    IF x.id IS NULL THEN
        RAISE EXCEPTION 'This relationship between the packages was not found.'
            USING ERRCODE = 'OD100';
    END IF;
    UPDATE package_relationship r SET comment = coalesce(ckan_gw_text(p->'comment'), '')
    WHERE r.id = x.id AND r.comment IS DISTINCT FROM coalesce(ckan_gw_text(p->'comment'), '');
    RETURN ckan_vr_rel_dict((SELECT r FROM package_relationship r WHERE r.id = x.id));
END
$$;

-- package_relationship_delete: state deleted; null.
CREATE OR REPLACE FUNCTION ckan_package_relationship_delete(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk record := ckan_vr_rel_packages(p);
    x package_relationship := ckan_vr_rel_find(pk.subj, pk.obj, ckan_gw_text(p->'type'));
BEGIN
    IF x.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_vr_rel_check(v, pk.subj, pk.obj, 'package_relationship_delete',
                              format('delete relationship %s', x.id));
    UPDATE package_relationship r SET state = 'deleted' WHERE r.id = x.id;
    RETURN 'null';
END
$$;
