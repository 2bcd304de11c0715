-- 13_users: what the operator's `opendatad user ...` commands do (server/cmd/user_cli.c), with
-- CKAN's meanings: a removed user is kept with state 'deleted', their tokens revoked (rows
-- deleted: only a token's SHA-256 is ever stored) and memberships deleted; a member row of a
-- user is (organization, 'user', user id, admin|editor|member), as CKAN's member table keeps it.
-- A refusal is an exception whose message the command prints as it is.

-- The user named ref (or with id ref), any state; an exception when there is none.
CREATE OR REPLACE FUNCTION user_find(ref text) RETURNS users
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
BEGIN
    SELECT * INTO u FROM users WHERE name = ref OR id::text = lower(ref)
    ORDER BY name = ref DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no user "%"', ref;
    END IF;
    RETURN u;
END
$$;

-- user_find, refusing a deleted user (what for is said in the message).
CREATE OR REPLACE FUNCTION user_find_active(ref text, what text) RETURNS users
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users := user_find(ref);
BEGIN
    IF u.state = 'deleted' THEN
        RAISE EXCEPTION 'user "%" is deleted: %', u.name, what;
    END IF;
    RETURN u;
END
$$;

-- Every user, deleted ones too, in name order, with their number of API tokens.
CREATE OR REPLACE FUNCTION user_list(OUT name text, OUT sysadmin boolean, OUT state text,
                                     OUT email text, OUT tokens bigint)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
    SELECT u.name, u.sysadmin, u.state, u.email,
           (SELECT count(*) FROM api_token t WHERE t.user_id = u.id)
    FROM users u ORDER BY u.name COLLATE "C"
$$;

-- CKAN's user_delete: state deleted, memberships deleted; and the tokens revoked. How many
-- tokens were revoked, and whether the user was deleted already.
CREATE OR REPLACE FUNCTION user_remove(ref text, OUT name text, OUT tokens bigint,
                                       OUT was_deleted boolean)
LANGUAGE plpgsql AS $$
DECLARE
    u users := user_find(ref);
BEGIN
    name := u.name;
    was_deleted := u.state = 'deleted';
    UPDATE users SET state = 'deleted' WHERE id = u.id AND state <> 'deleted';
    UPDATE member SET state = 'deleted'
    WHERE table_name = 'user' AND table_id = u.id AND state <> 'deleted';
    DELETE FROM api_token WHERE user_id = u.id;
    GET DIAGNOSTICS tokens = ROW_COUNT;
END
$$;

-- A new password hash (made by the caller: yescrypt) for the user ref; their name.
CREATE OR REPLACE FUNCTION user_set_password(ref text, hash text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    u users := user_find(ref);
BEGIN
    UPDATE users SET password_hash = hash WHERE id = u.id;
    RETURN u.name;
END
$$;

-- The user's API tokens, oldest first: id, name, created and last used (UTC, ISO 8601; NULL
-- when never used). Never the token: it is not stored.
CREATE OR REPLACE FUNCTION user_token_list(ref text, OUT id text, OUT name text, OUT created text,
                                           OUT last_used text)
RETURNS SETOF record LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users := user_find(ref);
BEGIN
    RETURN QUERY
    SELECT t.id, t.name, to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(t.last_access AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    FROM api_token t WHERE t.user_id = u.id ORDER BY t.created_at, t.id;
END
$$;

-- A new API token of the (active) user ref, stored as the SHA-256 of token: its id, the
-- user's name.
CREATE OR REPLACE FUNCTION user_token_add(ref text, token_name text, token text, OUT id text,
                                          OUT name text)
LANGUAGE plpgsql AS $$
DECLARE
    u users := user_find_active(ref, 'a token would not log in');
BEGIN
    id := gen_random_uuid()::text;
    name := u.name;
    INSERT INTO api_token (id, user_id, name, token_hash)
    VALUES (user_token_add.id, u.id, token_name, sha256(convert_to(token, 'UTF8')));
END
$$;

-- Revoke (delete) the API token with this id; the name of its user.
CREATE OR REPLACE FUNCTION user_token_revoke(token_id text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    uname text;
BEGIN
    DELETE FROM api_token t USING users u WHERE t.id = token_id AND u.id = t.user_id
    RETURNING u.name INTO uname;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no API token with id "%"', token_id;
    END IF;
    RETURN uname;
END
$$;

-- The active organization named ref (or with id ref); an exception when there is none.
CREATE OR REPLACE FUNCTION user_find_org(ref text) RETURNS grp
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g grp;
BEGIN
    SELECT * INTO g FROM grp
    WHERE (name = ref OR id::text = lower(ref)) AND is_organization AND state = 'active'
    ORDER BY name = ref DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no organization "%"', ref;
    END IF;
    RETURN g;
END
$$;

-- Make the user a member of the organization with this capacity (CKAN's
-- organization_member_create: a member row made, or its capacity changed and made active).
-- The names, and the capacity held before (NULL when none).
CREATE OR REPLACE FUNCTION user_member_add(org_ref text, user_ref text, cap text,
                                           OUT org text, OUT name text, OUT was text)
LANGUAGE plpgsql AS $$
DECLARE
    g grp := user_find_org(org_ref);
    u users := user_find_active(user_ref, 'a member must be an active user');
BEGIN
    IF cap IS NULL OR cap NOT IN ('admin', 'editor', 'member') THEN
        RAISE EXCEPTION 'capacity "%" is not one of admin, editor, member', cap;
    END IF;
    org := g.name;
    name := u.name;
    SELECT m.capacity INTO was FROM member m
    WHERE m.group_id = g.id AND m.table_name = 'user' AND m.table_id = u.id AND m.state = 'active';
    INSERT INTO member (group_id, table_name, table_id, capacity)
    VALUES (g.id, 'user', u.id, cap)
    ON CONFLICT (group_id, table_name, table_id)
    DO UPDATE SET capacity = EXCLUDED.capacity, state = 'active';
END
$$;

-- CKAN's organization_member_delete: the user's member row of the organization is deleted
-- (state). The names, and the capacity the user had.
CREATE OR REPLACE FUNCTION user_member_remove(org_ref text, user_ref text, OUT org text,
                                              OUT name text, OUT was text)
LANGUAGE plpgsql AS $$
DECLARE
    g grp := user_find_org(org_ref);
    u users := user_find(user_ref);
BEGIN
    org := g.name;
    name := u.name;
    UPDATE member m SET state = 'deleted'
    WHERE m.group_id = g.id AND m.table_name = 'user' AND m.table_id = u.id AND m.state = 'active'
    RETURNING m.capacity INTO was;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of organization "%"', u.name, g.name;
    END IF;
END
$$;
