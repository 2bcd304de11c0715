-- The legacy CKAN API v1/v2 (docs/LEGACY_API.md): its REST registers read and written through
-- the action API's functions, answers reshaped as CKAN 2.7's *_to_api gave them. v1 names
-- datasets and groups by name, v2 by id. Refusals are the actions' own (OD100, OD403, OD422);
-- an operation the legacy API does not have is OD210 with CKAN 2.7's "Cannot ..." text.

-- A dataset or group as a version refers to it.
CREATE OR REPLACE FUNCTION legacy_pkg_ref(pid uuid, ver int) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN ver = 2 THEN pid::text ELSE (SELECT name FROM package WHERE id = pid) END
$$;

-- The same with the row at hand: its name (v1) or id (v2).
CREATE OR REPLACE FUNCTION legacy_ref(id uuid, name text, ver int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ver = 2 THEN id::text ELSE name END
$$;

-- A dict's extras (the action API's list of {key, value}) as the API's object.
CREATE OR REPLACE FUNCTION legacy_extras_object(extras jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(e->>'key', e->'value'), '{}')
    FROM jsonb_array_elements(coalesce(extras, '[]')) e
$$;

-- The API form's extras object as the action API's list, by key (null values dropped).
CREATE OR REPLACE FUNCTION legacy_extras_list(extras jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'value', x) ORDER BY k), '[]')
    FROM jsonb_each(extras) e(k, x) WHERE jsonb_typeof(x) <> 'null'
$$;

-- A list the API form gives by names or ids (tags, groups, packages) as the action API's
-- dicts: an item that is not a dict becomes {field: item}.
CREATE OR REPLACE FUNCTION legacy_dicts(items jsonb, field text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(x) = 'object' THEN x
                                   ELSE jsonb_build_object(field, x) END), '[]')
    FROM jsonb_array_elements(items) x
$$;

-- A relationship dict (datasets by name) with its datasets by id, as v2 gives them.
CREATE OR REPLACE FUNCTION legacy_rel_ids(x jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT x || jsonb_build_object(
               'subject', (SELECT p.id FROM package p WHERE p.name = x->>'subject'),
               'object', (SELECT p.id FROM package p WHERE p.name = x->>'object'))
$$;

-- Whether /rest/{reg}/{id}/{sub} names a dataset's relationships (all, or of one type).
CREATE OR REPLACE FUNCTION legacy_rel_path(reg text, sub text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT reg = 'dataset' AND (sub = 'relationships' OR sub = ANY(ckan_vr_rel_types()))
$$;

-- notes_rendered: the text HTML-escaped, paragraphs (blank-line separated) in <p>. Markdown's
-- inline syntax is left as text: safe, and readable.
CREATE OR REPLACE FUNCTION legacy_markdown(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg('<p>' || replace(replace(replace(replace(
               btrim(x, E' \t\r\n'), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
               || '</p>', E'\n' ORDER BY i), '')
    FROM regexp_split_to_table(coalesce(s, ''), E'\\n[ \\t\\r]*\\n') WITH ORDINALITY t(x, i)
    WHERE btrim(x, E' \t\r\n') <> ''
$$;

-- A dataset's relationships seen from it (as-object ones reversed first, as CKAN 2.7 listed
-- them), to datasets the caller may read.
CREATE OR REPLACE FUNCTION legacy_relationships(pid uuid, ver int, v ckan_viewer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('subject', legacy_pkg_ref(pid, ver),
               'type', x.t, 'object', legacy_pkg_ref(x.other, ver), 'comment', x.comment)
               ORDER BY x.as_subject, o.name COLLATE "C", x.t COLLATE "C"), '[]')
    FROM (SELECT r.subject_package_id = pid AS as_subject,
                 CASE WHEN r.subject_package_id = pid THEN r.type
                      ELSE ckan_rel_reverse(r.type) END AS t,
                 CASE WHEN r.subject_package_id = pid THEN r.object_package_id
                      ELSE r.subject_package_id END AS other, r.comment
          FROM package_relationship r
          WHERE r.state = 'active' AND (r.subject_package_id = pid OR r.object_package_id = pid)) x
    JOIN package o ON o.id = x.other
                  AND ckan_can_read(o.state, o.private, o.owner_org, o.creator_user_id, v)
$$;

-- CKAN 2.7's package_to_api from package_show's dict: free tags by name, extras as an object,
-- groups by name (v1) or id (v2), resources without state, license title, ratings (none kept),
-- notes_rendered, ckan_url, v1's download_url, relationships.
CREATE OR REPLACE FUNCTION legacy_package_dict(d jsonb, ver int, site text, v ckan_viewer)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT d || jsonb_build_object(
        'tags', (SELECT coalesce(jsonb_agg(t->'name' ORDER BY i), '[]')
                 FROM jsonb_array_elements(coalesce(d->'tags', '[]')) WITH ORDINALITY x(t, i)
                 WHERE coalesce(t->>'vocabulary_id', '') = ''),
        'extras', legacy_extras_object(d->'extras'),
        'groups', (SELECT coalesce(jsonb_agg(g->(CASE WHEN ver = 2 THEN 'id' ELSE 'name' END)
                                             ORDER BY i), '[]')
                   FROM jsonb_array_elements(coalesce(d->'groups', '[]')) WITH ORDINALITY x(g, i)),
        'resources', (SELECT coalesce(jsonb_agg((r - 'state')
                                                || jsonb_build_object('package_id', d->'id')
                                                ORDER BY i), '[]')
                      FROM jsonb_array_elements(coalesce(d->'resources', '[]'))
                           WITH ORDINALITY x(r, i)),
        'license', d->'license_title',
        'ratings_average', NULL,
        'ratings_count', 0,
        'notes_rendered', legacy_markdown(d->>'notes'),
        'ckan_url', site || '/dataset/' || (d->>'name'),
        'relationships', legacy_relationships((d->>'id')::uuid, ver, v))
        || CASE WHEN ver <> 2 AND jsonb_array_length(coalesce(d->'resources', '[]')) > 0
                THEN jsonb_build_object('download_url', d->'resources'->0->'url')
                ELSE '{}' END
$$;

-- The datasets of ids (a JSON list) as API dicts, in that order; for the search API's
-- all_fields. Datasets the caller may not read are left out.
CREATE OR REPLACE FUNCTION legacy_package_dicts(ids jsonb, ver int, site text, v ckan_viewer)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(legacy_package_dict(ckan_package_doc(p.id, site)::jsonb, ver, site, v)
                              ORDER BY x.i), '[]')::text
    FROM jsonb_array_elements_text(ids) WITH ORDINALITY x(id, i)
    JOIN package p ON p.id::text = x.id
                  AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v)
$$;

-- package_relationships_list with datasets by name (v1) or id (v2).
CREATE OR REPLACE FUNCTION legacy_rel_list(id text, id2 text, rel text, ver int, v ckan_viewer)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN ver = 2 THEN (
        SELECT coalesce(jsonb_agg(legacy_rel_ids(x) ORDER BY i), '[]')
        FROM jsonb_array_elements(l) WITH ORDINALITY t(x, i)) ELSE l END
    FROM (SELECT ckan_package_relationships(id, id2, rel, v)::jsonb AS l) s
$$;

-- A relationship dict (ckan_vr_rel_dict's, by name) as a version refers to datasets.
CREATE OR REPLACE FUNCTION legacy_rel_dict(d text, ver int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN ver = 2 AND x <> 'null' THEN legacy_rel_ids(x) ELSE x END
    FROM (SELECT d::jsonb AS x) s
$$;

-- group_to_api: group_show's dict, extras as an object, its readable datasets as sorted names
-- (v1) or ids (v2).
CREATE OR REPLACE FUNCTION legacy_group_dict(d jsonb, ver int, v ckan_viewer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT d || jsonb_build_object(
        'extras', legacy_extras_object(d->'extras'),
        'packages', (SELECT coalesce(jsonb_agg(to_jsonb(legacy_ref(pk.id, pk.name, ver))
                                               ORDER BY legacy_ref(pk.id, pk.name, ver)
                                                        COLLATE "C"), '[]')
                     FROM package pk
                     WHERE pk.state = 'active'
                       AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)
                       AND (pk.owner_org = (d->>'id')::uuid OR EXISTS (
                            SELECT 1 FROM member m WHERE m.group_id = (d->>'id')::uuid
                              AND m.table_id = pk.id AND m.table_name = 'package'
                              AND m.state = 'active'))))
$$;

CREATE OR REPLACE FUNCTION legacy_group_show(ref text, ver int, site text, v ckan_viewer)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT legacy_group_dict(ckan_group_show(jsonb_build_object('id', ref, 'opts',
               '{"packages": "dataset_count", "extras": true, "users": true, "groups": true,
                 "tags": true, "member_count": false, "show": true}'::jsonb), site, v)::jsonb,
           ver, v)
$$;

-- tag_show_rest: the readable datasets of a free tag, sorted names (v1) or ids (v2).
CREATE OR REPLACE FUNCTION legacy_tag_show(ref text, ver int, v ckan_viewer) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tid uuid := (SELECT id FROM tag WHERE name = ref AND vocabulary_id IS NULL);
BEGIN
    IF tid IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(r ORDER BY r COLLATE "C"), '[]')
            FROM (SELECT DISTINCT legacy_ref(pk.id, pk.name, ver) AS r
                  FROM package_tag pt JOIN package pk ON pk.id = pt.package_id
                  WHERE pt.tag_id = tid AND pt.state = 'active' AND pk.state = 'active'
                    AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)
                 ) s);
END
$$;

-- The registers' lists: datasets and groups by name (v1) or id (v2), in name order.
CREATE OR REPLACE FUNCTION legacy_list(reg text, ver int, site text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    CASE reg
    WHEN 'dataset' THEN
        RETURN (SELECT coalesce(jsonb_agg(legacy_ref(id, name, ver) ORDER BY name COLLATE "C"),
                                '[]')
                FROM package WHERE state = 'active' AND NOT private);
    WHEN 'group' THEN
        RETURN (SELECT coalesce(jsonb_agg(legacy_ref(id, name, ver) ORDER BY name COLLATE "C"),
                                '[]')
                FROM grp WHERE state = 'active' AND NOT is_organization AND type = 'group');
    WHEN 'tag' THEN
        RETURN ckan_tag_list('{"all_fields": false}', site)::jsonb;
    WHEN 'licenses' THEN
        RETURN ckan_license_list('{}', site)::jsonb;
    WHEN 'revision' THEN
        RETURN '[]';  -- no revisions are kept (CKAN dropped them in 2.9)
    ELSE
        RAISE EXCEPTION 'Cannot list entity of this type: %', reg USING ERRCODE = 'OD210';
    END CASE;
END
$$;

-- GET /rest/{reg}/{id}/{sub}: relationships, activity; revisions (none kept) of a dataset.
CREATE OR REPLACE FUNCTION legacy_sub_list(p jsonb, site text, v ckan_viewer) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    reg text := p->>'reg';
    sub text := p->>'sub';
    ver int := (p->>'ver')::int;
BEGIN
    IF legacy_rel_path(reg, sub) THEN
        RETURN legacy_rel_list(p->>'id', NULL, sub, ver, v);
    ELSIF reg = 'dataset' AND sub = 'revisions' THEN
        PERFORM ckan_package_show(p->>'id', site, v);  -- its refusals
        RETURN '[]';
    ELSIF reg IN ('dataset', 'group', 'user') AND sub = 'activity' THEN
        RETURN ckan_activity_list(jsonb_build_object('kind',
                   CASE reg WHEN 'dataset' THEN 'package' ELSE reg END,
                   'id', p->>'id', 'limit', 31, 'offset', 0), site, v)::jsonb;
    END IF;
    RAISE EXCEPTION 'Cannot list entity of this type: %', reg USING ERRCODE = 'OD210';
END
$$;

CREATE OR REPLACE FUNCTION legacy_show(p jsonb, site text, v ckan_viewer) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    reg text := p->>'reg';
    sub text := p->>'sub';
    ver int := (p->>'ver')::int;
BEGIN
    IF sub IS NOT NULL THEN
        IF legacy_rel_path(reg, sub) THEN
            RETURN legacy_rel_list(p->>'id', p->>'id2', sub, ver, v);
        END IF;
    ELSIF reg = 'dataset' THEN
        RETURN legacy_package_dict(ckan_package_show(p->>'id', site, v)::jsonb, ver, site, v);
    ELSIF reg = 'group' THEN
        RETURN legacy_group_show(p->>'id', ver, site, v);
    ELSIF reg = 'tag' THEN
        RETURN legacy_tag_show(p->>'id', ver, v);
    ELSIF reg = 'revision' THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    RAISE EXCEPTION 'Cannot read entity of this type: %', reg USING ERRCODE = 'OD210';
END
$$;

-- The action API's dict from the API form: tags as names (a list, or a space-separated
-- string), extras as an object (null values dropped), groups by name or id, download_url as the
-- one resource when none are given; the keys only the answers carry are dropped.
CREATE OR REPLACE FUNCTION legacy_package_input(d jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    o jsonb := d - ARRAY['ratings_average', 'ratings_count', 'notes_rendered', 'ckan_url',
                         'license', 'relationships', 'download_url'];
BEGIN
    IF jsonb_typeof(d->'tags') = 'string' THEN
        o := o || jsonb_build_object('tags', (
            SELECT coalesce(jsonb_agg(jsonb_build_object('name', t)), '[]')
            FROM regexp_split_to_table(d->>'tags', '\s+') t WHERE t <> ''));
    ELSIF jsonb_typeof(d->'tags') = 'array' THEN
        o := o || jsonb_build_object('tags', legacy_dicts(d->'tags', 'name'));
    END IF;
    IF jsonb_typeof(d->'extras') = 'object' THEN
        o := o || jsonb_build_object('extras', legacy_extras_list(d->'extras'));
    END IF;
    IF jsonb_typeof(d->'groups') = 'array' THEN
        o := o || jsonb_build_object('groups', legacy_dicts(d->'groups', 'name'));
    END IF;
    IF NOT d ? 'resources' AND coalesce(ckan_gw_text(d->'download_url'), '') <> '' THEN
        o := o || jsonb_build_object('resources',
                                     jsonb_build_array(jsonb_build_object('url', d->'download_url')));
    END IF;
    RETURN o;
END
$$;

-- The same for a group: extras as an object, packages by name or id.
CREATE OR REPLACE FUNCTION legacy_group_input(d jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    o jsonb := d;
BEGIN
    IF jsonb_typeof(d->'extras') = 'object' THEN
        o := o || jsonb_build_object('extras', legacy_extras_list(d->'extras'));
    END IF;
    IF jsonb_typeof(d->'packages') = 'array' THEN
        o := o || jsonb_build_object('packages', legacy_dicts(d->'packages', 'id'));
    END IF;
    RETURN o;
END
$$;

-- A relationship write's dict: the path's datasets and type, the body's comment.
CREATE OR REPLACE FUNCTION legacy_rel_input(p jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('subject', p->'id', 'object', p->'id2', 'type', p->'sub',
                              'comment', coalesce(p->'data'->'comment', '""'))
$$;

-- Whether p names one relationship to write: /rest/dataset/{id}/{type}/{id2}.
CREATE OR REPLACE FUNCTION legacy_is_rel(p jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p->>'id2' IS NOT NULL AND p->>'sub' <> 'relationships'
       AND legacy_rel_path(p->>'reg', p->>'sub')
$$;

-- POST /rest/{reg}[/{id}/{sub}[/{id2}]]: a dataset, a group, a relationship.
CREATE OR REPLACE FUNCTION legacy_create(p jsonb, site text, v ckan_viewer) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ver int := (p->>'ver')::int;
    res text;
BEGIN
    -- each write is a statement of its own, so that the reshaping reads what it wrote
    IF p->>'sub' IS NULL AND p->>'id' IS NULL AND p->>'reg' = 'dataset' THEN
        res := ckan_package_create(jsonb_build_object('data', legacy_package_input(p->'data')),
                                   site, v);
        RETURN legacy_package_dict(res::jsonb, ver, site, v);
    ELSIF p->>'sub' IS NULL AND p->>'id' IS NULL AND p->>'reg' = 'group' THEN
        res := ckan_group_create(jsonb_build_object('is_org', false, 'data',
                                                    legacy_group_input(p->'data')), site, v);
        RETURN legacy_group_dict(res::jsonb, ver, v);
    ELSIF legacy_is_rel(p) THEN
        res := ckan_package_relationship_create(legacy_rel_input(p), site, v);
        RETURN legacy_rel_dict(res, ver);
    END IF;
    RAISE EXCEPTION 'Cannot create new entity of this type: % %', p->>'reg',
        coalesce(p->>'sub', 'None') USING ERRCODE = 'OD210';
END
$$;

-- PUT|POST /rest/{reg}/{id}[/{sub}/{id2}]: the whole dataset or group (what is left out goes,
-- as CKAN 2.7's code did), or a relationship's comment.
CREATE OR REPLACE FUNCTION legacy_update(p jsonb, site text, v ckan_viewer) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ver int := (p->>'ver')::int;
    g grp;
    res text;
BEGIN
    IF p->>'sub' IS NULL AND p->>'reg' = 'dataset' THEN
        res := ckan_package_update(jsonb_build_object('data', legacy_package_input(p->'data')
                                   || jsonb_build_object('id', p->'id')), site, v);
        RETURN legacy_package_dict(res::jsonb, ver, site, v);
    ELSIF p->>'sub' IS NULL AND p->>'reg' = 'group' THEN
        g := ckan_g_group(p->>'id');
        IF g.id IS NULL OR g.state <> 'active' THEN
            RAISE EXCEPTION 'Group was not found.' USING ERRCODE = 'OD100';
        END IF;
        res := ckan_group_update(jsonb_build_object('is_org', g.is_organization, 'data',
                   legacy_group_input(p->'data') || jsonb_build_object('id', g.id)), site, v);
        RETURN legacy_group_dict(res::jsonb, ver, v);
    ELSIF legacy_is_rel(p) THEN
        res := ckan_package_relationship_update(legacy_rel_input(p), site, v);
        RETURN legacy_rel_dict(res, ver);
    END IF;
    RAISE EXCEPTION 'Cannot update entity of this type: %', p->>'reg' USING ERRCODE = 'OD210';
END
$$;

-- DELETE /rest/{reg}/{id}[/{sub}/{id2}]: answers nothing (CKAN 2.7's empty body).
CREATE OR REPLACE FUNCTION legacy_delete(p jsonb, site text, v ckan_viewer) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    g grp;
BEGIN
    IF p->>'sub' IS NULL AND p->>'reg' = 'dataset' THEN
        PERFORM ckan_package_delete(jsonb_build_object('id', p->'id'), site, v);
    ELSIF p->>'sub' IS NULL AND p->>'reg' = 'group' THEN
        g := ckan_g_group(p->>'id');
        PERFORM ckan_group_delete(jsonb_build_object('id', p->'id',
                                  'is_org', coalesce(g.is_organization, false)), site, v);
    ELSIF legacy_is_rel(p) THEN
        PERFORM ckan_package_relationship_delete(legacy_rel_input(p), site, v);
    ELSE
        RAISE EXCEPTION 'Cannot delete entity of this type: % %', p->>'reg',
            coalesce(p->>'sub', '') USING ERRCODE = 'OD210';
    END IF;
END
$$;

-- The one entry of the REST API. p: {op: list|show|create|update|delete, ver: 1|2, reg ('package'
-- already 'dataset'), id?, sub?, id2?, data? (the body)}. Answers the JSON text ('' for delete).
CREATE OR REPLACE FUNCTION legacy_rest(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    CASE p->>'op'
    WHEN 'list' THEN
        IF p->>'id' IS NULL THEN
            RETURN legacy_list(p->>'reg', (p->>'ver')::int, site)::text;
        END IF;
        RETURN legacy_sub_list(p, site, v)::text;
    WHEN 'show' THEN
        RETURN legacy_show(p, site, v)::text;
    WHEN 'create' THEN
        RETURN legacy_create(p, site, v)::text;
    WHEN 'update' THEN
        RETURN legacy_update(p, site, v)::text;
    ELSE
        PERFORM legacy_delete(p, site, v);
        RETURN '';
    END CASE;
END
$$;

-- /api/tag_counts: every free tag with its number of readable datasets, by name.
CREATE OR REPLACE FUNCTION legacy_tag_counts(v ckan_viewer) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_array(t.name, (
               SELECT count(DISTINCT pk.id) FROM package_tag pt
               JOIN package pk ON pk.id = pt.package_id
               WHERE pt.tag_id = t.id AND pt.state = 'active' AND pk.state = 'active'
                 AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)))
               ORDER BY t.name COLLATE "C"), '[]')::text
    FROM tag t WHERE t.vocabulary_id IS NULL
      AND EXISTS (SELECT 1 FROM package_tag pt WHERE pt.tag_id = t.id AND pt.state = 'active')
$$;

-- /api/search/resource. p: {terms: {field: value | [values]} (url, format, description, name:
-- contained, any case; hash: a prefix), limit, offset, all_fields}. Resources of active, public
-- datasets: {"count", "results": ids or resource dicts}.
CREATE OR REPLACE FUNCTION legacy_resource_search(p jsonb, site text) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT k, v FROM jsonb_each(p->'terms') e(k, j),
             LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(j) = 'array' THEN j
                                                    ELSE jsonb_build_array(j) END) v),
    m AS (
        SELECT r.id, r.package_id, r.position FROM resource r JOIN package pk ON pk.id = r.package_id
        WHERE r.state = 'active' AND pk.state = 'active' AND NOT pk.private
          AND NOT EXISTS (SELECT 1 FROM t WHERE NOT CASE t.k
              WHEN 'hash' THEN coalesce(r.hash, '') LIKE ckan_like_any(t.v) AND
                               starts_with(coalesce(r.hash, ''), t.v)
              WHEN 'url' THEN coalesce(r.download_url, r.access_url, '') ILIKE ckan_like_any(t.v)
              WHEN 'format' THEN coalesce(r.format, '') ILIKE ckan_like_any(t.v)
              WHEN 'description' THEN coalesce(r.description, '') ILIKE ckan_like_any(t.v)
              ELSE coalesce(r.name, '') ILIKE ckan_like_any(t.v) END)),
    page AS (
        SELECT * FROM m ORDER BY m.package_id, m.position, m.id
        LIMIT (p->>'limit')::bigint OFFSET (p->>'offset')::bigint)
    SELECT json_build_object('count', (SELECT count(*) FROM m), 'results',
        coalesce((SELECT json_agg(CASE WHEN (p->>'all_fields')::boolean
                                       THEN ckan_resource_show(pg.id::text, site, NULL)::json
                                       ELSE to_json(pg.id::text) END
                                  ORDER BY pg.package_id, pg.position, pg.id) FROM page pg),
                 '[]'))::text
$$;

-- /api/util/is_slug_valid: a name no dataset (type package) or group (type group) has taken, nor
-- one of the names the site's pages use.
CREATE OR REPLACE FUNCTION legacy_slug_valid(slug text, kind text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('valid', NOT (slug IN ('new', 'edit', 'search') OR CASE kind
        WHEN 'package' THEN EXISTS (SELECT 1 FROM package WHERE name = slug)
        ELSE EXISTS (SELECT 1 FROM grp WHERE name = slug) END))::text
$$;
