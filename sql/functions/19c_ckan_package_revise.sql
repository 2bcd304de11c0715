-- 19c_ckan_package_revise: CKAN's package_revise (update.py; dictization_functions.py
-- check_dict, resolve_string_key, filter_glob_match, update_merge_dict): match the dataset as
-- package_show gives it, filter keys out of it, merge an update over it (string keys such as
-- `resources__0__name`, `resources__1492a__url` by an id prefix of 5+ characters,
-- `resources__extend`), then package_update it, in one transaction with the dataset locked.
-- The pieces answer errors as values (CKAN's DataError text) so the action can file them
-- under the key CKAN files them.

-- json_list_or_string: a text that is no JSON is a list of itself.
CREATE OR REPLACE FUNCTION ckan_rv_list(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'string' THEN jsonb_build_array(j) ELSE j END
$$;

-- list_of_strings' message, NULL when j is one (or absent).
CREATE OR REPLACE FUNCTION ckan_rv_list_error(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL THEN NULL
                WHEN jsonb_typeof(j) <> 'array' THEN 'Not a list'
                ELSE (SELECT 'Not a string: ' || x::text FROM jsonb_array_elements(j) x
                      WHERE jsonb_typeof(x) <> 'string' LIMIT 1) END
$$;

-- A string key's parts, as Python's split('__') gives them ('' is one empty part).
CREATE OR REPLACE FUNCTION ckan_rv_parts(skey text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN skey = '' THEN ARRAY[''] ELSE string_to_array(skey, '__') END
$$;

-- The paths (joined by "__") of sel's values that data does not hold (check_dict/check_list).
CREATE OR REPLACE FUNCTION ckan_rv_unmatched(data jsonb, sel jsonb, path text[])
RETURNS SETOF text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k text;
    v jsonb;
    i int;
BEGIN
    IF jsonb_typeof(sel) = 'object' THEN
        IF jsonb_typeof(data) IS DISTINCT FROM 'object' THEN
            RETURN NEXT array_to_string(path, '__');
            RETURN;
        END IF;
        FOR k, v IN SELECT * FROM jsonb_each(sel) ORDER BY 1 LOOP
            IF NOT data ? k THEN
                RETURN NEXT array_to_string(path || k, '__');
            ELSE
                RETURN QUERY SELECT ckan_rv_unmatched(data->k, v, path || k);
            END IF;
        END LOOP;
    ELSIF jsonb_typeof(sel) = 'array' THEN
        IF jsonb_typeof(data) IS DISTINCT FROM 'array' THEN
            RETURN NEXT array_to_string(path, '__');
            RETURN;
        END IF;
        FOR i IN 0 .. jsonb_array_length(sel) - 1 LOOP
            IF i >= jsonb_array_length(data) THEN
                RETURN NEXT array_to_string(path || i::text, '__');
            ELSE
                RETURN QUERY SELECT ckan_rv_unmatched(data->i, sel->i, path || i::text);
            END IF;
        END LOOP;
    ELSIF data IS DISTINCT FROM sel THEN
        RETURN NEXT array_to_string(path, '__');
    END IF;
END
$$;

-- Where a string key leads in data (resolve_string_key): its path (list indexes made
-- non-negative), or err with CKAN's text.
CREATE OR REPLACE FUNCTION ckan_rv_resolve(data jsonb, skey text, OUT path text[], OUT err text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    cur jsonb := data;
    k text;
    i int;
    n int;
BEGIN
    path := '{}';
    FOREACH k IN ARRAY ckan_rv_parts(skey) LOOP
        IF jsonb_typeof(cur) = 'object' AND cur ? k THEN
            path := path || k;
            cur := cur->k;
            CONTINUE;
        ELSIF jsonb_typeof(cur) = 'array' AND length(k) >= 5 THEN
            SELECT x.n - 1 INTO i FROM jsonb_array_elements(cur) WITH ORDINALITY x(e, n)
            WHERE jsonb_typeof(x.e) = 'object' AND starts_with(x.e->>'id', k)
            ORDER BY x.n LIMIT 1;
        ELSIF jsonb_typeof(cur) = 'array' AND k ~ '^[+-]?[0-9]{1,9}$' THEN
            n := jsonb_array_length(cur);
            i := k::int;
            i := CASE WHEN i < -n OR i >= n THEN NULL WHEN i < 0 THEN i + n ELSE i END;
        ELSE
            i := NULL;
        END IF;
        IF i IS NULL THEN
            err := 'Unmatched key ' || array_to_string(path || k, '__');
            path := NULL;
            RETURN;
        END IF;
        path := path || i::text;
        cur := cur->i;
    END LOOP;
END
$$;

-- data with the values of patterns (filter_glob_match's parsed globs: [[keep, [parts]], ...])
-- removed, "*" matching everything at its level and a kept pattern protecting what it names.
CREATE OR REPLACE FUNCTION ckan_rv_filter(data jsonb, globs jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    g jsonb;
    keep boolean;
    head text;
    idx text;
    protected text[] := '{}';
    removed text[] := '{}';
    children jsonb := '{}';
    out jsonb;
    k text;
BEGIN
    IF jsonb_typeof(data) NOT IN ('object', 'array') THEN
        RETURN data;
    END IF;
    FOR g IN SELECT * FROM jsonb_array_elements(globs) LOOP
        keep := (g->>0)::boolean;
        head := g->1->>0;
        IF head = '*' THEN
            IF jsonb_typeof(data) = 'object' THEN
                IF keep THEN
                    protected := protected || ARRAY(SELECT jsonb_object_keys(data));
                ELSE
                    removed := removed || ARRAY(SELECT jsonb_object_keys(data) EXCEPT
                                                SELECT unnest(protected));
                END IF;
            ELSE
                IF keep THEN
                    protected := protected || ARRAY(
                        SELECT i::text FROM generate_series(0, jsonb_array_length(data) - 1) i
                        EXCEPT SELECT unnest(removed));
                ELSE
                    removed := removed || ARRAY(
                        SELECT i::text FROM generate_series(0, jsonb_array_length(data) - 1) i
                        EXCEPT SELECT unnest(protected));
                END IF;
            END IF;
            CONTINUE;
        END IF;
        IF jsonb_typeof(data) = 'object' THEN
            CONTINUE WHEN NOT data ? head;
            idx := head;
        ELSE
            idx := (ckan_rv_resolve(data, head)).path[1];
            CONTINUE WHEN idx IS NULL;
        END IF;
        IF jsonb_array_length(g->1) > 1 THEN
            children := jsonb_set(children, ARRAY[idx], coalesce(children->idx, '[]')
                || jsonb_build_array(jsonb_build_array(keep, (g->1) - 0)));
        ELSIF keep THEN
            IF jsonb_typeof(data) = 'object' OR idx <> ALL (removed) THEN
                protected := protected || idx;
            END IF;
        ELSIF jsonb_typeof(data) = 'object' OR idx <> ALL (protected) THEN
            removed := removed || idx;
        END IF;
    END LOOP;
    FOR k IN SELECT jsonb_object_keys(children) LOOP
        IF k <> ALL (removed) OR k = ANY (protected) THEN
            data := jsonb_set(data, ARRAY[k], ckan_rv_filter(data->k, children->k));
        END IF;
    END LOOP;
    IF jsonb_typeof(data) = 'object' THEN
        SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}') INTO out FROM jsonb_each(data) e
        WHERE e.key <> ALL (removed) OR e.key = ANY (protected);
    ELSE
        SELECT coalesce(jsonb_agg(x.e ORDER BY x.n), '[]') INTO out
        FROM jsonb_array_elements(data) WITH ORDINALITY x(e, n)
        WHERE (x.n - 1)::text <> ALL (removed) OR (x.n - 1)::text = ANY (protected);
    END IF;
    RETURN out;
END
$$;

-- The parsed form of filter/include patterns: "+a__b" keeps, "a__b" or "-a__b" removes.
CREATE OR REPLACE FUNCTION ckan_rv_globs(patterns jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_array(starts_with(p, '+'),
                                                to_jsonb(ckan_rv_parts(ltrim(p, '-+'))))
                              ORDER BY n), '[]')
    FROM jsonb_array_elements_text(patterns) WITH ORDINALITY x(p, n)
$$;

-- update_merge_dict / update_merge_list of upd into data at path (for the error's text):
-- the merged value, or err.
CREATE OR REPLACE FUNCTION ckan_rv_merge(data jsonb, upd jsonb, path text[], OUT res jsonb,
                                         OUT err text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k text;
    v jsonb;
    i int;
    m record;
BEGIN
    res := data;
    IF jsonb_typeof(data) = 'object' THEN
        IF jsonb_typeof(upd) IS DISTINCT FROM 'object' THEN
            err := 'Expected dict for ' || array_to_string(path, '__');
            RETURN;
        END IF;
        FOR k, v IN SELECT * FROM jsonb_each(upd) LOOP
            IF res ? k AND jsonb_typeof(res->k) IN ('object', 'array') THEN
                m := ckan_rv_merge(res->k, v, path || k);
                IF m.err IS NOT NULL THEN
                    err := m.err;
                    RETURN;
                END IF;
                res := jsonb_set(res, ARRAY[k], m.res);
            ELSE
                res := res || jsonb_build_object(k, v);
            END IF;
        END LOOP;
    ELSIF jsonb_typeof(data) = 'array' THEN
        IF jsonb_typeof(upd) IS DISTINCT FROM 'array' THEN
            err := 'Expected list for ' || array_to_string(path, '__');
            RETURN;
        END IF;
        FOR i IN 0 .. jsonb_array_length(upd) - 1 LOOP
            IF i >= jsonb_array_length(res) THEN
                res := res || jsonb_build_array(upd->i);
            ELSIF jsonb_typeof(res->i) IN ('object', 'array') THEN
                m := ckan_rv_merge(res->i, upd->i, path || i::text);
                IF m.err IS NOT NULL THEN
                    err := m.err;
                    RETURN;
                END IF;
                res := jsonb_set(res, ARRAY[i::text], m.res);
            ELSE
                res := jsonb_set(res, ARRAY[i::text], upd->i);
            END IF;
        END LOOP;
    ELSE
        res := upd;
    END IF;
END
$$;

-- update_merge_string_key: value merged into data where skey leads (its last part a key of a
-- dict, an index or id prefix of a list, or `extend` to add to a list); or err.
CREATE OR REPLACE FUNCTION ckan_rv_merge_key(data jsonb, skey text, value jsonb, OUT res jsonb,
                                             OUT err text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parts text[] := ckan_rv_parts(skey);
    k text := parts[cardinality(parts)];
    parent text := array_to_string(parts[1:cardinality(parts) - 1], '__');
    path text[] := '{}';
    cur jsonb := data;
    r record;
    m record;
BEGIN
    res := data;
    IF parent <> '' THEN
        r := ckan_rv_resolve(data, parent);
        IF r.err IS NOT NULL THEN
            err := r.err;
            RETURN;
        END IF;
        path := r.path;
        cur := data #> path;
    END IF;
    IF jsonb_typeof(cur) = 'object' THEN
        m := ckan_rv_merge(cur, jsonb_build_object(k, value), path);
    ELSIF jsonb_typeof(cur) = 'array' THEN
        IF k = 'extend' THEN
            IF jsonb_typeof(value) IS DISTINCT FROM 'array' THEN
                err := 'Expected list for ' || parent;
                RETURN;
            END IF;
            SELECT cur || value AS res, NULL::text AS err INTO m;
        ELSE
            r := ckan_rv_resolve(cur, k);
            IF r.err IS NOT NULL THEN
                err := r.err;
                RETURN;
            END IF;
            path := path || r.path;
            IF jsonb_typeof(cur->(r.path[1])::int) IN ('object', 'array') THEN
                m := ckan_rv_merge(cur->(r.path[1])::int, value, path);
            ELSE
                SELECT value AS res, NULL::text AS err INTO m;
            END IF;
            IF m.err IS NULL THEN
                res := CASE WHEN cardinality(path) = 0 THEN m.res ELSE jsonb_set(data, path, m.res) END;
            ELSE
                err := m.err;
            END IF;
            RETURN;
        END IF;
    ELSE
        err := 'Expected list or dict for ' || parent;
        RETURN;
    END IF;
    IF m.err IS NOT NULL THEN
        err := m.err;
    ELSE
        res := CASE WHEN cardinality(path) = 0 THEN m.res ELSE jsonb_set(data, path, m.res) END;
    END IF;
END
$$;

-- A revise parameter as package_revise_schema reads it: JSON text parsed (json_or_string);
-- NULL when absent.
CREATE OR REPLACE FUNCTION ckan_rv_json(j jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF jsonb_typeof(j) = 'string' THEN
        BEGIN
            RETURN (j #>> '{}')::jsonb;
        EXCEPTION WHEN others THEN
            RETURN j;
        END;
    END IF;
    RETURN j;
END
$$;

-- package_revise. p: {data}: match, filter, update, include, match__*, update__*. Answers
-- {"package": the dataset as written} (include: only what its patterns keep).
CREATE OR REPLACE FUNCTION ckan_package_revise(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    match jsonb := ckan_rv_json(d->'match');
    filt jsonb := ckan_rv_json(d->'filter');
    upd jsonb := ckan_rv_json(d->'update');
    incl jsonb := ckan_rv_json(d->'include');
    errs jsonb := '{}';
    ref text;
    pk package;
    orig jsonb;
    revised jsonb;
    bad text[];
    k text;
    val jsonb;
    r record;
BEGIN
    IF match IS NOT NULL AND jsonb_typeof(match) <> 'object' THEN
        errs := ckan_gw_err(errs, 'match', 'Must be a dict');
    END IF;
    IF upd IS NOT NULL AND jsonb_typeof(upd) <> 'object' THEN
        errs := ckan_gw_err(errs, 'update', 'Must be a dict');
    END IF;
    filt := ckan_rv_list(filt);
    incl := ckan_rv_list(incl);
    IF ckan_rv_list_error(filt) IS NOT NULL THEN
        errs := ckan_gw_err(errs, 'filter', ckan_rv_list_error(filt));
    END IF;
    IF ckan_rv_list_error(incl) IS NOT NULL THEN
        errs := ckan_gw_err(errs, 'include', ckan_rv_list_error(incl));
    END IF;
    PERFORM ckan_gw_raise(errs);
    ref := coalesce(nullif(ckan_gw_text(ckan_rv_json(d->'match__id')), ''),
                    nullif(ckan_gw_text(match->'id'), ''),
                    nullif(ckan_gw_text(ckan_rv_json(d->'match__name')), ''),
                    nullif(ckan_gw_text(match->'name'), ''));
    IF ref IS NULL THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"match__id": "Missing value"}';
    END IF;
    pk := ckan_pw_lock(ref);
    IF pk.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    ELSIF NOT ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v) THEN
        RAISE EXCEPTION 'User % not authorized to read package %', ckan_viewer_name(v), pk.id
            USING ERRCODE = 'OD403';
    END IF;
    orig := ckan_build_doc(pk.id, site, ckan_portal_tz())::jsonb;
    bad := ARRAY(SELECT ckan_rv_unmatched(orig, match, '{}') WHERE match IS NOT NULL);
    FOR k, val IN SELECT substr(key, 8), ckan_rv_json(value) FROM jsonb_each(d)
                  WHERE key LIKE 'match\_\_%' ORDER BY key LOOP
        r := ckan_rv_resolve(orig, k);
        IF r.err IS NOT NULL THEN
            RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
                DETAIL = jsonb_build_object('match__' || k, jsonb_build_array(r.err))::text;
        END IF;
        bad := bad || ARRAY(SELECT ckan_rv_unmatched(orig #> r.path, val, r.path));
    END LOOP;
    IF cardinality(bad) > 0 THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = jsonb_build_object('match', to_jsonb(bad))::text;
    END IF;
    revised := orig - 'metadata_modified';
    IF filt IS NOT NULL THEN
        revised := ckan_rv_filter(revised, ckan_rv_globs(filt))
                   || jsonb_build_object('id', orig->'id');
    END IF;
    IF upd IS NOT NULL THEN
        r := ckan_rv_merge(revised, upd, '{}');
        IF r.err IS NOT NULL THEN
            RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
                DETAIL = jsonb_build_object('update', jsonb_build_array(r.err))::text;
        END IF;
        revised := r.res;
    END IF;
    -- the __extend keys first, so that new resources may be changed in the same call
    FOR k, val IN SELECT substr(key, 9), ckan_rv_json(value) FROM jsonb_each(d)
                  WHERE key LIKE 'update\_\_%'
                  ORDER BY CASE WHEN key LIKE '%extend' THEN 0 ELSE 1 END, key LOOP
        r := ckan_rv_merge_key(revised, k, val);
        IF r.err IS NOT NULL THEN
            RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
                DETAIL = jsonb_build_object(k, jsonb_build_array(r.err))::text;
        END IF;
        revised := r.res;
    END LOOP;
    PERFORM ckan_pw_check_update(pk, v, format('User %s not authorized to edit package %s',
                                               ckan_viewer_name(v), pk.id));
    PERFORM ckan_pw_check_groups(revised, pk.id, v);
    k := ckan_pw_update(pk, revised, v, site);
    IF incl IS NULL THEN
        RETURN '{"package": ' || k || '}';  -- the dict's own key order
    END IF;
    RETURN ckan_rv_filter(jsonb_build_object('package', k::jsonb), ckan_rv_globs(incl))::text;
END
$$;
