-- 09_ckan_group: CKAN read actions about groups, organizations, members, tags, vocabularies,
-- users and activity (ckan-research §3.2–§3.5, §4), as CKAN 2.11 answers them.
--
-- Each action is one function f(p jsonb, site text) RETURNS text: p is the request as
-- server/ckan_group.c normalized it (parameter syntax is checked there), site the configured
-- site URL; the result is the JSON payload. A refusal is RAISEd (docs/ARCHITECTURE.md, "SQL →
-- C"): OD100 not found, OD403 forbidden, the message being what CKAN puts after "Not found: "
-- or "Access denied: " ('' for the word alone).
--
-- Actions that show datasets or users take the caller v (NULL: anonymous) and show the datasets
-- ckan_can_read lets them see (anonymous: active and public ones). Package dicts
-- come from ckan_package_doc(pid, site) (08_ckan_package). Names and titles sort in code-point
-- order (COLLATE "C") as in 03_tw_api.

-- ---- helpers ---------------------------------------------------------------------------------
-- CKAN's time form: Python isoformat() of naive UTC, microseconds only when non-zero.
CREATE OR REPLACE FUNCTION ckan_g_iso(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN date_trunc('second', ts) = ts THEN ''
                ELSE to_char(ts AT TIME ZONE 'UTC', '.US') END
$$;

-- One `"key": value` member of a JSON object under construction.
CREATE OR REPLACE FUNCTION ckan_g_kv(k text, v json) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_json(k)::text || ': ' || coalesce(v::text, 'null')
$$;

-- A JSON object from members made by ckan_g_kv, in the order given.
CREATE OR REPLACE FUNCTION ckan_g_obj(parts text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{' || array_to_string(parts, ', ') || '}'
$$;

CREATE OR REPLACE FUNCTION ckan_g_is_uuid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
$$;

-- LIKE pattern matching s anywhere, with s's own % _ \ taken literally.
CREATE OR REPLACE FUNCTION ckan_g_like(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '%' || regexp_replace(s, '([%_\\])', '\\\1', 'g') || '%'
$$;

-- image_display_url: the URL itself, or an uploaded file under {site}/uploads/{kind}/.
CREATE OR REPLACE FUNCTION ckan_g_image(url text, site text, kind text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(url, '') = '' OR url LIKE 'http%' THEN url
                ELSE site || '/uploads/' || kind || '/' || url END
$$;

-- A string array from a JSON array of strings (NULL stays NULL).
CREATE OR REPLACE FUNCTION ckan_g_texts(a jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF a IS NULL OR jsonb_typeof(a) <> 'array' THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT jsonb_array_elements_text(a));
END
$$;

-- Lookups as CKAN's Model.get: by id, then by name; any state. A row of NULLs when unknown.
CREATE OR REPLACE FUNCTION ckan_g_group(ref text) RETURNS grp
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g grp;
BEGIN
    IF ckan_g_is_uuid(ref) THEN
        SELECT * INTO g FROM grp WHERE id = ref::uuid;
        IF FOUND THEN
            RETURN g;
        END IF;
    END IF;
    SELECT * INTO g FROM grp WHERE name = ref;
    RETURN g;
END
$$;

CREATE OR REPLACE FUNCTION ckan_g_user(ref text) RETURNS users
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
BEGIN
    IF ckan_g_is_uuid(ref) THEN
        SELECT * INTO u FROM users WHERE id = ref::uuid;
        IF FOUND THEN
            RETURN u;
        END IF;
    END IF;
    SELECT * INTO u FROM users WHERE name = ref;
    RETURN u;
END
$$;

CREATE OR REPLACE FUNCTION ckan_g_vocab(ref text) RETURNS vocabulary
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v vocabulary;
BEGIN
    IF ckan_g_is_uuid(ref) THEN
        SELECT * INTO v FROM vocabulary WHERE id = ref::uuid;
        IF FOUND THEN
            RETURN v;
        END IF;
    END IF;
    SELECT * INTO v FROM vocabulary WHERE name = ref;
    RETURN v;
END
$$;

-- A package by id, CKAN name or Taiwan identifier (any case); any state.
CREATE OR REPLACE FUNCTION ckan_g_package(ref text) RETURNS package
LANGUAGE plpgsql STABLE AS $$
DECLARE
    pk package;
BEGIN
    IF ckan_g_is_uuid(ref) THEN
        SELECT * INTO pk FROM package WHERE id = ref::uuid;
        IF FOUND THEN
            RETURN pk;
        END IF;
    END IF;
    SELECT * INTO pk FROM package WHERE name = ref;
    IF NOT FOUND THEN
        SELECT * INTO pk FROM package WHERE lower(identifier) = lower(ref);
    END IF;
    RETURN pk;
END
$$;

-- Active datasets of a group (members) or an organization (owner_org) that v may read, with
-- their last change. A group's are its public ones only: CKAN lists them with package_search
-- without include_private, which it asks for organizations only.
CREATE OR REPLACE FUNCTION ckan_g_group_packages(g grp, v ckan_viewer)
RETURNS TABLE (id uuid, modified timestamptz)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF g.is_organization THEN
        RETURN QUERY SELECT p.id, p.metadata_modified FROM package p
            WHERE p.owner_org = g.id AND p.state = 'active'
              AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v);
    ELSE
        RETURN QUERY SELECT p.id, p.metadata_modified FROM member m
            JOIN package p ON p.id = m.table_id
            WHERE m.group_id = g.id AND m.table_name = 'package' AND m.state = 'active'
              AND p.state = 'active' AND NOT p.private;
    END IF;
END
$$;

-- Package dicts of a group's first n datasets, newest change first (package_search's default
-- order when every score is equal).
CREATE OR REPLACE FUNCTION ckan_g_group_docs(g grp, n bigint, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(json_agg(ckan_package_doc(x.id, site)::json
                                     ORDER BY x.modified DESC, x.id), '[]')::text
            FROM (SELECT * FROM ckan_g_group_packages(g, v) y
                  ORDER BY y.modified DESC, y.id LIMIT n) x);
END
$$;

-- Package dicts of the first n of a set of package ids, newest change first (package_search's
-- default order when every score is equal).
CREATE OR REPLACE FUNCTION ckan_g_package_docs(ids uuid[], n bigint, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(json_agg(ckan_package_doc(x.id, site)::json
                                     ORDER BY x.metadata_modified DESC, x.id), '[]')::text
            FROM (SELECT p.id, p.metadata_modified FROM package p WHERE p.id = ANY(ids)
                  ORDER BY p.metadata_modified DESC, p.id LIMIT n) x);
END
$$;

-- ---- dicts -------------------------------------------------------------------------------------
-- The user dict (§3.4) as v sees it: email and apikey (always null: tokens replaced API keys)
-- only for the user themself and sysadmins, who also count private and draft datasets; never
-- the password hash. capacity is added for group members.
CREATE OR REPLACE FUNCTION ckan_g_user_dict(u users, capacity text, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n bigint;
    own boolean := coalesce((v).sysadmin OR (v).user_id = u.id, false);
BEGIN
    SELECT count(*) INTO n FROM package p
    WHERE p.creator_user_id = u.id
      AND (own AND p.state IN ('active', 'draft') OR p.state = 'active' AND NOT p.private);
    RETURN ckan_g_obj(ARRAY[
        ckan_g_kv('about', to_json(u.about)),
        ckan_g_kv('activity_streams_email_notifications', 'false')]
        || CASE WHEN own THEN ARRAY[ckan_g_kv('apikey', 'null')] ELSE '{}'::text[] END
        || CASE WHEN capacity IS NULL THEN '{}'::text[]
                ELSE ARRAY[ckan_g_kv('capacity', to_json(capacity))] END
        || ARRAY[
        ckan_g_kv('created', to_json(ckan_g_iso(u.created))),
        ckan_g_kv('display_name', to_json(CASE WHEN btrim(coalesce(u.fullname, '')) <> ''
                                               THEN u.fullname ELSE u.name END))]
        || CASE WHEN own THEN ARRAY[ckan_g_kv('email', to_json(u.email))] ELSE '{}'::text[] END
        || ARRAY[
        ckan_g_kv('email_hash', to_json(md5(lower(btrim(coalesce(u.email, '')))))),
        ckan_g_kv('fullname', to_json(u.fullname)),
        ckan_g_kv('id', to_json(u.id)),
        ckan_g_kv('image_display_url', to_json(ckan_g_image(u.image_url, site, 'user'))),
        ckan_g_kv('image_url', to_json(u.image_url)),
        ckan_g_kv('last_active', to_json(ckan_g_iso(u.last_active))),
        ckan_g_kv('name', to_json(u.name)),
        ckan_g_kv('number_created_packages', to_json(n)),
        ckan_g_kv('state', to_json(u.state)),
        ckan_g_kv('sysadmin', to_json(u.sysadmin))]);
END
$$;

-- The tag dict: {display_name, id, name, vocabulary_id}.
CREATE OR REPLACE FUNCTION ckan_g_tag_dict(t tag) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object('display_name', t.name, 'id', t.id, 'name', t.name,
                             'vocabulary_id', t.vocabulary_id)
$$;

-- The group row as CKAN stores it in activity data: {"group": {...}}.
CREATE OR REPLACE FUNCTION ckan_g_group_row(g grp) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object('approval_status', g.approval_status, 'created', ckan_g_iso(g.created),
        'description', g.description, 'id', g.id, 'image_url', g.image_url,
        'is_organization', g.is_organization, 'name', g.name, 'state', g.state,
        'title', g.title, 'type', g.type)
$$;

-- The group/organization dict (§3.2, §3.3). o says what to include:
--   packages: "datasets" (the first 10 dicts and the count) | "dataset_count" | absent
--   extras, groups, users, member_count, tags: booleans; show: through the show schema
--   (num_followers)
-- capacity (organization_list_for_user) is added when not NULL.
CREATE OR REPLACE FUNCTION ckan_g_group_dict(g grp, o jsonb, capacity text, site text,
                                             v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parts text[];
    n_packages bigint;
    extras text;
    users_json text;
    n_users bigint;
    lang text := ckan_lang();  -- 25_i18n
    g_title text := ckan_tr(g.title, g.translated->'title_translated', lang);
BEGIN
    IF o ? 'packages' THEN
        SELECT count(*) INTO n_packages FROM ckan_g_group_packages(g, v);
    END IF;
    parts := ARRAY[ckan_g_kv('approval_status', to_json(g.approval_status))];
    IF capacity IS NOT NULL THEN
        parts := parts || ckan_g_kv('capacity', to_json(capacity));
    END IF;
    parts := parts || ARRAY[
        ckan_g_kv('created', to_json(ckan_g_iso(g.created))),
        ckan_g_kv('description', to_json(ckan_tr(g.description,
                                                 g.translated->'description_translated', lang)))];
    IF jsonb_typeof(g.translated->'description_translated') = 'object' THEN
        parts := parts || ckan_g_kv('description_translated',
                                    (g.translated->'description_translated')::json);
    END IF;
    parts := parts || ckan_g_kv('display_name', to_json(coalesce(nullif(g_title, ''), g.name)));
    IF (o->>'extras')::boolean THEN
        SELECT coalesce(json_agg(json_build_object('group_id', e.group_id,
                   'id', md5(e.group_id::text || '/' || e.key)::uuid, 'key', e.key,
                   'state', 'active', 'value', e.value) ORDER BY e.key COLLATE "C"), '[]')::text
        INTO extras FROM group_extra e WHERE e.group_id = g.id;
        parts := parts || ckan_g_kv('extras', extras::json);
    END IF;
    IF (o->>'groups')::boolean THEN
        parts := parts || ckan_g_kv('groups', '[]');  -- no group hierarchy in this catalogue
    END IF;
    parts := parts || ARRAY[
        ckan_g_kv('id', to_json(g.id)),
        ckan_g_kv('image_display_url', to_json(ckan_g_image(g.image_url, site, 'group'))),
        ckan_g_kv('image_url', to_json(g.image_url)),
        ckan_g_kv('is_organization', to_json(g.is_organization))];
    IF (o->>'member_count')::boolean THEN
        SELECT count(*) INTO n_users FROM member m JOIN users u ON u.id = m.table_id
        WHERE m.group_id = g.id AND m.table_name = 'user' AND m.state = 'active';
        parts := parts || ckan_g_kv('member_count', to_json(n_users));
    END IF;
    parts := parts || ckan_g_kv('name', to_json(g.name));
    IF (o->>'show')::boolean THEN
        parts := parts || ckan_g_kv('num_followers', '0');
    END IF;
    IF o ? 'packages' THEN
        parts := parts || ckan_g_kv('package_count', to_json(n_packages));
    END IF;
    IF o->>'packages' = 'datasets' THEN
        parts := parts || ckan_g_kv('packages', ckan_g_group_docs(g, 10, site, v)::json);
    END IF;
    parts := parts || ckan_g_kv('state', to_json(g.state));
    IF (o->>'tags')::boolean THEN
        parts := parts || ckan_g_kv('tags', '[]');  -- group tags cannot be made through the API
    END IF;
    parts := parts || ARRAY[
        ckan_g_kv('title', to_json(g_title))];
    IF jsonb_typeof(g.translated->'title_translated') = 'object' THEN
        parts := parts || ckan_g_kv('title_translated', (g.translated->'title_translated')::json);
    END IF;
    parts := parts || ckan_g_kv('type', to_json(g.type));
    IF (o->>'users')::boolean THEN
        SELECT coalesce(json_agg(ckan_g_user_dict(u, m.capacity, site, v)::json
                                 ORDER BY u.name COLLATE "C"), '[]')::text
        INTO users_json FROM member m JOIN users u ON u.id = m.table_id
        WHERE m.group_id = g.id AND m.table_name = 'user' AND m.state = 'active';
        parts := parts || ckan_g_kv('users', users_json::json);
    END IF;
    RETURN ckan_g_obj(parts);
END
$$;

-- The group a *_show style action names, when the caller may read it; else OD100/OD403.
-- kind: 'group', 'organization' or NULL (either).
CREATE OR REPLACE FUNCTION ckan_g_readable_group(ref text, kind text) RETURNS grp
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g grp := ckan_g_group(ref);
BEGIN
    IF g.id IS NULL OR (kind = 'organization' AND NOT g.is_organization)
       OR (kind = 'group' AND g.is_organization) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    ELSIF g.state <> 'active' THEN
        -- CKAN names no user here
        RAISE EXCEPTION 'User  not authorized to read group %', g.id USING ERRCODE = 'OD403';
    END IF;
    RETURN g;
END
$$;

-- ---- groups and organizations ------------------------------------------------------------------
-- group_list / organization_list. p: {is_org, type, names[]?, q?, sort: name|title|package_count,
-- dir: asc|desc, limit, offset, all_fields, opts (ckan_g_group_dict's o)}.
CREATE OR REPLACE FUNCTION ckan_group_list(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    names text[] := ckan_g_texts(p->'names');
    q text := nullif(btrim(p->>'q'), '');
    fld text := p->>'sort';
    asc_ boolean := p->>'dir' = 'asc';
    by_count boolean := p->>'sort' = 'package_count';
BEGIN
    WITH counts AS (  -- visible datasets per group or organization, when sorting by them
        SELECT m.group_id AS gid, count(*) AS n FROM member m JOIN package pk ON pk.id = m.table_id
        WHERE by_count AND NOT (p->>'is_org')::boolean AND m.table_name = 'package'
          AND m.state = 'active' AND pk.state = 'active'
          AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)
        GROUP BY m.group_id
        UNION ALL
        SELECT pk.owner_org, count(*) FROM package pk
        WHERE by_count AND (p->>'is_org')::boolean AND pk.owner_org IS NOT NULL
          AND pk.state = 'active'
          AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)
        GROUP BY pk.owner_org),
    c AS (
        SELECT g AS r, g.name, g.title, coalesce(cn.n, 0) AS n
        FROM grp g LEFT JOIN counts cn ON cn.gid = g.id
        WHERE g.state = 'active' AND g.is_organization = (p->>'is_org')::boolean
          AND g.type = p->>'type'
          AND (names IS NULL OR g.name = ANY(names))
          AND (q IS NULL OR g.name ILIKE ckan_g_like(q) OR g.title ILIKE ckan_g_like(q)
               OR g.description ILIKE ckan_g_like(q))),
    page AS (
        SELECT c.r, c.name, row_number() OVER (ORDER BY
                CASE WHEN fld = 'name' AND asc_ THEN c.name END COLLATE "C" ASC,
                CASE WHEN fld = 'name' AND NOT asc_ THEN c.name END COLLATE "C" DESC,
                CASE WHEN fld = 'title' AND asc_ THEN c.title END COLLATE "C" ASC,
                CASE WHEN fld = 'title' AND NOT asc_ THEN c.title END COLLATE "C" DESC,
                CASE WHEN by_count AND asc_ THEN c.n END ASC,
                CASE WHEN by_count AND NOT asc_ THEN c.n END DESC,
                c.name COLLATE "C") AS pos
        FROM c
        -- CKAN counts through an inner join: groups without datasets drop out of this sort
        WHERE NOT by_count OR c.n > 0
        ORDER BY pos LIMIT (p->>'limit')::bigint OFFSET (p->>'offset')::bigint)
    SELECT CASE WHEN (p->>'all_fields')::boolean
        THEN coalesce(json_agg(ckan_g_group_dict(pg.r, p->'opts', NULL, site, v)::json
                               ORDER BY pg.pos), '[]')::text
        ELSE coalesce(json_agg(pg.name ORDER BY pg.pos), '[]')::text END
    INTO result FROM page pg;
    RETURN result;
END
$$;

-- group_show / organization_show. p: {id, kind, opts}.
CREATE OR REPLACE FUNCTION ckan_group_show(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g grp;
BEGIN
    g := ckan_g_readable_group(p->>'id', p->>'kind');
    RETURN ckan_g_group_dict(g, p->'opts', NULL, site, v);
END
$$;

-- group_package_show. p: {id, limit}. The datasets package_search finds with fq=groups:{name}:
-- an organization's name is not in any dataset's groups, so organizations give [] (as CKAN).
CREATE OR REPLACE FUNCTION ckan_group_package_show(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g grp;
BEGIN
    g := ckan_g_readable_group(p->>'id', NULL);
    IF g.is_organization THEN
        RETURN '[]';
    END IF;
    RETURN ckan_g_group_docs(g, (p->>'limit')::bigint, site, v);
END
$$;

-- organization_list_for_user. p: {id?, permission, dataset_count, member_count}. Without id the
-- caller is meant (anonymous: belongs nowhere, []).
CREATE OR REPLACE FUNCTION ckan_organization_list_for_user(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    u users;
    roles text[];
    o jsonb;
BEGIN
    IF p->>'id' IS NULL AND (v).user_id IS NULL THEN
        RETURN '[]';
    END IF;
    u := ckan_g_user(coalesce(p->>'id', (v).user_id::text));
    IF u.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    o := jsonb_build_object('member_count', coalesce((p->>'member_count')::boolean, false));
    IF (p->>'dataset_count')::boolean THEN
        o := o || '{"packages": "dataset_count"}';
    END IF;
    -- CKAN's roles → permissions; a role with "admin" has every permission
    roles := ARRAY(SELECT r FROM (VALUES
            ('admin', ARRAY['admin', 'membership']),
            ('editor', ARRAY['read', 'delete_dataset', 'create_dataset', 'update_dataset',
                             'manage_group']),
            ('member', ARRAY['read', 'manage_group'])) v(r, perms)
        WHERE p->>'permission' = ANY(perms) OR 'admin' = ANY(perms));
    SELECT coalesce(json_agg(ckan_g_group_dict(x.g, o, x.capacity, site, v)::json
                             ORDER BY coalesce(nullif((x.g).title, ''), (x.g).name) COLLATE "C"),
                    '[]')::text
    INTO result FROM (
        SELECT g AS g, 'admin' AS capacity FROM grp g
        WHERE u.sysadmin AND g.is_organization AND g.state = 'active'
        UNION ALL
        SELECT g, m.capacity FROM member m JOIN grp g ON g.id = m.group_id
        WHERE NOT u.sysadmin AND m.table_name = 'user' AND m.table_id = u.id
          AND m.state = 'active' AND m.capacity = ANY(roles)
          AND g.is_organization AND g.state = 'active') x;
    RETURN result;
END
$$;

-- member_list. p: {id, object_type?, capacity?}. [[id, type, capacity]]; user capacities are
-- CKAN's role labels. An organization's datasets are members with capacity "organization" (CKAN
-- keeps such a member row beside owner_org; here owner_org alone says it). Only visible datasets
-- are listed.
CREATE OR REPLACE FUNCTION ckan_member_list(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    g grp;
BEGIN
    g := ckan_g_readable_group(p->>'id', NULL);
    SELECT coalesce(json_agg(json_build_array(x.table_id, x.table_name,
               CASE WHEN x.table_name = 'user' THEN coalesce(CASE x.capacity
                   WHEN 'admin' THEN 'Admin' WHEN 'editor' THEN 'Editor'
                   WHEN 'member' THEN 'Member' END, x.capacity)
               ELSE x.capacity END) ORDER BY x.table_name, x.created, x.table_id), '[]')::text
    INTO result FROM (
        SELECT m.table_id, m.table_name, m.capacity, m.created FROM member m
        WHERE m.group_id = g.id AND m.state = 'active'
          AND CASE m.table_name
              WHEN 'package' THEN EXISTS (SELECT 1 FROM package pk WHERE pk.id = m.table_id
                                          AND pk.state = 'active' AND ckan_can_read(pk.state,
                                              pk.private, pk.owner_org, pk.creator_user_id, v))
              ELSE EXISTS (SELECT 1 FROM users u WHERE u.id = m.table_id) END
        UNION ALL
        SELECT pk.id, 'package', 'organization', pk.metadata_created FROM package pk
        WHERE g.is_organization AND pk.owner_org = g.id AND pk.state = 'active'
          AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)
          AND NOT EXISTS (SELECT 1 FROM member m WHERE m.group_id = g.id
              AND m.table_name = 'package' AND m.table_id = pk.id)) x
    WHERE (p->>'object_type' IS NULL OR x.table_name = p->>'object_type')
      AND (p->>'capacity' IS NULL OR x.capacity = p->>'capacity');
    RETURN result;
END
$$;

-- ---- tags and vocabularies ---------------------------------------------------------------------
-- Free tags carried by at least one visible dataset (CKAN: by any dataset; anonymous callers
-- must not learn the tags of private ones). A view, so the planner can make it one semi-join.
CREATE OR REPLACE VIEW ckan_g_visible_free_tag AS
SELECT t.* FROM tag t
WHERE t.vocabulary_id IS NULL AND EXISTS (
    SELECT 1 FROM package_tag pt JOIN package pk ON pk.id = pt.package_id
    WHERE pt.tag_id = t.id AND pt.state = 'active' AND pk.state = 'active' AND NOT pk.private);

-- Tags matching every term (substring, case-insensitive): CKAN's _tag_search. p: {terms[],
-- vocab_given, vocab, limit?, offset?}. n = all matches; ids = the page, in name order.
CREATE OR REPLACE FUNCTION ckan_g_tag_search(p jsonb) RETURNS TABLE (n bigint, ids uuid[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    terms text[] := ARRAY(SELECT btrim(t) FROM unnest(ckan_g_texts(p->'terms')) t
                          WHERE btrim(t) <> '');
    v vocabulary;
    found uuid[];
BEGIN
    IF (p->>'vocab_given')::boolean THEN
        v := ckan_g_vocab(p->>'vocab');
        IF v.id IS NULL THEN
            RETURN QUERY SELECT 0::bigint, '{}'::uuid[];
            RETURN;
        END IF;
    END IF;
    IF cardinality(terms) = 0 THEN
        RETURN QUERY SELECT 0::bigint, '{}'::uuid[];
        RETURN;
    END IF;
    found := ARRAY(
        SELECT x.id FROM (
            SELECT t.id, t.name FROM tag t WHERE v.id IS NOT NULL AND t.vocabulary_id = v.id
            UNION ALL
            SELECT t.id, t.name FROM ckan_g_visible_free_tag t WHERE v.id IS NULL) x
        WHERE (SELECT bool_and(x.name ILIKE ckan_g_like(term)) FROM unnest(terms) term)
        ORDER BY x.name COLLATE "C", x.id);
    RETURN QUERY SELECT cardinality(found)::bigint, ARRAY(
        SELECT x FROM unnest(found) WITH ORDINALITY u(x, i)
        WHERE i > coalesce((p->>'offset')::bigint, 0)
        ORDER BY i LIMIT (p->>'limit')::bigint);
END
$$;

-- tag_list. p: {terms[]?, vocab_given, vocab?, all_fields, limit?, offset?}.
CREATE OR REPLACE FUNCTION ckan_tag_list(p jsonb, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    v vocabulary;
    ids uuid[];
BEGIN
    IF p ? 'terms' THEN
        SELECT s.ids INTO ids FROM ckan_g_tag_search(p) s;
    ELSIF nullif(p->>'vocab', '') IS NOT NULL THEN
        v := ckan_g_vocab(p->>'vocab');
        IF v.id IS NULL THEN
            RAISE EXCEPTION 'could not find vocabulary ''%''', p->>'vocab'
                USING ERRCODE = 'OD100';
        END IF;
        ids := ARRAY(SELECT t.id FROM tag t WHERE t.vocabulary_id = v.id
                     ORDER BY t.name COLLATE "C", t.id);
    ELSE
        ids := ARRAY(SELECT t.id FROM ckan_g_visible_free_tag t ORDER BY t.name COLLATE "C", t.id);
    END IF;
    SELECT CASE WHEN (p->>'all_fields')::boolean
                THEN coalesce(json_agg(ckan_g_tag_dict(t) ORDER BY u.i), '[]')
                ELSE coalesce(json_agg(t.name ORDER BY u.i), '[]') END::text
    INTO result FROM unnest(ids) WITH ORDINALITY u(id, i) JOIN tag t ON t.id = u.id;
    RETURN result;
END
$$;

-- tag_search / tag_autocomplete. p: ckan_g_tag_search's, plus names_only (autocomplete).
CREATE OR REPLACE FUNCTION ckan_tag_search(p jsonb, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    s record;
BEGIN
    SELECT * INTO s FROM ckan_g_tag_search(p);
    IF (p->>'names_only')::boolean THEN
        SELECT coalesce(json_agg(t.name ORDER BY u.i), '[]')::text INTO result
        FROM unnest(s.ids) WITH ORDINALITY u(id, i) JOIN tag t ON t.id = u.id;
    ELSE
        SELECT json_build_object('count', s.n, 'results', coalesce(json_agg(
                   json_build_object('id', t.id, 'name', t.name, 'vocabulary_id', t.vocabulary_id)
                   ORDER BY u.i), '[]'))::text
        INTO result FROM unnest(s.ids) WITH ORDINALITY u(id, i) JOIN tag t ON t.id = u.id;
    END IF;
    RETURN result;
END
$$;

-- tag_show. p: {id, vocab?, include_datasets}. packages: the visible datasets carrying the tag
-- (at most 1000, as CKAN).
CREATE OR REPLACE FUNCTION ckan_tag_show(p jsonb, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v vocabulary;
    t tag;
    ref text := p->>'id';
    d text;
BEGIN
    IF nullif(p->>'vocab', '') IS NOT NULL THEN
        v := ckan_g_vocab(p->>'vocab');
        IF v.id IS NULL THEN
            RAISE EXCEPTION '' USING ERRCODE = 'OD100';
        END IF;
    END IF;
    IF ckan_g_is_uuid(ref) THEN
        SELECT * INTO t FROM tag WHERE id = ref::uuid;
    END IF;
    IF t.id IS NULL THEN
        SELECT * INTO t FROM tag WHERE name = ref
          AND vocabulary_id IS NOT DISTINCT FROM v.id;
    ELSIF v.id IS NOT NULL AND t.vocabulary_id IS DISTINCT FROM v.id THEN
        t := NULL;
    END IF;
    IF t.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    d := ckan_g_tag_dict(t)::text;
    IF (p->>'include_datasets')::boolean THEN
        d := left(d, -1) || ', "packages": ' || ckan_g_package_docs(ARRAY(
                SELECT pk.id FROM package_tag pt JOIN package pk ON pk.id = pt.package_id
                WHERE pt.tag_id = t.id AND pt.state = 'active' AND pk.state = 'active'
                  AND NOT pk.private), 1000, site) || '}';
    END IF;
    RETURN d;
END
$$;

-- vocabulary dict: {id, name, tags[tag dicts]}.
CREATE OR REPLACE FUNCTION ckan_g_vocab_dict(v vocabulary) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object('id', v.id, 'name', v.name, 'tags',
        (SELECT coalesce(json_agg(ckan_g_tag_dict(t) ORDER BY t.name COLLATE "C"), '[]')
         FROM tag t WHERE t.vocabulary_id = v.id));
END
$$;

CREATE OR REPLACE FUNCTION ckan_vocabulary_list(p jsonb, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
BEGIN
    SELECT coalesce(json_agg(ckan_g_vocab_dict(v) ORDER BY v.name COLLATE "C"), '[]')::text
    INTO result FROM vocabulary v;
    RETURN result;
END
$$;

-- vocabulary_show. p: {id}.
CREATE OR REPLACE FUNCTION ckan_vocabulary_show(p jsonb, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v vocabulary := ckan_g_vocab(p->>'id');
BEGIN
    IF v.id IS NULL THEN
        RAISE EXCEPTION 'Could not find vocabulary "%"', p->>'id' USING ERRCODE = 'OD100';
    END IF;
    RETURN ckan_g_vocab_dict(v)::text;
END
$$;

-- ---- licences ---------------------------------------------------------------------------------
-- license_list: the register ckan_license (sql/migrations/008) in its order; CKAN 2.8+ turns
-- every value into a string, booleans included ("True"/"False").
CREATE OR REPLACE FUNCTION ckan_license_list(p jsonb, site text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
BEGIN
    SELECT coalesce(json_agg(json_build_object(
               'domain_content', initcap(l.domain_content::text), 'id', l.id,
               'domain_data', initcap(l.domain_data::text),
               'domain_software', initcap(l.domain_software::text), 'family', l.family,
               'is_generic', initcap(l.is_generic::text), 'od_conformance', l.od_conformance,
               'osd_conformance', l.osd_conformance, 'maintainer', l.maintainer,
               'status', l.status, 'url', l.url, 'title', l.title) ORDER BY l.position), '[]')::text
    INTO result FROM ckan_license l;
    RETURN result;
END
$$;

-- ---- users -------------------------------------------------------------------------------------
-- user_list. p: {q?, order_by, all_fields}. Deleted users are left out.
CREATE OR REPLACE FUNCTION ckan_user_list(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    q text := nullif(p->>'q', '');
    ob text := p->>'order_by';
BEGIN
    WITH u AS (
        SELECT u, u.name, row_number() OVER (ORDER BY
            CASE WHEN ob = 'display_name' THEN CASE WHEN coalesce(u.fullname, '') = ''
                 THEN u.name ELSE u.fullname END END COLLATE "C",
            CASE WHEN ob = 'number_created_packages' THEN (SELECT count(*) FROM package pk
                 WHERE pk.creator_user_id = u.id AND pk.state = 'active' AND NOT pk.private) END,
            CASE WHEN ob = 'fullname' THEN u.fullname END COLLATE "C",
            CASE WHEN ob = 'about' THEN u.about END COLLATE "C",
            CASE WHEN ob = 'sysadmin' THEN u.sysadmin END,
            CASE WHEN ob = 'created' THEN u.created END,
            CASE WHEN ob = 'last_active' THEN u.last_active END,
            CASE WHEN ob = 'id' THEN u.id::text END COLLATE "C",
            CASE WHEN ob = 'state' THEN u.state END COLLATE "C",
            CASE WHEN ob = 'image_url' THEN u.image_url END COLLATE "C",
            u.name COLLATE "C") AS pos
        FROM users u
        WHERE u.state <> 'deleted'
          AND (q IS NULL OR u.name ILIKE ckan_g_like(q) OR u.fullname ILIKE ckan_g_like(q))
          AND (p->>'email' IS NULL OR lower(u.email) = lower(p->>'email')))
    SELECT CASE WHEN (p->>'all_fields')::boolean
        THEN coalesce(json_agg(ckan_g_user_dict(u.u, NULL, site, v)::json ORDER BY u.pos), '[]')
        ELSE coalesce(json_agg(u.name ORDER BY u.pos), '[]') END::text
    INTO result FROM u;
    RETURN result;
END
$$;

-- user_show. p: {id?, include_datasets, include_num_followers}. datasets: the first 50 visible
-- datasets the user created.
CREATE OR REPLACE FUNCTION ckan_user_show(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
    d text;
BEGIN
    IF coalesce(p->>'id', (v).user_id::text) IS NOT NULL THEN
        u := ckan_g_user(coalesce(p->>'id', (v).user_id::text));
    END IF;
    IF u.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    d := ckan_g_user_dict(u, NULL, site, v);
    IF (p->>'include_datasets')::boolean THEN
        d := left(d, -1) || ', "datasets": ' || ckan_g_package_docs(ARRAY(
                SELECT pk.id FROM package pk WHERE pk.creator_user_id = u.id
                  AND pk.state = 'active'
                  AND ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v)),
                50, site) || '}';
    END IF;
    IF (p->>'include_num_followers')::boolean THEN
        d := left(d, -1) || ', "num_followers": 0}';
    END IF;
    RETURN d;
END
$$;

-- ---- activity ----------------------------------------------------------------------------------
-- The activity dict: {activity_type, data, id, object_id, permission_labels, timestamp,
-- user_id}. Package activities carry {"package": dict, "actor": name}: the stored dict when the
-- writer kept one, else the dataset as it is now (the importer stores no snapshot).
CREATE OR REPLACE FUNCTION ckan_g_activity_dict(a activity, site text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    is_pkg boolean := a.activity_type LIKE '%package';
    data json;
    g grp;
BEGIN
    IF is_pkg AND NOT coalesce(a.data ? 'package', false) THEN
        data := json_build_object('package', ckan_package_doc(a.object_id, site)::json,
            'actor', (SELECT name FROM users WHERE id = a.user_id));
    ELSIF (a.activity_type LIKE '%group' OR a.activity_type LIKE '%organization')
          AND NOT coalesce(a.data ? 'group', false) THEN
        SELECT * INTO g FROM grp WHERE id = a.object_id;
        data := json_build_object('group', ckan_g_group_row(g));
    ELSIF is_pkg AND ckan_lang() IS NOT NULL THEN  -- the snapshot in the read's language
        data := jsonb_set(a.data, '{package}', ckan_i18n_package(a.data->'package', ckan_lang()))::json;
    ELSE
        data := coalesce(a.data, '{}')::json;
    END IF;
    RETURN json_build_object('activity_type', a.activity_type, 'data', data, 'id', a.id,
        'object_id', a.object_id,
        'permission_labels', CASE WHEN is_pkg THEN json_build_array('public') END,
        'timestamp', ckan_g_iso(a.timestamp), 'user_id', a.user_id);
END
$$;

-- The page of activities about objs (or from/about a user), newest first; with only `after`
-- the page is the oldest ones after it, still listed newest first (CKAN's rule).
CREATE OR REPLACE FUNCTION ckan_g_activity_page(p jsonb, objs uuid[], by_user uuid, site text,
                                                v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    after_ts timestamptz := to_timestamp((p->>'after')::float8);
    before_ts timestamptz := to_timestamp((p->>'before')::float8);
    types text[] := ckan_g_texts(p->'types');
    excl text[] := ckan_g_texts(p->'exclude');
    ids uuid[];
BEGIN
    IF cardinality(types) = 0 THEN
        types := NULL;
    END IF;
    IF after_ts IS NOT NULL AND before_ts IS NULL THEN
        ids := ARRAY(SELECT a.id FROM activity a
            WHERE (a.object_id = ANY(objs) OR a.user_id = by_user)
              AND (types IS NULL OR a.activity_type = ANY(types))
              AND (excl IS NULL OR a.activity_type <> ALL(excl))
              AND a.timestamp > after_ts
              AND (a.activity_type NOT LIKE '%package' OR EXISTS (SELECT 1 FROM package vp
                   WHERE vp.id = a.object_id
                     AND ckan_can_read(vp.state, vp.private, vp.owner_org, vp.creator_user_id, v)))
            ORDER BY a.timestamp, a.id
            LIMIT (p->>'limit')::bigint OFFSET (p->>'offset')::bigint);
    ELSE
        ids := ARRAY(SELECT a.id FROM activity a
            WHERE (a.object_id = ANY(objs) OR a.user_id = by_user)
              AND (types IS NULL OR a.activity_type = ANY(types))
              AND (excl IS NULL OR a.activity_type <> ALL(excl))
              AND (after_ts IS NULL OR a.timestamp > after_ts)
              AND (before_ts IS NULL OR a.timestamp < before_ts)
              AND (a.activity_type NOT LIKE '%package' OR EXISTS (SELECT 1 FROM package vp
                   WHERE vp.id = a.object_id
                     AND ckan_can_read(vp.state, vp.private, vp.owner_org, vp.creator_user_id, v)))
            ORDER BY a.timestamp DESC, a.id DESC
            LIMIT (p->>'limit')::bigint OFFSET (p->>'offset')::bigint);
    END IF;
    RETURN (SELECT coalesce(json_agg(ckan_g_activity_dict(a, site)
                                     ORDER BY a.timestamp DESC, a.id DESC), '[]')::text
            FROM activity a WHERE a.id = ANY(ids));
END
$$;

-- package/group/organization/user_activity_list and recently_changed_packages_activity_list.
-- p: {kind, id?, limit, offset, after?, before?, types[]?, exclude[]?}.
CREATE OR REPLACE FUNCTION ckan_activity_list(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result text;
    kind text := p->>'kind';
    pk package;
    g grp;
    u users;
    objs uuid[];
BEGIN
    IF kind = 'package' THEN
        pk := ckan_g_package(p->>'id');
        IF pk.id IS NULL THEN
            RAISE EXCEPTION '' USING ERRCODE = 'OD100';
        ELSIF NOT ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v) THEN
            RAISE EXCEPTION 'User % not authorized to read package %', ckan_viewer_name(v), pk.id
                USING ERRCODE = 'OD403';
        ELSE
            result := ckan_g_activity_page(p, ARRAY[pk.id], NULL, site, v);
        END IF;
    ELSIF kind IN ('group', 'organization') THEN
        g := ckan_g_readable_group(p->>'id', kind);
        objs := ARRAY[g.id] || ARRAY(SELECT x.id FROM ckan_g_group_packages(g, v) x);
        result := ckan_g_activity_page(p, objs, NULL, site, v);
    ELSIF kind = 'user' THEN
        u := ckan_g_user(p->>'id');
        IF u.id IS NULL THEN
            RAISE EXCEPTION '' USING ERRCODE = 'OD100';
        END IF;
        result := ckan_g_activity_page(p, ARRAY[u.id], u.id, site, v);
    ELSE
        result := (
            SELECT coalesce(json_agg(ckan_g_activity_dict(x, site)
                                     ORDER BY x.timestamp DESC, x.id DESC), '[]')::text
            FROM (SELECT a.* FROM activity a
                  WHERE a.activity_type LIKE '%package' AND EXISTS (SELECT 1 FROM package vp
                      WHERE vp.id = a.object_id
                        AND ckan_can_read(vp.state, vp.private, vp.owner_org, vp.creator_user_id,
                                          v))
                  ORDER BY a.timestamp DESC, a.id DESC
                  LIMIT (p->>'limit')::bigint OFFSET (p->>'offset')::bigint) x);
    END IF;
    RETURN result;
END
$$;
