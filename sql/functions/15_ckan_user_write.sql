-- 15_ckan_user_write: CKAN's user and API token writes (ckan-research §2.1, §2.4, §3.4, §5.5),
-- as CKAN 2.11 answers them: user_create, user_update (and user_patch), user_delete,
-- api_token_create, api_token_list, api_token_revoke.
--
-- Each action is one function f(p jsonb, site text, v ckan_viewer) RETURNS text, one
-- transaction with its authorization check (docs/ARCHITECTURE.md, "SQL → C"). p is the request
-- as server/ckan/ckan_user.c passed it, except what only C may touch: a password arrives as
-- "_password_hash" (yescrypt, made by passwd.c) or "_password_error" (why it was refused), a
-- new token as "_token" (only its SHA-256 is stored). Users get the activities CKAN's activity
-- plugin records: "new user" and "changed user", by and about the user, with no data.

-- A scalar's text as CKAN's unicode_safe makes it; NULL for an absent key or null.
CREATE OR REPLACE FUNCTION ckan_uw_text(p jsonb, key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(p->key)
        WHEN 'null' THEN NULL
        WHEN 'string' THEN p->>key
        WHEN 'boolean' THEN initcap(p->>key)
        ELSE (p->key)::text END
$$;

-- CKAN's not_empty: absent, null, '' and Python's other false values.
CREATE OR REPLACE FUNCTION ckan_uw_empty(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT j IS NULL OR j IN ('null', '""', 'false', '0', '[]', '{}')
$$;

-- CKAN's boolean_validator.
CREATE OR REPLACE FUNCTION ckan_uw_bool(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(j) WHEN 'boolean' THEN j::text::boolean
        ELSE lower(j #>> '{}') IN ('true', 'yes', 't', 'y', '1', 'on') END
$$;

-- errs with msg appended to field's list.
CREATE OR REPLACE FUNCTION ckan_uw_err(errs jsonb, field text, msg text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT errs || jsonb_build_object(field, coalesce(errs->field, '[]') || to_jsonb(msg))
$$;

-- RAISE OD422 with the field errors, if any.
CREATE OR REPLACE FUNCTION ckan_uw_check(errs jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF errs <> '{}' THEN
        RAISE EXCEPTION 'invalid user' USING ERRCODE = 'OD422', DETAIL = errs::text;
    END IF;
END
$$;

-- name_validator's refusal of a user name (NULL when it is one).
CREATE OR REPLACE FUNCTION ckan_uw_name_error(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(j) <> 'string' THEN 'Names must be strings'
        WHEN j #>> '{}' IN ('new', 'edit', 'search') THEN 'That name cannot be used'
        WHEN length(j #>> '{}') < 2 THEN 'Must be at least 2 characters long'
        WHEN length(j #>> '{}') > 100 THEN 'Name must be a maximum of 100 characters long'
        WHEN (j #>> '{}') !~ '^[a-z0-9_-]*$'
            THEN 'Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_'
    END
$$;

-- Serialize writes naming the same email until commit: no unique index can say "unique among
-- active users, any case", so two concurrent writes must not both pass the check.
CREATE OR REPLACE FUNCTION ckan_uw_lock_email(p jsonb) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('users.email'),
                                 hashtext(lower(btrim(ckan_uw_text(p, 'email')))))
$$;

-- The user dict as the user themself sees it (create and update show the email).
CREATE OR REPLACE FUNCTION ckan_uw_dict(u users, site text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT ckan_g_user_dict(u, NULL, site, ROW(u.id, u.name, false, '{}')::ckan_viewer)
$$;

-- The default user schema's checks of p for user u (u.id NULL: a new user), by caller v;
-- the field errors ('{}' when none). The email must be unique among active users.
CREATE OR REPLACE FUNCTION ckan_uw_validate(p jsonb, u users, v ckan_viewer) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errs jsonb := '{}';
    admin boolean := coalesce((v).sysadmin, false);
    creating boolean := u.id IS NULL;
    other users;
    mail text := btrim(ckan_uw_text(p, 'email'));
BEGIN
    IF creating AND ckan_uw_empty(p->'name') THEN
        errs := ckan_uw_err(errs, 'name', 'Missing value');
    ELSIF p ? 'name' AND p->'name' <> 'null' THEN
        IF ckan_uw_name_error(p->'name') IS NOT NULL THEN
            errs := ckan_uw_err(errs, 'name', ckan_uw_name_error(p->'name'));
        END IF;
        other := ckan_g_user(p->>'name');
        IF other.id IS NOT NULL AND other.id IS DISTINCT FROM u.id THEN
            errs := ckan_uw_err(errs, 'name', 'That login name is not available.');
        ELSIF other.id IS NULL AND NOT creating AND NOT admin AND u.state <> 'pending' THEN
            errs := ckan_uw_err(errs, 'name', 'That login name can not be modified.');
        END IF;
    END IF;
    IF p ? '_password_error' THEN
        errs := ckan_uw_err(errs, 'password', p->>'_password_error');
    ELSIF creating AND NOT p ? '_password_hash' AND NOT (admin AND p ? 'password_hash'
                                                         AND p->'password_hash' <> 'null') THEN
        errs := ckan_uw_err(errs, 'password', 'Missing value');
    END IF;
    IF ckan_uw_empty(p->'email') OR mail = '' THEN
        errs := ckan_uw_err(errs, 'email', 'Missing value');
    ELSIF mail !~ ('^(?!\.)(?!.*\.$)(?!.*?\.\.)[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9]'
                    '(?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9]'
                    '(?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$') THEN
        errs := ckan_uw_err(errs, 'email', format('Email %s is not a valid format', mail));
    ELSIF EXISTS (SELECT 1 FROM users o WHERE lower(o.email) = lower(mail)
                  AND o.state = 'active' AND o.id IS DISTINCT FROM u.id) THEN
        errs := ckan_uw_err(errs, 'email',
                            format('The email address ''%s'' belongs to a registered user.', mail));
    END IF;
    IF strpos(ckan_uw_text(p, 'about'), 'http://') > 0
       OR strpos(ckan_uw_text(p, 'about'), 'https://') > 0 THEN
        errs := ckan_uw_err(errs, 'about', 'Edit not allowed as it looks like spam. '
                                           'Please avoid links in your description.');
    END IF;
    IF admin AND ckan_uw_text(p, 'state') NOT IN ('active', 'pending', 'deleted') THEN
        errs := ckan_uw_err(errs, 'state', 'Must be one of: active, pending, deleted');
    END IF;
    IF admin AND p ? 'plugin_extras' AND jsonb_typeof(p->'plugin_extras') NOT IN ('object', 'null')
    THEN
        errs := ckan_uw_err(errs, 'plugin_extras', 'Could not parse as valid JSON');
    END IF;
    IF creating AND admin AND NOT ckan_uw_empty(p->'id') THEN
        IF NOT ckan_g_is_uuid(ckan_uw_text(p, 'id')) THEN
            errs := ckan_uw_err(errs, 'id', 'Invalid id provided');
        END IF;
    END IF;
    RETURN errs;
END
$$;

-- Store p's fields into user u (as ckan_uw_validate passed them): the fields given replace
-- the stored ones, the others stay; sysadmin, state, password_hash and plugin_extras only from
-- sysadmins. The row as stored.
CREATE OR REPLACE FUNCTION ckan_uw_save(p jsonb, u users, v ckan_viewer) RETURNS users
LANGUAGE plpgsql AS $$
DECLARE
    admin boolean := coalesce((v).sysadmin, false);
    given_hash text := CASE WHEN admin THEN ckan_uw_text(p, 'password_hash') END;
BEGIN
    IF p ? 'name' AND p->'name' <> 'null' THEN
        u.name := p->>'name';
    END IF;
    u.email := btrim(ckan_uw_text(p, 'email'));
    IF p ? 'fullname' AND p->'fullname' <> 'null' THEN
        u.fullname := ckan_uw_text(p, 'fullname');
    END IF;
    IF p ? 'about' AND p->'about' <> 'null' THEN
        u.about := ckan_uw_text(p, 'about');
    END IF;
    IF p ? 'image_url' AND p->'image_url' <> 'null' THEN
        u.image_url := ckan_uw_text(p, 'image_url');
    END IF;
    -- a password given in clear wins over a hash given by a sysadmin, as in CKAN's model
    u.password_hash := coalesce(p->>'_password_hash', given_hash, u.password_hash);
    IF admin AND p ? 'sysadmin' AND p->'sysadmin' <> 'null' THEN
        u.sysadmin := ckan_uw_bool(p->'sysadmin');
    END IF;
    IF admin AND p ? 'state' AND p->'state' <> 'null' THEN
        u.state := p->>'state';
    END IF;
    IF admin AND p ? 'plugin_extras' AND p->'plugin_extras' <> 'null' THEN
        u.plugin_extras := p->'plugin_extras';
    END IF;
    IF u.id IS NULL THEN
        u.id := CASE WHEN admin AND ckan_g_is_uuid(ckan_uw_text(p, 'id'))
                     THEN ckan_uw_text(p, 'id')::uuid ELSE gen_random_uuid() END;
        INSERT INTO users (id, name, fullname, email, password_hash, about, image_url, sysadmin,
                           state, plugin_extras)
        VALUES (u.id, u.name, u.fullname, u.email, u.password_hash, u.about, u.image_url,
                coalesce(u.sysadmin, false), coalesce(u.state, 'active'), u.plugin_extras)
        RETURNING * INTO u;
    ELSE
        UPDATE users SET name = u.name, fullname = u.fullname, email = u.email,
               password_hash = u.password_hash, about = u.about, image_url = u.image_url,
               sysadmin = u.sysadmin, state = u.state, plugin_extras = u.plugin_extras
        WHERE id = u.id RETURNING * INTO u;
    END IF;
    RETURN u;
EXCEPTION WHEN unique_violation THEN
    -- a concurrent write took the name between the check and the write
    RAISE EXCEPTION 'invalid user' USING ERRCODE = 'OD422',
        DETAIL = '{"name": ["That login name is not available."]}';
END
$$;

-- A new API token of user u named tname, stored as the SHA-256 of token; its id.
CREATE OR REPLACE FUNCTION ckan_uw_token_add(u users, tname text, token text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    tid text := gen_random_uuid()::text;
BEGIN
    INSERT INTO api_token (id, user_id, name, token_hash)
    VALUES (tid, u.id, tname, sha256(convert_to(token, 'UTF8')));
    RETURN tid;
END
$$;

-- user_create. p: the user's fields, "_via_api" (the site lets anyone create users),
-- "_with_apitoken" and "_token" (a token named "default" is made and answered as "token").
CREATE OR REPLACE FUNCTION ckan_user_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    u users;
    d text;
BEGIN
    IF NOT coalesce((v).sysadmin, false) AND NOT coalesce((p->>'_via_api')::boolean, false) THEN
        RAISE EXCEPTION 'User % not authorized to create users via the API', ckan_viewer_name(v)
            USING ERRCODE = 'OD403';
    END IF;
    IF coalesce((v).sysadmin, false) AND (ckan_g_user(ckan_uw_text(p, 'id'))).id IS NOT NULL THEN
        p := p - 'id';   -- CKAN drops an id already taken
    END IF;
    PERFORM ckan_uw_lock_email(p);
    PERFORM ckan_uw_check(ckan_uw_validate(p, u, v));
    u := ckan_uw_save(p, u, v);
    INSERT INTO activity (user_id, object_id, activity_type, data)
    VALUES (u.id, u.id, 'new user', '{}');
    d := ckan_uw_dict(u, site);
    IF coalesce((p->>'_with_apitoken')::boolean, false) THEN
        PERFORM ckan_uw_token_add(u, 'default', p->>'_token');
        d := left(d, -1) || ', "token": ' || to_json(p->>'_token')::text || '}';
    END IF;
    RETURN d;
END
$$;

-- The user an update names, after CKAN's checks: found (any state), and the caller themself
-- or a sysadmin.
CREATE OR REPLACE FUNCTION ckan_uw_editable(ref text, v ckan_viewer) RETURNS users
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users := ckan_g_user(ref);
BEGIN
    IF u.id IS NULL THEN
        RAISE EXCEPTION 'User was not found.' USING ERRCODE = 'OD100';
    END IF;
    IF (v).user_id IS NULL THEN
        RAISE EXCEPTION 'Have to be logged in to edit user' USING ERRCODE = 'OD403';
    END IF;
    IF NOT (v).sysadmin AND (v).user_id <> u.id THEN
        RAISE EXCEPTION 'User % not authorized to edit user %', (v).name, u.id
            USING ERRCODE = 'OD403';
    END IF;
    RETURN u;
END
$$;

-- user_update. p: {id, fields...}; a field left out keeps its value, the email is required.
-- user_patch: p also {"_patch": true}, the stored email (and name) standing in for those left
-- out, as CKAN's patch starts from user_show.
CREATE OR REPLACE FUNCTION ckan_user_update(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    u users := ckan_uw_editable(p->>'id', v);
BEGIN
    IF coalesce((p->>'_patch')::boolean, false) THEN
        p := jsonb_build_object('email', u.email, 'name', u.name) || p;
    END IF;
    PERFORM ckan_uw_lock_email(p);
    PERFORM ckan_uw_check(ckan_uw_validate(p, u, v));
    u := ckan_uw_save(p, u, v);
    INSERT INTO activity (user_id, object_id, activity_type, data)
    VALUES (u.id, u.id, 'changed user', '{}');
    RETURN ckan_uw_dict(u, site);
END
$$;

-- user_delete (sysadmins; the dispatcher checked): state deleted, memberships deleted, API
-- tokens revoked (CKAN refuses a deleted user's tokens; we remove them). Answers null.
CREATE OR REPLACE FUNCTION ckan_user_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    u users := ckan_g_user(p->>'id');
BEGIN
    IF u.id IS NULL THEN
        RAISE EXCEPTION 'User "%" was not found.', p->>'id' USING ERRCODE = 'OD100';
    END IF;
    UPDATE users SET state = 'deleted' WHERE id = u.id;
    UPDATE member SET state = 'deleted'
    WHERE table_name = 'user' AND table_id = u.id AND state <> 'deleted';
    DELETE FROM api_token WHERE user_id = u.id;
    RETURN 'null';
END
$$;

-- api_token_create. p: {user, name, _token}: for yourself, sysadmins for anyone.
CREATE OR REPLACE FUNCTION ckan_api_token_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    u users := ckan_g_user(p->>'user');
    errs jsonb := '{}';
BEGIN
    IF NOT p ? 'user' THEN
        errs := ckan_uw_err(errs, 'user', 'Missing value');
    END IF;
    IF NOT p ? 'name' THEN
        errs := ckan_uw_err(errs, 'name', 'Missing value');
    END IF;
    PERFORM ckan_uw_check(errs);
    IF u.id IS NULL THEN
        RAISE EXCEPTION 'User not found' USING ERRCODE = 'OD100';
    END IF;
    IF NOT coalesce((v).sysadmin OR (v).user_id = u.id, false) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD403';
    END IF;
    IF ckan_uw_empty(p->'name') THEN
        PERFORM ckan_uw_check('{"name": ["Missing value"]}');
    END IF;
    PERFORM ckan_uw_token_add(u, ckan_uw_text(p, 'name'), p->>'_token');
    RETURN json_build_object('token', p->>'_token')::text;
END
$$;

-- api_token_list. p: {user_id} (or user): the caller's own tokens, or anyone's for sysadmins.
CREATE OR REPLACE FUNCTION ckan_api_token_list(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ref text := coalesce(ckan_uw_text(p, 'user_id'), ckan_uw_text(p, 'user'));
    u users;
    result text;
BEGIN
    IF coalesce(ref, '') = '' THEN
        PERFORM ckan_uw_check('{"user_id": ["Missing value"]}');
    END IF;
    u := ckan_g_user(ref);
    IF NOT coalesce((v).sysadmin OR (v).user_id = u.id, false) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD403';
    END IF;
    IF u.id IS NULL THEN
        RAISE EXCEPTION 'User not found' USING ERRCODE = 'OD100';
    END IF;
    SELECT coalesce(json_agg(json_build_object('created_at', ckan_g_iso(t.created_at),
               'id', t.id, 'last_access', ckan_g_iso(t.last_access), 'name', t.name,
               'user_id', t.user_id) ORDER BY t.created_at, t.id), '[]')::text
    INTO result FROM api_token t WHERE t.user_id = u.id;
    RETURN result;
END
$$;

-- api_token_revoke. p: {jti} or {token_hash} (the SHA-256 of the token given, as bytea
-- text): the owner's or a sysadmin's; an unknown token is refused as someone else's would be.
-- Answers null.
CREATE OR REPLACE FUNCTION ckan_api_token_revoke(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    t api_token;
BEGIN
    IF nullif(p->>'jti', '') IS NOT NULL THEN
        SELECT * INTO t FROM api_token WHERE id = p->>'jti';
    ELSE
        SELECT * INTO t FROM api_token WHERE token_hash = (p->>'token_hash')::bytea;
    END IF;
    IF (v).user_id IS NULL OR NOT ((v).sysadmin OR t.user_id IS NOT DISTINCT FROM (v).user_id)
    THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD403';
    END IF;
    DELETE FROM api_token WHERE id = t.id;
    RETURN 'null';
END
$$;
