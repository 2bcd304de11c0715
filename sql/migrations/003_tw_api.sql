-- 003_tw_api: SQL the Taiwan common API handlers call. Each returns the JSON payload as text so
-- the server splices it into the envelope without parsing it. Only active, public datasets are
-- visible. Names sort in code-point order (COLLATE "C") whatever the database's collation.
-- Functions and triggers: sql/functions/03_tw_api.sql.

CREATE INDEX package_tw_ident ON package ((coalesce(identifier, name)) COLLATE "C")
    WHERE state = 'active' AND NOT private;

-- Built payloads, kept current by deferred triggers (sql/functions/03_tw_api.sql) so that endpoint 6, the hottest
-- read, is one index lookup. Built in the portal time zone of system_info 'tw.timezone'; a
-- server configured with another zone builds live. Writes happen only on the write paths,
-- so read replicas serve endpoint 6 unchanged.
CREATE TABLE tw_doc (
    package_id uuid PRIMARY KEY REFERENCES package(id) ON DELETE CASCADE,
    tz         text NOT NULL,
    built_xact xid8 NOT NULL,
    doc        text NOT NULL
);

INSERT INTO system_info (key, value) VALUES ('tw.timezone', 'Asia/Taipei')
ON CONFLICT (key) DO NOTHING;
