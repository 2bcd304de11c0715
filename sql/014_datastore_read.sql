-- 014_datastore_read: what the server's prepared datastore reads (server/ds_read.c) need, and the
-- pieces they share with tw_datastore and ckan_datastore_search so that both paths give the same
-- bytes:
--   * datastore_table.generation, a new value from a sequence on every insert or update of the
--     row (whoever writes it), so "is my copy of the field list current?" is one comparison;
--   * ds_readable(rid, viewer), the row a caller may read as one inlinable query (ds_table's
--     rule; ds_table now uses it and only tells OD100 from OD403 when it finds nothing);
--   * tw_ds_result and ckan_ds_head, the result envelopes around the records.

CREATE SEQUENCE datastore_generation;
ALTER TABLE datastore_table
    ADD COLUMN generation bigint NOT NULL DEFAULT nextval('datastore_generation');

CREATE FUNCTION ds_new_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.generation := nextval('datastore_generation');
    RETURN NEW;
END
$$;

CREATE TRIGGER datastore_table_generation BEFORE INSERT OR UPDATE ON datastore_table
    FOR EACH ROW EXECUTE FUNCTION ds_new_generation();

-- The bookkeeping row of rid when it has data, its resource is active and v (NULL: anonymous)
-- may read its dataset; no row otherwise.
CREATE FUNCTION ds_readable(rid text, v ckan_viewer) RETURNS SETOF datastore_table
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM datastore_table d
    JOIN resource r ON r.id = d.resource_id
    JOIN package p ON p.id = r.package_id
    WHERE d.resource_id = rid AND r.state = 'active'
      AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v)
$$;

-- The datastore bookkeeping row of a resource v may read (NULL: anonymous), or OD100/OD403.
CREATE OR REPLACE FUNCTION ds_table(rid text, v ckan_viewer DEFAULT NULL) RETURNS datastore_table
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t datastore_table;
BEGIN
    SELECT * INTO t FROM ds_readable(rid, v);
    IF FOUND THEN
        RETURN t;
    END IF;
    PERFORM FROM datastore_table d JOIN resource r ON r.id = d.resource_id
    WHERE d.resource_id = rid AND r.state = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Resource "%" was not found.', rid USING ERRCODE = 'OD100';
    END IF;
    -- DETAIL: the answer of an API without authorization (the Taiwan one): not found
    RAISE EXCEPTION 'User % not authorized to read resource %', ckan_viewer_name(v), rid
        USING ERRCODE = 'OD403', DETAIL = format('Resource "%s" was not found.', rid);
END
$$;

-- Taiwan endpoint 7 result around its records: flds is the fields array as JSON text.
-- (STABLE as format and to_json are: a SQL function no more volatile than its body is inlined
-- into the statement calling it, instead of being planned again at every call.)
CREATE FUNCTION tw_ds_result(rid text, flds text, recs text, lim bigint, off bigint,
                             total bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('{"resource_id": %s, "fields": %s, "records": %s, "limit": %s, "offset": %s, "total": %s}',
                  to_json(rid), flds, recs, to_json(lim), coalesce(off, 0), total)
$$;

-- Taiwan endpoint 7 result: resource_id, fields (type, id; `_id` as int4 per the spec's
-- example), records, limit, offset, total. `fields_in` limits the fields shown.
CREATE OR REPLACE FUNCTION tw_datastore(rid text, filters jsonb, q text, fields_in text[],
                                        sort text, lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t datastore_table := ds_table(rid);
    qj jsonb := CASE WHEN q IS NULL THEN NULL ELSE to_jsonb(q) END;
    sorts text[] := CASE WHEN sort IS NULL THEN NULL ELSE ARRAY[sort] END;
    recs text := ds_records_json(t, filters, qj, fields_in, sorts, lim, off, 'tw', false, false);
    flds json;
BEGIN
    SELECT json_agg(json_build_object('type', CASE WHEN x->>'id' = '_id' THEN 'int4' ELSE x->>'type' END,
                                      'id', x->>'id') ORDER BY n)
    INTO flds FROM jsonb_array_elements(ds_out_fields(t, fields_in)) WITH ORDINALITY e(x, n);
    RETURN tw_ds_result(rid, flds::text, recs, lim, off, ds_total(t, filters, qj, NULL, false));
END
$$;

-- The CKAN datastore_search result up to its records (the object's text without its closing
-- brace): the request's echo, resource_id, limit, records_format, include_total,
-- total_estimation_threshold, fields, _links, and total when include_total. p: as
-- ckan_datastore_search takes it.
CREATE FUNCTION ckan_ds_head(p jsonb, fields jsonb, total bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT left((coalesce(p->'echo', '{}') || jsonb_build_object(
        'resource_id', p->>'resource_id', 'limit', (p->>'limit')::bigint,
        'records_format', coalesce(p->>'records_format', 'objects'),
        'include_total', coalesce((p->>'include_total')::boolean, true),
        'total_estimation_threshold', p->'total_estimation_threshold',
        'fields', fields, '_links', p->'links')
        || CASE WHEN coalesce((p->>'include_total')::boolean, true)
                THEN jsonb_build_object('total', total, 'total_was_estimated', false)
                ELSE '{}' END)::text, -1)
$$;

-- p: {resource_id, filters, q, fields[], sort[], limit, offset, distinct, records_format,
--     include_total, total_estimation_threshold, links: {start, next, prev}, echo: {...}}
CREATE OR REPLACE FUNCTION ckan_datastore_search(p jsonb, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rid text := p->>'resource_id';
    t datastore_table := ds_table(rid, v);
    flt jsonb := p->'filters';
    q jsonb := p->'q';
    flds text[] := CASE WHEN p ? 'fields' THEN ARRAY(SELECT jsonb_array_elements_text(p->'fields')) END;
    srt text[] := CASE WHEN p ? 'sort' THEN ARRAY(SELECT jsonb_array_elements_text(p->'sort')) END;
    lim bigint := (p->>'limit')::bigint;
    off bigint := coalesce((p->>'offset')::bigint, 0);
    dist boolean := coalesce((p->>'distinct')::boolean, false);
    fmt text := coalesce(p->>'records_format', 'objects');
    recs text;
BEGIN
    recs := CASE fmt
        WHEN 'objects' THEN ds_records_json(t, flt, q, flds, srt, lim, off, 'ckan', false, dist)
        WHEN 'lists' THEN ds_records_json(t, flt, q, flds, srt, lim, off, 'ckan', true, dist)
        WHEN 'csv' THEN to_json(ds_records_csv(t, flt, q, flds, srt, lim, off, ',', dist))::text
        ELSE to_json(ds_records_csv(t, flt, q, flds, srt, lim, off, E'\t', dist))::text END;
    -- records go last and keep PostgreSQL's rendering (numeric digits, key order)
    RETURN ckan_ds_head(p, ckan_ds_fields(t, flds),
                        CASE WHEN coalesce((p->>'include_total')::boolean, true)
                             THEN ds_total(t, flt, q, flds, dist) END)
           || ', "records": ' || recs || '}';
END
$$;
