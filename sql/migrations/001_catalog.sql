-- 001_catalog: the catalogue shared by every API family (CKAN action/legacy, Taiwan, Hong Kong).
-- One row model, CKAN's: packages, resources, groups+organizations in one table, members,
-- tags/vocabularies, extras, relationships, users/tokens, activity. The Taiwan metadata
-- standard's fields live on package/resource as real columns (queried and validated), and
-- per-language text in `translation`. Functions: sql/functions/01_catalog.sql.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE system_info (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_-]{2,100}$'),
    fullname      text,
    email         text,
    password_hash text,
    about         text,
    image_url     text,
    sysadmin      boolean NOT NULL DEFAULT false,
    state         text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'pending', 'deleted')),
    created       timestamptz NOT NULL DEFAULT now(),
    last_active   timestamptz,
    plugin_extras jsonb
);

-- API tokens: only a SHA-256 of the secret is kept; revoking deletes the row.
CREATE TABLE api_token (
    id          text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '',
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_access timestamptz,
    expires_at  timestamptz
);
CREATE INDEX api_token_user ON api_token (user_id);

-- Groups and organizations, one table as in CKAN (is_organization tells them apart).
CREATE TABLE grp (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_-]{2,100}$'),
    title           text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    image_url       text NOT NULL DEFAULT '',
    type            text NOT NULL DEFAULT 'group',
    is_organization boolean NOT NULL DEFAULT false,
    approval_status text NOT NULL DEFAULT 'approved',
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleted')),
    created         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grp_kind ON grp (is_organization, state, name);

CREATE TABLE group_extra (
    group_id uuid NOT NULL REFERENCES grp(id) ON DELETE CASCADE,
    key      text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (group_id, key)
);

-- The 18 service categories of the Taiwan portal, each a CKAN group (name = code lower case).
CREATE TABLE tw_category (
    code     char(3) PRIMARY KEY,
    group_id uuid NOT NULL UNIQUE REFERENCES grp(id)
);

CREATE TABLE package (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_.-]{2,100}$'),
    title              text NOT NULL DEFAULT '',
    notes              text,             -- CKAN notes = Taiwan description
    url                text,
    version            text,
    author             text,
    author_email       text,
    maintainer         text,
    maintainer_email   text,
    license_id         text,
    type               text NOT NULL DEFAULT 'dataset',
    state              text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draft', 'deleted')),
    private            boolean NOT NULL DEFAULT false,
    owner_org          uuid REFERENCES grp(id),
    creator_user_id    uuid REFERENCES users(id),
    metadata_created   timestamptz NOT NULL DEFAULT now(),
    metadata_modified  timestamptz NOT NULL DEFAULT now(),
    plugin_data        jsonb,
    -- Taiwan dataset-metadata standard (資料集詮釋資料標準規範); text kept as declared.
    identifier                 text,
    field_description          text,
    data_type                  text,     -- Taiwan `type` (rawData, services, ...)
    license_title              text,     -- Taiwan `license` text as declared
    license_url                text,
    cost                       text,
    cost_url                   text,
    cost_law                   text,
    organization_name          text,     -- Taiwan `organization` (管理機關), not the CKAN org
    organization_contact_name  text,
    organization_contact_phone text,
    organization_contact_email text,
    publisher_contact_name     text,
    publisher_contact_phone    text,
    publisher_contact_email    text,
    accrual_periodicity        text,
    temporal_coverage_from     text,
    temporal_coverage_to       text,
    issued                     timestamptz,  -- agency-declared; NULL = use metadata_created
    modified                   timestamptz,  -- agency-declared; NULL = use metadata_modified
    spatial                    text,
    language                   text,
    landing_page               text,
    number_of_data             bigint,
    remarks                    text,     -- Taiwan `notes` (備註)
    source_hash                text      -- hash of the imported record, to skip unchanged re-imports
);
CREATE UNIQUE INDEX package_identifier ON package (lower(identifier));
CREATE INDEX package_modified ON package (metadata_modified);
CREATE INDEX package_owner_org ON package (owner_org);
CREATE INDEX package_visible ON package (state, private);

-- Agency-defined and CKAN extras; the value keeps its JSON type (Taiwan extras may be arrays).
CREATE TABLE package_extra (
    package_id uuid NOT NULL REFERENCES package(id) ON DELETE CASCADE,
    key        text NOT NULL,
    value      jsonb NOT NULL,
    position   int NOT NULL DEFAULT 0,
    PRIMARY KEY (package_id, key)
);

CREATE TABLE resource (
    id                      text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    package_id              uuid NOT NULL REFERENCES package(id) ON DELETE CASCADE,
    position                int NOT NULL DEFAULT 0,
    name                    text,
    description             text,
    format                  text,
    download_url            text,      -- CKAN url for file resources
    access_url              text,      -- Taiwan accessURL (services)
    hash                    text,
    mimetype                text,
    mimetype_inner          text,
    size                    bigint,
    resource_type           text,
    url_type                text,
    state                   text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleted')),
    created                 timestamptz NOT NULL DEFAULT now(),
    metadata_modified       timestamptz NOT NULL DEFAULT now(),
    last_modified           timestamptz,   -- Taiwan resourceModified
    character_set_code      text,
    metadata_source_of_data text,
    datastore_active        boolean NOT NULL DEFAULT false,
    extras                  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX resource_package ON resource (package_id, position);
CREATE INDEX resource_format ON resource (lower(format));

CREATE TABLE vocabulary (
    id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE
);

CREATE TABLE tag (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    vocabulary_id uuid REFERENCES vocabulary(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX tag_free_name ON tag (name) WHERE vocabulary_id IS NULL;
CREATE UNIQUE INDEX tag_vocab_name ON tag (vocabulary_id, name) WHERE vocabulary_id IS NOT NULL;
CREATE INDEX tag_name_trgm ON tag USING gin (name gin_trgm_ops);

-- position keeps the publisher's keyword order for the Taiwan API (CKAN sorts by name).
CREATE TABLE package_tag (
    package_id uuid NOT NULL REFERENCES package(id) ON DELETE CASCADE,
    tag_id     uuid NOT NULL REFERENCES tag(id) ON DELETE CASCADE,
    position   int NOT NULL DEFAULT 0,
    state      text NOT NULL DEFAULT 'active',
    PRIMARY KEY (package_id, tag_id)
);
CREATE INDEX package_tag_tag ON package_tag (tag_id);

-- Membership of packages and users in groups/organizations, with CKAN's capacity.
CREATE TABLE member (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id   uuid NOT NULL REFERENCES grp(id) ON DELETE CASCADE,
    table_name text NOT NULL CHECK (table_name IN ('package', 'user')),
    table_id   uuid NOT NULL,
    capacity   text NOT NULL DEFAULT 'public',
    state      text NOT NULL DEFAULT 'active',
    created    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (group_id, table_name, table_id)
);
CREATE INDEX member_object ON member (table_id, table_name);

CREATE TABLE package_relationship (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject_package_id uuid NOT NULL REFERENCES package(id) ON DELETE CASCADE,
    object_package_id  uuid NOT NULL REFERENCES package(id) ON DELETE CASCADE,
    type               text NOT NULL,
    comment            text NOT NULL DEFAULT '',
    state              text NOT NULL DEFAULT 'active',
    UNIQUE (subject_package_id, object_package_id, type)
);
CREATE INDEX package_relationship_object ON package_relationship (object_package_id);

CREATE TABLE activity (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    timestamp     timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_id       uuid,
    object_id     uuid NOT NULL,
    activity_type text NOT NULL,
    data          jsonb
);
CREATE INDEX activity_object ON activity (object_id, timestamp DESC);
CREATE INDEX activity_user ON activity (user_id, timestamp DESC);
CREATE INDEX activity_time ON activity (timestamp DESC);

-- Per-language text (en, zh_TW, zh_CN) for any object's field (title, notes, ...).
CREATE TABLE translation (
    object_id uuid NOT NULL,
    field     text NOT NULL,
    lang      text NOT NULL CHECK (lang IN ('en', 'zh_TW', 'zh_CN')),
    value     text NOT NULL,
    PRIMARY KEY (object_id, field, lang)
);

-- Datastore bookkeeping: one table per resource in schema `datastore`; versions of raw files.
CREATE SCHEMA IF NOT EXISTS datastore;

CREATE TABLE datastore_table (
    resource_id text PRIMARY KEY REFERENCES resource(id) ON DELETE CASCADE,
    table_name  text NOT NULL UNIQUE,
    fields      jsonb NOT NULL DEFAULT '[]',  -- [{id, type, info:{original_header,...}}]
    row_count   bigint NOT NULL DEFAULT 0,
    data_version bigint NOT NULL DEFAULT 1,
    created     timestamptz NOT NULL DEFAULT now(),
    modified    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE resource_version (
    resource_id  text NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
    content_hash text NOT NULL,
    size         bigint NOT NULL,
    content      bytea,
    fields       jsonb NOT NULL DEFAULT '[]',
    created      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_id, content_hash)
);
CREATE INDEX resource_version_time ON resource_version (resource_id, created DESC);

-- ---------------------------------------------------------------------------------------------
-- Who is calling and what they may read (ckan-research §2.3). The server resolves an API token
-- to a ckan_viewer once per request and passes it to the actions; NULL is anonymous.
CREATE TYPE ckan_viewer AS (
    user_id  uuid,
    name     text,
    sysadmin boolean,
    orgs     uuid[]   -- organizations the user is an active member of (any capacity)
);
