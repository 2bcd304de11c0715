-- 16_ckan_tag_write: CKAN's vocabulary and tag writes (ckan-research §2.4, §5.5), sysadmins
-- only, as CKAN 2.11 answers them: vocabulary_create, vocabulary_update, vocabulary_delete,
-- tag_create, tag_delete. Each is one function f(p jsonb, site text, v ckan_viewer) RETURNS
-- text, one transaction with its authorization check (CKAN looks the object up before it asks
-- who calls, so an unknown one is 404 for anyone). Helpers come from 09 (ckan_g_*) and 15
-- (ckan_uw_*). Package dicts and search documents follow through 14_package_changed's
-- triggers on tag and package_tag.

-- Refuse a caller who is not a sysadmin (CKAN's sysadmin-only auth functions, no message).
CREATE OR REPLACE FUNCTION ckan_tw_sysadmin(v ckan_viewer) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT coalesce((v).sysadmin, false) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- CKAN's "id not in data": a bare string under id, as CKAN raises it.
CREATE OR REPLACE FUNCTION ckan_tw_need_id(p jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF ckan_uw_empty(p->'id') THEN
        RAISE EXCEPTION 'no id' USING ERRCODE = 'OD422', DETAIL = '{"id": "id not in data"}';
    END IF;
END
$$;

-- The tag name checks (not_empty, tag_length_validator, tag_name_validator): the messages.
CREATE OR REPLACE FUNCTION ckan_tw_tag_name_errors(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN ckan_uw_empty(j) THEN '["Missing value"]'::jsonb
        ELSE (SELECT coalesce(jsonb_agg(m), '[]') FROM (VALUES
            (CASE WHEN length(t) < 2 THEN format('Tag "%s" length is less than minimum 2', t)
                  WHEN length(t) > 100 THEN format('Tag "%s" length is more than maximum 100', t)
             END),
            (CASE WHEN t !~ '^[[:alnum:]_ .-]*$' THEN format('Tag "%s" can only contain '
                 'alphanumeric characters, spaces (" "), hyphens ("-"), underscores ("_") or '
                 'dots (".")', t) END)) AS x(m)
            WHERE m IS NOT NULL)
        END
    FROM (SELECT CASE jsonb_typeof(j) WHEN 'string' THEN j #>> '{}' ELSE j::text END AS t) s
$$;

-- A vocabulary's tags list checked: the per-tag error dicts aligned with the input ({} for a
-- good one), or NULL when every tag is good.
CREATE OR REPLACE FUNCTION ckan_tw_tags_errors(tags jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN bool_or(e <> '{}') THEN jsonb_agg(e ORDER BY i) END
    FROM (SELECT i, CASE WHEN jsonb_typeof(t) <> 'object'
                         THEN '{"name": ["Missing value"]}'::jsonb
                         WHEN jsonb_array_length(ckan_tw_tag_name_errors(t->'name')) > 0
                         THEN jsonb_build_object('name', ckan_tw_tag_name_errors(t->'name'))
                         ELSE '{}' END AS e
          FROM jsonb_array_elements(tags) WITH ORDINALITY AS x(t, i)) s
$$;

-- The errors of a vocabulary's name (absent: none when updating) and tags ('{}' when good).
CREATE OR REPLACE FUNCTION ckan_tw_vocab_errors(p jsonb, creating boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errs jsonb := '{}';
    vname text := ckan_uw_text(p, 'name');
BEGIN
    IF creating AND ckan_uw_empty(p->'name') THEN
        errs := ckan_uw_err(errs, 'name', 'Missing value');
    ELSIF p ? 'name' AND p->'name' <> 'null' THEN
        IF length(vname) < 2 THEN
            errs := ckan_uw_err(errs, 'name', 'Name must be at least 2 characters long');
        ELSIF length(vname) > 100 THEN
            errs := ckan_uw_err(errs, 'name', 'Name must be a maximum of 100 characters long');
        ELSIF EXISTS (SELECT 1 FROM vocabulary x WHERE x.name = ckan_uw_text(p, 'name')) THEN
            errs := ckan_uw_err(errs, 'name', 'That vocabulary name is already in use.');
        END IF;
    END IF;
    IF p ? 'tags' AND p->'tags' <> 'null' THEN
        IF jsonb_typeof(p->'tags') <> 'array' THEN
            errs := ckan_uw_err(errs, 'tags', 'Not a list');
        ELSIF ckan_tw_tags_errors(p->'tags') IS NOT NULL THEN
            errs := errs || jsonb_build_object('tags', ckan_tw_tags_errors(p->'tags'));
        END IF;
    END IF;
    RETURN errs;
END
$$;

-- Vocabulary vid's tags become exactly the names in tags (a JSON list of {name}).
CREATE OR REPLACE FUNCTION ckan_tw_set_tags(vid uuid, tags jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    names text[] := ARRAY(SELECT DISTINCT ckan_uw_text(t, 'name')
                          FROM jsonb_array_elements(tags) AS x(t));
BEGIN
    DELETE FROM tag WHERE vocabulary_id = vid AND name <> ALL (names);
    INSERT INTO tag (name, vocabulary_id)
    SELECT n, vid FROM unnest(names) AS n
    WHERE NOT EXISTS (SELECT 1 FROM tag t WHERE t.vocabulary_id = vid AND t.name = n);
END
$$;

-- vocabulary_create. p: {name, tags?}; an id may not be given.
CREATE OR REPLACE FUNCTION ckan_vocabulary_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    errs jsonb;
    voc vocabulary;
BEGIN
    PERFORM ckan_tw_sysadmin(v);
    errs := ckan_tw_vocab_errors(p, true);
    IF NOT ckan_uw_empty(p->'id') THEN
        errs := ckan_uw_err(errs, 'id', 'The input field id was not expected.');
    END IF;
    PERFORM ckan_uw_check(errs);
    INSERT INTO vocabulary (name) VALUES (ckan_uw_text(p, 'name')) RETURNING * INTO voc;
    IF jsonb_typeof(p->'tags') = 'array' THEN
        PERFORM ckan_tw_set_tags(voc.id, p->'tags');
    END IF;
    RETURN ckan_g_vocab_dict(voc)::text;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'invalid vocabulary' USING ERRCODE = 'OD422',
        DETAIL = '{"name": ["That vocabulary name is already in use."]}';
END
$$;

-- The vocabulary p's id names; OD100 as CKAN words it.
CREATE OR REPLACE FUNCTION ckan_tw_vocab(p jsonb) RETURNS vocabulary
LANGUAGE plpgsql STABLE AS $$
DECLARE
    voc vocabulary;
BEGIN
    PERFORM ckan_tw_need_id(p);
    voc := ckan_g_vocab(ckan_uw_text(p, 'id'));
    IF voc.id IS NULL THEN
        RAISE EXCEPTION 'Could not find vocabulary "%"', ckan_uw_text(p, 'id')
            USING ERRCODE = 'OD100';
    END IF;
    RETURN voc;
END
$$;

-- vocabulary_update. p: {id, name?, tags?}: a name is changed, tags given replace the tags.
CREATE OR REPLACE FUNCTION ckan_vocabulary_update(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    voc vocabulary := ckan_tw_vocab(p);
BEGIN
    IF ckan_uw_text(p, 'name') = voc.name THEN
        p := p - 'name';
    END IF;
    PERFORM ckan_tw_sysadmin(v);
    PERFORM ckan_uw_check(ckan_tw_vocab_errors(p, false));
    IF p ? 'name' AND p->'name' <> 'null' THEN
        UPDATE vocabulary SET name = ckan_uw_text(p, 'name') WHERE id = voc.id RETURNING * INTO voc;
    END IF;
    IF jsonb_typeof(p->'tags') = 'array' THEN
        PERFORM ckan_tw_set_tags(voc.id, p->'tags');
    END IF;
    RETURN ckan_g_vocab_dict(voc)::text;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'invalid vocabulary' USING ERRCODE = 'OD422',
        DETAIL = '{"name": ["That vocabulary name is already in use."]}';
END
$$;

-- vocabulary_delete. p: {id}: the vocabulary and its tags (their datasets lose them).
CREATE OR REPLACE FUNCTION ckan_vocabulary_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    voc vocabulary := ckan_tw_vocab(p);
BEGIN
    PERFORM ckan_tw_sysadmin(v);
    DELETE FROM tag WHERE vocabulary_id = voc.id;
    DELETE FROM vocabulary WHERE id = voc.id;
    RETURN 'null';
END
$$;

-- tag_create. p: {name, vocabulary_id (id or name)}: free tags are made by datasets only.
CREATE OR REPLACE FUNCTION ckan_tag_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    errs jsonb := '{}';
    voc vocabulary;
    name_errs jsonb := ckan_tw_tag_name_errors(p->'name');
    t tag;
BEGIN
    PERFORM ckan_tw_sysadmin(v);
    IF jsonb_array_length(name_errs) > 0 THEN
        errs := errs || jsonb_build_object('name', name_errs);
    END IF;
    IF ckan_uw_empty(p->'vocabulary_id') THEN
        errs := ckan_uw_err(errs, 'vocabulary_id', 'Missing value');
    ELSE
        voc := ckan_g_vocab(ckan_uw_text(p, 'vocabulary_id'));
        IF voc.id IS NULL THEN
            errs := ckan_uw_err(errs, 'vocabulary_id', 'Tag vocabulary was not found.');
        ELSIF EXISTS (SELECT 1 FROM tag x WHERE x.vocabulary_id = voc.id
                      AND x.name = ckan_uw_text(p, 'name')) THEN
            errs := ckan_uw_err(errs, 'vocabulary_id', format(
                'Tag %s already belongs to vocabulary %s', ckan_uw_text(p, 'name'),
                ckan_uw_text(p, 'vocabulary_id')));
        END IF;
    END IF;
    IF NOT ckan_uw_empty(p->'id') THEN
        errs := ckan_uw_err(errs, 'id', 'The input field id was not expected.');
    END IF;
    PERFORM ckan_uw_check(errs);
    INSERT INTO tag (name, vocabulary_id) VALUES (ckan_uw_text(p, 'name'), voc.id)
    RETURNING * INTO t;
    RETURN ckan_g_tag_dict(t)::text;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'invalid tag' USING ERRCODE = 'OD422',
        DETAIL = jsonb_build_object('vocabulary_id', jsonb_build_array(format(
            'Tag %s already belongs to vocabulary %s', ckan_uw_text(p, 'name'),
            ckan_uw_text(p, 'vocabulary_id'))))::text;
END
$$;

-- tag_delete. p: {id (id or name), vocabulary_id?}: a name is looked up among the
-- vocabulary's tags, or the free tags without one. The tag leaves every dataset.
CREATE OR REPLACE FUNCTION ckan_tag_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    ref text := ckan_uw_text(p, 'id');
    voc vocabulary;
    t tag;
BEGIN
    PERFORM ckan_tw_need_id(p);
    IF NOT ckan_uw_empty(p->'vocabulary_id') THEN
        voc := ckan_g_vocab(ckan_uw_text(p, 'vocabulary_id'));
    END IF;
    IF ckan_uw_empty(p->'vocabulary_id') OR voc.id IS NOT NULL THEN
        IF ckan_g_is_uuid(ref) THEN
            SELECT * INTO t FROM tag WHERE id = ref::uuid;
        END IF;
        IF t.id IS NULL THEN
            SELECT * INTO t FROM tag WHERE name = ref AND vocabulary_id IS NOT DISTINCT FROM voc.id;
        END IF;
    END IF;
    IF t.id IS NULL THEN
        RAISE EXCEPTION 'Could not find tag "%"', ref USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_tw_sysadmin(v);
    DELETE FROM tag WHERE id = t.id;
    RETURN 'null';
END
$$;
