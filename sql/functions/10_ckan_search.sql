-- 10_ckan_search: the search documents CKAN package_search runs on (ckan_search_doc, see
-- sql/migrations/010 for what they hold and why), kept current by 14_package_changed like tw_doc
-- (03_tw_api), so every write path (importer, CKAN write actions) keeps them right without
-- knowing they exist; and the text analysis that fills and queries them (CJK runs as bigrams).

-- Text with every CJK run spelled as its bigrams plus its last character, each a word of its
-- own (abcd → ab bc cd d: double each character, drop the run's first, cut into pairs). For a
-- query (query = true) the final run has no trailing single character, since the document may
-- continue the run there.
CREATE OR REPLACE FUNCTION ckan_search_cjk(t text, query boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    c constant text := '\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f';
    s text;
BEGIN
    IF t IS NULL OR t !~ ('[' || c || ']') THEN
        RETURN t;
    END IF;
    s := regexp_replace(t, '([' || c || '])', '\1\1', 'g');
    s := regexp_replace(s, '(^|[^' || c || '])[' || c || ']', '\1', 'g');
    s := regexp_replace(s, '([' || c || ']{1,2})', ' \1 ', 'g');
    IF query THEN
        s := regexp_replace(s, '([' || c || ']{2}) +[' || c || '] +([^[:alnum:]]*)$', '\1 \2');
    END IF;
    RETURN s;
END
$$;

-- The document side of the analysis (also used to re-check a match on one field).
CREATE OR REPLACE FUNCTION ckan_search_tsv(t text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN to_tsvector('ckan_text', coalesce(ckan_search_cjk(t, false), ''));
END
$$;

-- A query term or phrase as a tsquery: its words in order (<->), but the bigrams of a CJK run
-- only all present (&): overlapping bigrams rarely meet elsewhere, and without positions the
-- GIN index answers alone (a phrase would read every candidate's tsvector). prefix makes the
-- last word a prefix, and a single final CJK character is always one. NULL when nothing is left.
CREATE OR REPLACE FUNCTION ckan_search_tsq(q text, prefix boolean) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    cjk constant text := '\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f';
    words text[];
    s text;
BEGIN
    SELECT array_agg(x.l ORDER BY x.p) INTO words
    FROM (SELECT u.lexeme AS l, unnest(u.positions) AS p
          FROM unnest(to_tsvector('ckan_text', coalesce(ckan_search_cjk(q, true), ''))) u) x;
    IF words IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(CASE WHEN i = 1 THEN ''
                           WHEN w ~ ('^[' || cjk || ']+$') AND prev ~ ('^[' || cjk || ']+$')
                           THEN ' & ' ELSE ' <-> ' END
                      || '''' || replace(replace(w, '\', '\\'), '''', '\''') || '''', '' ORDER BY i)
      INTO s
    FROM (SELECT w, i, lag(w) OVER (ORDER BY i) AS prev
          FROM unnest(words) WITH ORDINALITY AS u(w, i)) x;
    IF prefix OR q ~ ('(^|[^' || cjk || '])[' || cjk || '][^[:alnum:]]*$') THEN
        s := s || ':*';
    END IF;
    RETURN s::tsquery;
END
$$;

-- (Re)build one package's document (14_package_changed calls it at commit, once per changed
-- package, after its package dict).
CREATE OR REPLACE FUNCTION ckan_search_refresh(pid uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p package;
    org_name text;
    org_title text;
    v_tags text[];
    v_vocab jsonb;
    v_vocab_text text;
    v_ntags int;
    v_groups text[];
    v_group_text text;
    r record;
    v_extras jsonb;
    v_extra_text text;
    a text;
    b text;
    c text;
    d text;
    abc tsvector;
BEGIN
    SELECT * INTO p FROM package WHERE id = pid;
    IF NOT FOUND THEN
        DELETE FROM ckan_search_doc WHERE package_id = pid;
        RETURN;
    END IF;
    SELECT g.name, g.title INTO org_name, org_title
    FROM grp g WHERE g.id = p.owner_org AND g.state = 'active';

    SELECT coalesce(array_agg(t.name ORDER BY t.name) FILTER (WHERE t.vocabulary_id IS NULL), '{}'),
           count(*)
      INTO v_tags, v_ntags
    FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
    WHERE pt.package_id = pid AND pt.state = 'active';
    SELECT coalesce(jsonb_object_agg(x.vname, x.names), '{}'), string_agg(x.txt, ' ')
      INTO v_vocab, v_vocab_text
    FROM (SELECT v.name AS vname, jsonb_agg(t.name ORDER BY t.name) AS names,
                 string_agg(t.name, ' ') AS txt
          FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
          JOIN vocabulary v ON v.id = t.vocabulary_id
          WHERE pt.package_id = pid AND pt.state = 'active'
          GROUP BY v.name) x;

    SELECT coalesce(array_agg(g.name ORDER BY g.name), '{}'),
           string_agg(g.name || ' ' || g.title, ' ')
      INTO v_groups, v_group_text
    FROM member m JOIN grp g ON g.id = m.group_id
    WHERE m.table_id = pid AND m.table_name = 'package' AND m.state = 'active'
      AND g.state = 'active' AND NOT g.is_organization;

    SELECT count(*) AS n,
           coalesce(array_agg(x.format ORDER BY x.position, x.id) FILTER (WHERE coalesce(x.format, '') <> ''), '{}') AS formats,
           coalesce(array_agg(coalesce(x.download_url, x.access_url) ORDER BY x.position, x.id)
                    FILTER (WHERE coalesce(x.download_url, x.access_url) IS NOT NULL), '{}') AS urls,
           coalesce(array_agg(x.resource_type ORDER BY x.position, x.id) FILTER (WHERE x.resource_type IS NOT NULL), '{}') AS types,
           coalesce(array_agg(x.name ORDER BY x.position, x.id) FILTER (WHERE x.name IS NOT NULL), '{}') AS names,
           coalesce(array_agg(x.description ORDER BY x.position, x.id) FILTER (WHERE x.description IS NOT NULL), '{}') AS descs,
           string_agg(concat_ws(' ', ckan_i18n_text(x.extras->'name_translated'),
                                ckan_i18n_text(x.extras->'description_translated')), ' ') AS i18n
      INTO r
    FROM resource x WHERE x.package_id = pid AND x.state = 'active';

    -- Extras exactly as package_show lists them (the Taiwan standard's fields included), as
    -- CKAN indexes the dataset dict (ckan_package_doc is 08_ckan_package's; its cache is
    -- rebuilt just before this, 14_package_changed).
    SELECT coalesce(jsonb_object_agg(e->>'key', e->>'value'), '{}'), string_agg(e->>'value', ' ')
      INTO v_extras, v_extra_text
    FROM jsonb_array_elements(coalesce(ckan_package_doc(pid, '')::jsonb->'extras', '[]')) e
    WHERE e->>'key' IS NOT NULL AND e->>'value' IS NOT NULL;

    -- the translations (25_i18n) are matched as the texts they translate, in any language
    a := concat_ws(' ', p.name, p.title, ckan_i18n_text(p.translated->'title_translated'));
    b := concat_ws(' ', array_to_string(v_tags, ' '), v_group_text, org_name);
    c := concat_ws(' ', p.notes, ckan_i18n_text(p.translated->'notes_translated'));
    d := concat_ws(' ', org_title, p.author, p.maintainer, p.license_id, p.url, p.version,
                   array_to_string(r.names, ' '), array_to_string(r.descs, ' '), r.i18n,
                   array_to_string(r.formats, ' '), v_vocab_text, v_extra_text);
    abc := setweight(ckan_search_tsv(a), 'A') || setweight(ckan_search_tsv(b), 'B') ||
           setweight(ckan_search_tsv(c), 'C');

    INSERT INTO ckan_search_doc AS s (package_id, built_xact, name, title, notes, author,
        author_email, maintainer, maintainer_email, state, private, type, version, url,
        license_id, owner_org, organization, creator_user_id, metadata_created,
        metadata_modified, num_resources, num_tags, tags, groups, res_format, res_url, res_type,
        res_name, res_description, extras, vocab, fts, rank_tsv, body)
    VALUES (pid, pg_current_xact_id(), p.name, p.title, p.notes, p.author, p.author_email,
        p.maintainer, p.maintainer_email, p.state, p.private, p.type, p.version, p.url,
        p.license_id, p.owner_org, org_name, p.creator_user_id, p.metadata_created,
        p.metadata_modified, r.n, v_ntags, v_tags, v_groups, r.formats, r.urls, r.types,
        r.names, r.descs, v_extras, v_vocab, abc || setweight(ckan_search_tsv(d), 'D'), abc,
        lower(concat_ws(' ', a, b, c, d)))
    ON CONFLICT (package_id) DO UPDATE SET built_xact = EXCLUDED.built_xact,
        name = EXCLUDED.name, title = EXCLUDED.title, notes = EXCLUDED.notes,
        author = EXCLUDED.author, author_email = EXCLUDED.author_email,
        maintainer = EXCLUDED.maintainer, maintainer_email = EXCLUDED.maintainer_email,
        state = EXCLUDED.state, private = EXCLUDED.private, type = EXCLUDED.type,
        version = EXCLUDED.version, url = EXCLUDED.url, license_id = EXCLUDED.license_id,
        owner_org = EXCLUDED.owner_org, organization = EXCLUDED.organization,
        creator_user_id = EXCLUDED.creator_user_id, metadata_created = EXCLUDED.metadata_created,
        metadata_modified = EXCLUDED.metadata_modified, num_resources = EXCLUDED.num_resources,
        num_tags = EXCLUDED.num_tags, tags = EXCLUDED.tags, groups = EXCLUDED.groups,
        res_format = EXCLUDED.res_format, res_url = EXCLUDED.res_url,
        res_type = EXCLUDED.res_type, res_name = EXCLUDED.res_name,
        res_description = EXCLUDED.res_description, extras = EXCLUDED.extras,
        vocab = EXCLUDED.vocab, fts = EXCLUDED.fts, rank_tsv = EXCLUDED.rank_tsv,
        body = EXCLUDED.body;
END
$$;
