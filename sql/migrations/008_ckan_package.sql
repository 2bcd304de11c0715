-- 008_ckan_package: CKAN package and resource reads (ckan-research §3.1, §4). Every function
-- returns JSON text the server splices into the envelope. Callers are anonymous: only active,
-- public datasets are visible; an existing dataset that is not answers 403 as CKAN does.
--
-- ckan_package_doc(pid, site_url) is the package_show dict of one package, whatever its state
-- (callers decide visibility). Docs are cached in ckan_doc, kept current by deferred triggers
-- like tw_doc (003): a cached package_show is one index lookup instead of ~10 queries.
-- Functions and triggers: sql/functions/08_ckan_package.sql; the docs of packages already
-- there are built by db init once the functions are in place (sql/functions/99_documents.sql).

-- CKAN's default licence list (ckan/model/license.py), in license_list order.
CREATE TABLE ckan_license (
    id              text PRIMARY KEY,
    position        int NOT NULL,
    title           text NOT NULL,
    url             text NOT NULL DEFAULT '',
    od_conformance  text NOT NULL DEFAULT 'not reviewed',
    osd_conformance text NOT NULL DEFAULT 'not reviewed',
    domain_content  boolean NOT NULL DEFAULT false,
    domain_data     boolean NOT NULL DEFAULT false,
    domain_software boolean NOT NULL DEFAULT false,
    is_generic      boolean NOT NULL DEFAULT false,
    family          text NOT NULL DEFAULT '',
    maintainer      text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'active'
);

INSERT INTO ckan_license (position, id, title, url, od_conformance, domain_content, domain_data,
                          is_generic) VALUES
    (1, 'notspecified', 'License not specified', '', 'not reviewed', false, false, true),
    (2, 'odc-pddl', 'Open Data Commons Public Domain Dedication and License (PDDL)',
        'http://www.opendefinition.org/licenses/odc-pddl', 'approved', false, true, false),
    (3, 'odc-odbl', 'Open Data Commons Open Database License (ODbL)',
        'http://www.opendefinition.org/licenses/odc-odbl', 'approved', false, true, false),
    (4, 'odc-by', 'Open Data Commons Attribution License',
        'http://www.opendefinition.org/licenses/odc-by', 'approved', false, true, false),
    (5, 'cc-zero', 'Creative Commons CCZero',
        'http://www.opendefinition.org/licenses/cc-zero', 'approved', true, true, false),
    (6, 'cc-by', 'Creative Commons Attribution',
        'http://www.opendefinition.org/licenses/cc-by', 'approved', false, false, false),
    (7, 'cc-by-sa', 'Creative Commons Attribution Share-Alike',
        'http://www.opendefinition.org/licenses/cc-by-sa', 'approved', true, false, false),
    (8, 'gfdl', 'GNU Free Documentation License',
        'http://www.opendefinition.org/licenses/gfdl', 'approved', true, false, false),
    (9, 'other-open', 'Other (Open)', '', 'approved', true, false, true),
    (10, 'other-pd', 'Other (Public Domain)', '', 'approved', true, false, true),
    (11, 'other-at', 'Other (Attribution)', '', 'approved', true, false, true),
    (12, 'uk-ogl', 'UK Open Government Licence (OGL)',
        'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/', 'approved',
        true, false, false),
    (13, 'cc-nc', 'Creative Commons Non-Commercial (Any)',
        'http://creativecommons.org/licenses/by-nc/2.0/', 'not reviewed', false, false, false),
    (14, 'other-nc', 'Other (Non-Commercial)', '', 'not reviewed', false, false, true),
    (15, 'other-closed', 'Other (Not Open)', '', 'not reviewed', false, false, true);

-- The cache. site_dependent docs hold ckan_site_marker() where the site URL goes.
CREATE TABLE ckan_doc (
    package_id     uuid PRIMARY KEY REFERENCES package(id) ON DELETE CASCADE,
    built_xact     xid8 NOT NULL,
    site_dependent boolean NOT NULL,
    doc            text NOT NULL
);

CREATE INDEX package_ckan_name ON package ((name COLLATE "C")) WHERE state = 'active' AND NOT private;

-- Substring matches on names and titles (package_autocomplete; queries of 3+ characters).
CREATE INDEX package_name_trgm ON package USING gin (name gin_trgm_ops)
    WHERE state = 'active' AND NOT private;
CREATE INDEX package_title_trgm ON package USING gin (title gin_trgm_ops)
    WHERE state = 'active' AND NOT private;
