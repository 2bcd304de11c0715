-- 18_ckan_group_write: CKAN's group and organization writes (ckan-research §5.4):
-- group/organization_create, _update, _patch, _delete, _purge, member_create/_delete and
-- group/organization_member_create/_delete. Each action is one function
-- f(p jsonb, site text, v ckan_viewer) RETURNS text, one transaction: the authorization
-- (17_ckan_authz) is checked inside it, every refusal RAISEd (docs/ARCHITECTURE.md, "SQL → C"),
-- and nothing is left behind by a failure. Activities are recorded where CKAN records them;
-- the document caches follow through their triggers.

-- One field's messages added to a dict of validation errors.
CREATE OR REPLACE FUNCTION ckan_gw_err(errs jsonb, field text, msg text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT errs || jsonb_build_object(field, coalesce(errs->field, '[]') || to_jsonb(msg))
$$;

-- RAISE OD422 when errs holds anything.
CREATE OR REPLACE FUNCTION ckan_gw_raise(errs jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF errs <> '{}' THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422', DETAIL = errs::text;
    END IF;
END
$$;

-- A JSON value as CKAN's unicode_safe reads it: strings as they are, other scalars as text;
-- NULL for absent or null.
CREATE OR REPLACE FUNCTION ckan_gw_text(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) = 'null' THEN NULL
                WHEN jsonb_typeof(j) = 'string' THEN j #>> '{}' ELSE j::text END
$$;

-- CKAN's name_validator then group_name_validator: the first message, or NULL. self: the
-- group being written (its own name is no collision).
CREATE OR REPLACE FUNCTION ckan_gw_name_error(name text, self uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN name IS NULL OR name = '' THEN 'Missing value'
        WHEN name IN ('new', 'edit', 'search') THEN 'That name cannot be used'
        WHEN length(name) < 2 THEN 'Must be at least 2 characters long'
        WHEN length(name) > 100 THEN 'Name must be a maximum of 100 characters long'
        WHEN name !~ '^[a-z0-9_-]*$'
            THEN 'Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_'
        WHEN EXISTS (SELECT 1 FROM grp g WHERE g.name = ckan_gw_name_error.name
                     AND g.id IS DISTINCT FROM self)
            THEN 'Group name already exists in database'
        END
$$;

-- The activity CKAN records for a group write ("new organization", "deleted group", ...),
-- the group as stored then, read back by 09's activity readers.
CREATE OR REPLACE FUNCTION ckan_gw_activity(g grp, v ckan_viewer, verb text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO activity (user_id, object_id, activity_type, data)
    VALUES ((v).user_id, g.id,
            verb || CASE WHEN g.is_organization THEN ' organization' ELSE ' group' END,
            jsonb_build_object('group', ckan_g_group_row(g)::jsonb))
$$;

-- A dataset by id or name (CKAN's Package.get), any state; NULL when unknown.
CREATE OR REPLACE FUNCTION ckan_gw_package_id(ref text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT pk.id FROM package pk
                     WHERE pk.id = CASE WHEN ckan_g_is_uuid(ref) THEN ref::uuid END),
                    (SELECT pk.id FROM package pk WHERE pk.name = ref))
$$;

-- A member row as CKAN's member_dictize shows it.
CREATE OR REPLACE FUNCTION ckan_gw_member_dict(m member) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('capacity', m.capacity, 'group_id', m.group_id, 'id', m.id,
                             'state', m.state, 'table_id', m.table_id,
                             'table_name', m.table_name)::text
$$;

-- Make obj a member of g with capacity (an existing row of any state is made active again).
CREATE OR REPLACE FUNCTION ckan_gw_member_put(g uuid, kind text, obj uuid, capacity text)
RETURNS member
LANGUAGE sql VOLATILE AS $$
    INSERT INTO member (group_id, table_name, table_id, capacity, state)
    VALUES (g, kind, obj, capacity, 'active')
    ON CONFLICT (group_id, table_name, table_id)
    DO UPDATE SET capacity = EXCLUDED.capacity, state = 'active'
    RETURNING *
$$;

-- The validation errors of a list of dicts (extras, users, packages): aligned with the input,
-- {} for valid items, left out when all are valid (CKAN's shape).
CREATE OR REPLACE FUNCTION ckan_gw_list_errors(errs jsonb, field text, items jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(items) e WHERE e <> '{}')
                THEN errs || jsonb_build_object(field, items) ELSE errs END
$$;

-- The fields of group_create's schema (self NULL) or group_update's (self: the group) checked
-- against d; the dict of errors. Names follow name_validator on update too: the table's CHECK
-- holds every name to it.
CREATE OR REPLACE FUNCTION ckan_gw_dict_errors(d jsonb, sysadmin boolean, self uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errs jsonb := '{}';
    msg text;
    given_id text := ckan_gw_text(d->'id');
    roots text[] := ARRAY['id', 'name', 'title', 'description', 'image_url', 'image_display_url',
                          'type', 'state', 'created', 'is_organization', 'approval_status',
                          'extras', 'packages', 'users', 'groups', 'title_translated',
                          'description_translated'];
BEGIN
    IF self IS NULL AND sysadmin AND coalesce(given_id, '') <> '' THEN  -- others' are dropped
        IF NOT ckan_g_is_uuid(given_id) THEN
            errs := ckan_gw_err(errs, 'id', 'Invalid id provided');
        ELSIF EXISTS (SELECT 1 FROM grp g WHERE g.id = given_id::uuid) THEN
            errs := ckan_gw_err(errs, 'id', 'Id already exists');
        END IF;
    END IF;
    msg := CASE WHEN self IS NULL OR d ? 'name'
                THEN ckan_gw_name_error(ckan_gw_text(d->'name'), self) END;
    IF msg IS NOT NULL THEN
        errs := ckan_gw_err(errs, 'name', msg);
    END IF;
    -- state is taken from sysadmins on create, from anyone allowed to update on update
    IF (sysadmin OR self IS NOT NULL)
       AND coalesce(ckan_gw_text(d->'state'), 'active') NOT IN ('active', 'deleted') THEN
        errs := ckan_gw_err(errs, 'state', 'Value must be one of: active, deleted');
    END IF;
    errs := ckan_gw_list_errors(errs, 'extras', (
        SELECT coalesce(jsonb_agg(CASE
            WHEN coalesce(ckan_gw_text(e->'key'), '') = ''
                THEN jsonb_build_object('key', jsonb_build_array('Missing value'))
            WHEN ckan_gw_text(e->'key') = ANY(roots)
                THEN jsonb_build_object('key',
                         jsonb_build_array('There is a schema field with the same name'))
            WHEN NOT e ? 'value'
                THEN jsonb_build_object('value', jsonb_build_array('Missing value'))
            ELSE '{}' END ORDER BY n), '[]')
        FROM jsonb_array_elements(coalesce(d->'extras', '[]')) WITH ORDINALITY x(e, n)));
    errs := ckan_gw_list_errors(errs, 'users', (
        SELECT coalesce(jsonb_agg(CASE WHEN coalesce(ckan_gw_text(e->'name'), '') = ''
            THEN jsonb_build_object('name', jsonb_build_array('Missing value')) ELSE '{}' END
            ORDER BY n), '[]')
        FROM jsonb_array_elements(coalesce(d->'users', '[]')) WITH ORDINALITY x(e, n)));
    errs := ckan_gw_list_errors(errs, 'packages', (
        SELECT coalesce(jsonb_agg(CASE
            WHEN coalesce(ckan_gw_text(e->'id'), '') = ''
                THEN jsonb_build_object('id', jsonb_build_array('Missing value'))
            WHEN ckan_gw_package_id(ckan_gw_text(e->'id')) IS NULL
                THEN jsonb_build_object('id', jsonb_build_array('Dataset not found'))
            ELSE '{}' END ORDER BY n), '[]')
        FROM jsonb_array_elements(coalesce(d->'packages', '[]')) WITH ORDINALITY x(e, n)));
    -- member rows here name packages and users only: no group hierarchy to save
    IF jsonb_array_length(coalesce(d->'groups', '[]')) > 0 THEN
        errs := ckan_gw_err(errs, 'groups', 'Group hierarchies are not supported');
    END IF;
    RETURN ckan_i18n_group_errors(errs, d);  -- 25_i18n
END
$$;

-- The members a users/packages list names, as group_member_save reads it: unknown ones are
-- skipped, the first mention of each wins, capacity defaults to "public".
CREATE OR REPLACE FUNCTION ckan_gw_save_members(g uuid, kind text, items jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    e jsonb;
    ref text;
    obj uuid;
    seen uuid[] := '{}';
BEGIN
    FOR e IN SELECT x FROM jsonb_array_elements(coalesce(items, '[]')) x LOOP
        ref := coalesce(nullif(ckan_gw_text(e->'id'), ''), ckan_gw_text(e->'name'));
        obj := CASE kind WHEN 'user' THEN (ckan_g_user(ref)).id
                         ELSE ckan_gw_package_id(ref) END;
        IF obj IS NOT NULL AND obj <> ALL(seen) THEN
            seen := seen || obj;
            PERFORM ckan_gw_member_put(g, kind, obj,
                                       coalesce(ckan_gw_text(e->'capacity'), 'public'));
        END IF;
    END LOOP;
END
$$;

-- group_create / organization_create. p: {is_org, data: the request dict}. The creator
-- becomes an admin; the answer is what group_show / organization_show give the caller.
CREATE OR REPLACE FUNCTION ckan_group_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    is_org boolean := (p->>'is_org')::boolean;
    d jsonb := p->'data';
    sysadmin boolean := ckan_authz_is_sysadmin(v);
    g grp;
BEGIN
    IF NOT is_org AND ckan_gw_text(d->'type') = 'organization' THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"type": ["Trying to create an organization as a group"]}';
    END IF;
    PERFORM ckan_authz_check_group_create(v, is_org);
    PERFORM ckan_gw_raise(ckan_gw_dict_errors(d, sysadmin, NULL));
    BEGIN
        INSERT INTO grp (id, name, title, description, image_url, type, is_organization,
                         approval_status, state, translated)
        VALUES (CASE WHEN sysadmin AND coalesce(ckan_gw_text(d->'id'), '') <> ''
                     THEN ckan_gw_text(d->'id')::uuid ELSE gen_random_uuid() END,
                ckan_gw_text(d->'name'), coalesce(ckan_gw_text(d->'title'), ''),
                coalesce(ckan_gw_text(d->'description'), ''),
                coalesce(ckan_gw_text(d->'image_url'), ''),
                coalesce(nullif(ckan_gw_text(d->'type'), ''),
                         CASE WHEN is_org THEN 'organization' ELSE 'group' END),
                is_org, coalesce(ckan_gw_text(d->'approval_status'), 'approved'),
                CASE WHEN sysadmin THEN coalesce(ckan_gw_text(d->'state'), 'active')
                     ELSE 'active' END,
                ckan_i18n_group_put(d, NULL))
        RETURNING * INTO g;
    EXCEPTION WHEN unique_violation THEN  -- a concurrent create took the name or id
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"name": ["Group name already exists in database"]}';
    END;
    INSERT INTO group_extra (group_id, key, value)
    SELECT DISTINCT ON (ckan_gw_text(e->'key')) g.id, ckan_gw_text(e->'key'),
           coalesce(ckan_gw_text(e->'value'), '')
    FROM jsonb_array_elements(coalesce(d->'extras', '[]')) WITH ORDINALITY x(e, n)
    ORDER BY ckan_gw_text(e->'key'), n DESC;  -- a repeated key: the last value, as a dict keeps
    PERFORM ckan_gw_save_members(g.id, 'package', d->'packages');
    PERFORM ckan_gw_save_members(g.id, 'user', d->'users');
    IF (v).user_id IS NOT NULL THEN
        PERFORM ckan_gw_member_put(g.id, 'user', (v).user_id, 'admin');
    END IF;
    PERFORM ckan_gw_activity(g, v, 'new');
    RETURN ckan_g_group_dict(g, '{"packages": "dataset_count", "extras": true, "users": true,
                                  "groups": true, "tags": true, "member_count": false,
                                  "show": true}',
                             NULL, site, v);
END
$$;

-- Replace the members of one kind (users, packages) of g by those a list names, as
-- group_member_save does: members not named any more are deleted.
CREATE OR REPLACE FUNCTION ckan_gw_replace_members(g uuid, kind text, items jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    UPDATE member SET state = 'deleted' WHERE group_id = g AND table_name = kind
        AND state = 'active';
    PERFORM ckan_gw_save_members(g, kind, items);
END
$$;

-- group_update / organization_update. p: {is_org, data: the request dict}. Fields given
-- replace the stored ones; users are replaced by the list given (none given: every user member
-- goes, as CKAN 2.11 does); a group's datasets only when packages is given, an organization's
-- never; extras only when a non-empty list is given. Answers group_dictize's dict.
CREATE OR REPLACE FUNCTION ckan_group_update(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    is_org boolean := (p->>'is_org')::boolean;
    d jsonb := p->'data';
    g grp := ckan_g_group(d->>'id');
BEGIN
    IF g.id IS NULL THEN
        RAISE EXCEPTION 'Group was not found.' USING ERRCODE = 'OD100';
    END IF;
    IF ckan_gw_text(d->'type') IS DISTINCT FROM g.type AND ckan_gw_text(d->'type') IS NOT NULL THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"type": "Type cannot be updated"}';
    END IF;
    PERFORM ckan_authz_check(v, 'update', g.id, format('User %s not authorized to edit %s %s',
        ckan_viewer_name(v), CASE WHEN is_org THEN 'organization' ELSE 'group' END, g.id));
    PERFORM ckan_gw_raise(ckan_gw_dict_errors(d, ckan_authz_is_sysadmin(v), g.id));
    BEGIN
        UPDATE grp SET
            name = CASE WHEN d ? 'name' THEN ckan_gw_text(d->'name') ELSE name END,
            title = CASE WHEN d ? 'title' THEN coalesce(ckan_gw_text(d->'title'), '')
                         ELSE title END,
            description = CASE WHEN d ? 'description'
                               THEN coalesce(ckan_gw_text(d->'description'), '')
                               ELSE description END,
            image_url = CASE WHEN d ? 'image_url' THEN coalesce(ckan_gw_text(d->'image_url'), '')
                             ELSE image_url END,
            approval_status = coalesce(ckan_gw_text(d->'approval_status'), approval_status),
            state = coalesce(ckan_gw_text(d->'state'), state),
            translated = ckan_i18n_group_put(d, translated)
        WHERE id = g.id RETURNING * INTO g;
    EXCEPTION WHEN unique_violation THEN  -- a concurrent write took the name
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"name": ["Group name already exists in database"]}';
    END;
    IF jsonb_array_length(coalesce(d->'extras', '[]')) > 0 THEN
        DELETE FROM group_extra WHERE group_id = g.id;
        INSERT INTO group_extra (group_id, key, value)
        SELECT DISTINCT ON (ckan_gw_text(e->'key')) g.id, ckan_gw_text(e->'key'),
               coalesce(ckan_gw_text(e->'value'), '')
        FROM jsonb_array_elements(d->'extras') WITH ORDINALITY x(e, n)
        ORDER BY ckan_gw_text(e->'key'), n DESC;
    END IF;
    IF NOT is_org AND d ? 'packages' THEN
        PERFORM ckan_gw_replace_members(g.id, 'package', d->'packages');
    END IF;
    PERFORM ckan_gw_replace_members(g.id, 'user', d->'users');
    PERFORM ckan_gw_activity(g, v, 'changed');
    RETURN ckan_g_group_dict(g, '{"packages": "datasets", "extras": true, "users": true,
                                  "groups": true, "tags": true, "member_count": false}',
                             NULL, site, v);
END
$$;

-- group_patch / organization_patch. p: {is_org, data}: group_update of what group_show gives
-- the caller (but display_name) with the request's fields over it, so lists not given stay.
CREATE OR REPLACE FUNCTION ckan_group_patch(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    is_org boolean := (p->>'is_org')::boolean;
    g grp := ckan_g_group(p->'data'->>'id');
    shown jsonb;
BEGIN
    IF g.id IS NULL THEN  -- CKAN's auth lookup: the word alone
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_authz_check(v, 'update', g.id, format('User %s not authorized to edit %s %s',
        ckan_viewer_name(v), CASE WHEN is_org THEN 'organization' ELSE 'group' END, g.id));
    shown := ckan_group_show(jsonb_build_object('id', p->'data'->>'id',
        'opts', '{"packages": "dataset_count", "extras": true, "users": true, "groups": true,
                  "member_count": false, "show": true}'::jsonb), site, v)::jsonb;
    RETURN ckan_group_update(jsonb_build_object('is_org', p->'is_org',
                                                'data', (shown - 'display_name') || (p->'data')),
                             site, v);
END
$$;

-- group_delete / organization_delete. p: {id, is_org}. state=deleted, its memberships
-- deleted; an organization with datasets is refused (create_unowned_dataset is off).
CREATE OR REPLACE FUNCTION ckan_group_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    is_org boolean := (p->>'is_org')::boolean;
    g grp := ckan_g_group(p->>'id');
BEGIN
    IF g.id IS NULL THEN
        RAISE EXCEPTION 'Group was not found.' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_authz_check_group_delete(v, g, is_org);
    IF is_org AND NOT ckan_authz_config('create_unowned_dataset') AND EXISTS (
            SELECT 1 FROM package pk WHERE pk.owner_org = g.id AND pk.state <> 'deleted') THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"message": "Organization cannot be deleted while it still has datasets"}';
    END IF;
    UPDATE member SET state = 'deleted' WHERE group_id = g.id AND state = 'active';
    UPDATE grp SET state = 'deleted' WHERE id = g.id RETURNING * INTO g;
    PERFORM ckan_gw_activity(g, v, 'deleted');
    RETURN 'null';
END
$$;

-- group_purge / organization_purge (sysadmins). p: {id, is_org}. The row and its memberships
-- go; deleted datasets it owned lose their organization; a Taiwan category it was loses its
-- mapping.
CREATE OR REPLACE FUNCTION ckan_group_purge(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    is_org boolean := (p->>'is_org')::boolean;
    g grp := ckan_g_group(p->>'id');
BEGIN
    IF g.id IS NULL THEN
        RAISE EXCEPTION '%', CASE WHEN is_org THEN 'Organization was not found'
                                  ELSE 'Group was not found' END USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_authz_check_sysadmin(v);
    IF is_org AND NOT ckan_authz_config('create_unowned_dataset') AND EXISTS (
            SELECT 1 FROM package pk WHERE pk.owner_org = g.id AND pk.state <> 'deleted') THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"message": "Organization cannot be purged while it still has datasets"}';
    END IF;
    UPDATE package SET owner_org = NULL WHERE owner_org = g.id;
    DELETE FROM tw_category WHERE group_id = g.id;
    DELETE FROM translation WHERE object_id = g.id;
    DELETE FROM grp WHERE id = g.id;  -- members and extras cascade
    RETURN 'null';
END
$$;

-- The group and object member_create / member_delete name, and the caller's right to change
-- that membership (CKAN's member_create auth: update; a group's datasets need manage_group).
CREATE OR REPLACE FUNCTION ckan_gw_member_target(p jsonb, v ckan_viewer, OUT g grp, OUT obj uuid)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    kind text := p->>'object_type';
BEGIN
    g := ckan_g_group(p->>'id');
    IF g.id IS NULL THEN
        RAISE EXCEPTION 'Group was not found.' USING ERRCODE = 'OD100';
    END IF;
    IF kind NOT IN ('user', 'package') THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = CASE WHEN kind = 'group'
                THEN '{"object_type": ["Group hierarchies are not supported"]}'
                ELSE jsonb_build_object('message', initcap(kind) || ' isn''t a valid model')::text
                END;
    END IF;
    obj := CASE kind WHEN 'user' THEN (ckan_g_user(p->>'object')).id
                     ELSE ckan_gw_package_id(p->>'object') END;
    IF obj IS NULL THEN
        RAISE EXCEPTION '% was not found.', initcap(kind) USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_authz_check(v, CASE WHEN NOT g.is_organization AND kind = 'package'
                                     THEN 'manage_group' ELSE 'update' END, g.id,
                             format('User %s not authorized to edit group %s',
                                    ckan_viewer_name(v), g.id));
END
$$;

-- The target of member_create / member_delete (ckan_gw_member_target) and the member row it
-- already has, if any (m NULL), locked for the change.
CREATE OR REPLACE FUNCTION ckan_gw_member_row(p jsonb, v ckan_viewer, OUT g grp, OUT obj uuid,
                                              OUT m member)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t record;
BEGIN
    SELECT * INTO t FROM ckan_gw_member_target(p, v);
    g := t.g;
    obj := t.obj;
    SELECT * INTO m FROM member WHERE group_id = g.id AND table_name = p->>'object_type'
        AND table_id = obj FOR UPDATE;
END
$$;

-- member_create. p: {id, object, object_type, capacity}. An admin may not lower their own
-- capacity.
CREATE OR REPLACE FUNCTION ckan_member_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t record;
BEGIN
    SELECT * INTO t FROM ckan_gw_member_row(p, v);
    IF (t.m).table_name = 'user' AND (t.m).table_id = (v).user_id
       AND (t.m).capacity = 'admin' AND p->>'capacity' <> 'admin' THEN
        RAISE EXCEPTION 'Administrators cannot revoke their own admin status'
            USING ERRCODE = 'OD403';
    END IF;
    RETURN ckan_gw_member_dict(ckan_gw_member_put((t.g).id, p->>'object_type', t.obj,
                                                  p->>'capacity'));
END
$$;

-- member_delete. p: {id, object, object_type}. Nothing to delete is no error.
CREATE OR REPLACE FUNCTION ckan_member_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t record;
BEGIN
    SELECT * INTO t FROM ckan_gw_member_row(p, v);
    UPDATE member SET state = 'deleted' WHERE id = (t.m).id AND state = 'active';
    RETURN 'null';
END
$$;

-- group_member_create / organization_member_create. p: {is_org, id?, username?, role?} as
-- given. CKAN checks the membership permission first, then the fields, then runs member_create.
CREATE OR REPLACE FUNCTION ckan_group_member_create(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    errs jsonb := '{}';
    g grp := ckan_g_group(p->>'id');
    u users := ckan_g_user(p->>'username');
BEGIN
    IF g.id IS NOT NULL OR NOT ckan_authz_is_sysadmin(v) AND p ? 'id' THEN
        PERFORM ckan_authz_check(v, 'membership', g.id, format(
            'User %s not authorized to add members', ckan_viewer_name(v)));
    END IF;
    IF NOT p ? 'id' THEN
        errs := ckan_gw_err(errs, 'id', 'Missing value');
    ELSIF g.id IS NULL THEN
        errs := ckan_gw_err(errs, 'id', 'That group name or ID does not exist.');
    END IF;
    IF NOT p ? 'username' THEN
        errs := ckan_gw_err(errs, 'username', 'Missing value');
    ELSIF u.id IS NULL THEN
        errs := ckan_gw_err(errs, 'username', 'User not found');
    END IF;
    IF NOT p ? 'role' THEN
        errs := ckan_gw_err(errs, 'role', 'Missing value');
    ELSIF p->>'role' NOT IN ('admin', 'editor', 'member') THEN
        errs := ckan_gw_err(errs, 'role', 'role does not exist.');
    END IF;
    PERFORM ckan_gw_raise(errs);
    RETURN ckan_member_create(jsonb_build_object('id', g.id, 'object', u.id,
                                                 'object_type', 'user', 'capacity', p->>'role'),
                              site, v);
END
$$;

-- group_member_delete / organization_member_delete. p: {id, username}: member_delete of that
-- user.
CREATE OR REPLACE FUNCTION ckan_group_member_delete(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN ckan_member_delete(jsonb_build_object('id', p->>'id', 'object', p->>'username',
                                                 'object_type', 'user'), site, v);
END
$$;
