-- 25_i18n: the portal's languages. Datasets, resources, groups and organizations keep
-- translations of their texts as {lang: text} objects (title_translated, notes_translated,
-- name_translated, description_translated; keys en, zh_TW, zh_CN, as ckanext-fluent spells
-- them). The language endpoints (/en-data, /tc-data, /sc-data) put one language's text in the
-- plain keys (title, notes, name, description, display_name), the default text where a
-- translation is missing; /api/3 shows the default text.
--
-- The language of a read is a setting of its transaction (opendatad.lang), set by the
-- statement the server runs (server/ckan/ckan_call.h, CKAN_LANG_WITH); writes never set it, so
-- what a write stores (activities, a patch's merged dict) is the same under every prefix.

-- The language the running read asks for: 'en', 'zh_TW', 'zh_CN', or NULL (the default text).
CREATE OR REPLACE FUNCTION ckan_lang() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE current_setting('opendatad.lang', true) WHEN 'en' THEN 'en'
        WHEN 'zh_TW' THEN 'zh_TW' WHEN 'zh_CN' THEN 'zh_CN' END
$$;

-- t in language lang: its translation in tr ({lang: text}), else t itself.
CREATE OR REPLACE FUNCTION ckan_tr(t text, tr jsonb, lang text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN lang IS NULL OR jsonb_typeof(tr) IS DISTINCT FROM 'object' THEN t
                ELSE coalesce(nullif(tr->>lang, ''), t) END
$$;

-- Whether anything a dataset's dict shows has a translation: its own texts, a resource's, its
-- organization's or a group's. Only then are its language dicts built and kept.
CREATE OR REPLACE FUNCTION ckan_i18n_has(pid uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM package p WHERE p.id = pid AND p.translated IS NOT NULL)
        OR EXISTS (SELECT 1 FROM resource r WHERE r.package_id = pid AND r.state = 'active'
                   AND r.extras ?| ARRAY['name_translated', 'description_translated'])
        OR EXISTS (SELECT 1 FROM package p JOIN grp g ON g.id = p.owner_org
                   WHERE p.id = pid AND g.translated IS NOT NULL)
        OR EXISTS (SELECT 1 FROM member m JOIN grp g ON g.id = m.group_id
                   WHERE m.table_id = pid AND m.table_name = 'package' AND m.state = 'active'
                     AND g.translated IS NOT NULL)
$$;

-- The texts of a translation object (all languages), for the search document.
CREATE OR REPLACE FUNCTION ckan_i18n_text(tr jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(tr) = 'object'
        THEN (SELECT string_agg(v, ' ' ORDER BY k) FROM jsonb_each_text(tr) x(k, v)) END
$$;

-- A group's translations as a write gives them (d: the request dict): {title_translated,
-- description_translated} of the keys given (others kept from old), NULL when none is left.
CREATE OR REPLACE FUNCTION ckan_i18n_group_put(d jsonb, old jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(jsonb_strip_nulls(jsonb_build_object(
        'title_translated', CASE WHEN d ? 'title_translated'
            THEN ckan_pw_translated(d->'title_translated') ELSE old->'title_translated' END,
        'description_translated', CASE WHEN d ? 'description_translated'
            THEN ckan_pw_translated(d->'description_translated')
            ELSE old->'description_translated' END)), '{}')
$$;

-- The errors of a group write's translations, added to errs (the dataset ones' messages).
CREATE OR REPLACE FUNCTION ckan_i18n_group_errors(errs jsonb, d jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['title_translated', 'description_translated'] LOOP
        IF d ? k AND jsonb_typeof(d->k) <> 'null' AND ckan_pw_translated_error(d->k) IS NOT NULL THEN
            errs := ckan_gw_err(errs, k, ckan_pw_translated_error(d->k));
        END IF;
    END LOOP;
    RETURN errs;
END
$$;

-- A package dict stored earlier (an activity's snapshot) with its texts in language lang: the
-- dataset's and its resources' from the translations the dict holds, its organization's and
-- groups' from the groups' translations now. NULL lang: the dict as stored.
CREATE OR REPLACE FUNCTION ckan_i18n_package(d jsonb, lang text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    k text;
BEGIN
    IF lang IS NULL OR jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
        RETURN d;
    END IF;
    FOREACH k IN ARRAY ARRAY['title', 'notes'] LOOP
        IF coalesce(d->(k || '_translated')->>lang, '') <> '' THEN
            d := jsonb_set(d, ARRAY[k], d->(k || '_translated')->lang);
        END IF;
    END LOOP;
    IF jsonb_typeof(d->'resources') = 'array' THEN
        d := jsonb_set(d, '{resources}', (
            SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(r) = 'object' THEN r
                || jsonb_strip_nulls(jsonb_build_object(
                       'name', nullif(r->'name_translated'->>lang, ''),
                       'description', nullif(r->'description_translated'->>lang, '')))
                ELSE r END ORDER BY n), '[]')
            FROM jsonb_array_elements(d->'resources') WITH ORDINALITY x(r, n)));
    END IF;
    IF jsonb_typeof(d->'organization') = 'object' THEN
        d := jsonb_set(d, '{organization}', d->'organization' || coalesce((
            SELECT jsonb_build_object(
                'title', ckan_tr(d->'organization'->>'title', g.translated->'title_translated', lang),
                'description', ckan_tr(d->'organization'->>'description',
                                       g.translated->'description_translated', lang))
            FROM grp g WHERE g.id::text = d->'organization'->>'id'
              AND g.translated IS NOT NULL), '{}'));
    END IF;
    IF jsonb_typeof(d->'groups') = 'array' THEN
        d := jsonb_set(d, '{groups}', (
            SELECT coalesce(jsonb_agg(CASE WHEN g.translated IS NULL THEN x.e ELSE x.e
                || jsonb_build_object(
                    'title', ckan_tr(x.e->>'title', g.translated->'title_translated', lang),
                    'display_name', ckan_tr(x.e->>'display_name', g.translated->'title_translated', lang),
                    'description', ckan_tr(x.e->>'description',
                                           g.translated->'description_translated', lang)) END
                ORDER BY x.n), '[]')
            FROM jsonb_array_elements(d->'groups') WITH ORDINALITY x(e, n)
            LEFT JOIN grp g ON g.id::text = x.e->>'id'));
    END IF;
    RETURN d;
END
$$;
