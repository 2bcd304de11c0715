-- 19b_package_store: what stores a dataset's tags, extras and Taiwan category, shared by the
-- catalogue importer (04_tw_import) and the CKAN write actions (19_ckan_package_write): one
-- way to write each, so a dataset reads the same whichever wrote it.

-- A dataset's tags replaced by names[i] (in vocabs[i], NULL: a free tag), in that order; tags
-- not yet known are made. Names are inserted in name order: writers running at once wait for
-- each other's new tags in one order, never in a circle.
CREATE OR REPLACE FUNCTION pkg_put_tags(pid uuid, names text[], vocabs uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM package_tag WHERE package_id = pid;
    IF coalesce(cardinality(names), 0) = 0 THEN
        RETURN;
    ELSIF vocabs IS NULL THEN  -- free tags only (every import): one join
        INSERT INTO tag (name)
        SELECT DISTINCT k.n FROM unnest(names) k(n) ORDER BY k.n
        ON CONFLICT (name) WHERE vocabulary_id IS NULL DO NOTHING;
        INSERT INTO package_tag (package_id, tag_id, position)
        SELECT pid, t.id, min(k.i) FROM unnest(names) WITH ORDINALITY k(n, i)
        JOIN tag t ON t.name = k.n AND t.vocabulary_id IS NULL
        GROUP BY t.id;
        RETURN;
    END IF;
    INSERT INTO tag (name)
    SELECT DISTINCT k.n FROM unnest(names, vocabs) k(n, vo) WHERE k.vo IS NULL ORDER BY k.n
    ON CONFLICT (name) WHERE vocabulary_id IS NULL DO NOTHING;
    INSERT INTO tag (name, vocabulary_id)
    SELECT DISTINCT k.n, k.vo FROM unnest(names, vocabs) k(n, vo) WHERE k.vo IS NOT NULL
    ORDER BY k.n, k.vo
    ON CONFLICT (vocabulary_id, name) WHERE vocabulary_id IS NOT NULL DO NOTHING;
    INSERT INTO package_tag (package_id, tag_id, position)
    SELECT pid, x.id, min(x.i) FROM (
        SELECT t.id, k.i FROM unnest(names, vocabs) WITH ORDINALITY k(n, vo, i)
        JOIN tag t ON t.name = k.n AND t.vocabulary_id IS NULL WHERE k.vo IS NULL
        UNION ALL
        SELECT t.id, k.i FROM unnest(names, vocabs) WITH ORDINALITY k(n, vo, i)
        JOIN tag t ON t.vocabulary_id = k.vo AND t.name = k.n) x
    GROUP BY x.id;
END
$$;

-- A dataset's extras replaced by keys[i] = vals[i], in that order (a repeated key: its first
-- place, its last value).
CREATE OR REPLACE FUNCTION pkg_put_extras(pid uuid, keys text[], vals jsonb[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM package_extra WHERE package_id = pid;
    INSERT INTO package_extra (package_id, key, value, position)
    SELECT pid, k.key, vals[max(k.n)], min(k.n)
    FROM unnest(keys) WITH ORDINALITY k(key, n)
    GROUP BY k.key;
END
$$;

-- A dataset in the Taiwan category code (upper case; NULL or unknown: in none).
CREATE OR REPLACE FUNCTION pkg_put_category(pid uuid, cat text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member m USING tw_category c
    WHERE m.table_id = pid AND m.table_name = 'package' AND m.group_id = c.group_id
      AND c.code IS DISTINCT FROM cat;
    INSERT INTO member (group_id, table_name, table_id, capacity)
    SELECT c.group_id, 'package', pid, 'public' FROM tw_category c WHERE c.code = cat
    ON CONFLICT (group_id, table_name, table_id) DO UPDATE SET state = 'active';
END
$$;
