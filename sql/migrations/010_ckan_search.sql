-- 010_ckan_search: what CKAN package_search runs on (ckan-api.md "Search", ckan-research §4.1).
-- One stored search document per package (ckan_search_doc): the values of every indexed Solr
-- field CKAN clients filter, facet and sort on, a weighted tsvector like CKAN's dismax boosts
-- (name/title ^4 → A, tags/groups ^2 → B, notes → C, the rest of `text` → D) and lower-case text
-- for wildcard (trigram) matches. Kept current by deferred triggers, like tw_doc (sql/003), so
-- every write path (importer, CKAN write actions) keeps it right without knowing it exists.
-- server/solrq.c turns q/fq into SQL over this table (alias s); server/ckan_search.c adds
-- visibility, sort, paging and facets.
--
-- Words: CKAN's Solr text field splits on whitespace and word delimiters, lower-cases, folds
-- accents and stems English, with no stop words; ckan_text does the same. Chinese has no spaces,
-- and Solr keeps a whole run of CJK characters as one token, so a part of a title is never
-- found there. Here every CJK run is indexed as overlapping bigrams (臺北市 → 臺北 北市 市),
-- and a query's run becomes the phrase of its bigrams: any substring of two or more
-- characters is found through the GIN index, and a single character as a prefix.
--
-- Functions and triggers: sql/functions/10_ckan_search.sql; the documents of packages already
-- there are built by db init once the functions are in place (sql/functions/99_documents.sql).

CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH DICTIONARY ckan_english_stem (TEMPLATE = snowball, LANGUAGE = english);
CREATE TEXT SEARCH CONFIGURATION ckan_text (COPY = english);
ALTER TEXT SEARCH CONFIGURATION ckan_text
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH unaccent, ckan_english_stem;

CREATE TABLE ckan_search_doc (
    package_id        uuid PRIMARY KEY REFERENCES package(id) ON DELETE CASCADE,
    built_xact        xid8 NOT NULL,
    name              text NOT NULL,
    title             text NOT NULL,
    notes             text,
    author            text,
    author_email      text,
    maintainer        text,
    maintainer_email  text,
    state             text NOT NULL,
    private           boolean NOT NULL,
    type              text NOT NULL,
    version           text,
    url               text,
    license_id        text,
    owner_org         uuid,
    organization      text,         -- the organization's name
    creator_user_id   uuid,
    metadata_created  timestamptz NOT NULL,
    metadata_modified timestamptz NOT NULL,
    num_resources     int NOT NULL,
    num_tags          int NOT NULL,
    tags              text[] NOT NULL,  -- free tags
    groups            text[] NOT NULL,  -- names of the (non-organization) groups
    res_format        text[] NOT NULL,
    res_url           text[] NOT NULL,
    res_type          text[] NOT NULL,
    res_name          text[] NOT NULL,
    res_description   text[] NOT NULL,
    extras            jsonb NOT NULL,   -- {key: value as text}
    vocab             jsonb NOT NULL,   -- {vocabulary name: [tags]}
    fts               tsvector NOT NULL, -- everything: matching
    rank_tsv          tsvector NOT NULL, -- A, B and C only: ranking (small enough to stay inline)
    body              text NOT NULL      -- lower-case text of the document, for wildcards
);

-- Ranking reads rank_tsv of every match: keep it in the row (TOAST moves the big columns out
-- first), or each match would cost a TOAST fetch (measured: 4x the ranking itself).
ALTER TABLE ckan_search_doc ALTER COLUMN rank_tsv SET STORAGE MAIN;

CREATE INDEX ckan_search_fts ON ckan_search_doc USING gin (fts);
CREATE INDEX ckan_search_body ON ckan_search_doc USING gin (body gin_trgm_ops);
CREATE INDEX ckan_search_tags ON ckan_search_doc USING gin (tags);
CREATE INDEX ckan_search_groups ON ckan_search_doc USING gin (groups);
CREATE INDEX ckan_search_res_format ON ckan_search_doc USING gin (res_format);
CREATE INDEX ckan_search_extras ON ckan_search_doc USING gin (extras jsonb_path_ops);
CREATE INDEX ckan_search_vocab ON ckan_search_doc USING gin (vocab jsonb_path_ops);
CREATE INDEX ckan_search_modified ON ckan_search_doc (metadata_modified);
CREATE INDEX ckan_search_name ON ckan_search_doc (name COLLATE "C");
CREATE INDEX ckan_search_org ON ckan_search_doc (organization);
