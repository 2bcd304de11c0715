"""The layout of sql/: tables and data in numbered migrations, code in one file per module.

Every function, trigger and view of a database made by `opendatad db init` is defined in
exactly one file of sql/functions/ (overloads of one name in the same file), and none is
defined in a migration; trigger definitions are written as PostgreSQL shows them, so a second
db init leaves them alone."""
import os
import re
import subprocess

import psycopg2

from conftest import BIN, ROOT, db_init, new_database

SQL = os.path.join(ROOT, "sql")
MIGRATIONS = os.path.join(SQL, "migrations")
FUNCTIONS = os.path.join(SQL, "functions")

FUNCTION = re.compile(r"^CREATE OR REPLACE FUNCTION (\w+)\(", re.M)
VIEW = re.compile(r"^CREATE OR REPLACE VIEW (\w+)", re.M)
TRIGGER = re.compile(r"^SELECT schema_trigger\('(\w+)', '(CREATE (?:CONSTRAINT )?TRIGGER (\w+)\s"
                     r"[^']*)'\);", re.M)
# What a migration must not define (dropping is how a migration removes code).
CODE = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?"
                  r"(?:FUNCTION|PROCEDURE|TRIGGER|VIEW|MATERIALIZED\s+VIEW|RULE|AGGREGATE)\b"
                  r"|\bschema_trigger\s*\(", re.I)


def without_comments(sql):
    return re.sub(r"--[^\n]*", "", sql)


def sql_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".sql"))


def read(d, name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return f.read()


def definitions():
    """kind → name → [file, ...] over the function files (a name once per definition)."""
    out = {"function": {}, "view": {}, "trigger": {}}
    for f in sql_files(FUNCTIONS):
        text = read(FUNCTIONS, f)
        for kind, names in (("function", FUNCTION.findall(text)), ("view", VIEW.findall(text)),
                            ("trigger", [f"{t}.{n}" for t, _, n in TRIGGER.findall(text)])):
            for name in names:
                out[kind].setdefault(name, []).append(f)
    return out


def rows(url, sql):
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_migrations_define_no_code():
    for f in sql_files(MIGRATIONS):
        found = CODE.findall(without_comments(read(MIGRATIONS, f)))
        assert found == [], f"{f} defines code: {found} (it belongs in sql/functions/)"


def test_function_files_define_code_only_with_create_or_replace():
    for f in sql_files(FUNCTIONS):
        text = without_comments(read(FUNCTIONS, f))
        assert not re.search(r"\bCREATE\s+(FUNCTION|VIEW|PROCEDURE)\b", text, re.I), f
        bare = re.findall(r"^\s*CREATE\s+(?:CONSTRAINT\s+)?TRIGGER", text, re.I | re.M)
        assert bare == [], f"{f}: triggers are made with schema_trigger(), see 00_schema.sql"
        assert not re.search(r"\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|TYPE|SEQUENCE|SCHEMA|"
                             r"EXTENSION)\b", text, re.I), f"{f}: schema changes are migrations"


def test_each_function_trigger_and_view_is_defined_in_exactly_one_file(cluster):
    url = new_database(cluster)
    defs = definitions()
    funcs = rows(url, """
        SELECT p.proname, count(*) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        GROUP BY p.proname""")
    assert sorted(name for name, _ in funcs) == sorted(defs["function"])
    for name, overloads in funcs:
        files = defs["function"][name]
        assert len(set(files)) == 1, f"{name} is defined in {sorted(set(files))}"
        assert len(files) == overloads, f"{name}: {overloads} in the database, {len(files)} " \
                                        f"in {files[0]}"
    triggers = rows(url, "SELECT tgrelid::regclass::text || '.' || tgname FROM pg_trigger "
                         "WHERE NOT tgisinternal")
    assert sorted(t for t, in triggers) == sorted(defs["trigger"])
    views = rows(url, "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON "
                      "n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND n.nspname = 'public'")
    assert sorted(v for v, in views) == sorted(defs["view"])
    for kind in ("trigger", "view"):
        twice = {name: files for name, files in defs[kind].items() if len(files) > 1}
        assert twice == {}, kind


def test_trigger_definitions_are_written_as_postgresql_shows_them(cluster):
    url = new_database(cluster)
    shown = dict(rows(url, "SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger "
                           "WHERE NOT tgisinternal"))
    checked = 0
    for f in sql_files(FUNCTIONS):
        for _, definition, name in TRIGGER.findall(read(FUNCTIONS, f)):
            assert re.sub(r"\s+", " ", definition).strip() == shown[name], f"{f}: {name}"
            checked += 1
    assert checked == len(shown)


def test_second_db_init_changes_nothing(cluster):
    """Quiet, and the same trigger and function objects (nothing dropped and made again)."""
    url = new_database(cluster)
    objects = ("SELECT (SELECT array_agg(oid ORDER BY oid) FROM pg_trigger), "
               "(SELECT array_agg(oid ORDER BY oid) FROM pg_proc)")
    before = rows(url, objects)
    p = db_init(url)
    assert (p.stdout, p.stderr) == ("", "")
    assert rows(url, objects) == before


def test_server_refuses_a_database_whose_functions_are_not_applied(cluster, tmp_path):
    """Changed function files without db init: serve says so, db init applies that file."""
    url = new_database(cluster)
    sql = tmp_path / "sql"
    (sql / "functions").mkdir(parents=True)
    os.symlink(MIGRATIONS, sql / "migrations")
    for f in sql_files(FUNCTIONS):
        text = read(FUNCTIONS, f)
        if f.startswith("11_"):
            text += "\n-- a change\n"
        (sql / "functions" / f).write_text(text, encoding="utf-8")
    env = dict(os.environ, OPENDATAD_SQL_DIR=str(sql))
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", url, "--listen",
                        "127.0.0.1:0"], capture_output=True, text=True, timeout=30, env=env)
    assert p.returncode != 0
    assert "0 migrations pending, 1 function files changed" in p.stderr and "db init" in p.stderr
    p = subprocess.run([os.path.join(BIN, "opendatad"), "db", "init", "--db", url],
                       capture_output=True, text=True, env=env, check=True)
    assert p.stdout == "applied functions/11_ckan_util\n"


def test_migrations_keep_the_names_databases_recorded():
    """A database made before the split recorded these names: each is still a migration, so
    db init does not apply it again."""
    frozen = os.path.join(ROOT, "tests", "fixtures", "schema-2026-12-05")
    assert set(sql_files(frozen)) <= set(sql_files(MIGRATIONS))
