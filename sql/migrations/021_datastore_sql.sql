-- 021_datastore_sql: the database role datastore_search_sql runs its queries as
-- (sql/functions/20b_datastore_sql.sql): it may read the datastore tables and nothing else of
-- this database's own (PostgreSQL's catalogs stay readable to every role; the action refuses
-- them). The queries run inside SECURITY DEFINER functions this role owns, where PostgreSQL
-- refuses SET ROLE and SET SESSION AUTHORIZATION, so a query cannot take back the server's
-- privileges. Roles belong to the cluster: made once, by the first database that needs it.
-- Where db init may not make roles, the action answers that it is not set up instead.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opendatad_datastore_sql') THEN
        CREATE ROLE opendatad_datastore_sql NOLOGIN NOINHERIT;
    END IF;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        -- the server's own role replaces those functions at every db init
        EXECUTE format('GRANT opendatad_datastore_sql TO %I', current_user);
    END IF;
    GRANT USAGE ON SCHEMA datastore TO opendatad_datastore_sql;
    GRANT SELECT ON ALL TABLES IN SCHEMA datastore TO opendatad_datastore_sql;
    -- tables made later by this role (loads, datastore_create)
    ALTER DEFAULT PRIVILEGES IN SCHEMA datastore GRANT SELECT ON TABLES TO opendatad_datastore_sql;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'datastore_search_sql is not set up: % (db init needs CREATEROLE once)', SQLERRM;
END
$$;
