-- 01_catalog: who is calling and what they may read (ckan-research §2.3). The server resolves an
-- API token to a ckan_viewer (sql/migrations/001) once per request and passes it to the actions;
-- NULL is anonymous.

-- The caller a token hash names: active user, unexpired token; none when unknown (CKAN treats
-- a bad token as anonymous). last_access moves at most once a minute (a write per request
-- would serialize a busy harvester on one row), and never on a read-only replica.
CREATE OR REPLACE FUNCTION ckan_auth(hash bytea, OUT user_id uuid, OUT name text,
                                     OUT sysadmin boolean, OUT viewer text)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    tid text;
    u users;
BEGIN
    SELECT t.id INTO tid FROM api_token t
    WHERE t.token_hash = hash AND (t.expires_at IS NULL OR t.expires_at > now());
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT us.* INTO u FROM users us JOIN api_token t ON t.user_id = us.id
    WHERE t.id = tid AND us.state = 'active';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT pg_is_in_recovery() THEN
        UPDATE api_token SET last_access = now()
        WHERE id = tid AND (last_access IS NULL OR last_access < now() - interval '1 minute');
    END IF;
    user_id := u.id;
    name := u.name;
    sysadmin := u.sysadmin;
    viewer := ROW(u.id, u.name, u.sysadmin,
                  ARRAY(SELECT m.group_id FROM member m JOIN grp g ON g.id = m.group_id
                        WHERE m.table_name = 'user' AND m.table_id = u.id AND m.state = 'active'
                          AND g.is_organization AND g.state = 'active'
                        ORDER BY m.group_id))::ckan_viewer::text;
    RETURN NEXT;
END
$$;

-- May v read a dataset in this state? Public and active: everyone. Otherwise sysadmins, the
-- members of its organization, or (no organization) its creator.
CREATE OR REPLACE FUNCTION ckan_can_read(state text, private boolean, owner_org uuid, creator uuid,
                                         v ckan_viewer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (state = 'active' AND NOT private)
        OR coalesce((v).sysadmin, false)
        OR (CASE WHEN owner_org IS NOT NULL THEN owner_org = ANY((v).orgs)
                 ELSE creator = (v).user_id END) IS TRUE
$$;

-- The caller's name for CKAN's "User {name} not authorized ..." messages ('' when anonymous).
CREATE OR REPLACE FUNCTION ckan_viewer_name(v ckan_viewer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce((v).name, '')
$$;
