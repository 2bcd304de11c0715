-- 00_schema: what the other function files use to define themselves. `opendatad db init`
-- applies sql/functions/*.sql in name order after the pending migrations, in their
-- transaction, every time (docs/ARCHITECTURE.md, "The schema and db init").

-- Make the trigger def defines (a whole CREATE [CONSTRAINT] TRIGGER statement) on tbl. Triggers
-- cannot be replaced in place (CREATE OR REPLACE refuses constraint triggers) and dropping one
-- locks its table against readers, so a trigger whose definition is already def is left
-- alone. def is written as pg_get_triggerdef shows it (line breaks aside); one written
-- otherwise still works, but is made again at every db init (tests/import/test_schema_files.py
-- checks).
CREATE OR REPLACE FUNCTION schema_trigger(tbl regclass, def text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    want text := btrim(regexp_replace(def, '\s+', ' ', 'g'));
    name text := (regexp_match(want, '^CREATE (?:CONSTRAINT )?TRIGGER (\S+) '))[1];
    have text;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'not a CREATE TRIGGER statement: %', def;
    END IF;
    SELECT pg_get_triggerdef(t.oid) INTO have FROM pg_trigger t
    WHERE t.tgrelid = tbl AND t.tgname = name;
    IF have = want THEN
        RETURN;
    END IF;
    IF have IS NOT NULL THEN
        EXECUTE format('DROP TRIGGER %I ON %s', name, tbl);
    END IF;
    EXECUTE want;
END
$$;
