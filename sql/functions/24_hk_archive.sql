-- 24_hk_archive: the Hong Kong-style historical archive (GET /v1/historical-archive/..., server/
-- hk/hk_archive.c) over the raw-file versions the loading library records (resource_version:
-- one row per distinct content of a resource, its bytes a large object, the field list in force,
-- the time it was recorded). Days and minutes are the portal's time zone (ckan_portal_tz); only
-- versions recorded before today are listed or served by time, as DATA.GOV.HK does. What is
-- listed is what an anonymous caller may read. Parameter syntax is checked in C (hk_params.c);
-- here what needs the data: OD100 (the answer {"message": "Not Found"}), OD210 (400, the
-- message after "REQUEST ERROR: ").

-- The portal's today, the first day nothing is listed of.
CREATE OR REPLACE FUNCTION hk_today() RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE ckan_portal_tz())::date
$$;

-- The start of a portal day as a time.
CREATE OR REPLACE FUNCTION hk_day_start(d date) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT d::timestamp AT TIME ZONE ckan_portal_tz()
$$;

-- A time as the archive writes it: YYYYMMDD-HHMM (portal time), or YYYYMMDD.
CREATE OR REPLACE FUNCTION hk_stamp(t timestamptz, fmt text DEFAULT 'YYYYMMDD-HH24MI')
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE ckan_portal_tz(), fmt)
$$;

-- The URL an archived resource is known by: its download URL (CKAN's url), else its access
-- URL (a service), else its id.
CREATE OR REPLACE FUNCTION hk_archive_url(r resource) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(nullif(r.download_url, ''), nullif(r.access_url, ''), r.id)
$$;

-- The resource an archive URL names (hk_archive_url exactly, or its id), when an anonymous
-- caller may read it; OD100 otherwise.
CREATE OR REPLACE FUNCTION hk_archive_resource(url text) RETURNS resource
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource;
BEGIN
    SELECT x.* INTO r FROM resource x JOIN package p ON p.id = x.package_id
    WHERE (x.download_url = hk_archive_resource.url OR x.access_url = hk_archive_resource.url
           OR x.id = hk_archive_resource.url)
      AND x.state = 'active' AND ckan_can_read(p.state, p.private, p.owner_org,
                                               p.creator_user_id, NULL)
    ORDER BY x.id = hk_archive_resource.url DESC, x.id LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN r;
END
$$;

-- end must be before today (DATA.GOV.HK: "end" at most yesterday).
CREATE OR REPLACE FUNCTION hk_check_end(end_day date) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF end_day >= hk_today() THEN
        RAISE EXCEPTION 'Invalid end parameter' USING ERRCODE = 'OD210', DETAIL = 'end';
    END IF;
END
$$;

-- A dataset's text in a language (translation), else its own.
CREATE OR REPLACE FUNCTION hk_text(obj uuid, field text, lang text, fallback text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT value FROM translation t WHERE t.object_id = obj
                     AND t.field = hk_text.field AND t.lang = hk_text.lang), fallback)
$$;

-- list-files: p {start, end (YYYYMMDD), category, provider, format, search, order (asc|desc),
-- max, skip} → {"file-count", "files": [...]}: the resources with versions in the period, by
-- dataset name then URL.
CREATE OR REPLACE FUNCTION hk_list_files(p jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    from_t timestamptz := hk_day_start(to_date(p->>'start', 'YYYYMMDD'));
    to_t timestamptz := hk_day_start(to_date(p->>'end', 'YYYYMMDD') + 1);
    descending boolean := p->>'order' = 'desc';
    out text;
BEGIN
    PERFORM hk_check_end(to_date(p->>'end', 'YYYYMMDD'));
    WITH v AS (
        SELECT resource_id, count(*) AS n, sum(size) AS total FROM resource_version
        WHERE created >= from_t AND created < to_t GROUP BY resource_id
    ), f AS (
        SELECT x.id, hk_archive_url(x) AS url, x.name AS rname,
               lower(coalesce(x.format, '')) AS format, pk.id AS pid, pk.name AS dataset,
               pk.title, o.name AS provider, v.n, v.total,
               (SELECT g.name FROM member m JOIN grp g ON g.id = m.group_id
                WHERE m.table_name = 'package' AND m.table_id = pk.id AND m.state = 'active'
                  AND g.state = 'active' AND NOT g.is_organization ORDER BY g.name LIMIT 1)
                   AS category
        FROM v JOIN resource x ON x.id = v.resource_id AND x.state = 'active'
        JOIN package pk ON pk.id = x.package_id
        LEFT JOIN grp o ON o.id = pk.owner_org
        WHERE ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, NULL)
          AND (p->>'provider' IS NULL OR o.name = p->>'provider')
          AND (p->>'format' IS NULL OR lower(x.format) = lower(p->>'format'))
          AND (p->>'search' IS NULL
               OR strpos(lower(concat_ws(' ', pk.name, pk.title, x.name, hk_archive_url(x))),
                         lower(p->>'search')) > 0)
    ), c AS (
        SELECT * FROM f WHERE p->>'category' IS NULL OR EXISTS (
            SELECT 1 FROM member m JOIN grp g ON g.id = m.group_id
            WHERE m.table_name = 'package' AND m.table_id = f.pid AND m.state = 'active'
              AND g.name = p->>'category' AND NOT g.is_organization)
    ), page AS (
        SELECT * FROM c
        ORDER BY CASE WHEN descending THEN dataset END DESC, CASE WHEN descending THEN url END DESC,
                 dataset, url
        LIMIT (p->>'max')::bigint OFFSET (p->>'skip')::bigint
    )
    SELECT json_build_object('file-count', (SELECT count(*) FROM c), 'files',
        coalesce((SELECT json_agg(json_build_object(
            'dataset-id', dataset,
            'dataset-name-en', hk_text(pid, 'title', 'en', title),
            'dataset-name-tc', hk_text(pid, 'title', 'zh_TW', title),
            'dataset-name-sc', hk_text(pid, 'title', 'zh_CN', title),
            'resource-name-en', rname, 'resource-name-tc', rname, 'resource-name-sc', rname,
            'url', url, 'format', format, 'provider-id', provider, 'category-id', category,
            'total-size', total, 'version-count', n)
            ORDER BY CASE WHEN descending THEN dataset END DESC,
                     CASE WHEN descending THEN url END DESC, dataset, url)
            FROM page), '[]'))::text
    INTO out;
    RETURN out;
END
$$;

-- The bundle a version recorded at t belongs to, named by its first day (DATA.GOV.HK's ZIPs of
-- an archive's versions): the month's for a month before the portal's current one, else the
-- day's.
CREATE OR REPLACE FUNCTION hk_bundle_day(t timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN date_trunc('month', d) < date_trunc('month', hk_today())
                THEN date_trunc('month', d)::date ELSE d END
    FROM (SELECT (t AT TIME ZONE ckan_portal_tz())::date AS d) x
$$;

-- The versions of resource r in the bundle named d (the first day of a past month, or a day
-- of the current month before today), oldest first; none for any other day.
CREATE OR REPLACE FUNCTION hk_bundle_versions(r resource, d date) RETURNS SETOF resource_version
LANGUAGE sql STABLE AS $$
    SELECT v.* FROM resource_version v
    WHERE v.resource_id = r.id AND d < hk_today() AND hk_bundle_day(hk_day_start(d)) = d
      AND v.created >= hk_day_start(d)
      AND v.created < hk_day_start(CASE WHEN d < date_trunc('month', hk_today())
                                        THEN (d + interval '1 month')::date ELSE d + 1 END)
      AND v.created < hk_day_start(hk_today())
    ORDER BY v.created, v.content_hash
$$;

-- list-file-versions: p {url, start, end} → the six keys. timestamps: the first 10,000 of the
-- period's versions, ascending; version-count and total-size: all of them. data-files: the
-- bundles holding the period's versions, with the bytes of their files (the ZIP adds its
-- headers). schema-dates: the days the field list changed, the one in force at
-- start included. data-dictionary-dates: the day of the first version when the dataset
-- records a data dictionary (its data_dictionary extra).
CREATE OR REPLACE FUNCTION hk_list_file_versions(p jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := hk_archive_resource(p->>'url');
    from_t timestamptz := hk_day_start(to_date(p->>'start', 'YYYYMMDD'));
    to_t timestamptz := least(hk_day_start(to_date(p->>'end', 'YYYYMMDD') + 1),
                              hk_day_start(hk_today()));
    out text;
BEGIN
    WITH v AS (
        SELECT created, size FROM resource_version
        WHERE resource_id = r.id AND created >= from_t AND created < to_t
    ), changes AS (
        SELECT created, fields IS DISTINCT FROM lag(fields) OVER (ORDER BY created) AS changed
        FROM resource_version WHERE resource_id = r.id AND created < to_t
    ), s AS (
        SELECT created FROM changes WHERE changed AND created >= from_t
        UNION
        SELECT max(created) FROM changes WHERE changed AND created < from_t
    ), first_version AS (
        SELECT min(created) AS t FROM resource_version WHERE resource_id = r.id
    )
    SELECT json_build_object(
        'timestamps', coalesce((SELECT json_agg(hk_stamp(created) ORDER BY created)
                                FROM (SELECT created FROM v ORDER BY created LIMIT 10000) f), '[]'),
        'version-count', (SELECT count(*) FROM v),
        'total-size', (SELECT coalesce(sum(size), 0) FROM v),
        'data-files', coalesce((
            SELECT json_agg(json_build_object(
                'timestamp', to_char(b.d, 'YYYYMMDD'),
                'period', CASE WHEN b.d < date_trunc('month', hk_today()) THEN 'M' ELSE 'D' END,
                'size', (SELECT coalesce(sum(x.size), 0) FROM hk_bundle_versions(r, b.d) x))
                ORDER BY b.d)
            FROM (SELECT DISTINCT hk_bundle_day(created) AS d FROM v) b), '[]'),
        'data-dictionary-dates', coalesce((
            SELECT json_agg(hk_stamp(fv.t, 'YYYYMMDD')) FROM first_version fv
            WHERE fv.t < to_t AND EXISTS (SELECT 1 FROM package_extra e
                                          WHERE e.package_id = r.package_id
                                            AND e.key = 'data_dictionary')), '[]'),
        'schema-dates', coalesce((SELECT json_agg(DISTINCT hk_stamp(created, 'YYYYMMDD'))
                                  FROM s WHERE created IS NOT NULL), '[]'))::text
    INTO out;
    RETURN out;
END
$$;

-- get-file: the version of url recorded in the minute `t` (YYYYMMDD-HHMM, portal time; the
-- last one of that minute), before today → {"location": the path serving its bytes}. OD100
-- when there is none.
CREATE OR REPLACE FUNCTION hk_get_file(url text, t text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := hk_archive_resource(url);
    at timestamptz := (to_date(substr(t, 1, 8), 'YYYYMMDD') + make_time(substr(t, 10, 2)::int,
                       substr(t, 12, 2)::int, 0)) AT TIME ZONE ckan_portal_tz();
    v resource_version;
BEGIN
    SELECT * INTO v FROM resource_version
    WHERE resource_id = r.id AND created >= at AND created < at + interval '1 minute'
      AND created < hk_day_start(hk_today())
    ORDER BY created DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object('location', format('/v1/historical-archive/files/%s/%s/%s',
        hk_path_part(r.id), v.content_hash,
        hk_path_part(coalesce(nullif(v.file_name, ''), 'file'))))::text;
END
$$;

-- A bundle's key: what names its ZIP's content (the URL its members are named by, and each
-- member's content and time), so a cached ZIP is the one a key names for ever.
CREATE OR REPLACE FUNCTION hk_bundle_key(r resource, d date) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(hk_archive_url(r) || string_agg(
               ' ' || v.content_hash || '@' || extract(epoch FROM v.created), ''
               ORDER BY v.created, v.content_hash), 'UTF8')), 'hex')
    FROM hk_bundle_versions(r, d) v
$$;

-- get-file with a day (YYYYMMDD): the bundle of that name → {"location"}; OD100 when there is
-- none (another day of a past month, today, a day without versions).
CREATE OR REPLACE FUNCTION hk_get_bundle(url text, d text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := hk_archive_resource(url);
    day date := to_date(d, 'YYYYMMDD');
    key text := hk_bundle_key(r, day);
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object('location', format('/v1/historical-archive/bundles/%s/%s/%s.zip',
        hk_path_part(r.id), d, key))::text;
END
$$;

-- What the bundle path serves: the members of resource rid's bundle d when its key is still
-- key → {"members": [{name, oid (NULL: an upload's file), hash, size, mtime (epoch)}]}, named
-- as DATA.GOV.HK names them: <URL, percent-encoded>/<YYYYMMDD-HHMM>-<the URL's file name, else
-- the file's own>; OD100 otherwise.
CREATE OR REPLACE FUNCTION hk_archive_bundle(rid text, d text, key text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := hk_archive_resource(rid);
    day date := to_date(d, 'YYYYMMDD');
    base text;
    out text;
BEGIN
    IF hk_bundle_key(r, day) IS DISTINCT FROM key THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    base := nullif(regexp_replace(hk_archive_url(r), '[?#].*$|^.*/', '', 'g'), '');
    SELECT json_build_object('members', json_agg(json_build_object(
        'name', hk_path_part(hk_archive_url(r)) || '/' || hk_stamp(v.created) || '-' ||
                coalesce(base, nullif(v.file_name, ''), 'file'),
        'oid', v.content_oid, 'hash', v.content_hash, 'size', v.size,
        'mtime', extract(epoch FROM v.created)::bigint) ORDER BY v.created, v.content_hash))::text
    INTO out FROM hk_bundle_versions(r, day) v;
    RETURN out;
END
$$;

-- A path segment: percent-encoded but for unreserved characters.
CREATE OR REPLACE FUNCTION hk_path_part(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(CASE WHEN b ~ '^[A-Za-z0-9._~-]$' THEN b
                           ELSE upper(regexp_replace(encode(convert_to(b, 'UTF8'), 'hex'),
                                                     '(..)', '%\1', 'g')) END, '' ORDER BY n)
    FROM regexp_split_to_table(s, '') WITH ORDINALITY x(b, n)
$$;

-- get-schema: the field list in force at the end of day d (the latest version recorded on or
-- before it, before today) → {"location"}; OD100 before the first.
CREATE OR REPLACE FUNCTION hk_get_schema(url text, d text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := hk_archive_resource(url);
    v resource_version;
BEGIN
    SELECT * INTO v FROM resource_version
    WHERE resource_id = r.id
      AND created < least(hk_day_start(to_date(d, 'YYYYMMDD') + 1), hk_day_start(hk_today()))
    ORDER BY created DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object('location', format('/v1/historical-archive/schemas/%s/%s.json',
        hk_path_part(r.id), v.content_hash))::text;
END
$$;

-- get-data-dictionary: the dataset's data dictionary URL (its data_dictionary extra) for a day
-- on or after its first version (before today) → {"location"}; OD100 otherwise.
CREATE OR REPLACE FUNCTION hk_get_data_dictionary(url text, d text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := hk_archive_resource(url);
    loc text;
BEGIN
    SELECT e.value #>> '{}' INTO loc FROM package_extra e
    WHERE e.package_id = r.package_id AND e.key = 'data_dictionary'
      AND jsonb_typeof(e.value) = 'string' AND e.value #>> '{}' ~ '^https?://'
      AND EXISTS (SELECT 1 FROM resource_version v WHERE v.resource_id = r.id
                  AND v.created < least(hk_day_start(to_date(d, 'YYYYMMDD') + 1),
                                        hk_day_start(hk_today())));
    IF loc IS NULL THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object('location', loc)::text;
END
$$;

-- The stored file of a version (what get-file's location serves): {oid (NULL: an upload's
-- file, in the upload store by its hash), size, format, file_name} when an anonymous caller
-- may read the resource; OD100 otherwise.
CREATE OR REPLACE FUNCTION hk_archive_file(rid text, hash text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v resource_version;
BEGIN
    PERFORM hk_archive_resource(rid);
    SELECT * INTO v FROM resource_version
    WHERE resource_id = rid AND content_hash = hash
    ORDER BY content_oid IS NULL LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object('oid', v.content_oid, 'size', v.size, 'format', lower(v.format),
                             'file_name', v.file_name)::text;
END
$$;

-- The field list of a version (what get-schema's location serves) as JSON text: [{id, type,
-- info}], as the datastore lists them. OD100 as hk_archive_file.
CREATE OR REPLACE FUNCTION hk_archive_schema(rid text, hash text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f jsonb;
BEGIN
    PERFORM hk_archive_resource(rid);
    SELECT fields INTO f FROM resource_version WHERE resource_id = rid AND content_hash = hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Not Found' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object('fields', f)::text;
END
$$;
