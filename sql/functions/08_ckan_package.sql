-- 08_ckan_package: CKAN package and resource reads (ckan-research §3.1, §4). Every function
-- returns JSON text the server splices into the envelope; callers see what ckan_can_read lets
-- them, and an existing dataset they may not read answers 403 as CKAN does.
--
-- ckan_package_doc(pid, site_url) is the package_show dict of one package, whatever its state
-- (callers decide visibility). Docs are cached in ckan_doc, kept current by 14_package_changed
-- like tw_doc (03_tw_api): a cached package_show is one index lookup instead of ~10 queries.

-- CKAN's timestamp form: Python isoformat() of naive UTC, fraction only when non-zero.
CREATE OR REPLACE FUNCTION ckan_time(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN date_part('microseconds', ts)::bigint % 1000000 <> 0
                THEN to_char(ts AT TIME ZONE 'UTC', '.US') ELSE '' END
$$;

-- Docs are cached with this marker where the site URL goes (upload/datastore resource URLs,
-- uploaded group images); reads put the caller's site URL in. Built from control characters,
-- which JSON text always escapes, so the marker's JSON form '\u0001site\u0002' cannot come
-- from data short of those very control characters.
CREATE OR REPLACE FUNCTION ckan_site_marker() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT E'\x01site\x02' $$;

-- A resource's url as CKAN shows it (model_dictize.resource_dictize, datastore plugin).
-- PL/pgSQL: as SQL it is not inlined (uuid || text is only STABLE) and was planned again for
-- every package dict.
CREATE OR REPLACE FUNCTION ckan_resource_url(r resource, site_url text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN CASE
        WHEN r.url_type = 'upload' THEN
            site_url || '/dataset/' || r.package_id || '/resource/' || r.id || '/download/'
            || regexp_replace(regexp_replace(replace(btrim(lower(
                   regexp_replace(coalesce(r.download_url, ''), '^.*/', ''))), ' ', '-'),
                   '[^a-z0-9_.-]', '', 'g'), '-+', '-', 'g')
        WHEN r.url_type = 'datastore' THEN site_url || '/datastore/dump/' || r.id
        WHEN coalesce(r.download_url, r.access_url, '') = '' THEN ''
        WHEN coalesce(r.download_url, r.access_url) ~ '^[A-Za-z][A-Za-z0-9+.-]*:' THEN
            coalesce(r.download_url, r.access_url)
        ELSE 'http://' || ltrim(coalesce(r.download_url, r.access_url), '/') END;
END
$$;

-- One resource dict (§3.1) at position pos (0-based among the package's active resources):
-- CKAN's columns in order, then the Taiwan fields and the resource's own extra keys; name and
-- description in language lang (NULL: the default text; 25_i18n).
CREATE OR REPLACE FUNCTION ckan_resource_doc(r resource, pos int, site_url text,
                                             lang text DEFAULT NULL) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT tw_json_append(json_build_object(
        'cache_last_updated', NULL,
        'cache_url', NULL,
        'created', ckan_time(r.created),
        'datastore_active', r.datastore_active,
        'description', CASE WHEN lang IS NULL THEN r.description
            ELSE coalesce(nullif(r.extras->'description_translated'->>lang, ''), r.description)
            END,
        'format', coalesce(r.format, ''),
        'hash', coalesce(r.hash, ''),
        'id', r.id,
        'last_modified', ckan_time(r.last_modified),
        'metadata_modified', ckan_time(r.metadata_modified),
        'mimetype', r.mimetype,
        'mimetype_inner', r.mimetype_inner,
        'name', CASE WHEN lang IS NULL THEN r.name
            ELSE coalesce(nullif(r.extras->'name_translated'->>lang, ''), r.name) END,
        'package_id', r.package_id,
        'position', pos,
        'resource_type', r.resource_type,
        'size', r.size,
        'state', r.state,
        'url', ckan_resource_url(r, site_url),
        'url_type', r.url_type)::text,
        (jsonb_strip_nulls(jsonb_build_object(
            'accessURL', CASE WHEN r.download_url IS NOT NULL THEN r.access_url END,
            'characterSetCode', r.character_set_code,
            'metadataSourceOfData', r.metadata_source_of_data))
         || (r.extras - ARRAY['cache_last_updated', 'cache_url', 'created', 'datastore_active',
                'description', 'format', 'hash', 'id', 'last_modified', 'metadata_modified',
                'mimetype', 'mimetype_inner', 'name', 'package_id', 'position',
                'resource_type', 'size', 'state', 'url', 'url_type']))::text)
$$;

-- The extras list: Taiwan standard fields held in columns (as strings; issued/modified in
-- portal local time as the Taiwan API shows them), then the stored extras not shadowed by
-- them, non-string values JSON-encoded; sorted by key. The standard's `type` and `notes` are
-- the extras `dataType` and `remarks`: CKAN refuses extras named as its own fields, so a dict
-- shown can be written back (19_ckan_package_write). The publisher fields are the dataset's
-- own (sql/migrations/015; o is unused since, the signature stays).
CREATE OR REPLACE FUNCTION ckan_extras_doc(p package, o grp, tz text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tw boolean := p.identifier IS NOT NULL;
    keys text[] := ARRAY['categoryCode', 'identifier', 'fieldDescription', 'dataType', 'license',
        'licenseURL', 'cost', 'costURL', 'costLaw', 'organization', 'organizationContactName',
        'organizationContactPhone', 'organizationContactEmail', 'publisher',
        'publisherContactName', 'publisherContactPhone', 'publisherContactEmail', 'publisherOID',
        'publisherOrgCode', 'accrualPeriodicity', 'temporalCoverageFrom', 'temporalCoverageTo',
        'issued', 'modified', 'spatial', 'language', 'landingPage', 'numberOfData', 'remarks'];
    vals text[];
BEGIN
    vals := ARRAY[
        (SELECT min(c.code::text) FROM member m JOIN tw_category c ON c.group_id = m.group_id
         WHERE m.table_id = p.id AND m.table_name = 'package' AND m.state = 'active'),
        p.identifier, p.field_description, p.data_type, p.license_title, p.license_url, p.cost,
        p.cost_url, p.cost_law, p.organization_name, p.organization_contact_name,
        p.organization_contact_phone, p.organization_contact_email,
        p.publisher,
        p.publisher_contact_name, p.publisher_contact_phone, p.publisher_contact_email,
        p.publisher_oid, p.publisher_org_code,
        p.accrual_periodicity, p.temporal_coverage_from, p.temporal_coverage_to,
        CASE WHEN tw OR p.issued IS NOT NULL
             THEN tw_time(coalesce(p.issued, p.metadata_created), tz) END,
        CASE WHEN tw OR p.modified IS NOT NULL
             THEN tw_time(coalesce(p.modified, p.metadata_modified), tz) END,
        p.spatial, p.language, p.landing_page, p.number_of_data::text, p.remarks];
    RETURN (
        SELECT coalesce(json_agg(json_build_object('key', k, 'value', v) ORDER BY k COLLATE "C"),
                        '[]')::text
        FROM (
            SELECT s.k, s.v FROM unnest(keys, vals) s(k, v) WHERE s.v IS NOT NULL
            UNION ALL
            SELECT e.key, CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}'
                               ELSE e.value::text END
            FROM package_extra e
            WHERE e.package_id = p.id AND NOT e.key = ANY (
                SELECT s.k FROM unnest(keys, vals) s(k, v) WHERE s.v IS NOT NULL)) x(k, v));
END
$$;

-- The dataset's groups (not organizations) as the show schema reduces them, by display_name;
-- titles and descriptions in language lang (NULL: the default text).
CREATE OR REPLACE FUNCTION ckan_groups_doc(pid uuid, site_url text, lang text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(json_build_object(
            'description', ckan_tr(g.description, g.translated->'description_translated', lang),
            'display_name', coalesce(nullif(g.title, ''), g.name),
            'id', g.id,
            'image_display_url', CASE WHEN g.image_url <> '' AND g.image_url !~ '^http'
                THEN site_url || '/uploads/group/' || g.image_url ELSE g.image_url END,
            'name', g.name,
            'title', g.title) ORDER BY coalesce(nullif(g.title, ''), g.name) COLLATE "C"),
            '[]')::text
        FROM member m
        JOIN (SELECT x.id, x.name, x.is_organization, x.state, x.image_url, x.translated,
                     x.description, ckan_tr(x.title, x.translated->'title_translated', lang) AS title
              FROM grp x) g ON g.id = m.group_id
        WHERE m.table_id = pid AND m.table_name = 'package' AND m.state = 'active'
          AND NOT g.is_organization AND g.state = 'active');
END
$$;

-- One relationship row as package_show shows it, with CKAN's odd `__extras` wrapper around the
-- package ids.
CREATE OR REPLACE FUNCTION ckan_relationship_item(x package_relationship) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('id', x.id, 'type', x.type, 'comment', x.comment,
        '__extras', json_build_object('subject_package_id', x.subject_package_id,
                                      'object_package_id', x.object_package_id))
$$;

-- relationships_as_subject (as_subject) or relationships_as_object.
CREATE OR REPLACE FUNCTION ckan_relationships_doc(pid uuid, as_subject boolean) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF as_subject THEN
        RETURN (SELECT coalesce(json_agg(ckan_relationship_item(x) ORDER BY x.id), '[]')::text
                FROM package_relationship x
                WHERE x.subject_package_id = pid AND x.state = 'active');
    END IF;
    RETURN (SELECT coalesce(json_agg(ckan_relationship_item(x) ORDER BY x.id), '[]')::text
            FROM package_relationship x WHERE x.object_package_id = pid AND x.state = 'active');
END
$$;

-- The package_show dict of one package (any state), NULL when there is none. site_url goes
-- into upload/datastore resource URLs and uploaded group image URLs; the texts are in language
-- lang (NULL: the default text; 25_i18n).
CREATE OR REPLACE FUNCTION ckan_build_doc(pid uuid, site_url text, tz text,
                                          lang text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p package;
    o grp;
    lic ckan_license;
    lic_title text;
    lic_url text;
    res_doc text;
    nres bigint;
    tags_doc text;
    ntags bigint;
    head text;
    tail text;
BEGIN
    SELECT * INTO p FROM package WHERE id = pid;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO o FROM grp WHERE id = p.owner_org AND state = 'active';
    SELECT * INTO lic FROM ckan_license WHERE id = p.license_id;
    IF lic.id IS NOT NULL THEN
        lic_title := lic.title;
        lic_url := nullif(lic.url, '');
    ELSIF p.license_id IS NULL AND p.license_title IS NOT NULL THEN
        -- A Taiwan record declares its licence as text: show it rather than null.
        lic_title := p.license_title;
        lic_url := nullif(p.license_url, '');
    ELSE
        lic_title := p.license_id;
    END IF;
    SELECT '[' || coalesce(string_agg(ckan_resource_doc(s.r, (s.n - 1)::int, site_url, lang), ', '
                                      ORDER BY s.n), '') || ']', count(*)
    INTO res_doc, nres
    FROM (SELECT r, row_number() OVER (ORDER BY r.position, r.id COLLATE "C") AS n
          FROM resource r WHERE r.package_id = pid AND r.state = 'active') s;
    SELECT coalesce(json_agg(json_build_object('display_name', t.name, 'id', t.id, 'name', t.name,
                        'state', pt.state, 'vocabulary_id', t.vocabulary_id)
                        ORDER BY t.name COLLATE "C", t.id), '[]')::text, count(*)
    INTO tags_doc, ntags
    FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
    WHERE pt.package_id = pid AND pt.state = 'active';
    head := json_build_object(
        'author', p.author,
        'author_email', p.author_email,
        'creator_user_id', p.creator_user_id,
        'extras', ckan_extras_doc(p, o, tz)::json,
        'groups', ckan_groups_doc(pid, site_url, lang)::json,
        'id', p.id,
        'isopen', coalesce(lic.od_conformance = 'approved' OR lic.osd_conformance = 'approved',
                           false),
        'license_id', p.license_id,
        'license_title', lic_title)::text;
    tail := json_build_object(
        'maintainer', p.maintainer,
        'maintainer_email', p.maintainer_email,
        'metadata_created', ckan_time(p.metadata_created),
        'metadata_modified', ckan_time(p.metadata_modified),
        'name', p.name,
        'notes', ckan_tr(p.notes, p.translated->'notes_translated', lang),
        'notes_translated', p.translated->'notes_translated',
        'num_resources', nres,
        'num_tags', ntags,
        'organization', CASE WHEN o.id IS NOT NULL THEN json_build_object(
            'approval_status', o.approval_status,
            'created', ckan_time(o.created),
            'description', ckan_tr(o.description, o.translated->'description_translated', lang),
            'id', o.id,
            'image_url', o.image_url,
            'is_organization', o.is_organization,
            'name', o.name,
            'state', o.state,
            'title', ckan_tr(o.title, o.translated->'title_translated', lang),
            'type', o.type) END,
        'owner_org', p.owner_org,
        'private', p.private,
        'relationships_as_object', ckan_relationships_doc(pid, false)::json,
        'relationships_as_subject', ckan_relationships_doc(pid, true)::json,
        'resources', res_doc::json,
        'state', p.state,
        'tags', tags_doc::json,
        'title', regexp_replace(ckan_tr(p.title, p.translated->'title_translated', lang),
                                '^\s+|\s+$', '', 'g'),
        'title_translated', p.translated->'title_translated',
        'type', coalesce(nullif(p.type, ''), 'dataset'),
        'url', p.url,
        'version', p.version)::text;
    -- the translations only where the dataset has them (json_build_object's own spacing)
    tail := replace(replace(tail, '"notes_translated" : null, ', ''),
                    '"title_translated" : null, ', '');
    RETURN left(head, -1)
        || CASE WHEN lic_url IS NOT NULL THEN ', "license_url" : ' || to_json(lic_url)::text
                ELSE '' END
        || ', ' || substr(tail, 2);
END
$$;

-- A cached doc with the marker's JSON form replaced by the site URL (JSON-escaped).
CREATE OR REPLACE FUNCTION ckan_site_put(doc text, site_url text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    esc text := to_json(site_url)::text;
BEGIN
    RETURN replace(doc, '\u0001site\u0002', substr(esc, 2, length(esc) - 2));
END
$$;

CREATE OR REPLACE FUNCTION ckan_portal_tz() RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce((SELECT value FROM system_info WHERE key = 'tw.timezone'), 'Asia/Taipei');
END
$$;

-- A package's cached dict in language lang (ckan_doc_lang), NULL when that is the default one
-- (or lang is NULL).
CREATE OR REPLACE FUNCTION ckan_doc_in(pid uuid, lang text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE lang WHEN 'en' THEN l.doc_en WHEN 'zh_TW' THEN l.doc_zh_tw
                     WHEN 'zh_CN' THEN l.doc_zh_cn END
    FROM ckan_doc_lang l WHERE lang IS NOT NULL AND l.package_id = pid
$$;

-- REQUIRED INTERFACE (package_search, group_show ... call it): the package_show dict of one
-- package as JSON text, whatever its state; NULL when there is no such package. Its texts are
-- in the language of the read (25_i18n's ckan_lang).
CREATE OR REPLACE FUNCTION ckan_package_doc(pid uuid, site_url text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN ckan_package_doc_lang(pid, site_url, ckan_lang());
END
$$;

-- ckan_package_doc in language lang (NULL: the default text).
CREATE OR REPLACE FUNCTION ckan_package_doc_lang(pid uuid, site_url text, lang text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    body text;
    dep boolean;
BEGIN
    IF lang IS NULL THEN
        SELECT d.doc, d.site_dependent INTO body, dep FROM ckan_doc d WHERE d.package_id = pid;
    ELSE  -- one lookup for both: this runs once per dict of a search page
        SELECT coalesce(CASE lang WHEN 'en' THEN l.doc_en WHEN 'zh_TW' THEN l.doc_zh_tw
                                  WHEN 'zh_CN' THEN l.doc_zh_cn END, d.doc), d.site_dependent
          INTO body, dep
        FROM ckan_doc d LEFT JOIN ckan_doc_lang l ON l.package_id = d.package_id
        WHERE d.package_id = pid;
    END IF;
    IF NOT FOUND THEN
        RETURN ckan_build_doc(pid, site_url, ckan_portal_tz(), lang);
    ELSIF dep THEN
        RETURN ckan_site_put(body, site_url);
    END IF;
    RETURN body;
END
$$;

-- Rebuild one package's cached doc (14_package_changed calls it at commit, once per changed
-- package).
CREATE OR REPLACE FUNCTION ckan_refresh_doc(pid uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    doc text;
    tz text := ckan_portal_tz();
    tr text[];  -- the en, zh_TW, zh_CN dicts (25_i18n), or NULLs
BEGIN
    IF pid IS NULL THEN
        RETURN;
    END IF;
    doc := ckan_build_doc(pid, ckan_site_marker(), tz);
    IF doc IS NULL THEN
        RETURN;
    END IF;
    IF ckan_i18n_has(pid) THEN
        tr := ARRAY[ckan_build_doc(pid, ckan_site_marker(), tz, 'en'),
                    ckan_build_doc(pid, ckan_site_marker(), tz, 'zh_TW'),
                    ckan_build_doc(pid, ckan_site_marker(), tz, 'zh_CN')];
    END IF;
    INSERT INTO ckan_doc (package_id, built_xact, site_dependent, doc)
    VALUES (pid, pg_current_xact_id(), strpos(doc, '\u0001site\u0002') > 0, doc)
    ON CONFLICT (package_id) DO UPDATE SET built_xact = EXCLUDED.built_xact,
        site_dependent = EXCLUDED.site_dependent, doc = EXCLUDED.doc;
    IF tr IS NULL THEN
        DELETE FROM ckan_doc_lang WHERE package_id = pid;
    ELSE
        INSERT INTO ckan_doc_lang (package_id, doc_en, doc_zh_tw, doc_zh_cn)
        VALUES (pid, nullif(tr[1], doc), nullif(tr[2], doc), nullif(tr[3], doc))
        ON CONFLICT (package_id) DO UPDATE SET doc_en = EXCLUDED.doc_en,
            doc_zh_tw = EXCLUDED.doc_zh_tw, doc_zh_cn = EXCLUDED.doc_zh_cn;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Actions. Each returns its result as JSON text; a refusal is RAISEd (docs/ARCHITECTURE.md,
-- "SQL → C"): OD100 not found, OD403 forbidden, the message being what CKAN puts after "Not
-- found: " or "Access denied: " ('' for the word alone).
-- The package an outside id names, in any state: id, name, Taiwan identifier (any case). Names
-- are lower case, so an id with capitals is looked up as an identifier first.
CREATE OR REPLACE FUNCTION ckan_find_package(id_in text) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    pid uuid;
BEGIN
    IF id_in ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN
        SELECT id INTO pid FROM package WHERE id = id_in::uuid;
    END IF;
    IF pid IS NULL AND id_in = lower(id_in) THEN
        SELECT id INTO pid FROM package WHERE name = id_in;
    END IF;
    IF pid IS NULL THEN
        SELECT id INTO pid FROM package WHERE lower(identifier) = lower(id_in);
    END IF;
    IF pid IS NULL AND id_in <> lower(id_in) THEN
        SELECT id INTO pid FROM package WHERE name = lower(id_in);
    END IF;
    RETURN pid;
END
$$;

CREATE OR REPLACE FUNCTION ckan_package_visible(pid uuid, v ckan_viewer DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM package
                   WHERE id = pid AND ckan_can_read(state, private, owner_org, creator_user_id, v));
END
$$;

-- package_show: visibility and the cached doc in one lookup.
CREATE OR REPLACE FUNCTION ckan_package_show(id_in text, site_url text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    pid uuid := ckan_find_package(id_in);
    lang text := ckan_lang();
    visible boolean;
    body text;
    dep boolean;
BEGIN
    SELECT ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v),
           coalesce(ckan_doc_in(pid, lang), d.doc), d.site_dependent INTO visible, body, dep
    FROM package p LEFT JOIN ckan_doc d ON d.package_id = p.id WHERE p.id = pid;
    IF pid IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    ELSIF NOT visible THEN
        RAISE EXCEPTION 'User % not authorized to read package %', ckan_viewer_name(v), pid
            USING ERRCODE = 'OD403';
    ELSIF body IS NULL THEN
        body := ckan_build_doc(pid, site_url, ckan_portal_tz(), lang);
    ELSIF dep THEN
        body := ckan_site_put(body, site_url);
    END IF;
    RETURN body;
END
$$;

-- package_list: names of visible datasets by name; lim NULL or 0 = all (CKAN's `if limit:`).
CREATE OR REPLACE FUNCTION ckan_package_list(lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(s.name ORDER BY s.name COLLATE "C"), '[]')::text FROM (
            SELECT name FROM package WHERE state = 'active' AND NOT private
            ORDER BY name COLLATE "C" LIMIT nullif(lim, 0) OFFSET off) s);
END
$$;

-- current_package_list_with_resources: full dicts, most recently modified first; sysadmins
-- also get private datasets.
CREATE OR REPLACE FUNCTION ckan_current_package_list(lim bigint, off bigint, site_url text,
                                                     with_private boolean) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT '[' || coalesce(string_agg(ckan_package_doc(s.id, site_url), ', ' ORDER BY s.n), '')
               || ']'
        FROM (SELECT id, row_number() OVER (ORDER BY metadata_modified DESC, id) AS n
              FROM package WHERE state = 'active' AND (NOT private OR with_private)
              ORDER BY metadata_modified DESC, id LIMIT lim OFFSET off) s);
END
$$;

-- A LIKE pattern matching s anywhere, its wildcards escaped.
CREATE OR REPLACE FUNCTION ckan_like_any(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '%' || regexp_replace(s, '([\\%_])', '\\\1', 'g') || '%'
$$;

-- package_autocomplete: visible datasets whose name or title contains q (any case); name
-- matches first (exact, prefix, inside), then title matches.
CREATE OR REPLACE FUNCTION ckan_package_autocomplete(q text, lim bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    pat text := ckan_like_any(q);
    ql text := lower(q);
BEGIN
    IF q = '' THEN
        RETURN '[]';
    END IF;
    RETURN (
        SELECT coalesce(json_agg(json_build_object(
                'name', s.name, 'title', s.title,
                'match_field', CASE WHEN s.in_name THEN 'name' ELSE 'title' END,
                'match_displayed', CASE WHEN s.in_name THEN s.name
                                        ELSE format('%s (%s)', s.title, s.name) END)
                ORDER BY s.n), '[]')::text
        FROM (SELECT p.name, p.title, strpos(p.name, ql) > 0 AS in_name,
                     row_number() OVER (ORDER BY p.name = ql DESC, strpos(p.name, ql) = 1 DESC,
                         strpos(p.name, ql) > 0 DESC, strpos(lower(p.title), ql) = 1 DESC,
                         p.name COLLATE "C") AS n
              FROM package p
              WHERE p.state = 'active' AND NOT p.private
                AND (p.name ILIKE pat OR p.title ILIKE pat)
              ORDER BY n LIMIT lim) s);
END
$$;

-- format_autocomplete: lower-cased formats of active resources of visible datasets containing
-- q, most used first.
CREATE OR REPLACE FUNCTION ckan_format_autocomplete(q text, lim bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(s.f ORDER BY s.total DESC, s.f COLLATE "C"), '[]')::text FROM (
            SELECT lower(r.format) AS f, count(*) AS total
            FROM resource r JOIN package p ON p.id = r.package_id
            WHERE r.state = 'active' AND p.state = 'active' AND NOT p.private
              AND r.format <> '' AND r.format ILIKE ckan_like_any(q)
            GROUP BY lower(r.format)
            ORDER BY total DESC, lower(r.format) COLLATE "C" LIMIT lim) s);
END
$$;

-- The 0-based position CKAN shows for an active resource: its rank among the package's
-- active resources.
CREATE OR REPLACE FUNCTION ckan_resource_position(r resource) RETURNS int
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FROM resource x
            WHERE x.package_id = r.package_id AND x.state = 'active'
              AND (x.position < r.position
                   OR x.position = r.position AND x.id COLLATE "C" < r.id COLLATE "C"));
END
$$;

-- resource_show.
CREATE OR REPLACE FUNCTION ckan_resource_show(id_in text, site_url text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource;
BEGIN
    SELECT * INTO r FROM resource WHERE id = id_in;
    IF NOT FOUND THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    ELSIF NOT ckan_package_visible(r.package_id, v) THEN
        RAISE EXCEPTION 'User % not authorized to read resource %', ckan_viewer_name(v), r.id
            USING ERRCODE = 'OD403';
    ELSIF r.state <> 'active' THEN
        RAISE EXCEPTION 'Resource was not found.' USING ERRCODE = 'OD100';
    END IF;
    RETURN ckan_resource_doc(r, ckan_resource_position(r), site_url, ckan_lang());
END
$$;

-- The SQL condition for one resource_search term (field already checked by the server).
CREATE OR REPLACE FUNCTION ckan_resource_term(field text, term text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    col text;
BEGIN
    CASE field
    WHEN 'hash' THEN
        RETURN format('coalesce(r.hash, '''') ILIKE %L', regexp_replace(term, '([\\%_])', '\\\1', 'g') || '%');
    WHEN 'size' THEN
        IF btrim(term) ~ '^[+-]?[0-9]{1,18}$' THEN
            RETURN format('r.size = %s', btrim(term)::bigint);
        END IF;
        RETURN 'false';
    WHEN 'created', 'last_modified', 'metadata_modified' THEN
        BEGIN
            RETURN format('r.%I = %L::timestamp AT TIME ZONE ''UTC''', field, term::timestamp);
        EXCEPTION WHEN others THEN
            RETURN 'false';
        END;
    WHEN 'cache_url', 'cache_last_updated' THEN
        RETURN 'false';  -- never set here
    ELSE
        col := CASE field
            WHEN 'url' THEN 'coalesce(r.download_url, r.access_url)'
            WHEN 'characterSetCode' THEN 'r.character_set_code'
            WHEN 'metadataSourceOfData' THEN 'r.metadata_source_of_data'
            ELSE format('r.%I', field) END;
        RETURN format('%s ILIKE %L', col, ckan_like_any(term));
    END CASE;
END
$$;

-- resource_search. p: {terms: [[field, term], ...], order_by, offset, limit}. The page is taken
-- in order_by order, then sorted by position as CKAN's resource_list_dictize does.
CREATE OR REPLACE FUNCTION ckan_resource_search(p jsonb, site_url text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cond text := '';
    t jsonb;
    ord text;
    n bigint;
    results text;
BEGIN
    FOR t IN SELECT * FROM jsonb_array_elements(p->'terms') LOOP
        cond := cond || ' AND ' || ckan_resource_term(t->>0, t->>1);
    END LOOP;
    ord := CASE p->>'order_by'
        WHEN 'url' THEN 'coalesce(r.download_url, r.access_url), '
        WHEN 'id' THEN '' WHEN 'package_id' THEN 'r.package_id, '
        WHEN 'format' THEN 'r.format, ' WHEN 'description' THEN 'r.description, '
        WHEN 'hash' THEN 'r.hash, ' WHEN 'position' THEN 'r.position, '
        WHEN 'name' THEN 'r.name, ' WHEN 'resource_type' THEN 'r.resource_type, '
        WHEN 'mimetype' THEN 'r.mimetype, ' WHEN 'mimetype_inner' THEN 'r.mimetype_inner, '
        WHEN 'size' THEN 'r.size, ' WHEN 'created' THEN 'r.created, '
        WHEN 'last_modified' THEN 'r.last_modified, '
        WHEN 'metadata_modified' THEN 'r.metadata_modified, '
        WHEN 'url_type' THEN 'r.url_type, ' WHEN 'state' THEN 'r.state, '
        WHEN 'extras' THEN 'r.extras, ' ELSE '' END || 'r.id';
    EXECUTE format($q$
        WITH m AS MATERIALIZED (
            SELECT r, row_number() OVER (ORDER BY %s) AS k
            FROM resource r JOIN package p ON p.id = r.package_id
            WHERE p.state = 'active' AND NOT p.private AND r.state = 'active' %s),
        page AS (SELECT r, k FROM m ORDER BY k OFFSET %s LIMIT %s),
        placed AS (SELECT r, k, ckan_resource_position(r) AS pos FROM page)
        SELECT (SELECT count(*) FROM m),
               (SELECT '[' || coalesce(string_agg(ckan_resource_doc(r, pos, $1, ckan_lang()), ', '
                                                  ORDER BY pos, k), '') || ']' FROM placed)
        $q$, ord, cond, coalesce((p->>'offset')::bigint, 0),
        coalesce((p->>'limit')::bigint::text, 'ALL'))
    INTO n, results USING site_url;
    RETURN format('{"count": %s, "results": %s}', n, results);
END
$$;

-- The reverse of a relationship type (package_relationship.py).
CREATE OR REPLACE FUNCTION ckan_rel_reverse(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE t
        WHEN 'depends_on' THEN 'dependency_of' WHEN 'dependency_of' THEN 'depends_on'
        WHEN 'derives_from' THEN 'has_derivation' WHEN 'has_derivation' THEN 'derives_from'
        WHEN 'links_to' THEN 'linked_from' WHEN 'linked_from' THEN 'links_to'
        WHEN 'child_of' THEN 'parent_of' WHEN 'parent_of' THEN 'child_of'
        ELSE t END
$$;

-- package_relationships_list: the relationships of id (with id2 only, of type rel only), seen
-- from id's side, with dataset names. Relationships to datasets the caller cannot see are left
-- out.
CREATE OR REPLACE FUNCTION ckan_package_relationships(id_in text, id2_in text, rel_in text,
                                                      v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p1 uuid := ckan_find_package(id_in);
    p2 uuid;
    rel text := nullif(nullif(rel_in, ''), 'relationships');
    body text;
    n bigint;
BEGIN
    IF p1 IS NULL THEN
        RAISE EXCEPTION 'First package named in request was not found.' USING ERRCODE = 'OD100';
    END IF;
    IF coalesce(id2_in, '') <> '' THEN
        p2 := ckan_find_package(id2_in);
        IF p2 IS NULL THEN
            RAISE EXCEPTION 'Second package named in address was not found.'
                USING ERRCODE = 'OD100';
        END IF;
    END IF;
    IF NOT ckan_package_visible(p1, v)
       OR (p2 IS NOT NULL AND NOT ckan_package_visible(p2, v)) THEN
        RAISE EXCEPTION 'User % not authorized to read these packages', ckan_viewer_name(v)
            USING ERRCODE = 'OD403';
    END IF;
    SELECT coalesce(json_agg(json_build_object('subject', me.name, 'type', x.t,
                        'object', o.name, 'comment', x.comment)
                        ORDER BY o.name COLLATE "C", x.t COLLATE "C"), '[]')::text, count(*)
    INTO body, n
    FROM (SELECT CASE WHEN r.subject_package_id = p1 THEN r.type
                      ELSE ckan_rel_reverse(r.type) END AS t,
                 CASE WHEN r.subject_package_id = p1 THEN r.object_package_id
                      ELSE r.subject_package_id END AS other,
                 r.comment
          FROM package_relationship r
          WHERE r.state = 'active'
            AND (r.subject_package_id = p1 AND (p2 IS NULL OR r.object_package_id = p2)
                 OR r.object_package_id = p1 AND (p2 IS NULL OR r.subject_package_id = p2))) x
    JOIN package o ON o.id = x.other
                  AND ckan_can_read(o.state, o.private, o.owner_org, o.creator_user_id, v)
    CROSS JOIN (SELECT name FROM package WHERE id = p1) me
    WHERE rel IS NULL OR x.t = rel;
    IF rel IS NOT NULL AND n = 0 THEN
        RAISE EXCEPTION 'Relationship "% % %" not found.', id_in, rel, coalesce(id2_in, 'None')
            USING ERRCODE = 'OD100';
    END IF;
    RETURN body;
END
$$;
