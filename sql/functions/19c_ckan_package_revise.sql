-- 19c_ckan_package_revise: CKAN's package_revise (update.py; dictization_functions.py
-- check_dict, resolve_string_key, filter_glob_match, update_merge_dict): match the dataset as
-- package_show gives it, filter keys out of it, merge an update over it (string keys such as
-- `resources__0__name`, `resources__1492a__url` by an id prefix of 5+ characters,
-- `resources__extend`), then package_update it, in one transaction with the dataset locked.
-- The pieces RAISE CKAN's DataError text as OD422; the action files it under the key CKAN
-- files it (ckan_rv_refile).

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

-- The index of a list's item a string key part names (an index, negative from the end, or
-- an id prefix of 5+ characters); NULL when none.
CREATE OR REPLACE FUNCTION ckan_rv_index(list jsonb, k text) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n int := jsonb_array_length(list);
    i int;
BEGIN
    IF length(k) >= 5 THEN
        RETURN (SELECT x.n - 1 FROM jsonb_array_elements(list) WITH ORDINALITY x(e, n)
                WHERE jsonb_typeof(x.e) = 'object' AND starts_with(x.e->>'id', k)
                ORDER BY x.n LIMIT 1);
    ELSIF k !~ '^[+-]?[0-9]{1,9}$' THEN
        RETURN NULL;
    END IF;
    i := k::int;
    RETURN CASE WHEN i < -n OR i >= n THEN NULL WHEN i < 0 THEN i + n ELSE i END;
END
$$;

-- CKAN's DataError: OD422 with its text (a JSON dict in DETAIL, should it reach a client).
CREATE OR REPLACE FUNCTION ckan_rv_data_error(msg text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION '%', msg USING ERRCODE = 'OD422',
        DETAIL = jsonb_build_object('message', msg)::text;
END
$$;

-- Where a string key leads in data (resolve_string_key): its path, list indexes made
-- non-negative; a key that leads nowhere is a DataError.
CREATE OR REPLACE FUNCTION ckan_rv_resolve(data jsonb, skey text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    path text[] := '{}';
    cur jsonb := data;
    k text;
    i int;
BEGIN
    FOREACH k IN ARRAY ckan_rv_parts(skey) LOOP
        IF jsonb_typeof(cur) = 'object' AND cur ? k THEN
            path := path || k;
            cur := cur->k;
            CONTINUE;
        END IF;
        i := CASE WHEN jsonb_typeof(cur) = 'array' THEN ckan_rv_index(cur, k) END;
        IF i IS NULL THEN
            PERFORM ckan_rv_data_error('Unmatched key ' || array_to_string(path || k, '__'));
        END IF;
        path := path || i::text;
        cur := cur->i;
    END LOOP;
    RETURN path;
END
$$;

-- The action's refusal of a DataError (the caught message) under the key CKAN files it.
CREATE OR REPLACE FUNCTION ckan_rv_refile(key text, msg text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
        DETAIL = jsonb_build_object(key, jsonb_build_array(msg))::text;
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
            idx := ckan_rv_index(data, head)::text;
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

-- update_merge_dict / update_merge_list of upd into data (path: where, for the error's
-- text): the merged value; a dict or list met by another type is a DataError.
CREATE OR REPLACE FUNCTION ckan_rv_merge(data jsonb, upd jsonb, path text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    res jsonb := data;
    k text;
    v jsonb;
    i int;
BEGIN
    IF jsonb_typeof(data) = 'object' THEN
        IF jsonb_typeof(upd) IS DISTINCT FROM 'object' THEN
            PERFORM ckan_rv_data_error('Expected dict for ' || array_to_string(path, '__'));
        END IF;
        FOR k, v IN SELECT * FROM jsonb_each(upd) LOOP
            IF res ? k AND jsonb_typeof(res->k) IN ('object', 'array') THEN
                res := jsonb_set(res, ARRAY[k], ckan_rv_merge(res->k, v, path || k));
            ELSE
                res := res || jsonb_build_object(k, v);
            END IF;
        END LOOP;
    ELSIF jsonb_typeof(data) = 'array' THEN
        IF jsonb_typeof(upd) IS DISTINCT FROM 'array' THEN
            PERFORM ckan_rv_data_error('Expected list for ' || array_to_string(path, '__'));
        END IF;
        FOR i IN 0 .. jsonb_array_length(upd) - 1 LOOP
            IF i >= jsonb_array_length(res) THEN
                res := res || jsonb_build_array(upd->i);
            ELSIF jsonb_typeof(res->i) IN ('object', 'array') THEN
                res := jsonb_set(res, ARRAY[i::text], ckan_rv_merge(res->i, upd->i, path || i::text));
            ELSE
                res := jsonb_set(res, ARRAY[i::text], upd->i);
            END IF;
        END LOOP;
    ELSE
        res := upd;
    END IF;
    RETURN res;
END
$$;

-- update_merge_string_key: value merged into data where skey leads (its last part a key of a
-- dict, an index or id prefix of a list's item, or `extend` to add to a list).
CREATE OR REPLACE FUNCTION ckan_rv_merge_key(data jsonb, skey text, value jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parts text[] := ckan_rv_parts(skey);
    k text := parts[cardinality(parts)];
    parent text := array_to_string(parts[1:cardinality(parts) - 1], '__');
    path text[] := '{}';
    cur jsonb := data;
    i int;
    merged jsonb;
BEGIN
    IF parent <> '' THEN
        path := ckan_rv_resolve(data, parent);
        cur := data #> path;
    END IF;
    IF jsonb_typeof(cur) = 'object' THEN
        merged := ckan_rv_merge(cur, jsonb_build_object(k, value), path);
    ELSIF jsonb_typeof(cur) = 'array' AND k = 'extend' THEN
        IF jsonb_typeof(value) IS DISTINCT FROM 'array' THEN
            PERFORM ckan_rv_data_error('Expected list for ' || parent);
        END IF;
        merged := cur || value;
    ELSIF jsonb_typeof(cur) = 'array' THEN
        i := (ckan_rv_resolve(cur, k))[1]::int;
        merged := jsonb_set(cur, ARRAY[i::text], CASE
            WHEN jsonb_typeof(cur->i) IN ('object', 'array')
                THEN ckan_rv_merge(cur->i, value, path || i::text)
            ELSE value END);
    ELSE
        PERFORM ckan_rv_data_error('Expected list or dict for ' || parent);
    END IF;
    RETURN CASE WHEN cardinality(path) = 0 THEN merged ELSE jsonb_set(data, path, merged) END;
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
    path text[];
    msg text;
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
        BEGIN
            path := ckan_rv_resolve(orig, k);
        EXCEPTION WHEN SQLSTATE 'OD422' THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM ckan_rv_refile('match__' || k, msg);
        END;
        bad := bad || ARRAY(SELECT ckan_rv_unmatched(orig #> path, val, path));
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
        BEGIN
            revised := ckan_rv_merge(revised, upd, '{}');
        EXCEPTION WHEN SQLSTATE 'OD422' THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM ckan_rv_refile('update', msg);
        END;
    END IF;
    -- the __extend keys first, so that new resources may be changed in the same call
    FOR k, val IN SELECT substr(key, 9), ckan_rv_json(value) FROM jsonb_each(d)
                  WHERE key LIKE 'update\_\_%'
                  ORDER BY CASE WHEN key LIKE '%extend' THEN 0 ELSE 1 END, key LOOP
        BEGIN
            revised := ckan_rv_merge_key(revised, k, val);
        EXCEPTION WHEN SQLSTATE 'OD422' THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM ckan_rv_refile(k, msg);
        END;
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
