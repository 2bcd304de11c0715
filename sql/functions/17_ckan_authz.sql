-- 17_ckan_authz: who may write what (ckan-research §2.2, §2.4): CKAN's default authorization
-- rules, in one place, for every write action. Each write action calls these inside its own
-- transaction, so the check and the write see the same rows (no check-then-act across round
-- trips).
--
-- Sysadmins pass everything. A user's capacity in a group or organization gives permissions
-- (admin: all; editor: read, create/update/delete_dataset, manage_group; member: read,
-- manage_group). There is no group hierarchy in this catalogue (member rows name packages and
-- users only), so CKAN's cascade of admin to child organizations never applies.

-- CKAN's ckan.auth.* switches this site runs with (CKAN's defaults but for
-- create_unowned_dataset). Unknown keys are refused, so a typo cannot grant anything.
CREATE OR REPLACE FUNCTION ckan_authz_config(key text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE key
    WHEN 'create_unowned_dataset' THEN RETURN false;
    WHEN 'create_dataset_if_not_in_organization' THEN RETURN true;
    WHEN 'anon_create_dataset' THEN RETURN false;
    WHEN 'user_create_groups' THEN RETURN true;
    WHEN 'user_create_organizations' THEN RETURN true;
    WHEN 'user_delete_groups' THEN RETURN true;
    WHEN 'user_delete_organizations' THEN RETURN true;
    ELSE RAISE EXCEPTION 'unknown authorization setting %', key;
    END CASE;
END
$$;

-- Does a capacity carry a permission? (CKAN's ROLE_PERMISSIONS; admin has every one.)
CREATE OR REPLACE FUNCTION ckan_authz_role_has(capacity text, perm text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE capacity
        WHEN 'admin' THEN true
        WHEN 'editor' THEN perm IN ('read', 'delete_dataset', 'create_dataset', 'update_dataset',
                                    'manage_group')
        WHEN 'member' THEN perm IN ('read', 'manage_group')
        ELSE false END
$$;

-- The caller as the database has them now: an active user's id, or NULL (anonymous, or a user
-- deleted since the token was read: CKAN refuses deleted users everything).
CREATE OR REPLACE FUNCTION ckan_authz_user(v ckan_viewer) RETURNS users
LANGUAGE sql STABLE AS $$
    SELECT u FROM users u WHERE u.id = (v).user_id AND u.state = 'active'
$$;

CREATE OR REPLACE FUNCTION ckan_authz_is_sysadmin(v ckan_viewer) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((ckan_authz_user(v)).sysadmin, false)
$$;

-- May v do perm in the group or organization group_id? (CKAN's
-- has_user_permission_for_group_or_org: an unknown group gives false.)
CREATE OR REPLACE FUNCTION ckan_authz_has(v ckan_viewer, perm text, group_id uuid)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT group_id IS NOT NULL AND EXISTS (SELECT 1 FROM grp g WHERE g.id = group_id)
       AND (ckan_authz_is_sysadmin(v)
            OR EXISTS (SELECT 1 FROM member m JOIN users u ON u.id = m.table_id
                       WHERE m.group_id = ckan_authz_has.group_id AND m.table_name = 'user'
                         AND m.table_id = (v).user_id AND m.state = 'active'
                         AND u.state = 'active' AND ckan_authz_role_has(m.capacity, perm)))
$$;

-- The raising form: OD403 with CKAN's text (msg, already formatted) unless v may.
CREATE OR REPLACE FUNCTION ckan_authz_check(v ckan_viewer, perm text, group_id uuid, msg text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT ckan_authz_has(v, perm, group_id) THEN
        RAISE EXCEPTION '%', msg USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- Sysadmins only (CKAN's purge and vocabulary rules): "Access denied" alone.
CREATE OR REPLACE FUNCTION ckan_authz_check_sysadmin(v ckan_viewer) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT ckan_authz_is_sysadmin(v) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- group_create / organization_create: any logged-in user while the switch allows it. CKAN
-- names the caller by id here ("None" when anonymous).
CREATE OR REPLACE FUNCTION ckan_authz_check_group_create(v ckan_viewer, is_org boolean)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users := ckan_authz_user(v);
BEGIN
    IF u.sysadmin THEN
        RETURN;
    END IF;
    IF u.id IS NULL OR NOT ckan_authz_config(CASE WHEN is_org THEN 'user_create_organizations'
                                                  ELSE 'user_create_groups' END) THEN
        RAISE EXCEPTION 'User % not authorized to create %', coalesce(u.id::text, 'None'),
            CASE WHEN is_org THEN 'organizations' ELSE 'groups' END USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- group_delete / organization_delete: the switch, then the delete permission (admins).
CREATE OR REPLACE FUNCTION ckan_authz_check_group_delete(v ckan_viewer, g grp, is_org boolean)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    word text := CASE WHEN is_org THEN 'organization' ELSE 'group' END;
BEGIN
    IF ckan_authz_is_sysadmin(v) THEN
        RETURN;
    END IF;
    IF NOT ckan_authz_config('user_delete_' || word || 's') THEN
        RAISE EXCEPTION 'User % not authorized to delete %s', ckan_viewer_name(v), word
            USING ERRCODE = 'OD403';
    END IF;
    PERFORM ckan_authz_check(v, 'delete', g.id, format('User %s not authorized to delete %s %s',
                                                        ckan_viewer_name(v), word, g.id));
END
$$;
